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
   * @param onWorkerExit what a worker does once it left, given the exit status (0 retired, non-zero
   *                     broke): the worker role ends its JVM with it
   */
  public static Started verticleFor(JsonObject json, Map<String, String> env, IntConsumer onWorkerExit) {
    ConfigReader r = new ConfigReader(json, env);
    String role = r.oneOf("role", "local", "local", "endpoint", "balancer", "worker");
    Deployable verticle = switch (role) {
      case "endpoint" -> new EndpointGroup(EndpointConfig.from(r));
      case "balancer" -> new BalancerVerticle(BalancerConfig.from(r));
      case "worker" -> new WorkerVerticle(WorkerConfig.from(r), onWorkerExit);
      default -> new LocalVerticle(LocalConfig.from(r));
    };
    r.rejectUnknown();
    return new Started(role, verticle);
  }
}
