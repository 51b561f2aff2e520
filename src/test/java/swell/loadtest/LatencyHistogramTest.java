package swell.loadtest;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Percentiles come out in milliseconds within HdrHistogram's error; argument parsing of rates and durations. */
class LatencyHistogramTest {
  @Test
  void percentilesOfAKnownDistribution() {
    LatencyHistogram h = new LatencyHistogram();
    for (int ms = 1; ms <= 1000; ms++) {
      h.recordNanos(ms * 1_000_000L);
    }
    LatencyHistogram.Summary s = h.summary();

    assertThat(s.count()).isEqualTo(1000);
    assertThat(s.p50()).isBetween(499.0, 501.0);
    assertThat(s.p90()).isBetween(899.0, 901.0);
    assertThat(s.p99()).isBetween(989.0, 991.0);
    assertThat(s.p999()).isBetween(998.0, 1001.0);
    assertThat(s.max()).isBetween(999.0, 1001.0);
  }

  @Test
  void emptyHistogramReportsZeros() {
    assertThat(new LatencyHistogram().summary().p99()).isZero();
  }

  @Test
  void stallsBeyondAnHourAreClampedNotLost() {
    LatencyHistogram h = new LatencyHistogram();
    h.recordNanos(Duration.ofHours(5).toNanos());
    assertThat(h.count()).isEqualTo(1);
  }

  @Test
  void ratesAndDurationsParse() {
    assertThat(new LoadtestCommand.RateConverter().convert("5000/s")).isEqualTo(5000.0);
    assertThat(new LoadtestCommand.RateConverter().convert("0")).isZero();
    assertThatThrownBy(() -> new LoadtestCommand.RateConverter().convert("-3")).hasMessageContaining("-3");
    LoadtestCommand.DurationConverter d = new LoadtestCommand.DurationConverter();
    assertThat(d.convert("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(d.convert("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(d.convert("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(d.convert("90")).isEqualTo(Duration.ofSeconds(90));
  }
}
