package swell.balancer;

import org.junit.jupiter.api.Test;
import swell.store.QueueStats;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The scaling rules of DESIGN.md, driven by a fake clock: no sleeping, no fleet. */
class ScalingPolicyTest {
  private static final ScalingConfig CFG = new ScalingConfig(1000, 1, 3, 15_000, 60_000, 600_000, 120_000, 60_000,
      300_000);

  private final WorkerRegistry workers = new WorkerRegistry();
  private final ScalingPolicy policy = new ScalingPolicy(CFG, true);

  private static QueueStats backlog(long oldestAgeMs) {
    return new QueueStats(10, 10, oldestAgeMs, 0, 0, 0, 0);
  }

  private static final QueueStats EMPTY = QueueStats.EMPTY;

  private List<ScalingPolicy.Action> decide(QueueStats q, long now) {
    return policy.decide(q, workers.managed(), now);
  }

  private WorkerRecord active(String id, long now) {
    workers.launching(id, now);
    return workers.seen(id, null, 1, now);
  }

  @Test
  void launchesUpToMinWorkersWithoutBacklog() {
    assertThat(decide(EMPTY, 0)).singleElement().isInstanceOf(ScalingPolicy.Launch.class);
  }

  @Test
  void launchesWhenOldestWorkWaitedLongerThanScaleOutAfter() {
    active("a", 0);
    assertThat(decide(backlog(15_000), 20_000)).isEmpty();
    assertThat(decide(backlog(15_001), 20_000)).singleElement().isInstanceOf(ScalingPolicy.Launch.class);
  }

  @Test
  void waitsForCooldownWhileALaunchIsStillBooting() {
    active("a", 0);
    assertThat(decide(backlog(20_000), 100_000)).hasSize(1);
    workers.launching("b", 100_000);
    assertThat(decide(backlog(20_000), 130_000)).as("b still boots, cooldown not over").isEmpty();
    assertThat(decide(backlog(20_000), 160_001)).singleElement().isInstanceOf(ScalingPolicy.Launch.class);
  }

  @Test
  void launchesAgainAtOnceWhenNothingIsBooting() {
    active("a", 0);
    assertThat(decide(backlog(20_000), 100_000)).hasSize(1);
    active("b", 100_500);
    assertThat(decide(backlog(20_000), 101_000)).singleElement().isInstanceOf(ScalingPolicy.Launch.class);
  }

  @Test
  void neverGrowsPastMaxWorkers() {
    active("a", 0);
    active("b", 0);
    active("c", 0);
    assertThat(decide(backlog(1_000_000), 500_000)).isEmpty();
  }

  @Test
  void retiresIdleWorkersDownToMinWorkers() {
    active("a", 0);
    active("b", 0);
    active("c", 0);
    assertThat(decide(EMPTY, 600_000)).as("not idle long enough yet").isEmpty();
    List<ScalingPolicy.Action> actions = decide(EMPTY, 600_001);
    assertThat(actions).hasSize(2).allMatch(a -> a instanceof ScalingPolicy.Retire);
  }

  @Test
  void aBusyWorkerIsNotRetired() {
    active("a", 0);
    WorkerRecord b = active("b", 0);
    b.lastWorkAt = 590_000;
    List<ScalingPolicy.Action> actions = decide(EMPTY, 600_001);
    assertThat(actions).singleElement().isEqualTo(new ScalingPolicy.Retire("a", "no work for 600001 ms"));
  }

  @Test
  void terminatesAWorkerThatNeverRegistered() {
    active("a", 0);
    workers.launching("slow", 1_000);
    assertThat(decide(EMPTY, 121_000)).isEmpty();
    assertThat(decide(EMPTY, 121_001)).singleElement().isInstanceOf(ScalingPolicy.Terminate.class)
        .extracting(a -> ((ScalingPolicy.Terminate) a).workerId()).isEqualTo("slow");
  }

