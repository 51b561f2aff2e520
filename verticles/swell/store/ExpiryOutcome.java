package swell.store;

import java.util.List;
import java.util.UUID;

/** What a lease sweep did: works back in the queue, and works that used up their attempts. */
public record ExpiryOutcome(List<UUID> requeued, List<UUID> failed) {
  public static final ExpiryOutcome NONE = new ExpiryOutcome(List.of(), List.of());

  public boolean isEmpty() {
    return requeued.isEmpty() && failed.isEmpty();
  }
}
