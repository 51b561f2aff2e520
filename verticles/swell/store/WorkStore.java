package swell.store;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * The balancer's queues and their persistence behind one interface, so that a store shared by
 * several balancers (PostgreSQL with {@code SKIP LOCKED}) can decide leases itself. Every method is
 * safe to call from an event loop: blocking I/O runs on the store's own threads and the returned
 * futures complete there. Times are Unix milliseconds passed in by the caller.
 */
public interface WorkStore extends AutoCloseable {

  /** Loads what survived the last run: pending and leased works become pending, unpulled results stay. */
  CompletableFuture<Void> open(long now);

  /**
   * Stores works; the future completes only once they are durable (for {@code sqlite}, committed).
   * A repeated id or idempotency key returns the first work's id and stores nothing. Fails with
   * {@link QueueFullException}, storing nothing, when the batch would pass {@code maxPending}.
   */
  CompletableFuture<List<EnqueueOutcome>> enqueue(List<NewWork> works);

  /**
   * Leases up to {@code max} of the oldest pending works to a worker, stopping before their summed
   * iterations pass {@code iterationBudget} (at least one is leased when any is pending), so one
   * worker is not handed a long tail of heavy works.
   */
  CompletableFuture<List<LeasedWork>> lease(String workerId, int max, long iterationBudget, long now, long leaseMs);

  /** Extends the leases a worker still holds on these ids; returns how many it holds. */
  int extend(String workerId, Collection<UUID> ids, long now, long leaseMs);

  /** Records results; the first result for an id wins, later ones are ignored. Completes once durable. */
  CompletableFuture<Integer> complete(List<Completion> results, long now);

  /** Removes and returns up to {@code top} completed works, newest completion first; durable on completion. */
  CompletableFuture<List<CompletedWork>> pull(int top, long now);

  /** A worker left: every work it holds goes back to the queue now. */
  List<UUID> release(String workerId, long now);

  /** Leases past their time go back to the queue, or fail after {@code maxAttempts} deliveries. */
  ExpiryOutcome expireLeases(long now);

  /** One work by id while it is live or its result is retained. */
  CompletableFuture<Optional<WorkInfo>> find(UUID id, long now);

  /** Drops results and failures retained longer than {@code resultRetentionMs}. */
  CompletableFuture<Integer> purgeExpired(long now);

  QueueStats stats(long now);

  /** Whether what {@link #enqueue} acknowledged survives the process. */
  boolean durable();

  @Override
  void close();
}
