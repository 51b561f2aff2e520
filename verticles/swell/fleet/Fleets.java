package swell.fleet;

import io.vertx.core.Vertx;

import java.nio.file.Path;

/** Builds the fleet a balancer's config names. */
public final class Fleets {
  private Fleets() {
  }

  /**
   * @param balancerUrl the URL workers reach this balancer at
   * @param clusterToken the token they present
   * @param dataDir where a fleet may keep its records across balancer restarts
   */
  public static Fleet create(Vertx vertx, FleetConfig cfg, String balancerUrl, String clusterToken, Path dataDir) {
    return switch (cfg.type()) {
      case "none" -> new NoFleet();
      case "process" -> new ProcessFleet(vertx, cfg, balancerUrl, clusterToken, dataDir);
      case "ec2" -> new Ec2Fleet(vertx, cfg, balancerUrl, Ec2Fleet.credentials(cfg.ec2()));
      default -> throw new IllegalArgumentException("unknown fleet type " + cfg.type());
    };
  }
}
