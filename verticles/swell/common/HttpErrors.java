package swell.common;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures become JSON error answers: {@link ApiError}s as they are, the
 * router's own 404/405/413 in the same shape, and anything else as a 500 logged once with its cause.
 * No stack trace reaches a client.
 */
public final class HttpErrors {
  private static final Logger log = LoggerFactory.getLogger(HttpErrors.class);

  private HttpErrors() {
  }

  public static void install(Router router) {
    router.route().failureHandler(HttpErrors::handle);
    router.errorHandler(404, ctx -> send(ctx, new ApiError(404, "not_found", "no route " + ctx.request().path(), null)));
    router.errorHandler(405, ctx -> send(ctx, new ApiError(405, "method_not_allowed",
        ctx.request().method() + " is not allowed on " + ctx.request().path(), null)));
    router.errorHandler(413, ctx -> send(ctx, tooLarge()));
    router.errorHandler(500, HttpErrors::handle);
  }

  private static ApiError tooLarge() {
    return new ApiError(413, "body_too_large", "the request body is larger than maxBodyBytes", null);
  }

  private static void handle(RoutingContext ctx) {
    Throwable f = ctx.failure();
    ApiError e;
    if (f instanceof ApiError a) {
      e = a;
    } else if (ctx.statusCode() == 413) {
      e = tooLarge();
    } else if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
      e = new ApiError(ctx.statusCode(), "bad_request", "the request was refused (" + ctx.statusCode() + ")", null);
    } else {
      log.error("{} {} failed", ctx.request().method(), ctx.request().path(), f);
      e = new ApiError(500, "internal", "the server failed to handle the request; it was logged", null);
    }
    send(ctx, e);
  }

  public static void send(RoutingContext ctx, ApiError e) {
    send(ctx.response(), e);
  }

  public static void send(HttpServerResponse resp, ApiError e) {
    if (resp.ended() || resp.headWritten()) {
      return;
    }
    resp.setStatusCode(e.status()).putHeader("Content-Type", "application/json");
    if (e.retryAfterSeconds() != null) {
      resp.putHeader("Retry-After", String.valueOf(e.retryAfterSeconds()));
    }
    if (e.status() == 413 || e.status() == 401) {
      // The body may not have been read; closing keeps a client from streaming the rest at us.
      resp.putHeader("Connection", "close");
    }
    resp.end(e.toJson().encode());
  }
}
