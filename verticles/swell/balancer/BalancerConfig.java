package swell.balancer;

import swell.common.ClusterToken;
import swell.common.ConfigReader;
import swell.common.Limits;
import swell.fleet.FleetConfig;
import swell.store.LeaseLimits;
import swell.store.StoreConfig;
import swell.store.StoreLimits;

import java.nio.file.Path;
import java.util.UUID;

/** Everything the balancer reads from its config, validated once at start. */
public record BalancerConfig(String host, int port, String clusterToken, Path dataDir, StoreConfig store,
                             FleetConfig fleet, ScalingConfig scaling, Limits limits, long leaseMs, int maxAttempts,
                             long maxPending, long maxCompleted, long resultRetentionMs, int maxLeaseBatch,
                             long leaseIterationBudget, long leaseByteBudget, long maxWaitMs, long maxAckMs,
                             String balancerId, String advertisedUrl, long leaderTtlMs, long clusterSyncMs) {

  public static BalancerConfig from(ConfigReader r) {
    BalancerConfig c = read(r, "host", "0.0.0.0", "port", 5000, "process", 4);
    ClusterToken.check("clusterToken", c.clusterToken, "it is the secret workers and endpoints present");
    return c;
  }

  /** Reads the balancer's keys; {@code local} reads them from its own file with another port key. */
  public static BalancerConfig read(ConfigReader r, String hostKey, String defaultHost, String portKey, int defaultPort,
                                    String defaultFleet, int defaultMaxWorkers) {
    Path dataDir = Path.of(r.string("dataDir", "data"));
    return new BalancerConfig(
        r.string(hostKey, defaultHost),
        r.integer(portKey, defaultPort, 0, 65535),
        r.string("clusterToken", ""),
        dataDir,
        StoreConfig.read(r.section("store"), dataDir),
        FleetConfig.read(r.section("fleet"), defaultFleet),
        ScalingConfig.read(r, defaultMaxWorkers),
        Limits.read(r),
        r.number("leaseMs", 30_000, 100, 86_400_000),
        r.integer("maxAttempts", 5, 1, 1000),
        r.number("maxPending", 2_000_000, 1, 1_000_000_000),
        r.number("maxCompleted", 1_000_000, 1, 1_000_000_000),
        r.number("resultRetentionMs", 3_600_000, 0, 30L * 86_400_000),
        r.integer("maxLeaseBatch", 256, 1, 10_000),
        r.number("leaseIterationBudget", 1_000_000, 1, Long.MAX_VALUE),
        r.number("leaseByteBudget", 16L * 1024 * 1024, 1, 1L << 40),
        r.number("maxWaitMs", 30_000, 0, 600_000),
        r.number("maxAckMs", 600_000, 1, 86_400_000),
        balancerId(r),
        advertisedUrl(r),
        r.number("leaderTtlMs", 10_000, 1_000, 600_000),
        r.number("clusterSyncMs", 1_000, 100, 60_000));
  }

  /** This balancer's name among several; by default a fresh one at every start. */
  private static String balancerId(ConfigReader r) {
    String id = r.string("balancerId", "");
    if (id.isEmpty()) {
      return "b-" + UUID.randomUUID().toString().substring(0, 8);
    }
    if (!id.matches("[A-Za-z0-9._:-]{1,100}")) {
      throw r.bad("balancerId", "must be 1 to 100 letters, digits, '.', '_', ':' or '-', not \"" + id + "\"");
    }
    return id;
  }

  /** Where workers and other balancers reach this one; empty: worked out from host and port at start. */
  private static String advertisedUrl(ConfigReader r) {
    String url = r.string("advertisedUrl", "");
    if (!url.isEmpty() && !url.matches("https?://[^/\\s]+")) {
      throw r.bad("advertisedUrl", "must be http://host:port (no path), not \"" + url + "\"");
    }
    return url;
  }

  public StoreLimits storeLimits() {
    return new StoreLimits(maxPending, maxCompleted, maxAttempts, resultRetentionMs);
  }

  /** What one {@code /get_work} answer may carry at most; a poll's own {@code max} lowers the count. */
  public LeaseLimits leaseLimits() {
    return new LeaseLimits(maxLeaseBatch, leaseIterationBudget, leaseByteBudget);
  }

  public BalancerConfig withClusterToken(String token) {
    return new BalancerConfig(host, port, token, dataDir, store, fleet, scaling, limits, leaseMs, maxAttempts,
        maxPending, maxCompleted, resultRetentionMs, maxLeaseBatch, leaseIterationBudget, leaseByteBudget, maxWaitMs,
        maxAckMs, balancerId, advertisedUrl, leaderTtlMs, clusterSyncMs);
  }
}
