package swell.store;

import java.util.UUID;

/** A completed work as pullCompleted returns it. */
public record CompletedWork(UUID id, byte[] result, int iterations, long completedAt) {
}
