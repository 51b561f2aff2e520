package swell.endpoint;

import io.vertx.core.AsyncResult;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import swell.common.ApiError;
import swell.common.EnqueueFrames.Frame;
import swell.common.HttpErrors;
import swell.common.Params;
import swell.common.WorkIds;

/**
 * PUT /enqueue, the hot route, served without the router (see {@link EndpointVerticle#handle}).
 * Everything that can refuse a request is checked before a byte of its body is read and before
 * {@code 100 Continue}: the key, the parameters, the declared size, and room for the body (in the
 * process's {@link InFlightBytes} and in the batcher's queue). The body then has
 * {@code bodyTimeoutMs} to arrive; its bytes stay reserved until its work is answered.
 */
final class EnqueueRoute {
  private static final Logger log = LoggerFactory.getLogger(EnqueueRoute.class);
  /** Idempotency keys longer than this are refused: they are stored with the work. */
  private static final int MAX_IDEMPOTENCY_KEY = 200;

  private final EndpointConfig cfg;
  private final InFlightBytes inFlight;
  private final EnqueueBatcher batcher;
  private final BodyDeadlines deadlines;

  EnqueueRoute(EndpointConfig cfg, InFlightBytes inFlight, EnqueueBatcher batcher, BodyDeadlines deadlines) {
    this.cfg = cfg;
    this.inFlight = inFlight;
    this.batcher = batcher;
    this.deadlines = deadlines;
  }

  void handle(HttpServerRequest req) {
    String owner = cfg.apiKeys().owner(req.getHeader(HttpHeaders.AUTHORIZATION));
    if (owner == null) {
      HttpErrors.refuseUnread(req, EndpointVerticle.unauthorized());
      return;
    }
    int iterations;
    long declared;
    String key = req.getHeader("Idempotency-Key");
    try {
      iterations = Params.intParam("iterations", req.params().getAll("iterations"), 1, cfg.limits().maxIterations());
      declared = declaredLength(req);
      if (declared > cfg.limits().maxBodyBytes()) {
        throw tooLarge();
      }
      if (key != null && (key.isEmpty() || key.length() > MAX_IDEMPOTENCY_KEY)) {
        throw ApiError.badRequest("Idempotency-Key", "must be 1 to " + MAX_IDEMPOTENCY_KEY + " characters");
      }
    } catch (ApiError e) {
      HttpErrors.refuseUnread(req, e);
      return;
    }
    if (batcher.full()) {
      HttpErrors.refuseUnread(req, EnqueueBatcher.busy());
      return;
    }
    if (declared > 0 && !inFlight.tryReserve(declared)) {
      HttpErrors.refuseUnread(req, busy());
      return;
    }
    new Upload(req, iterations, owner, key, declared).start();
  }

  /** The declared body size, or -1 when the body is chunked (or absent: then it ends at once). */
  private static long declaredLength(HttpServerRequest req) {
    String length = req.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (length == null) {
      return -1;
    }
    try {
      long n = Long.parseLong(length.trim());
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw ApiError.badRequest("Content-Length", "must be a number of bytes");
    }
  }

  private ApiError tooLarge() {
    return ApiError.bodyTooLarge("", cfg.limits().maxBodyBytes());
  }

  private ApiError busy() {
    return ApiError.unavailable("busy", "the endpoint holds as many bytes of bodies as it may (maxInFlightBytes); "
        + "retry later", 1);
  }

  /** One enqueue from its accepted headers to its answer; it owns the body's reserved bytes until then. */
  private final class Upload extends BodyDeadlines.Entry implements Handler<Buffer> {
    private final HttpServerRequest req;
    private final int iterations;
    private final String owner;
    private final String idempotencyKey;
    private final long declared;
    private long reserved;
    private Buffer body;
    /** Reading is over: the body arrived, or the request was refused or lost. */
    private boolean read;

    Upload(HttpServerRequest req, int iterations, String owner, String idempotencyKey, long declared) {
      this.req = req;
      this.iterations = iterations;
      this.owner = owner;
      this.idempotencyKey = idempotencyKey;
      this.declared = declared;
      this.reserved = Math.max(0, declared);
    }

    void start() {
      req.handler(this);
      req.endHandler(v -> received());
      req.exceptionHandler(e -> lost());
      deadlines.add(this);
      if (req.headers().contains(HttpHeaders.EXPECT, HttpHeaders.CONTINUE, true)) {
        req.response().writeContinue();
      }
    }

    @Override
    public void handle(Buffer chunk) {
      if (read) {
        return;
      }
      int size = (body == null ? 0 : body.length()) + chunk.length();
      if (size > cfg.limits().maxBodyBytes()) {
        refuse(tooLarge());
        return;
      }
      if (declared < 0) {
        if (!inFlight.tryReserve(chunk.length())) {
          refuse(busy());
          return;
        }
        reserved += chunk.length();
      }
      if (body == null) {
        body = Buffer.buffer(declared > 0 ? (int) declared : chunk.length());
      }
      body.appendBuffer(chunk);
    }

    private void received() {
      if (read) {
        return;
      }
      read = true;
      deadlines.remove(this);
      Buffer whole = body == null ? Buffer.buffer() : body;
      body = null;
      batcher.submit(new Frame(WorkIds.next(System.currentTimeMillis()), iterations, owner, idempotencyKey, whole))
          .onComplete(this::answer);
    }

    private void answer(AsyncResult<EnqueueBatcher.Answer> ar) {
      release();
      HttpServerResponse resp = req.response();
      if (resp.closed()) {
        return;
      }
      if (ar.succeeded()) {
        EnqueueBatcher.Answer answer = ar.result();
        if (answer.retryAfter() != null) {
          resp.putHeader("Retry-After", answer.retryAfter());
        }
        resp.setStatusCode(answer.status()).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
            .end(answer.body());
      } else if (ar.cause() instanceof ApiError a) {
        HttpErrors.send(req, a);
      } else {
        log.error("PUT /enqueue failed", ar.cause());
        HttpErrors.send(req, new ApiError(500, "internal", "the server failed to handle the request; it was logged",
            null));
      }
    }

    @Override
    void expire() {
      if (read) {
        return;
      }
      refuse(BodyDeadlines.timedOut(cfg.bodyTimeoutMs()));
    }

    private void refuse(ApiError e) {
      read = true;
      deadlines.remove(this);
      req.handler(null);
      body = null;
      release();
      HttpErrors.refuseMidBody(req, e);
    }

    /** The connection went away while the body was coming. */
    private void lost() {
      if (read) {
        return;
      }
      read = true;
      deadlines.remove(this);
      body = null;
      release();
    }

    private void release() {
      inFlight.release(reserved);
      reserved = 0;
    }
  }
}
