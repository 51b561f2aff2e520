package swell.fleet;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.services.ec2.Ec2AsyncClient;
import software.amazon.awssdk.services.ec2.model.AttributeValue;
import software.amazon.awssdk.services.ec2.model.HttpTokensState;
import software.amazon.awssdk.services.ec2.model.InstanceAttributeName;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.iam.IamAsyncClient;
import swell.common.ConfigReader;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The EC2 fleet against the moto emulator: what a balancer launches, finds again and terminates. */
@ExtendWith(VertxExtension.class)
class Ec2FleetTest {
  private static MotoServer moto;
  private static Ec2AsyncClient ec2;
  private static IamAsyncClient iam;
  private final java.util.List<Fleet> fleets = new java.util.ArrayList<>();
  private String groupId;
  private String subnetId;

  @BeforeAll
  static void startMoto() throws Exception {
    moto = MotoServer.start();
    ec2 = moto.settings().configure(Ec2AsyncClient.builder()).httpClientBuilder(NettyNioAsyncHttpClient.builder()).build();
    iam = moto.settings().configure(IamAsyncClient.builder()).httpClientBuilder(NettyNioAsyncHttpClient.builder()).build();
  }

  @AfterAll
  static void stopMoto() {
    if (ec2 != null) {
      ec2.close();
      iam.close();
    }
    if (moto != null) {
      moto.close();
    }
  }

  @BeforeEach
  void emptyAccount() throws Exception {
    moto.reset();
    subnetId = ec2.describeSubnets(b -> b.filters(f -> f.name("default-for-az").values("true"))).join()
        .subnets().get(0).subnetId();
    String vpcId = ec2.describeSubnets(b -> b.subnetIds(subnetId)).join().subnets().get(0).vpcId();
    groupId = ec2.createSecurityGroup(b -> b.groupName("workers").description("workers").vpcId(vpcId)).join().groupId();
    iam.createRole(b -> b.roleName("worker").assumeRolePolicyDocument("{}")).join();
    iam.createInstanceProfile(b -> b.instanceProfileName("worker-profile")).join();
    iam.addRoleToInstanceProfile(b -> b.instanceProfileName("worker-profile").roleName("worker")).join();
  }

  @AfterEach
  void closeFleets() {
    fleets.forEach(Fleet::close);
  }

  private Fleet fleet(Vertx vertx, String cluster, Map<String, Object> overrides) {
    JsonObject ec2Section = moto.ec2Section(cluster)
        .put("subnetId", subnetId)
        .put("securityGroupIds", new JsonArray().add(groupId))
        .put("instanceProfile", "worker-profile")
        .put("bucket", "swell-artifacts");
    overrides.forEach(ec2Section::put);
    JsonObject json = new JsonObject().put("type", "ec2").put("workerThreads", 2).put("ec2", ec2Section);
    ConfigReader r = new ConfigReader(json, Map.of());
    FleetConfig cfg = FleetConfig.read(r, "process");
    r.rejectUnknown();
    Fleet fleet = new Ec2Fleet(vertx, cfg, "http://10.0.0.7:5000", MotoServer.CREDENTIALS);
    fleets.add(fleet);
    return fleet;
  }

  private static Instance describe(String instanceId) {
    return ec2.describeInstances(b -> b.instanceIds(instanceId)).join().reservations().get(0).instances().get(0);
  }

