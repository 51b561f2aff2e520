package swell.local;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import swell.balancer.BalancerVerticle;
import swell.endpoint.EndpointGroup;
import swell.endpoint.InFlightBytes;
import swell.metrics.PrometheusMetrics;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Swell on one machine in one JVM: the balancer first, then an endpoint on each configured port
 * forwarding to it; the balancer's process fleet starts the workers as child JVMs.
 */
public final class LocalVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(LocalVerticle.class);

  /** As read; once started, with the cluster token settled. */
  private LocalConfig cfg;
  private final IntConsumer exit;
  private final PrometheusMetrics metrics;
  private BalancerVerticle balancer;
  private String inJvmAddress;
  private final List<EndpointGroup> endpoints = new ArrayList<>();

  public LocalVerticle(LocalConfig cfg) {
    this(cfg, code -> { }, PrometheusMetrics.off());
  }

  /**
   * @param exit how the process ends if the balancer's store breaks for good
   * @param metrics the process's meters: the balancer and every endpoint serve them all as {@code GET /metrics}
   */
  public LocalVerticle(LocalConfig cfg, IntConsumer exit, PrometheusMetrics metrics) {
    this.cfg = cfg;
    this.exit = exit;
    this.metrics = metrics;
  }

  public int balancerPort() {
    return balancer.port();
  }

  public List<Integer> endpointPorts() {
    return endpoints.stream().map(EndpointGroup::port).toList();
  }

  public String clusterToken() {
    return cfg.balancer().clusterToken();
  }

  @Override
  public Future<?> start() {
    return settleToken().compose(settled -> {
      cfg = settled;
      balancer = new BalancerVerticle(cfg.balancer(), exit, metrics);
      inJvmAddress = balancer.serveInJvm();
      return vertx.deployVerticle(balancer);
    }).compose(id -> {
      String url = "http://127.0.0.1:" + balancer.port();
      List<Future<String>> started = new ArrayList<>();
      // One bound on bodies in flight for all endpoints: they share this JVM's heap.
      InFlightBytes inFlight = new InFlightBytes(cfg.endpoint(0, url).maxInFlightBytes());
      for (int port : cfg.endpointPorts()) {
        // Works go to the balancer in this JVM without an HTTP hop; pulls and the rest still use HTTP.
        EndpointGroup e = new EndpointGroup(cfg.endpoint(port, url), inFlight, inJvmAddress, metrics);
        endpoints.add(e);
        started.add(vertx.deployVerticle(e));
      }
      return Future.all(started);
    }).onSuccess(v -> {
      log.info("Swell local: endpoints on ports {}, balancer on {}, up to {} workers",
          endpointPorts(), balancerPort(), cfg.balancer().scaling().maxWorkers());
      // On the console only, never through the logger: the token must not reach log files or a log service.
      System.out.println("Swell dashboard: " + dashboardUrl());
    });
  }

  /**
   * The link that opens the balancer's live page, signed in: the token rides in the fragment, which a
   * browser keeps to itself (the page reads it and sends it as a header).
   */
  public String dashboardUrl() {
    String host = cfg.balancer().host();
    if ("0.0.0.0".equals(host) || "::".equals(host)) {
      host = "127.0.0.1";
    } else if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return "http://" + host + ":" + balancerPort() + "/dashboard#token="
        + URLEncoder.encode(clusterToken(), StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** The configured token, or the one kept in dataDir, made on the first start. */
  private Future<LocalConfig> settleToken() {
    if (!cfg.balancer().clusterToken().isEmpty()) {
      return Future.succeededFuture(cfg);
    }
    return vertx.executeBlocking(() -> cfg.withClusterToken(TokenFile.readOrCreate(cfg.balancer().dataDir())));
  }
}
