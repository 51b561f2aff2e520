package swell.worker;

/**
 * Turns the compute threads' running totals into what a heartbeat reports for the interval since
 * the last one: the hash rate over all threads and the share of thread time spent computing.
 *
 * <p>Iterations are counted once per finished work, so a work that outlasts a heartbeat interval
 * would make a raw count jumpy (nothing in one interval, several intervals' worth in the next).
 * The rate is therefore the threads' busy time in the interval, which is known to the nanosecond,
 * times their speed, measured on the works that finished in it (or, in an interval where none did,
 * the speed measured last). Until a first work has finished the speed is unknown and so is the rate.
 */
final class ComputeStats {
  private static final double NANOS_PER_SECOND = 1e9;

  /** One heartbeat's figures; {@code hashRate} is NaN while no work has finished yet. */
  record Interval(double hashRate, double busyFraction) {
  }

  private final int threads;
  private ChainPool.Totals last;
  /** Iterations per nanosecond of one busy thread, NaN until a work finished. */
  private double speed = Double.NaN;

  ComputeStats(int threads, ChainPool.Totals start) {
    this.threads = threads;
    this.last = start;
  }

  Interval next(ChainPool.Totals now) {
    long elapsed = now.at() - last.at();
    long hashed = now.hashes() - last.hashes();
    long worked = now.workNanos() - last.workNanos();
    long busy = now.busyNanos() - last.busyNanos();
    last = now;
    if (worked > 0 && hashed > 0) {
      speed = (double) hashed / worked;
    }
    if (elapsed <= 0) {
      return new Interval(Double.NaN, 0);
    }
    double busyNanos = Math.max(0, Math.min((double) busy, (double) elapsed * threads));
    double busyFraction = busyNanos / ((double) elapsed * threads);
    double hashRate = speed * busyNanos / elapsed * NANOS_PER_SECOND;
    return new Interval(hashRate, busyFraction);
  }
}
