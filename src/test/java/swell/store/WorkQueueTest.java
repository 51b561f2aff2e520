package swell.store;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The queue's decisions driven by a fake clock: every time here is a number passed in, nothing sleeps. */
class WorkQueueTest {
  private static final long T0 = 1_000_000;
  private static final long LEASE_MS = 30_000;
  private static final String ANON = "";

  private final WorkQueue queue = new WorkQueue(new StoreLimits(1_000, 1_000, 3, 60_000));

  private static List<UUID> ids(List<WorkQueue.Lease> leases) {
    return leases.stream().map(WorkQueue.Lease::id).toList();
  }

  private UUID add(int iterations, long enqueuedAt) {
    UUID id = UUID.randomUUID();
    queue.addPending(id, ANON, iterations, 10, enqueuedAt, 0, 0);
    return id;
  }

  private List<WorkQueue.Lease> lease(String worker, int max, long now) {
    return queue.lease(worker, LeaseLimits.count(max), now, LEASE_MS);
  }

  /** Leases one work to {@code worker} and records its result there. */
  private void complete(String worker, UUID id, long now) {
    assertThat(ids(lease(worker, 1, now))).containsExactly(id);
    assertThat(queue.beginComplete(worker, id, new byte[] {1}, now)).isEqualTo(WorkQueue.Verdict.ACCEPTED);
    queue.commitComplete(id);
  }

  @Test
  void worksOfOneOwnerShareOneCopyOfItsName() {
    UUID a = UUID.randomUUID();
    UUID b = UUID.randomUUID();
    UUID c = UUID.randomUUID();
    queue.addPending(a, new String("alice"), 1, 10, T0, 0, 0);
    queue.addPending(b, new String("alice"), 1, 10, T0, 0, 0);
    queue.addCompleted(c, new String("alice"), 1, T0, 1, new byte[64], T0, 0);

    assertThat(queue.entry(b).owner).isEqualTo("alice").isSameAs(queue.entry(a).owner);
    assertThat(queue.entry(c).owner).isSameAs(queue.entry(a).owner);
  }

  @Test
  void leaseHandsOutOldestEnqueuedFirst() {
    UUID late = add(1, T0 + 20);
    UUID early = add(1, T0);
    UUID middle = add(1, T0 + 10);

    assertThat(ids(lease("w1", 2, T0 + 30))).containsExactly(early, middle);
    assertThat(ids(lease("w1", 2, T0 + 30))).containsExactly(late);
    assertThat(lease("w1", 2, T0 + 30)).isEmpty();
  }

  @Test
  void addingALiveIdAgainIsRefused() {
    UUID id = add(1, T0);
    assertThat(queue.addPending(id, ANON, 1, 10, T0, 0, 0)).isFalse();
    assertThat(queue.pendingCount()).isEqualTo(1);
  }

  @Test
  void requeuedWorkComesBackInItsFifoPosition() {
    UUID first = add(1, T0);
    UUID second = add(1, T0 + 1);
    UUID third = add(1, T0 + 2);
    lease("w1", 1, T0);

    queue.expire(T0 + LEASE_MS);

    assertThat(ids(lease("w2", 3, T0 + LEASE_MS))).containsExactly(first, second, third);
  }

  @Test
  void iterationBudgetCapsALeaseButAtLeastOneWorkIsLeased() {
    UUID heavy = add(1_000, T0);
    UUID light1 = add(40, T0 + 1);
    UUID light2 = add(40, T0 + 2);
    UUID light3 = add(40, T0 + 3);
    LeaseLimits budget = new LeaseLimits(10, 100, Long.MAX_VALUE);

    // The heavy work alone passes the budget: it is still leased, alone.
    assertThat(ids(queue.lease("w1", budget, T0, LEASE_MS))).containsExactly(heavy);
    // 40 + 40 fit in 100, a third 40 does not.
    assertThat(ids(queue.lease("w1", budget, T0, LEASE_MS))).containsExactly(light1, light2);
    assertThat(ids(queue.lease("w1", budget, T0, LEASE_MS))).containsExactly(light3);
  }

  @Test
  void byteBudgetCapsALeaseByBodySize() {
    UUID[] ids = new UUID[5];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = UUID.randomUUID();
      queue.addPending(ids[i], ANON, 1, 1 << 20, T0 + i, 0, 0); // 1 MiB bodies
    }
    LeaseLimits budget = new LeaseLimits(256, Long.MAX_VALUE, 2L << 20);

