package swell.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.UUID;

/**
 * The live works in memory, with no bodies and no I/O: pending in FIFO order of enqueue time,
 * leases with deadlines, and completed results waiting to be pulled. Every store keeps one; it is
 * not thread-safe, so a store guards it. Times are passed in, so tests drive it with a fake clock.
 */
public final class WorkQueue {

  /** One live work; about 100 bytes, so a million pending works fit in a small heap. */
  static final class Entry {
    final UUID id;
    final int iterations;
    final long enqueuedAt;
    int attempts;
    WorkStatus status = WorkStatus.QUEUED;
    String workerId;
    long leaseUntil;
    byte[] result;
    long completedAt;

    Entry(UUID id, int iterations, long enqueuedAt, int attempts) {
      this.id = id;
      this.iterations = iterations;
      this.enqueuedAt = enqueuedAt;
      this.attempts = attempts;
    }
  }

  /** Oldest enqueue first; ties broken by id so the order is total. */
  private static final Comparator<Entry> FIFO =
      Comparator.<Entry>comparingLong(e -> e.enqueuedAt).thenComparing(e -> e.id);

  private final int maxAttempts;
  private final Map<UUID, Entry> live = new HashMap<>();
  /** May hold entries completed while queued (a late result); they are skipped when polled. */
  private final PriorityQueue<Entry> pending = new PriorityQueue<>(FIFO);
  private long pendingCount;
  private final Map<UUID, Entry> leased = new HashMap<>();
  /** Completion order; pulls take from the newest end. */
  private final ArrayDeque<Entry> completed = new ArrayDeque<>();
  private long failedCount;

