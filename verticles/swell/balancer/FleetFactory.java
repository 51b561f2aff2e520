package swell.balancer;

import io.vertx.core.Vertx;
import swell.fleet.Fleet;

import java.util.List;
import java.util.function.Supplier;

/**
 * Makes the balancer's fleet once it knows the URLs its workers reach the balancers at (its own
 * first); tests hand in a fake fleet.
 */
@FunctionalInterface
interface FleetFactory {
  Fleet create(Vertx vertx, Supplier<List<String>> balancerUrls);
}
