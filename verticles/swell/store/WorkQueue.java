package swell.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.UUID;

/**
 * The live works in memory, with no bodies and no I/O: pending in FIFO order of enqueue time,
 * leases with deadlines, and each owner's completed results waiting to be pulled. The memory and
 * SQLite stores decide everything here and persist what it decided; it is not thread-safe, so a
 * store guards it. Times are passed in, so tests drive it with a fake clock.
 *
 * <p>A result is recorded in two steps, {@link #beginComplete} and then {@link #commitComplete} once
 * it is durable (or {@link #abortComplete} if the write failed): until then it is neither pullable
 * nor leasable, so a result can never be pulled before it is on disk.
 */
public final class WorkQueue {

  /** Where an entry is; {@link #status(Entry)} maps it to what clients see. */
  enum State { PENDING, LEASED, COMPLETING, COMPLETED, HANDED_OUT, FAILED }

  /** One live work; about 100 bytes and no other object, so a million pending works fit in a small heap. */
  static final class Entry {
    /** The work's id, as its two halves: no UUID object per live work. */
    final long msb;
    final long lsb;
    final String owner;
    final int iterations;
    final int bodyBytes;
    final long enqueuedAt;
    /** The store's own handle for the row (SQLite's rowid), 0 when it has none. */
    long rowid;
    int attempts;
    State state = State.PENDING;
    /** Whether the pending heap holds this entry (possibly stale, while it is not pending). */
    boolean inHeap;
    String workerId;
    /** Lease deadline while leased, hand-out deadline while handed out. */
    long deadline;
    byte[] result;
    long completedAt;

    Entry(UUID id, String owner, int iterations, int bodyBytes, long enqueuedAt, int attempts) {
      this.msb = id.getMostSignificantBits();
      this.lsb = id.getLeastSignificantBits();
      this.owner = owner;
      this.iterations = iterations;
      this.bodyBytes = bodyBytes;
      this.enqueuedAt = enqueuedAt;
      this.attempts = attempts;
    }

    UUID id() {
      return new UUID(msb, lsb);
    }

    long rowid() {
      return rowid;
    }

    int attempts() {
      return attempts;
    }
  }

  /** Oldest enqueue first; ties broken by id (as UUID orders them) so the order is total. */
  private static final Comparator<Entry> FIFO = Comparator.<Entry>comparingLong(e -> e.enqueuedAt)
      .thenComparingLong(e -> e.msb).thenComparingLong(e -> e.lsb);
  /** Results in the order they were completed (ties: in the order recorded); pulls take from the newest end. */
  private static final Comparator<Entry> COMPLETION_ORDER = Comparator.comparingLong(e -> e.completedAt);

  private final StoreLimits limits;
  private final UuidMap<Entry> live = new UuidMap<>();
  /** May hold entries that left the pending state since; they are skipped when they come up. */
  private final PriorityQueue<Entry> pending = new PriorityQueue<>(FIFO);
  private long pendingCount;
  private long pendingIterations;
  private final UuidMap<Entry> leased = new UuidMap<>();
  private long completing;
  /** Each owner's results, oldest completion first; handed-out ones are not in here while out. */
  private final Map<String, ArrayDeque<Entry>> completed = new HashMap<>();
  /**
   * Each owner's name once: a work's owner arrives as a new string with every enqueue, and a
   * million pending works held a million copies of the same few names (24 MiB of a 193 MiB heap).
   */
  private final Map<String, String> owners = new HashMap<>();
  /** Completed and handed-out results of every owner: what {@code maxCompleted} bounds. */
  private long completedCount;
  private final UuidMap<Entry> handedOut = new UuidMap<>();
  private long failedCount;

  public WorkQueue(StoreLimits limits) {
    this.limits = limits;
  }

  public boolean contains(UUID id) {
    return live.get(id) != null;
  }

  /** The live entry of a work, for its store's bookkeeping (its rowid, its result being written). */
  Entry entry(UUID id) {
    return live.get(id);
  }

