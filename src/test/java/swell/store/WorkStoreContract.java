package swell.store;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * What every {@link WorkStore} promises, run against each implementation by a subclass. The
 * durability tests run only for stores that say they are {@link WorkStore#durable()}.
 */
abstract class WorkStoreContract {
  static final long T0 = 1_700_000_000_000L;
  static final long LEASE_MS = 30_000;
  static final long RETENTION_MS = 60_000;
  static final StoreLimits LIMITS = new StoreLimits(10_000, 3, RETENTION_MS);
  static final long NO_BUDGET = Long.MAX_VALUE;

  /** A new, unopened store; for a durable store every call in one test uses the same storage. */
  protected abstract WorkStore create(StoreLimits limits);

  private final List<WorkStore> created = new ArrayList<>();
  WorkStore store;

  @BeforeEach
  void openStore() throws Exception {
    store = open(LIMITS, T0);
  }

  @AfterEach
  void closeStores() {
    created.forEach(WorkStore::close);
  }

  WorkStore open(StoreLimits limits, long now) throws Exception {
    WorkStore s = create(limits);
    created.add(s);
    await(s.open(now));
    return s;
  }

  static <T> T await(CompletableFuture<T> f) throws Exception {
    return f.get(10, SECONDS);
  }

  static NewWork work(int iterations, byte[] data, long enqueuedAt) {
    return new NewWork(UUID.randomUUID(), iterations, data, null, enqueuedAt);
  }

  static NewWork keyed(String key, long enqueuedAt) {
    return new NewWork(UUID.randomUUID(), 1, new byte[] {7}, key, enqueuedAt);
  }

  static byte[] digest(int seed) {
    byte[] b = new byte[64];
    new Random(seed).nextBytes(b);
    return b;
  }

  static byte[] everyByteValue() {
    byte[] b = new byte[512];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) i;
    }
    return b;
  }

  static byte[] random64KiB() {
    byte[] b = new byte[64 * 1024];
    new Random(64).nextBytes(b);
    return b;
  }

  Optional<WorkInfo> find(WorkStore s, UUID id, long now) throws Exception {
    return await(s.find(id, now));
  }

  List<UUID> enqueueAll(WorkStore s, NewWork... works) throws Exception {
    List<EnqueueOutcome> outcomes = await(s.enqueue(List.of(works)));
    assertThat(outcomes).allMatch(EnqueueOutcome::created);
    return outcomes.stream().map(EnqueueOutcome::id).toList();
  }

  // ---- round trip --------------------------------------------------------------------------

  @Test
  void enqueueLeaseCompletePullRoundTripKeepsBodiesIntact() throws Exception {
    NewWork binary = work(3, everyByteValue(), T0);
    NewWork empty = work(1, new byte[0], T0 + 1);
    NewWork large = work(2, random64KiB(), T0 + 2);
    List<EnqueueOutcome> outcomes = await(store.enqueue(List.of(binary, empty, large)));
    assertThat(outcomes).containsExactly(new EnqueueOutcome(binary.id(), true), new EnqueueOutcome(empty.id(), true),
        new EnqueueOutcome(large.id(), true));
    assertThat(store.stats(T0 + 10)).isEqualTo(new QueueStats(3, 10, 0, 0, 0));

    List<LeasedWork> leased = await(store.lease("w1", 10, NO_BUDGET, T0 + 10, LEASE_MS));

    assertThat(leased).extracting(LeasedWork::id).containsExactly(binary.id(), empty.id(), large.id());
    assertThat(leased.get(0).data()).isEqualTo(binary.data());
    assertThat(leased.get(1).data()).isEmpty();
    assertThat(leased.get(2).data()).isEqualTo(large.data());
    assertThat(leased).allSatisfy(l -> {
      assertThat(l.attempts()).isEqualTo(1);
      assertThat(l.leaseUntil()).isEqualTo(T0 + 10 + LEASE_MS);
    });
    assertThat(leased).extracting(LeasedWork::iterations).containsExactly(3, 1, 2);
    assertThat(store.stats(T0 + 10)).isEqualTo(new QueueStats(0, 0, 3, 0, 0));
    assertThat(find(store, empty.id(), T0 + 10)).get().satisfies(i -> {
      assertThat(i.status()).isEqualTo(WorkStatus.RUNNING);
      assertThat(i.workerId()).isEqualTo("w1");
    });

    assertThat(await(store.complete(List.of(new Completion(empty.id(), digest(2))), T0 + 20))).isEqualTo(1);
    assertThat(await(store.complete(List.of(new Completion(binary.id(), digest(1)),
        new Completion(large.id(), digest(3))), T0 + 30))).isEqualTo(2);
    assertThat(store.stats(T0 + 30)).isEqualTo(new QueueStats(0, 0, 0, 3, 0));

    List<CompletedWork> pulled = await(store.pull(2, T0 + 40));
    assertThat(pulled).extracting(CompletedWork::id).containsExactly(large.id(), binary.id());
    assertThat(pulled.get(0).result()).isEqualTo(digest(3));
    assertThat(pulled.get(0).iterations()).isEqualTo(2);
    assertThat(pulled.get(0).completedAt()).isEqualTo(T0 + 30);
    assertThat(await(store.pull(10, T0 + 40))).singleElement().satisfies(w -> {
      assertThat(w.id()).isEqualTo(empty.id());
      assertThat(w.result()).isEqualTo(digest(2));
    });
    assertThat(await(store.pull(10, T0 + 40))).isEmpty();
    assertThat(store.stats(T0 + 40)).isEqualTo(new QueueStats(0, 0, 0, 0, 0));
  }

  @Test
  void findShowsAWorkThroughItsLife() throws Exception {
    NewWork w = work(5, new byte[] {1, 2}, T0);
    enqueueAll(store, w);
    assertThat(find(store, w.id(), T0)).get().satisfies(i -> {
      assertThat(i.status()).isEqualTo(WorkStatus.QUEUED);
      assertThat(i.iterations()).isEqualTo(5);
      assertThat(i.attempts()).isZero();
      assertThat(i.enqueuedAt()).isEqualTo(T0);
      assertThat(i.result()).isNull();
    });
    await(store.lease("w1", 1, NO_BUDGET, T0 + 1, LEASE_MS));
    assertThat(find(store, w.id(), T0 + 1)).get().extracting(WorkInfo::status).isEqualTo(WorkStatus.RUNNING);
    await(store.complete(List.of(new Completion(w.id(), digest(5))), T0 + 2));
    assertThat(find(store, w.id(), T0 + 2)).get().satisfies(i -> {
      assertThat(i.status()).isEqualTo(WorkStatus.COMPLETED);
      assertThat(i.result()).isEqualTo(digest(5));
      assertThat(i.finishedAt()).isEqualTo(T0 + 2);
      assertThat(i.pulled()).isFalse();
    });
    assertThat(find(store, UUID.randomUUID(), T0 + 2)).isEmpty();
  }

  // ---- idempotency -------------------------------------------------------------------------

  @Test
  void repeatedIdReturnsTheSameIdAndStoresOnce() throws Exception {
    NewWork w = work(1, new byte[] {1}, T0);
    enqueueAll(store, w);

    NewWork retry = new NewWork(w.id(), 1, new byte[] {9}, null, T0 + 5);
    assertThat(await(store.enqueue(List.of(retry)))).containsExactly(new EnqueueOutcome(w.id(), false));

    assertThat(store.stats(T0 + 5).pending()).isEqualTo(1);
    List<LeasedWork> leased = await(store.lease("w1", 10, NO_BUDGET, T0 + 5, LEASE_MS));
    assertThat(leased).singleElement().satisfies(l -> assertThat(l.data()).containsExactly(1));
  }

  @Test
  void repeatedIdAfterPullStoresNothing() throws Exception {
    NewWork w = work(1, new byte[] {1}, T0);
    enqueueAll(store, w);
    await(store.complete(List.of(new Completion(w.id(), digest(1))), T0 + 1));
    await(store.pull(1, T0 + 2));

    assertThat(await(store.enqueue(List.of(w)))).containsExactly(new EnqueueOutcome(w.id(), false));
    assertThat(store.stats(T0 + 3).pending()).isZero();
  }

  @Test
  void repeatedIdempotencyKeyReturnsTheFirstWorksId() throws Exception {
    NewWork first = keyed("order-17", T0);
    enqueueAll(store, first);

    NewWork retry = keyed("order-17", T0 + 1); // the endpoint gave the retry a new id
    assertThat(await(store.enqueue(List.of(retry)))).containsExactly(new EnqueueOutcome(first.id(), false));

    // Two works with one key in one batch: the second gets the first's id.
    NewWork a = keyed("order-18", T0 + 2);
    NewWork b = keyed("order-18", T0 + 3);
    assertThat(await(store.enqueue(List.of(a, b))))
        .containsExactly(new EnqueueOutcome(a.id(), true), new EnqueueOutcome(a.id(), false));

    assertThat(store.stats(T0 + 4).pending()).isEqualTo(2);
    assertThat(find(store, retry.id(), T0 + 4)).isEmpty();
    assertThat(find(store, b.id(), T0 + 4)).isEmpty();
  }

  // ---- limits ------------------------------------------------------------------------------

  @Test
  void enqueuePastMaxPendingIsRejectedAndStoresNothing() throws Exception {
    WorkStore small = open(new StoreLimits(3, 3, RETENTION_MS), T0);
    enqueueAll(small, work(1, new byte[] {1}, T0), work(1, new byte[] {2}, T0 + 1));

    NewWork third = work(1, new byte[] {3}, T0 + 2);
    NewWork fourth = work(1, new byte[] {4}, T0 + 3);
    assertThatThrownBy(() -> await(small.enqueue(List.of(third, fourth))))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(QueueFullException.class);

    assertThat(small.stats(T0 + 4).pending()).isEqualTo(2);
    assertThat(find(small, third.id(), T0 + 4)).isEmpty();
    assertThat(find(small, fourth.id(), T0 + 4)).isEmpty();
    // One more still fits, and a lease makes room again.
    enqueueAll(small, third);
    await(small.lease("w1", 1, NO_BUDGET, T0 + 5, LEASE_MS));
    enqueueAll(small, fourth);
    assertThat(small.stats(T0 + 6)).isEqualTo(new QueueStats(3, 5, 1, 0, 0));
  }

  // ---- leases ------------------------------------------------------------------------------

  @Test
  void iterationBudgetCapsALease() throws Exception {
    NewWork heavy = work(1_000, new byte[] {1}, T0);
    NewWork light = work(10, new byte[] {2}, T0 + 1);
    enqueueAll(store, heavy, light);

    assertThat(await(store.lease("w1", 10, 100, T0 + 2, LEASE_MS))).extracting(LeasedWork::id)
        .containsExactly(heavy.id());
    assertThat(await(store.lease("w1", 10, 100, T0 + 2, LEASE_MS))).extracting(LeasedWork::id)
        .containsExactly(light.id());
  }

  @Test
  void expiredLeaseReturnsWorkToQueue() throws Exception {
    NewWork w = work(1, new byte[] {5, 6}, T0);
    enqueueAll(store, w);
    await(store.lease("w1", 1, NO_BUDGET, T0, LEASE_MS));

    assertThat(store.extend("w1", List.of(w.id()), T0 + 20_000, LEASE_MS)).isEqualTo(1);
    assertThat(store.expireLeases(T0 + LEASE_MS).isEmpty()).isTrue(); // extended to T0 + 50000
    ExpiryOutcome expiry = store.expireLeases(T0 + 50_000);

    assertThat(expiry.requeued()).containsExactly(w.id());
    assertThat(store.stats(T0 + 50_000)).isEqualTo(new QueueStats(1, 50_000, 0, 0, 0));
    assertThat(await(store.lease("w2", 1, NO_BUDGET, T0 + 50_000, LEASE_MS))).singleElement().satisfies(l -> {
      assertThat(l.id()).isEqualTo(w.id());
      assertThat(l.attempts()).isEqualTo(2);
      assertThat(l.data()).containsExactly(5, 6);
    });
  }

  @Test
  void releaseReturnsALeavingWorkersWorksAtOnce() throws Exception {
    NewWork w = work(1, new byte[] {1}, T0);
    enqueueAll(store, w);
    await(store.lease("leaving", 1, NO_BUDGET, T0, LEASE_MS));

    assertThat(store.release("leaving", T0 + 1)).containsExactly(w.id());

    assertThat(await(store.lease("other", 1, NO_BUDGET, T0 + 2, LEASE_MS))).extracting(LeasedWork::id)
        .containsExactly(w.id());
  }

  @Test
  void workFailsAfterMaxAttemptsAndShowsInFindAndStats() throws Exception {
    NewWork w = work(4, new byte[] {1}, T0);
    enqueueAll(store, w);
    long now = T0;
    for (int attempt = 1; attempt < LIMITS.maxAttempts(); attempt++) {
      await(store.lease("w", 1, NO_BUDGET, now, LEASE_MS));
      now += LEASE_MS;
      assertThat(store.expireLeases(now).requeued()).containsExactly(w.id());
    }
    await(store.lease("w", 1, NO_BUDGET, now, LEASE_MS));
    long failedAt = now + LEASE_MS;

    ExpiryOutcome expiry = store.expireLeases(failedAt);

    assertThat(expiry.failed()).containsExactly(w.id());
    assertThat(expiry.requeued()).isEmpty();
    assertThat(store.stats(failedAt)).isEqualTo(new QueueStats(0, 0, 0, 0, 1));
    assertThat(await(store.lease("w", 1, NO_BUDGET, failedAt, LEASE_MS))).isEmpty();
    // A result that arrives after the work failed changes nothing.
    assertThat(await(store.complete(List.of(new Completion(w.id(), digest(1))), failedAt + 1))).isZero();
    assertThat(find(store, w.id(), failedAt + 1)).get().satisfies(i -> {
      assertThat(i.status()).isEqualTo(WorkStatus.FAILED);
      assertThat(i.attempts()).isEqualTo(LIMITS.maxAttempts());
      assertThat(i.iterations()).isEqualTo(4);
      assertThat(i.finishedAt()).isEqualTo(failedAt);
      assertThat(i.result()).isNull();
    });

    assertThat(await(store.purgeExpired(failedAt + RETENTION_MS + 1))).isEqualTo(1);
    assertThat(store.stats(failedAt + RETENTION_MS + 1).failed()).isZero();
    assertThat(find(store, w.id(), failedAt + RETENTION_MS + 1)).isEmpty();
  }

  // ---- results -----------------------------------------------------------------------------

  @Test
  void duplicateCompletionIsIgnoredAndTheFirstResultWins() throws Exception {
    NewWork w = work(1, new byte[] {1}, T0);
    enqueueAll(store, w);
    await(store.lease("w1", 1, NO_BUDGET, T0, LEASE_MS));

    assertThat(await(store.complete(List.of(new Completion(w.id(), digest(1))), T0 + 1))).isEqualTo(1);
    assertThat(await(store.complete(List.of(new Completion(w.id(), digest(2))), T0 + 2))).isZero();

    assertThat(await(store.pull(10, T0 + 3))).singleElement().satisfies(c -> {
      assertThat(c.result()).isEqualTo(digest(1));
      assertThat(c.completedAt()).isEqualTo(T0 + 1);
    });
    assertThat(await(store.complete(List.of(new Completion(w.id(), digest(3))), T0 + 4))).isZero();
    assertThat(find(store, w.id(), T0 + 4)).get().extracting(WorkInfo::result).isEqualTo(digest(1));
  }

  @Test
  void lateResultForAQueuedWorkCompletesItAndItIsNotLeasedAgain() throws Exception {
    NewWork w = work(1, new byte[] {1}, T0);
    enqueueAll(store, w);
    await(store.lease("slow", 1, NO_BUDGET, T0, LEASE_MS));
    store.expireLeases(T0 + LEASE_MS);

    assertThat(await(store.complete(List.of(new Completion(w.id(), digest(1))), T0 + LEASE_MS + 1))).isEqualTo(1);

    assertThat(await(store.lease("fast", 1, NO_BUDGET, T0 + LEASE_MS + 2, LEASE_MS))).isEmpty();
    assertThat(await(store.pull(10, T0 + LEASE_MS + 3))).extracting(CompletedWork::id).containsExactly(w.id());
  }

  @Test
  void pulledResultStaysFindableUntilRetentionEndsThenIsPurged() throws Exception {
    NewWork w = work(2, new byte[] {1}, T0);
    NewWork unpulled = work(2, new byte[] {2}, T0 + 1);
    enqueueAll(store, w, unpulled);
    await(store.lease("w1", 1, NO_BUDGET, T0 + 1, LEASE_MS));
    long doneAt = T0 + 10;
    await(store.complete(List.of(new Completion(w.id(), digest(7))), doneAt));
    await(store.pull(10, doneAt + 1));
    await(store.complete(List.of(new Completion(unpulled.id(), digest(8))), doneAt + 2));

    assertThat(find(store, w.id(), doneAt + 1)).get().satisfies(i -> {
      assertThat(i.status()).isEqualTo(WorkStatus.COMPLETED);
      assertThat(i.pulled()).isTrue();
      assertThat(i.result()).isEqualTo(digest(7));
      assertThat(i.iterations()).isEqualTo(2);
      assertThat(i.attempts()).isEqualTo(1);
      assertThat(i.finishedAt()).isEqualTo(doneAt);
    });

    assertThat(await(store.purgeExpired(doneAt + RETENTION_MS))).isZero();
    assertThat(find(store, w.id(), doneAt + RETENTION_MS)).isPresent();

    long past = doneAt + RETENTION_MS + 1;
    assertThat(find(store, w.id(), past)).isEmpty(); // past retention even before a purge
    assertThat(await(store.purgeExpired(past))).isEqualTo(1);
    assertThat(find(store, w.id(), past)).isEmpty();
    // A result nobody pulled yet is kept however old it is.
    assertThat(find(store, unpulled.id(), past + RETENTION_MS)).get().extracting(WorkInfo::status)
        .isEqualTo(WorkStatus.COMPLETED);
    // Once purged the id is forgotten: the same id is a new work again.
    assertThat(await(store.enqueue(List.of(w)))).containsExactly(new EnqueueOutcome(w.id(), true));
  }

  // ---- durability --------------------------------------------------------------------------

  /** The works of {@link #leaveEveryKindOfWork}, by what happened to them. */
  record Scenario(NewWork leased, NewWork completed, NewWork pulled, NewWork pending, NewWork keyed) {
  }

  /** Brings works into every state a restart must handle; every write it awaits is acknowledged. */
  Scenario leaveEveryKindOfWork(WorkStore s) throws Exception {
    Scenario sc = new Scenario(work(1, everyByteValue(), T0), work(2, new byte[] {2}, T0 + 1),
        work(3, new byte[] {3}, T0 + 2), work(4, random64KiB(), T0 + 3),
        new NewWork(UUID.randomUUID(), 5, new byte[0], "key-5", T0 + 4));
    enqueueAll(s, sc.leased(), sc.completed(), sc.pulled(), sc.pending(), sc.keyed());
    await(s.lease("w", 3, NO_BUDGET, T0 + 10, LEASE_MS));
    s.release("w", T0 + 11); // attempts stay counted
    await(s.lease("w", 1, NO_BUDGET, T0 + 12, LEASE_MS)); // leased: attempt 2, held at the restart
    await(s.lease("w", 2, NO_BUDGET, T0 + 12, LEASE_MS));
    await(s.complete(List.of(new Completion(sc.pulled().id(), digest(3))), T0 + 20));
    await(s.pull(1, T0 + 21));
    await(s.complete(List.of(new Completion(sc.completed().id(), digest(2))), T0 + 22));
    return sc;
  }

  void assertSurvived(WorkStore s, Scenario sc) throws Exception {
    long now = T0 + 100;
    assertThat(s.stats(now)).isEqualTo(new QueueStats(3, 100, 0, 1, 0));
    assertThat(find(s, sc.leased().id(), now)).get().satisfies(i -> {
      assertThat(i.status()).isEqualTo(WorkStatus.QUEUED);
      assertThat(i.attempts()).isEqualTo(2);
    });
    assertThat(find(s, sc.pulled().id(), now)).get().satisfies(i -> {
      assertThat(i.status()).isEqualTo(WorkStatus.COMPLETED);
      assertThat(i.pulled()).isTrue();
      assertThat(i.result()).isEqualTo(digest(3));
    });
    assertThat(find(s, sc.completed().id(), now)).get().satisfies(i -> {
      assertThat(i.status()).isEqualTo(WorkStatus.COMPLETED);
      assertThat(i.attempts()).isEqualTo(2);
    });
    assertThat(await(s.enqueue(List.of(new NewWork(UUID.randomUUID(), 1, new byte[] {1}, "key-5", now)))))
        .containsExactly(new EnqueueOutcome(sc.keyed().id(), false));

    List<LeasedWork> leased = await(s.lease("after", 10, NO_BUDGET, now, LEASE_MS));
    assertThat(leased).extracting(LeasedWork::id)
        .containsExactly(sc.leased().id(), sc.pending().id(), sc.keyed().id());
    assertThat(leased).extracting(LeasedWork::attempts).containsExactly(3, 1, 1);
    assertThat(leased.get(0).data()).isEqualTo(sc.leased().data());
    assertThat(leased.get(1).data()).isEqualTo(sc.pending().data());
    assertThat(leased.get(2).data()).isEmpty();

    assertThat(await(s.pull(10, now))).singleElement().satisfies(c -> {
      assertThat(c.id()).isEqualTo(sc.completed().id());
      assertThat(c.result()).isEqualTo(digest(2));
      assertThat(c.completedAt()).isEqualTo(T0 + 22);
    });
  }

  @Test
  void everythingAcknowledgedSurvivesCloseAndReopen() throws Exception {
    assumeThat(store.durable()).isTrue();
    Scenario sc = leaveEveryKindOfWork(store);
    store.close();

    assertSurvived(open(LIMITS, T0 + 100), sc);
  }

  @Test
  void everythingAcknowledgedSurvivesAnAbandonedStore() throws Exception {
    assumeThat(store.durable()).isTrue();
    Scenario sc = leaveEveryKindOfWork(store);
    // No close: like a process killed now, the old instance just stops being used.

    assertSurvived(open(LIMITS, T0 + 100), sc);
  }

  @Test
  void failedWorkStaysFailedAfterReopen() throws Exception {
    assumeThat(store.durable()).isTrue();
    NewWork w = work(1, new byte[] {1}, T0);
    enqueueAll(store, w);
    long now = T0;
    for (int attempt = 1; attempt <= LIMITS.maxAttempts(); attempt++) {
      await(store.lease("w", 1, NO_BUDGET, now, LEASE_MS));
      now += LEASE_MS;
      store.expireLeases(now);
    }
    store.close();

    WorkStore reopened = open(LIMITS, now);
    assertThat(reopened.stats(now)).isEqualTo(new QueueStats(0, 0, 0, 0, 1));
    assertThat(find(reopened, w.id(), now)).get().extracting(WorkInfo::status).isEqualTo(WorkStatus.FAILED);
  }

  @Test
  void concurrentEnqueuesAreAllAcknowledgedAndSurviveReopen() throws Exception {
    assumeThat(store.durable()).isTrue();
    int threads = 8;
    int perThread = 250;
    ExecutorService callers = Executors.newFixedThreadPool(threads);
    List<Future<List<CompletableFuture<List<EnqueueOutcome>>>>> submitted = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      // Each caller fires its enqueues without waiting, as event loops do, so they meet in the writer's queue.
      submitted.add(callers.submit(() -> {
        List<CompletableFuture<List<EnqueueOutcome>>> acks = new ArrayList<>();
        for (int i = 0; i < perThread; i++) {
          byte[] body = {(byte) thread, (byte) i, (byte) (i >> 8)};
          acks.add(store.enqueue(List.of(work(1, body, T0 + i))));
        }
        return acks;
      }));
    }
    Set<UUID> acknowledged = new HashSet<>();
    for (Future<List<CompletableFuture<List<EnqueueOutcome>>>> f : submitted) {
      for (CompletableFuture<List<EnqueueOutcome>> ack : f.get(10, SECONDS)) {
        EnqueueOutcome outcome = await(ack).get(0);
        assertThat(outcome.created()).isTrue();
        acknowledged.add(outcome.id());
      }
    }
    callers.shutdown();
    assertThat(acknowledged).hasSize(threads * perThread);
    store.close();

    WorkStore reopened = open(LIMITS, T0 + 1_000);
    assertThat(reopened.stats(T0 + 1_000).pending()).isEqualTo(threads * perThread);
    List<LeasedWork> all = await(reopened.lease("w", threads * perThread, NO_BUDGET, T0 + 1_000, LEASE_MS));
    assertThat(all).extracting(LeasedWork::id).containsExactlyInAnyOrderElementsOf(acknowledged);
    assertThat(all).allSatisfy(l -> assertThat(l.data()).hasSize(3));
  }
}
