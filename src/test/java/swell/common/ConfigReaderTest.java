package swell.common;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import swell.Roles;
import swell.balancer.BalancerConfig;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigReaderTest {

  private static Roles.Started start(String json, Map<String, String> env) {
    return Roles.verticleFor(new JsonObject(json), env, () -> { });
  }

  @Test
  void unknownKeyFailsNamingIt() {
    assertThatThrownBy(() -> start("{\"role\":\"balancer\",\"clusterToken\":\"t\",\"maxWorkerz\":3}", Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("'maxWorkerz'");
  }

  @Test
  void unknownNestedKeyFailsNamingItsPath() {
    assertThatThrownBy(() -> start("{\"role\":\"balancer\",\"clusterToken\":\"t\",\"store\":{\"tpye\":\"memory\"}}",
        Map.of())).isInstanceOf(ConfigException.class).hasMessageContaining("'store.tpye'");
  }

  @Test
  void badValuesFailNamingTheKey() {
    assertThatThrownBy(() -> start("{\"role\":\"balancer\",\"clusterToken\":\"t\",\"leaseMs\":\"soon\"}", Map.of()))
        .hasMessageContaining("'leaseMs'").hasMessageContaining("integer");
    assertThatThrownBy(() -> start("{\"role\":\"balancer\",\"clusterToken\":\"t\",\"maxAttempts\":0}", Map.of()))
        .hasMessageContaining("'maxAttempts'").hasMessageContaining("from 1");
    assertThatThrownBy(() -> start("{\"role\":\"balancer\",\"clusterToken\":\"t\",\"store\":{\"type\":\"mongo\"}}",
        Map.of())).hasMessageContaining("'store.type'").hasMessageContaining("sqlite, memory");
    assertThatThrownBy(() -> start("{\"role\":\"balancer\",\"clusterToken\":\"t\",\"minWorkers\":5,\"maxWorkers\":2}",
        Map.of())).hasMessageContaining("'minWorkers'");
    assertThatThrownBy(() -> start("{\"role\":\"queen\"}", Map.of())).hasMessageContaining("'role'");
    assertThatThrownBy(() -> start("{\"role\":\"endpoint\",\"clusterToken\":\"t\",\"balancerUrls\":[\"ftp://x\"]}",
        Map.of())).hasMessageContaining("'balancerUrls'");
  }

  @Test
  void balancerWithoutTokenRefusesToStart() {
    assertThatThrownBy(() -> start("{\"role\":\"balancer\"}", Map.of())).hasMessageContaining("'clusterToken'");
  }

  @Test
  void environmentOverridesKeysIncludingNestedOnes() {
    Map<String, String> env = Map.of("SWELL_DATA_DIR", "/tmp/elsewhere", "SWELL_STORE_TYPE", "memory",
        "SWELL_CLUSTER_TOKEN", "from-env", "SWELL_PORT", "6123");
    BalancerConfig c = BalancerConfig.from(new ConfigReader(new JsonObject("{\"dataDir\":\"data\"}"), env));
    assertThat(c.dataDir().toString()).isEqualTo("/tmp/elsewhere");
    assertThat(c.store().type()).isEqualTo("memory");
    assertThat(c.clusterToken()).isEqualTo("from-env");
    assertThat(c.port()).isEqualTo(6123);
  }

  @Test
  void badEnvironmentValueNamesTheKey() {
    assertThatThrownBy(() -> BalancerConfig.from(new ConfigReader(new JsonObject(),
        Map.of("SWELL_CLUSTER_TOKEN", "t", "SWELL_LEASE_MS", "lots")))).hasMessageContaining("'leaseMs'");
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
      assertThat(start(json.encode(), Map.of()).role()).isEqualTo(role);
    }
  }
}
