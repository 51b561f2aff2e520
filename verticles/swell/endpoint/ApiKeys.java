package swell.endpoint;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import swell.common.ConfigReader;
import swell.keys.ClientKey;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The client keys an endpoint accepts ({@code apiKeys}), each known only by its name and the SHA-256
 * of the key. Without any, the endpoint is open and every client is the anonymous owner "".
 */
public final class ApiKeys {
  /** The anonymous owner of an endpoint without keys. */
  static final String ANONYMOUS = "";
  private static final String BEARER = "Bearer ";
  private static final int SHA256_HEX = 64;

  private record Entry(String name, byte[] sha256) {
  }

  private final List<Entry> entries;

  private ApiKeys(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  static ApiKeys open() {
    return new ApiKeys(List.of());
  }

  /** Reads {@code apiKeys}: a list of {"name","sha256"}; a bad entry stops the start, naming it. */
  static ApiKeys read(ConfigReader r) {
    JsonArray list = r.array("apiKeys");
    List<Entry> entries = new ArrayList<>();
    Set<String> names = new HashSet<>();
    Set<String> hashes = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      if (!(list.getValue(i) instanceof JsonObject o)) {
        throw r.bad("apiKeys", "entry " + i + " must be an object {\"name\",\"sha256\"}");
      }
      String name = o.getValue("name") instanceof String s ? s : null;
      String which = "entry " + i + (name == null ? "" : " (\"" + name + "\")");
      for (String field : o.fieldNames()) {
        if (!field.equals("name") && !field.equals("sha256")) {
          throw r.bad("apiKeys", which + " has an unknown field \"" + field + "\"; an entry holds name and sha256");
        }
      }
      String problem = ClientKey.nameProblem(name);
      if (problem != null) {
        throw r.bad("apiKeys", which + ": " + problem);
      }
      if (!names.add(name)) {
        throw r.bad("apiKeys", which + ": the name \"" + name + "\" is given twice");
      }
      String hex = o.getValue("sha256") instanceof String s ? s.toLowerCase(Locale.ROOT) : null;
      if (hex == null || hex.length() != SHA256_HEX || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
        String hint = hex != null && hex.startsWith(ClientKey.PREFIX)
            ? "; this looks like the key itself, which a config must never hold (swell keys new prints the entry)"
            : "";
        throw r.bad("apiKeys", which + ": sha256 must be the key's SHA-256 in 64 hex characters" + hint);
      }
      if (!hashes.add(hex)) {
        throw r.bad("apiKeys", which + ": the same key is already given under another name");
      }
      entries.add(new Entry(name, HexFormat.of().parseHex(hex)));
    }
    return new ApiKeys(entries);
  }

  boolean isOpen() {
    return entries.isEmpty();
  }

  /**
   * The owner an {@code Authorization: Bearer <key>} header proves: the key's name, {@link #ANONYMOUS}
   * on an open endpoint, or null when the key is missing or unknown. The presented key is hashed and
   * compared with every configured hash in constant time, without stopping at a match, so the time
   * taken tells nothing about which hash came close.
   */
  String owner(String authorization) {
    if (entries.isEmpty()) {
      return ANONYMOUS;
    }
    if (authorization == null || authorization.length() <= BEARER.length()
        || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return null;
    }
    byte[] presented = ClientKey.sha256(authorization.substring(BEARER.length()).trim());
    String owner = null;
    for (Entry e : entries) {
      if (MessageDigest.isEqual(presented, e.sha256())) {
        owner = e.name();
      }
    }
    return owner;
  }
}
