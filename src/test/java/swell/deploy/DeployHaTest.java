package swell.deploy;

import io.vertx.core.json.JsonArray;
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
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceAttributeName;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.rds.model.DBInstance;
import software.amazon.awssdk.services.rds.model.DBSnapshot;
import software.amazon.awssdk.services.rds.model.DBSubnetGroup;
import swell.common.ConfigReader;
import swell.fleet.Ec2Fleet;
import swell.fleet.FleetConfig;
import swell.fleet.MotoServer;
import swell.fleet.UserData;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static swell.deploy.MotoDeploy.await;

/**
 * {@code deploy up}, a second {@code up}, {@code status} and {@code down} with the settings of the
 * shipped {@code config/deploy-ha.json} (store postgres, two balancers, Multi-AZ) against the moto
 * emulator, each checked through the SDK the way a person would look in the AWS console. moto's
 * RDS instances have no database behind them and are available at once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DeployHaTest {
  private static final String CLUSTER = "ha";
  private static final String BUCKET = MotoDeploy.bucket(CLUSTER);
  private static final String DB = "swell-ha-db";

  @RegisterExtension
  static final MotoDeploy env = new MotoDeploy();
  private AwsClients aws;

  @BeforeAll
  void start() {
    aws = env.aws;
  }

  /** The shipped deploy-ha.json with the test's cluster, emulator and jar; {@code overrides} on top. */
  private Deployment deployment(String cluster, JsonObject overrides) throws Exception {
    JsonObject ha = new JsonObject(Files.readString(Path.of("config/deploy-ha.json")));
    ha.remove("clusterName");
    ha.remove("region");
    ha.remove("endpointUrl");
    ha.remove("jar");
    ha.remove("pollIntervalMs");
    return env.deployment(cluster, ha.mergeIn(overrides));
  }

  private Deployment deployment() throws Exception {
    return deployment(CLUSTER, new JsonObject());
  }

  private List<Instance> live(String role) {
    return env.instances(CLUSTER, "pending", "running").stream().filter(i -> role.equals(tags(i).get("swell:role")))
        .sorted(java.util.Comparator.comparing(i -> tags(i).getOrDefault("swell:balancer-index", "")))
        .toList();
  }

  private static Map<String, String> tags(Instance i) {
    return i.tags().stream().collect(Collectors.toMap(Tag::key, Tag::value));
  }

  private String userData(Instance i) {
    String b64 = aws.ec2.describeInstanceAttribute(b -> b.instanceId(i.instanceId())
        .attribute(InstanceAttributeName.USER_DATA)).join().userData().value();
    return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
  }

  private String object(String key) {
    return new String(env.object(BUCKET, key), StandardCharsets.UTF_8);
  }

  private DBInstance database() {
    return aws.rds.describeDBInstances(b -> b.dbInstanceIdentifier(DB)).join().dbInstances().get(0);
  }

  private SecurityGroup group(String name) {
    return aws.ec2.describeSecurityGroups(b -> b.filters(Filter.builder().name("group-name").values(name).build()))
        .join().securityGroups().get(0);
  }

  private String policy(String role) {
    String doc = aws.iam.getRolePolicy(b -> b.roleName("swell-ha-" + role).policyName("swell-ha-" + role)).join()
        .policyDocument();
    return URLDecoder.decode(doc, StandardCharsets.UTF_8);
  }

  private List<DBSnapshot> finalSnapshots(String db) {
    return aws.rds.describeDBSnapshots(b -> b.dbInstanceIdentifier(db)).join().dbSnapshots();
  }

  @Test
  @Order(1)
  void upCreatesTheDatabaseAndTwoBalancersInTwoZonesWithEndpointsForBoth() throws Exception {
    Deployment.UpResult up = await(deployment().up(false));

    // The database: encrypted, private, Multi-AZ, the class and storage deploy-ha.json names.
    DBInstance db = database();
    assertThat(db.engine()).isEqualTo("postgres");
    assertThat(db.engineVersion()).isEqualTo("16.11");
    assertThat(db.dbInstanceClass()).isEqualTo("db.t4g.micro");
    assertThat(db.allocatedStorage()).isEqualTo(20);
    assertThat(db.storageEncrypted()).isTrue();
    assertThat(db.multiAZ()).isTrue();
    assertThat(db.publiclyAccessible()).isFalse();
    assertThat(db.deletionProtection()).isFalse();
    assertThat(db.masterUsername()).isEqualTo("swell");
    assertThat(db.dbName()).isEqualTo("swell");
    assertThat(db.tagList()).anySatisfy(t -> {
      assertThat(t.key()).isEqualTo("swell:cluster");
      assertThat(t.value()).isEqualTo(CLUSTER);
    });
    SecurityGroup dbGroup = group("swell-ha-db");
    SecurityGroup internal = group("swell-ha-internal");
    assertThat(db.vpcSecurityGroups()).extracting(g -> g.vpcSecurityGroupId()).containsExactly(dbGroup.groupId());

    // Its group admits tcp:5432 from the balancers' group, and nothing else.
    assertThat(dbGroup.ipPermissions()).singleElement().satisfies(p -> {
      assertThat(p.ipProtocol()).isEqualTo("tcp");
      assertThat(p.fromPort()).isEqualTo(5432);
      assertThat(p.toPort()).isEqualTo(5432);
      assertThat(p.ipRanges()).isEmpty();
      assertThat(p.ipv6Ranges()).isEmpty();
      assertThat(p.prefixListIds()).isEmpty();
      assertThat(p.userIdGroupPairs()).extracting(g -> g.groupId()).containsExactly(internal.groupId());
    });

    // Its subnet group spans two zones.
    DBSubnetGroup subnetGroup = aws.rds.describeDBSubnetGroups(b -> b.dbSubnetGroupName(DB)).join()
        .dbSubnetGroups().get(0);
    assertThat(db.dbSubnetGroup().dbSubnetGroupName()).isEqualTo(DB);
    assertThat(subnetGroup.subnets()).hasSize(2);
    assertThat(subnetGroup.subnets().stream().map(s -> s.subnetAvailabilityZone().name()).distinct()).hasSize(2);

    // Two balancers, one in each of those subnets, and no data volume: the queue is the database's.
    List<Instance> balancers = live("balancer");
    assertThat(balancers).hasSize(2);
    assertThat(balancers).extracting(b -> tags(b).get("swell:balancer-index")).containsExactly("0", "1");
    assertThat(balancers).extracting(b -> tags(b).get("swell:store")).containsOnly("postgres");
    assertThat(balancers.stream().map(b -> b.placement().availabilityZone()).distinct()).hasSize(2);
    assertThat(balancers).extracting(Instance::subnetId).containsExactlyInAnyOrderElementsOf(
        subnetGroup.subnets().stream().map(s -> s.subnetIdentifier()).toList());
    assertThat(balancers).allSatisfy(b -> assertThat(b.securityGroups()).extracting(g -> g.groupId())
        .containsExactly(internal.groupId()));
    assertThat(aws.ec2.describeVolumes(b -> b.filters(Filter.builder().name("tag:swell:role")
        .values("balancer-data").build())).join().volumes()).isEmpty();
    List<String> ips = balancers.stream().map(Instance::privateIpAddress).toList();
    assertThat(up.balancerPrivateIps()).containsExactlyElementsOf(ips);
    List<String> urls = ips.stream().map(ip -> "http://" + ip + ":5000").toList();

    // The password: in the bucket, readable by the balancers' role alone, and nowhere else.
    String password = object("db-password");
    assertThat(password).matches("[A-Za-z0-9]{32}");
    assertThat(policy("balancer")).contains("arn:aws:s3:::" + BUCKET + "/db-password");
    assertThat(policy("endpoint")).doesNotContain("db-password");
    assertThat(policy("worker")).doesNotContain("db-password");
    for (Instance i : env.instances(CLUSTER, "pending", "running")) {
      assertThat(userData(i)).doesNotContain(password);
      assertThat(i.tags()).noneMatch(t -> t.value().contains(password));
    }
    for (String role : List.of("balancer", "endpoint", "worker")) {
      assertThat(object("config/" + role + ".json")).doesNotContain(password);
    }
    assertThat(db.tagList()).noneMatch(t -> t.value().contains(password));
    assertThat(env.output()).doesNotContain(password);
    for (Instance b : balancers) {
      assertThat(userData(b)).contains("STORE_PASSWORD_KEY='db-password'", "DATA_VOLUME=''",
          "STORE_CA_URL='" + Database.CA_BUNDLE_URL + "'");
    }

    // The balancers' config: the database's URL, no password; their workers get both balancers.
    JsonObject balancerConfig = new JsonObject(object("config/balancer.json"));
    JsonObject store = balancerConfig.getJsonObject("store");
    assertThat(store.getString("type")).isEqualTo("postgres");
    assertThat(store.getString("url")).isEqualTo("postgresql://swell@" + db.endpoint().address() + ":5432/swell"
        + "?sslmode=verify-full");
    assertThat(store.getString("sslRootCert")).isEqualTo(UserData.STORE_CA_FILE);
    assertThat(store.fieldNames()).doesNotContain("password", "passwordFile");
    assertThat(balancerConfig.getInteger("minWorkers")).isEqualTo(2);
    assertThat(balancerConfig.getJsonObject("fleet").getJsonObject("ec2").getJsonArray("balancerUrls").getList())
        .containsExactlyElementsOf(urls);
    assertThat(new JsonObject(object("config/endpoint.json")).getString("balancerMode")).isEqualTo("spread");
    assertThat(new JsonObject(object("config/worker.json")).getString("balancerMode")).isEqualTo("spread");

    // The endpoints forward to both balancers.
    List<Instance> endpoints = live("endpoint");
    assertThat(endpoints).hasSize(2);
    for (Instance e : endpoints) {
      assertThat(tags(e)).containsEntry("swell:balancer-ip", String.join(" ", ips));
      assertThat(userData(e)).contains("SWELL_BALANCER_URLS=" + String.join(",", urls));
    }
    assertThat(env.output()).contains("+ database " + DB, "+ DB subnet group " + DB, "+ security group swell-ha-db");
  }

  @Test
  @Order(2)
  void aSecondUpCreatesNothingAndKeepsThePassword() throws Exception {
    String password = object("db-password");
    List<String> before = env.instances(CLUSTER, "pending", "running").stream().map(Instance::instanceId).toList();

    Deployment.UpResult again = await(deployment().up(false));

    assertThat(again.changes()).isEmpty();
    assertThat(env.instances(CLUSTER, "pending", "running")).extracting(Instance::instanceId)
        .containsExactlyInAnyOrderElementsOf(before);
    assertThat(object("db-password")).isEqualTo(password);
    assertThat(env.output()).contains("= database " + DB + " (available", "= DB subnet group " + DB,
        "= database password", "everything was already in place").doesNotContain("waiting for database");
  }

  @Test
  @Order(3)
  void aWorkerABalancerLaunchesReachesBothBalancers() throws Exception {
    // Launched the way a deployed balancer would, from the config up stored.
    JsonObject fleetJson = new JsonObject(object("config/balancer.json")).getJsonObject("fleet");
    fleetJson.getJsonObject("ec2").put("endpointUrl", env.moto.url());
    FleetConfig fleetCfg = FleetConfig.read(new ConfigReader(fleetJson, Map.of()), "ec2");
    Ec2Fleet fleet = new Ec2Fleet(env.vertx, fleetCfg, "http://10.9.9.9:5000", MotoServer.CREDENTIALS);
    try {
      await(fleet.launch("w-ha"));
    } finally {
      fleet.close();
    }

    Instance worker = live("worker").get(0);
    String urls = String.join(",", live("balancer").stream().map(b -> "http://" + b.privateIpAddress() + ":5000")
        .toList());
    assertThat(userData(worker)).contains("SWELL_BALANCER_URLS=" + urls).doesNotContain("10.9.9.9")
        .doesNotContain(object("db-password")).contains("STORE_PASSWORD_KEY=''");
  }

  @Test
  @Order(4)
  void statusShowsTheDatabaseAndTheBalancersZones() throws Exception {
    DeployStatus status = await(deployment().status());

    assertThat(status.database()).anySatisfy(line -> assertThat(line).startsWith(DB + ": available, db.t4g.micro, "
        + "PostgreSQL 16.11, Multi-AZ, 20 GiB gp3, encrypted, " + database().endpoint().address() + ":5432"));
    assertThat(status.database()).anySatisfy(line -> assertThat(line).startsWith("subnet group " + DB + " ("));
    assertThat(status.groups()).hasSize(3);
    assertThat(status.instances().stream().filter(v -> v.role().equals("balancer")).map(v -> v.zone()).distinct())
        .hasSize(2);
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    status.print(new PrintStream(printed, true, StandardCharsets.UTF_8));
    assertThat(printed.toString(StandardCharsets.UTF_8)).contains("database " + DB + ": available",
        "balancer: 2 running");
  }

  @Test
  @Order(5)
  void aStoppedDatabaseIsStartedAgainAndWaitedFor() throws Exception {
    aws.rds.stopDBInstance(b -> b.dbInstanceIdentifier(DB)).join();
    assertThat(database().dbInstanceStatus()).isEqualTo("stopped");

    Deployment.UpResult again = await(deployment().up(false));

    assertThat(again.changes()).containsExactly("started database " + DB + " (it was stopped)");
    assertThat(database().dbInstanceStatus()).isEqualTo("available");
    assertThat(env.output()).contains("waiting for database " + DB + " to be available", "database " + DB + ": stopped",
        "database " + DB + ": available");
  }

  @Test
  @Order(6)
  void aDatabaseThatDiffersFromDeployJsonIsReportedAndLeftAlone() throws Exception {
    Deployment.UpResult again = await(deployment(CLUSTER, new JsonObject().put("dbInstanceClass", "db.t4g.small"))
        .up(false));

    assertThat(again.changes()).isEmpty();
    assertThat(database().dbInstanceClass()).isEqualTo("db.t4g.micro");
    assertThat(env.output()).contains("! database " + DB + ": its class is db.t4g.micro, deploy.json says "
        + "db.t4g.small; up does not change an existing database");
  }

  @Test
  @Order(7)
  void aPasswordLostWithTheBucketIsMadeAgainAndGivenToTheDatabase() throws Exception {
    String old = object("db-password");
    aws.s3.deleteObject(b -> b.bucket(BUCKET).key("db-password")).join();

    Deployment.UpResult again = await(deployment().up(false));

    String fresh = object("db-password");
    assertThat(fresh).matches("[A-Za-z0-9]{32}").isNotEqualTo(old);
    assertThat(again.changes()).containsExactly("created database password s3://" + BUCKET + "/db-password",
        "set database " + DB + "'s master password to the new one in the bucket (the bucket held none)");
    assertThat(env.output()).doesNotContain(fresh);
  }

  @Test
  @Order(8)
  void aLostBalancerIsReplacedInItsZoneAndTheEndpointsAndWorkersFollow() throws Exception {
    Instance lost = live("balancer").get(1);
    Instance kept = live("balancer").get(0);
    aws.ec2.terminateInstances(b -> b.instanceIds(lost.instanceId())).join();

    Deployment.UpResult again = await(deployment().up(false));

    List<Instance> balancers = live("balancer");
    assertThat(balancers).hasSize(2);
    assertThat(balancers.get(0).instanceId()).isEqualTo(kept.instanceId());
    Instance replacement = balancers.get(1);
    assertThat(replacement.instanceId()).isNotEqualTo(lost.instanceId());
    assertThat(tags(replacement)).containsEntry("swell:balancer-index", "1");
    assertThat(replacement.subnetId()).isEqualTo(lost.subnetId());
    List<String> ips = balancers.stream().map(Instance::privateIpAddress).toList();
    assertThat(live("endpoint")).hasSize(2).allSatisfy(e -> assertThat(tags(e)).containsEntry("swell:balancer-ip",
        String.join(" ", ips)));
    assertThat(new JsonObject(object("config/balancer.json")).getJsonObject("fleet").getJsonObject("ec2")
        .getJsonArray("balancerUrls")).isEqualTo(new JsonArray(ips.stream().map(ip -> "http://" + ip + ":5000")
        .toList()));
    assertThat(again.changes()).noneMatch(c -> c.contains("database"));
  }

  @Test
  @Order(9)
  void downDeletesTheDatabaseKeepingAFinalSnapshotAndLeavesNothingElse() throws Exception {
    List<String> removed = await(deployment().down());

    assertThat(removed).anyMatch(c -> c.startsWith("deleted database " + DB + " (final snapshot swell-ha-final-"))
        .contains("deleted DB subnet group " + DB);
    assertThat(env.instances(CLUSTER, "pending", "running", "stopping", "stopped")).isEmpty();
    assertThatThrownBy(() -> aws.rds.describeDBInstances(b -> b.dbInstanceIdentifier(DB)).join())
        .isInstanceOf(CompletionException.class).hasMessageContaining(DB);
    assertThatThrownBy(() -> aws.rds.describeDBSubnetGroups(b -> b.dbSubnetGroupName(DB)).join())
        .isInstanceOf(CompletionException.class);
    assertThat(aws.ec2.describeSecurityGroups(b -> b.filters(Filter.builder().name("group-name")
        .values("swell-ha-endpoints", "swell-ha-internal", "swell-ha-db").build())).join().securityGroups())
        .isEmpty();
    for (String role : List.of("balancer", "endpoint", "worker")) {
      assertThatThrownBy(() -> aws.iam.getRole(b -> b.roleName("swell-ha-" + role)).join())
          .isInstanceOf(CompletionException.class);
    }
    assertThatThrownBy(() -> aws.s3.headBucket(b -> b.bucket(BUCKET)).join()).isInstanceOf(CompletionException.class);

    // The one thing kept, on purpose: the final snapshot, which status still shows since it is billed.
    List<DBSnapshot> snapshots = finalSnapshots(DB);
    assertThat(snapshots).singleElement().satisfies(s -> {
      assertThat(s.dbSnapshotIdentifier()).matches("swell-ha-final-\\d{8}-\\d{6}");
      assertThat(s.snapshotType()).isEqualTo("manual");
    });
    DeployStatus after = await(deployment().status());
    assertThat(after.empty()).isTrue();
    assertThat(after.finalSnapshots()).singleElement().asString().startsWith(snapshots.get(0).dbSnapshotIdentifier());
    aws.rds.deleteDBSnapshot(b -> b.dbSnapshotIdentifier(snapshots.get(0).dbSnapshotIdentifier())).join();
  }

  @Test
  @Order(10)
  void withoutAFinalSnapshotDownKeepsNothingOfTheDatabase() throws Exception {
    JsonObject noSnapshot = new JsonObject().put("dbFinalSnapshot", false).put("dbMultiAz", false);
    await(deployment("ha2", noSnapshot).up(false));
    DBInstance db = aws.rds.describeDBInstances(b -> b.dbInstanceIdentifier("swell-ha2-db")).join().dbInstances()
        .get(0);
    assertThat(db.multiAZ()).isFalse();

    List<String> removed = await(deployment("ha2", noSnapshot).down());

    assertThat(removed).contains("deleted database swell-ha2-db (no final snapshot: dbFinalSnapshot is false)");
    assertThat(finalSnapshots("swell-ha2-db")).isEmpty();
    assertThat(await(deployment("ha2", noSnapshot).status()).empty()).isTrue();
  }

  @Test
  @Order(11)
  void aClusterOfSqliteBalancersIsNotTurnedIntoAPostgresOne() throws Exception {
    String subnet = aws.ec2.describeSubnets(b -> b.filters(Filter.builder().name("default-for-az").values("true")
        .build())).join().subnets().get(0).subnetId();
    String ami = aws.ssm.getParameter(b -> b.name("/aws/service/ami-amazon-linux-latest/"
        + "al2023-ami-kernel-default-x86_64")).join().parameter().value();
    // A balancer as an earlier deploy up of store sqlite left it: tagged with its cluster and role only.
    String sqliteBalancer = aws.ec2.runInstances(b -> b.imageId(ami).instanceType("t3.small").minCount(1).maxCount(1)
        .subnetId(subnet).tagSpecifications(t -> t.resourceType("instance").tags(
            Tag.builder().key("swell:cluster").value("ha4").build(),
            Tag.builder().key("swell:role").value("balancer").build()))).join().instances().get(0).instanceId();

    assertThatThrownBy(() -> await(deployment("ha4", new JsonObject()).up(false))).hasMessageContaining("'store'")
        .hasMessageContaining(sqliteBalancer + " of cluster ha4 runs sqlite");
    DeployStatus status = await(deployment("ha4", new JsonObject()).status());
    assertThat(status.bucketExists()).isFalse();
    assertThat(status.database()).isEmpty();
    await(deployment("ha4", new JsonObject()).down());
  }

  @Test
  @Order(12)
  void twoConfiguredSubnetsInOneZoneAreRefusedBeforeAnythingIsCreated() throws Exception {
    List<Subnet> oneZone = aws.ec2.describeSubnets(b -> b.filters(Filter.builder().name("default-for-az")
        .values("true").build())).join().subnets().stream().limit(1).toList();
    String vpc = oneZone.get(0).vpcId();
    String zone = oneZone.get(0).availabilityZone();
    String second = aws.ec2.createSubnet(b -> b.vpcId(vpc).availabilityZone(zone).cidrBlock("172.31.200.0/24")).join()
        .subnet().subnetId();
    JsonObject sameZone = new JsonObject().put("subnetIds", new JsonArray().add(oneZone.get(0).subnetId()).add(second));

    assertThatThrownBy(() -> await(deployment("ha3", sameZone).up(false))).hasMessageContaining("subnetIds")
        .hasMessageContaining("two availability zones");
    assertThat(await(deployment("ha3", sameZone).status()).empty()).isTrue();
  }
}
