package swell.loadtest;

import swell.common.Sha512Chain;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Which work got which id, when it was sent and what came back: the run's bookkeeping, from which
 * the missing, duplicate and unknown ids and the enqueue-to-result latencies follow. Single-threaded:
 * the run feeds it from one event loop, {@link #verify} reads it once the run is over.
 */
final class WorkLedger {
  /** A result pulled before the answer to its enqueue arrived: a fast worker can beat the 200. */
  private record Early(String result, long iterations, long pulledNanos) {
  }

  private final boolean keepResults;
  /** Every acknowledged work, keyed by its id's two longs in flat arrays: no String, UUID or boxed entry per work. */
  private final IdTable byId = new IdTable();
  private int[] indexOf = new int[IdTable.INITIAL_CAPACITY];
  private long[] sentNanos = new long[IdTable.INITIAL_CAPACITY];
  /** How many times each work's result was pulled. */
  private int[] pulls = new int[IdTable.INITIAL_CAPACITY];
  /** With {@code keepResults}: what came back, for {@link #verify}. */
  private String[] results;
  private long[] iterations;
  private final Map<WorkId, Early> early = new HashMap<>();
  /** Results pulled with ackMs whose acknowledgement failed: the server hands them out again, legitimately. */
  private final Set<WorkId> unacknowledged = new HashSet<>();
  private final LatencyHistogram endToEnd = new LatencyHistogram();
  private long completed;
  private long duplicateResults;
  private long duplicateIds;
  private long redelivered;

  /** {@code keepResults}: hold each result for {@link #verify}; off, a big run stays small. */
  WorkLedger(boolean keepResults) {
    this.keepResults = keepResults;
    if (keepResults) {
      results = new String[IdTable.INITIAL_CAPACITY];
      iterations = new long[IdTable.INITIAL_CAPACITY];
    }
  }

  /** The enqueue of work {@code index}, sent at {@code sentNanos}, was answered with {@code id}. */
  void enqueued(String id, int index, long sentNanos) {
    WorkId w = WorkId.of(id);
    enqueued(w.msb(), w.lsb(), index, sentNanos);
  }

  /** As {@link #enqueued(String, int, long)}, for an id already read as two longs. */
  void enqueued(long msb, long lsb, int index, long sentNanos) {
    if (byId.full()) {
      follow(byId.grow());
    }
    int slot = byId.add(msb, lsb);
    if (slot < 0) {
      duplicateIds++;
      return;
    }
    indexOf[slot] = index;
    this.sentNanos[slot] = sentNanos;
    if (!early.isEmpty()) {
      Early first = early.remove(new WorkId(msb, lsb));
      if (first != null) {
        complete(slot, first.result, first.iterations, first.pulledNanos);
      }
    }
  }

  /** The table grew: the parallel arrays follow, slot for slot. */
  private void follow(int[] moved) {
    int capacity = byId.capacity();
    int[] newIndex = new int[capacity];
    long[] newSent = new long[capacity];
    int[] newPulls = new int[capacity];
    String[] newResults = keepResults ? new String[capacity] : null;
    long[] newIterations = keepResults ? new long[capacity] : null;
    for (int from = 0; from < moved.length; from++) {
      int to = moved[from];
      if (to < 0) {
        continue;
      }
      newIndex[to] = indexOf[from];
      newSent[to] = sentNanos[from];
      newPulls[to] = pulls[from];
      if (keepResults) {
        newResults[to] = results[from];
        newIterations[to] = iterations[from];
      }
    }
    indexOf = newIndex;
    sentNanos = newSent;
    pulls = newPulls;
    results = newResults;
    iterations = newIterations;
  }

  /** A pull returned {@code id} at {@code pulledNanos}. */
  void pulled(String id, String result, long iterations, long pulledNanos) {
    WorkId w = WorkId.of(id);
    int slot = byId.find(w.msb(), w.lsb());
    if (slot < 0) {
      if (early.containsKey(w)) {
        again(w);
      } else {
        early.put(w, new Early(result, iterations, pulledNanos));
      }
      return;
    }
    if (pulls[slot] > 0) {
      pulls[slot]++;
      again(w);
      return;
    }
    complete(slot, result, iterations, pulledNanos);
  }

  /**
   * The acknowledgement of these pulled ids failed (or acknowledged fewer): each may come back once
   * more, and then counts as redelivered, not as a duplicate.
   */
  void unacknowledged(Collection<String> ids) {
    for (String id : ids) {
      unacknowledged.add(WorkId.of(id));
    }
  }

  /** A result seen before came again: expected once after a failed acknowledgement, a duplicate otherwise. */
  private void again(WorkId id) {
    if (unacknowledged.remove(id)) {
      redelivered++;
    } else {
      duplicateResults++;
    }
  }

  private void complete(int slot, String result, long iterations, long pulledNanos) {
    pulls[slot] = 1;
    completed++;
    endToEnd.recordNanos(pulledNanos - sentNanos[slot]);
    if (keepResults) {
      results[slot] = result;
      this.iterations[slot] = iterations;
    }
  }

  /** Distinct works the server acknowledged. */
  long accepted() {
    return byId.size();
  }

  /** Acknowledged works whose result came back at least once. */
  long completed() {
    return completed;
  }

  long missing() {
    return byId.size() - completed;
  }

  /** Results pulled more than once; each work is to be pulled exactly once. */
  long duplicateResults() {
    return duplicateResults;
  }

  /** Results handed out again because their acknowledgement failed; each work counts once all the same. */
  long redelivered() {
    return redelivered;
  }

  /** Enqueues answered with an id another work already had. */
  long duplicateIds() {
    return duplicateIds;
  }

  /** Pulled ids no enqueue of this run was answered with (someone else's works, or invented ones). */
  long unknown() {
    return early.size();
  }

  boolean allBack() {
    return completed == byId.size();
  }

  LatencyHistogram endToEnd() {
    return endToEnd;
  }

  /**
   * Recomputes every returned result from its rebuilt body and counts those that differ (a wrong
   * digest or a wrong iteration count). Uses every core: by now the run is over.
   */
  long verify(Bodies bodies, long iterations) {
    if (!keepResults) {
      throw new IllegalStateException("this ledger was told not to keep results");
    }
    ThreadLocal<Sha512Chain> chains = ThreadLocal.withInitial(Sha512Chain::new);
    return IntStream.range(0, byId.capacity()).parallel()
        .filter(slot -> byId.used(slot) && pulls[slot] > 0)
        .filter(slot -> this.iterations[slot] != iterations
            || !chains.get().computeHex(bodies.body(indexOf[slot]), iterations).equals(results[slot]))
        .count();
  }
}
