package swell.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * Everything in the heap and nothing on disk: for tests, and as the prototype-style baseline that
 * benchmarks compare the durable store against. Lost when the process ends.
 */
public final class MemoryWorkStore implements WorkStore {
  private final StoreLimits limits;
  private final WorkQueue queue;
  private final Map<UUID, byte[]> bodies = new HashMap<>();
  private final Map<String, UUID> idempotencyKeys = new HashMap<>();
  /** Pulled and failed works, readable by id until their retention ends. */
  private final Map<UUID, WorkInfo> retained = new HashMap<>();
  private final ArrayDeque<WorkInfo> retentionOrder = new ArrayDeque<>();

  public MemoryWorkStore(StoreLimits limits) {
    this.limits = limits;
    this.queue = new WorkQueue(limits.maxAttempts());
  }

  @Override
  public CompletableFuture<Void> open(long now) {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public synchronized CompletableFuture<List<EnqueueOutcome>> enqueue(List<NewWork> works) {
    long fresh = works.stream().filter(w -> !known(w)).count();
    if (queue.pendingCount() + fresh > limits.maxPending()) {
      return CompletableFuture.failedFuture(new QueueFullException(limits.maxPending()));
    }
    List<EnqueueOutcome> out = new ArrayList<>(works.size());
    for (NewWork w : works) {
      UUID earlier = w.idempotencyKey() == null ? null : idempotencyKeys.get(w.idempotencyKey());
      if (earlier != null) {
        out.add(new EnqueueOutcome(earlier, false));
      } else if (queue.contains(w.id()) || retained.containsKey(w.id())) {
        out.add(new EnqueueOutcome(w.id(), false));
      } else {
        queue.addPending(w.id(), w.iterations(), w.enqueuedAt(), 0);
        bodies.put(w.id(), w.data());
        if (w.idempotencyKey() != null) {
          idempotencyKeys.put(w.idempotencyKey(), w.id());
        }
        out.add(new EnqueueOutcome(w.id(), true));
      }
    }
    return CompletableFuture.completedFuture(out);
  }

  private boolean known(NewWork w) {
    return queue.contains(w.id()) || retained.containsKey(w.id())
        || (w.idempotencyKey() != null && idempotencyKeys.containsKey(w.idempotencyKey()));
  }

  @Override
  public synchronized CompletableFuture<List<LeasedWork>> lease(String workerId, int max, long iterationBudget,
                                                                long now, long leaseMs) {
    List<LeasedWork> out = new ArrayList<>();
    for (WorkQueue.Lease l : queue.lease(workerId, max, iterationBudget, now, leaseMs)) {
      out.add(new LeasedWork(l.id(), l.iterations(), bodies.get(l.id()), l.attempts(), l.leaseUntil()));
    }
    return CompletableFuture.completedFuture(out);
  }

  @Override
  public synchronized int extend(String workerId, Collection<UUID> ids, long now, long leaseMs) {
    return queue.extend(workerId, ids, now, leaseMs);
  }

  @Override
  public synchronized CompletableFuture<Integer> complete(List<Completion> results, long now) {
    int recorded = 0;
    for (Completion c : results) {
      if (queue.complete(c.id(), c.result(), now)) {
        bodies.remove(c.id());
        recorded++;
      }
    }
    return CompletableFuture.completedFuture(recorded);
  }

  @Override
  public synchronized CompletableFuture<List<CompletedWork>> pull(int top, long now) {
    List<CompletedWork> out = new ArrayList<>();
    for (WorkInfo w : queue.pull(top)) {
      retain(w);
      out.add(new CompletedWork(w.id(), w.result(), w.iterations(), w.finishedAt()));
    }
    return CompletableFuture.completedFuture(out);
  }

  @Override
  public synchronized List<UUID> release(String workerId, long now) {
    return queue.release(workerId);
  }

  @Override
  public synchronized ExpiryOutcome expireLeases(long now) {
    WorkQueue.Expiry expiry = queue.expire(now);
    for (WorkInfo failed : expiry.failed()) {
      bodies.remove(failed.id());
      retain(failed);
    }
    return expiry.outcome();
  }

  private void retain(WorkInfo info) {
    retained.put(info.id(), info);
    retentionOrder.addLast(info);
  }

  @Override
  public synchronized CompletableFuture<Optional<WorkInfo>> find(UUID id, long now) {
    WorkInfo live = queue.find(id);
    if (live != null) {
      return CompletableFuture.completedFuture(Optional.of(live));
    }
    // A result past its retention is gone even if no purge has run yet.
    WorkInfo kept = retained.get(id);
    boolean expired = kept == null || kept.finishedAt() < now - limits.resultRetentionMs();
    return CompletableFuture.completedFuture(expired ? Optional.empty() : Optional.of(kept));
  }

  @Override
  public synchronized CompletableFuture<Integer> purgeExpired(long now) {
    int purged = 0;
    long cutoff = now - limits.resultRetentionMs();
    while (!retentionOrder.isEmpty() && retentionOrder.peekFirst().finishedAt() < cutoff) {
      WorkInfo info = retentionOrder.pollFirst();
      retained.remove(info.id());
      if (info.status() == WorkStatus.FAILED) {
        queue.forgetFailed(1);
      }
      purged++;
    }
    idempotencyKeys.values().removeIf(id -> !queue.contains(id) && !retained.containsKey(id));
    return CompletableFuture.completedFuture(purged);
  }

  @Override
  public synchronized QueueStats stats(long now) {
    return queue.stats(now);
  }

  @Override
  public boolean durable() {
    return false;
  }

  @Override
  public void close() {
  }
}
