package swell.common;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;

/**
 * The cluster token's rules, checked once where each role reads it: a token anyone could guess
 * (the placeholder the shipped configs carry, or a short one) opens every balancer route, so a role
 * refuses to start with one rather than run open.
 */
public final class ClusterToken {
  /** Shorter tokens are refused: 32 characters of hex are 128 bits. */
  public static final int MIN_LENGTH = 32;
  /** What the shipped configs hold in place of a token; a file copied without setting it must not start. */
  static final String PLACEHOLDER_PREFIX = "set-me";

  private ClusterToken() {
  }

  /** The token under {@code key}, or a {@link ConfigException} naming the key and what is wrong. */
  public static String read(ConfigReader r, String key, String why) {
    return check(key, r.string(key, ""), why);
  }

  /** Checks a token that came from elsewhere (a generated or stored one) by the same rules. */
  public static String check(String key, String token, String why) {
    if (token.isEmpty()) {
      throw new ConfigException(key, "must be set: " + why);
    }
    if (token.toLowerCase(Locale.ROOT).startsWith(PLACEHOLDER_PREFIX)) {
      throw new ConfigException(key, "still holds the shipped placeholder; set a secret of at least " + MIN_LENGTH
          + " characters (for example: openssl rand -hex 32) or SWELL_CLUSTER_TOKEN");
    }
    if (token.length() < MIN_LENGTH) {
      throw new ConfigException(key, "is " + token.length() + " characters long; it must have at least " + MIN_LENGTH
          + " (for example: openssl rand -hex 32)");
    }
    return token;
  }

  /** The {@code Authorization} header that presents {@code token}, as bytes for {@link #presented}. */
  public static byte[] bearer(String token) {
    return ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
  }

  /** Whether an {@code Authorization} header is the expected one, compared in constant time. */
  public static boolean presented(String header, byte[] expected) {
    return header != null && MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8), expected);
  }
}
