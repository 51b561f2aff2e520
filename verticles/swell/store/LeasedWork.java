package swell.store;

import java.util.UUID;

/** A work handed to one worker until {@code leaseUntil}; {@code attempts} counts this delivery. */
public record LeasedWork(UUID id, int iterations, byte[] data, int attempts, long leaseUntil) {
}
