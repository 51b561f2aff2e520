package swell.store;

import java.util.UUID;

/**
 * What became of one work of an enqueue: stored now, already stored (a retry by id or by
 * idempotency key: {@code id} is then the first work's), or refused by {@link Admission} with nothing
 * stored.
 */
public record EnqueueOutcome(UUID id, Result result) {

  public enum Result {
    CREATED, EXISTING, QUEUE_FULL, RESULTS_FULL
  }

  public static EnqueueOutcome created(UUID id) {
    return new EnqueueOutcome(id, Result.CREATED);
  }

  public static EnqueueOutcome existing(UUID id) {
    return new EnqueueOutcome(id, Result.EXISTING);
  }

  public boolean created() {
    return result == Result.CREATED;
  }

  /** Stored now or before: the client may be given the id. */
  public boolean stored() {
    return result == Result.CREATED || result == Result.EXISTING;
  }
}
