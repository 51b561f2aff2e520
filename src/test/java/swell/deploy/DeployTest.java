package swell.deploy;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.HttpTokensState;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceAttributeName;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.Volume;
import software.amazon.awssdk.services.ec2.model.VolumeType;
import software.amazon.awssdk.services.s3.model.PublicAccessBlockConfiguration;
import swell.common.ConfigReader;
import swell.fleet.Ec2Fleet;
import swell.fleet.FleetConfig;
import swell.fleet.MotoServer;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static swell.deploy.MotoDeploy.await;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code deploy up}, a second {@code up}, {@code status} and {@code down} against the moto
 * emulator, each checked through the SDK the way a person would look in the AWS console.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeployTest {
  private static final String CLUSTER = "it";
  private static final String ACCOUNT = MotoDeploy.ACCOUNT;
  private static final String BUCKET = MotoDeploy.bucket(CLUSTER);

  @RegisterExtension
  static final MotoDeploy env = new MotoDeploy();
  private MotoServer moto;
  private Vertx vertx;
  private AwsClients aws;
  private Path jar;

  @BeforeAll
  void start() {
    moto = env.moto;
    vertx = env.vertx;
    aws = env.aws;
    jar = env.jar;
  }

  private Deployment deployment(String cluster, JsonObject overrides) {
    return env.deployment(cluster, overrides);
  }

  private Deployment deployment() {
    return deployment(CLUSTER, new JsonObject());
  }

  private List<Instance> liveInstances() {
    return env.instances(CLUSTER, "pending", "running");
  }

  private static Map<String, String> tags(Instance i) {
    return i.tags().stream().collect(Collectors.toMap(Tag::key, Tag::value));
  }

  private SecurityGroup group(String name) {
    return aws.ec2.describeSecurityGroups(b -> b.filters(Filter.builder().name("group-name").values(name).build()))
        .join().securityGroups().get(0);
  }

  private String object(String key) {
    return new String(objectBytes(key), StandardCharsets.UTF_8);
  }

  private byte[] objectBytes(String key) {
    return env.object(BUCKET, key);
  }

  private String userData(Instance i) {
    String b64 = aws.ec2.describeInstanceAttribute(b -> b.instanceId(i.instanceId())
        .attribute(InstanceAttributeName.USER_DATA)).join().userData().value();
    return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
  }

  private String shutdownBehaviour(Instance i) {
    return aws.ec2.describeInstanceAttribute(b -> b.instanceId(i.instanceId())
        .attribute(InstanceAttributeName.INSTANCE_INITIATED_SHUTDOWN_BEHAVIOR)).join()
        .instanceInitiatedShutdownBehavior().value();
  }

  private List<Volume> dataVolumes() {
    return aws.ec2.describeVolumes(b -> b.filters(Filter.builder().name("tag:swell:role").values("balancer-data")
        .build())).join().volumes();
  }

  /** The one balancer data volume, as EC2 describes it now. */
  private Volume dataVolume() {
    List<Volume> volumes = dataVolumes();
    assertThat(volumes).hasSize(1);
    return volumes.get(0);
  }

  private static Map<String, String> tagsOf(Volume v) {
    return v.tags().stream().collect(Collectors.toMap(software.amazon.awssdk.services.ec2.model.Tag::key,
        software.amazon.awssdk.services.ec2.model.Tag::value));
  }

  /** Attached at /dev/sdf, and kept when the instance terminates, as both the volume and the instance say. */
  private void assertDataVolumeAttachedTo(Instance balancer, Volume data) {
    assertThat(data.attachments()).singleElement().satisfies(a -> {
      assertThat(a.instanceId()).isEqualTo(balancer.instanceId());
      assertThat(a.device()).isEqualTo("/dev/sdf");
      // moto leaves the flag out of the volume's attachment; the instance's mapping below has it.
      assertThat(a.deleteOnTermination()).isNotEqualTo(Boolean.TRUE);
    });
    Instance now = aws.ec2.describeInstances(b -> b.instanceIds(balancer.instanceId())).join().reservations().get(0)
        .instances().get(0);
    assertThat(now.blockDeviceMappings()).filteredOn(m -> m.ebs().volumeId().equals(data.volumeId()))
        .singleElement().satisfies(m -> assertThat(m.ebs().deleteOnTermination()).isFalse());
    assertThat(tags(now)).containsEntry("swell:data-volume", data.volumeId());
  }

  private Instance balancer() {
    return liveInstances().stream().filter(i -> "balancer".equals(tags(i).get("swell:role"))).findFirst()
        .orElseThrow();
  }

  private JsonObject policy(String role) {
    String doc = aws.iam.getRolePolicy(b -> b.roleName("swell-it-" + role).policyName("swell-it-" + role)).join()
        .policyDocument();
    return new JsonObject(URLDecoder.decode(doc, StandardCharsets.UTF_8));
  }

  @Test
  @Order(1)
  void upCreatesBothGroupsTheRolesTheBucketAndTheBalancerWithTwoEndpoints() throws Exception {
    Deployment.UpResult up = await(deployment().up(false));

    SecurityGroup endpoints = group("swell-it-endpoints");
    SecurityGroup internal = group("swell-it-internal");
    assertThat(SecurityGroups.rules(endpoints)).containsExactly(new SecurityGroups.Rule(5000, "0.0.0.0/0", null));
    assertThat(SecurityGroups.rules(internal)).containsExactlyInAnyOrder(
        new SecurityGroups.Rule(5000, null, endpoints.groupId()),
        new SecurityGroups.Rule(5000, null, internal.groupId()));

    for (String role : List.of("balancer", "endpoint", "worker")) {
      String name = "swell-it-" + role;
      assertThat(aws.iam.listRolePolicies(b -> b.roleName(name)).join().policyNames()).containsExactly(name);
      assertThat(aws.iam.getInstanceProfile(b -> b.instanceProfileName(name)).join().instanceProfile().roles())
          .extracting(r -> r.roleName()).containsExactly(name);
    }
    String balancerPolicy = policy("balancer").encode();
    assertThat(balancerPolicy)
        .contains("\"aws:RequestTag/swell:cluster\":\"it\"", "\"aws:ResourceTag/swell:cluster\":\"it\"",
            "\"ec2:InstanceType\":\"c7i.large\"",
            "\"iam:PassRole\"", "arn:aws:iam::" + ACCOUNT + ":role/swell-it-worker",
            "arn:aws:s3:::" + BUCKET + "/config/balancer.json")
        .doesNotContain("config/worker.json", "\"Action\":\"*\"", "\"ec2:*\"");
    JsonObject worker = policy("worker");
    // Its artifacts, and its own log stream (DeployCloudWatchTest checks that statement).
    assertThat(worker.getJsonArray("Statement")).hasSize(2);
    assertThat(worker.encode()).contains("s3:GetObject", BUCKET + "/config/worker.json", BUCKET + "/cluster-token")
        .doesNotContain("ec2:", "iam:", "config/balancer.json");

    PublicAccessBlockConfiguration block = aws.s3.getPublicAccessBlock(b -> b.bucket(BUCKET)).join()
        .publicAccessBlockConfiguration();
    assertThat(List.of(block.blockPublicAcls(), block.ignorePublicAcls(), block.blockPublicPolicy(),
        block.restrictPublicBuckets())).containsOnly(true);
    assertThat(ArtifactBucket.sha256(objectBytes("swell.jar"))).isEqualTo(ArtifactBucket.sha256(jar));
    assertThat(object("cluster-token")).matches("[0-9a-f]{64}");
    JsonObject balancerConfig = new JsonObject(object("config/balancer.json"));
    assertThat(balancerConfig.getString("role")).isEqualTo("balancer");
    assertThat(balancerConfig.getInteger("maxWorkers")).isEqualTo(3);
    JsonObject ec2 = balancerConfig.getJsonObject("fleet").getJsonObject("ec2");
    assertThat(ec2.getJsonArray("securityGroupIds").getList()).containsExactly(internal.groupId());
    assertThat(ec2.getString("instanceProfile")).isEqualTo("swell-it-worker");
    assertThat(ec2.getString("bucket")).isEqualTo(BUCKET);
    assertThat(balancerConfig.encode()).doesNotContain(object("cluster-token"));
    JsonObject endpointConfig = new JsonObject(object("config/endpoint.json"));
    assertThat(endpointConfig.getString("role")).isEqualTo("endpoint");
    String clientKey = object("client-keys/default");
    assertThat(clientKey).matches("swk_[A-Za-z0-9_-]{43}");
    assertThat(endpointConfig.getJsonArray("apiKeys")).containsExactly(new JsonObject().put("name", "default")
        .put("sha256", ArtifactBucket.sha256(clientKey.getBytes(StandardCharsets.UTF_8))));
    assertThat(env.output()).contains(clientKey);
    for (String role : List.of("balancer", "endpoint", "worker")) {
      assertThat(object("config/" + role + ".json")).doesNotContain(clientKey);
    }
    assertThat(new JsonObject(object("config/worker.json")).getString("role")).isEqualTo("worker");

    List<Instance> live = liveInstances();
    assertThat(live).hasSize(3);
    Instance balancer = live.stream().filter(i -> "balancer".equals(tags(i).get("swell:role"))).findFirst()
        .orElseThrow();
    List<Instance> endpointInstances = live.stream().filter(i -> "endpoint".equals(tags(i).get("swell:role")))
        .toList();
    assertThat(endpointInstances).hasSize(2);
    assertThat(up.balancerPrivateIp()).isEqualTo(balancer.privateIpAddress()).isNotBlank();
    assertThat(balancer.securityGroups()).extracting(g -> g.groupId()).containsExactly(internal.groupId());
    assertThat(balancer.iamInstanceProfile().arn()).endsWith("instance-profile/swell-it-balancer");
    assertThat(live).allSatisfy(i -> assertThat(i.metadataOptions().httpTokens()).isEqualTo(HttpTokensState.REQUIRED));
    assertThat(userData(balancer)).contains("ROLE='balancer'", "CONFIG_KEY='config/balancer.json'",
        "BUCKET='" + BUCKET + "'", "Restart=always");
    assertThat(shutdownBehaviour(balancer)).isEqualTo("stop");
    Volume data = dataVolume();
    assertThat(tagsOf(data)).containsEntry("swell:cluster", "it").containsEntry("swell:role", "balancer-data");
    assertThat(data.volumeType()).isEqualTo(VolumeType.GP3);
    assertThat(data.size()).isEqualTo(20);
    assertThat(data.encrypted()).isTrue();
    assertThat(data.availabilityZone()).isEqualTo(balancer.placement().availabilityZone());
    assertDataVolumeAttachedTo(balancer, data);
    assertThat(userData(balancer)).contains("DATA_VOLUME='" + data.volumeId() + "'");
    for (Instance e : endpointInstances) {
      assertThat(shutdownBehaviour(e)).isEqualTo("terminate");
      assertThat(userData(e)).contains("DATA_VOLUME=''");
    }
    for (Instance e : endpointInstances) {
      assertThat(tags(e)).containsEntry("swell:cluster", "it").containsEntry("swell:balancer-ip",
          balancer.privateIpAddress());
      assertThat(e.securityGroups()).extracting(g -> g.groupId()).containsExactly(endpoints.groupId());
      assertThat(e.iamInstanceProfile().arn()).endsWith("instance-profile/swell-it-endpoint");
      assertThat(userData(e)).contains("ROLE='endpoint'",
          "SWELL_BALANCER_URLS=http://" + balancer.privateIpAddress() + ":5000");
    }
    assertThat(up.endpointUrls()).hasSize(2);
    assertThat(env.output()).contains("curl", "/enqueue?iterations=");
  }

  @Test
  @Order(2)
  void aSecondUpCreatesNothingNewAndKeepsTheTokenAndTheClientKey() throws Exception {
    String token = object("cluster-token");
    String clientKey = object("client-keys/default");
    Set<String> before = liveInstances().stream().map(Instance::instanceId).collect(Collectors.toSet());

    Deployment.UpResult again = await(deployment().up(false));

    assertThat(again.changes()).isEmpty();
    assertThat(liveInstances()).extracting(Instance::instanceId).containsExactlyInAnyOrderElementsOf(before);
    assertThat(object("cluster-token")).isEqualTo(token);
    assertThat(object("client-keys/default")).isEqualTo(clientKey);
    assertThat(env.output()).doesNotContain(clientKey).contains("client key default (kept");
    assertThat(env.output()).contains("everything was already in place");
  }

  @Test
  @Order(3)
  void aChangedJarIsUploadedAndNothingElse() throws Exception {
    MotoDeploy.writeJar(jar, 2);

    Deployment.UpResult again = await(deployment().up(false));

    assertThat(again.changes()).containsExactly("created jar s3://" + BUCKET + "/swell.jar");
    byte[] stored = objectBytes("swell.jar");
    assertThat(stored).hasSize(MotoDeploy.JAR_BYTES);
    assertThat(ArtifactBucket.sha256(stored)).isEqualTo(ArtifactBucket.sha256(jar));
  }

  @Test
  @Order(4)
  void statusReportsInstancesByRoleIncludingWorkersTheBalancerLaunched() throws Exception {
    // A worker launched the way the deployed balancer would, from the config up stored.
    JsonObject fleetJson = new JsonObject(object("config/balancer.json")).getJsonObject("fleet");
    fleetJson.getJsonObject("ec2").put("endpointUrl", moto.url());
    FleetConfig fleetCfg = FleetConfig.read(new ConfigReader(fleetJson, Map.of()), "ec2");
    Ec2Fleet fleet = new Ec2Fleet(vertx, fleetCfg, "http://10.0.0.1:5000", MotoServer.CREDENTIALS);
    try {
      await(fleet.launch("w-autoscaled"));
    } finally {
      fleet.close();
    }

    DeployStatus status = await(deployment().status());

    Map<String, Long> perRole = status.counts().entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
        e -> e.getValue().values().stream().mapToLong(Long::longValue).sum()));
    assertThat(perRole).containsExactlyInAnyOrderEntriesOf(Map.of("balancer", 1L, "endpoint", 2L, "worker", 1L));
    assertThat(status.bucketExists()).isTrue();
    assertThat(status.groups()).hasSize(2);
    assertThat(status.roles()).containsExactlyInAnyOrder("swell-it-balancer", "swell-it-endpoint", "swell-it-worker");
    assertThat(status.instances()).anySatisfy(v -> assertThat(v.workerId()).isEqualTo("w-autoscaled"));
    assertThat(status.clientKeys()).containsExactly("default");
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    status.print(new PrintStream(printed, true, StandardCharsets.UTF_8));
    assertThat(status.dataVolumes()).singleElement().asString()
        .startsWith(dataVolume().volumeId() + " (20 GiB, in-use by " + balancer().instanceId());
    assertThat(printed.toString(StandardCharsets.UTF_8)).contains("keys     default", "deploy key [NAME]",
        "data     vol-");
  }

  @Test
  @Order(5)
  void deployKeyPrintsTheClientKeyAgainAndNamesAMissingOne() throws Exception {
    assertThat(await(deployment().key("default"))).isEqualTo(object("client-keys/default"));
    assertThatThrownBy(() -> await(deployment().key("ci"))).hasMessageContaining("no client key named ci");
  }

  @Test
  @Order(6)
  void aBalancerThatPoweredItselfOffIsStartedAgainWithItsVolume() throws Exception {
    Instance balancer = balancer();
    String volumeId = dataVolume().volumeId();
    aws.ec2.stopInstances(b -> b.instanceIds(balancer.instanceId())).join();

    Deployment.UpResult again = await(deployment().up(false));

    assertThat(again.changes()).containsExactly("started balancer " + balancer.instanceId() + " (it was stopped)");
    assertThat(balancer().instanceId()).isEqualTo(balancer.instanceId());
    assertThat(dataVolume().volumeId()).isEqualTo(volumeId);
    assertDataVolumeAttachedTo(balancer, dataVolume());
  }

  @Test
  @Order(7)
  void aReplacementBalancerGetsTheSameDataVolume() throws Exception {
    Instance lost = balancer();
    Volume data = dataVolume();
    aws.ec2.terminateInstances(b -> b.instanceIds(lost.instanceId())).join();
    assertThat(dataVolume().stateAsString()).isEqualTo("available");

    Deployment.UpResult again = await(deployment().up(false));

    Instance replacement = balancer();
    assertThat(replacement.instanceId()).isNotEqualTo(lost.instanceId());
    assertThat(again.changes()).contains("attached balancer data volume " + data.volumeId() + " to "
        + replacement.instanceId());
    assertThat(again.changes()).noneMatch(c -> c.contains("created balancer data volume"));
    assertDataVolumeAttachedTo(replacement, dataVolume());
    assertThat(userData(replacement)).contains("DATA_VOLUME='" + data.volumeId() + "'");
  }

  @Test
  @Order(8)
  void downTerminatesEveryInstanceWorkersTooAndLeavesNothingBehind() throws Exception {
    List<String> removed = await(deployment().down());

    assertThat(removed).anyMatch(s -> s.startsWith("deleted worker instance"))
        .anyMatch(s -> s.startsWith("deleted balancer data volume vol-"));
    assertThat(dataVolumes()).isEmpty();
    assertThat(liveInstances()).isEmpty();
    assertThat(aws.ec2.describeSecurityGroups(b -> b.filters(Filter.builder().name("group-name")
        .values("swell-it-endpoints", "swell-it-internal").build())).join().securityGroups()).isEmpty();
    for (String role : List.of("balancer", "endpoint", "worker")) {
      assertThatThrownBy(() -> aws.iam.getRole(b -> b.roleName("swell-it-" + role)).join())
          .isInstanceOf(CompletionException.class).hasMessageContaining("not found");
      assertThatThrownBy(() -> aws.iam.getInstanceProfile(b -> b.instanceProfileName("swell-it-" + role)).join())
          .isInstanceOf(CompletionException.class);
    }
    assertThatThrownBy(() -> aws.s3.headBucket(b -> b.bucket(BUCKET)).join()).isInstanceOf(CompletionException.class);
    assertThat(await(deployment().status()).empty()).isTrue();
  }

  @Test
  @Order(9)
  void aWorkerTypeSetInsideTheBalancerObjectStopsUpBeforeAnythingLaunches() throws Exception {
    Deployment other = deployment("other", new JsonObject().put("balancer", new JsonObject()
        .put("fleet", new JsonObject().put("ec2", new JsonObject().put("instanceType", "m7i.48xlarge")))));

    assertThatThrownBy(() -> await(other.up(false))).hasMessageContaining("balancer.fleet.ec2.instanceType")
        .hasMessageContaining("workerInstanceType");
    assertThat(await(deployment("other", new JsonObject()).status()).instances()).isEmpty();
    await(deployment("other", new JsonObject()).down());
  }

  @Test
  @Order(10)
  void downCleansUpAnUpThatStoppedHalfWay() throws Exception {
    Deployment broken = deployment("half", new JsonObject().put("jar", "/nonexistent/swell.jar"));
    assertThatThrownBy(() -> await(broken.up(false))).hasMessageContaining("no jar at");
    DeployStatus half = await(deployment("half", new JsonObject()).status());
    assertThat(half.groups()).hasSize(2);
    assertThat(half.bucketExists()).isTrue();
    assertThat(half.instances()).isEmpty();

    await(deployment("half", new JsonObject()).down());

    assertThat(await(deployment("half", new JsonObject()).status()).empty()).isTrue();
  }
}
