package swell.worker;

import swell.common.BalancerRotation;
import swell.common.ClusterToken;
import swell.common.ConfigException;
import swell.common.ConfigReader;

import java.util.List;
import java.util.UUID;

/** The worker's config: where its balancers are, how many threads it computes on, how it polls. */
public record WorkerConfig(List<String> balancerUrls, String clusterToken, String workerId, String instanceId,
                           int threads, int maxBatch, long pollWaitMs, long heartbeatMs, long resultFlushMs,
                           long giveUpAfterMs, BalancerRotation.Mode balancerMode) {

  public static WorkerConfig from(ConfigReader r) {
    List<String> urls = r.strings("balancerUrls", List.of("http://127.0.0.1:5100"));
    if (urls.isEmpty()) {
      throw new ConfigException("balancerUrls", "must name at least one balancer");
    }
    String token = ClusterToken.read(r, "clusterToken", "the balancer refuses workers without it");
    String workerId = r.string("workerId", "");
    int threads = r.integer("threads", 0, 0, 1024);
    return new WorkerConfig(
        urls,
        token,
        workerId.isEmpty() ? "w-" + UUID.randomUUID() : workerId,
        r.string("instanceId", ""),
        threads == 0 ? Runtime.getRuntime().availableProcessors() : threads,
        r.integer("maxBatch", 256, 1, 10_000),
        r.number("pollWaitMs", 20_000, 0, 600_000),
        r.number("heartbeatMs", 5_000, 10, 600_000),
        r.number("resultFlushMs", 2, 0, 10_000),
        r.number("giveUpAfterMs", 0, 0, 86_400_000),
        BalancerRotation.Mode.of(r.oneOf("balancerMode", "failover", "failover", "spread")));
  }
}
