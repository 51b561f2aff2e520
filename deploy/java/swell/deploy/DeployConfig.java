package swell.deploy;

import io.vertx.core.json.JsonObject;
import swell.common.ConfigException;
import swell.common.ConfigReader;
import swell.fleet.Ec2FleetConfig;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * {@code config/deploy.json}: what {@code deploy up} creates and where. Every key has a default;
 * the {@code balancer}, {@code endpoint} and {@code worker} objects are merged into the configs
 * the instances run, and are checked against those roles' own keys before anything is created.
 *
 * @param region empty: {@code --region}, then the SDK's default region chain
 * @param subnetId empty: the default subnet of the default VPC in the first zone
 * @param amiId empty: the latest image named by the public SSM parameter {@code amiParameter}
 * @param bucket empty: {@code swell-<clusterName>-<account>-<region>}
 * @param balancerDataVolumeGb size of the gp3 volume the balancer keeps its data on, when created
 */
public record DeployConfig(String clusterName, String region, String endpointUrl, String subnetId, String amiId,
                           String amiParameter, String balancerInstanceType, String endpointInstanceType,
                           String workerInstanceType, int endpointCount, String publicCidr, String keyName,
                           String sshCidr, String bucket, Path jar, String javaPackage, long readyTimeoutMs,
                           long pollIntervalMs, long apiCallTimeoutMs, long apiCallAttemptTimeoutMs,
                           int balancerDataVolumeGb, JsonObject balancer, JsonObject endpoint, JsonObject worker) {

  /** An EC2 instance type; the worker's also goes into the balancer's IAM policy. */
  private static final Pattern INSTANCE_TYPE = Pattern.compile("[a-z0-9-]+\\.[a-z0-9-]+");

  /** The HTTP port of every role on its own host (DESIGN.md). */
  public static final int PORT = 5000;

  public static DeployConfig from(ConfigReader r, JsonObject json) {
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
        object(json, "worker"));
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
    return c;
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
        balancer, endpoint, worker);
  }
}