  /** Adds a pending work (new, or restored with its delivery count); false if the id is already live. */
  public boolean addPending(UUID id, String owner, int iterations, int bodyBytes, long enqueuedAt, int attempts,
                            long rowid) {
    Entry e = new Entry(id, sharedName(owner), iterations, bodyBytes, enqueuedAt, attempts);
    if (live.putIfAbsent(e.msb, e.lsb, e) != null) {
      return false;
    }
    e.rowid = rowid;
    requeue(e);
    return true;
  }

  /** Adds a work restored with its result, waiting to be pulled. */
  public void addCompleted(UUID id, String owner, int iterations, long enqueuedAt, int attempts, byte[] result,
                           long completedAt, long rowid) {
    Entry e = new Entry(id, sharedName(owner), iterations, 0, enqueuedAt, attempts);
    e.rowid = rowid;
    e.result = result;
    e.completedAt = completedAt;
    live.put(e.msb, e.lsb, e);
    addToCompleted(e);
  }

  // ---- leases ------------------------------------------------------------------------------

  /** A lease as decided here; the store adds the body. */
  public record Lease(UUID id, int iterations, int attempts, long leaseUntil) {
  }

  public List<Lease> lease(String workerId, LeaseLimits limits, long now, long leaseMs) {
    List<Lease> out = new ArrayList<>(Math.max(0, Math.min(limits.maxWorks(), 64)));
    long iterations = 0;
    long bytes = 0;
    while (true) {
      Entry e = peekPending();
      if (e == null || !limits.fits(out.size(), iterations, bytes, e.iterations, e.bodyBytes)) {
        break;
      }
      pending.poll();
      e.inHeap = false;
      leave(e);
      iterations += e.iterations;
      bytes += e.bodyBytes;
      e.attempts++;
      holdFor(e, workerId, now + leaseMs);
      out.add(new Lease(e.id(), e.iterations, e.attempts, e.deadline));
    }
    return out;
  }

  /** Leases that never reached the worker go back to the queue without counting a delivery. */
  public void giveBack(String workerId, Collection<UUID> ids) {
    for (UUID id : ids) {
      Entry e = leased.get(id);
      if (e != null && workerId.equals(e.workerId)) {
        leased.remove(e.msb, e.lsb);
        e.attempts--;
        requeue(e);
      }
    }
  }

  /** See {@link WorkStore#extend}: extends what the worker holds, takes back what is pending. */
  public int extend(String workerId, Collection<UUID> ids, long now, long leaseMs) {
    int held = 0;
    for (UUID id : ids) {
      Entry e = live.get(id);
      if (e == null) {
        continue;
      }
      if (e.state == State.LEASED && workerId.equals(e.workerId)) {
        e.deadline = Math.max(e.deadline, now + leaseMs);
        held++;
      } else if (e.state == State.PENDING) {
        leave(e); // its heap entry goes stale and is skipped
        holdFor(e, workerId, now + leaseMs);
        held++;
      }
    }
    return held;
  }

  private void holdFor(Entry e, String workerId, long until) {
    e.state = State.LEASED;
    e.workerId = workerId;
    e.deadline = until;
    leased.put(e.msb, e.lsb, e);
  }

  /** Every lease of a leaving worker goes back; returned so the store can persist their delivery counts. */
  public List<Entry> releaseWorker(String workerId) {
    List<Entry> out = leased.valuesWhere(e -> workerId.equals(e.workerId));
    for (Entry e : out) {
      leased.remove(e.msb, e.lsb);
      requeue(e);
    }
    return out;
  }

  /** One lease that ran out, with the worker that held it (the entry no longer says). */
  public record Expired(Entry entry, String holder) {
    ExpiryOutcome.ExpiredLease outcome() {
      return new ExpiryOutcome.ExpiredLease(entry.id(), holder, entry.attempts);
    }
  }

  /** What a sweep decided; failed entries have left the queue and are returned whole for the store. */
  public record Expiry(List<Expired> requeued, List<Expired> failed, List<UUID> handOutsReturned) {
    public ExpiryOutcome outcome() {
      if (requeued.isEmpty() && failed.isEmpty() && handOutsReturned.isEmpty()) {
        return ExpiryOutcome.NONE;
      }
      return new ExpiryOutcome(requeued.stream().map(Expired::outcome).toList(),
          failed.stream().map(Expired::outcome).toList(), handOutsReturned);
    }
  }

