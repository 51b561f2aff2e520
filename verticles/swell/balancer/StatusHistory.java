package swell.balancer;

import org.HdrHistogram.Histogram;
import swell.common.WorkIds;
import swell.store.QueueStats;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/**
 * The last hour of the queue as this balancer saw it, for the dashboard's charts: one sample per
 * interval of the store's counts, this balancer's own counters (works enqueued, results recorded,
 * results pulled since it started) and the enqueue-to-result latency of the results recorded in
 * that interval. A ring of fixed size, so memory stays bounded however long the balancer runs.
 *
 * <p>Not thread-safe: the balancer calls it from its one event loop only.
 */
public final class StatusHistory {
  /** A sample's latency fields when no result was recorded in its interval. */
  public static final long NO_LATENCY = -1;
  /** Latencies are clamped to a day: a result later than that is a lost work found again, not a queue delay. */
  private static final long MAX_LATENCY_MS = 86_400_000L;
  /** Two significant digits: 1 % error is far below what a chart shows. */
  private static final int LATENCY_DIGITS = 2;

  /**
   * One interval. Counts are the store's at {@code at} (the whole cluster's with a shared store);
   * {@code enqueued}, {@code completed} and {@code pulled} are this balancer's totals since it
   * started, the rates their change over the interval, and the latencies percentiles over the
   * results recorded in the interval, in milliseconds, or {@link #NO_LATENCY}.
   */
  public record Sample(long at, long pending, long leased, long completedUnpulled, long failed,
                       long enqueued, long completed, long pulled,
                       double enqueuedPerSec, double completedPerSec, double pulledPerSec,
                       long latencyP50Ms, long latencyP90Ms, long latencyP99Ms, long latencyMaxMs) {
  }

  private final Sample[] ring;
  /** Where the next sample goes; the oldest kept is here too once the ring is full. */
  private int next;
  private int size;

  private long enqueued;
  private long completed;
  private long pulled;
  private final Histogram latencies = new Histogram(MAX_LATENCY_MS, LATENCY_DIGITS);

  /** Where the rates of the next sample count from. */
  private long lastAt;
  private long lastEnqueued;
  private long lastCompleted;
  private long lastPulled;

  /**
   * @param capacity how many samples are kept: an hour at one a second is 3,600
   * @param startedAt when counting starts, so that the first sample's rates cover a known time
   */
  public StatusHistory(int capacity, long startedAt) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, not " + capacity);
    }
    this.ring = new Sample[capacity];
    this.lastAt = startedAt;
  }

  /** New works were stored here (not repeats of works already stored). */
  public void enqueued(int n) {
    enqueued += n;
  }

  /**
   * Results were recorded here at {@code now}. Each work's enqueue time is read from its id (a
   * UUIDv7 carries the milliseconds the endpoint made it at); ids of another kind count as
   * completed without a latency.
   */
  public void completed(long now, Collection<UUID> ids) {
    completed += ids.size();
    for (UUID id : ids) {
      long at = WorkIds.createdAtMs(id);
      if (at >= 0) {
        // An endpoint's clock slightly ahead of this one's is not a negative latency.
        latencies.recordValue(Math.min(MAX_LATENCY_MS, Math.max(0, now - at)));
      }
    }
  }

  /** Results were handed to a client here. */
  public void pulled(int n) {
    pulled += n;
  }

  public long enqueued() {
    return enqueued;
  }

  public long completed() {
    return completed;
  }

  public long pulled() {
    return pulled;
  }

  /** Closes the interval ending at {@code now} with the store's counts, and starts the next one. */
  public Sample record(long now, QueueStats stats) {
    double seconds = Math.max(1, now - lastAt) / 1000.0;
    boolean anyLatency = latencies.getTotalCount() > 0;
    Sample s = new Sample(now, stats.pending(), stats.leased(), stats.completedUnpulled(), stats.failed(),
        enqueued, completed, pulled,
        (enqueued - lastEnqueued) / seconds, (completed - lastCompleted) / seconds, (pulled - lastPulled) / seconds,
        anyLatency ? latencies.getValueAtPercentile(50) : NO_LATENCY,
        anyLatency ? latencies.getValueAtPercentile(90) : NO_LATENCY,
        anyLatency ? latencies.getValueAtPercentile(99) : NO_LATENCY,
        anyLatency ? latencies.getMaxValue() : NO_LATENCY);
    latencies.reset();
    lastAt = now;
    lastEnqueued = enqueued;
    lastCompleted = completed;
    lastPulled = pulled;
    ring[next] = s;
    next = (next + 1) % ring.length;
    size = Math.min(size + 1, ring.length);
    return s;
  }

  /** The kept samples taken after {@code afterMs}, oldest first: a page asks only for what it has not seen. */
  public List<Sample> since(long afterMs) {
    List<Sample> out = new ArrayList<>();
    int oldest = size < ring.length ? 0 : next;
    for (int i = 0; i < size; i++) {
      Sample s = ring[(oldest + i) % ring.length];
      if (s.at() > afterMs) {
        out.add(s);
      }
    }
    return out;
  }

  public int capacity() {
    return ring.length;
  }
}
