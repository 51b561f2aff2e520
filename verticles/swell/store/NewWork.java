package swell.store;

import java.util.UUID;

/**
 * A work as the endpoint hands it in: its id is fixed before it reaches the store, and it belongs to
 * {@code owner} (a client key's name, "" without client keys), who alone may see it and its result.
 */
public record NewWork(UUID id, String owner, int iterations, byte[] data, String idempotencyKey, long enqueuedAt) {
}
