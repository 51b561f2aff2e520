package swell.endpoint;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.handler.TimeoutHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import swell.common.ApiError;
import swell.common.EnqueueFrames;
import swell.common.HttpErrors;
import swell.common.Params;
import swell.common.WorkIds;

import java.util.Map;
import java.util.UUID;

/**
 * The public face of Swell. Stateless: it checks every limit, gives each work its UUIDv7 id and
 * forwards to the balancers; the id is returned only once a balancer has stored the work.
 */
public final class EndpointVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(EndpointVerticle.class);
  /** Idempotency keys longer than this are refused: they are stored with the work. */
  private static final int MAX_IDEMPOTENCY_KEY = 200;

  private final EndpointConfig cfg;
  private BalancerClient balancers;
  private EnqueueBatcher batcher;
  private HttpServer server;

  public EndpointVerticle(EndpointConfig cfg) {
    this.cfg = cfg;
  }

  /** The port the endpoint listens on, once started (useful when configured as 0). */
  public int port() {
    return server.actualPort();
  }

  @Override
  public Future<?> start() {
    balancers = new BalancerClient(vertx, cfg.balancerUrls(), cfg.clusterToken(), cfg.forwardPoolSize(),
        cfg.forwardTimeoutMs());
    batcher = new EnqueueBatcher(balancers, cfg.forwardMaxInFlight(), cfg.forwardBatchMax());
    Router router = Router.router(vertx);
    HttpErrors.install(router);
    router.route().handler(TimeoutHandler.create(cfg.limits().requestTimeoutMs(), 503));
    // PUT /enqueue never reaches the router (see handle); any other method on it is wrong.
    router.route("/enqueue").handler(ctx -> ctx.fail(new ApiError(405, "method_not_allowed",
        ctx.request().method() + " is not allowed on /enqueue", null)));
    router.post("/pullCompleted").respond(this::pullCompleted);
    router.get("/work/:id").respond(this::work);
    router.get("/health").respond(ctx -> Future.succeededFuture(new JsonObject().put("status", "up")));
    router.get("/ready").respond(this::ready);
    HttpServerOptions options = new HttpServerOptions()
        .setHost(cfg.host())
        .setMaxHeaderSize(cfg.limits().maxHeaderBytes())
        .setIdleTimeout(cfg.limits().idleTimeoutSeconds())
        .setTcpNoDelay(true);
    return vertx.createHttpServer(options).requestHandler(req -> handle(req, router)).listen(cfg.port())
        .onSuccess(s -> server = s);
  }

  @Override
  public Future<?> stop() {
    balancers.close();
    return Future.succeededFuture();
  }

  /**
   * The hot route, PUT /enqueue, is served here without the router: at tens of thousands of
   * requests per second the routing context, body handler and timeout timer per request cost more
   * than the rest of the endpoint's work (measured: see bench/README.md). Every other route goes
   * through the router.
   */
  private void handle(HttpServerRequest req, Router router) {
    if (req.method() == HttpMethod.PUT && "/enqueue".equals(req.path())) {
      enqueue(req);
    } else {
      router.handle(req);
    }
  }

  /** Checks parameters and a declared body size before a byte of the body is read, then forwards. */
  private void enqueue(HttpServerRequest req) {
    int iterations;
    String key = req.getHeader("Idempotency-Key");
    try {
      iterations = Params.intParam("iterations", req.params().getAll("iterations"), 1, cfg.limits().maxIterations());
      String length = req.getHeader("Content-Length");
      if (length != null && parseLength(length) > cfg.limits().maxBodyBytes()) {
        throw tooLarge();
      }
      if (key != null && (key.isEmpty() || key.length() > MAX_IDEMPOTENCY_KEY)) {
        throw ApiError.badRequest("Idempotency-Key", "must be 1 to " + MAX_IDEMPOTENCY_KEY + " characters");
      }
    } catch (ApiError e) {
      HttpErrors.send(req.response(), e);
      return;
    }
    readBody(req).compose(body -> batcher.submit(new EnqueueFrames.Frame(WorkIds.next(System.currentTimeMillis()),
            iterations, "", key, body)))
        .onSuccess(answer -> {
          HttpServerResponse resp = req.response();
          if (answer.retryAfter() != null) {
            resp.putHeader("Retry-After", answer.retryAfter());
          }
          resp.setStatusCode(answer.status()).putHeader("Content-Type", "application/json").end(answer.body());
        })
        .onFailure(e -> {
          if (e instanceof ApiError a) {
            HttpErrors.send(req.response(), a);
          } else {
            log.error("PUT /enqueue failed", e);
            HttpErrors.send(req.response(), new ApiError(500, "internal",
                "the server failed to handle the request; it was logged", null));
          }
        });
  }

  /** The whole body, or a 413 as soon as it grows past maxBodyBytes (a chunked body declares no size). */
  private Future<Buffer> readBody(HttpServerRequest req) {
    Promise<Buffer> body = Promise.promise();
    Buffer acc = Buffer.buffer();
    int max = cfg.limits().maxBodyBytes();
    req.handler(chunk -> {
      if (acc.length() + chunk.length() > max) {
        req.handler(null);
        body.tryFail(tooLarge());
      } else {
        acc.appendBuffer(chunk);
      }
    });
    req.endHandler(v -> body.tryComplete(acc));
    req.exceptionHandler(body::tryFail);
    return body.future();
  }

  private ApiError tooLarge() {
    return ApiError.bodyTooLarge("", cfg.limits().maxBodyBytes());
  }

  private static long parseLength(String length) {
    try {
      return Long.parseLong(length.trim());
    } catch (NumberFormatException e) {
      throw ApiError.badRequest("Content-Length", "must be a number");
    }
  }

  private Future<Object> pullCompleted(RoutingContext ctx) {
    int top = Params.intParam(ctx, "top", 1, cfg.limits().maxTop());
    return balancers.send(HttpMethod.POST, "/pullCompleted?top=" + top, Map.of(), null)
        .compose(resp -> relay(ctx, resp));
  }

  private Future<Object> work(RoutingContext ctx) {
    UUID id = WorkIds.parse(ctx.pathParam("id"));
    if (id == null) {
      return Future.failedFuture(ApiError.notFound("no work with id " + ctx.pathParam("id")));
    }
    return balancers.send(HttpMethod.GET, "/work/" + id, Map.of(), null)
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
  private Future<Object> relay(RoutingContext ctx, HttpResponse<Buffer> resp) {
    if (resp.statusCode() == 401) {
      // The endpoint's token is wrong: a config problem of ours, not the client's.
      return Future.failedFuture(new IllegalStateException("the balancer refused this endpoint's clusterToken"));
    }
    String retryAfter = resp.getHeader("Retry-After");
    if (retryAfter != null) {
      ctx.response().putHeader("Retry-After", retryAfter);
    }
    ctx.response().setStatusCode(resp.statusCode()).putHeader("Content-Type", "application/json");
    Buffer body = resp.body();
    return ctx.response().end(body == null ? Buffer.buffer() : body).map(v -> null);
  }
}
