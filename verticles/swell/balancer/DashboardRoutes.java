package swell.balancer;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import swell.common.Params;

import java.util.List;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * The balancer's live page: {@code /dashboard} (an HTML page, a script, a style sheet and the uPlot
 * chart library, served without the cluster token because they hold no data) and
 * {@code /status/history} (the last hour of {@link StatusHistory}, behind the token like every other
 * answer with data). The page takes the token from its URL's fragment, which browsers never send,
 * and presents it as a bearer header on each JSON call.
 */
final class DashboardRoutes {
  /** The page's own files, from this jar (verticles/swell/balancer/dashboard/). */
  private static final String PAGE_FILES = "swell/balancer/dashboard";
  /** uPlot's webjar (org.webjars.npm:uplot); index.html names its version in the script's path. */
  private static final String UPLOT_WEBJAR = "META-INF/resources/webjars/uplot";
  /** How much history the page can show. */
  static final long KEPT_MS = 3_600_000;
  /** One sample a second: the counts come from the store's memory (sqlite, memory). */
  private static final long SAMPLE_EVERY_MS = 1_000;
  /** With a shared store a sample is count queries on the database, from every balancer: fewer. */
  private static final long SHARED_SAMPLE_EVERY_MS = 5_000;
  /**
   * The page runs no inline script or style and talks only to this balancer, so a string from a
   * worker or an event that slipped into the page as markup still could not read the token.
   */
  private static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self';"
      + " img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private final StatusHistory history;
  private final long sampleEveryMs;

  DashboardRoutes(boolean sharedStore, long now) {
    this.sampleEveryMs = sharedStore ? SHARED_SAMPLE_EVERY_MS : SAMPLE_EVERY_MS;
    this.history = new StatusHistory((int) (KEPT_MS / sampleEveryMs), now);
  }

  /** Fed by the routes (counters) and by the balancer's timer (samples), every {@link #sampleEveryMs()}. */
  StatusHistory history() {
    return history;
  }

  long sampleEveryMs() {
    return sampleEveryMs;
  }

  /**
   * Before the token check: the page's files and the chart library, and nothing else. A path
   * neither holds falls through to the token check, so it answers 401 like any other.
   */
  void mountFiles(Router router) {
    router.get("/dashboard/*").handler(DashboardRoutes::securityHeaders);
    router.get("/dashboard/uplot/*").handler(StaticHandler.create(UPLOT_WEBJAR));
    router.get("/dashboard/*").handler(StaticHandler.create(PAGE_FILES).setMaxAgeSeconds(60));
  }

  /** After the token check. */
  void mountHistory(Router router) {
    router.get("/status/history").respond(this::historyJson);
  }

  private static void securityHeaders(RoutingContext ctx) {
    ctx.response()
        .putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer");
    ctx.next();
  }

  /**
   * The samples after {@code since} (Unix ms; all kept without it), one array per field, as uPlot
   * draws them: {@code t} the times, then one value per time in each series. A latency is null for
   * an interval without results.
   */
  private Future<JsonObject> historyJson(RoutingContext ctx) {
    long since = Params.optionalLong(ctx, "since", 0, 0, Long.MAX_VALUE);
    List<StatusHistory.Sample> samples = history.since(since);
    JsonObject series = new JsonObject()
        .put("t", longs(samples, StatusHistory.Sample::at))
        .put("pending", longs(samples, StatusHistory.Sample::pending))
        .put("leased", longs(samples, StatusHistory.Sample::leased))
        .put("completedUnpulled", longs(samples, StatusHistory.Sample::completedUnpulled))
        .put("failed", longs(samples, StatusHistory.Sample::failed))
        .put("enqueuedPerSec", rates(samples, StatusHistory.Sample::enqueuedPerSec))
        .put("completedPerSec", rates(samples, StatusHistory.Sample::completedPerSec))
        .put("pulledPerSec", rates(samples, StatusHistory.Sample::pulledPerSec))
        .put("latencyP50Ms", latencies(samples, StatusHistory.Sample::latencyP50Ms))
        .put("latencyP90Ms", latencies(samples, StatusHistory.Sample::latencyP90Ms))
        .put("latencyP99Ms", latencies(samples, StatusHistory.Sample::latencyP99Ms))
        .put("latencyMaxMs", latencies(samples, StatusHistory.Sample::latencyMaxMs));
    return Future.succeededFuture(new JsonObject()
        .put("sampleEveryMs", sampleEveryMs)
        .put("keptMs", KEPT_MS)
        .put("totals", new JsonObject()
            .put("enqueued", history.enqueued())
            .put("completed", history.completed())
            .put("pulled", history.pulled()))
        .put("series", series));
  }

  private static JsonArray longs(List<StatusHistory.Sample> samples, ToLongFunction<StatusHistory.Sample> field) {
    return column(samples, s -> field.applyAsLong(s));
  }

  /** Two decimals: the page shows rates, not the float noise of a division. */
  private static JsonArray rates(List<StatusHistory.Sample> samples, ToDoubleFunction<StatusHistory.Sample> field) {
    return column(samples, s -> Math.round(field.applyAsDouble(s) * 100) / 100.0);
  }

  private static JsonArray latencies(List<StatusHistory.Sample> samples, ToLongFunction<StatusHistory.Sample> field) {
    return column(samples, s -> {
      long v = field.applyAsLong(s);
      return v == StatusHistory.NO_LATENCY ? null : v;
    });
  }

  private static JsonArray column(List<StatusHistory.Sample> samples, Function<StatusHistory.Sample, Object> value) {
    JsonArray out = new JsonArray();
    for (StatusHistory.Sample s : samples) {
      out.add(value.apply(s));
    }
    return out;
  }
}
