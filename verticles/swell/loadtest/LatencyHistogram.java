package swell.loadtest;

import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

/**
 * Latencies in microseconds with HdrHistogram's fixed relative error, so p99.9 of a million
 * samples costs the same few kilobytes as p50 of ten.
 */
final class LatencyHistogram {
  /** One hour: anything slower is a stall, recorded at the ceiling rather than dropped. */
  private static final long HIGHEST_MICROS = 3_600_000_000L;

  private final Histogram histogram = new Histogram(HIGHEST_MICROS, 3);

  void recordNanos(long nanos) {
    long micros = Math.max(0, nanos / 1000);
    histogram.recordValue(Math.min(micros, HIGHEST_MICROS));
  }

  long count() {
    return histogram.getTotalCount();
  }

  /** Milliseconds at the percentile, or 0 before the first sample. */
  double percentileMs(double percentile) {
    return histogram.getTotalCount() == 0 ? 0 : histogram.getValueAtPercentile(percentile) / 1000.0;
  }

  Summary summary() {
    if (histogram.getTotalCount() == 0) {
      return new Summary(0, 0, 0, 0, 0, 0);
    }
    return new Summary(histogram.getTotalCount(), percentileMs(50), percentileMs(90), percentileMs(99),
        percentileMs(99.9), histogram.getMaxValue() / 1000.0);
  }

  /** The percentiles a report prints, in milliseconds. */
  record Summary(long count, double p50, double p90, double p99, double p999, double max) {
    JsonObject toJson() {
      return new JsonObject().put("count", count).put("p50", p50).put("p90", p90).put("p99", p99)
          .put("p99_9", p999).put("max", max);
    }

    String toText() {
      return String.format("p50 %s  p90 %s  p99 %s  p99.9 %s  max %s ms", ms(p50), ms(p90), ms(p99), ms(p999),
          ms(max));
    }

    private static String ms(double v) {
      return v >= 100 ? String.format("%.0f", v) : v >= 10 ? String.format("%.1f", v) : String.format("%.2f", v);
    }
  }
}
