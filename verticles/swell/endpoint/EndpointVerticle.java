package swell.endpoint;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.TimeoutHandler;
import swell.common.ApiError;
import swell.common.ClusterToken;
import swell.common.HttpErrors;
import swell.common.Params;
import swell.common.WorkIds;
import swell.metrics.PrometheusMetrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The public face of Swell. Stateless: it authenticates clients, checks every limit, gives each work
 * its UUIDv7 id and forwards to the balancers, naming the client's key as the owner; the id is
 * returned only once a balancer has stored the work.
 */
public final class EndpointVerticle extends VerticleBase {
  /** The longest a pull may ask to wait for a first result ({@code waitMs}). */
  static final int MAX_WAIT_MS = 30_000;
  /** The longest a pull may hide its results before they come back unacknowledged ({@code ackMs}). */
  static final int MAX_ACK_MS = 600_000;
  /** Bytes an acknowledgement body may take per id (36 characters quoted, a comma, some spacing). */
  private static final int ACK_BYTES_PER_ID = 64;
  /** The owner a request's key proved, kept on its routing context. */
  private static final String OWNER = "swell.owner";
  /** The body deadlines are swept this often at most, so a 408 comes within a second of its deadline. */
  private static final long MAX_SWEEP_MS = 1_000;

  private final EndpointConfig cfg;
  private final InFlightBytes inFlight;
  private final String inJvmBalancer;
  private final PrometheusMetrics metrics;
  /** {@code /metrics} is for the cluster's Prometheus, not for clients: it wants the cluster token. */
  private final byte[] clusterAuth;
  private EndpointMeters meters;
  private BalancerClient balancers;
  private BodyDeadlines deadlines;
  private EnqueueRoute enqueue;
  private HttpServer server;
  private long sweeper = -1;

  public EndpointVerticle(EndpointConfig cfg) {
    this(cfg, PrometheusMetrics.off());
  }

  /** With {@link PrometheusMetrics#on()}, it serves {@code GET /metrics} to holders of the cluster token. */
  public EndpointVerticle(EndpointConfig cfg, PrometheusMetrics metrics) {
    this(cfg, new InFlightBytes(cfg.maxInFlightBytes()), null, metrics);
  }

  /**
   * @param inFlight shared by every endpoint of the process: they share its heap
   * @param inJvmBalancer the event-bus address of a balancer in this JVM to hand enqueued works to
   *     (the {@code local} role), or null to forward them over HTTP; other requests go over HTTP
   * @param metrics the process's meters (shared too); {@code GET /metrics} serves them unless off
   */
  public EndpointVerticle(EndpointConfig cfg, InFlightBytes inFlight, String inJvmBalancer, PrometheusMetrics metrics) {
    this.cfg = cfg;
    this.inFlight = inFlight;
    this.inJvmBalancer = inJvmBalancer;
    this.metrics = metrics;
    this.clusterAuth = ClusterToken.bearer(cfg.clusterToken());
  }

  /** The port the endpoint listens on, once started (useful when configured as 0). */
  public int port() {
    return server.actualPort();
  }

