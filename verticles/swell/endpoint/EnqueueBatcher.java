package swell.endpoint;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import swell.common.ApiError;
import swell.common.EnqueueFrames.Frame;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Coalesces enqueues into few forwards. While fewer than {@code maxInFlight} batches are on their
 * way, a work goes out at once (alone, at low load: no added latency); otherwise it waits for the
 * next batch, which takes everything waiting then. Under load one forward and one commit carry
 * dozens of works, which is what lets a durable enqueue approach the speed of a bare HTTP answer.
 * At most {@code maxWaiting} works wait; past that a work is refused as busy. Runs on its
 * endpoint's event loop only.
 */
final class EnqueueBatcher {
  /** A batch carries at most this many bytes of bodies, unless one work alone is larger. */
  static final int MAX_BATCH_BYTES = 4 * 1024 * 1024;

  /** The balancer's answer for one work: the status and JSON body the client gets. */
  record Answer(int status, Buffer body, String retryAfter) {
    static Answer of(ApiError e) {
      return new Answer(e.status(), e.toJson().toBuffer(),
          e.retryAfterSeconds() == null ? null : e.retryAfterSeconds().toString());
    }
  }

  private record Waiting(Frame frame, Promise<Answer> answer) {
  }

  private final BatchForward forward;
  private final EndpointMeters meters;
  private final int maxInFlight;
  private final int maxBatch;
  private final int maxWaiting;
  private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
  private int inFlight;

  EnqueueBatcher(BatchForward forward, EndpointMeters meters, int maxInFlight, int maxBatch, int maxWaiting) {
    this.forward = forward;
    this.meters = meters;
    this.maxInFlight = maxInFlight;
    this.maxBatch = maxBatch;
    this.maxWaiting = maxWaiting;
  }

  /** True when a work submitted now would be refused: checked before a body is read, to refuse it unread. */
  boolean full() {
    return waiting.size() >= maxWaiting;
  }

  Future<Answer> submit(Frame frame) {
    if (full()) {
      return Future.failedFuture(busy());
    }
    Promise<Answer> p = Promise.promise();
    waiting.addLast(new Waiting(frame, p));
    pump();
    return p.future();
  }

  static ApiError busy() {
    return ApiError.unavailable("busy", "the endpoint has as many works waiting for the balancer as it may "
        + "hold (forwardQueueMax); retry later", 1);
  }

  private void pump() {
    while (inFlight < maxInFlight && !waiting.isEmpty()) {
      List<Frame> frames = new ArrayList<>();
      List<Promise<Answer>> answers = new ArrayList<>();
      int bytes = 0;
      while (!waiting.isEmpty() && frames.size() < maxBatch) {
        int next = waiting.peekFirst().frame().encodedSize();
        if (!frames.isEmpty() && bytes + next > MAX_BATCH_BYTES) {
          break;
        }
        bytes += next;
        Waiting w = waiting.pollFirst();
        frames.add(w.frame());
        answers.add(w.answer());
      }
      send(frames, answers);
    }
  }

  /** Sends one batch; from here on only the batch holds the bodies, until it is answered. */
  private void send(List<Frame> frames, List<Promise<Answer>> answers) {
    inFlight++;
    meters.batchWorks.record(frames.size());
    UUID[] ids = new UUID[frames.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = frames.get(i).id();
    }
    long start = System.nanoTime();
    forward.send(frames).onComplete(ar -> {
      EndpointMeters.record(meters.enqueueForward, start);
      inFlight--;
      settle(ids, answers, ar);
      pump();
    });
  }

  private void settle(UUID[] ids, List<Promise<Answer>> answers, AsyncResult<BatchForward.Reply> ar) {
    if (ar.failed()) {
      if (ar.cause() instanceof BalancerClient.OutcomeUnknown) {
        meters.enqueueUnknown.increment(ids.length);
        for (int i = 0; i < ids.length; i++) {
          answers.get(i).complete(unknown(ids[i]));
        }
        return;
      }
      ApiError e = ar.cause() instanceof ApiError a ? a
          : ApiError.unavailable("no_balancer", "no balancer is reachable right now; retry later", 1);
      answers.forEach(p -> p.fail(e));
      return;
    }
    BatchForward.Reply reply = ar.result();
    if (reply.status() != 200) {
      // The whole batch was refused (a full store, say) and nothing of it stored: every work gets that answer.
      JsonObject why = reply.body() != null ? reply.body()
          : new JsonObject().put("error", "balancer_error").put("message", "the balancer answered " + reply.status());
      Answer same = new Answer(reply.status(), why.toBuffer(), reply.retryAfter());
      answers.forEach(p -> p.complete(same));
      return;
    }
    try {
      JsonArray results = reply.body().getJsonArray("results");
      for (int i = 0; i < ids.length; i++) {
        JsonObject r = results.getJsonObject(i);
        String id = r.getString("id");
        if (id != null) {
          // The common answer, written by hand: a JSON encoder per work costs more than the rest.
          answers.get(i).complete(new Answer(200, Buffer.buffer("{\"id\":\"" + id + "\"}"), null));
          continue;
        }
        int status = r.getInteger("status", 500);
        Object retry = r.remove("retryAfter");
        r.remove("status");
        answers.get(i).complete(new Answer(status, r.toBuffer(), retry == null ? null : retry.toString()));
      }
    } catch (RuntimeException e) {
      // A 200 the endpoint cannot read: the works may well be stored, so no client may be told otherwise.
      int unknown = 0;
      for (int i = 0; i < ids.length; i++) {
        if (answers.get(i).tryComplete(unknown(ids[i]))) {
          unknown++;
        }
      }
      meters.enqueueUnknown.increment(unknown);
    }
  }

  private static Answer unknown(UUID id) {
    return Answer.of(ApiError.outcomeUnknown("the work was sent to a balancer but no usable answer came back, so it "
        + "may or may not be stored; ask GET /work/" + id + " before enqueueing it again", id));
  }

}
