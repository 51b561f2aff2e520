package swell.store;

import java.util.UUID;

/** One work as {@code GET /work/{id}} shows it; {@code result} and {@code finishedAt} only once finished. */
public record WorkInfo(UUID id, String owner, WorkStatus status, int iterations, int attempts, long enqueuedAt,
                       Long finishedAt, byte[] result, String workerId, boolean pulled) {
}
