package swell.worker;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import swell.Roles;
import swell.common.ConfigException;
import swell.common.ConfigReader;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The worker's keys that say how it treats several balancers. */
class WorkerConfigTest {
  private static final String TOKEN = "a-test-token-of-at-least-32-characters";

  private static WorkerConfig read(JsonObject json, Map<String, String> env) {
    return WorkerConfig.from(new ConfigReader(json.put("clusterToken", TOKEN), env));
  }

  @Test
  void balancerModeIsFailoverUnlessSpreadIsAskedFor() {
    assertThat(read(new JsonObject(), Map.of()).balancerMode()).isEqualTo("failover");
    assertThat(read(new JsonObject().put("balancerMode", "spread"), Map.of()).balancerMode()).isEqualTo("spread");
    assertThat(read(new JsonObject(), Map.of("SWELL_BALANCER_MODE", "spread")).balancerMode()).isEqualTo("spread");
    assertThatThrownBy(() -> Roles.verticleFor(new JsonObject().put("role", "worker").put("clusterToken", TOKEN)
        .put("balancerMode", "any"), Map.of(), code -> { }))
        .isInstanceOf(ConfigException.class).hasMessageContaining("'balancerMode'")
        .hasMessageContaining("failover, spread");
  }
}
