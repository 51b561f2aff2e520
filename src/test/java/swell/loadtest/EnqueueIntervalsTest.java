package swell.loadtest;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The per-interval enqueue rate and the point where it settled, from accepted counts and a fake clock. */
class EnqueueIntervalsTest {
  private static final long SECOND = 1_000_000_000L;

  /** Feeds intervals of 100 works, each taking the given seconds. */
  private static EnqueueIntervals run(double... secondsPerInterval) {
    EnqueueIntervals intervals = new EnqueueIntervals(100);
    long now = 0;
    long accepted = 0;
    for (double s : secondsPerInterval) {
      for (int i = 0; i < 100; i++) {
        now += (long) (s * SECOND / 100);
        intervals.accepted(++accepted, now);
      }
    }
    return intervals;
  }

  @Test
  void aRateThatClimbsThenHoldsSettlesWhereItStopsClimbing() {
    // 100/s, 200/s, 400/s, then 1000/s for nine intervals.
    EnqueueIntervals intervals = run(1, 0.5, 0.25, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1);

    assertThat(intervals.count()).isEqualTo(12);
    assertThat(intervals.rate(0)).isBetween(99.0, 101.0);
    EnqueueIntervals.Settled settled = intervals.settled();
    assertThat(settled.finalRate()).isBetween(990.0, 1010.0);
    assertThat(settled.afterWorks()).isEqualTo(300);
    assertThat(settled.afterSeconds()).isBetween(1.74, 1.76);
    assertThat(settled.toText()).contains("after 300 works");
  }

  @Test
  void aSteadyRateIsSettledFromTheStart() {
    EnqueueIntervals intervals = run(0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1);

    assertThat(intervals.settled().afterWorks()).isZero();
  }

  @Test
  void slowIntervalsLateInARunMoveNeitherTheFinalRateNorTheSettlingPoint() {
    // A shared machine: the last three intervals at a fifth of the speed.
    EnqueueIntervals intervals = run(1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.5, 0.5, 0.5);

    assertThat(intervals.settled().finalRate()).isBetween(990.0, 1010.0);
    assertThat(intervals.settled().afterWorks()).isEqualTo(100);
  }

  @Test
  void tooFewIntervalsSayNothing() {
    EnqueueIntervals intervals = run(0.1, 0.1, 0.1);

    assertThat(intervals.settled()).isNull();
    assertThat(intervals.toJson().getJsonArray("perSecond")).hasSize(3);
    assertThat(intervals.toJson().containsKey("settledAfterWorks")).isFalse();
  }
}
