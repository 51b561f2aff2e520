package swell.deploy;

/**
 * The names of everything one cluster owns. They follow from the cluster name (and the account
 * and region for the bucket), so {@code up} finds what a previous run made and {@code down}
 * finds what a half-finished {@code up} left.
 */
public record ClusterNames(String cluster, String account, String region, String bucket) {

  public static final String BALANCER = "balancer";
  public static final String ENDPOINT = "endpoint";
  public static final String WORKER = "worker";
  public static final java.util.List<String> ROLES = java.util.List.of(BALANCER, ENDPOINT, WORKER);

  /** S3 keys: one jar, one config per role, one token; the IAM policies grant them one by one. */
  public static final String JAR_KEY = "swell.jar";
  public static final String TOKEN_KEY = "cluster-token";
  /** Client keys, one object each; no instance role may read them. */
  public static final String CLIENT_KEYS = "client-keys/";
  /** The client key {@code up} makes when the cluster has none. */
  public static final String DEFAULT_CLIENT_KEY = "default";
  /** The RDS database's master password (store {@code postgres}); only the balancers' role may read it. */
  public static final String DB_PASSWORD_KEY = "db-password";

  public static ClusterNames of(String cluster, String account, String region, String bucketOverride) {
    String bucket = bucketOverride.isEmpty() ? "swell-" + cluster + "-" + account + "-" + region : bucketOverride;
    return new ClusterNames(cluster, account, region, bucket);
  }

  public static String clientKeyKey(String name) {
    return CLIENT_KEYS + name;
  }

  public static String configKey(String role) {
    return "config/" + role + ".json";
  }

  public String prefix() {
    return "swell-" + cluster;
  }

  /** Public: endpoints accept tcp:5000 from {@code publicCidr}. */
  public String endpointGroup() {
    return prefix() + "-endpoints";
  }

  /** Private: the balancer and workers accept tcp:5000 from the endpoint group and from each other. */
  public String internalGroup() {
    return prefix() + "-internal";
  }

  /**
   * The database's security group (tcp:5432 from the internal group only), its RDS instance and
   * its DB subnet group share this name.
   */
  public String database() {
    return prefix() + "-db";
  }

  /** What {@code down} names the database's final snapshot, followed by a UTC timestamp. */
  public String finalSnapshotPrefix() {
    return prefix() + "-final-";
  }

  /** The IAM role, its instance profile and its inline policy share this name. */
  public String iamName(String role) {
    return prefix() + "-" + role;
  }

  /** The CloudWatch Logs group every instance ships its Swell log and its boot log to, a stream each. */
  public String logGroup() {
    return "/swell/" + cluster;
  }

  /** The log group and its streams, as IAM names them (the {@code :*} covers both). */
  public String logGroupArn() {
    return "arn:" + partition() + ":logs:" + region + ":" + account + ":log-group:" + logGroup() + ":*";
  }

  /** The CloudWatch namespace the roles' metrics go to. */
  public String metricsNamespace() {
    return "Swell/" + cluster;
  }

  /** The CloudWatch dashboard {@code up} makes. */
  public String dashboard() {
    return prefix();
  }

  public String partition() {
    return region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
  }

  public String roleArn(String role) {
    return "arn:" + partition() + ":iam::" + account + ":role/" + iamName(role);
  }
}
