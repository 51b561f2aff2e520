package swell.endpoint;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import swell.common.ApiError;
import swell.common.EnqueueFrames;
import swell.common.EnqueueFrames.Frame;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Coalesces enqueues into few forwards. While fewer than {@code maxInFlight} batches are on their
 * way, a work goes out at once (alone, at low load: no added latency); otherwise it waits for the
 * next batch, which takes everything waiting then. Under load one forward and one commit carry
 * dozens of works, which is what lets a durable enqueue approach the speed of a bare HTTP answer.
 * Runs on its endpoint's event loop only.
 */
final class EnqueueBatcher {
  /** A batch carries at most this many bytes of bodies, unless one work alone is larger. */
  static final int MAX_BATCH_BYTES = 4 * 1024 * 1024;

  /** The balancer's answer for one work: the status and JSON body the client gets. */
  record Answer(int status, Buffer body, String retryAfter) {
  }

  private record Waiting(Frame frame, Promise<Answer> answer) {
  }

  private final BalancerClient balancers;
  private final int maxInFlight;
  private final int maxBatch;
  private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
  private int inFlight;

  EnqueueBatcher(BalancerClient balancers, int maxInFlight, int maxBatch) {
    this.balancers = balancers;
    this.maxInFlight = maxInFlight;
    this.maxBatch = maxBatch;
  }

  Future<Answer> submit(Frame frame) {
    Promise<Answer> p = Promise.promise();
    waiting.addLast(new Waiting(frame, p));
    pump();
    return p.future();
  }

  private void pump() {
    while (inFlight < maxInFlight && !waiting.isEmpty()) {
      List<Waiting> batch = new ArrayList<>();
      int bytes = 0;
      while (!waiting.isEmpty() && batch.size() < maxBatch) {
        int next = waiting.peekFirst().frame().encodedSize();
        if (!batch.isEmpty() && bytes + next > MAX_BATCH_BYTES) {
          break;
        }
        bytes += next;
        batch.add(waiting.pollFirst());
      }
      send(batch);
    }
  }

  private void send(List<Waiting> batch) {
    inFlight++;
    List<Frame> frames = new ArrayList<>(batch.size());
    batch.forEach(w -> frames.add(w.frame()));
    balancers.send(HttpMethod.POST, "/enqueue_batch", Map.of("Content-Type", "application/octet-stream"),
            EnqueueFrames.encode(frames))
        .onComplete(ar -> {
          inFlight--;
          if (ar.failed()) {
            ApiError e = ar.cause() instanceof ApiError a ? a
                : ApiError.unavailable("no_balancer", "no balancer is reachable right now; retry later", 1);
            batch.forEach(w -> w.answer().fail(e));
          } else if (ar.result().statusCode() != 200) {
            // The whole batch was refused (a config mismatch, say): every work gets that answer.
            Answer same = new Answer(ar.result().statusCode(), bodyOrEmpty(ar.result().bodyAsString()).toBuffer(),
                ar.result().getHeader("Retry-After"));
            batch.forEach(w -> w.answer().complete(same));
          } else {
            JsonArray results = ar.result().bodyAsJsonObject().getJsonArray("results");
            for (int i = 0; i < batch.size(); i++) {
              JsonObject r = results.getJsonObject(i);
              String id = r.getString("id");
              if (id != null) {
                // The common answer, written by hand: a JSON encoder per work costs more than the rest.
                batch.get(i).answer().complete(new Answer(200, Buffer.buffer("{\"id\":\"" + id + "\"}"), null));
                continue;
              }
              int status = r.getInteger("status", 500);
              Object retry = r.remove("retryAfter");
              r.remove("status");
              batch.get(i).answer().complete(new Answer(status, r.toBuffer(), retry == null ? null : retry.toString()));
            }
          }
          pump();
        });
  }

  private static JsonObject bodyOrEmpty(String s) {
    try {
      return s == null ? new JsonObject() : new JsonObject(s);
    } catch (RuntimeException e) {
      return new JsonObject().put("error", "balancer_error").put("message", s);
    }
  }
}
