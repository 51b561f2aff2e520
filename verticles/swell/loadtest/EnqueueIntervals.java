package swell.loadtest;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Arrays;

/**
 * The enqueue rate per interval of accepted works, and after how many works it settled: a fresh
 * Swell (and a fresh endpoint of an autoscaled one) runs slower until its JIT has compiled the hot
 * path, and that first minute is a user's too.
 */
final class EnqueueIntervals {
  /** Works per interval: small enough to see a warm-up of some tens of thousands, large enough to even out. */
  static final int WORKS_PER_INTERVAL = 5000;
  /** The rate has settled once it comes within this fraction of its final value. */
  static final double SETTLED_WITHIN = 0.10;
  /** Intervals averaged when deciding whether the rate has settled, so one slow interval on a shared machine does not count. */
  private static final int WINDOW = 3;

  private final int every;
  private long[] endNanos = new long[64];
  private int count;

  EnqueueIntervals() {
    this(WORKS_PER_INTERVAL);
  }

  EnqueueIntervals(int every) {
    this.every = every;
  }

  /** The {@code accepted}-th work was accepted, {@code elapsedNanos} after the run started. */
  void accepted(long accepted, long elapsedNanos) {
    if (accepted % every != 0) {
      return;
    }
    if (count == endNanos.length) {
      endNanos = Arrays.copyOf(endNanos, count * 2);
    }
    endNanos[count++] = elapsedNanos;
  }

  int count() {
    return count;
  }

  /** Works per second in interval {@code i}. */
  double rate(int i) {
    return rate(i, i + 1);
  }

  /** Works per second over intervals {@code from} (inclusive) to {@code to} (exclusive). */
  private double rate(int from, int to) {
    long start = from == 0 ? 0 : endNanos[from - 1];
    long nanos = Math.max(1, endNanos[to - 1] - start);
    return (double) (to - from) * every * 1e9 / nanos;
  }

  /**
   * Where the rate settled: the final rate is the median of the intervals' rates over the second half
   * of the run (a median, so that a few slow intervals on a shared machine do not move it), and the
   * rate has settled at the first interval from which {@value #WINDOW} intervals together reach
   * within {@link #SETTLED_WITHIN} of it. Null with fewer than {@code 2 * WINDOW} intervals.
   */
  Settled settled() {
    if (count < 2 * WINDOW) {
      return null;
    }
    double[] secondHalf = new double[count - count / 2];
    for (int i = count / 2; i < count; i++) {
      secondHalf[i - count / 2] = rate(i);
    }
    Arrays.sort(secondHalf);
    double last = secondHalf[secondHalf.length / 2];
    int settledAt = 0;
    while (settledAt + WINDOW < count && rate(settledAt, settledAt + WINDOW) < (1 - SETTLED_WITHIN) * last) {
      settledAt++;
    }
    double seconds = settledAt == 0 ? 0 : endNanos[settledAt - 1] / 1e9;
    return new Settled((long) settledAt * every, seconds, last, every, rate(0));
  }

  /**
   * @param afterWorks works accepted before the rate settled
   * @param afterSeconds seconds into the run when it settled
   * @param finalRate the median rate of the intervals in the run's second half
   * @param firstWorks works in the first interval
   * @param firstRate works/s over the first interval
   */
  record Settled(long afterWorks, double afterSeconds, double finalRate, int firstWorks, double firstRate) {
    String toText() {
      return String.format("within %.0f %% of its final %.0f works/s after %d works (%.1f s); the first %d at %.0f/s",
          SETTLED_WITHIN * 100, finalRate, afterWorks, afterSeconds, firstWorks, firstRate);
    }
  }

  JsonObject toJson() {
    JsonArray rates = new JsonArray();
    for (int i = 0; i < count; i++) {
      rates.add(Math.round(rate(i)));
    }
    JsonObject out = new JsonObject().put("worksPerInterval", every).put("perSecond", rates);
    Settled s = settled();
    if (s != null) {
      out.put("settledAfterWorks", s.afterWorks()).put("settledAfterSeconds", s.afterSeconds())
          .put("finalPerSecond", s.finalRate());
    }
    return out;
  }

  /** One line per interval, for {@code --warmup-report}. */
  String toTable() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < count; i++) {
      sb.append(String.format("           %9d works  %7.2f s  %7.0f works/s%n", (long) (i + 1) * every,
          endNanos[i] / 1e9, rate(i)));
    }
    return sb.toString();
  }
}
