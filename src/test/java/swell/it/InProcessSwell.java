package swell.it;

import io.vertx.core.Deployable;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import swell.balancer.BalancerConfig;
import swell.balancer.BalancerVerticle;
import swell.common.ConfigReader;
import swell.endpoint.EndpointConfig;
import swell.endpoint.EndpointVerticle;
import swell.metrics.PrometheusMetrics;
import swell.store.WorkStore;
import swell.worker.WorkerConfig;
import swell.worker.WorkerVerticle;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntConsumer;

/**
 * A balancer, an endpoint and any number of workers deployed in the test's own Vert.x, on free
 * ports: the real HTTP path without child processes. Blocking calls run on the test thread only.
 */
public final class InProcessSwell implements AutoCloseable {
  public static final String TOKEN = "test-token-0123456789abcdef0123456789";

  private final Vertx vertx;
  private final PrometheusMetrics metrics;
  private final List<String> deployments = new ArrayList<>();
  private BalancerVerticle balancer;
  private EndpointVerticle endpoint;

  public InProcessSwell(Vertx vertx) {
    this(vertx, PrometheusMetrics.off());
  }

  /**
   * @param metrics the meters the balancer and endpoint register and serve as {@code /metrics}; for
   *     Vert.x's own, {@code vertx} is the one {@link PrometheusMetrics#vertx} built
   */
  public InProcessSwell(Vertx vertx, PrometheusMetrics metrics) {
    this.vertx = vertx;
    this.metrics = metrics;
  }

  /** The balancer's config for tests: a temp data dir, no fleet unless overridden, quick timers. */
  public static JsonObject balancerConf(Path dataDir) {
    return new JsonObject()
        .put("role", "balancer")
        .put("port", 0)
        .put("host", "127.0.0.1")
        .put("clusterToken", TOKEN)
        .put("dataDir", dataDir.toString())
        .put("store", new JsonObject().put("type", "sqlite").put("durability", "os"))
        .put("fleet", new JsonObject().put("type", "none"))
        .put("tickMs", 100);
  }

  public InProcessSwell startBalancer(JsonObject conf) {
    balancer = new BalancerVerticle(BalancerConfig.from(reader(conf)), code -> { }, metrics);
    deploy(balancer);
    return this;
  }

  /**
   * A balancer on a store the test builds (one with injected faults, say); {@code exit} records the
   * status the balancer would end its process with.
   */
  public InProcessSwell startBalancer(JsonObject conf, Function<BalancerConfig, WorkStore> store, IntConsumer exit) {
    BalancerConfig cfg = BalancerConfig.from(reader(conf));
    balancer = new BalancerVerticle(cfg, v -> store.apply(cfg), System::currentTimeMillis, exit);
    deploy(balancer);
    return this;
  }

  /** An endpoint forwarding to this balancer, unless {@code overrides} names other balancerUrls. */
  public InProcessSwell startEndpoint(JsonObject overrides) {
    JsonObject conf = new JsonObject()
        .put("port", 0)
        .put("host", "127.0.0.1")
        .put("clusterToken", TOKEN)
        .mergeIn(overrides);
    if (!conf.containsKey("balancerUrls")) {
      conf.put("balancerUrls", new JsonArray().add(balancerUrl()));
    }
    endpoint = new EndpointVerticle(EndpointConfig.from(reader(conf)), metrics);
    deploy(endpoint);
    return this;
  }

  /** A worker polling this balancer, unless {@code overrides} names other balancerUrls. */
  public WorkerVerticle startWorker(JsonObject overrides) {
    JsonObject conf = new JsonObject()
        .put("clusterToken", TOKEN)
        .put("threads", 2)
        .put("pollWaitMs", 2000)
        .mergeIn(overrides);
    if (!conf.containsKey("balancerUrls")) {
      conf.put("balancerUrls", new JsonArray().add(balancerUrl()));
    }
    WorkerVerticle w = new WorkerVerticle(WorkerConfig.from(reader(conf)));
    deploy(w);
    return w;
  }

  /** A scripted balancer on a free port, stopped with the rest. */
  public FakeBalancer startFake() {
    FakeBalancer fake = new FakeBalancer();
    deploy(fake);
    return fake;
  }

  private static ConfigReader reader(JsonObject conf) {
    ConfigReader r = new ConfigReader(conf.copy(), Map.of());
    r.allow("role");
    return r;
  }

  private String deploy(Deployable v) {
    try {
      String id = vertx.deployVerticle(v).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      deployments.add(id);
      return id;
    } catch (Exception e) {
      throw new IllegalStateException("deploying " + v.getClass().getSimpleName() + " failed: " + e, e);
    }
  }

  private void undeploy(String id) {
    try {
      vertx.undeploy(id).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("undeploy failed: " + e, e);
    }
  }

  public String balancerUrl() {
    return "http://127.0.0.1:" + balancer.port();
  }

  public String endpointUrl() {
    return "http://127.0.0.1:" + endpoint.port();
  }

  public int endpointPort() {
    return endpoint.port();
  }

  public SwellHttp client() {
    return new SwellHttp(endpointUrl(), null);
  }

  /** A client presenting a client key (null: none). */
  public SwellHttp client(String clientKey) {
    return new SwellHttp(endpointUrl(), clientKey);
  }

  public SwellHttp balancerClient() {
    return new SwellHttp(balancerUrl(), TOKEN);
  }

  public JsonObject status() {
    return balancerClient().json("GET", "/status");
  }

  /** Waits until the balancer holds {@code n} completed results nobody has pulled. */
  public void awaitCompletedUnpulled(long n) {
    SwellHttp.await(n + " completed results", Duration.ofSeconds(20),
        () -> status().getLong("completedUnpulled") == n);
  }

  @Override
  public void close() {
    for (int i = deployments.size() - 1; i >= 0; i--) {
      undeploy(deployments.get(i));
    }
    deployments.clear();
  }
}
