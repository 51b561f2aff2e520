package swell.store;

/**
 * The limits a store enforces itself, whatever its kind, and the one rule about deliveries: a work
 * delivered {@code maxAttempts} times whose lease still expires has failed.
 */
public record StoreLimits(long maxPending, long maxCompleted, int maxAttempts, long resultRetentionMs) {

  /** Whether a work whose lease expired after {@code attempts} deliveries has failed rather than going back. */
  public boolean attemptsExhausted(int attempts) {
    return attempts >= maxAttempts;
  }
}
