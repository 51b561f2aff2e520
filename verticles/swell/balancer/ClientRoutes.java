package swell.balancer;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import swell.common.ApiError;
import swell.common.EnqueueFrames;
import swell.common.InJvm;
import swell.common.Params;
import swell.common.WorkIds;
import swell.common.WorkLog;
import swell.store.CompletedWork;
import swell.store.EnqueueOutcome;
import swell.store.NewWork;
import swell.store.WorkStore;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.LongSupplier;

/**
 * The balancer's routes for endpoints: enqueue (one work, or a batch in one commit), pull,
 * acknowledge and look up. Each parses, calls the store and answers; the owner of the works comes
 * from the endpoint (the batch frames, or the {@code Swell-Owner} header), which authenticated the
 * client.
 */
final class ClientRoutes {
  /** The header an endpoint names the client key's owner in; absent for the anonymous owner. */
  static final String OWNER_HEADER = "Swell-Owner";
  /** Owner names and idempotency keys longer than this are refused: they are stored with every work. */
  static final int MAX_NAME_CHARS = 200;
  /** Headroom of a batch over its bodies: ids, lengths, owners and keys of up to a few thousand works. */
  private static final long BATCH_FRAMING_BYTES = 8L * 1024 * 1024;

  private final BalancerConfig cfg;
  private final WorkStore store;
  private final LongSupplier clock;
  private final Context context;
  private final PullWaiters pulls;
  /** Told when works were stored, so waiting workers get them. */
  private final Runnable onNewWork;
  /** Counts the works stored and results pulled here, for the dashboard. */
  private final StatusHistory history;

  ClientRoutes(BalancerConfig cfg, WorkStore store, LongSupplier clock, Context context, PullWaiters pulls,
               Runnable onNewWork, StatusHistory history) {
    this.cfg = cfg;
    this.store = store;
    this.clock = clock;
    this.context = context;
    this.pulls = pulls;
    this.onNewWork = onNewWork;
    this.history = history;
  }

  void mount(Router router) {
    router.put("/enqueue").handler(this::checkEnqueueParams);
    router.put("/enqueue").handler(BodyHandler.create(false).setBodyLimit(cfg.limits().maxBodyBytes()));
    router.put("/enqueue").respond(this::enqueue);
    router.post("/enqueue_batch").handler(BodyHandler.create(false)
        .setBodyLimit(cfg.limits().maxBodyBytes() + BATCH_FRAMING_BYTES));
    router.post("/enqueue_batch").respond(this::enqueueBatch);
    router.post("/pullCompleted").handler(this::pullCompleted);
    router.post("/ackCompleted").handler(BodyHandler.create(false).setBodyLimit(1024 * 1024));
    router.post("/ackCompleted").respond(this::ackCompleted);
    router.get("/work/:id").respond(this::work);
  }

  private static String owner(RoutingContext ctx) {
    String owner = ctx.request().getHeader(OWNER_HEADER);
    if (owner == null) {
      return "";
    }
    if (owner.length() > MAX_NAME_CHARS) {
      throw ApiError.badRequest(OWNER_HEADER, "must be at most " + MAX_NAME_CHARS + " characters");
    }
    return owner;
  }

  private void checkEnqueueParams(RoutingContext ctx) {
    int iterations = Params.intParam(ctx, "iterations", 1, cfg.limits().maxIterations());
    String id = ctx.request().getParam("id");
    if (id != null && WorkIds.parse(id) == null) {
      throw ApiError.badRequest("id", "must be a UUID");
    }
    ctx.put("iterations", iterations);
    ctx.next();
  }

  private Future<JsonObject> enqueue(RoutingContext ctx) {
    int iterations = ctx.get("iterations");
    long now = clock.getAsLong();
    String idParam = ctx.request().getParam("id");
    UUID id = idParam != null ? WorkIds.parse(idParam) : WorkIds.next(now);
    Buffer body = ctx.body().buffer();
    String key = ctx.request().getHeader("Idempotency-Key");
    if (key != null && (key.isEmpty() || key.length() > MAX_NAME_CHARS)) {
      throw ApiError.badRequest("Idempotency-Key", "must be 1 to " + MAX_NAME_CHARS + " characters");
    }
    NewWork work = new NewWork(id, owner(ctx), iterations, body == null ? new byte[0] : body.getBytes(), key, now);
    return Future.fromCompletionStage(store.enqueue(List.of(work)), context)
        .recover(e -> Future.failedFuture(StoreErrors.toApi(e)))
        .map(outcomes -> {
          EnqueueOutcome outcome = outcomes.get(0);
          if (!outcome.stored()) {
            throw refusal(outcome.result());
          }
          if (outcome.created()) {
            history.enqueued(1);
            WorkLog.enqueued(outcome.id(), work.owner());
            onNewWork.run();
          }
          return new JsonObject().put("id", outcome.id().toString());
        });
  }

