package swell.loadtest;

import swell.common.Sha512Chain;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which work got which id, when it was sent and what came back: the run's bookkeeping, from which
 * the missing, duplicate and unknown ids and the enqueue-to-result latencies follow. Single-threaded:
 * the run feeds it from one event loop, {@link #verify} reads it once the run is over.
 */
final class WorkLedger {
  private static final class Entry {
    final int index;
    final long sentNanos;
    int pulls;
    String result;
    long iterations;

    Entry(int index, long sentNanos) {
      this.index = index;
      this.sentNanos = sentNanos;
    }
  }

  /** A result pulled before the answer to its enqueue arrived: a fast worker can beat the 200. */
  private record Early(String result, long iterations, long pulledNanos) {
  }

  private final boolean keepResults;
  private final Map<String, Entry> byId = new HashMap<>();
  private final Map<String, Early> early = new HashMap<>();
  /** Results pulled with ackMs whose acknowledgement failed: the server hands them out again, legitimately. */
  private final Set<String> unacknowledged = new HashSet<>();
  private final LatencyHistogram endToEnd = new LatencyHistogram();
  private long completed;
  private long duplicateResults;
  private long duplicateIds;
  private long redelivered;

  /** {@code keepResults}: hold each result for {@link #verify}; off, a big run stays small. */
  WorkLedger(boolean keepResults) {
    this.keepResults = keepResults;
  }

  /** The enqueue of work {@code index}, sent at {@code sentNanos}, was answered with {@code id}. */
  void enqueued(String id, int index, long sentNanos) {
    if (byId.containsKey(id)) {
      duplicateIds++;
      return;
    }
    Entry e = new Entry(index, sentNanos);
    byId.put(id, e);
    Early first = early.remove(id);
    if (first != null) {
      complete(e, first.result, first.iterations, first.pulledNanos);
    }
  }

  /** A pull returned {@code id} at {@code pulledNanos}. */
  void pulled(String id, String result, long iterations, long pulledNanos) {
    Entry e = byId.get(id);
    if (e == null) {
      if (early.containsKey(id)) {
        again(id);
      } else {
        early.put(id, new Early(result, iterations, pulledNanos));
      }
      return;
    }
    if (e.pulls > 0) {
      e.pulls++;
      again(id);
      return;
    }
    complete(e, result, iterations, pulledNanos);
  }

  /**
   * The acknowledgement of these pulled ids failed (or acknowledged fewer): each may come back once
   * more, and then counts as redelivered, not as a duplicate.
   */
  void unacknowledged(Collection<String> ids) {
    unacknowledged.addAll(ids);
  }

  /** A result seen before came again: expected once after a failed acknowledgement, a duplicate otherwise. */
  private void again(String id) {
    if (unacknowledged.remove(id)) {
      redelivered++;
    } else {
      duplicateResults++;
    }
  }

  private void complete(Entry e, String result, long iterations, long pulledNanos) {
    e.pulls = 1;
    completed++;
    endToEnd.recordNanos(pulledNanos - e.sentNanos);
    if (keepResults) {
      e.result = result;
      e.iterations = iterations;
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
    return byId.values().parallelStream()
        .filter(e -> e.pulls > 0)
        .filter(e -> e.iterations != iterations
            || !chains.get().computeHex(bodies.body(e.index), iterations).equals(e.result))
        .count();
  }
}
