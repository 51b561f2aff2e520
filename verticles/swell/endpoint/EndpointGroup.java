package swell.endpoint;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import swell.metrics.PrometheusMetrics;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One endpoint port served by {@code instances} copies of {@link EndpointVerticle}, each on its own
 * event loop (Vert.x spreads the port's connections over them): one event loop alone cannot parse
 * HTTP as fast as the machine's cores can.
 */
public final class EndpointGroup extends VerticleBase {
  private final EndpointConfig cfg;
  private final InFlightBytes inFlight;
  private final PrometheusMetrics metrics;
  private final String inJvmBalancer;
  private final List<EndpointVerticle> started = new CopyOnWriteArrayList<>();

  /** @param metrics the process's meters, served as {@code GET /metrics} unless off */
  public EndpointGroup(EndpointConfig cfg, PrometheusMetrics metrics) {
    this(cfg, new InFlightBytes(cfg.maxInFlightBytes()), null, metrics);
  }

  /**
   * @param inFlight bounds the bodies of every endpoint in the process (the {@code local} role has several)
   * @param inJvmBalancer see {@link EndpointVerticle#EndpointVerticle(EndpointConfig, InFlightBytes, String,
   *     PrometheusMetrics)}
   * @param metrics the process's meters, served as {@code GET /metrics} unless off
   */
  public EndpointGroup(EndpointConfig cfg, InFlightBytes inFlight, String inJvmBalancer, PrometheusMetrics metrics) {
    this.cfg = cfg;
    this.inFlight = inFlight;
    this.inJvmBalancer = inJvmBalancer;
    this.metrics = metrics;
  }

  /** The port the group listens on, once started. */
  public int port() {
    return started.get(0).port();
  }

  @Override
  public Future<?> start() {
    // A port of 0 means "any": each copy would get a different one, so it runs alone.
    int instances = cfg.port() == 0 ? 1 : cfg.instances();
    return vertx.deployVerticle(() -> {
      EndpointVerticle e = new EndpointVerticle(cfg, inFlight, inJvmBalancer, metrics);
      started.add(e);
      return e;
    }, new DeploymentOptions().setInstances(instances));
  }
}