  public Expiry expire(long now) {
    List<Entry> due = leased.valuesWhere(e -> e.deadline <= now);
    List<Expired> requeued = List.of();
    List<Expired> failed = List.of();
    for (Entry e : due) {
      leased.remove(e.msb, e.lsb);
      Expired x = new Expired(e, e.workerId);
      if (limits.attemptsExhausted(e.attempts)) {
        live.remove(e.msb, e.lsb);
        e.state = State.FAILED;
        e.workerId = null;
        e.completedAt = now;
        failedCount++;
        failed = add(failed, x);
      } else {
        requeue(e);
        requeued = add(requeued, x);
      }
    }
    List<UUID> returned = List.of();
    for (Entry e : handedOut.valuesWhere(e -> e.deadline <= now)) {
      handedOut.remove(e.msb, e.lsb);
      e.state = State.COMPLETED;
      insertByCompletion(deque(e.owner), e);
      returned = add(returned, e.id());
    }
    return new Expiry(requeued, failed, returned);
  }

  /** Most sweeps find nothing, so the lists are only allocated when something expires. */
  private static <T> List<T> add(List<T> list, T item) {
    List<T> l = list.isEmpty() ? new ArrayList<>() : list;
    l.add(item);
    return l;
  }

  // ---- results -----------------------------------------------------------------------------

  /** What {@link #beginComplete} decided for one result. */
  public enum Verdict { ACCEPTED, DUPLICATE, NOT_HOLDER }

  /**
   * Takes a result from the worker holding the lease; it is held back (not pullable, not leasable)
   * until {@link #commitComplete}. A work that is finished or gone counts as a duplicate.
   */
  public Verdict beginComplete(String workerId, UUID id, byte[] result, long now) {
    Entry e = live.get(id);
    if (e == null || e.state == State.COMPLETING || e.state == State.COMPLETED || e.state == State.HANDED_OUT) {
      return Verdict.DUPLICATE;
    }
    if (e.state != State.LEASED || !workerId.equals(e.workerId)) {
      return Verdict.NOT_HOLDER;
    }
    leased.remove(e.msb, e.lsb);
    e.state = State.COMPLETING;
    e.result = result;
    e.completedAt = now;
    completing++;
    return Verdict.ACCEPTED;
  }

  /** The result is durable: it joins its owner's completed results. */
  public void commitComplete(UUID id) {
    Entry e = live.get(id);
    if (e != null && e.state == State.COMPLETING) {
      completing--;
      e.workerId = null;
      addToCompleted(e);
    }
  }

  /** The result could not be stored: the work is leased to its worker again, which will retry. */
  public void abortComplete(UUID id) {
    Entry e = live.get(id);
    if (e != null && e.state == State.COMPLETING) {
      completing--;
      e.result = null;
      e.completedAt = 0;
      holdFor(e, e.workerId, e.deadline);
    }
  }

  /** The one copy of this owner's name that every entry of the owner shares. */
  private String sharedName(String name) {
    return owners.computeIfAbsent(name, n -> n);
  }

  private void addToCompleted(Entry e) {
    e.state = State.COMPLETED;
    insertByCompletion(deque(e.owner), e);
    completedCount++;
  }

  private ArrayDeque<Entry> deque(String owner) {
    return completed.computeIfAbsent(owner, o -> new ArrayDeque<>());
  }

  /** Usually at the end; a result coming back from a hand-out may belong further in. */
  private static void insertByCompletion(ArrayDeque<Entry> deque, Entry e) {
    if (deque.isEmpty() || COMPLETION_ORDER.compare(deque.peekLast(), e) <= 0) {
      deque.addLast(e);
      return;
    }
    ArrayDeque<Entry> newer = new ArrayDeque<>();
    while (!deque.isEmpty() && COMPLETION_ORDER.compare(deque.peekLast(), e) > 0) {
      newer.push(deque.pollLast());
    }
    deque.addLast(e);
    while (!newer.isEmpty()) {
      deque.addLast(newer.pop());
    }
  }