  @Override
  public Future<?> start() {
    meters = new EndpointMeters(metrics.registry());
    balancers = new BalancerClient(vertx, cfg.balancerUrls(), cfg.clusterToken(), cfg.forwardPoolSize(),
        cfg.forwardTimeoutMs(), cfg.balancerMode(), meters);
    deadlines = new BodyDeadlines(cfg.bodyTimeoutMs());
    sweeper = vertx.setPeriodic(Math.max(10, Math.min(MAX_SWEEP_MS, cfg.bodyTimeoutMs() / 4)), t -> deadlines.sweep());
    BatchForward forward = inJvmBalancer == null ? BatchForward.http(balancers)
        : BatchForward.inJvm(vertx, inJvmBalancer, cfg.forwardTimeoutMs());
    enqueue = new EnqueueRoute(cfg, inFlight, new EnqueueBatcher(forward, meters, cfg.forwardMaxInFlight(),
        cfg.forwardBatchMax(), cfg.forwardQueueMax()), deadlines);
    long requestTimeoutMs = cfg.limits().requestTimeoutMs();
    TimeoutHandler timeout = TimeoutHandler.create(requestTimeoutMs, 503);
    Router router = Router.router(vertx);
    HttpErrors.install(router);
    router.get("/health").respond(ctx -> Future.succeededFuture(new JsonObject().put("status", "up")));
    router.get("/ready").handler(timeout).respond(this::ready);
    if (metrics.enabled()) {
      router.get("/metrics").handler(timeout).handler(this::metrics);
    }
    router.route().handler(this::authenticate);
    // PUT /enqueue never reaches the router (see handle); any other method on it is wrong.
    router.route("/enqueue").handler(ctx -> ctx.fail(new ApiError(405, "method_not_allowed",
        ctx.request().method() + " is not allowed on /enqueue", null)));
    router.post("/pullCompleted").handler(TimeoutHandler.create(requestTimeoutMs + MAX_WAIT_MS, 503))
        .respond(this::pullCompleted);
    // vertx-web wants a body handler on a route of its own when a user handler comes before it.
    router.post("/ackCompleted").handler(timeout).handler(this::bodyDue);
    router.post("/ackCompleted")
        .handler(BodyHandler.create(false).setBodyLimit(1024L + (long) cfg.limits().maxTop() * ACK_BYTES_PER_ID));
    router.post("/ackCompleted").handler(this::bodyArrived).respond(this::ackCompleted);
    router.get("/work/:id").handler(timeout).respond(this::work);
    HttpServerOptions options = new HttpServerOptions()
        .setHost(cfg.host())
        .setMaxHeaderSize(cfg.limits().maxHeaderBytes())
        .setIdleTimeout(cfg.limits().idleTimeoutSeconds())
        .setTcpNoDelay(true)
        // 100 Continue is sent once a request passed every check that can refuse it (see EnqueueRoute).
        .setHandle100ContinueAutomatically(false);
    return vertx.createHttpServer(options).requestHandler(req -> handle(req, router)).listen(cfg.port())
        .onSuccess(s -> server = s);
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(sweeper);
    balancers.close();
    return Future.succeededFuture();
  }

  /**
   * The hot route, PUT /enqueue, is served without the router: at tens of thousands of requests per
   * second the routing context, body handler and timeout timer per request cost more than the rest of
   * the endpoint's work (measured: see bench/README.md). Every other route goes through the router.
   */
  private void handle(HttpServerRequest req, Router router) {
    if (req.method() == HttpMethod.PUT && "/enqueue".equals(req.path())) {
      enqueue.handle(req);
    } else {
      router.handle(req);
    }
  }

  static ApiError unauthorized() {
    return ApiError.unauthorized("a valid client key is required: send Authorization: Bearer <key>");
  }

  /** Every route but /health and /ready needs a client key when the endpoint has any. */
  private void authenticate(RoutingContext ctx) {
    String owner = cfg.apiKeys().owner(ctx.request().getHeader(HttpHeaders.AUTHORIZATION));
    if (owner == null) {
      HttpErrors.refuseUnread(ctx.request(), unauthorized());
      return;
    }
    ctx.put(OWNER, owner);
    ctx.next();
  }

  /** {@code GET /metrics}: with the cluster token only (compared in constant time), never with a client key. */
  private void metrics(RoutingContext ctx) {
    if (!ClusterToken.presented(ctx.request().getHeader(HttpHeaders.AUTHORIZATION), clusterAuth)) {
      HttpErrors.send(ctx, ApiError.unauthorized("GET /metrics needs the cluster token: Authorization: Bearer"
          + " <clusterToken>"));
      return;
    }
    metrics.serve(ctx);
  }

  /** The owner's header for the balancer; none for the anonymous owner. */
  private static Map<String, String> ownerHeaders(RoutingContext ctx) {
    String owner = ctx.get(OWNER);
    return owner.isEmpty() ? Map.of() : Map.of("Swell-Owner", owner);
  }

  private Future<Object> pullCompleted(RoutingContext ctx) {
    int top = Params.intParam(ctx, "top", 1, cfg.limits().maxTop());
    Integer ackMs = Params.optionalInt(ctx, "ackMs", 1, MAX_ACK_MS);
    Integer waitMs = Params.optionalInt(ctx, "waitMs", 0, MAX_WAIT_MS);
    String path = "/pullCompleted?top=" + top + (ackMs == null ? "" : "&ackMs=" + ackMs)
        + (waitMs == null ? "" : "&waitMs=" + waitMs);
    return balancers.sendOnce(HttpMethod.POST, path, ownerHeaders(ctx), waitMs == null ? 0 : waitMs)
        .recover(e -> {
          if (e instanceof BalancerClient.OutcomeUnknown) {
            meters.pullUnknown.increment();
            return Future.failedFuture(pullUnknown(ackMs));
          }
          return Future.failedFuture(e);
        })
        .compose(resp -> relay(ctx, resp));
  }