  /** The 503 for a work {@link swell.store.Admission} refused. */
  static ApiError refusal(EnqueueOutcome.Result result) {
    return switch (result) {
      case RESULTS_FULL -> ApiError.unavailable("results_full", "maxCompleted results wait to be pulled;"
          + " pull them, or retry later", 1);
      default -> ApiError.unavailable("queue_full", "the queue holds its maximum of pending works; retry later", 1);
    };
  }

  /**
   * Many enqueues from one endpoint in one request and one commit. Each work is checked and
   * answered on its own, in order, so one bad or refused work does not fail its neighbours. A
   * status other than 200 means nothing of the batch was stored, so the endpoint may send it
   * elsewhere.
   */
  private Future<JsonObject> enqueueBatch(RoutingContext ctx) {
    List<EnqueueFrames.Frame> frames;
    try {
      frames = EnqueueFrames.decode(ctx.body().buffer() == null ? Buffer.buffer() : ctx.body().buffer());
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest("body", "is not a well-formed enqueue batch: " + e.getMessage());
    }
    return enqueueFrames(frames);
  }

  /**
   * Takes batches from endpoints in the same JVM over the event bus at {@code address}: the same
   * as {@code /enqueue_batch}, without the HTTP hop, the encoding and the copies. The answer is the
   * same JSON object; a failure is a store that could not write (nothing stored).
   */
  void serveInJvm(Vertx vertx, String address) {
    InJvm.register(vertx);
    vertx.eventBus().<List<EnqueueFrames.Frame>>localConsumer(address, msg -> enqueueFrames(msg.body())
        .onSuccess(answers -> msg.reply(answers, InJvm.reply()))
        .onFailure(e -> {
          ApiError a = e instanceof ApiError api ? api
              : new ApiError(500, "internal", "the balancer failed to store the batch; it was logged", null);
          msg.fail(a.status(), a.toJson().encode());
        }));
  }

  /** Stores a batch of framed works, each checked and answered on its own; see {@link #enqueueBatch}. */
  Future<JsonObject> enqueueFrames(List<EnqueueFrames.Frame> frames) {
    long now = clock.getAsLong();
    JsonObject[] answers = new JsonObject[frames.size()];
    List<NewWork> valid = new ArrayList<>(frames.size());
    List<Integer> validAt = new ArrayList<>(frames.size());
    for (int i = 0; i < frames.size(); i++) {
      EnqueueFrames.Frame f = frames.get(i);
      ApiError refused = check(f);
      if (refused != null) {
        answers[i] = errorAnswer(refused);
      } else {
        valid.add(new NewWork(f.id(), f.owner(), f.iterations(), f.body().getBytes(), f.idempotencyKey(), now));
        validAt.add(i);
      }
    }
    Future<List<EnqueueOutcome>> stored = valid.isEmpty() ? Future.succeededFuture(List.of())
        : Future.fromCompletionStage(store.enqueue(valid), context);
    return stored.recover(e -> Future.failedFuture(StoreErrors.toApi(e))).map(outcomes -> {
      int created = 0;
      for (int j = 0; j < outcomes.size(); j++) {
        EnqueueOutcome o = outcomes.get(j);
        answers[validAt.get(j)] = o.stored() ? new JsonObject().put("id", o.id().toString())
            : errorAnswer(refusal(o.result()));
        if (o.created()) {
          WorkLog.enqueued(o.id(), valid.get(j).owner());
          created++;
        }
      }
      if (created > 0) {
        history.enqueued(created);
        onNewWork.run();
      }
      return new JsonObject().put("results", new JsonArray(List.of((Object[]) answers)));
    });
  }

