package swell.metrics;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One process's meters, served as {@code GET /metrics} in the Prometheus text format: Vert.x's own
 * (HTTP servers and clients, pools, Netty's event loops and buffers) when the
 * process's Vert.x was built by {@link #vertx}, the JVM's and the process's, and Swell's
 * ({@code swell_*}), which the roles
 * register on {@link #registry()}. Switched off ({@code metrics: false}), nothing is served and
 * Vert.x runs without metrics; unless CloudWatch was added to it, the registry then has no backend
 * and every meter is a no-op.
 */
public final class PrometheusMetrics implements AutoCloseable {
  /** The Prometheus text format (0.0.4), what Prometheus asks for by default. */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
  /**
   * vertx-micrometer keeps its registries in a static map by name: every Vert.x of one JVM (tests
   * run several) needs its own name, or a second one would report into the first one's registry.
   */
  private static final AtomicInteger REGISTRY_NAMES = new AtomicInteger();

  private final CompositeMeterRegistry registry = new CompositeMeterRegistry();
  private final PrometheusMeterRegistry prometheus;
  private final JvmGcMetrics gc;
  private final String registryName;

  private PrometheusMetrics(PrometheusMeterRegistry prometheus) {
    this.prometheus = prometheus;
    if (prometheus != null) {
      registry.add(prometheus);
    }
    this.registryName = "swell-" + REGISTRY_NAMES.incrementAndGet();
    if (prometheus != null) {
      new JvmMemoryMetrics().bindTo(prometheus);
      new JvmThreadMetrics().bindTo(prometheus);
      new ClassLoaderMetrics().bindTo(prometheus);
      new ProcessorMetrics().bindTo(prometheus);
      new UptimeMetrics().bindTo(prometheus);
      new FileDescriptorMetrics().bindTo(prometheus);
      gc = new JvmGcMetrics();
      gc.bindTo(prometheus);
    } else {
      gc = null;
    }
  }

  /** Metrics on: a Prometheus registry with the JVM's and the process's meters bound. */
  public static PrometheusMetrics on() {
    return new PrometheusMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  }

  /** Metrics off: no-op meters, no {@code /metrics}, Vert.x without metrics. */
  public static PrometheusMetrics off() {
    return new PrometheusMetrics(null);
  }

  /** {@code on()} or {@code off()}, as the {@code metrics} config key says. */
  public static PrometheusMetrics of(boolean enabled) {
    return enabled ? on() : off();
  }

  public boolean enabled() {
    return prometheus != null;
  }

  /**
   * Where the roles register Swell's meters: the Prometheus registry, and whatever else is added
   * (CloudWatch, see {@link CloudWatchMetrics#addTo}); with nothing in it, its meters are no-ops.
   */
  public CompositeMeterRegistry registry() {
    return registry;
  }

  /** Whether anything takes the roles' meters: Prometheus, or another registry added to {@link #registry()}. */
  public boolean counting() {
    return !registry.getRegistries().isEmpty();
  }

  /**
   * A Vert.x reporting its HTTP servers and clients, pools and Netty event loops into this registry
   * (when on): vertx-micrometer's meters, but the HTTP servers' from
   * {@link LeanHttpServerMetrics} (see {@link SwellVertxMetrics}). Swell binds the JVM's meters
   * itself, so Vert.x's copy of them stays off.
   */
  public Vertx vertx(VertxOptions options) {
    if (prometheus == null) {
      return Vertx.vertx(options);
    }
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions().setEnabled(true).setRegistryName(registryName)
        .setJvmMetricsEnabled(false)
        // Netty's: tasks waiting on each event loop, and the buffer allocator's memory.
        .setNettyMetricsEnabled(true)
        // Served by LeanHttpServerMetrics instead: see SwellVertxMetrics.
        .addDisabledMetricsCategory(MetricsDomain.HTTP_SERVER)
        // In local every enqueue batch crosses the event bus (a request and its reply), and vertx-micrometer
        // registers and looks up meters with fresh tags for each message: measured as the costliest
        // meters of the enqueue path (bench/README.md), for nothing an operator watches.
        .addDisabledMetricsCategory(MetricsDomain.EVENT_BUS);
    return Vertx.builder().with(new VertxOptions(options).setMetricsOptions(metrics))
        .withMetrics(new SwellVertxMetrics(prometheus)).build();
  }

  /** Everything registered, in the Prometheus text format. CPU work of a few milliseconds: not on an event loop. */
  public String scrape() {
    if (prometheus == null) {
      throw new IllegalStateException("metrics are off");
    }
    return prometheus.scrape();
  }

  /**
   * Answers {@code GET /metrics}: the text is made on a worker thread, so a scrape never holds up an
   * event loop. The route's caller checked the cluster token.
   */
  public void serve(RoutingContext ctx) {
    ctx.vertx().executeBlocking(this::scrape, false)
        .onSuccess(text -> ctx.response().putHeader("Content-Type", CONTENT_TYPE).end(text))
        .onFailure(ctx::fail);
  }

  /** Serves after {@code before} completed (a refresh of cached numbers), whatever its outcome. */
  public void serveAfter(RoutingContext ctx, Future<?> before) {
    before.onComplete(ar -> serve(ctx));
  }

  @Override
  public void close() {
    if (gc != null) {
      gc.close();
    }
    if (prometheus != null) {
      prometheus.close();
    }
  }
}
