package swell.store;

/** The counts the scaler and {@code /status} read; cheap, from memory. */
public record QueueStats(long pending, long oldestPendingAgeMs, long leased, long completedUnpulled, long failed) {
}
