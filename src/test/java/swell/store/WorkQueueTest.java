package swell.store;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The queue's decisions driven by a fake clock: every time here is a number passed in, nothing sleeps. */
class WorkQueueTest {
  private static final long T0 = 1_000_000;
  private static final long LEASE_MS = 30_000;
  private static final long NO_BUDGET = Long.MAX_VALUE;

  private final WorkQueue queue = new WorkQueue(3);

  private static List<UUID> ids(List<WorkQueue.Lease> leases) {
    return leases.stream().map(WorkQueue.Lease::id).toList();
  }

  @Test
  void leaseHandsOutOldestEnqueuedFirst() {
    UUID late = UUID.randomUUID();
    UUID early = UUID.randomUUID();
    UUID middle = UUID.randomUUID();
    queue.addPending(late, 1, T0 + 20, 0);
    queue.addPending(early, 1, T0, 0);
    queue.addPending(middle, 1, T0 + 10, 0);

    assertThat(ids(queue.lease("w1", 2, NO_BUDGET, T0 + 30, LEASE_MS))).containsExactly(early, middle);
    assertThat(ids(queue.lease("w1", 2, NO_BUDGET, T0 + 30, LEASE_MS))).containsExactly(late);
    assertThat(queue.lease("w1", 2, NO_BUDGET, T0 + 30, LEASE_MS)).isEmpty();
  }

  @Test
  void addingALiveIdAgainIsRefused() {
    UUID id = UUID.randomUUID();
    assertThat(queue.addPending(id, 1, T0, 0)).isTrue();
    assertThat(queue.addPending(id, 1, T0, 0)).isFalse();
    assertThat(queue.pendingCount()).isEqualTo(1);
  }

  @Test
  void requeuedWorkComesBackInItsFifoPosition() {
    UUID first = UUID.randomUUID();
    UUID second = UUID.randomUUID();
    UUID third = UUID.randomUUID();
    queue.addPending(first, 1, T0, 0);
    queue.addPending(second, 1, T0 + 1, 0);
    queue.addPending(third, 1, T0 + 2, 0);
    queue.lease("w1", 1, NO_BUDGET, T0, LEASE_MS); // first

    queue.expire(T0 + LEASE_MS);

    assertThat(ids(queue.lease("w2", 3, NO_BUDGET, T0 + LEASE_MS, LEASE_MS))).containsExactly(first, second, third);
  }

  @Test
  void iterationBudgetCapsALeaseButAtLeastOneWorkIsLeased() {
    UUID heavy = UUID.randomUUID();
    UUID light1 = UUID.randomUUID();
    UUID light2 = UUID.randomUUID();
    UUID light3 = UUID.randomUUID();
    queue.addPending(heavy, 1_000, T0, 0);
    queue.addPending(light1, 40, T0 + 1, 0);
    queue.addPending(light2, 40, T0 + 2, 0);
    queue.addPending(light3, 40, T0 + 3, 0);

    // The heavy work alone passes the budget: it is still leased, alone.
    assertThat(ids(queue.lease("w1", 10, 100, T0, LEASE_MS))).containsExactly(heavy);
    // 40 + 40 fit in 100, a third 40 does not.
    assertThat(ids(queue.lease("w1", 10, 100, T0, LEASE_MS))).containsExactly(light1, light2);
    assertThat(ids(queue.lease("w1", 10, 100, T0, LEASE_MS))).containsExactly(light3);
  }

  @Test
  void leaseOfNothingOrZeroWorksLeasesNothing() {
    assertThat(queue.lease("w1", 5, NO_BUDGET, T0, LEASE_MS)).isEmpty();
    queue.addPending(UUID.randomUUID(), 1, T0, 0);
    assertThat(queue.lease("w1", 0, NO_BUDGET, T0, LEASE_MS)).isEmpty();
    assertThat(queue.pendingCount()).isEqualTo(1);
  }

  @Test
  void extendOnlyWorksForTheHoldingWorker() {
    UUID id = UUID.randomUUID();
    queue.addPending(id, 1, T0, 0);
    queue.lease("holder", 1, NO_BUDGET, T0, LEASE_MS);

    assertThat(queue.extend("other", List.of(id), T0 + 20_000, LEASE_MS)).isZero();
    assertThat(queue.extend("holder", List.of(id, UUID.randomUUID()), T0 + 20_000, LEASE_MS)).isEqualTo(1);

    // The original lease would have ended at T0 + 30000; the extension holds until T0 + 50000.
    assertThat(queue.expire(T0 + 40_000).requeued()).isEmpty();
    assertThat(queue.expire(T0 + 50_000).requeued()).containsExactly(id);
  }

