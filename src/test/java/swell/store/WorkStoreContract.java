package swell.store;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * What every {@link WorkStore} promises, run against each implementation by a subclass and grouped
 * by concern. The durability tests run only for stores that say they are {@link WorkStore#durable()}.
 */
abstract class WorkStoreContract {
  static final long T0 = 1_700_000_000_000L;
  static final long LEASE_MS = 30_000;
  static final long RETENTION_MS = 60_000;
  static final StoreLimits LIMITS = new StoreLimits(10_000, 10_000, 3, RETENTION_MS);
  static final String ANON = "";

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

  // ---- helpers -----------------------------------------------------------------------------

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
    return owned(ANON, iterations, data, enqueuedAt);
  }

  static NewWork owned(String owner, int iterations, byte[] data, long enqueuedAt) {
    return new NewWork(UUID.randomUUID(), owner, iterations, data, null, enqueuedAt);
  }

  static NewWork keyed(String owner, String key, long enqueuedAt) {
    return new NewWork(UUID.randomUUID(), owner, 1, new byte[] {7}, key, enqueuedAt);
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

  static List<UUID> ids(Collection<LeasedWork> leased) {
    return leased.stream().map(LeasedWork::id).toList();
  }

  Optional<WorkInfo> find(WorkStore s, UUID id, long now) throws Exception {
    return await(s.find(ANON, id, now));
  }

  List<UUID> enqueueAll(WorkStore s, NewWork... works) throws Exception {
    List<EnqueueOutcome> outcomes = await(s.enqueue(List.of(works)));
    assertThat(outcomes).allMatch(EnqueueOutcome::created);
    return outcomes.stream().map(EnqueueOutcome::id).toList();
  }

  static List<LeasedWork> lease(WorkStore s, String worker, int max, long now) throws Exception {
    return await(s.lease(worker, LeaseLimits.count(max), now, LEASE_MS));
  }

  static CompletionOutcome complete(WorkStore s, String worker, UUID id, byte[] result, long now) throws Exception {
    return await(s.complete(worker, List.of(new Completion(id, result)), now));
  }

  /** Leases the work to {@code worker} and completes it there. */
  static void run(WorkStore s, String worker, UUID id, byte[] result, long now) throws Exception {
    assertThat(ids(lease(s, worker, 1, now))).containsExactly(id);
    assertThat(complete(s, worker, id, result, now).recorded()).isEqualTo(1);
  }

  static List<CompletedWork> pull(WorkStore s, String owner, int top, long now) throws Exception {
    return await(s.pull(owner, top, 0, now));
  }

  static QueueStats stats(WorkStore s, long now) throws Exception {
    return await(s.stats(now));
  }

  /** The counts a test cares about, by name rather than by position. */
  static void assertCounts(WorkStore s, long now, long pending, long leased, long completedUnpulled, long failed)
      throws Exception {
    QueueStats q = stats(s, now);
    assertThat(new long[] {q.pending(), q.leased(), q.completedUnpulled(), q.failed()})
        .as("pending, leased, completedUnpulled, failed")
        .containsExactly(pending, leased, completedUnpulled, failed);
  }

  // ---- the round trip ----------------------------------------------------------------------

  @Nested
  class RoundTrip {
    @Test
    void enqueueLeaseCompletePullKeepsBodiesIntact() throws Exception {
      NewWork binary = work(3, everyByteValue(), T0);
      NewWork empty = work(1, new byte[0], T0 + 1);
      NewWork large = work(2, random64KiB(), T0 + 2);
      assertThat(await(store.enqueue(List.of(binary, empty, large)))).containsExactly(
          EnqueueOutcome.created(binary.id()), EnqueueOutcome.created(empty.id()), EnqueueOutcome.created(large.id()));
      QueueStats before = stats(store, T0 + 10);
      assertThat(before.pending()).isEqualTo(3);
      assertThat(before.pendingIterations()).isEqualTo(6);
      assertThat(before.oldestPendingAgeMs()).isEqualTo(10);

      List<LeasedWork> leased = lease(store, "w1", 10, T0 + 10);

      assertThat(ids(leased)).containsExactly(binary.id(), empty.id(), large.id());
      assertThat(leased.get(0).data()).isEqualTo(binary.data());
      assertThat(leased.get(1).data()).isEmpty();
      assertThat(leased.get(2).data()).isEqualTo(large.data());
      assertThat(leased).allSatisfy(l -> {
        assertThat(l.attempts()).isEqualTo(1);
        assertThat(l.leaseUntil()).isEqualTo(T0 + 10 + LEASE_MS);
      });
      assertThat(leased).extracting(LeasedWork::iterations).containsExactly(3, 1, 2);
      assertCounts(store, T0 + 10, 0, 3, 0, 0);
      assertThat(find(store, empty.id(), T0 + 10)).get().satisfies(i -> {
        assertThat(i.status()).isEqualTo(WorkStatus.RUNNING);
        assertThat(i.workerId()).isEqualTo("w1");
      });

      assertThat(complete(store, "w1", empty.id(), digest(2), T0 + 20).recorded()).isEqualTo(1);
      assertThat(await(store.complete("w1", List.of(new Completion(binary.id(), digest(1)),
          new Completion(large.id(), digest(3))), T0 + 30))).isEqualTo(new CompletionOutcome(2, 0, 0));
      assertCounts(store, T0 + 30, 0, 0, 3, 0);

      List<CompletedWork> pulled = pull(store, ANON, 2, T0 + 40);
      assertThat(pulled).extracting(CompletedWork::id).containsExactly(large.id(), binary.id());
      assertThat(pulled.get(0).result()).isEqualTo(digest(3));
      assertThat(pulled.get(0).iterations()).isEqualTo(2);
      assertThat(pulled.get(0).completedAt()).isEqualTo(T0 + 30);
      assertThat(pull(store, ANON, 10, T0 + 40)).singleElement().satisfies(w -> {
        assertThat(w.id()).isEqualTo(empty.id());
        assertThat(w.result()).isEqualTo(digest(2));
      });
      assertThat(pull(store, ANON, 10, T0 + 40)).isEmpty();
      assertCounts(store, T0 + 40, 0, 0, 0, 0);
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
      lease(store, "w1", 1, T0 + 1);
      assertThat(find(store, w.id(), T0 + 1)).get().extracting(WorkInfo::status).isEqualTo(WorkStatus.RUNNING);
      complete(store, "w1", w.id(), digest(5), T0 + 2);
      assertThat(find(store, w.id(), T0 + 2)).get().satisfies(i -> {
        assertThat(i.status()).isEqualTo(WorkStatus.COMPLETED);
        assertThat(i.result()).isEqualTo(digest(5));
        assertThat(i.finishedAt()).isEqualTo(T0 + 2);
        assertThat(i.pulled()).isFalse();
      });
      assertThat(find(store, UUID.randomUUID(), T0 + 2)).isEmpty();
    }
  }

  // ---- idempotency -------------------------------------------------------------------------

  @Nested
  class Idempotency {
    @Test
    void repeatedIdReturnsTheSameIdAndStoresOnce() throws Exception {
      NewWork w = work(1, new byte[] {1}, T0);
      enqueueAll(store, w);

      NewWork retry = new NewWork(w.id(), ANON, 1, new byte[] {9}, null, T0 + 5);
      assertThat(await(store.enqueue(List.of(retry)))).containsExactly(EnqueueOutcome.existing(w.id()));

      assertThat(stats(store, T0 + 5).pending()).isEqualTo(1);
      assertThat(lease(store, "w1", 10, T0 + 5)).singleElement().satisfies(l -> assertThat(l.data()).containsExactly(1));
    }

    @Test
    void repeatedIdAfterPullStoresNothing() throws Exception {
      NewWork w = work(1, new byte[] {1}, T0);
      enqueueAll(store, w);
      run(store, "w1", w.id(), digest(1), T0 + 1);
      pull(store, ANON, 1, T0 + 2);

      assertThat(await(store.enqueue(List.of(w)))).containsExactly(EnqueueOutcome.existing(w.id()));
      assertThat(stats(store, T0 + 3).pending()).isZero();
    }

    @Test
    void repeatedIdempotencyKeyReturnsTheFirstWorksId() throws Exception {
      NewWork first = keyed(ANON, "order-17", T0);
      enqueueAll(store, first);

      NewWork retry = keyed(ANON, "order-17", T0 + 1); // the endpoint gave the retry a new id
      assertThat(await(store.enqueue(List.of(retry)))).containsExactly(EnqueueOutcome.existing(first.id()));

      // Two works with one key in one batch: the second gets the first's id.
      NewWork a = keyed(ANON, "order-18", T0 + 2);
      NewWork b = keyed(ANON, "order-18", T0 + 3);
      assertThat(await(store.enqueue(List.of(a, b))))
          .containsExactly(EnqueueOutcome.created(a.id()), EnqueueOutcome.existing(a.id()));

      assertThat(stats(store, T0 + 4).pending()).isEqualTo(2);
      assertThat(find(store, retry.id(), T0 + 4)).isEmpty();
      assertThat(find(store, b.id(), T0 + 4)).isEmpty();
    }

    @Test
    void anIdempotencyKeyBelongsToItsOwner() throws Exception {
      NewWork alices = keyed("alice", "order-1", T0);
      NewWork bobs = keyed("bob", "order-1", T0 + 1);
      assertThat(await(store.enqueue(List.of(alices, bobs))))
          .containsExactly(EnqueueOutcome.created(alices.id()), EnqueueOutcome.created(bobs.id()));
      assertThat(await(store.enqueue(List.of(keyed("bob", "order-1", T0 + 2)))))
          .containsExactly(EnqueueOutcome.existing(bobs.id()));
      assertThat(stats(store, T0 + 3).pending()).isEqualTo(2);
    }
  }

  // ---- admission ---------------------------------------------------------------------------

  @Nested
  class Admission {
    @Test
    void worksPastMaxPendingAreRefusedOneByOneAndNotStored() throws Exception {
      WorkStore small = open(new StoreLimits(3, 100, 3, RETENTION_MS), T0);
      enqueueAll(small, work(1, new byte[] {1}, T0), work(1, new byte[] {2}, T0 + 1));

      NewWork third = work(1, new byte[] {3}, T0 + 2);
      NewWork fourth = work(1, new byte[] {4}, T0 + 3);
      assertThat(await(small.enqueue(List.of(third, fourth)))).containsExactly(
          EnqueueOutcome.created(third.id()), new EnqueueOutcome(fourth.id(), EnqueueOutcome.Result.QUEUE_FULL));

      assertThat(stats(small, T0 + 4).pending()).isEqualTo(3);
      assertThat(find(small, fourth.id(), T0 + 4)).isEmpty();
      // A lease makes room again.
      lease(small, "w1", 1, T0 + 5);
      enqueueAll(small, fourth);
      assertCounts(small, T0 + 6, 3, 1, 0, 0);
    }

    @Test
    void aRetryIsAnsweredWithItsIdEvenWhenTheQueueIsFull() throws Exception {
      WorkStore small = open(new StoreLimits(1, 100, 3, RETENTION_MS), T0);
      NewWork keyedWork = keyed(ANON, "k", T0);
      enqueueAll(small, keyedWork);

      NewWork byKey = keyed(ANON, "k", T0 + 1);
      NewWork byId = new NewWork(keyedWork.id(), ANON, 1, new byte[] {7}, null, T0 + 2);
      NewWork fresh = work(1, new byte[] {1}, T0 + 3);
      assertThat(await(small.enqueue(List.of(byKey, byId, fresh)))).containsExactly(
          EnqueueOutcome.existing(keyedWork.id()), EnqueueOutcome.existing(keyedWork.id()),
          new EnqueueOutcome(fresh.id(), EnqueueOutcome.Result.QUEUE_FULL));
    }

    @Test
    void enqueuesAreRefusedWhileMaxCompletedResultsWaitToBePulled() throws Exception {
      WorkStore small = open(new StoreLimits(100, 2, 3, RETENTION_MS), T0);
      List<UUID> ids = enqueueAll(small, work(1, new byte[] {1}, T0), work(1, new byte[] {2}, T0 + 1));
      run(small, "w", ids.get(0), digest(1), T0 + 2);
      run(small, "w", ids.get(1), digest(2), T0 + 3);

      NewWork refused = work(1, new byte[] {3}, T0 + 4);
      assertThat(await(small.enqueue(List.of(refused))))
          .containsExactly(new EnqueueOutcome(refused.id(), EnqueueOutcome.Result.RESULTS_FULL));
      assertThat(stats(small, T0 + 4).pending()).isZero();

      pull(small, ANON, 1, T0 + 5);
      enqueueAll(small, refused);
    }
  }

  // ---- leases ------------------------------------------------------------------------------

  @Nested
  class Leases {
    @Test
    void iterationAndByteBudgetsCapALeaseButOneWorkAlwaysGoes() throws Exception {
      NewWork heavy = work(1_000, new byte[] {1}, T0);
      NewWork light = work(10, new byte[] {2}, T0 + 1);
      NewWork big = work(1, new byte[4096], T0 + 2);
      NewWork small1 = work(1, new byte[1000], T0 + 3);
      NewWork small2 = work(1, new byte[1000], T0 + 4);
      enqueueAll(store, heavy, light, big, small1, small2);
      LeaseLimits budget = new LeaseLimits(10, 100, 2500);

      assertThat(ids(await(store.lease("w", budget, T0 + 5, LEASE_MS)))).containsExactly(heavy.id());
      assertThat(ids(await(store.lease("w", budget, T0 + 5, LEASE_MS)))).containsExactly(light.id());
      assertThat(ids(await(store.lease("w", budget, T0 + 5, LEASE_MS)))).containsExactly(big.id());
      assertThat(ids(await(store.lease("w", budget, T0 + 5, LEASE_MS)))).containsExactly(small1.id(), small2.id());
    }

    @Test
    void expiredLeaseReturnsWorkToQueue() throws Exception {
      NewWork w = work(1, new byte[] {5, 6}, T0);
      enqueueAll(store, w);
      lease(store, "w1", 1, T0);

      assertThat(await(store.extend("w1", List.of(w.id()), T0 + 20_000, LEASE_MS))).isEqualTo(1);
      assertThat(await(store.expire(T0 + LEASE_MS)).isEmpty()).isTrue(); // extended to T0 + 50000
      ExpiryOutcome expiry = await(store.expire(T0 + 50_000));

      assertThat(expiry.requeued()).containsExactly(new ExpiryOutcome.ExpiredLease(w.id(), "w1", 1));
      assertCounts(store, T0 + 50_000, 1, 0, 0, 0);
      assertThat(lease(store, "w2", 1, T0 + 50_000)).singleElement().satisfies(l -> {
        assertThat(l.id()).isEqualTo(w.id());
        assertThat(l.attempts()).isEqualTo(2);
        assertThat(l.data()).containsExactly(5, 6);
      });
    }

    @Test
    void anotherWorkersHeartbeatDoesNotExtendALease() throws Exception {
      NewWork w = work(1, new byte[] {1}, T0);
      enqueueAll(store, w);
      lease(store, "holder", 1, T0);

      assertThat(await(store.extend("stranger", List.of(w.id()), T0 + 20_000, LEASE_MS))).isZero();
      assertThat(await(store.expire(T0 + LEASE_MS)).requeued()).hasSize(1);
    }

    @Test
    void aHeartbeatTakesBackItsWorkThatWentBackToTheQueue() throws Exception {
      NewWork w = work(1, new byte[] {1}, T0);
      NewWork other = work(1, new byte[] {2}, T0 + 1);
      enqueueAll(store, w, other);
      lease(store, "w1", 1, T0);
      await(store.expire(T0 + LEASE_MS)); // the worker was slow to heartbeat, or the balancer restarted

      assertThat(await(store.extend("w1", List.of(w.id()), T0 + LEASE_MS + 1, LEASE_MS))).isEqualTo(1);

      assertThat(ids(lease(store, "w2", 10, T0 + LEASE_MS + 2))).containsExactly(other.id());
      assertThat(complete(store, "w1", w.id(), digest(1), T0 + LEASE_MS + 3).recorded()).isEqualTo(1);
    }

    @Test
    void undeliveredWorksGoBackWithoutCountingADelivery() throws Exception {
      NewWork first = work(1, new byte[] {1}, T0);
      NewWork second = work(1, new byte[] {2}, T0 + 1);
      NewWork kept = work(1, new byte[] {3}, T0 + 2);
      enqueueAll(store, first, second, kept);
      lease(store, "w", 1, T0); // first, delivered
      List<LeasedWork> lost = lease(store, "w", 2, T0 + 1); // second and kept: the poll's connection closed

      await(store.returnUndelivered("w", List.of(lost.get(0).id())));
      await(store.returnUndelivered("someone-else", List.of(lost.get(1).id())));

      assertThat(lease(store, "w2", 10, T0 + 2)).singleElement().satisfies(l -> {
        assertThat(l.id()).isEqualTo(second.id());
        assertThat(l.attempts()).isEqualTo(1);
      });
      assertCounts(store, T0 + 3, 0, 3, 0, 0); // first and kept still held by w
    }

    @Test
    void aLeavingWorkersWorksGoBackAtOnceAndOnlyItsOwn() throws Exception {
      NewWork mine = work(1, new byte[] {1}, T0);
      NewWork theirs = work(1, new byte[] {2}, T0 + 1);
      enqueueAll(store, mine, theirs);
      lease(store, "leaving", 1, T0);
      lease(store, "staying", 1, T0);

      assertThat(await(store.releaseWorker("leaving", T0 + 1))).containsExactly(mine.id());

      assertThat(lease(store, "other", 5, T0 + 2)).singleElement().satisfies(l -> {
        assertThat(l.id()).isEqualTo(mine.id());
        assertThat(l.attempts()).isEqualTo(2);
      });
    }

    @Test
    void workFailsAfterMaxAttemptsAndShowsInFindAndStats() throws Exception {
      NewWork w = work(4, new byte[] {1}, T0);
      enqueueAll(store, w);
      long now = T0;
      for (int attempt = 1; attempt < LIMITS.maxAttempts(); attempt++) {
        lease(store, "w", 1, now);
        now += LEASE_MS;
        assertThat(await(store.expire(now)).requeued()).extracting(ExpiryOutcome.ExpiredLease::id)
            .containsExactly(w.id());
      }
      lease(store, "w", 1, now);
      long failedAt = now + LEASE_MS;

      ExpiryOutcome expiry = await(store.expire(failedAt));

      assertThat(expiry.failed()).containsExactly(new ExpiryOutcome.ExpiredLease(w.id(), "w", LIMITS.maxAttempts()));
      assertThat(expiry.requeued()).isEmpty();
      assertCounts(store, failedAt, 0, 0, 0, 1);
      assertThat(lease(store, "w", 1, failedAt)).isEmpty();
      // A result that arrives after the work failed changes nothing.
      assertThat(complete(store, "w", w.id(), digest(1), failedAt + 1)).isEqualTo(new CompletionOutcome(0, 1, 0));
      assertThat(find(store, w.id(), failedAt + 1)).get().satisfies(i -> {
        assertThat(i.status()).isEqualTo(WorkStatus.FAILED);
        assertThat(i.attempts()).isEqualTo(LIMITS.maxAttempts());
        assertThat(i.iterations()).isEqualTo(4);
        assertThat(i.finishedAt()).isEqualTo(failedAt);
        assertThat(i.result()).isNull();
      });

      assertThat(await(store.purgeExpired(failedAt + RETENTION_MS + 1))).isEqualTo(1);
      assertThat(stats(store, failedAt + RETENTION_MS + 1).failed()).isZero();
      assertThat(find(store, w.id(), failedAt + RETENTION_MS + 1)).isEmpty();
    }
  }

  // ---- results -----------------------------------------------------------------------------

  @Nested
  class Results {
    @Test
    void duplicateCompletionIsIgnoredAndTheFirstResultWins() throws Exception {
      NewWork w = work(1, new byte[] {1}, T0);
      enqueueAll(store, w);
      lease(store, "w1", 1, T0);

      assertThat(complete(store, "w1", w.id(), digest(1), T0 + 1).recorded()).isEqualTo(1);
      assertThat(complete(store, "w1", w.id(), digest(2), T0 + 2)).isEqualTo(new CompletionOutcome(0, 1, 0));

      assertThat(pull(store, ANON, 10, T0 + 3)).singleElement().satisfies(c -> {
        assertThat(c.result()).isEqualTo(digest(1));
        assertThat(c.completedAt()).isEqualTo(T0 + 1);
      });
      assertThat(complete(store, "w1", w.id(), digest(3), T0 + 4).recorded()).isZero();
      assertThat(find(store, w.id(), T0 + 4)).get().extracting(WorkInfo::result).isEqualTo(digest(1));
    }

    @Test
    void onlyTheWorkerHoldingTheLeaseMayReportAResult() throws Exception {
      NewWork leased = work(1, new byte[] {1}, T0);
      NewWork queued = work(1, new byte[] {2}, T0 + 1);
      enqueueAll(store, leased, queued);
      lease(store, "holder", 1, T0);

      assertThat(await(store.complete("rogue", List.of(new Completion(leased.id(), digest(9)),
          new Completion(queued.id(), digest(9))), T0 + 1))).isEqualTo(new CompletionOutcome(0, 0, 2));

      assertCounts(store, T0 + 1, 1, 1, 0, 0);
      assertThat(complete(store, "holder", leased.id(), digest(1), T0 + 2).recorded()).isEqualTo(1);
      assertThat(pull(store, ANON, 10, T0 + 3)).singleElement().extracting(CompletedWork::result)
          .isEqualTo(digest(1));
    }

    @Test
    void aResultAfterTheLeaseWentToAnotherWorkerIsRefused() throws Exception {
      NewWork w = work(1, new byte[] {1}, T0);
      enqueueAll(store, w);
      lease(store, "slow", 1, T0);
      await(store.expire(T0 + LEASE_MS));
      lease(store, "fast", 1, T0 + LEASE_MS + 1);

      assertThat(complete(store, "slow", w.id(), digest(1), T0 + LEASE_MS + 2).notHolder()).isEqualTo(1);
      assertThat(complete(store, "fast", w.id(), digest(2), T0 + LEASE_MS + 3).recorded()).isEqualTo(1);
      assertThat(pull(store, ANON, 10, T0 + LEASE_MS + 4)).extracting(CompletedWork::result)
          .containsExactly(digest(2));
    }

    @Test
    void pulledResultStaysFindableUntilRetentionEndsThenIsPurged() throws Exception {
      NewWork w = work(2, new byte[] {1}, T0);
      NewWork unpulled = work(2, new byte[] {2}, T0 + 1);
      enqueueAll(store, w, unpulled);
      long doneAt = T0 + 10;
      run(store, "w1", w.id(), digest(7), doneAt);
      pull(store, ANON, 10, doneAt + 1);
      run(store, "w1", unpulled.id(), digest(8), doneAt + 2);

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
      assertThat(await(store.enqueue(List.of(w)))).containsExactly(EnqueueOutcome.created(w.id()));
    }
  }

  // ---- owners ------------------------------------------------------------------------------

  @Nested
  class Owners {
    @Test
    void aClientPullsAndFindsOnlyItsOwnWorks() throws Exception {
      NewWork alices = owned("alice", 1, new byte[] {1}, T0);
      NewWork bobs = owned("bob", 1, new byte[] {2}, T0 + 1);
      enqueueAll(store, alices, bobs);
      run(store, "w", alices.id(), digest(1), T0 + 2);
      run(store, "w", bobs.id(), digest(2), T0 + 3);

      assertThat(await(store.find("bob", alices.id(), T0 + 4))).isEmpty();
      assertThat(await(store.find("alice", alices.id(), T0 + 4))).get().extracting(WorkInfo::owner)
          .isEqualTo("alice");
      assertThat(pull(store, "alice", 10, T0 + 5)).extracting(CompletedWork::id).containsExactly(alices.id());
      assertThat(pull(store, ANON, 10, T0 + 5)).isEmpty();
      assertThat(pull(store, "bob", 10, T0 + 6)).extracting(CompletedWork::id).containsExactly(bobs.id());
      // Pulled, alice's result stays readable by alice only.
      assertThat(await(store.find("bob", alices.id(), T0 + 7))).isEmpty();
      assertThat(await(store.find("alice", alices.id(), T0 + 7))).get().extracting(WorkInfo::pulled).isEqualTo(true);
    }
  }

  // ---- acknowledged pulls ------------------------------------------------------------------

  @Nested
  class AcknowledgedPulls {
    @Test
    void handedOutResultsAreHiddenUntilAcknowledged() throws Exception {
      List<UUID> ids = enqueueAll(store, work(1, new byte[] {1}, T0), work(1, new byte[] {2}, T0 + 1));
      run(store, "w", ids.get(0), digest(1), T0 + 2);
      run(store, "w", ids.get(1), digest(2), T0 + 3);

      List<CompletedWork> out = await(store.pull(ANON, 10, 5_000, T0 + 4));
      assertThat(out).extracting(CompletedWork::id).containsExactly(ids.get(1), ids.get(0));
      assertThat(await(store.pull(ANON, 10, 5_000, T0 + 5))).isEmpty();
      assertThat(stats(store, T0 + 5).handedOut()).isEqualTo(2);

      assertThat(await(store.ack(ANON, List.of(ids.get(0), ids.get(1), UUID.randomUUID()), T0 + 6))).isEqualTo(2);
      assertThat(await(store.expire(T0 + 10_000)).handOutsReturned()).isEmpty();
      assertThat(pull(store, ANON, 10, T0 + 10_000)).isEmpty();
      assertCounts(store, T0 + 10_000, 0, 0, 0, 0);
      assertThat(find(store, ids.get(0), T0 + 10_000)).get().extracting(WorkInfo::pulled).isEqualTo(true);
    }

    @Test
    void unacknowledgedResultsComeBackInCompletionOrder() throws Exception {
      List<UUID> ids = enqueueAll(store, work(1, new byte[] {1}, T0), work(1, new byte[] {2}, T0 + 1),
          work(1, new byte[] {3}, T0 + 2));
      run(store, "w", ids.get(0), digest(1), T0 + 3);
      run(store, "w", ids.get(1), digest(2), T0 + 4);
      await(store.pull(ANON, 2, 1_000, T0 + 5)); // hands out 1 and 0
      run(store, "w", ids.get(2), digest(3), T0 + 6);
      await(store.ack(ANON, List.of(ids.get(1)), T0 + 7));

      assertThat(await(store.expire(T0 + 5 + 1_000)).handOutsReturned()).containsExactly(ids.get(0));

      assertThat(pull(store, ANON, 10, T0 + 2_000)).extracting(CompletedWork::id)
          .containsExactly(ids.get(2), ids.get(0));
    }

    @Test
    void anotherOwnersAcknowledgementRemovesNothing() throws Exception {
      NewWork alices = owned("alice", 1, new byte[] {1}, T0);
      enqueueAll(store, alices);
      run(store, "w", alices.id(), digest(1), T0 + 1);
      await(store.pull("alice", 10, 1_000, T0 + 2));

      assertThat(await(store.ack("mallory", List.of(alices.id()), T0 + 3))).isZero();
      await(store.expire(T0 + 2 + 1_000));
      assertThat(pull(store, "alice", 10, T0 + 2_000)).extracting(CompletedWork::id).containsExactly(alices.id());
    }
  }

  // ---- durability --------------------------------------------------------------------------

  @Nested
  class Durability {
    /** The works of {@link #leaveEveryKindOfWork}, by what happened to them. */
    record Scenario(NewWork leased, NewWork completed, NewWork pulled, NewWork pending, NewWork keyed,
                    NewWork handedOut, NewWork acked) {
    }

    /** Brings works into every state a restart must handle; every write it awaits is acknowledged. */
    Scenario leaveEveryKindOfWork(WorkStore s) throws Exception {
      Scenario sc = new Scenario(work(1, everyByteValue(), T0), work(2, new byte[] {2}, T0 + 1),
          work(3, new byte[] {3}, T0 + 2), work(4, random64KiB(), T0 + 3),
          new NewWork(UUID.randomUUID(), "alice", 5, new byte[0], "key-5", T0 + 4),
          owned("bob", 6, new byte[] {6}, T0 + 5), owned("bob", 7, new byte[] {7}, T0 + 6));
      enqueueAll(s, sc.leased(), sc.completed(), sc.pulled(), sc.pending(), sc.keyed(), sc.handedOut(), sc.acked());
      assertThat(ids(lease(s, "w", 3, T0 + 10)))
          .containsExactly(sc.leased().id(), sc.completed().id(), sc.pulled().id());
      await(s.releaseWorker("w", T0 + 11)); // the deliveries stay counted
      lease(s, "w", 1, T0 + 12); // leased: delivery 2, held at the restart
      lease(s, "w", 2, T0 + 12);
      complete(s, "w", sc.pulled().id(), digest(3), T0 + 20);
      pull(s, ANON, 1, T0 + 21);
      complete(s, "w", sc.completed().id(), digest(2), T0 + 22);
      await(s.releaseWorker("w", T0 + 23));
      lease(s, "w", 1, T0 + 24); // leased again: its delivery count 2 was written when w let go
      for (NewWork bobs : List.of(sc.handedOut(), sc.acked())) {
        List<LeasedWork> got = await(s.lease("b", LeaseLimits.count(10), T0 + 25, LEASE_MS));
        // pending and keyed come first by age; run bob's two, hand the pending ones back
        for (LeasedWork l : got) {
          if (l.id().equals(bobs.id())) {
            complete(s, "b", l.id(), digest(l.iterations()), T0 + 26);
          }
        }
        await(s.returnUndelivered("b", ids(got).stream().filter(id -> !id.equals(bobs.id())).toList()));
      }
      assertThat(await(s.pull("bob", 10, 60_000, T0 + 27))).hasSize(2);
      assertThat(await(s.ack("bob", List.of(sc.acked().id()), T0 + 28))).isEqualTo(1);
      return sc;
    }

    /**
     * What a restart keeps. A store of one balancer kept leases and hand-outs in that balancer's
     * memory, so they come back at once; a {@link WorkStore#shared()} store keeps them until their
     * deadlines, since they belong to the worker and the client, not to the balancer that restarted.
     */
    void assertSurvived(WorkStore s, Scenario sc) throws Exception {
      long now = T0 + 100;
      if (s.shared()) {
        assertCounts(s, now, 2, 1, 2, 0);
        assertThat(stats(s, now).handedOut()).isEqualTo(1);
        assertThat(find(s, sc.leased().id(), now)).get().satisfies(i -> {
          assertThat(i.status()).isEqualTo(WorkStatus.RUNNING);
          assertThat(i.workerId()).isEqualTo("w");
        });
      } else {
        assertCounts(s, now, 3, 0, 2, 0);
        assertThat(stats(s, now).handedOut()).isZero();
        assertThat(find(s, sc.leased().id(), now)).get().satisfies(i -> {
          assertThat(i.status()).isEqualTo(WorkStatus.QUEUED);
          assertThat(i.attempts()).isEqualTo(2);
        });
      }
      assertThat(find(s, sc.pulled().id(), now)).get().satisfies(i -> {
        assertThat(i.status()).isEqualTo(WorkStatus.COMPLETED);
        assertThat(i.pulled()).isTrue();
        assertThat(i.result()).isEqualTo(digest(3));
      });
      assertThat(find(s, sc.completed().id(), now)).get().satisfies(i -> {
        assertThat(i.status()).isEqualTo(WorkStatus.COMPLETED);
        assertThat(i.attempts()).isEqualTo(2);
      });
      assertThat(await(s.enqueue(List.of(new NewWork(UUID.randomUUID(), "alice", 1, new byte[] {1}, "key-5", now)))))
          .containsExactly(EnqueueOutcome.existing(sc.keyed().id()));
      assertThat(await(s.find("bob", sc.acked().id(), now))).get().extracting(WorkInfo::pulled).isEqualTo(true);

      if (s.shared()) {
        assertThat(ids(lease(s, "after", 10, now))).containsExactly(sc.pending().id(), sc.keyed().id());
        // Its third delivery, not lost by the restart: when that lease runs out, it has used up maxAttempts.
        assertThat(await(s.expire(T0 + 24 + LEASE_MS)).failed()).extracting(ExpiryOutcome.ExpiredLease::id)
            .containsExactly(sc.leased().id());
      } else {
        List<LeasedWork> leased = lease(s, "after", 10, now);
        assertThat(ids(leased)).containsExactly(sc.leased().id(), sc.pending().id(), sc.keyed().id());
        assertThat(leased).extracting(LeasedWork::attempts).containsExactly(3, 1, 1);
        assertThat(leased.get(0).data()).isEqualTo(sc.leased().data());
        assertThat(leased.get(1).data()).isEqualTo(sc.pending().data());
        assertThat(leased.get(2).data()).isEmpty();
      }

      assertThat(pull(s, ANON, 10, now)).singleElement().satisfies(c -> {
        assertThat(c.id()).isEqualTo(sc.completed().id());
        assertThat(c.result()).isEqualTo(digest(2));
        assertThat(c.completedAt()).isEqualTo(T0 + 22);
      });
      // Handed out and not acknowledged when the store stopped: it can be pulled again, at once or
      // (shared) once its ackMs ran out.
      long handOutOver = s.shared() ? T0 + 27 + 60_000 : now;
      if (s.shared()) {
        assertThat(pull(s, "bob", 10, now)).isEmpty();
        assertThat(await(s.expire(handOutOver)).handOutsReturned()).containsExactly(sc.handedOut().id());
      }
      assertThat(pull(s, "bob", 10, handOutOver)).extracting(CompletedWork::id).containsExactly(sc.handedOut().id());
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
        lease(store, "w", 1, now);
        now += LEASE_MS;
        await(store.expire(now));
      }
      store.close();

      WorkStore reopened = open(LIMITS, now);
      assertCounts(reopened, now, 0, 0, 0, 1);
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
      assertThat(stats(reopened, T0 + 1_000).pending()).isEqualTo(threads * perThread);
      List<LeasedWork> all = lease(reopened, "w", threads * perThread, T0 + 1_000);
      assertThat(ids(all)).containsExactlyInAnyOrderElementsOf(acknowledged);
      assertThat(all).allSatisfy(l -> assertThat(l.data()).hasSize(3));
    }
  }
}