  /** A pull is never sent twice: once sent and unanswered, what it handed out is for the client to learn. */
  private static ApiError pullUnknown(Integer ackMs) {
    return ApiError.outcomeUnknown("the pull was sent to a balancer but no answer came back, and a pull is never "
        + "sent twice; " + (ackMs != null
        ? "any results it handed out come back to the queue after ackMs (" + ackMs + " ms) unacknowledged: pull "
            + "again after that"
        : "any results it handed out are gone from the pull queue (pull with ackMs to have them come back); "
            + "GET /work/{id} still shows each result"), null);
  }

  /** Starts the clock on a routed request's body; {@link #bodyArrived} stops it. */
  private void bodyDue(RoutingContext ctx) {
    BodyDeadlines.Entry due = new BodyDeadlines.Entry() {
      @Override
      void expire() {
        HttpErrors.refuseMidBody(ctx.request(), BodyDeadlines.timedOut(cfg.bodyTimeoutMs()));
      }
    };
    deadlines.add(due);
    ctx.put(BodyDeadlines.Entry.class.getName(), due);
    ctx.addEndHandler(v -> deadlines.remove(due));
    ctx.next();
  }

  private void bodyArrived(RoutingContext ctx) {
    deadlines.remove(ctx.get(BodyDeadlines.Entry.class.getName()));
    ctx.next();
  }

  private Future<Object> ackCompleted(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().buffer() == null ? null : ctx.body().buffer().toJsonObject();
    } catch (RuntimeException e) {
      body = null;
    }
    if (body == null) {
      throw new ApiError(400, "bad_request", "the body must be a JSON object {\"ids\":[...]}", null);
    }
    if (!(body.getValue("ids") instanceof JsonArray ids)) {
      throw ApiError.badRequest("ids", "must be a list of work ids");
    }
    if (ids.size() > cfg.limits().maxTop()) {
      throw ApiError.badRequest("ids", "must hold at most maxTop (" + cfg.limits().maxTop() + ") ids, not "
          + ids.size());
    }
    JsonArray clean = new JsonArray(new ArrayList<>(ids.size()));
    for (Object v : ids) {
      UUID id = v instanceof String s ? WorkIds.parse(s) : null;
      if (id == null) {
        throw ApiError.badRequest("ids", "must hold work ids (UUIDs), not " + truncate(String.valueOf(v)));
      }
      clean.add(id.toString());
    }
    Map<String, String> headers = new HashMap<>(ownerHeaders(ctx));
    headers.put("Content-Type", "application/json");
    return balancers.sendIdempotent(HttpMethod.POST, "/ackCompleted", headers,
            new JsonObject().put("ids", clean).toBuffer())
        .compose(resp -> relay(ctx, resp));
  }

  private static String truncate(String v) {
    return v.length() > 40 ? v.substring(0, 40) + "…" : v;
  }

  private Future<Object> work(RoutingContext ctx) {
    UUID id = WorkIds.parse(ctx.pathParam("id"));
    if (id == null) {
      return Future.failedFuture(ApiError.notFound("no work with id " + ctx.pathParam("id")));
    }
    return balancers.sendIdempotent(HttpMethod.GET, "/work/" + id, ownerHeaders(ctx), null)
        .compose(resp -> relay(ctx, resp));
  }

  private Future<JsonObject> ready(RoutingContext ctx) {
    return balancers.ready().compose(up -> up
        ? Future.succeededFuture(new JsonObject().put("status", "ready"))
        : Future.failedFuture(ApiError.unavailable("no_balancer", "no balancer answers", 1)));
  }

  /**
   * Passes the balancer's answer through: its status, JSON body and Retry-After. The body is
   * already JSON, so it is written as it came rather than decoded and encoded again.
   */
  private Future<Object> relay(RoutingContext ctx, BalancerClient.Reply resp) {
    if (resp.status() == 401) {
      // The endpoint's token is wrong: a config problem of ours, not the client's.
      return Future.failedFuture(new IllegalStateException("the balancer refused this endpoint's clusterToken"));
    }
    if (ctx.response().ended() || ctx.response().closed()) {
      return Future.succeededFuture();
    }
    if (resp.retryAfter() != null) {
      ctx.response().putHeader("Retry-After", resp.retryAfter());
    }
    ctx.response().setStatusCode(resp.status()).putHeader("Content-Type", "application/json");
    Buffer body = resp.body();
    return ctx.response().end(body == null ? Buffer.buffer() : body).map(v -> null);
  }
}
