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
import java.util.List;
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
    return configs(deployJson, List.of("10.0.0.1"), "");
  }

  private Map<String, JsonObject> configs(JsonObject deployJson, List<String> balancerIps, String databaseUrl) {
    ConfigReader r = new ConfigReader(deployJson, Map.of());
    DeployConfig cfg = DeployConfig.from(r, deployJson).withRegion("eu-west-1");
    r.rejectUnknown();
    Deployment d = new Deployment(vertx, null, cfg, new PrintStream(new ByteArrayOutputStream(), true));
    return d.roleConfigs(NAMES, "ami-1", SITE, CLIENT_KEY, balancerIps, databaseUrl);
  }

  private static final String DB_URL = "postgresql://swell@db.example:5432/swell?sslmode=verify-full";

  private Map<String, JsonObject> postgres(JsonObject deployJson) {
    return configs(deployJson.put("store", "postgres"), List.of("10.0.1.5", "10.0.2.7"), DB_URL);
  }

  @Test
  void withPostgresTheBalancersShareTheDatabaseAndEveryRoleGetsEveryBalancer() {
    Map<String, JsonObject> configs = postgres(new JsonObject());

    JsonObject balancer = configs.get(ClusterNames.BALANCER);
    assertThat(balancer.getJsonObject("store")).isEqualTo(new JsonObject().put("type", "postgres").put("url", DB_URL)
        .put("sslRootCert", "/etc/swell/store-ca.pem"));
    assertThat(balancer.getJsonObject("fleet").getJsonObject("ec2").getJsonArray("balancerUrls"))
        .containsExactly("http://10.0.1.5:5000", "http://10.0.2.7:5000");
    assertThat(configs.get(ClusterNames.ENDPOINT).getString("balancerMode")).isEqualTo("spread");
    assertThat(configs.get(ClusterNames.WORKER).getString("balancerMode")).isEqualTo("spread");

    Map<String, JsonObject> sqlite = configs(new JsonObject());
    assertThat(sqlite.get(ClusterNames.BALANCER).containsKey("store")).isFalse();
    assertThat(sqlite.get(ClusterNames.BALANCER).getJsonObject("fleet").getJsonObject("ec2")
        .containsKey("balancerUrls")).isFalse();
    assertThat(sqlite.get(ClusterNames.ENDPOINT).containsKey("balancerMode")).isFalse();
  }

  @Test
  void theBalancerObjectMayTuneTheStoreButNotSwapItOrItsDatabase() {
    JsonObject pool = new JsonObject().put("balancer", new JsonObject()
        .put("store", new JsonObject().put("poolSize", 4)));
    assertThat(postgres(pool).get(ClusterNames.BALANCER).getJsonObject("store").getInteger("poolSize")).isEqualTo(4);

    assertThatThrownBy(() -> postgres(new JsonObject().put("balancer", new JsonObject().put("store",
        new JsonObject().put("type", "sqlite"))))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("balancer.store.type").hasMessageContaining("\"store\"");
    assertThatThrownBy(() -> postgres(new JsonObject().put("balancer", new JsonObject().put("store",
        new JsonObject().put("url", "postgresql://me@elsewhere/x"))))).hasMessageContaining("balancer.store.url");
    assertThatThrownBy(() -> configs(new JsonObject().put("balancer", new JsonObject().put("store",
        new JsonObject().put("type", "postgres").put("url", DB_URL))))).hasMessageContaining("balancer.store.type");
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
