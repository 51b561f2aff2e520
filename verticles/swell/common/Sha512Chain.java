package swell.common;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The work itself: {@code sha512(body)}, then {@code iterations - 1} more rounds over the previous
 * digest. One instance per thread: it reuses its digest and output buffer, so the loop allocates
 * nothing per iteration.
 */
public final class Sha512Chain {
  public static final int DIGEST_BYTES = 64;

  private final MessageDigest md;
  private final byte[] out = new byte[DIGEST_BYTES];

  public Sha512Chain() {
    try {
      md = MessageDigest.getInstance("SHA-512");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-512", e);
    }
  }

  /** Returns a new 64-byte array with the final digest. */
  public byte[] compute(byte[] body, long iterations) {
    if (iterations < 1) {
      throw new IllegalArgumentException("iterations must be at least 1, not " + iterations);
    }
    try {
      md.reset();
      md.update(body);
      md.digest(out, 0, DIGEST_BYTES);
      for (long i = 1; i < iterations; i++) {
        md.update(out, 0, DIGEST_BYTES);
        md.digest(out, 0, DIGEST_BYTES);
      }
    } catch (java.security.DigestException e) {
      throw new IllegalStateException("SHA-512 digest failed", e);
    }
    return out.clone();
  }

  public String computeHex(byte[] body, long iterations) {
    return Hex.encode(compute(body, iterations));
  }
}
