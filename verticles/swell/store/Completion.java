package swell.store;

import java.util.UUID;

/** A result a worker reports: the final 64-byte digest of a work. */
public record Completion(UUID id, byte[] result) {
}
