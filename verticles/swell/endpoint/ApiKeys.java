package swell.endpoint;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import swell.common.ConfigReader;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The client keys a config names ({@code apiKeys}): each by its name and the SHA-256 of the key,
 * never the key itself. Read and checked here; deciding who may call which route is the endpoint's.
 */
public final class ApiKeys {
  /** One key: its owner's name and the lowercase hex SHA-256 of the key's UTF-8 bytes. */
  public record ApiKey(String name, String sha256) {
  }

  /** Owner names travel in a header and in the store: a short, plain alphabet. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  private ApiKeys() {
  }

  /** {@code apiKeys}: a list of {"name","sha256"}, names unique; absent or empty, none. */
  public static List<ApiKey> read(ConfigReader r) {
    JsonArray list = r.array("apiKeys");
    List<ApiKey> keys = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      if (!(list.getValue(i) instanceof JsonObject entry) || !Set.of("name", "sha256").containsAll(entry.fieldNames())
          || !(entry.getValue("name") instanceof String name) || !(entry.getValue("sha256") instanceof String sha)) {
        throw r.bad("apiKeys", "entry " + i + " must be an object {\"name\": \"...\", \"sha256\": \"...\"}");
      }
      if (!NAME.matcher(name).matches()) {
        throw r.bad("apiKeys", "entry " + i + ": a name is 1 to 64 letters, digits, '.', '_' or '-', not \"" + name
            + "\"");
      }
      if (!SHA256.matcher(sha).matches()) {
        throw r.bad("apiKeys", "entry " + i + " (" + name + "): sha256 must be 64 lowercase hex characters");
      }
      if (!names.add(name)) {
        throw r.bad("apiKeys", "entry " + i + ": the name \"" + name + "\" is given twice");
      }
      keys.add(new ApiKey(name, sha));
    }
    return List.copyOf(keys);
  }
}
