package swell.keys;

import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * What a client key is: {@code swk_} and 32 random bytes in unpadded base64url, and how a config names
 * it without holding it: its name and the SHA-256 of the key's UTF-8 bytes in lowercase hex.
 */
public final class ClientKey {
  /** Marks the string as a Swell client key, so one pasted where it does not belong is recognised. */
  public static final String PREFIX = "swk_";
  /** 256 bits: beyond guessing, and hashing it once (no slow KDF) is then enough to store it. */
  static final int RANDOM_BYTES = 32;
  /** Owner names travel in a header and in the store: a short, plain alphabet. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  });

  private ClientKey() {
  }

  public static String generate(SecureRandom random) {
    byte[] secret = new byte[RANDOM_BYTES];
    random.nextBytes(secret);
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
  }

  /** SHA-256 of the key's UTF-8 bytes. */
  public static byte[] sha256(String key) {
    return SHA256.get().digest(key.getBytes(StandardCharsets.UTF_8));
  }

  public static String sha256Hex(String key) {
    return HexFormat.of().formatHex(sha256(key));
  }

  /** What is wrong with a key's name, or null when it is a good one. */
  public static String nameProblem(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      return "a key's name must be 1 to 64 letters, digits, '.', '_' or '-'";
    }
    return null;
  }

  /** The entry for {@code apiKeys} in an endpoint's config. */
  public static JsonObject configEntry(String name, String key) {
    return new JsonObject().put("name", name).put("sha256", sha256Hex(key));
  }
}
