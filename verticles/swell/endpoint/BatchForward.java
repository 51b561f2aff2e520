package swell.endpoint;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import swell.common.ApiError;
import swell.common.EnqueueFrames;
import swell.common.EnqueueFrames.Frame;
import swell.common.InJvm;

import java.util.List;

/**
 * How an endpoint hands a batch of works to a balancer: over HTTP in its binary frames, or, in the
 * {@code local} role where both run in one JVM, as the list itself over the event bus. Either way
 * the answer is the balancer's: per-work answers with a 200, or a refusal of the whole batch, which
 * stored nothing. A forward that surely never arrived fails with an {@link ApiError}; one whose fate
 * is unknown fails with {@link BalancerClient.OutcomeUnknown}.
 */
@FunctionalInterface
interface BatchForward {

  /** A balancer's answer to a batch: {@code {"results":[...]}} with a 200, else why it refused it all. */
  record Reply(int status, String retryAfter, JsonObject body) {
  }

  Future<Reply> send(List<Frame> frames);

  /** Over HTTP, to the balancers the client rotates over. */
  static BatchForward http(BalancerClient balancers) {
    return frames -> balancers.sendBatch(EnqueueFrames.encode(frames))
        .map(r -> new Reply(r.status(), r.retryAfter(), json(r.body() == null ? null : r.body().toString())));
  }

  /** To the balancer in this JVM that serves {@code address} (see {@code ClientRoutes.serveInJvm}). */
  static BatchForward inJvm(Vertx vertx, String address, long timeoutMs) {
    InJvm.register(vertx);
    return frames -> vertx.eventBus().<JsonObject>request(address, frames, InJvm.request(timeoutMs))
        .map(m -> new Reply(200, null, m.body()))
        .recover(e -> {
          if (!(e instanceof ReplyException re)) {
            return Future.failedFuture(e);
          }
          return switch (re.failureType()) {
            case NO_HANDLERS -> Future.failedFuture(ApiError.unavailable("no_balancer",
                "the balancer is not serving yet; retry later", 1));
            case TIMEOUT -> Future.failedFuture(new BalancerClient.OutcomeUnknown("the balancer in this JVM", re));
            default -> Future.succeededFuture(new Reply(re.failureCode(), "1", json(re.getMessage())));
          };
        });
  }

  /** A JSON object, or null for anything that is not one (the caller decides what that means). */
  private static JsonObject json(String text) {
    try {
      return text == null || text.isEmpty() ? null : new JsonObject(text);
    } catch (RuntimeException e) {
      return null;
    }
  }
}
