package swell;

import io.vertx.core.Deployable;
import io.vertx.core.json.JsonObject;
import swell.balancer.BalancerConfig;
import swell.balancer.BalancerVerticle;
import swell.common.ConfigReader;
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

  /** @param metrics the process's meters: Main builds its Vert.x with them; off for a worker, which serves none */
  public record Started(String role, Deployable verticle, PrometheusMetrics metrics) {
  }

  /**
   * @param exit how the role ends its process: a worker with 0 once it retired and left (non-zero after
   *     a compute Error), a balancer with {@link BalancerVerticle#EXIT_STORE_BROKE} when its store broke
   */
  public static Started verticleFor(JsonObject json, Map<String, String> env, IntConsumer exit) {
    ConfigReader r = new ConfigReader(json, env);
    String role = r.oneOf("role", "local", "local", "endpoint", "balancer", "worker");
    // Workers serve no /metrics (their figures reach the balancer in heartbeats), so theirs stay off.
    boolean metricsOn = r.bool("metrics", true) && !"worker".equals(role);
    Function<PrometheusMetrics, Deployable> verticle = switch (role) {
      case "endpoint" -> {
        EndpointConfig c = EndpointConfig.from(r);
        yield m -> new EndpointGroup(c, m);
      }
      case "balancer" -> {
        BalancerConfig c = BalancerConfig.from(r);
        yield m -> new BalancerVerticle(c, exit, m);
      }
      case "worker" -> {
        WorkerConfig c = WorkerConfig.from(r);
        yield m -> new WorkerVerticle(c, exit);
      }
      default -> {
        LocalConfig c = LocalConfig.from(r);
        yield m -> new LocalVerticle(c, exit, m);
      }
    };
    r.rejectUnknown();
    PrometheusMetrics metrics = PrometheusMetrics.of(metricsOn);
    return new Started(role, verticle.apply(metrics), metrics);
  }
}
