package swell;

import io.vertx.core.Deployable;
import io.vertx.core.json.JsonObject;
import swell.balancer.BalancerConfig;
import swell.balancer.BalancerVerticle;
import swell.common.ConfigReader;
import swell.common.LogConfig;
import swell.endpoint.EndpointConfig;
import swell.endpoint.EndpointGroup;
import swell.local.LocalConfig;
import swell.local.LocalVerticle;
import swell.metrics.PrometheusMetrics;
import swell.worker.WorkerConfig;
import swell.worker.WorkerVerticle;

import java.util.Map;
import java.util.function.Function;
import java.util.function.IntConsumer;

/** Turns a role config into its verticle, with every key validated before anything starts. */
public final class Roles {
  private Roles() {
  }

  /**
   * @param logging how the role logs, applied before it starts ({@link LogConfig#apply()})
   * @param cloudwatchNamespace where the role's {@code swell_*} meters go in CloudWatch; {@code ""}: nowhere
   * @param metrics the process's meters: Main builds its Vert.x with them; off for a worker, which serves none
   */
  public record Started(String role, Deployable verticle, LogConfig logging, String cloudwatchNamespace,
                        PrometheusMetrics metrics) {
  }

  /**
   * @param exit how the role ends its process: a worker with 0 once it retired and left (non-zero after
   *     a compute Error), a balancer with {@link BalancerVerticle#EXIT_STORE_BROKE} when its store broke
   */
  public static Started verticleFor(JsonObject json, Map<String, String> env, IntConsumer exit) {
    ConfigReader r = new ConfigReader(json, env);
    String role = r.oneOf("role", "local", "local", "endpoint", "balancer", "worker");
    LogConfig logging = LogConfig.read(r, role);
    String cloudwatchNamespace = swell.metrics.CloudWatchMetrics.namespace(r);
    // Workers serve no /metrics (their figures reach the balancer in heartbeats), so theirs stay off.
    boolean metricsOn = r.bool("metrics", true) && !"worker".equals(role);
    Function<PrometheusMetrics, Deployable> verticle;
    switch (role) {
      case "endpoint" -> {
        EndpointConfig c = EndpointConfig.from(r);
        verticle = m -> new EndpointGroup(c, m);
        logging = logging.with("port", Integer.toString(c.port()));
      }
      case "balancer" -> {
        BalancerConfig c = BalancerConfig.from(r);
        verticle = m -> new BalancerVerticle(c, exit, m);
        logging = logging.with("balancerId", c.balancerId());
      }
      case "worker" -> {
        WorkerConfig c = WorkerConfig.from(r);
        verticle = m -> new WorkerVerticle(c, exit);
        logging = logging.with("workerId", c.workerId());
      }
      default -> {
        LocalConfig c = LocalConfig.from(r);
        verticle = m -> new LocalVerticle(c, exit, m);
        logging = logging.with("balancerId", c.balancer().balancerId());
      }
    }
    r.rejectUnknown();
    PrometheusMetrics metrics = PrometheusMetrics.of(metricsOn);
    return new Started(role, verticle.apply(metrics), logging, cloudwatchNamespace, metrics);
  }
}
