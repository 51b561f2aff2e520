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
 * benchmarks compare the durable store against. Lost when the process ends. Every decision is the
 * {@link WorkQueue}'s and {@link Admission}'s, as in the SQLite store.
 */
public final class MemoryWorkStore implements WorkStore {
  private final StoreLimits limits;
  private final WorkQueue queue;
  private final Admission admission;
  private final Map<UUID, byte[]> bodies = new HashMap<>();
  private final Map<IdempotencyKey, UUID> idempotencyKeys = new HashMap<>();
  /** Pulled and failed works, readable by id until their retention ends. */
  private final Map<UUID, WorkInfo> retained = new HashMap<>();
  private final ArrayDeque<WorkInfo> retentionOrder = new ArrayDeque<>();

  /** Idempotency keys are scoped to their owner: two clients may use the same key. */
  private record IdempotencyKey(String owner, String key) {
  }

  public MemoryWorkStore(StoreLimits limits) {
    this.limits = limits;
    this.queue = new WorkQueue(limits);
    this.admission = new Admission(limits);
  }

  @Override
  public CompletableFuture<Void> open(long now) {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public synchronized CompletableFuture<List<EnqueueOutcome>> enqueue(List<NewWork> works) {
    Admission.Room room = admission.room(queue.pendingCount(), queue.completedCount());
    List<EnqueueOutcome> out = new ArrayList<>(works.size());
    for (NewWork w : works) {
      IdempotencyKey key = w.idempotencyKey() == null ? null : new IdempotencyKey(w.owner(), w.idempotencyKey());
      UUID earlier = key == null ? null : idempotencyKeys.get(key);
      if (earlier != null) {
        out.add(EnqueueOutcome.existing(earlier));
      } else if (queue.contains(w.id()) || retained.containsKey(w.id())) {
        out.add(EnqueueOutcome.existing(w.id()));
      } else {
        EnqueueOutcome.Result admitted = room.take();
        if (admitted == EnqueueOutcome.Result.CREATED) {
          queue.addPending(w.id(), w.owner(), w.iterations(), w.data().length, w.enqueuedAt(), 0, 0);
          bodies.put(w.id(), w.data());
          if (key != null) {
            idempotencyKeys.put(key, w.id());
          }
        }
        out.add(new EnqueueOutcome(w.id(), admitted));
      }
    }
    return CompletableFuture.completedFuture(out);
  }

  @Override
  public synchronized CompletableFuture<List<LeasedWork>> lease(String workerId, LeaseLimits limits, long now,
                                                                long leaseMs) {
    List<LeasedWork> out = new ArrayList<>();
    for (WorkQueue.Lease l : queue.lease(workerId, limits, now, leaseMs)) {
      out.add(new LeasedWork(l.id(), l.iterations(), bodies.get(l.id()), l.attempts(), l.leaseUntil()));
    }
    return CompletableFuture.completedFuture(out);
  }

  @Override
  public synchronized CompletableFuture<Void> returnUndelivered(String workerId, Collection<UUID> ids) {
    queue.giveBack(workerId, ids);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public synchronized CompletableFuture<Integer> extend(String workerId, Collection<UUID> ids, long now,
                                                        long leaseMs) {
    return CompletableFuture.completedFuture(queue.extend(workerId, ids, now, leaseMs));
  }

  @Override
  public synchronized CompletableFuture<CompletionOutcome> complete(String workerId, List<Completion> results,
                                                                    long now) {
    int recorded = 0;
    int duplicates = 0;
    int notHolder = 0;
    for (Completion c : results) {
      switch (queue.beginComplete(workerId, c.id(), c.result(), now)) {
        case ACCEPTED -> {
          queue.commitComplete(c.id());
          bodies.remove(c.id());
          recorded++;
        }
        case DUPLICATE -> duplicates++;
        case NOT_HOLDER -> notHolder++;
      }
    }
    return CompletableFuture.completedFuture(new CompletionOutcome(recorded, duplicates, notHolder));
  }

  @Override
  public synchronized CompletableFuture<List<CompletedWork>> pull(String owner, int top, long ackMs, long now) {
    List<CompletedWork> out = new ArrayList<>();
    for (WorkQueue.Entry e : queue.pull(owner, top, ackMs > 0 ? now + ackMs : 0)) {
      if (ackMs == 0) {
        retain(WorkQueue.info(e, true));
      }
      out.add(new CompletedWork(e.id(), e.result, e.iterations, e.completedAt));
    }
    return CompletableFuture.completedFuture(out);
  }

  @Override
  public synchronized CompletableFuture<Integer> ack(String owner, Collection<UUID> ids, long now) {
    List<WorkQueue.Entry> acked = queue.ack(owner, ids);
    acked.forEach(e -> retain(WorkQueue.info(e, true)));
    return CompletableFuture.completedFuture(acked.size());
  }

  @Override
  public synchronized CompletableFuture<List<UUID>> releaseWorker(String workerId, long now) {
    return CompletableFuture.completedFuture(queue.releaseWorker(workerId).stream().map(WorkQueue.Entry::id).toList());
  }

  @Override
  public synchronized CompletableFuture<ExpiryOutcome> expire(long now) {
    WorkQueue.Expiry expiry = queue.expire(now);
    for (WorkQueue.Expired failed : expiry.failed()) {
      bodies.remove(failed.entry().id());
      retain(WorkQueue.info(failed.entry(), false));
    }
    return CompletableFuture.completedFuture(expiry.outcome());
  }

  private void retain(WorkInfo info) {
    retained.put(info.id(), info);
    retentionOrder.addLast(info);
  }

  @Override
  public synchronized CompletableFuture<Optional<WorkInfo>> find(String owner, UUID id, long now) {
    WorkInfo found = queue.find(id);
    if (found == null) {
      // A result past its retention is gone even if no purge has run yet.
      WorkInfo kept = retained.get(id);
      found = kept == null || kept.finishedAt() < now - limits.resultRetentionMs() ? null : kept;
    }
    return CompletableFuture.completedFuture(
        Optional.ofNullable(found).filter(w -> w.owner().equals(owner)));
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
  public synchronized CompletableFuture<QueueStats> stats(long now) {
    return CompletableFuture.completedFuture(queue.stats(now));
  }

  @Override
  public CompletableFuture<Void> ping() {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Throwable> broken() {
    return new CompletableFuture<>(); // nothing here can break for good
  }

  @Override
  public boolean durable() {
    return false;
  }

  @Override
  public void close() {
  }
}