  /**
   * Takes up to {@code top} of the owner's results, newest first. With {@code handOutUntil > 0}
   * they stay live, hidden until then; otherwise they leave the queue and the store must make that
   * durable or {@link #restore} them.
   */
  public List<Entry> pull(String owner, int top, long handOutUntil) {
    ArrayDeque<Entry> deque = completed.get(owner);
    if (deque == null || deque.isEmpty()) {
      return List.of();
    }
    List<Entry> out = new ArrayList<>(Math.min(top, deque.size()));
    while (out.size() < top && !deque.isEmpty()) {
      Entry e = deque.pollLast();
      if (handOutUntil > 0) {
        e.state = State.HANDED_OUT;
        e.deadline = handOutUntil;
        handedOut.put(e.msb, e.lsb, e);
      } else {
        removeCompleted(e);
      }
      out.add(e);
    }
    return out;
  }

  /** Removes the owner's unpulled results with these ids (handed out or not); the store persists it. */
  public List<Entry> ack(String owner, Collection<UUID> ids) {
    List<Entry> out = new ArrayList<>();
    for (UUID id : ids) {
      Entry e = live.get(id);
      if (e == null || !owner.equals(e.owner)) {
        continue;
      }
      if (e.state == State.HANDED_OUT) {
        handedOut.remove(e.msb, e.lsb);
      } else if (e.state == State.COMPLETED) {
        completed.get(owner).remove(e);
      } else {
        continue;
      }
      removeCompleted(e);
      out.add(e);
    }
    return out;
  }

  private void removeCompleted(Entry e) {
    live.remove(e.msb, e.lsb);
    completedCount--;
    e.state = State.COMPLETED;
  }

  /** Puts results back whose removal (pull or ack) could not be made durable. */
  public void restore(List<Entry> entries) {
    for (Entry e : entries) {
      if (live.putIfAbsent(e.msb, e.lsb, e) == null) {
        addToCompleted(e);
      }
    }
  }

  // ---- reading -----------------------------------------------------------------------------

  /** A live work, or null once it was pulled, failed or never existed. */
  public WorkInfo find(UUID id) {
    Entry e = live.get(id);
    return e == null ? null : info(e, false);
  }

  /** An entry as {@code GET /work/{id}} shows it; {@code pulled} for one that just left the queue. */
  static WorkInfo info(Entry e, boolean pulled) {
    WorkStatus status = status(e);
    Long finished = status == WorkStatus.COMPLETED || status == WorkStatus.FAILED ? e.completedAt : null;
    String worker = status == WorkStatus.RUNNING ? e.workerId : null;
    return new WorkInfo(e.id(), e.owner, status, e.iterations, e.attempts, e.enqueuedAt, finished,
        status == WorkStatus.COMPLETED ? e.result : null, worker, pulled);
  }

  private static WorkStatus status(Entry e) {
    return switch (e.state) {
      case PENDING -> WorkStatus.QUEUED;
      case LEASED, COMPLETING -> WorkStatus.RUNNING;
      case COMPLETED, HANDED_OUT -> WorkStatus.COMPLETED;
      case FAILED -> WorkStatus.FAILED;
    };
  }

  public long pendingCount() {
    return pendingCount;
  }

  public long completedCount() {
    return completedCount;
  }

  public QueueStats stats(long now) {
    Entry oldest = peekPending();
    long age = oldest == null ? 0 : Math.max(0, now - oldest.enqueuedAt);
    return new QueueStats(pendingCount, pendingIterations, age, leased.size() + completing, completedCount,
        handedOut.size(), failedCount);
  }

  /** Failures restored from disk count in the stats like new ones. */
  public void countFailed(long n) {
    failedCount += n;
  }

  public void forgetFailed(long n) {
    failedCount = Math.max(0, failedCount - n);
  }

  // ---- the pending heap --------------------------------------------------------------------

  private void requeue(Entry e) {
    e.state = State.PENDING;
    e.workerId = null;
    pendingCount++;
    pendingIterations += e.iterations;
    if (!e.inHeap) {
      e.inHeap = true;
      pending.add(e);
    }
  }

  /** The entry stops being pending (its heap entry, if any, goes stale). */
  private void leave(Entry e) {
    pendingCount--;
    pendingIterations -= e.iterations;
  }

  private Entry peekPending() {
    Entry e = pending.peek();
    while (e != null && e.state != State.PENDING) {
      pending.poll();
      e.inHeap = false;
      e = pending.peek();
    }
    return e;
  }
}
