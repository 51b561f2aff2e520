package swell.common;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads one role's JSON config with {@code SWELL_<KEY>} environment overrides, checks every value
 * against its bounds and, at the end, rejects keys nobody asked for, naming the key each time.
 */
public final class ConfigReader {
  private final JsonObject json;
  private final Map<String, String> env;
  private final String path;
  private final Set<String> known = new LinkedHashSet<>();
  private final List<ConfigReader> sections = new ArrayList<>();

  public ConfigReader(JsonObject json, Map<String, String> env) {
    this(json == null ? new JsonObject() : json, env, "");
  }

  private ConfigReader(JsonObject json, Map<String, String> env, String path) {
    this.json = json;
    this.env = env;
    this.path = path;
  }

  /** The environment variable that overrides a key: {@code store.dataDir} is {@code SWELL_STORE_DATA_DIR}. */
  public static String envName(String dottedKey) {
    return "SWELL_" + dottedKey.replace('.', '_').replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
  }

  private String full(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  private Object raw(String key) {
    known.add(key);
    String fromEnv = env.get(envName(full(key)));
    if (fromEnv != null) {
      return fromEnv;
    }
    return json.getValue(key);
  }

  public String string(String key, String def) {
    Object v = raw(key);
    if (v == null) {
      return def;
    }
    if (!(v instanceof String s)) {
      throw bad(key, "must be a string");
    }
    return s;
  }

  /**
   * A secret that only the environment may give ({@code SWELL_<KEY>}), never the config file, where
   * it would be copied around with the rest: "" when unset. The key stays unknown to the file.
   */
  public String secret(String key) {
    String v = env.get(envName(full(key)));
    return v == null ? "" : v;
  }

  public String oneOf(String key, String def, String... allowed) {
    String v = string(key, def);
    for (String a : allowed) {
      if (a.equals(v)) {
        return v;
      }
    }
    throw bad(key, "must be one of " + String.join(", ", allowed) + ", not \"" + v + "\"");
  }

  public long number(String key, long def, long min, long max) {
    Object v = raw(key);
    long n;
    if (v == null) {
      n = def;
    } else if (v instanceof Number num && (num instanceof Integer || num instanceof Long)) {
      n = num.longValue();
    } else if (v instanceof String s) {
      try {
        n = Long.parseLong(s.trim());
      } catch (NumberFormatException e) {
        throw bad(key, "must be an integer, not \"" + s + "\"");
      }
    } else {
      throw bad(key, "must be an integer");
    }
    if (n < min || n > max) {
      throw bad(key, "must be from " + min + " to " + max + ", not " + n);
    }
    return n;
  }

  public int integer(String key, int def, int min, int max) {
    return (int) number(key, def, min, max);
  }

  public boolean bool(String key, boolean def) {
    Object v = raw(key);
    if (v == null) {
      return def;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof String s && (s.equals("true") || s.equals("false"))) {
      return Boolean.parseBoolean(s);
    }
    throw bad(key, "must be true or false");
  }

  /** A list of strings; in the environment, comma-separated. */
  public List<String> strings(String key, List<String> def) {
    Object v = raw(key);
    if (v == null) {
      return def;
    }
    List<String> out = new ArrayList<>();
    if (v instanceof String s) {
      for (String part : s.split(",")) {
        if (!part.isBlank()) {
          out.add(part.trim());
        }
      }
    } else if (v instanceof JsonArray arr) {
      for (Object o : arr) {
        if (!(o instanceof String s)) {
          throw bad(key, "must be a list of strings");
        }
        out.add(s);
      }
    } else {
      throw bad(key, "must be a list of strings");
    }
    return List.copyOf(out);
  }

  /** A list of integers in a range; in the environment, comma-separated. */
  public List<Integer> integers(String key, List<Integer> def, int min, int max) {
    Object v = raw(key);
    if (v == null) {
      return def;
    }
    List<Integer> out = new ArrayList<>();
    Iterable<?> items = v instanceof String s ? List.of(s.split(",")) : v instanceof JsonArray a ? a : null;
    if (items == null) {
      throw bad(key, "must be a list of integers");
    }
    for (Object o : items) {
      long n;
      try {
        n = o instanceof Number num ? num.longValue() : Long.parseLong(o.toString().trim());
      } catch (NumberFormatException e) {
        throw bad(key, "must be a list of integers, not \"" + o + "\"");
      }
      if (n < min || n > max) {
        throw bad(key, "values must be from " + min + " to " + max + ", not " + n);
      }
      out.add((int) n);
    }
    return List.copyOf(out);
  }

  /** A list of any JSON values (objects, say), empty when absent; in the environment, the list as JSON text. */
  public JsonArray array(String key) {
    Object v = raw(key);
    if (v == null) {
      return new JsonArray();
    }
    if (v instanceof JsonArray a) {
      return a;
    }
    if (v instanceof String s) {
      try {
        return new JsonArray(s);
      } catch (DecodeException e) {
        throw bad(key, "must be a JSON list such as [{...}], not \"" + (s.length() > 40 ? s.substring(0, 40) + "…" : s)
            + "\"");
      }
    }
    throw bad(key, "must be a list");
  }

  /** A nested object such as {@code store} or {@code fleet}; its keys are checked too. */
  public ConfigReader section(String key) {
    known.add(key);
    Object v = json.getValue(key);
    if (v != null && !(v instanceof JsonObject)) {
      throw bad(key, "must be an object");
    }
    ConfigReader child = new ConfigReader(v == null ? new JsonObject() : (JsonObject) v, env, full(key));
    sections.add(child);
    return child;
  }

  /** Marks keys that another part reads (such as {@code role}) as known here. */
  public ConfigReader allow(String... keys) {
    known.addAll(List.of(keys));
    return this;
  }

  /** Fails on the first key in the file that no reader asked for: a typo must not pass silently. */
  public void rejectUnknown() {
    for (String key : json.fieldNames()) {
      if (!known.contains(key)) {
        throw new ConfigException(full(key), "is not a known key" + (path.isEmpty() ? "" : " of " + path));
      }
    }
    for (ConfigReader s : sections) {
      s.rejectUnknown();
    }
  }

  public ConfigException bad(String key, String why) {
    return new ConfigException(full(key), why);
  }
}
