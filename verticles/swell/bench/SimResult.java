package swell.bench;

import java.util.Locale;

/**
 * What one policy made of one scenario.
 *
 * @param drained       every work completed and the fleet shrank back to nothing before the cut-off
 * @param drainMs       from the last arrival to the last completion
 * @param p95WaitMs     95th percentile (nearest rank) of enqueue to start of compute
 * @param workerMinutes paid: each launched worker from its launch until it was gone
 * @param peakWorkers   most workers launching or active at once
 * @param launches      launches asked of the fleet, refused ones included
 */
record SimResult(String scenario, String policy, boolean drained, long drainMs, long p95WaitMs, double workerMinutes,
                 int peakWorkers, int launches, int refusedLaunches) {

  /** One line of {@code --json}: the fields the issue names, in its order. */
  String json() {
    return String.format(Locale.ROOT,
        "{\"scenario\":\"%s\",\"policy\":\"%s\",\"drainMs\":%d,\"p95WaitMs\":%d,\"workerMinutes\":%.1f}",
        scenario, policy, drainMs, p95WaitMs, workerMinutes);
  }
}
