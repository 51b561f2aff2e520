package swell.balancer;

import swell.store.QueueStats;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The last queue counts read from the store, which the queue gauges show. The scaler's tick and
 * {@code /status} read the counts anyway and {@link #offer} them; a scrape asks for {@link #fresh}
 * counts and reads the store only when the last ones are older than {@code maxAgeNanos}, and
 * scrapes that overlap share that one read: however often Prometheus (or several) scrape, the store
 * is asked at most about once per {@code maxAgeNanos}. Thread-safe: counts arrive on the store's
 * threads, scrapes come from the event loop.
 */
final class StatsCache {
  /** Counts read within this long are fresh enough for a gauge: the scaler reads them as often. */
  static final long MAX_AGE_NANOS = 1_000_000_000L;

  private final Supplier<CompletionStage<QueueStats>> read;
  private final LongSupplier nanoClock;
  private final long maxAgeNanos;
  private volatile QueueStats last = QueueStats.EMPTY;
  private boolean offered;
  private long offeredAt;
  private CompletableFuture<QueueStats> reading;

  /** @param read asks the store for its counts now */
  StatsCache(Supplier<CompletionStage<QueueStats>> read, LongSupplier nanoClock, long maxAgeNanos) {
    this.read = read;
    this.nanoClock = nanoClock;
    this.maxAgeNanos = maxAgeNanos;
  }

  /** The last counts read ({@link QueueStats#EMPTY} before any); what the gauges show. */
  QueueStats last() {
    return last;
  }

  /** Counts just read by someone else (the scaler, /status). */
  synchronized void offer(QueueStats stats) {
    last = stats;
    offered = true;
    offeredAt = nanoClock.getAsLong();
  }

  /**
   * The last counts if they are fresh, else those of a read of the store (one read for every caller
   * that asks meanwhile). A failed read fails the stage and leaves the last counts as they were.
   */
  synchronized CompletionStage<QueueStats> fresh() {
    if (offered && nanoClock.getAsLong() - offeredAt < maxAgeNanos) {
      return CompletableFuture.completedFuture(last);
    }
    if (reading != null) {
      return reading;
    }
    CompletableFuture<QueueStats> r = new CompletableFuture<>();
    reading = r;
    CompletionStage<QueueStats> asked;
    try {
      asked = read.get();
    } catch (RuntimeException e) {
      asked = CompletableFuture.failedFuture(e);
    }
    asked.whenComplete((stats, err) -> {
      synchronized (this) {
        if (reading == r) {
          reading = null;
        }
        if (err == null) {
          offer(stats);
        }
      }
      if (err != null) {
        r.completeExceptionally(err);
      } else {
        r.complete(stats);
      }
    });
    return r;
  }
}
