package swell.store;

import java.util.List;
import java.util.UUID;

/**
 * What a sweep did: leases that ran out went back to the queue or, out of attempts, failed; results
 * handed out with {@code ackMs} and not acknowledged in time came back to be pulled again.
 */
public record ExpiryOutcome(List<ExpiredLease> requeued, List<ExpiredLease> failed, List<UUID> handOutsReturned) {
  public static final ExpiryOutcome NONE = new ExpiryOutcome(List.of(), List.of(), List.of());

  /** One lease that ran out: whose it was and which delivery it was, for the log. */
  public record ExpiredLease(UUID id, String workerId, int attempts) {
  }

  public boolean isEmpty() {
    return requeued.isEmpty() && failed.isEmpty() && handOutsReturned.isEmpty();
  }
}
