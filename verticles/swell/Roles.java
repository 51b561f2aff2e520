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
import swell.worker.WorkerConfig;
import swell.worker.WorkerVerticle;

import java.util.Map;
import java.util.function.IntConsumer;

/** Turns a role config into its verticle, with every key validated before anything starts. */
public final class Roles {
  private Roles() {
  }

  public record Started(String role, Deployable verticle) {
  }

  /**
   * @param exit how the role ends its process: a worker with 0 once it retired and left (non-zero after
   *     a compute Error), a balancer with {@link BalancerVerticle#EXIT_STORE_BROKE} when its store broke
   */
  public static Started verticleFor(JsonObject json, Map<String, String> env, IntConsumer exit) {
    ConfigReader r = new ConfigReader(json, env);
    String role = r.oneOf("role", "local", "local", "endpoint", "balancer", "worker");
    Deployable verticle = switch (role) {
      case "endpoint" -> new EndpointGroup(EndpointConfig.from(r));
      case "balancer" -> new BalancerVerticle(BalancerConfig.from(r), exit);
      case "worker" -> new WorkerVerticle(WorkerConfig.from(r), exit);
      default -> new LocalVerticle(LocalConfig.from(r), exit);
    };
    r.rejectUnknown();
    return new Started(role, verticle);
  }
}
