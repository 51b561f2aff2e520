package swell.common;

import java.security.SecureRandom;
import java.util.UUID;

/**
 * UUIDv7 work ids (RFC 9562): 48 bits of Unix milliseconds, then randomness. Time order makes
 * FIFO by id possible, and an id fixed by the endpoint makes a retried forward idempotent.
 */
public final class WorkIds {
  private static final SecureRandom RANDOM = new SecureRandom();

  private WorkIds() {
  }

  public static UUID next(long nowMs) {
    byte[] r = new byte[10];
    RANDOM.nextBytes(r);
    long msb = (nowMs & 0xFFFF_FFFF_FFFFL) << 16;
    msb |= 0x7000L | ((r[0] & 0x0FL) << 8) | (r[1] & 0xFFL);
    long lsb = 0;
    for (int i = 2; i < 10; i++) {
      lsb = (lsb << 8) | (r[i] & 0xFFL);
    }
    lsb = (lsb & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
    return new UUID(msb, lsb);
  }

  /** The Unix milliseconds a UUIDv7 was made at ({@link #next}'s {@code nowMs}), or -1 for another kind of UUID. */
  public static long createdAtMs(UUID id) {
    return id.version() == 7 ? id.getMostSignificantBits() >>> 16 : -1;
  }

  /** Parses a canonical UUID string, or returns null for anything that is not one. */
  public static UUID parse(String s) {
    if (s == null || s.length() != 36) {
      return null;
    }
    try {
      return UUID.fromString(s);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
