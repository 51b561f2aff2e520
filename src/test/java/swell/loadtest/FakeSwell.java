package swell.loadtest;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import swell.common.Sha512Chain;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A Swell that answers the public API at once and can be told to misbehave: one wrong result,
 * one work that never completes, one result handed out twice, a few 503s before accepting, lost
 * acknowledgements. A pull with ackMs hides its results until acknowledged, and they come back if not.
 */
final class FakeSwell extends VerticleBase {
  /** Enqueue number (0-based, in arrival order) whose result is corrupted; -1 for none. */
  int corruptNth = -1;
  /** Enqueue number that is accepted but never completes. */
  int dropNth = -1;
  /** Enqueue number whose result is pulled twice. */
  int duplicateNth = -1;
  /** The first this-many enqueues are refused with 503 and Retry-After: 0. */
  int refuseFirst;
  /** The first this-many acknowledgements are answered 503 and acknowledge nothing. */
  int refuseAcks;
  /** Hidden results come back after at most this long, whatever ackMs asked. */
  long maxHideMs = Long.MAX_VALUE;
  /** Enqueue answers are chunked and say {@code Connection: close} (the server then closes the connection). */
  boolean chunkedAndClose;
  /** Enqueue number that is never answered. */
  int stallNth = -1;
  /** When set, every route but /health needs {@code Authorization: Bearer <requireKey>}. */
  String requireKey;
  /** Pulls that asked for ackMs, and results acknowledged; read by the tests once the run is over. */
  volatile int pullsWithAck;
  volatile int acked;

  private final Sha512Chain chain = new Sha512Chain();
  private final Deque<JsonObject> completed = new ArrayDeque<>();
  /** Results handed out with ackMs, by id, with the time they come back unless acknowledged. */
  private final Map<String, Hidden> hidden = new HashMap<>();
  private int acksRefused;

  private record Hidden(JsonObject result, long backAtMs) {
  }
  private int enqueues;
  private int refused;
  private HttpServer server;

  @Override
  public Future<?> start() {
    server = vertx.createHttpServer().requestHandler(this::handle);
    return server.listen(0, "127.0.0.1");
  }

  int port() {
    return server.actualPort();
  }

  String url() {
    return "http://127.0.0.1:" + port();
  }

  private void handle(HttpServerRequest req) {
    if (requireKey != null && !req.path().equals("/health")
        && !("Bearer " + requireKey).equals(req.getHeader("Authorization"))) {
      req.response().setStatusCode(401)
          .end(new JsonObject().put("error", "unauthorized").put("message", "a key is required").encode());
      return;
    }
    switch (req.path()) {
      case "/enqueue" -> req.body().onSuccess(body -> enqueue(req, body.getBytes()));
      case "/pullCompleted" -> pullCompleted(req);
      case "/ackCompleted" -> req.body().onSuccess(body -> ackCompleted(req, body.toJsonObject()));
      case "/health" -> req.response().end();
      default -> req.response().setStatusCode(404)
          .end(new JsonObject().put("error", "not_found").put("message", "no route").encode());
    }
  }

  private void enqueue(HttpServerRequest req, byte[] body) {
    if (refused < refuseFirst) {
      refused++;
      req.response().setStatusCode(503).putHeader("Retry-After", "0")
          .end(new JsonObject().put("error", "queue_full").put("message", "full").encode());
      return;
    }
    int n = enqueues++;
    if (n == stallNth) {
      return;
    }
    long iterations = Long.parseLong(req.getParam("iterations"));
    String id = UUID.randomUUID().toString();
    String result = chain.computeHex(body, iterations);
    if (n == corruptNth) {
      result = (result.charAt(0) == '0' ? "1" : "0") + result.substring(1);
    }
    JsonObject done = new JsonObject().put("id", id).put("result", result).put("iterations", iterations)
        .put("completedAt", System.currentTimeMillis());
    if (n != dropNth) {
      completed.addFirst(done);
    }
    if (n == duplicateNth) {
      completed.addFirst(done.copy());
    }
    if (chunkedAndClose) {
      String answer = new JsonObject().put("id", id).encode();
      req.response().setChunked(true).putHeader("Connection", "close").putHeader("Content-Type", "application/json");
      req.response().write(answer.substring(0, 10));
      req.response().end(answer.substring(10));
      return;
    }
    req.response().putHeader("Content-Type", "application/json").end(new JsonObject().put("id", id).encode());
  }

  private void pullCompleted(HttpServerRequest req) {
    int top = Integer.parseInt(req.getParam("top"));
    long now = System.currentTimeMillis();
    hidden.values().removeIf(h -> {
      if (h.backAtMs() <= now) {
        completed.addFirst(h.result());
        return true;
      }
      return false;
    });
    String ackMs = req.getParam("ackMs");
    if (ackMs != null) {
      pullsWithAck++;
    }
    JsonArray page = new JsonArray();
    while (page.size() < top && !completed.isEmpty()) {
      JsonObject r = completed.pollFirst();
      page.add(r);
      if (ackMs != null) {
        hidden.put(r.getString("id"), new Hidden(r, now + Math.min(maxHideMs, Long.parseLong(ackMs))));
      }
    }
    req.response().putHeader("Content-Type", "application/json").end(page.encode());
  }

  private void ackCompleted(HttpServerRequest req, JsonObject body) {
    if (acksRefused < refuseAcks) {
      acksRefused++;
      req.response().setStatusCode(503).putHeader("Retry-After", "0")
          .end(new JsonObject().put("error", "store_unavailable").put("message", "lost").encode());
      return;
    }
    int n = 0;
    for (Object id : body.getJsonArray("ids")) {
      if (hidden.remove((String) id) != null) {
        n++;
      }
    }
    acked += n;
    req.response().putHeader("Content-Type", "application/json").end(new JsonObject().put("acked", n).encode());
  }
}
