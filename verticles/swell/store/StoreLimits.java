package swell.store;

/** The limits a store enforces itself, whatever its kind. */
public record StoreLimits(long maxPending, int maxAttempts, long resultRetentionMs) {
}