  @Test
  void expiredLeaseReturnsWorkToQueue() {
    UUID id = UUID.randomUUID();
    queue.addPending(id, 7, T0, 0);
    queue.lease("w1", 1, NO_BUDGET, T0, LEASE_MS);
    assertThat(queue.find(id).status()).isEqualTo(WorkStatus.RUNNING);
    assertThat(queue.find(id).workerId()).isEqualTo("w1");

    assertThat(queue.expire(T0 + LEASE_MS - 1).outcome()).isEqualTo(ExpiryOutcome.NONE);
    WorkQueue.Expiry expiry = queue.expire(T0 + LEASE_MS);

    assertThat(expiry.requeued()).containsExactly(id);
    assertThat(expiry.failed()).isEmpty();
    assertThat(queue.find(id).status()).isEqualTo(WorkStatus.QUEUED);
    assertThat(queue.find(id).workerId()).isNull();
    assertThat(queue.stats(T0 + LEASE_MS)).isEqualTo(new QueueStats(1, LEASE_MS, 0, 0, 0));
  }

  @Test
  void attemptsCountDeliveriesAndTheLastAllowedOneFails() {
    UUID id = UUID.randomUUID();
    queue.addPending(id, 9, T0, 0);
    long now = T0;
    for (int attempt = 1; attempt <= 2; attempt++) {
      List<WorkQueue.Lease> leased = queue.lease("w", 1, NO_BUDGET, now, LEASE_MS);
      assertThat(leased).extracting(WorkQueue.Lease::attempts).containsExactly(attempt);
      now += LEASE_MS;
      assertThat(queue.expire(now).requeued()).containsExactly(id);
    }
    assertThat(queue.lease("w", 1, NO_BUDGET, now, LEASE_MS)).extracting(WorkQueue.Lease::attempts).containsExactly(3);
    long failedAt = now + LEASE_MS;

    WorkQueue.Expiry expiry = queue.expire(failedAt);

    assertThat(expiry.requeued()).isEmpty();
    assertThat(expiry.failed()).singleElement().satisfies(f -> {
      assertThat(f.id()).isEqualTo(id);
      assertThat(f.status()).isEqualTo(WorkStatus.FAILED);
      assertThat(f.attempts()).isEqualTo(3);
      assertThat(f.iterations()).isEqualTo(9);
      assertThat(f.finishedAt()).isEqualTo(failedAt);
    });
    assertThat(expiry.outcome().failed()).containsExactly(id);
    assertThat(queue.find(id)).isNull();
    assertThat(queue.contains(id)).isFalse();
    assertThat(queue.lease("w", 1, NO_BUDGET, failedAt, LEASE_MS)).isEmpty();
    assertThat(queue.stats(failedAt)).isEqualTo(new QueueStats(0, 0, 0, 0, 1));
    assertThat(queue.complete(id, new byte[] {1}, failedAt)).isFalse(); // too late: failed stays failed
  }

  @Test
  void restoredAttemptsCountTowardsMaxAttempts() {
    UUID id = UUID.randomUUID();
    queue.addPending(id, 1, T0, 2);
    assertThat(queue.lease("w", 1, NO_BUDGET, T0, LEASE_MS)).extracting(WorkQueue.Lease::attempts).containsExactly(3);
    assertThat(queue.expire(T0 + LEASE_MS).outcome().failed()).containsExactly(id);
  }

  @Test
  void releaseReturnsOnlyTheLeavingWorkersWorks() {
    UUID mine = UUID.randomUUID();
    UUID theirs = UUID.randomUUID();
    queue.addPending(mine, 1, T0, 0);
    queue.addPending(theirs, 1, T0 + 1, 0);
    queue.lease("leaving", 1, NO_BUDGET, T0, LEASE_MS);
    queue.lease("staying", 1, NO_BUDGET, T0, LEASE_MS);

    assertThat(queue.release("leaving")).containsExactly(mine);

    assertThat(queue.find(mine).status()).isEqualTo(WorkStatus.QUEUED);
    assertThat(queue.find(theirs).status()).isEqualTo(WorkStatus.RUNNING);
    assertThat(queue.lease("next", 5, NO_BUDGET, T0, LEASE_MS))
        .singleElement().satisfies(l -> {
          assertThat(l.id()).isEqualTo(mine);
          assertThat(l.attempts()).isEqualTo(2);
        });
  }

  @Test
  void unleaseReturnsWorkWithoutCountingADelivery() {
    UUID id = UUID.randomUUID();
    queue.addPending(id, 1, T0, 0);
    queue.lease("w", 1, NO_BUDGET, T0, LEASE_MS);

    queue.unlease(id);

    assertThat(queue.find(id).attempts()).isZero();
    assertThat(queue.lease("w", 1, NO_BUDGET, T0, LEASE_MS)).extracting(WorkQueue.Lease::attempts).containsExactly(1);
  }

  @Test
  void firstResultWins() {
    UUID id = UUID.randomUUID();
    queue.addPending(id, 1, T0, 0);
    queue.lease("w1", 1, NO_BUDGET, T0, LEASE_MS);

    assertThat(queue.complete(id, new byte[] {1}, T0 + 5)).isTrue();
    assertThat(queue.complete(id, new byte[] {2}, T0 + 6)).isFalse();

    assertThat(queue.find(id).status()).isEqualTo(WorkStatus.COMPLETED);
    assertThat(queue.pull(10)).singleElement().satisfies(w -> {
      assertThat(w.result()).containsExactly(1);
      assertThat(w.finishedAt()).isEqualTo(T0 + 5);
    });
    assertThat(queue.complete(id, new byte[] {3}, T0 + 7)).isFalse(); // pulled: unknown now
  }