    assertThat(ids(queue.lease("w", budget, T0, LEASE_MS))).containsExactly(ids[0], ids[1]);
    assertThat(ids(queue.lease("w", budget, T0, LEASE_MS))).containsExactly(ids[2], ids[3]);
    assertThat(ids(queue.lease("w", budget, T0, LEASE_MS))).containsExactly(ids[4]);
  }

  @Test
  void leaseOfNothingOrZeroWorksLeasesNothing() {
    assertThat(lease("w1", 5, T0)).isEmpty();
    add(1, T0);
    assertThat(lease("w1", 0, T0)).isEmpty();
    assertThat(queue.pendingCount()).isEqualTo(1);
  }

  @Test
  void extendOnlyWorksForTheHoldingWorkerAndTakesBackWhatIsPending() {
    UUID id = add(1, T0);
    lease("w1", 1, T0);

    assertThat(queue.extend("w2", List.of(id), T0 + 10_000, LEASE_MS)).isZero();
    assertThat(queue.extend("w1", List.of(id, UUID.randomUUID()), T0 + 10_000, LEASE_MS)).isEqualTo(1);
    assertThat(queue.expire(T0 + LEASE_MS).requeued()).isEmpty();
    assertThat(queue.expire(T0 + 10_000 + LEASE_MS).requeued()).hasSize(1);

    // Back in the queue and leased by nobody: the worker still at it takes it back, once.
    assertThat(queue.extend("w1", List.of(id), T0 + 50_000, LEASE_MS)).isEqualTo(1);
    assertThat(queue.pendingCount()).isZero();
    assertThat(lease("w2", 5, T0 + 50_001)).isEmpty();
    assertThat(queue.expire(T0 + 50_000 + LEASE_MS).requeued()).hasSize(1);
    assertThat(ids(lease("w2", 5, T0 + 90_000))).containsExactly(id);
    assertThat(queue.pendingCount()).isZero();
  }

  @Test
  void attemptsCountDeliveriesAndTheLastAllowedOneFails() {
    UUID id = add(7, T0);
    long now = T0;
    for (int attempt = 1; attempt <= 2; attempt++) {
      assertThat(lease("w", 1, now)).singleElement().extracting(WorkQueue.Lease::attempts).isEqualTo(attempt);
      now += LEASE_MS;
      assertThat(queue.expire(now).requeued()).extracting(x -> x.entry().id()).containsExactly(id);
    }
    lease("w", 1, now);
    now += LEASE_MS;

    WorkQueue.Expiry expiry = queue.expire(now);

    assertThat(expiry.failed()).singleElement().satisfies(x -> {
      assertThat(x.entry().id()).isEqualTo(id);
      assertThat(x.holder()).isEqualTo("w");
    });
    assertThat(expiry.outcome().failed()).containsExactly(new ExpiryOutcome.ExpiredLease(id, "w", 3));
    assertThat(queue.find(id)).isNull();
    assertThat(queue.stats(now).failed()).isEqualTo(1);
  }

  @Test
  void givenBackWorkIsNotCountedAsADelivery() {
    UUID id = add(1, T0);
    lease("w", 1, T0);
    queue.giveBack("other", List.of(id));
    assertThat(queue.pendingCount()).isZero();

    queue.giveBack("w", List.of(id));

    assertThat(lease("w2", 1, T0 + 1)).singleElement().extracting(WorkQueue.Lease::attempts).isEqualTo(1);
  }

  @Test
  void releaseReturnsOnlyTheLeavingWorkersWorks() {
    UUID mine = add(1, T0);
    UUID theirs = add(1, T0 + 1);
    lease("leaving", 1, T0);
    lease("staying", 1, T0);

    assertThat(queue.releaseWorker("leaving")).extracting(WorkQueue.Entry::id).containsExactly(mine);
    assertThat(ids(lease("other", 5, T0 + 1))).containsExactly(mine);
    assertThat(queue.find(theirs).workerId()).isEqualTo("staying");
  }

  @Test
  void aResultCountsFromTheHolderOnlyAndOnlyOnce() {
    UUID id = add(1, T0);
    UUID queued = add(1, T0 + 1);
    lease("holder", 1, T0);

    assertThat(queue.beginComplete("rogue", id, new byte[] {9}, T0)).isEqualTo(WorkQueue.Verdict.NOT_HOLDER);
    assertThat(queue.beginComplete("holder", queued, new byte[] {9}, T0)).isEqualTo(WorkQueue.Verdict.NOT_HOLDER);
    assertThat(queue.beginComplete("holder", id, new byte[] {1}, T0 + 1)).isEqualTo(WorkQueue.Verdict.ACCEPTED);
    assertThat(queue.beginComplete("holder", id, new byte[] {2}, T0 + 2)).isEqualTo(WorkQueue.Verdict.DUPLICATE);
    assertThat(queue.beginComplete("holder", UUID.randomUUID(), new byte[] {2}, T0 + 2))
        .isEqualTo(WorkQueue.Verdict.DUPLICATE);
  }

  @Test
  void aResultBeingWrittenIsNeitherPullableNorExpiredAndAFailedWriteGivesTheLeaseBack() {
    UUID id = add(1, T0);
    lease("w", 1, T0);
    queue.beginComplete("w", id, new byte[] {1}, T0 + 1);

    assertThat(queue.pull(ANON, 10, 0)).isEmpty();
    assertThat(queue.expire(T0 + LEASE_MS).outcome().isEmpty()).isTrue();
    assertThat(queue.find(id).status()).isEqualTo(WorkStatus.RUNNING);

    queue.abortComplete(id);

    assertThat(queue.find(id).workerId()).isEqualTo("w");
    assertThat(queue.beginComplete("w", id, new byte[] {1}, T0 + 2)).isEqualTo(WorkQueue.Verdict.ACCEPTED);
    queue.commitComplete(id);
    assertThat(queue.pull(ANON, 10, 0)).extracting(WorkQueue.Entry::id).containsExactly(id);
  }

  @Test
  void pullGivesEachOwnerItsOwnResultsNewestFirst() {
    UUID a1 = UUID.randomUUID();
    UUID b1 = UUID.randomUUID();
    UUID a2 = UUID.randomUUID();
    queue.addPending(a1, "alice", 1, 10, T0, 0, 0);
    queue.addPending(b1, "bob", 1, 10, T0 + 1, 0, 0);
    queue.addPending(a2, "alice", 1, 10, T0 + 2, 0, 0);
    complete("w", a1, T0 + 10);
    complete("w", b1, T0 + 11);
    complete("w", a2, T0 + 12);

    assertThat(queue.pull("alice", 10, 0)).extracting(WorkQueue.Entry::id).containsExactly(a2, a1);
    assertThat(queue.pull("alice", 10, 0)).isEmpty();
    assertThat(queue.pull("bob", 10, 0)).extracting(WorkQueue.Entry::id).containsExactly(b1);
    assertThat(queue.completedCount()).isZero();
  }

  @Test
  void handedOutResultsComeBackBehindNewerOnesAndAckRemovesThem() {
    UUID first = add(1, T0);
    UUID second = add(1, T0 + 1);
    UUID third = add(1, T0 + 2);
    complete("w", first, T0 + 10);
    complete("w", second, T0 + 11);

    assertThat(queue.pull(ANON, 10, T0 + 1_000)).extracting(WorkQueue.Entry::id).containsExactly(second, first);
    complete("w", third, T0 + 12);
    assertThat(queue.stats(T0 + 12).handedOut()).isEqualTo(2);
    assertThat(queue.stats(T0 + 12).completedUnpulled()).isEqualTo(3);

    assertThat(queue.ack("mallory", List.of(first))).isEmpty();
    assertThat(queue.ack(ANON, List.of(second))).extracting(WorkQueue.Entry::id).containsExactly(second);
    assertThat(queue.expire(T0 + 1_000).handOutsReturned()).containsExactly(first);

    assertThat(queue.pull(ANON, 10, 0)).extracting(WorkQueue.Entry::id).containsExactly(third, first);
  }

  @Test
  void restoredResultsGoBackInCompletionOrder() {
    UUID first = add(1, T0);
    UUID second = add(1, T0 + 1);
    UUID third = add(1, T0 + 2);
    complete("w", first, T0 + 10);
    complete("w", second, T0 + 11);
    List<WorkQueue.Entry> pulled = queue.pull(ANON, 2, 0);
    complete("w", third, T0 + 12);

    queue.restore(pulled);

    assertThat(queue.pull(ANON, 10, 0)).extracting(WorkQueue.Entry::id).containsExactly(third, second, first);
  }

  @Test
  void statsCountEveryStateAndTheOldestPendingAge() {
    add(5, T0);
    add(7, T0 + 100);
    UUID leased = add(1, T0 - 50);
    lease("w", 1, T0 + 200);
    assertThat(queue.find(leased).status()).isEqualTo(WorkStatus.RUNNING);

    QueueStats s = queue.stats(T0 + 500);

    assertThat(s.pending()).isEqualTo(2);
    assertThat(s.pendingIterations()).isEqualTo(12);
    assertThat(s.oldestPendingAgeMs()).isEqualTo(500);
    assertThat(s.leased()).isEqualTo(1);
    assertThat(s.completedUnpulled()).isZero();
  }
}
