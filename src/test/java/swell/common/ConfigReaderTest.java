package swell.common;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import swell.Roles;
import swell.balancer.BalancerConfig;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigReaderTest {
  private static final String TOKEN = "a-test-token-of-at-least-32-characters";

  private static Roles.Started start(String json, Map<String, String> env) {
    return Roles.verticleFor(new JsonObject(json), env, code -> { });
  }

  @Test
  void aBooleanIsTrueOrFalseInTheFileOrTheEnvironment() {
    ConfigReader r = new ConfigReader(new JsonObject().put("a", false), Map.of("SWELL_B", "true"));
    assertThat(r.bool("a", true)).isFalse();
    assertThat(r.bool("b", false)).isTrue();
    assertThat(r.bool("c", true)).isTrue();
    assertThatThrownBy(() -> new ConfigReader(new JsonObject().put("a", "yes"), Map.of()).bool("a", true))
        .isInstanceOf(ConfigException.class).hasMessageContaining("'a'").hasMessageContaining("true or false");
  }

  @Test
  void unknownKeyFailsNamingIt() {
    assertThatThrownBy(() -> start("{\"role\":\"balancer\",\"clusterToken\":\"" + TOKEN + "\",\"maxWorkerz\":3}", Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("'maxWorkerz'");
  }

  @Test
  void unknownNestedKeyFailsNamingItsPath() {
    assertThatThrownBy(() -> start("{\"role\":\"balancer\",\"clusterToken\":\"" + TOKEN + "\",\"store\":{\"tpye\":\"memory\"}}",
        Map.of())).isInstanceOf(ConfigException.class).hasMessageContaining("'store.tpye'");
  }

  @Test
  void badValuesFailNamingTheKey() {
    assertThatThrownBy(() -> start("{\"role\":\"balancer\",\"clusterToken\":\"" + TOKEN + "\",\"leaseMs\":\"soon\"}", Map.of()))
        .hasMessageContaining("'leaseMs'").hasMessageContaining("integer");
    assertThatThrownBy(() -> start("{\"role\":\"balancer\",\"clusterToken\":\"" + TOKEN + "\",\"maxAttempts\":0}", Map.of()))
        .hasMessageContaining("'maxAttempts'").hasMessageContaining("from 1");
    assertThatThrownBy(() -> start("{\"role\":\"balancer\",\"clusterToken\":\"" + TOKEN + "\",\"store\":{\"type\":\"mongo\"}}",
        Map.of())).hasMessageContaining("'store.type'").hasMessageContaining("sqlite, memory");
    assertThatThrownBy(() -> start("{\"role\":\"balancer\",\"clusterToken\":\"" + TOKEN + "\",\"minWorkers\":5,\"maxWorkers\":2}",
        Map.of())).hasMessageContaining("'minWorkers'");
    assertThatThrownBy(() -> start("{\"role\":\"queen\"}", Map.of())).hasMessageContaining("'role'");
    assertThatThrownBy(() -> start("{\"role\":\"endpoint\",\"clusterToken\":\"" + TOKEN + "\",\"balancerUrls\":[\"ftp://x\"]}",
        Map.of())).hasMessageContaining("'balancerUrls'");
  }

  @Test
  void balancerWithoutTokenRefusesToStart() {
    assertThatThrownBy(() -> start("{\"role\":\"balancer\"}", Map.of())).hasMessageContaining("'clusterToken'");
  }

  @Test
  void placeholderOrShortTokenRefusesToStartNamingTheKey() {
    for (String role : new String[] {"balancer", "endpoint", "worker", "local"}) {
      assertThatThrownBy(() -> start("{\"role\":\"" + role + "\",\"clusterToken\":\"set-me-or-use-SWELL_CLUSTER_TOKEN\"}",
          Map.of())).isInstanceOf(ConfigException.class).hasMessageContaining("'clusterToken'")
          .hasMessageContaining("placeholder");
      assertThatThrownBy(() -> start("{\"role\":\"" + role + "\",\"clusterToken\":\"short-secret\"}", Map.of()))
          .isInstanceOf(ConfigException.class).hasMessageContaining("'clusterToken'").hasMessageContaining("at least 32");
    }
    for (String file : new String[] {"balancer", "endpoint", "worker"}) {
      assertThatThrownBy(() -> start(new JsonObject(java.nio.file.Files.readString(
          java.nio.file.Path.of("config", file + ".json"))).encode(), Map.of()))
          .hasMessageContaining("'clusterToken'").hasMessageContaining("placeholder");
    }
  }

  @Test
  void environmentOverridesKeysIncludingNestedOnes() {
    Map<String, String> env = Map.of("SWELL_DATA_DIR", "/tmp/elsewhere", "SWELL_STORE_TYPE", "memory",
        "SWELL_CLUSTER_TOKEN", "from-env-0123456789abcdef0123456789", "SWELL_PORT", "6123");
    BalancerConfig c = BalancerConfig.from(new ConfigReader(new JsonObject("{\"dataDir\":\"data\"}"), env));
    assertThat(c.dataDir().toString()).isEqualTo("/tmp/elsewhere");
    assertThat(c.store().type()).isEqualTo("memory");
    assertThat(c.clusterToken()).isEqualTo("from-env-0123456789abcdef0123456789");
    assertThat(c.port()).isEqualTo(6123);
  }

  @Test
  void badEnvironmentValueNamesTheKey() {
    assertThatThrownBy(() -> BalancerConfig.from(new ConfigReader(new JsonObject(),
        Map.of("SWELL_CLUSTER_TOKEN", TOKEN, "SWELL_LEASE_MS", "lots")))).hasMessageContaining("'leaseMs'");
  }

  @Test
  void envNamesFollowTheKeys() {
    assertThat(ConfigReader.envName("dataDir")).isEqualTo("SWELL_DATA_DIR");
    assertThat(ConfigReader.envName("store.durability")).isEqualTo("SWELL_STORE_DURABILITY");
    assertThat(ConfigReader.envName("balancerUrls")).isEqualTo("SWELL_BALANCER_URLS");
  }

  @Test
  void shippedConfigsAreValid() throws Exception {
    for (String role : new String[] {"local", "balancer", "endpoint", "worker"}) {
      JsonObject json = new JsonObject(java.nio.file.Files.readString(java.nio.file.Path.of("config", role + ".json")));
      // The shipped files hold a placeholder token on purpose: a real one comes from the environment.
      assertThat(start(json.encode(), Map.of("SWELL_CLUSTER_TOKEN", TOKEN)).role()).isEqualTo(role);
    }
  }
}
