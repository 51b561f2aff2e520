package swell.balancer;

import org.junit.jupiter.api.Test;
import swell.store.QueueStats;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The scaling rules of DESIGN.md, driven by a fake clock: no sleeping, no fleet. */
class ScalingPolicyTest {
  /** Hashes per second of one worker until workers measure theirs: 60 M iterations a minute. */
  private static final long ESTIMATE = 1_000_000;
  private static final long DRAIN_MS = 60_000;
  private static final ScalingConfig CFG = new ScalingConfig(1000, 1, 3, 15_000, 60_000, 600_000, 120_000, 60_000,
      300_000, ScalingConfig.Rule.PLANNER, DRAIN_MS, ESTIMATE);
  /** No minimum and room to grow, for the planner's sizing. */
  private static final ScalingConfig WIDE = new ScalingConfig(1000, 0, 20, 15_000, 60_000, 600_000, 120_000, 60_000,
      300_000, ScalingConfig.Rule.PLANNER, DRAIN_MS, ESTIMATE);

  private final WorkerRegistry workers = new WorkerRegistry();
  private ScalingPolicy policy = new ScalingPolicy(CFG, true);

  /** Ten small works (10 iterations in all), the oldest waiting this long. */
  private static QueueStats backlog(long oldestAgeMs) {
    return new QueueStats(10, 10, oldestAgeMs, 0, 0, 0, 0);
  }

  /** Pending works that one worker at the estimated rate computes in {@code workerMinutes} minutes. */
  private static QueueStats heavyBacklog(double workerMinutes, long oldestAgeMs) {
    return heavyBacklog(workerMinutes, oldestAgeMs, 0);
  }

  private static QueueStats heavyBacklog(double workerMinutes, long oldestAgeMs, long leased) {
    long iterations = (long) (workerMinutes * ESTIMATE * DRAIN_MS / 1000);
    return new QueueStats(100, iterations, oldestAgeMs, leased, 0, 0, 0);
  }

  private static final QueueStats EMPTY = QueueStats.EMPTY;

  private List<ScalingPolicy.Action> decide(QueueStats q, long now) {
    return policy.decide(q, workers.managed(), now);
  }

  private static long launches(List<ScalingPolicy.Action> actions) {
    return actions.stream().filter(a -> a instanceof ScalingPolicy.Launch).count();
  }

  private static List<String> retirements(List<ScalingPolicy.Action> actions) {
    return actions.stream().filter(a -> a instanceof ScalingPolicy.Retire)
        .map(a -> ((ScalingPolicy.Retire) a).workerId()).toList();
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
  void oldestWaitLaunchesWhenOldestWorkWaitedLongerThanScaleOutAfter() {
    policy = new ScalingPolicy(CFG.withRule(ScalingConfig.Rule.OLDEST_WAIT), true);
    active("a", 0);
    assertThat(decide(backlog(15_000), 20_000)).isEmpty();
    assertThat(decide(backlog(15_001), 20_000)).singleElement().isInstanceOf(ScalingPolicy.Launch.class);
  }

  @Test
  void oldestWaitWaitsForCooldownWhileALaunchIsStillBooting() {
    policy = new ScalingPolicy(CFG.withRule(ScalingConfig.Rule.OLDEST_WAIT), true);
    active("a", 0);
    assertThat(decide(backlog(20_000), 100_000)).hasSize(1);
    workers.launching("b", 100_000);
    assertThat(decide(backlog(20_000), 130_000)).as("b still boots, cooldown not over").isEmpty();
    assertThat(decide(backlog(20_000), 160_001)).singleElement().isInstanceOf(ScalingPolicy.Launch.class);
  }

  @Test
  void oldestWaitLaunchesAgainAtOnceWhenNothingIsBooting() {
    policy = new ScalingPolicy(CFG.withRule(ScalingConfig.Rule.OLDEST_WAIT), true);
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
      assertThat(decide(heavyBacklog(1.5, 20_000), now)).hasSize(1);
      policy.launchFailed(now, now, true, "InsufficientInstanceCapacity");
      assertThat(decide(heavyBacklog(1.5, 20_000), policy.nextLaunchAt() - 1)).isEmpty();
      gaps.add(policy.nextLaunchAt() - now);
      now = policy.nextLaunchAt();
    }
    assertThat(gaps).containsExactly(1_000L, 2_000L, 4_000L, 8_000L, 16_000L);
    policy.launchSucceeded();
    assertThat(decide(heavyBacklog(1.5, 20_000), now)).hasSize(1);
  }

