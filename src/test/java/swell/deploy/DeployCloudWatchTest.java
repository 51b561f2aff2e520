package swell.deploy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.cloudwatchlogs.model.LogGroup;
import software.amazon.awssdk.services.ec2.model.Instance;
import swell.common.ConfigException;
import swell.common.ConfigReader;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static swell.deploy.MotoDeploy.await;

/**
 * What {@code deploy up} makes for watching a cluster, against moto: the log group with its
 * retention, the dashboard and its widgets, the instance policies' log and metric grants, the
 * roles' configs and boot scripts; {@code status} naming the dashboard's URL; {@code down}
 * removing the dashboard and the group, or keeping the group with {@code keepLogs}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeployCloudWatchTest {
  private static final String CLUSTER = "cw";
  private static final String GROUP = "/swell/" + CLUSTER;
  private static final String GROUP_ARN = "arn:aws:logs:us-east-1:" + MotoDeploy.ACCOUNT + ":log-group:" + GROUP + ":*";

  @RegisterExtension
  static final MotoDeploy env = new MotoDeploy();

  private Deployment deployment(String cluster, JsonObject overrides) {
    return env.deployment(cluster, overrides);
  }

  private LogGroup group(String name) {
    return env.aws.logs.describeLogGroups(b -> b.logGroupNamePrefix(name)).join().logGroups().stream()
        .filter(g -> g.logGroupName().equals(name)).findFirst().orElse(null);
  }

  private JsonObject dashboard(String cluster) {
    return new JsonObject(env.aws.cloudwatch.getDashboard(b -> b.dashboardName("swell-" + cluster)).join()
        .dashboardBody());
  }

  private List<String> dashboards() {
    return env.aws.cloudwatch.listDashboards(b -> { }).join().dashboardEntries().stream()
        .map(d -> d.dashboardName()).toList();
  }

  private JsonObject policy(String role) {
    String doc = env.aws.iam.getRolePolicy(b -> b.roleName("swell-" + CLUSTER + "-" + role)
        .policyName("swell-" + CLUSTER + "-" + role)).join().policyDocument();
    return new JsonObject(URLDecoder.decode(doc, StandardCharsets.UTF_8));
  }

  private static JsonObject statement(JsonObject policy, String sid) {
    return policy.getJsonArray("Statement").stream().map(JsonObject.class::cast)
        .filter(s -> sid.equals(s.getString("Sid"))).findFirst().orElse(null);
  }

  @Test
  @Order(1)
  void upMakesTheLogGroupWithItsRetentionAndTheDashboardWithItsWidgets() throws Exception {
    await(deployment(CLUSTER, new JsonObject()).up(false));

    LogGroup group = group(GROUP);
    assertThat(group).isNotNull();
    assertThat(group.retentionInDays()).isEqualTo(14);
    assertThat(env.aws.logs.listTagsForResource(b -> b.resourceArn(group.arn().replaceAll(":\\*$", ""))).join().tags())
        .containsEntry("swell:cluster", CLUSTER);
    assertThat(env.output()).contains("+ log group " + GROUP + " (14 days)", "+ dashboard swell-" + CLUSTER,
        "dashboard: https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/swell-"
            + CLUSTER);

    JsonArray widgets = dashboard(CLUSTER).getJsonArray("widgets");
    assertThat(widgets).hasSize(4);
    assertThat(widgets.stream().map(w -> ((JsonObject) w).getJsonObject("properties").getString("title")))
        .containsExactly("Queue: pending and completed-unpulled (works)", "Workers by state",
            "Throughput (works per second)", "Enqueue to completion (seconds; p50, p90, p99)");
    String expressions = widgets.stream().flatMap(w -> ((JsonObject) w).getJsonObject("properties")
            .getJsonArray("metrics").stream())
        .map(m -> ((JsonArray) m).getJsonObject(0).getString("expression")).reduce("", (a, b) -> a + "\n" + b);
    for (String metric : List.of("swell_works_pending", "swell_results_unpulled", "swell_workers",
        "swell_works_enqueued_total", "swell_works_completed_total", "swell_enqueue_to_completion_seconds_percentile")) {
      assertThat(expressions).contains("SEARCH('Namespace=\"Swell/" + CLUSTER + "\" MetricName=\"" + metric + "\"");
    }
    assertThat(expressions).contains("MAX(SEARCH(", "SUM(SEARCH(");
    for (Object w : widgets) {
      JsonObject p = ((JsonObject) w).getJsonObject("properties");
      assertThat(p.getString("region")).isEqualTo("us-east-1");
      assertThat(p.getInteger("period")).isEqualTo(60);
    }
  }

  @Test
  @Order(2)
  void everyRoleMayShipLogsToTheClustersGroupAloneAndOnlyServersPublishMetricsToItsNamespace() {
    for (String role : ClusterNames.ROLES) {
      JsonObject logs = statement(policy(role), "ShipLogsToTheClustersLogGroupOnly");
      assertThat(logs).as(role).isNotNull();
      assertThat(logs.getString("Effect")).isEqualTo("Allow");
      assertThat(logs.getJsonArray("Action")).containsExactlyInAnyOrder("logs:CreateLogStream", "logs:PutLogEvents",
          "logs:DescribeLogStreams");
      assertThat(logs.getString("Resource")).isEqualTo(GROUP_ARN);
      assertThat(logs.containsKey("Condition")).isFalse();

      JsonObject metrics = statement(policy(role), "PublishMetricsToTheClustersNamespaceOnly");
      if (ClusterNames.WORKER.equals(role)) {
        assertThat(metrics).as("workers publish no metrics").isNull();
        continue;
      }
      assertThat(metrics.getString("Action")).isEqualTo("cloudwatch:PutMetricData");
      // PutMetricData cannot be scoped to a resource: the namespace condition is the scope.
      assertThat(metrics.getString("Resource")).isEqualTo("*");
      assertThat(metrics.getJsonObject("Condition")).isEqualTo(new JsonObject().put("StringEquals",
          new JsonObject().put("cloudwatch:namespace", "Swell/" + CLUSTER)));
    }
    // Nothing else in any policy names logs or cloudwatch.
    for (String role : ClusterNames.ROLES) {
      long cloud = policy(role).getJsonArray("Statement").stream().map(JsonObject.class::cast)
          .filter(s -> s.getValue("Action").toString().contains("logs:")
              || s.getValue("Action").toString().contains("cloudwatch:")).count();
      assertThat(cloud).isEqualTo(ClusterNames.WORKER.equals(role) ? 1 : 2);
    }
  }

  @Test
  @Order(3)
  void theRolesLogJsonServersPublishToTheNamespaceAndEveryBootScriptNamesTheGroup() {
    String bucket = MotoDeploy.bucket(CLUSTER);
    JsonObject balancer = new JsonObject(new String(env.object(bucket, "config/balancer.json"), StandardCharsets.UTF_8));
    JsonObject endpoint = new JsonObject(new String(env.object(bucket, "config/endpoint.json"), StandardCharsets.UTF_8));
    JsonObject worker = new JsonObject(new String(env.object(bucket, "config/worker.json"), StandardCharsets.UTF_8));
    assertThat(List.of(balancer, endpoint, worker)).allSatisfy(c -> assertThat(c.getString("logFormat")).isEqualTo("json"));
    assertThat(balancer.getString("cloudwatchNamespace")).isEqualTo("Swell/" + CLUSTER);
    assertThat(endpoint.getString("cloudwatchNamespace")).isEqualTo("Swell/" + CLUSTER);
    assertThat(worker.containsKey("cloudwatchNamespace")).isFalse();
    // The workers the balancer launches get the group through fleet.ec2.
    assertThat(balancer.getJsonObject("fleet").getJsonObject("ec2").getString("logGroup")).isEqualTo(GROUP);

    List<Instance> instances = env.instances(CLUSTER, "pending", "running");
    assertThat(instances).hasSize(3);
    for (Instance i : instances) {
      String ud = env.aws.ec2.describeInstanceAttribute(b -> b.instanceId(i.instanceId()).attribute("userData")).join()
          .userData().value();
      assertThat(new String(Base64.getDecoder().decode(ud), StandardCharsets.UTF_8)).contains("LOG_GROUP='" + GROUP + "'");
    }
  }

  @Test
  @Order(4)
  void statusPrintsTheDashboardsUrlAndTheLogGroup() throws Exception {
    DeployStatus status = await(deployment(CLUSTER, new JsonObject()).status());
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    status.print(new PrintStream(printed, true, StandardCharsets.UTF_8));
    assertThat(printed.toString(StandardCharsets.UTF_8)).contains(
        "  logs     " + GROUP + " (14 days",
        "  dashboard swell-" + CLUSTER
            + " https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/swell-"
            + CLUSTER);
  }

  @Test
  @Order(5)
  void aSecondUpKeepsTheDashboardAndChangesOnlyTheRetention() throws Exception {
    await(deployment(CLUSTER, new JsonObject().put("logRetentionDays", 30)).up(false));
    assertThat(group(GROUP).retentionInDays()).isEqualTo(30);
    assertThat(env.output()).contains("~ log group " + GROUP + " (30 days), was 14 days", "= dashboard swell-" + CLUSTER)
        .doesNotContain("+ dashboard", "+ log group");
  }

  @Test
  @Order(6)
  void downRemovesTheDashboardAndTheLogGroup() throws Exception {
    await(deployment(CLUSTER, new JsonObject()).down());
    assertThat(env.output()).contains("- dashboard swell-" + CLUSTER, "- log group " + GROUP);
    assertThat(group(GROUP)).isNull();
    assertThat(dashboards()).doesNotContain("swell-" + CLUSTER);
    assertThat(await(deployment(CLUSTER, new JsonObject()).status()).empty()).isTrue();
  }

  @Test
  @Order(7)
  void downWithKeepLogsLeavesTheLogGroupAndStatusSaysSo() throws Exception {
    String cluster = "cwkeep";
    await(deployment(cluster, new JsonObject()).up(false));
    await(deployment(cluster, new JsonObject().put("keepLogs", true)).down());

    assertThat(group("/swell/" + cluster)).isNotNull();
    assertThat(dashboards()).doesNotContain("swell-" + cluster);
    assertThat(env.output()).contains("= log group /swell/" + cluster + " kept (keepLogs)");
    DeployStatus status = await(deployment(cluster, new JsonObject()).status());
    assertThat(status.empty()).isTrue();
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    status.print(new PrintStream(printed, true, StandardCharsets.UTF_8));
    assertThat(printed.toString(StandardCharsets.UTF_8)).contains("nothing deployed", "kept     log group /swell/"
        + cluster);

    // A later down without keepLogs takes it.
    await(deployment(cluster, new JsonObject()).down());
    assertThat(group("/swell/" + cluster)).isNull();
  }

  @Test
  void logRetentionDaysMustBeOneCloudWatchAllows() {
    JsonObject json = new JsonObject().put("logRetentionDays", 15);
    assertThatThrownBy(() -> DeployConfig.from(new ConfigReader(json, Map.of()), json))
        .isInstanceOf(ConfigException.class).hasMessageContaining("logRetentionDays").hasMessageContaining("14, 30");
    JsonObject fine = new JsonObject().put("logRetentionDays", 365).put("keepLogs", true);
    DeployConfig cfg = DeployConfig.from(new ConfigReader(fine, Map.of()), fine);
    assertThat(cfg.logRetentionDays()).isEqualTo(365);
    assertThat(cfg.keepLogs()).isTrue();
    JsonObject defaults = new JsonObject();
    DeployConfig d = DeployConfig.from(new ConfigReader(defaults, Map.of()), defaults);
    assertThat(d.logRetentionDays()).isEqualTo(14);
    assertThat(d.keepLogs()).isFalse();
  }
}
