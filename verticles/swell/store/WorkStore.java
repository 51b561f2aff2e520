package swell.store;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * The balancer's queues and their persistence behind one interface, whether the store decides in
 * memory (sqlite, memory) or in a database shared by several balancers (postgres). Every method
 * returns at once and is safe to call from an event loop; the futures complete on the store's own
 * threads, so callers on a Vert.x context hop back themselves. Times are Unix milliseconds passed in
 * by the caller. The rules every store keeps are in {@link Admission}, {@link LeaseLimits} and
 * {@link StoreLimits}, and {@code WorkStoreContract} checks them against every implementation.
 *
 * <p>A failed future carries a {@link StoreUnavailableException} when nothing of the operation
 * took effect and it may be retried.
 */
public interface WorkStore extends AutoCloseable {

  /**
   * Loads what survived the last run: unpulled results stay; with a store of one balancer, leased
   * works become pending and hand-outs come back, since they lived in that balancer's memory. A
   * {@link #shared()} store keeps both: they belong to workers and clients, not to a balancer.
   */
  CompletableFuture<Void> open(long now);

  /**
   * Stores works, each decided on its own by {@link Admission} in order; the future completes once
   * what was stored is durable, with one outcome per work in the same order.
   */
  CompletableFuture<List<EnqueueOutcome>> enqueue(List<NewWork> works);

  /** Leases the oldest pending works to a worker, within {@code limits}. */
  CompletableFuture<List<LeasedWork>> lease(String workerId, LeaseLimits limits, long now, long leaseMs);

  /**
   * Works leased but never delivered (the long-poll's connection closed first) go back to the front
   * of the queue without counting a delivery. Only those of {@code ids} the worker still holds.
   */
  CompletableFuture<Void> returnUndelivered(String workerId, Collection<UUID> ids);

  /**
   * A worker's heartbeat: extends the leases it holds on these ids, and takes back those of them
   * that are pending again without being leased to anyone (its balancer restarted, or its lease ran
   * out a moment ago), so that a work is not run twice when its worker is still at it. Returns how
   * many of the ids the worker holds now.
   */
  CompletableFuture<Integer> extend(String workerId, Collection<UUID> ids, long now, long leaseMs);

  /** Records results; only from the worker holding the lease, and the first result wins. Completes once durable. */
  CompletableFuture<CompletionOutcome> complete(String workerId, List<Completion> results, long now);

  /**
   * Up to {@code top} of the owner's results, newest completion first. With {@code ackMs == 0} they
   * leave the store's completed queue, durably, before the future completes (at most once). With
   * {@code ackMs > 0} they are hidden until {@code now + ackMs} and come back unless acknowledged.
   */
  CompletableFuture<List<CompletedWork>> pull(String owner, int top, long ackMs, long now);

  /** Removes the owner's unpulled results with these ids, durably; returns how many were removed. */
  CompletableFuture<Integer> ack(String owner, Collection<UUID> ids, long now);

  /** A worker left: every work it holds goes back to the queue now (its deliveries stay counted). */
  CompletableFuture<List<UUID>> releaseWorker(String workerId, long now);

  /**
   * Leases past their time go back to the queue, or fail once {@link StoreLimits#attemptsExhausted};
   * results handed out with {@code ackMs} and not acknowledged in time come back.
   */
  CompletableFuture<ExpiryOutcome> expire(long now);

  /** One of the owner's works by id while it is live or its result is retained; another owner's is not found. */
  CompletableFuture<Optional<WorkInfo>> find(String owner, UUID id, long now);

  /** Drops results and failures retained longer than {@code resultRetentionMs}; returns how many. */
  CompletableFuture<Integer> purgeExpired(long now);

  CompletableFuture<QueueStats> stats(long now);

  /** Completes if the store can take writes now, else fails with a {@link StoreUnavailableException}: {@code /ready}. */
  CompletableFuture<Void> ping();

  /**
   * Completes, with the cause, if the store breaks for good (its writer died): every later operation
   * fails and the process should be restarted by its supervisor.
   */
  CompletableFuture<Throwable> broken();

  /** Whether what {@link #enqueue} acknowledged survives the process. */
  boolean durable();

  /**
   * Whether several balancers serve this store at once: leases and hand-outs then outlive the
   * balancer that granted them (a worker keeps its works across a balancer's restart or loss, and
   * only their deadlines end them), and work may be added by another process at any time.
   */
  default boolean shared() {
    return false;
  }

  /** How balancers sharing this store agree on the leader, the workers and wake-ups; empty unless {@link #shared()}. */
  default Optional<Coordination> coordination() {
    return Optional.empty();
  }

  @Override
  void close();
}