  /** What is wrong with one framed work, or null; the endpoint checked the same, so this is a guard. */
  private ApiError check(EnqueueFrames.Frame f) {
    if (f.iterations() < 1 || f.iterations() > cfg.limits().maxIterations()) {
      return ApiError.badRequest("iterations", "must be an integer from 1 to " + cfg.limits().maxIterations()
          + ", not " + f.iterations());
    }
    if (f.body().length() > cfg.limits().maxBodyBytes()) {
      return ApiError.bodyTooLarge("the balancer's ", cfg.limits().maxBodyBytes());
    }
    if (f.owner().length() > MAX_NAME_CHARS) {
      return ApiError.badRequest("owner", "must be at most " + MAX_NAME_CHARS + " characters");
    }
    if (f.idempotencyKey() != null && (f.idempotencyKey().isEmpty() || f.idempotencyKey().length() > MAX_NAME_CHARS)) {
      return ApiError.badRequest("Idempotency-Key", "must be 1 to " + MAX_NAME_CHARS + " characters");
    }
    return null;
  }

  private static JsonObject errorAnswer(ApiError e) {
    JsonObject j = e.toJson().put("status", e.status());
    if (e.retryAfterSeconds() != null) {
      j.put("retryAfter", e.retryAfterSeconds());
    }
    return j;
  }

  /** A pull, at once or (with {@code waitMs}) as soon as one of the owner's results is there. */
  private void pullCompleted(RoutingContext ctx) {
    String owner = owner(ctx);
    int top = Params.intParam(ctx, "top", 1, cfg.limits().maxTop());
    long ackMs = Params.optionalLong(ctx, "ackMs", 0, 1, cfg.maxAckMs());
    long waitMs = Params.optionalLong(ctx, "waitMs", 0, 0, cfg.maxWaitMs());
    PullWaiters.Waiting waiting = pulls.submit(new PullWaiters.Pull() {
      @Override
      public String owner() {
        return owner;
      }

      @Override
      public int top() {
        return top;
      }

      @Override
      public long ackMs() {
        return ackMs;
      }

      @Override
      public void answer(List<CompletedWork> results) {
        if (!ctx.response().closed() && !ctx.response().ended()) {
          history.pulled(results.size());
          ctx.response().putHeader("Content-Type", "application/json").end(WireJson.results(results));
        }
      }

      @Override
      public void answerFailure(Throwable cause) {
        ctx.fail(StoreErrors.toApi(cause));
      }
    }, waitMs);
    if (waitMs > 0) {
      ctx.response().closeHandler(v -> waiting.cancel());
    }
  }

  private Future<JsonObject> ackCompleted(RoutingContext ctx) {
    List<UUID> ids = idsOf(ctx);
    return Future.fromCompletionStage(store.ack(owner(ctx), ids, clock.getAsLong()), context)
        .recover(e -> Future.failedFuture(StoreErrors.toApi(e)))
        .map(n -> new JsonObject().put("acked", n));
  }

  /** {@code {"ids":[...]}} with at most {@code maxTop} work ids, or a 400 saying what is wrong. */
  private List<UUID> idsOf(RoutingContext ctx) {
    String rule = "must be a JSON object {\"ids\": [...]} with at most " + cfg.limits().maxTop() + " work ids";
    Object ids;
    try {
      JsonObject body = ctx.body().asJsonObject();
      ids = body == null ? null : body.getValue("ids");
    } catch (RuntimeException e) {
      throw ApiError.badRequest("ids", rule);
    }
    if (!(ids instanceof JsonArray arr) || arr.size() > cfg.limits().maxTop()) {
      throw ApiError.badRequest("ids", rule);
    }
    List<UUID> out = new ArrayList<>(arr.size());
    for (Object o : arr) {
      UUID id = o instanceof String s ? WorkIds.parse(s) : null;
      if (id == null) {
        throw ApiError.badRequest("ids", rule + "; \"" + o + "\" is not a work id");
      }
      out.add(id);
    }
    return out;
  }

  private Future<JsonObject> work(RoutingContext ctx) {
    UUID id = WorkIds.parse(ctx.pathParam("id"));
    if (id == null) {
      return Future.failedFuture(ApiError.notFound("no work with id " + ctx.pathParam("id")));
    }
    return Future.fromCompletionStage(store.find(owner(ctx), id, clock.getAsLong()), context)
        .recover(e -> Future.failedFuture(StoreErrors.toApi(e)))
        .compose(found -> found.map(WireJson::work)
            .map(Future::succeededFuture)
            .orElseGet(() -> Future.failedFuture(ApiError.notFound("no work with id " + id + " (unknown or expired)"))));
  }
}
