package swell.metrics;

import java.time.Duration;

/** Histogram bucket bounds written as numbers of milliseconds, so each list reads as one line. */
final class Buckets {
  private Buckets() {
  }

  static Duration[] millis(double... bounds) {
    Duration[] out = new Duration[bounds.length];
    for (int i = 0; i < bounds.length; i++) {
      out[i] = Duration.ofNanos(Math.round(bounds[i] * 1_000_000));
    }
    return out;
  }
}
