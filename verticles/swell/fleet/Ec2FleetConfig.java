package swell.fleet;

import swell.common.ConfigReader;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The {@code fleet.ec2} section: where and how the balancer launches EC2 workers, and where
 * those workers fetch the jar, their config and the cluster token from. {@code deploy up} writes
 * it into the balancer's config; a person running a balancer by hand writes it themselves.
 *
 * @param region empty: the SDK's default region chain (on EC2, the instance's own region)
 * @param endpointUrl empty: real EC2; set for an AWS emulator
 * @param subnetId empty: EC2 picks a default subnet
 * @param instanceProfile name or ARN of the workers' instance profile; they read S3 with it
 * @param userDataFile empty: the user-data template bundled in the jar
 * @param balancerUrl empty: the URL the balancer passes to {@link Fleets#create}; on EC2 the
 *     boot script sets it to the balancer's private address
 * @param balancerUrls empty: workers get {@code balancerUrl} alone; set: workers get these (every
 *     balancer sharing one PostgreSQL database), so they reach the cluster while any one is up
 * @param logGroup empty: workers ship no logs; set ({@code deploy up} sets {@code /swell/<cluster>}):
 *     each worker's CloudWatch agent ships its Swell log and boot log there, and a retiring worker
 *     waits for them to be sent before it powers off
 */
public record Ec2FleetConfig(String region, String endpointUrl, String clusterName, String amiId,
                             String instanceType, String subnetId, List<String> securityGroupIds,
                             String instanceProfile, String keyName, String bucket, String jarKey,
                             String configKey, String tokenKey, String javaPackage, String userDataFile,
                             String balancerUrl, List<String> balancerUrls, long apiCallTimeoutMs,
                             long apiCallAttemptTimeoutMs, String logGroup) {

  /** Cluster names become tag values, IAM names and part of an S3 bucket name. */
  public static final Pattern CLUSTER_NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,19}");

  public static Ec2FleetConfig read(ConfigReader r) {
    Ec2FleetConfig c = new Ec2FleetConfig(
        r.string("region", ""),
        r.string("endpointUrl", ""),
        r.string("clusterName", "swell"),
        r.string("amiId", ""),
        r.string("instanceType", "c7i.large"),
        r.string("subnetId", ""),
        r.strings("securityGroupIds", List.of()),
        r.string("instanceProfile", ""),
        r.string("keyName", ""),
        r.string("bucket", ""),
        r.string("jarKey", "swell.jar"),
        r.string("configKey", "config/worker.json"),
        r.string("tokenKey", "cluster-token"),
        r.string("javaPackage", "java-17-amazon-corretto-headless"),
        r.string("userDataFile", ""),
        r.string("balancerUrl", ""),
        r.strings("balancerUrls", List.of()),
        r.number("apiCallTimeoutMs", 30_000, 1_000, 600_000),
        r.number("apiCallAttemptTimeoutMs", 10_000, 500, 600_000),
        r.string("logGroup", ""));
    if (!CLUSTER_NAME.matcher(c.clusterName).matches()) {
      throw r.bad("clusterName", "must be 1-20 lowercase letters, digits or hyphens, not \"" + c.clusterName + "\"");
    }
    if (c.amiId.isEmpty()) {
      throw r.bad("amiId", "must be set: the image EC2 workers boot (deploy up fills it in)");
    }
    if (c.bucket.isEmpty()) {
      throw r.bad("bucket", "must be set: workers fetch the jar, their config and the token from it");
    }
    if (c.apiCallAttemptTimeoutMs > c.apiCallTimeoutMs) {
      throw r.bad("apiCallAttemptTimeoutMs", "must not exceed apiCallTimeoutMs (" + c.apiCallTimeoutMs + ")");
    }
    for (String u : c.balancerUrls) {
      if (!u.matches("https?://[^/,\\s]+(/\\S*)?")) {
        throw r.bad("balancerUrls", "must hold http:// URLs with a host, not \"" + u + "\"");
      }
    }
    if (!c.logGroup.isEmpty() && !c.logGroup.matches("[A-Za-z0-9._/#-]{1,512}")) {
      throw r.bad("logGroup", "is not a CloudWatch Logs group name: \"" + c.logGroup + "\"");
    }
    if (!c.endpointUrl.isEmpty() && !c.endpointUrl.matches("https?://.+")) {
      throw r.bad("endpointUrl", "must be an http:// or https:// URL, not \"" + c.endpointUrl + "\"");
    }
    return c;
  }

  public Duration apiCallTimeout() {
    return Duration.ofMillis(apiCallTimeoutMs);
  }

  public Duration apiCallAttemptTimeout() {
    return Duration.ofMillis(apiCallAttemptTimeoutMs);
  }
}