  @Test
  void lateResultForARequeuedWorkCompletesItAndItIsNotLeasedAgain() {
    UUID slow = UUID.randomUUID();
    UUID next = UUID.randomUUID();
    queue.addPending(slow, 1, T0, 0);
    queue.addPending(next, 1, T0 + 1, 0);
    queue.lease("w1", 1, NO_BUDGET, T0, LEASE_MS);
    queue.expire(T0 + LEASE_MS);
    assertThat(queue.stats(T0 + LEASE_MS).pending()).isEqualTo(2);

    assertThat(queue.complete(slow, new byte[] {42}, T0 + LEASE_MS + 1)).isTrue();

    assertThat(queue.stats(T0 + LEASE_MS + 1)).isEqualTo(new QueueStats(1, LEASE_MS, 0, 1, 0));
    assertThat(ids(queue.lease("w2", 5, NO_BUDGET, T0 + LEASE_MS + 1, LEASE_MS))).containsExactly(next);
    assertThat(queue.pull(5)).extracting(WorkInfo::id).containsExactly(slow);
  }

  @Test
  void pullReturnsNewestCompletionFirstAndEachResultOnce() {
    UUID a = UUID.randomUUID();
    UUID b = UUID.randomUUID();
    UUID c = UUID.randomUUID();
    for (UUID id : List.of(a, b, c)) {
      queue.addPending(id, 5, T0, 0);
    }
    queue.lease("w", 3, NO_BUDGET, T0, LEASE_MS);
    queue.complete(b, new byte[] {2}, T0 + 1);
    queue.complete(a, new byte[] {1}, T0 + 2);
    queue.complete(c, new byte[] {3}, T0 + 3);

    List<WorkInfo> first = queue.pull(2);
    assertThat(first).extracting(WorkInfo::id).containsExactly(c, a);
    assertThat(first).allSatisfy(w -> {
      assertThat(w.pulled()).isTrue();
      assertThat(w.attempts()).isEqualTo(1);
      assertThat(w.iterations()).isEqualTo(5);
    });
    assertThat(queue.pull(2)).extracting(WorkInfo::id).containsExactly(b);
    assertThat(queue.pull(2)).isEmpty();
    assertThat(queue.find(a)).isNull();
  }

  @Test
  void unpullPutsResultsBackBehindNewerCompletions() {
    UUID a = UUID.randomUUID();
    UUID b = UUID.randomUUID();
    UUID c = UUID.randomUUID();
    for (UUID id : List.of(a, b, c)) {
      queue.addPending(id, 1, T0 + 7, 0);
    }
    queue.lease("w", 3, NO_BUDGET, T0, LEASE_MS);
    queue.complete(a, new byte[] {1}, T0 + 1);
    queue.complete(b, new byte[] {2}, T0 + 2);
    List<WorkInfo> pulled = queue.pull(2); // b, a
    queue.complete(c, new byte[] {3}, T0 + 3); // completes while the pull is being written

    queue.unpull(pulled);

    assertThat(queue.find(a).attempts()).isEqualTo(1);
    assertThat(queue.find(a).enqueuedAt()).isEqualTo(T0 + 7);
    assertThat(queue.pull(10)).extracting(WorkInfo::id).containsExactly(c, b, a);
  }

  @Test
  void restoredCompletedWorksAreSortedByCompletionTime() {
    UUID older = UUID.randomUUID();
    UUID newer = UUID.randomUUID();
    queue.addCompleted(newer, 1, T0, 1, new byte[] {2}, T0 + 20);
    queue.addCompleted(older, 1, T0, 1, new byte[] {1}, T0 + 10);
    queue.sortCompleted();

    assertThat(queue.pull(10)).extracting(WorkInfo::id).containsExactly(newer, older);
  }

  @Test
  void statsCountEveryStateAndTheOldestPendingAge() {
    assertThat(queue.stats(T0)).isEqualTo(new QueueStats(0, 0, 0, 0, 0));
    UUID leased = UUID.randomUUID();
    UUID done = UUID.randomUUID();
    queue.addPending(leased, 1, T0, 0);
    queue.addPending(done, 1, T0 + 100, 0);
    queue.addPending(UUID.randomUUID(), 1, T0 + 200, 0);
    queue.addPending(UUID.randomUUID(), 1, T0 + 300, 0);
    queue.lease("w", 1, NO_BUDGET, T0 + 400, LEASE_MS);
    queue.complete(done, new byte[] {1}, T0 + 500); // completed while still queued
    queue.countFailed(2);

    // The oldest still pending is the one enqueued at T0 + 200.
    assertThat(queue.stats(T0 + 1_000)).isEqualTo(new QueueStats(2, 800, 1, 1, 2));

    queue.forgetFailed(5);
    assertThat(queue.stats(T0 + 1_000).failed()).isZero();
  }
}
