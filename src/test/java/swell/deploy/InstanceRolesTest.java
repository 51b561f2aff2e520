package swell.deploy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import swell.common.ConfigException;
import swell.common.ConfigReader;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The IAM policy documents as rendered for a cluster, read statement by statement: moto stores
 * policies but never evaluates them, so what they allow is checked here, as documents.
 */
class InstanceRolesTest {
  private static final ClusterNames NAMES = ClusterNames.of("pol", "123456789012", "eu-west-1", "");

  private static JsonObject policy(String role) {
    InstanceRoles roles = new InstanceRoles(null, NAMES, "c7i.large",
        new Progress(new PrintStream(new ByteArrayOutputStream(), true)));
    return new JsonObject(roles.policy(role));
  }

  private static List<String> list(Object stringOrArray) {
    return stringOrArray instanceof JsonArray a ? a.stream().map(String::valueOf).toList()
        : List.of(String.valueOf(stringOrArray));
  }

  private static List<JsonObject> statements(String role, String action) {
    List<JsonObject> out = new ArrayList<>();
    for (Object o : policy(role).getJsonArray("Statement")) {
      JsonObject st = (JsonObject) o;
      if (list(st.getValue("Action")).contains(action)) {
        out.add(st);
      }
    }
    return out;
  }

  @Test
  void theBalancerLaunchesOnlyTheConfiguredWorkerTypeWithTheClustersTags() {
    List<JsonObject> run = statements("balancer", "ec2:RunInstances");
    List<JsonObject> onInstances = run.stream()
        .filter(st -> list(st.getValue("Resource")).stream().anyMatch(r -> r.contains(":instance/"))).toList();
    assertThat(onInstances).hasSize(1);
    JsonObject instanceStatement = onInstances.get(0);
    assertThat(list(instanceStatement.getValue("Resource")))
        .containsExactly("arn:aws:ec2:eu-west-1:123456789012:instance/*");
    assertThat(instanceStatement.getJsonObject("Condition").getJsonObject("StringEquals").getMap())
        .containsExactlyInAnyOrderEntriesOf(Map.of(
            "ec2:InstanceType", "c7i.large",
            "aws:RequestTag/swell:cluster", "pol",
            "aws:RequestTag/swell:role", "worker"));
    for (JsonObject st : run) {
      assertThat(list(st.getValue("Resource"))).doesNotContain("*");
      assertThat(st.getString("Effect")).isEqualTo("Allow");
    }
    for (JsonObject st : statements("balancer", "ec2:TerminateInstances")) {
      assertThat(st.getJsonObject("Condition").getJsonObject("StringEquals").getMap())
          .containsEntry("aws:ResourceTag/swell:cluster", "pol").containsEntry("aws:ResourceTag/swell:role", "worker");
    }
  }

  @Test
  void everyRoleReadsOnlyTheJarItsOwnConfigAndTheToken() {
    String bucket = "arn:aws:s3:::" + NAMES.bucket() + "/";
    for (String role : ClusterNames.ROLES) {
      List<String> objects = statements(role, "s3:GetObject").stream()
          .flatMap(st -> list(st.getValue("Resource")).stream()).toList();
      assertThat(objects).as(role).containsExactlyInAnyOrder(bucket + "swell.jar",
          bucket + "config/" + role + ".json", bucket + "cluster-token");
      assertThat(policy(role).encode()).as(role).doesNotContain("s3:*", NAMES.bucket() + "/*", "client-keys");
    }
  }

  @Test
  void aWorkerTypeThatWouldBreakThePolicyIsRefused() {
    JsonObject json = new JsonObject().put("workerInstanceType", "c7i.large\", \"Resource\": \"*");
    assertThatThrownBy(() -> DeployConfig.from(new ConfigReader(json, Map.of()), json))
        .isInstanceOf(ConfigException.class).hasMessageContaining("workerInstanceType");
  }

  @Test
  void onlyTheBalancersReadTheDatabasePasswordAndOnlyWithPostgres() {
    InstanceRoles pg = new InstanceRoles(null, NAMES, "c7i.large", true,
        new Progress(new PrintStream(new ByteArrayOutputStream(), true)));
    String arn = "arn:aws:s3:::" + NAMES.bucket() + "/db-password";
    List<JsonObject> reads = new ArrayList<>();
    for (Object o : new JsonObject(pg.policy("balancer")).getJsonArray("Statement")) {
      JsonObject st = (JsonObject) o;
      if (list(st.getValue("Action")).contains("s3:GetObject")) {
        reads.add(st);
      }
    }
    assertThat(reads).singleElement().satisfies(st -> assertThat(list(st.getValue("Resource"))).containsExactly(
        "arn:aws:s3:::" + NAMES.bucket() + "/swell.jar", "arn:aws:s3:::" + NAMES.bucket() + "/config/balancer.json",
        "arn:aws:s3:::" + NAMES.bucket() + "/cluster-token", arn));
    assertThat(pg.policy("endpoint")).doesNotContain("db-password");
    assertThat(pg.policy("worker")).doesNotContain("db-password");
    assertThat(policy("balancer").encode()).doesNotContain("db-password");
  }
}
