package swell.store;

import java.util.List;
import java.util.UUID;

/**
 * What a lease sweep did: works back in the queue, and works that used up their attempts (as ids,
 * and as the record a store keeps of them).
 */
public record ExpiryOutcome(List<UUID> requeued, List<UUID> failed, List<WorkInfo> failedWorks) {
  public static final ExpiryOutcome NONE = new ExpiryOutcome(List.of(), List.of(), List.of());

  public ExpiryOutcome(List<UUID> requeued, List<UUID> failed) {
    this(requeued, failed, List.of());
  }

  public boolean isEmpty() {
    return requeued.isEmpty() && failed.isEmpty();
  }
}
