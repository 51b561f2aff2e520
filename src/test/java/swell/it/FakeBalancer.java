package swell.it;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import swell.common.EnqueueFrames;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A balancer that a test scripts: a real HTTP server on a free loopback port that reads each request
 * whole, records it, and then behaves as told: answers like a balancer, never answers, answers late,
 * closes the connection, or answers a status. Behaviours are taken in order; the last one repeats.
 */
public final class FakeBalancer extends VerticleBase {
  /** What the fake does with a request it has read. */
  @FunctionalInterface
  public interface Behaviour {
    void on(FakeBalancer fake, HttpServerRequest req, Buffer body);
  }

  /** A request as the fake read it. */
  public record Received(String method, String path, MultiMap params, MultiMap headers, Buffer body) {
    /** The works of an enqueue batch. */
    public List<EnqueueFrames.Frame> frames() {
      return EnqueueFrames.decode(body);
    }

    public List<UUID> ids() {
      return frames().stream().map(EnqueueFrames.Frame::id).toList();
    }
  }

  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final Deque<Behaviour> script = new ArrayDeque<>();
  private HttpServer server;

  /** Answers like a balancer that stores everything: ids for a batch, [] for a pull, the count for an ack. */
  public static Behaviour answer() {
    return (fake, req, body) -> {
      JsonObject json = switch (req.path()) {
        case "/enqueue_batch" -> {
          JsonArray results = new JsonArray();
          EnqueueFrames.decode(body).forEach(f -> results.add(new JsonObject().put("id", f.id().toString())));
          yield new JsonObject().put("results", results);
        }
        case "/ackCompleted" -> new JsonObject().put("acked", body.toJsonObject().getJsonArray("ids").size());
        case "/health" -> new JsonObject().put("status", "up");
        default -> null;
      };
      if (req.path().equals("/pullCompleted")) {
        req.response().putHeader("Content-Type", "application/json").end("[]");
      } else if (json == null) {
        status(404, "not_found").on(fake, req, body);
      } else {
        req.response().putHeader("Content-Type", "application/json").end(json.encode());
      }
    };
  }

  public static Behaviour never() {
    return (fake, req, body) -> { };
  }

  public static Behaviour late(long ms) {
    return (fake, req, body) -> fake.vertx.setTimer(ms, t -> answer().on(fake, req, body));
  }

  /** Reads the request, then drops the connection without a word. */
  public static Behaviour closeAfterRead() {
    return (fake, req, body) -> req.connection().close();
  }

  public static Behaviour status(int status, String code) {
    return (fake, req, body) -> req.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .putHeader("Retry-After", "1")
        .end(new JsonObject().put("error", code).put("message", "the fake says " + code).encode());
  }

  /** Sets what the next requests meet, in order; the last behaviour goes on for every later request. */
  public synchronized FakeBalancer then(Behaviour... behaviours) {
    script.clear();
    script.addAll(List.of(behaviours));
    return this;
  }

  private synchronized Behaviour next() {
    return script.size() > 1 ? script.pollFirst() : script.isEmpty() ? answer() : script.peekFirst();
  }

  @Override
  public Future<?> start() {
    return vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      if (!req.path().equals("/health")) {
        received.add(new Received(req.method().name(), req.path(), MultiMap.caseInsensitiveMultiMap()
            .addAll(req.params()), MultiMap.caseInsensitiveMultiMap().addAll(req.headers()), body));
      }
      (req.path().equals("/health") ? answer() : next()).on(this, req, body);
    })).listen(0, "127.0.0.1").onSuccess(s -> server = s);
  }

  public String url() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  /** Every request but /health, in arrival order. */
  public List<Received> received() {
    return List.copyOf(received);
  }

  public List<Received> received(String path) {
    return received.stream().filter(r -> r.path().equals(path)).toList();
  }
}