  private static Map<String, String> tags(Instance i) {
    return i.tags().stream().collect(Collectors.toMap(Tag::key, Tag::value));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void launchRunsATaggedImdsv2OnlyWorkerThatTerminatesOnShutdownAndKnowsItsId(Vertx vertx, VertxTestContext ctx) {
    fleet(vertx, "alpha", Map.of()).launch("w-17").onComplete(ctx.succeeding(member -> ctx.verify(() -> {
      assertThat(member.workerId()).isEqualTo("w-17");
      Instance i = describe(member.instanceId());
      assertThat(tags(i)).containsEntry("swell:cluster", "alpha").containsEntry("swell:role", "worker")
          .containsEntry("swell:worker-id", "w-17");
      assertThat(i.instanceTypeAsString()).isEqualTo("t3.micro");
      assertThat(i.subnetId()).isEqualTo(subnetId);
      assertThat(i.securityGroups()).extracting(g -> g.groupId()).containsExactly(groupId);
      assertThat(i.iamInstanceProfile().arn()).endsWith("instance-profile/worker-profile");
      AttributeValue behaviour = ec2.describeInstanceAttribute(b -> b.instanceId(member.instanceId())
          .attribute(InstanceAttributeName.INSTANCE_INITIATED_SHUTDOWN_BEHAVIOR)).join()
          .instanceInitiatedShutdownBehavior();
      assertThat(behaviour.value()).isEqualTo("terminate");
      assertThat(i.metadataOptions().httpTokens()).isEqualTo(HttpTokensState.REQUIRED);
      String userData = new String(Base64.getDecoder().decode(ec2.describeInstanceAttribute(b -> b
          .instanceId(member.instanceId()).attribute(InstanceAttributeName.USER_DATA)).join().userData().value()),
          StandardCharsets.UTF_8);
      assertThat(userData).contains("ROLE='worker'", "BUCKET='swell-artifacts'", "SWELL_WORKER_ID=w-17",
          "SWELL_BALANCER_URLS=http://10.0.0.7:5000", "SWELL_THREADS=2", "CONFIG_KEY='config/worker.json'");
      ctx.completeNow();
    })));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void aRestartedBalancerAdoptsItsClustersRunningWorkersAndNoOneElses(Vertx vertx, VertxTestContext ctx) {
    Fleet before = fleet(vertx, "alpha", Map.of());
    Fleet otherCluster = fleet(vertx, "beta", Map.of());
    Future.all(before.launch("w-1"), before.launch("w-2"), otherCluster.launch("w-other"))
        .compose(launched -> {
          Fleet after = fleet(vertx, "alpha", Map.of());
          return after.list().compose(adopted -> {
            ctx.verify(() -> assertThat(adopted).extracting(FleetMember::workerId)
                .containsExactlyInAnyOrder("w-1", "w-2"));
            FleetMember first = adopted.stream().filter(m -> m.workerId().equals("w-1")).findFirst().orElseThrow();
            return after.terminate(first).compose(v -> after.list());
          });
        })
        .onComplete(ctx.succeeding(left -> ctx.verify(() -> {
          assertThat(left).extracting(FleetMember::workerId).containsExactly("w-2");
          ctx.completeNow();
        })));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void terminatingAnInstanceThatIsAlreadyGoneSucceeds(Vertx vertx, VertxTestContext ctx) {
    Fleet fleet = fleet(vertx, "alpha", Map.of());
    fleet.launch("w-1")
        .compose(m -> fleet.terminate(m).compose(v -> fleet.terminate(m)))
        .compose(v -> fleet.terminate(new FleetMember("w-ghost", "i-0123456789abcdef0", 0)))
        .onComplete(ctx.succeedingThenComplete());
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void launchIntoASubnetThatDoesNotExistFailsForGoodWithTheAwsMessage(Vertx vertx, VertxTestContext ctx) {
    fleet(vertx, "alpha", Map.of("subnetId", "subnet-0000000000dead")).launch("w-1")
        .onComplete(ctx.failing(e -> ctx.verify(() -> {
          assertThat(e).isInstanceOf(LaunchException.class);
          LaunchException le = (LaunchException) e;
          assertThat(le.retryable()).isFalse();
          assertThat(le.code()).isEqualTo("InvalidSubnetID.NotFound");
          assertThat(le.getMessage()).contains("RunInstances", "subnet-0000000000dead", "does not exist");
          ctx.completeNow();
        })));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void launchWithASecurityGroupThatDoesNotExistFailsForGood(Vertx vertx, VertxTestContext ctx) {
    fleet(vertx, "alpha", Map.of("securityGroupIds", new JsonArray().add("sg-00000000dead"))).launch("w-1")
        .onComplete(ctx.failing(e -> ctx.verify(() -> {
          LaunchException le = (LaunchException) e;
          assertThat(le.retryable()).isFalse();
          assertThat(le.code()).isEqualTo("InvalidGroup.NotFound");
          assertThat(le.getMessage()).contains("sg-00000000dead");
          ctx.completeNow();
        })));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void aLaunchWhoseAnswerWasLostComesBackAsTheInstanceItStarted(Vertx vertx, VertxTestContext ctx) throws Exception {
    // RunInstances reaches EC2 and starts the worker; its answer never comes back, and the call
    // times out (one attempt: the call's limit is the attempt's).
    TcpProxy lossy = TcpProxy.droppingAnswersTo(moto.port(), "Action=RunInstances");
    Fleet fleet = fleet(vertx, "alpha", Map.of("endpointUrl", lossy.url(), "apiCallTimeoutMs", 1500,
        "apiCallAttemptTimeoutMs", 1500));
    // Another cluster's worker of the same id is not this launch's.
    fleet(vertx, "beta", Map.of()).launch("w-lost")
        .compose(other -> fleet.launch("w-lost"))
        .eventually(() -> {
          lossy.close();
          return Future.succeededFuture();
        })
        .onComplete(ctx.succeeding(member -> ctx.verify(() -> {
          List<Instance> started = ec2.describeInstances(b -> b.filters(
                  f -> f.name("tag:swell:worker-id").values("w-lost"),
                  f -> f.name("tag:swell:cluster").values("alpha")))
              .join().reservations().stream().flatMap(r -> r.instances().stream()).toList();
          assertThat(lossy.droppedAnswers()).isEqualTo(1);
          assertThat(started).hasSize(1);
          assertThat(member.workerId()).isEqualTo("w-lost");
          assertThat(member.instanceId()).isEqualTo(started.get(0).instanceId());
          ctx.completeNow();
        })));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void anUnreachableEc2IsWorthRetrying(Vertx vertx, VertxTestContext ctx) throws Exception {
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    fleet(vertx, "alpha", Map.of("endpointUrl", "http://127.0.0.1:" + closedPort, "apiCallTimeoutMs", 2000,
        "apiCallAttemptTimeoutMs", 1000)).launch("w-1")
        .onComplete(ctx.failing(e -> ctx.verify(() -> {
          assertThat(((LaunchException) e).retryable()).isTrue();
          ctx.completeNow();
        })));
  }
}
