package swell.fleet;

import io.vertx.core.Vertx;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/** Builds the fleet a balancer's config names. */
public final class Fleets {
  private Fleets() {
  }

  /**
   * @param balancerUrls the URLs workers reach the balancers at when they start, this balancer's
   *     first (with several balancers on one store, all that are up, so that a worker outlives any one)
   * @param clusterToken the token they present
   * @param dataDir where a fleet may keep its records across balancer restarts
   */
  public static Fleet create(Vertx vertx, FleetConfig cfg, Supplier<List<String>> balancerUrls, String clusterToken,
                             Path dataDir) {
    return switch (cfg.type()) {
      case "none" -> new NoFleet();
      case "process" -> new ProcessFleet(vertx, cfg, balancerUrls, clusterToken, dataDir);
      case "ec2" -> new Ec2Fleet(vertx, cfg, balancerUrls.get().get(0), Ec2Fleet.credentials(cfg.ec2()));
      default -> throw new IllegalArgumentException("unknown fleet type " + cfg.type());
    };
  }
}
