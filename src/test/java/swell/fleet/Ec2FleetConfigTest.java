package swell.fleet;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import swell.common.ConfigException;
import swell.common.ConfigReader;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A balancer with a broken {@code fleet.ec2} section refuses to start and names the key. */
class Ec2FleetConfigTest {

  private static FleetConfig read(JsonObject fleet, Map<String, String> env) {
    ConfigReader r = new ConfigReader(new JsonObject().put("fleet", fleet), env);
    FleetConfig c = FleetConfig.read(r.section("fleet"), "process");
    r.rejectUnknown();
    return c;
  }

  @Test
  void anEc2FleetWithoutAnImageIsRefusedNamingTheKey() {
    assertThatThrownBy(() -> read(new JsonObject().put("type", "ec2").put("ec2", new JsonObject().put("bucket", "b")),
        Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("fleet.ec2.amiId");
  }

  @Test
  void aTypoInTheEc2SectionIsRefusedNamingTheKey() {
    assertThatThrownBy(() -> read(new JsonObject().put("type", "ec2").put("ec2", new JsonObject()
        .put("bucket", "b").put("amiId", "ami-1").put("instanceTyp", "t3.micro")), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("fleet.ec2.instanceTyp");
  }

  @Test
  void theBootScriptSetsTheBalancerUrlThroughTheEnvironment() {
    FleetConfig c = read(new JsonObject().put("type", "ec2").put("ec2", new JsonObject()
        .put("bucket", "b").put("amiId", "ami-1")), Map.of("SWELL_FLEET_EC2_BALANCER_URL", "http://10.1.2.3:5000"));
    assertThat(c.ec2().balancerUrl()).isEqualTo("http://10.1.2.3:5000");
    assertThat(c.ec2().clusterName()).isEqualTo("swell");
  }

  @Test
  void balancersSharingADatabaseGiveTheirWorkersEveryBalancersUrl() {
    FleetConfig c = read(new JsonObject().put("type", "ec2").put("ec2", new JsonObject().put("bucket", "b")
        .put("amiId", "ami-1").put("balancerUrls", new io.vertx.core.json.JsonArray()
            .add("http://10.0.1.5:5000").add("http://10.0.2.7:5000"))), Map.of());
    assertThat(c.ec2().balancerUrls()).containsExactly("http://10.0.1.5:5000", "http://10.0.2.7:5000");
    assertThat(read(new JsonObject().put("type", "ec2").put("ec2", new JsonObject().put("bucket", "b")
        .put("amiId", "ami-1")), Map.of()).ec2().balancerUrls()).isEmpty();
    assertThatThrownBy(() -> read(new JsonObject().put("type", "ec2").put("ec2", new JsonObject().put("bucket", "b")
        .put("amiId", "ami-1").put("balancerUrls", new io.vertx.core.json.JsonArray().add("10.0.1.5:5000"))), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("fleet.ec2.balancerUrls");
  }

  @Test
  void anEc2SectionIsIgnoredWhenTheFleetIsAnotherType() {
    assertThat(read(new JsonObject().put("type", "none").put("ec2", new JsonObject()), Map.of()).ec2()).isNull();
  }
}
