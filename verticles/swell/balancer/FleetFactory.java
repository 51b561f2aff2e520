package swell.balancer;

import io.vertx.core.Vertx;
import swell.fleet.Fleet;

/** Makes the balancer's fleet once it knows the URL its workers reach it at; tests hand in a fake fleet. */
@FunctionalInterface
interface FleetFactory {
  Fleet create(Vertx vertx, String balancerUrl);
}