  public WorkQueue(int maxAttempts) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1");
    }
    this.maxAttempts = maxAttempts;
  }

  public boolean contains(UUID id) {
    return live.containsKey(id);
  }

  /** Adds a pending work; false if the id is already live. */
  public boolean addPending(UUID id, int iterations, long enqueuedAt, int attempts) {
    if (live.containsKey(id)) {
      return false;
    }
    Entry e = new Entry(id, iterations, enqueuedAt, attempts);
    live.put(id, e);
    pending.add(e);
    pendingCount++;
    return true;
  }

  /** Adds a work restored with its result, waiting to be pulled. */
  public void addCompleted(UUID id, int iterations, long enqueuedAt, int attempts, byte[] result, long completedAt) {
    Entry e = new Entry(id, iterations, enqueuedAt, attempts);
    e.status = WorkStatus.COMPLETED;
    e.result = result;
    e.completedAt = completedAt;
    live.put(id, e);
    completed.addLast(e);
  }

  /** Sorts restored completed works by completion time, since a restart reads them in any order. */
  public void sortCompleted() {
    List<Entry> all = new ArrayList<>(completed);
    all.sort(Comparator.comparingLong(e -> e.completedAt));
    completed.clear();
    completed.addAll(all);
  }

  /** A lease as decided here; the store adds the body. */
  public record Lease(UUID id, int iterations, int attempts, long leaseUntil) {
  }

  public List<Lease> lease(String workerId, int max, long iterationBudget, long now, long leaseMs) {
    List<Lease> out = new ArrayList<>(Math.max(0, Math.min(max, 64)));
    long budgetUsed = 0;
    while (out.size() < max) {
      Entry e = peekPending();
      if (e == null || (!out.isEmpty() && budgetUsed + e.iterations > iterationBudget)) {
        break;
      }
      pending.poll();
      pendingCount--;
      budgetUsed += e.iterations;
      e.status = WorkStatus.RUNNING;
      e.workerId = workerId;
      e.attempts++;
      e.leaseUntil = now + leaseMs;
      leased.put(e.id, e);
      out.add(new Lease(e.id, e.iterations, e.attempts, e.leaseUntil));
    }
    return out;
  }

  /** Returns an unused lease to the front of the queue without counting it as a delivery. */
  public void unlease(UUID id) {
    Entry e = leased.remove(id);
    if (e != null) {
      e.attempts--;
      requeue(e);
    }
  }

  public int extend(String workerId, Collection<UUID> ids, long now, long leaseMs) {
    int held = 0;
    for (UUID id : ids) {
      Entry e = leased.get(id);
      if (e != null && workerId.equals(e.workerId)) {
        e.leaseUntil = Math.max(e.leaseUntil, now + leaseMs);
        held++;
      }
    }
    return held;
  }

  /** Records a result if the work is still waiting for one; the first result wins. */
  public boolean complete(UUID id, byte[] result, long now) {
    Entry e = live.get(id);
    if (e == null || e.status == WorkStatus.COMPLETED) {
      return false;
    }
    if (e.status == WorkStatus.RUNNING) {
      leased.remove(id);
    } else {
      pendingCount--; // the stale heap entry is skipped when it comes up
    }
    e.status = WorkStatus.COMPLETED;
    e.workerId = null;
    e.result = result;
    e.completedAt = now;
    completed.addLast(e);
    return true;
  }

  /**
   * Takes up to {@code top} results, newest first; they leave this queue. Returned whole (attempts,
   * enqueue time) so a store can keep them readable by id after the pull and can put them back.
   */
  public List<WorkInfo> pull(int top) {
    List<WorkInfo> out = new ArrayList<>(Math.max(0, Math.min(top, completed.size())));
    while (out.size() < top && !completed.isEmpty()) {
      Entry e = completed.pollLast();
      live.remove(e.id);
      out.add(new WorkInfo(e.id, WorkStatus.COMPLETED, e.iterations, e.attempts, e.enqueuedAt, e.completedAt,
          e.result, null, true));
    }
    return out;
  }

  /**
   * Puts pulled results back when the pull could not be made durable, behind any result completed
   * since, so that pulls stay newest first.
   */
  public void unpull(List<WorkInfo> works) {
    ArrayDeque<Entry> newer = new ArrayDeque<>();
    long oldestReturned = works.isEmpty() ? Long.MAX_VALUE : works.get(works.size() - 1).finishedAt();
    while (!completed.isEmpty() && completed.peekLast().completedAt > oldestReturned) {
      newer.push(completed.pollLast());
    }
    for (int i = works.size() - 1; i >= 0; i--) {
      WorkInfo w = works.get(i);
      Entry e = new Entry(w.id(), w.iterations(), w.enqueuedAt(), w.attempts());
      e.status = WorkStatus.COMPLETED;
      e.result = w.result();
      e.completedAt = w.finishedAt();
      live.put(e.id, e);
      completed.addLast(e);
    }
    while (!newer.isEmpty()) {
      completed.addLast(newer.pop());
    }
  }

  public List<UUID> release(String workerId) {
    List<UUID> out = new ArrayList<>();
    for (Iterator<Entry> it = leased.values().iterator(); it.hasNext(); ) {
      Entry e = it.next();
      if (workerId.equals(e.workerId)) {
        it.remove();
        requeue(e);
        out.add(e.id);
      }
    }
    return out;
  }

  /**
   * What a lease sweep did. Failed works have left this queue, so they are returned whole for the
   * store to persist and keep readable by id.
   */
  public record Expiry(List<UUID> requeued, List<WorkInfo> failed) {
    public ExpiryOutcome outcome() {
      if (requeued.isEmpty() && failed.isEmpty()) {
        return ExpiryOutcome.NONE;
      }
      return new ExpiryOutcome(requeued, failed.stream().map(WorkInfo::id).toList());
    }
  }

  public Expiry expire(long now) {
    List<UUID> requeued = List.of();
    List<WorkInfo> failed = List.of();
    for (Iterator<Entry> it = leased.values().iterator(); it.hasNext(); ) {
      Entry e = it.next();
      if (e.leaseUntil > now) {
        continue;
      }
      it.remove();
      if (e.attempts >= maxAttempts) {
        live.remove(e.id);
        e.status = WorkStatus.FAILED;
        failedCount++;
        failed = add(failed, new WorkInfo(e.id, WorkStatus.FAILED, e.iterations, e.attempts, e.enqueuedAt, now,
            null, null, false));
      } else {
        requeue(e);
        requeued = add(requeued, e.id);
      }
    }
    return new Expiry(requeued, failed);
  }

  /** Most sweeps find nothing, so the lists are only allocated when something expires. */
  private static <T> List<T> add(List<T> list, T item) {
    List<T> l = list.isEmpty() ? new ArrayList<>() : list;
    l.add(item);
    return l;
  }

  private void requeue(Entry e) {
    e.status = WorkStatus.QUEUED;
    e.workerId = null;
    pending.add(e);
    pendingCount++;
  }

  private Entry peekPending() {
    Entry e = pending.peek();
    while (e != null && e.status != WorkStatus.QUEUED) {
      pending.poll();
      e = pending.peek();
    }
    return e;
  }

  /** A live work, or null once it was pulled, failed or never existed. */
  public WorkInfo find(UUID id) {
    Entry e = live.get(id);
    if (e == null) {
      return null;
    }
    Long finished = e.status == WorkStatus.COMPLETED ? e.completedAt : null;
    return new WorkInfo(e.id, e.status, e.iterations, e.attempts, e.enqueuedAt, finished, e.result, e.workerId, false);
  }

  public long pendingCount() {
    return pendingCount;
  }

  public QueueStats stats(long now) {
    Entry oldest = peekPending();
    long age = oldest == null ? 0 : Math.max(0, now - oldest.enqueuedAt);
    return new QueueStats(pendingCount, age, leased.size(), completed.size(), failedCount);
  }

  /** Failures restored from disk count in the stats like new ones. */
  public void countFailed(long n) {
    failedCount += n;
  }

  public void forgetFailed(long n) {
    failedCount = Math.max(0, failedCount - n);
  }
}
