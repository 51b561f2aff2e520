package swell.endpoint;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.TimeoutHandler;
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
    router.put("/enqueue").handler(this::checkEnqueue);
    router.put("/enqueue").handler(BodyHandler.create(false).setBodyLimit(cfg.limits().maxBodyBytes()));
    router.put("/enqueue").respond(this::enqueue);
    router.post("/pullCompleted").respond(this::pullCompleted);
    router.get("/work/:id").respond(this::work);
    router.get("/health").respond(ctx -> Future.succeededFuture(new JsonObject().put("status", "up")));
    router.get("/ready").respond(this::ready);
    HttpServerOptions options = new HttpServerOptions()
        .setHost(cfg.host())
        .setMaxHeaderSize(cfg.limits().maxHeaderBytes())
        .setIdleTimeout(cfg.limits().idleTimeoutSeconds())
        .setTcpNoDelay(true);
    return vertx.createHttpServer(options).requestHandler(router).listen(cfg.port())
        .onSuccess(s -> server = s);
  }

  @Override
  public Future<?> stop() {
    balancers.close();
    return Future.succeededFuture();
  }

  /** Refuses bad parameters and declared-too-large bodies before a byte of the body is read. */
  private void checkEnqueue(RoutingContext ctx) {
    int iterations = Params.intParam(ctx, "iterations", 1, cfg.limits().maxIterations());
    String length = ctx.request().getHeader("Content-Length");
    if (length != null) {
      try {
        if (Long.parseLong(length.trim()) > cfg.limits().maxBodyBytes()) {
          throw new ApiError(413, "body_too_large",
              "the body is larger than maxBodyBytes (" + cfg.limits().maxBodyBytes() + " bytes)", null);
        }
      } catch (NumberFormatException e) {
        throw ApiError.badRequest("Content-Length", "must be a number");
      }
    }
    String key = ctx.request().getHeader("Idempotency-Key");
    if (key != null && (key.isEmpty() || key.length() > MAX_IDEMPOTENCY_KEY)) {
      throw ApiError.badRequest("Idempotency-Key", "must be 1 to " + MAX_IDEMPOTENCY_KEY + " characters");
    }
    ctx.put("iterations", iterations);
    ctx.next();
  }

  private Future<Object> enqueue(RoutingContext ctx) {
    int iterations = ctx.get("iterations");
    UUID id = WorkIds.next(System.currentTimeMillis());
    Buffer body = ctx.body().buffer();
    String key = ctx.request().getHeader("Idempotency-Key");
    return batcher.submit(new EnqueueFrames.Frame(id, iterations, key, body == null ? Buffer.buffer() : body))
        .compose(answer -> {
          if (answer.retryAfter() != null) {
            ctx.response().putHeader("Retry-After", answer.retryAfter());
          }
          return ctx.response().setStatusCode(answer.status()).putHeader("Content-Type", "application/json")
              .end(answer.body()).map(v -> null);
        });
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
