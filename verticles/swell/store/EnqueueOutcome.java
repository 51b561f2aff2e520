package swell.store;

import java.util.UUID;

/**
 * What the store did with one enqueued work: {@code id} is the id the client gets back, which is an
 * earlier work's id when the idempotency key or the id was seen before ({@code created} false).
 */
public record EnqueueOutcome(UUID id, boolean created) {
}
