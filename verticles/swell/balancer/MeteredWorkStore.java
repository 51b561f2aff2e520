package swell.balancer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import swell.store.CompletedWork;
import swell.store.Completion;
import swell.store.CompletionOutcome;
import swell.store.Coordination;
import swell.store.EnqueueOutcome;
import swell.store.ExpiryOutcome;
import swell.store.LeaseLimits;
import swell.store.LeasedWork;
import swell.store.NewWork;
import swell.store.QueueStats;
import swell.store.WorkInfo;
import swell.store.WorkStore;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * The balancer's store, counted: every outcome the store answers (works stored, leased, completed,
 * pulled, expired) is added to {@link BalancerMeters} before the caller sees it, in one step per
 * call whatever its number of works, and every queue count read goes to the {@link StatsCache} the
 * gauges show. The routes, the dispatcher and the timers stay as they are.
 */
final class MeteredWorkStore implements WorkStore {
  private static final Logger log = LoggerFactory.getLogger(MeteredWorkStore.class);

  private final WorkStore store;
  private final BalancerMeters meters;
  private final StatsCache stats;

  /** @param stats given every queue count read through here (the scaler's, /status's), for the gauges */
  MeteredWorkStore(WorkStore store, BalancerMeters meters, StatsCache stats) {
    this.store = store;
    this.meters = meters;
    this.stats = stats;
  }

  /** Counting must never fail a store call: a bug here is logged, the caller gets the store's answer. */
  private static void count(Runnable counting) {
    try {
      counting.run();
    } catch (RuntimeException e) {
      log.warn("counting a store outcome failed", e);
    }
  }

  @Override
  public CompletableFuture<List<EnqueueOutcome>> enqueue(List<NewWork> works) {
    return store.enqueue(works).whenComplete((outcomes, err) -> {
      if (err == null) {
        count(() -> meters.enqueued(works, outcomes));
      }
    });
  }

  @Override
  public CompletableFuture<List<LeasedWork>> lease(String workerId, LeaseLimits limits, long now,
                                                   long leaseMs) {
    return store.lease(workerId, limits, now, leaseMs).whenComplete((works, err) -> {
      if (err == null) {
        count(() -> meters.leased(works.size()));
      }
    });
  }

  @Override
  public CompletableFuture<Void> returnUndelivered(String workerId, Collection<UUID> ids) {
    meters.undelivered(ids.size());
    return store.returnUndelivered(workerId, ids);
  }

  @Override
  public CompletableFuture<CompletionOutcome> complete(String workerId, List<Completion> results, long now) {
    return store.complete(workerId, results, now).whenComplete((outcome, err) -> {
      if (err == null) {
        count(() -> meters.completed(results, outcome, now));
      }
    });
  }

  @Override
  public CompletableFuture<List<CompletedWork>> pull(String owner, int top, long ackMs, long now) {
    return store.pull(owner, top, ackMs, now).whenComplete((results, err) -> {
      if (err == null) {
        count(() -> meters.pulled(owner, results, now));
      }
    });
  }

  @Override
  public CompletableFuture<ExpiryOutcome> expire(long now) {
    return store.expire(now).whenComplete((outcome, err) -> {
      if (err == null && !outcome.isEmpty()) {
        count(() -> meters.expired(outcome));
      }
    });
  }

  // ---- passed through ----------------------------------------------------------------------

  @Override
  public CompletableFuture<Void> open(long now) {
    return store.open(now);
  }

  @Override
  public CompletableFuture<Integer> extend(String workerId, Collection<UUID> ids, long now, long leaseMs) {
    return store.extend(workerId, ids, now, leaseMs);
  }

  @Override
  public CompletableFuture<Integer> ack(String owner, Collection<UUID> ids, long now) {
    return store.ack(owner, ids, now);
  }

  @Override
  public CompletableFuture<List<UUID>> releaseWorker(String workerId, long now) {
    return store.releaseWorker(workerId, now);
  }

  @Override
  public CompletableFuture<Optional<WorkInfo>> find(String owner, UUID id, long now) {
    return store.find(owner, id, now);
  }

  @Override
  public CompletableFuture<Integer> purgeExpired(long now) {
    return store.purgeExpired(now);
  }

  @Override
  public CompletableFuture<QueueStats> stats(long now) {
    return store.stats(now).whenComplete((counts, err) -> {
      if (err == null) {
        stats.offer(counts);
      }
    });
  }

  @Override
  public CompletableFuture<Void> ping() {
    return store.ping();
  }

  @Override
  public CompletableFuture<Throwable> broken() {
    return store.broken();
  }

  @Override
  public boolean durable() {
    return store.durable();
  }

  @Override
  public boolean shared() {
    return store.shared();
  }

  @Override
  public Optional<Coordination> coordination() {
    return store.coordination();
  }

  @Override
  public void close() {
    store.close();
  }
}
