package swell.deploy;

import io.vertx.core.json.JsonObject;
import swell.common.ConfigException;
import swell.common.ConfigReader;
import swell.fleet.Ec2FleetConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code config/deploy.json}: what {@code deploy up} creates and where. Every key has a default;
 * the {@code balancer}, {@code endpoint} and {@code worker} objects are merged into the configs
 * the instances run, and are checked against those roles' own keys before anything is created.
 *
 * @param region empty: {@code --region}, then the SDK's default region chain
 * @param subnetId empty: the default subnet of the default VPC in the first zone
 * @param subnetIds set: the subnets balancers (balancer i in the i-th, round the list), endpoints
 *     and the database's subnet group use, instead of {@code subnetId}; empty with
 *     {@code postgres}: the default VPC's default subnets in its first two zones
 * @param amiId empty: the latest image named by the public SSM parameter {@code amiParameter}
 * @param bucket empty: {@code swell-<clusterName>-<account>-<region>}
 * @param balancerDataVolumeGb size of the gp3 volume the balancer keeps its data on, when created
 *     ({@code sqlite} only: with {@code postgres} no balancer keeps a queue)
 * @param store {@code sqlite}: one balancer with its queue on its own EBS volume; {@code postgres}:
 *     {@code balancerCount} balancers sharing an RDS PostgreSQL database
 * @param dbEngineVersion a PostgreSQL 15 or 16 version RDS offers: {@code 16.11}, or a major
 *     alone ({@code 16}) for the minor RDS makes the default
 * @param dbFinalSnapshot whether {@code down} keeps a final snapshot of the database
 * @param logRetentionDays how long the cluster's log group keeps events: one of the values CloudWatch
 *     Logs allows
 * @param keepLogs whether {@code down} leaves the log group (and its events, until they expire)
 */
