package swell.worker;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** What a heartbeat reports of the compute threads: their hash rate and how busy they were. */
class ComputeStatsTest {
  private static final long S = 1_000_000_000L;

  /** Totals at {@code t} seconds: hashes and time of the finished works, busy time including running ones. */
  private static ChainPool.Totals at(double t, long hashes, double workS, double busyS) {
    return new ChainPool.Totals((long) (t * S), hashes, (long) (workS * S), (long) (busyS * S));
  }

  @Test
  void theRateIsUnknownUntilAWorkFinishedThoughTheThreadsAreBusy() {
    ComputeStats stats = new ComputeStats(2, at(0, 0, 0, 0));
    ComputeStats.Interval first = stats.next(at(5, 0, 0, 10));
    assertThat(first.hashRate()).isNaN();
    assertThat(first.busyFraction()).isEqualTo(1.0);
  }

  @Test
  void aWorkLongerThanAHeartbeatGivesASteadyRateNotBurstsOfIt() {
    // One thread of two computes 20 s works at 5 M hashes/s; the other idles.
    ComputeStats stats = new ComputeStats(2, at(0, 0, 0, 0));
    stats.next(at(20, 100_000_000, 20, 20));
    ComputeStats.Interval mid = stats.next(at(25, 100_000_000, 20, 25));
    assertThat(mid.hashRate()).as("no work finished in it, yet the thread hashed all along")
        .isCloseTo(5_000_000, within(1.0));
    assertThat(mid.busyFraction()).isCloseTo(0.5, within(1e-9));
  }

  @Test
  void idleThreadsReportNoHashesAndNoBusyTime() {
    ComputeStats stats = new ComputeStats(4, at(0, 0, 0, 0));
    stats.next(at(1, 5_000_000, 1, 1));
    ComputeStats.Interval idle = stats.next(at(6, 5_000_000, 1, 1));
    assertThat(idle.hashRate()).isZero();
    assertThat(idle.busyFraction()).isZero();
  }

  @Test
  void thePoolCountsEveryFinishedWorkAndItsTime() throws InterruptedException {
    try (ChainPool pool = new ChainPool(2, "t", ChainPool.sha512Chain())) {
      CountDownLatch done = new CountDownLatch(3);
      for (long iterations : new long[] {1000, 2000, 3000}) {
        pool.submit(new byte[] {1}, iterations, (r, e) -> done.countDown());
      }
      assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
      ChainPool.Totals t = pool.totals();
      assertThat(t.hashes()).isEqualTo(6000);
      assertThat(t.workNanos()).isPositive();
      assertThat(t.busyNanos()).as("nothing is running any more").isEqualTo(t.workNanos());
    }
  }
}
