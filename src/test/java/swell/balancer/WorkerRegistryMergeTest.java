package swell.balancer;

import org.junit.jupiter.api.Test;
import swell.fleet.FleetMember;
import swell.store.Coordination;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The registry's half of the cluster's worker table: what goes out, and what comes back in. */
class WorkerRegistryMergeTest {
  private static final long T0 = 1_000_000;

  private static Coordination.Worker row(String id, boolean managed, String state, long lastSeen, long completed,
                                         String member) {
    return new Coordination.Worker(id, null, 2, lastSeen, lastSeen, completed, null, null, managed, state, T0, T0,
        member, member == null ? null : T0);
  }

  @Test
  void contactsGoOutOnceWithTheResultsCountedSinceTheLastSync() {
    WorkerRegistry registry = new WorkerRegistry();
    WorkerRecord w = registry.seen("w-1", "i-1", 2, T0);
    w.recordCompleted(5);

    List<Coordination.Contact> first = registry.takeContacts();
    assertThat(first).singleElement().satisfies(c -> {
      assertThat(c.id()).isEqualTo("w-1");
      assertThat(c.completed()).isEqualTo(5);
      assertThat(c.lastSeen()).isEqualTo(T0);
    });
    assertThat(registry.takeContacts()).isEmpty();
  }

  @Test
  void aFollowerTakesTheLeadersDecisionsAndDropsWhatTheLeaderDropped() {
    WorkerRegistry follower = new WorkerRegistry();
    follower.seen("w-1", null, 2, T0);
    follower.merge(List.of(row("w-1", true, "active", T0, 3, "pid-7"), row("w-2", true, "retiring", T0, 0, null)),
        false, T0 + 1);

    assertThat(follower.get("w-1").managed).isTrue();
    assertThat(follower.get("w-1").member).isEqualTo(new FleetMember("w-1", "pid-7", T0));
    assertThat(follower.get("w-1").completed).isEqualTo(3);
    assertThat(follower.get("w-2").state()).isEqualTo(WorkerState.RETIRING);

    follower.merge(List.of(row("w-1", true, "terminating", T0 + 5, 3, "pid-7")), false, T0 + 6);

    assertThat(follower.get("w-1").state()).isEqualTo(WorkerState.TERMINATING);
    assertThat(follower.get("w-2")).as("the leader forgot it").isNull();
  }

  @Test
  void theLeaderKeepsItsDecisionsAdoptsAnEarlierLeadersWorkersAndLearnsOfRegistrationsElsewhere() {
    WorkerRegistry leader = new WorkerRegistry();
    leader.launching("w-new", T0);
    leader.seen("w-mine", null, 2, T0);
    leader.get("w-mine").managed = true;
    leader.get("w-mine").moveTo(WorkerState.RETIRING, T0);

    List<String> registered = leader.merge(List.of(
        row("w-new", true, "launching", T0 + 500, 0, null),    // a contact elsewhere after its launch
        row("w-mine", true, "active", T0, 0, null),            // stale: the leader's own decision stands
        row("w-old", true, "retiring", T0, 9, "i-abc")), true, T0 + 600);

    assertThat(registered).containsExactly("w-new");
    assertThat(leader.get("w-new").state()).isEqualTo(WorkerState.ACTIVE);
    assertThat(leader.get("w-mine").state()).isEqualTo(WorkerState.RETIRING);
    assertThat(leader.get("w-old").managed).isTrue();
    assertThat(leader.get("w-old").state()).isEqualTo(WorkerState.RETIRING);
    assertThat(leader.decisions()).extracting(Coordination.Decision::id).contains("w-new", "w-mine", "w-old");
  }

  @Test
  void forgottenWorkersAreHandedOverOnce() {
    WorkerRegistry registry = new WorkerRegistry();
    registry.seen("w-1", null, 1, T0);
    registry.remove("w-1");
    registry.seen("w-2", null, 1, T0);
    registry.forgetSilent(T0 + 1_000_000, 1_000);

    assertThat(registry.takeForgotten()).containsExactly("w-1", "w-2");
    assertThat(registry.takeForgotten()).isEmpty();
  }

  @Test
  void aWorkersHashRateHeardByOneBalancerReachesTheLeadersPlanner() {
    WorkerRegistry follower = new WorkerRegistry();
    follower.seen("w-1", null, 2, T0).reportStats(9_000_000, 0.9, 4, 2, T0);
    assertThat(follower.takeContacts()).singleElement().satisfies(c -> {
      assertThat(c.hashRate()).isEqualTo(9_000_000.0);
      assertThat(c.busyFraction()).isEqualTo(0.9);
    });

    WorkerRegistry leader = new WorkerRegistry();
    leader.launching("w-1", T0 - 90_000);
    leader.merge(List.of(new Coordination.Worker("w-1", null, 2, T0, T0, 4, 9_000_000.0, 0.9, true, "launching",
        T0 - 90_000, T0 - 90_000, null, null)), true, T0 + 1);
    assertThat(leader.get("w-1").hashRate()).isEqualTo(9_000_000.0);
    assertThat(leader.get("w-1").busyFraction()).isEqualTo(0.9);

    leader.get("w-1").reportStats(8_000_000, 0.5, 5, 2, T0 + 5_000);
    leader.merge(List.of(row("w-1", true, "active", T0, 4, null)), true, T0 + 6_000);
    assertThat(leader.get("w-1").hashRate()).as("a newer report heard here stands").isEqualTo(8_000_000.0);
  }
}
