package swell.store;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import swell.testing.PostgresServer;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The database stops the hard way ({@code pg_ctl stop -m immediate}) under an open store and comes
 * back: calls fail quickly as unavailable meanwhile, nothing acknowledged is lost, and the same store
 * works again without being reopened. A server of its own, since it is stopped.
 */
class PgStoreOutageTest {
  static final StoreLimits LIMITS = new StoreLimits(100_000, 100_000, 5, 60_000);
  /** A call against a stopped database must fail well within this: the pool's connect and wait timeouts. */
  static final long FAIL_WITHIN_MS = PgWorkStore.CONNECT_TIMEOUT_MS + 3_000;

  static Vertx vertx;
  static PostgresServer server;

  @BeforeAll
  static void start() {
    server = PostgresServer.launch();
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get();
    server.close();
  }

  static <T> T await(CompletableFuture<T> f) throws Exception {
    return f.get(30, SECONDS);
  }

  static NewWork work(int i) {
    return new NewWork(UUID.randomUUID(), "", 1, new byte[] {(byte) i, (byte) (i >> 8)}, null, System.currentTimeMillis());
  }

  @Test
  void whileTheDatabaseIsDownCallsFailAsUnavailableAndAfterwardsTheSameStoreGoesOnLosingNothing() throws Exception {
    PgWorkStore store = new PgWorkStore(vertx, PgConnectOptions.fromUri(server.url()), 4, PgClock.DATABASE, LIMITS);
    try {
      await(store.open(0));
      List<NewWork> works = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        works.add(work(i));
      }
      assertThat(await(store.enqueue(works))).allMatch(EnqueueOutcome::created);
      List<LeasedWork> held = await(store.lease("w", LeaseLimits.count(5), 0, 60_000));
      assertThat(await(store.complete("w", List.of(new Completion(held.get(0).id(), new byte[64])), 0)).recorded())
          .isEqualTo(1);

      server.stopImmediate();

      assertUnavailable("enqueue", () -> store.enqueue(List.of(work(100))));
      assertUnavailable("lease", () -> store.lease("w2", LeaseLimits.count(5), 0, 60_000));
      assertUnavailable("complete", () -> store.complete("w",
          List.of(new Completion(held.get(1).id(), new byte[64])), 0));
      assertUnavailable("pull", () -> store.pull("", 10, 0, 0));
      assertUnavailable("ping", store::ping);
      assertUnavailable("stats", () -> store.stats(0));
      assertThat(store.broken()).isNotDone();

      server.start();
      awaitPing(store);

      // Everything acknowledged is there: the completed result, the four works still leased, the rest queued.
      QueueStats stats = await(store.stats(0));
      assertThat(new long[] {stats.pending(), stats.leased(), stats.completedUnpulled()}).containsExactly(15, 4, 1);
      assertThat(await(store.complete("w", held.stream().skip(1)
          .map(l -> new Completion(l.id(), new byte[64])).toList(), 0)).recorded()).isEqualTo(4);
      List<LeasedWork> rest = await(store.lease("w", LeaseLimits.count(100), 0, 60_000));
      assertThat(rest).hasSize(15);
      await(store.complete("w", rest.stream().map(l -> new Completion(l.id(), new byte[64])).toList(), 0));
      List<UUID> pulled = await(store.pull("", 100, 0, 0)).stream().map(CompletedWork::id).toList();
      assertThat(pulled).containsExactlyInAnyOrderElementsOf(works.stream().map(NewWork::id).toList());
    } finally {
      store.close();
    }
  }

  private static void assertUnavailable(String what, Supplier<CompletableFuture<?>> call) throws Exception {
    long start = System.nanoTime();
    try {
      call.get().get(FAIL_WITHIN_MS, MILLISECONDS);
      fail(what + " succeeded while the database was down");
    } catch (ExecutionException e) {
      assertThat(e.getCause()).as(what).isInstanceOf(StoreUnavailableException.class);
      assertThat(((StoreUnavailableException) e.getCause()).fatal()).as(what).isFalse();
    }
    assertThat((System.nanoTime() - start) / 1_000_000).as(what + " failed within (ms)").isLessThan(FAIL_WITHIN_MS);
  }

  /** The pool reconnects by itself; the first calls after the restart may still meet a closing connection. */
  private static void awaitPing(WorkStore store) throws Exception {
    long deadline = System.nanoTime() + SECONDS.toNanos(30);
    while (true) {
      try {
        await(store.ping());
        return;
      } catch (ExecutionException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }
}
