package swell.common;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures become JSON error answers: {@link ApiError}s as they are, the
 * router's own 404/405/413 and {@code TimeoutHandler}'s 503 in the same shape, and anything else as
 * a 500 logged once with its cause. No stack trace reaches a client.
 */
public final class HttpErrors {
  private static final Logger log = LoggerFactory.getLogger(HttpErrors.class);
  /** How long a refused request's body is read and dropped before its connection is closed anyway. */
  static final long LINGER_MS = 2_000;

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
    } else if (f == null && ctx.statusCode() == 503) {
      // TimeoutHandler fails the context with a bare 503 when a route took longer than its limit.
      e = ApiError.unavailable("timeout", "the request was not answered within the server's requestTimeoutMs; "
          + "retry later", 1);
    } else if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
      e = new ApiError(ctx.statusCode(), "bad_request", "the request was refused (" + ctx.statusCode() + ")", null);
    } else {
      log.error("{} {} failed", ctx.request().method(), ctx.request().path(), f);
      e = new ApiError(500, "internal", "the server failed to handle the request; it was logged", null);
    }
    send(ctx, e);
  }

  public static void send(RoutingContext ctx, ApiError e) {
    send(ctx.request(), e);
  }

  /** When a connection closes after an error answer. */
  private enum Close {
    /** It stays open: the request was read whole. */
    NO,
    /** Once the rest of the body has been read and dropped, or after {@link #LINGER_MS}. */
    AFTER_BODY,
    /** Right after the answer: no more body is coming, or none is wanted. */
    NOW
  }

  /**
   * Answers with the error. A refusal that can come before the body was read (401, 408, 413, 503
   * busy) also closes an HTTP/1 connection, after the rest of the body (see {@link #refuseMidBody}).
   */
  public static void send(HttpServerRequest req, ApiError e) {
    boolean unread = e.status() == 401 || e.status() == 408 || e.status() == 413 || "busy".equals(e.code());
    answer(req, e, !unread ? Close.NO : e.status() == 408 ? Close.NOW : Close.AFTER_BODY);
  }

  /**
   * Refuses a request before any of its body was read and before {@code 100 Continue}, with
   * {@code Connection: close}, and closes its HTTP/1 connection (the header alone does not make the
   * server close): nobody will read that body. A client waiting for {@code 100 Continue} sends no
   * body, so its connection closes at once; any other client's body is read and dropped first.
   */
  public static void refuseUnread(HttpServerRequest req, ApiError e) {
    answer(req, e, req.headers().contains(HttpHeaders.EXPECT, HttpHeaders.CONTINUE, true) ? Close.NOW
        : Close.AFTER_BODY);
  }

  /**
   * Refuses a request part way through its body and closes its HTTP/1 connection once the rest of the
   * body has been read and dropped, for at most {@link #LINGER_MS}: closing a socket with unread bytes
   * makes TCP reset it, and the client could lose the answer. A body that timed out (408) is cut off
   * at once.
   */
  public static void refuseMidBody(HttpServerRequest req, ApiError e) {
    answer(req, e, e.status() == 408 ? Close.NOW : Close.AFTER_BODY);
  }

  private static void answer(HttpServerRequest req, ApiError e, Close close) {
    HttpServerResponse resp = req.response();
    if (resp.ended() || resp.headWritten() || resp.closed()) {
      return;
    }
    resp.setStatusCode(e.status()).putHeader("Content-Type", "application/json");
    if (e.retryAfterSeconds() != null) {
      resp.putHeader("Retry-After", String.valueOf(e.retryAfterSeconds()));
    }
    if (e.status() == 401) {
      resp.putHeader("WWW-Authenticate", "Bearer");
    }
    if (close != Close.NO) {
      resp.putHeader("Connection", "close");
    }
    resp.end(e.toJson().encode()).onComplete(done -> {
      if (close != Close.NO && req.version() != HttpVersion.HTTP_2) {
        closeAfterBody(req, close == Close.NOW);
      }
    });
  }

  private static void closeAfterBody(HttpServerRequest req, boolean now) {
    HttpConnection conn = req.connection();
    Context context = Vertx.currentContext();
    if (now || req.isEnded() || context == null) {
      conn.close();
      return;
    }
    long linger = context.owner().setTimer(LINGER_MS, t -> conn.close());
    req.handler(dropped -> { });
    req.endHandler(v -> {
      context.owner().cancelTimer(linger);
      conn.close();
    });
    req.resume();
  }
}
