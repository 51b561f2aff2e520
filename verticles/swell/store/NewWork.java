package swell.store;

import java.util.UUID;

/** A work as the endpoint hands it in: its id is fixed before it reaches the store. */
public record NewWork(UUID id, int iterations, byte[] data, String idempotencyKey, long enqueuedAt) {
}
