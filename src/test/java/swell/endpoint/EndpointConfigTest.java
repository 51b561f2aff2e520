package swell.endpoint;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import swell.Roles;
import swell.common.ConfigException;
import swell.keys.ClientKey;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The endpoint's own keys: client keys checked at start naming the entry, and the memory bounds. */
class EndpointConfigTest {
  private static final String TOKEN = "a-test-token-of-at-least-32-characters";
  private static final String HASH = "a".repeat(64);

  private static Roles.Started endpoint(JsonObject extra, Map<String, String> env) {
    return Roles.verticleFor(new JsonObject().put("role", "endpoint").put("clusterToken", TOKEN).mergeIn(extra), env,
        code -> { });
  }

  private static JsonObject keys(JsonObject... entries) {
    return new JsonObject().put("apiKeys", new JsonArray(java.util.List.of((Object[]) entries)));
  }

  private static JsonObject entry(String name, String sha256) {
    return new JsonObject().put("name", name).put("sha256", sha256);
  }

  @Test
  void badClientKeyEntriesStopTheStartNamingTheEntry() {
    assertThatThrownBy(() -> endpoint(keys(entry("alice", "abc")), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("'apiKeys'").hasMessageContaining("\"alice\"")
        .hasMessageContaining("64 hex");
    assertThatThrownBy(() -> endpoint(keys(entry("alice", "g".repeat(64))), Map.of()))
        .hasMessageContaining("\"alice\"").hasMessageContaining("64 hex");
    assertThatThrownBy(() -> endpoint(keys(entry("alice", HASH), entry("alice", "b".repeat(64))), Map.of()))
        .hasMessageContaining("'apiKeys'").hasMessageContaining("\"alice\" is given twice");
    assertThatThrownBy(() -> endpoint(keys(entry("alice", HASH), entry("bob", HASH.toUpperCase())), Map.of()))
        .hasMessageContaining("\"bob\"").hasMessageContaining("another name");
    for (String bad : new String[] {"", "with space", "x".repeat(65), "ünï", "a/b"}) {
      assertThatThrownBy(() -> endpoint(keys(entry(bad, HASH)), Map.of())).as(bad)
          .hasMessageContaining("'apiKeys'").hasMessageContaining("1 to 64");
    }
    assertThatThrownBy(() -> endpoint(keys(entry("carol", ClientKey.PREFIX + "x".repeat(43))), Map.of()))
        .hasMessageContaining("\"carol\"").hasMessageContaining("the key itself");
    assertThatThrownBy(() -> endpoint(keys(entry("dave", HASH).put("key", "swk_secret")), Map.of()))
        .hasMessageContaining("\"dave\"").hasMessageContaining("unknown field \"key\"");
    assertThatThrownBy(() -> endpoint(new JsonObject().put("apiKeys", new JsonArray().add("alice")), Map.of()))
        .hasMessageContaining("'apiKeys'").hasMessageContaining("entry 0");
  }

  @Test
  void clientKeysComeFromTheFileTheEnvironmentOrLocalsConfig() {
    endpoint(keys(entry("alice", HASH), entry("bob.2-x_y", "b".repeat(64))), Map.of());
    endpoint(new JsonObject(), Map.of("SWELL_API_KEYS", "[{\"name\":\"alice\",\"sha256\":\"" + HASH + "\"}]"));
    assertThatThrownBy(() -> endpoint(new JsonObject(), Map.of("SWELL_API_KEYS", "alice:" + HASH)))
        .hasMessageContaining("'apiKeys'").hasMessageContaining("JSON list");
    assertThatThrownBy(() -> Roles.verticleFor(new JsonObject().put("role", "local").mergeIn(keys(entry("x y", HASH))),
        Map.of(), code -> { })).hasMessageContaining("'apiKeys'");
  }

  @Test
  void memoryBoundsAreCheckedAgainstTheBodyLimit() {
    assertThatThrownBy(() -> endpoint(new JsonObject().put("maxInFlightBytes", 4096).put("maxBodyBytes", 8192),
        Map.of())).hasMessageContaining("'maxInFlightBytes'").hasMessageContaining("maxBodyBytes");
    assertThatThrownBy(() -> endpoint(new JsonObject().put("forwardQueueMax", 0), Map.of()))
        .hasMessageContaining("'forwardQueueMax'");
    assertThatThrownBy(() -> endpoint(new JsonObject().put("bodyTimeoutMs", "soon"), Map.of()))
        .hasMessageContaining("'bodyTimeoutMs'");
    endpoint(new JsonObject(), Map.of("SWELL_MAX_IN_FLIGHT_BYTES", "8388608", "SWELL_FORWARD_QUEUE_MAX", "10",
        "SWELL_BODY_TIMEOUT_MS", "1000"));
  }
}
