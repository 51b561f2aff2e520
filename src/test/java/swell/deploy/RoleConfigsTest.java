package swell.deploy;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.model.Subnet;
import swell.common.ConfigException;
import swell.common.ConfigReader;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The configs up writes for the roles, from deploy.json, before any of it reaches AWS. */
class RoleConfigsTest {
  private static final ClusterNames NAMES = ClusterNames.of("cfg", "123456789012", "eu-west-1", "");
  private static final Deployment.Site SITE = new Deployment.Site(
      Subnet.builder().subnetId("subnet-1").vpcId("vpc-1").availabilityZone("eu-west-1a").build(),
      new SecurityGroups.Ids("sg-endpoints", "sg-internal"));
  private static final String CLIENT_KEY = ArtifactBucket.newClientKey();
  private static final String CI_SHA = "a".repeat(64);

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close();
  }

  private Map<String, JsonObject> configs(JsonObject deployJson) {
    ConfigReader r = new ConfigReader(deployJson, Map.of());
    DeployConfig cfg = DeployConfig.from(r, deployJson).withRegion("eu-west-1");
    r.rejectUnknown();
    Deployment d = new Deployment(vertx, null, cfg, new PrintStream(new ByteArrayOutputStream(), true));
    return d.roleConfigs(NAMES, "ami-1", SITE, CLIENT_KEY);
  }

  @Test
  void theEndpointsAcceptTheClustersDefaultKeyAndTheKeysDeployJsonNames() {
    JsonObject deployJson = new JsonObject().put("endpoint", new JsonObject().put("apiKeys",
        new JsonArray().add(new JsonObject().put("name", "ci").put("sha256", CI_SHA))));

    JsonObject endpoint = configs(deployJson).get(ClusterNames.ENDPOINT);

    assertThat(endpoint.getJsonArray("apiKeys")).containsExactly(
        new JsonObject().put("name", "ci").put("sha256", CI_SHA),
        new JsonObject().put("name", "default")
            .put("sha256", ArtifactBucket.sha256(CLIENT_KEY.getBytes(StandardCharsets.UTF_8))));
    assertThat(configs(new JsonObject()).values()).allSatisfy(c -> assertThat(c.encode()).doesNotContain(CLIENT_KEY));
  }

  @Test
  void aKeyOfDeployJsonNamedDefaultIsRefusedSinceUpKeepsThatOne() {
    JsonObject deployJson = new JsonObject().put("endpoint", new JsonObject().put("apiKeys",
        new JsonArray().add(new JsonObject().put("name", "default").put("sha256", CI_SHA))));

    assertThatThrownBy(() -> configs(deployJson)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("endpoint.apiKeys").hasMessageContaining("another name");
  }

  @Test
  void aMalformedKeyEntryInDeployJsonStopsUpNamingTheKey() {
    JsonObject deployJson = new JsonObject().put("endpoint", new JsonObject().put("apiKeys",
        new JsonArray().add(new JsonObject().put("name", "ci").put("sha256", "not-hex"))));

    assertThatThrownBy(() -> configs(deployJson)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("endpoint.apiKeys").hasMessageContaining("sha256");
  }
}