  @Test
  void backOffIsCappedAtMaxBackoff() {
    for (int i = 0; i < 40; i++) {
      policy.launchFailed(i, i, true, "throttled");
    }
    assertThat(policy.nextLaunchAt()).isEqualTo(39 + CFG.maxBackoffMs());
  }

  @Test
  void aPermanentFailureStopsLaunchingAndSaysWhy() {
    policy.launchFailed(0, 0, false, "UnauthorizedOperation: not allowed");
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

  // ---- the planner ---------------------------------------------------------------------------

  private WorkerRecord measured(String id, double hashRate, double busyFraction, long now) {
    WorkerRecord w = active(id, now);
    w.reportStats(hashRate, busyFraction, 0, 1, now);
    return w;
  }

  @Test
  void plannerLaunchesEveryWorkerTheBacklogNeedsInOneTick() {
    policy = new ScalingPolicy(WIDE, true);
    List<ScalingPolicy.Action> actions = decide(heavyBacklog(7.5, 20_000), 100_000);
    assertThat(launches(actions)).as("7.5 worker-minutes to drain in one minute").isEqualTo(8);
    assertThat(((ScalingPolicy.Launch) actions.get(0)).reason()).contains("need 8 workers", "workerHashRateEstimate");
    assertThat(policy.lastPlan().desiredWorkers()).isEqualTo(8);
  }

  @Test
  void plannerCountsWorkersStillBootingAndLaunchesOnlyWhatIsMissing() {
    policy = new ScalingPolicy(WIDE, true);
    for (int i = 0; i < 5; i++) {
      workers.launching("boot-" + i, 90_000);
    }
    active("a", 0).workedAt(99_000);
    assertThat(launches(decide(heavyBacklog(7.5, 20_000), 100_000))).isEqualTo(2);
  }

  @Test
  void plannerNeverPlansPastMaxWorkers() {
    policy = new ScalingPolicy(WIDE, true);
    assertThat(launches(decide(heavyBacklog(1_000, 20_000), 100_000))).isEqualTo(20);
    assertThat(policy.lastPlan().desiredWorkers()).isEqualTo(20);
  }

  @Test
  void plannerLaunchesOnlyOnceTheOldestWorkWaitedLongerThanScaleOutAfter() {
    policy = new ScalingPolicy(WIDE, true);
    assertThat(decide(heavyBacklog(3, 15_000), 100_000)).isEmpty();
    assertThat(launches(decide(heavyBacklog(3, 15_001), 100_000))).isEqualTo(3);
  }

  @Test
  void plannerLaunchesUpToMinWorkersAtOnceWithoutBacklog() {
    policy = new ScalingPolicy(new ScalingConfig(1000, 3, 5, 15_000, 60_000, 600_000, 120_000, 60_000, 300_000,
        ScalingConfig.Rule.PLANNER, DRAIN_MS, ESTIMATE), true);
    List<ScalingPolicy.Action> actions = decide(EMPTY, 0);
    assertThat(launches(actions)).isEqualTo(3);
    assertThat(((ScalingPolicy.Launch) actions.get(0)).reason()).isEqualTo("below minWorkers=3");
  }

  @Test
  void plannerSizesByTheWorkersMeasuredCapacityNotTheEstimate() {
    policy = new ScalingPolicy(WIDE, true);
    // Twice the estimate when busy: one at 2 M/s fully busy, one at 1 M/s half busy.
    measured("a", 2 * ESTIMATE, 1.0, 0).workedAt(99_000);
    measured("b", ESTIMATE, 0.5, 0).workedAt(99_000);
    assertThat(launches(decide(heavyBacklog(12, 20_000), 100_000))).as("12 estimated worker-minutes = 6 measured")
        .isEqualTo(4);
    assertThat(policy.lastPlan().workerHashRate()).isEqualTo(2.0 * ESTIMATE);
    assertThat(policy.lastPlan().measured()).isTrue();
  }

  @Test
  void plannerKeepsTheLastMeasuredRateWhileNoWorkerIsBusyEnoughToMeasure() {
    policy = new ScalingPolicy(WIDE, true);
    WorkerRecord a = measured("a", 3 * ESTIMATE, 1.0, 0);
    decide(EMPTY, 1_000);
    a.reportStats(0, 0, 0, 1, 2_000);
    a.workedAt(99_000);
    decide(heavyBacklog(9, 20_000), 100_000);
    assertThat(policy.lastPlan().desiredWorkers()).as("9 estimated worker-minutes at 3x the estimate").isEqualTo(3);
  }

  @Test
  void plannerUsesTheEstimateWhenWorkersReportNothingUsable() {
    policy = new ScalingPolicy(WIDE, true);
    measured("old", Double.NaN, Double.NaN, 0).workedAt(99_000);
    measured("bad", -1, 7, 0).workedAt(99_000);
    decide(heavyBacklog(4, 20_000), 100_000);
    assertThat(policy.lastPlan().workerHashRate()).isEqualTo((double) ESTIMATE);
    assertThat(policy.lastPlan().measured()).isFalse();
    assertThat(policy.lastPlan().desiredWorkers()).isEqualTo(4);
  }

  @Test
  void plannerCountsWhatIsLeftOfTheWorksInFlight() {
    policy = new ScalingPolicy(WIDE, true);
    // 100 pending works, 2 worker-minutes; 100 more leased, counted half done: one more worker-minute.
    decide(heavyBacklog(2, 20_000, 100), 100_000);
    assertThat(policy.lastPlan().desiredWorkers()).isEqualTo(3);
  }

  @Test
  void plannerDesiresNothingWithoutPendingWork() {
    policy = new ScalingPolicy(WIDE, true);
    active("a", 0).workedAt(99_000);
    assertThat(decide(new QueueStats(0, 0, 0, 50, 0, 0, 0), 100_000)).isEmpty();
    assertThat(policy.lastPlan().desiredWorkers()).isZero();
  }

  @Test
  void idleWorkersRetireButNeverBelowWhatThePendingBacklogNeeds() {
    policy = new ScalingPolicy(WIDE, true);
    for (String id : List.of("a", "b", "c", "d")) {
      active(id, 0);
    }
    assertThat(retirements(decide(heavyBacklog(2.5, 1_000), 700_000))).as("three are needed").hasSize(1);
    assertThat(retirements(decide(EMPTY, 700_000))).as("nothing pending: the idle rule alone").hasSize(4);
  }

  @Test
  void aBatchOfLaunchesThatFailsTogetherBacksOffOnce() {
    policy = new ScalingPolicy(WIDE, true);
    assertThat(launches(decide(heavyBacklog(5, 20_000), 100_000))).isEqualTo(5);
    for (int i = 0; i < 3; i++) {
      policy.launchFailed(101_000, 100_000, true, "InsufficientInstanceCapacity");
    }
    assertThat(policy.consecutiveFailures()).isEqualTo(1);
    assertThat(policy.nextLaunchAt()).isEqualTo(102_000);
    assertThat(launches(decide(heavyBacklog(5, 20_000), 102_000))).as("all five again: none registered").isEqualTo(5);
    policy.launchFailed(103_000, 102_000, true, "InsufficientInstanceCapacity");
    assertThat(policy.consecutiveFailures()).as("a launch made after the failure was known").isEqualTo(2);
    assertThat(policy.nextLaunchAt()).isEqualTo(105_000);
  }

  /** Four active workers w0..w3, each of whose last heartbeat said it was this busy. */
  private void fourWorkersEach(double busyFraction) {
    for (int i = 0; i < 4; i++) {
      measured("w" + i, 2 * ESTIMATE * busyFraction, busyFraction, 0);
    }
  }

  /** A tick at which every worker got work recently, the i-th of them {@code ago[i]} ms before. */
  private List<ScalingPolicy.Action> decideWhileBusy(QueueStats q, long now, long... ago) {
    List<WorkerRecord> all = workers.managed();
    for (int i = 0; i < all.size(); i++) {
      all.get(i).workedAt(now - (ago.length == 0 ? 100 : ago[i]));
    }
    return decide(q, now);
  }

  @Test
  void aFleetThatLeavesWholeWorkersUnusedForIdleTimeoutRetiresThemThoughNoneIsIdle() {
    policy = new ScalingPolicy(WIDE, true);
    fourWorkersEach(0.5);
    assertThat(decideWhileBusy(EMPTY, 1_000)).as("the unused capacity is only just seen").isEmpty();
    assertThat(decideWhileBusy(EMPTY, 601_000)).as("not for longer than idleTimeoutMs yet").isEmpty();
    List<ScalingPolicy.Action> actions = decideWhileBusy(EMPTY, 601_001, 100, 400, 200, 300);
    assertThat(retirements(actions)).as("two workers' load on four: the two given work longest ago")
        .containsExactly("w1", "w3");
    assertThat(((ScalingPolicy.Retire) actions.get(0)).reason()).contains("2 workers' capacity unused");
  }

  @Test
  void onlyTheLeastUnusedCapacityOverTheWholeTimeRetires() {
    policy = new ScalingPolicy(WIDE, true);
    fourWorkersEach(0.25);
    decideWhileBusy(EMPTY, 1_000);
    workers.managed().forEach(w -> w.reportStats(1, 0.6, 0, 1, 300_000)); // 2.4 workers busy: one unused
    decideWhileBusy(EMPTY, 300_000);
    workers.managed().forEach(w -> w.reportStats(1, 0.25, 0, 1, 400_000));
    assertThat(retirements(decideWhileBusy(EMPTY, 601_001))).hasSize(1);
  }

  @Test
  void pendingWorkStartsTheUnusedCapacityTimeOver() {
    policy = new ScalingPolicy(WIDE, true);
    fourWorkersEach(0.25);
    decideWhileBusy(EMPTY, 1_000);
    decideWhileBusy(backlog(0), 300_000);
    assertThat(decideWhileBusy(EMPTY, 601_001)).as("the unused time begins again after the backlog").isEmpty();
    assertThat(decideWhileBusy(EMPTY, 1_201_001)).isEmpty();
    assertThat(retirements(decideWhileBusy(EMPTY, 1_201_002))).as("one worker's load on four").hasSize(3);
  }

  @Test
  void aWorkerThatReportsNoBusyFractionCountsAsBusy() {
    policy = new ScalingPolicy(WIDE, true);
    for (int i = 0; i < 3; i++) {
      active("w" + i, 0);
    }
    decideWhileBusy(EMPTY, 1_000);
    assertThat(decideWhileBusy(EMPTY, 700_000)).as("an older worker: the idle rule alone decides").isEmpty();
  }

  @Test
  void theOldestWaitRuleRetiresOnlyIdleWorkers() {
    policy = new ScalingPolicy(WIDE.withRule(ScalingConfig.Rule.OLDEST_WAIT), true);
    fourWorkersEach(0.25);
    decideWhileBusy(EMPTY, 1_000);
    assertThat(decideWhileBusy(EMPTY, 700_000)).isEmpty();
  }
}
