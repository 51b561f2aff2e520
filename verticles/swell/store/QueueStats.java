package swell.store;

/**
 * The counts the scaler, {@code /status} and the metrics read. {@code completedUnpulled} includes
 * the {@code handedOut} results (pulled with {@code ackMs}, not acknowledged yet).
 */
public record QueueStats(long pending, long pendingIterations, long oldestPendingAgeMs, long leased,
                         long completedUnpulled, long handedOut, long failed) {
  public static final QueueStats EMPTY = new QueueStats(0, 0, 0, 0, 0, 0, 0);
}