public record DeployConfig(String clusterName, String region, String endpointUrl, String subnetId, String amiId,
                           String amiParameter, String balancerInstanceType, String endpointInstanceType,
                           String workerInstanceType, int endpointCount, String publicCidr, String keyName,
                           String sshCidr, String bucket, Path jar, String javaPackage, long readyTimeoutMs,
                           long pollIntervalMs, long apiCallTimeoutMs, long apiCallAttemptTimeoutMs,
                           int balancerDataVolumeGb, JsonObject balancer, JsonObject endpoint, JsonObject worker,
                           String store, int balancerCount, List<String> subnetIds, String dbInstanceClass,
                           boolean dbMultiAz, int dbAllocatedStorageGb, String dbEngineVersion,
                           boolean dbFinalSnapshot, int logRetentionDays, boolean keepLogs) {

  /** An EC2 instance type; the worker's also goes into the balancer's IAM policy. */
  private static final Pattern INSTANCE_TYPE = Pattern.compile("[a-z0-9-]+\\.[a-z0-9-]+");

  /** The HTTP port of every role on its own host (DESIGN.md). */
  public static final int PORT = 5000;

  /** An RDS instance class such as db.t4g.micro. */
  private static final Pattern DB_INSTANCE_CLASS = Pattern.compile("db\\.[a-z0-9-]+\\.[a-z0-9-]+");
  /**
   * PostgreSQL 15 or 16, the majors the store is built and tested for; a major alone lets RDS pick
   * its default minor, which never names a minor RDS has stopped offering.
   */
  private static final Pattern DB_ENGINE_VERSION = Pattern.compile("1[56](\\.[0-9]{1,3})?");
  /** Balancers sharing one database: one per zone is the point, a handful is plenty. */
  static final int MAX_BALANCERS = 9;

  public static DeployConfig from(ConfigReader r, JsonObject json) {
    String store = r.oneOf("store", "sqlite", "sqlite", "postgres");
    boolean postgres = "postgres".equals(store);
    DeployConfig c = new DeployConfig(
        r.string("clusterName", "swell"),
        r.string("region", ""),
        r.string("endpointUrl", ""),
        r.string("subnetId", ""),
        r.string("amiId", ""),
        r.string("amiParameter", "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"),
        instanceType(r, "balancerInstanceType", "t3.small"),
        instanceType(r, "endpointInstanceType", "t3.micro"),
        instanceType(r, "workerInstanceType", "c7i.large"),
        r.integer("endpointCount", 2, 1, 20),
        cidr(r, "publicCidr", "0.0.0.0/0"),
        r.string("keyName", ""),
        cidr(r, "sshCidr", ""),
        r.string("bucket", ""),
        Path.of(r.string("jar", "target/swell.jar")),
        r.string("javaPackage", "java-17-amazon-corretto-headless"),
        r.number("readyTimeoutMs", 600_000, 1_000, 3_600_000),
        r.number("pollIntervalMs", 5_000, 10, 60_000),
        r.number("apiCallTimeoutMs", 120_000, 1_000, 900_000),
        r.number("apiCallAttemptTimeoutMs", 30_000, 500, 900_000),
        r.integer("balancerDataVolumeGb", 20, 1, 16_384),
        object(json, "balancer"),
        object(json, "endpoint"),
        object(json, "worker"),
        store,
        r.integer("balancerCount", postgres ? 2 : 1, 1, MAX_BALANCERS),
        r.strings("subnetIds", List.of()),
        r.string("dbInstanceClass", "db.t4g.micro"),
        r.bool("dbMultiAz", true),
        r.integer("dbAllocatedStorageGb", 20, 20, 65_536),
        r.string("dbEngineVersion", "16.11"),
        r.bool("dbFinalSnapshot", true),
        r.integer("logRetentionDays", 14, 1, 3653),
        r.bool("keepLogs", false));
    r.allow("balancer", "endpoint", "worker");
    if (!Ec2FleetConfig.CLUSTER_NAME.matcher(c.clusterName).matches()) {
      throw r.bad("clusterName", "must be 1-20 lowercase letters, digits or hyphens, not \"" + c.clusterName + "\"");
    }
    if (!c.bucket.isEmpty() && !c.bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
      throw r.bad("bucket", "is not a valid S3 bucket name: \"" + c.bucket + "\"");
    }
    if (!c.endpointUrl.isEmpty() && !c.endpointUrl.matches("https?://.+")) {
      throw r.bad("endpointUrl", "must be an http:// or https:// URL, not \"" + c.endpointUrl + "\"");
    }
    if (c.apiCallAttemptTimeoutMs > c.apiCallTimeoutMs) {
      throw r.bad("apiCallAttemptTimeoutMs", "must not exceed apiCallTimeoutMs (" + c.apiCallTimeoutMs + ")");
    }
    if (!c.sshCidr.isEmpty() && c.keyName.isEmpty()) {
      throw r.bad("sshCidr", "opens SSH only together with keyName; set both or neither");
    }
    checkStore(r, c);
    if (!ClusterLogs.RETENTION_DAYS.contains(c.logRetentionDays)) {
      throw r.bad("logRetentionDays", "must be a retention CloudWatch Logs allows: " + ClusterLogs.RETENTION_DAYS
          .stream().sorted().map(String::valueOf).collect(java.util.stream.Collectors.joining(", ")) + "; not "
          + c.logRetentionDays);
    }
    return c;
  }

  /** The keys of the balancers' store: how many balancers, where, and the RDS database they share. */
  private static void checkStore(ConfigReader r, DeployConfig c) {
    if (!c.postgres() && c.balancerCount != 1) {
      throw r.bad("balancerCount", "is " + c.balancerCount + ", but store sqlite allows 1: separate SQLite stores "
          + "cannot share a queue (set \"store\": \"postgres\" for several balancers)");
    }
    for (String s : c.subnetIds) {
      if (!s.matches("subnet-[0-9a-f]{8,32}")) {
        throw r.bad("subnetIds", "must hold subnet ids such as subnet-0123456789abcdef0, not \"" + s + "\"");
      }
    }
    if (c.subnetIds.size() != c.subnetIds.stream().distinct().count()) {
      throw r.bad("subnetIds", "names a subnet twice");
    }
    if (!c.subnetIds.isEmpty() && !c.subnetId.isEmpty()) {
      throw r.bad("subnetIds", "replaces subnetId; set one of them, not both");
    }
    if (!DB_INSTANCE_CLASS.matcher(c.dbInstanceClass).matches()) {
      throw r.bad("dbInstanceClass", "is not an RDS instance class such as db.t4g.micro: \"" + c.dbInstanceClass
          + "\"");
    }
    if (!DB_ENGINE_VERSION.matcher(c.dbEngineVersion).matches()) {
      throw r.bad("dbEngineVersion", "must be a PostgreSQL 15 or 16 version RDS offers, such as 16.11 or 16, not \""
          + c.dbEngineVersion + "\"");
    }
    if (!c.postgres()) {
      return;
    }
    if (!c.subnetId.isEmpty()) {
      throw r.bad("subnetId", "names one subnet, and with store postgres the balancers and the database need two in "
          + "two availability zones: set subnetIds instead (or neither, for the default VPC's)");
    }
    if (c.subnetIds.size() == 1) {
      throw r.bad("subnetIds", "must name at least two subnets in two availability zones with store postgres");
    }
    // RDS names: letters, digits and single hyphens, not ending in one ("swell-<cluster>-db").
    if (c.clusterName.contains("--") || c.clusterName.endsWith("-")) {
      throw r.bad("clusterName", "must not hold \"--\" or end with \"-\" with store postgres: RDS refuses such "
          + "names for the database, not \"" + c.clusterName + "\"");
    }
  }

  /** The balancers share an RDS PostgreSQL database rather than each keeping its own SQLite queue. */
  public boolean postgres() {
    return "postgres".equals(store);
  }

  private static String instanceType(ConfigReader r, String key, String def) {
    String v = r.string(key, def);
    if (!INSTANCE_TYPE.matcher(v).matches()) {
      throw r.bad(key, "is not an EC2 instance type such as c7i.large: \"" + v + "\"");
    }
    return v;
  }

  private static String cidr(ConfigReader r, String key, String def) {
    String v = r.string(key, def);
    if (!v.isEmpty() && !v.matches("\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}")) {
      throw r.bad(key, "must be an IPv4 CIDR such as 203.0.113.0/24, not \"" + v + "\"");
    }
    return v;
  }

  private static JsonObject object(JsonObject json, String key) {
    Object v = json.getValue(key);
    if (v == null) {
      return new JsonObject();
    }
    if (!(v instanceof JsonObject o)) {
      throw new ConfigException(key, "must be an object of " + key + " config keys");
    }
    return o.copy();
  }

  /** Opens SSH (tcp:22) on both groups: only with a key pair to log in with and a CIDR to allow. */
  public boolean ssh() {
    return !keyName.isEmpty() && !sshCidr.isEmpty();
  }

  public DeployConfig withRegion(String r) {
    return new DeployConfig(clusterName, r, endpointUrl, subnetId, amiId, amiParameter, balancerInstanceType,
        endpointInstanceType, workerInstanceType, endpointCount, publicCidr, keyName, sshCidr, bucket, jar,
        javaPackage, readyTimeoutMs, pollIntervalMs, apiCallTimeoutMs, apiCallAttemptTimeoutMs, balancerDataVolumeGb,
        balancer, endpoint, worker, store, balancerCount, subnetIds, dbInstanceClass, dbMultiAz, dbAllocatedStorageGb,
        dbEngineVersion, dbFinalSnapshot, logRetentionDays, keepLogs);
  }
}