  @Test
  void terminatesAWorkerThatDoesNotLeaveAfterRetiring() {
    active("a", 0);
    WorkerRecord b = active("b", 0);
    b.moveTo(WorkerState.RETIRING, 10_000);
    assertThat(decide(EMPTY, 70_000)).isEmpty();
    assertThat(decide(EMPTY, 70_001)).singleElement().isInstanceOf(ScalingPolicy.Terminate.class);
  }

  @Test
  void retryableLaunchFailuresBackOffExponentially() {
    active("a", 0);
    List<Long> gaps = new ArrayList<>();
    long now = 100_000;
    for (int i = 0; i < 5; i++) {
      assertThat(decide(backlog(20_000), now)).hasSize(1);
      policy.launchFailed(now, true, "InsufficientInstanceCapacity");
      assertThat(decide(backlog(20_000), policy.nextLaunchAt() - 1)).isEmpty();
      gaps.add(policy.nextLaunchAt() - now);
      now = policy.nextLaunchAt();
    }
    assertThat(gaps).containsExactly(1_000L, 2_000L, 4_000L, 8_000L, 16_000L);
    policy.launchSucceeded();
    assertThat(decide(backlog(20_000), now)).hasSize(1);
  }

  @Test
  void backOffIsCappedAtMaxBackoff() {
    for (int i = 0; i < 40; i++) {
      policy.launchFailed(0, true, "throttled");
    }
    assertThat(policy.nextLaunchAt()).isEqualTo(CFG.maxBackoffMs());
  }

  @Test
  void aPermanentFailureStopsLaunchingAndSaysWhy() {
    policy.launchFailed(0, false, "UnauthorizedOperation: not allowed");
    assertThat(decide(backlog(1_000_000), 10_000_000)).isEmpty();
    assertThat(policy.blockedReason()).contains("UnauthorizedOperation");
  }

  private static List<String> terminations(List<ScalingPolicy.Action> actions) {
    return actions.stream().filter(a -> a instanceof ScalingPolicy.Terminate)
        .map(a -> ((ScalingPolicy.Terminate) a).workerId()).toList();
  }

  @Test
  void aFailedTerminationIsTriedAgainWithBackOff() {
    active("a", 0);
    WorkerRecord b = active("b", 0);
    b.moveTo(WorkerState.TERMINATING, 1_000);
    policy.terminateStarted(b);
    assertThat(terminations(decide(EMPTY, 5_000))).as("while the first attempt is under way").isEmpty();
    policy.terminateFailed(b, 5_000, "RequestLimitExceeded");
    assertThat(terminations(decide(EMPTY, 5_999))).isEmpty();
    assertThat(terminations(decide(EMPTY, 6_000))).containsExactly("b");
    policy.terminateStarted(b);
    policy.terminateFailed(b, 6_000, "RequestLimitExceeded");
    assertThat(terminations(decide(EMPTY, 7_999))).isEmpty();
    assertThat(terminations(decide(EMPTY, 8_000))).containsExactly("b");
  }

  @Test
  void workersBeyondMaxWorkersRetireIdlestFirstAndNoneIsTerminated() {
    long[] lastWork = {500, 100, 400, 200, 300};
    String[] ids = {"a", "b", "c", "d", "e"};
    for (int i = 0; i < ids.length; i++) {
      active(ids[i], 0).lastWorkAt = lastWork[i];
    }
    assertThat(decide(backlog(20_000), 1_000)).as("busy, not idle: retired only because maxWorkers=3")
        .containsExactly(new ScalingPolicy.Retire("b", "above maxWorkers=3"),
            new ScalingPolicy.Retire("d", "above maxWorkers=3"));
  }

  @Test
  void fleetNoneNeverActs() {
    ScalingPolicy none = new ScalingPolicy(CFG, false);
    assertThat(none.decide(backlog(1_000_000), List.of(), 1_000_000)).isEmpty();
  }
}
