package swell.balancer;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import swell.common.ApiError;
import swell.common.Hex;
import swell.common.HttpErrors;
import swell.common.Params;
import swell.common.WorkIds;
import swell.common.WorkLog;
import swell.store.Completion;
import swell.store.LeasedWork;
import swell.store.WorkStore;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The balancer's routes for workers: register, long-poll for work, report results, heartbeat,
 * leave. Each parses, hands over to the store, the dispatcher or the scaler, and answers.
 */
final class WorkerRoutes {
  private static final Logger log = LoggerFactory.getLogger(WorkerRoutes.class);
  /** The header a worker names itself in on every request. */
  static final String WORKER_HEADER = "Swell-Worker";
  /** Worker ids longer than this are refused: they are logged and shown in /status. */
  private static final int MAX_WORKER_ID = 200;
  /** Register, heartbeat and result reports are small JSON: 256 results of 128 hex digits are ~50 KiB. */
  private static final long MAX_JSON_BYTES = 16L * 1024 * 1024;

  private final BalancerConfig cfg;
  private final WorkStore store;
  private final PollDispatcher dispatcher;
  private final WorkerRegistry workers;
  private final FleetScaler scaler;
  private final LongSupplier clock;
  private final Context context;
  /** Told when works went back to the queue, so waiting workers get them. */
  private final Runnable onReturnedWork;
  /** Told when results were recorded, so waiting pulls get them. */
  private final Runnable onResults;
  /** The balancers a worker may poll: this one alone, or every balancer of the cluster that is up. */
  private final Supplier<List<String>> balancerUrls;
  /** Counts the results recorded here and their enqueue-to-result latency, for the dashboard. */
  private final StatusHistory history;
  /** Results refused because the reporting worker did not hold the lease, and duplicates, for /status. */
  private long resultsNotHolder;
  private long resultsDuplicate;

  WorkerRoutes(BalancerConfig cfg, WorkStore store, PollDispatcher dispatcher, WorkerRegistry workers,
               FleetScaler scaler, LongSupplier clock, Context context, Runnable onReturnedWork, Runnable onResults,
               Supplier<List<String>> balancerUrls, StatusHistory history) {
    this.cfg = cfg;
    this.store = store;
    this.dispatcher = dispatcher;
    this.workers = workers;
    this.scaler = scaler;
    this.clock = clock;
    this.context = context;
    this.onReturnedWork = onReturnedWork;
    this.onResults = onResults;
    this.balancerUrls = balancerUrls;
    this.history = history;
  }

  void mount(Router router) {
    BodyHandler json = BodyHandler.create(false).setBodyLimit(MAX_JSON_BYTES);
    router.post("/workers/register").handler(json).respond(this::register);
    router.post("/get_work").handler(this::getWork);
    router.post("/send_completed_work").handler(json).respond(this::sendCompletedWork);
    router.post("/workers/heartbeat").handler(json).respond(this::heartbeat);
    router.post("/workers/leaving").handler(json).respond(this::leaving);
  }

  JsonObject resultsJson() {
    return new JsonObject().put("refusedNotLeaseHolder", resultsNotHolder).put("ignoredDuplicates", resultsDuplicate);
  }

  // ---- parsing -----------------------------------------------------------------------------

  private static JsonObject jsonBody(RoutingContext ctx) {
    try {
      JsonObject body = ctx.body().asJsonObject();
      if (body == null) {
        throw ApiError.badRequest("body", "must be a JSON object");
      }
      return body;
    } catch (io.vertx.core.json.DecodeException | ClassCastException e) {
      throw ApiError.badRequest("body", "must be a JSON object");
    }
  }

  private static String checkWorkerId(String name, Object id) {
    if (!(id instanceof String s) || s.isBlank() || s.length() > MAX_WORKER_ID) {
      throw ApiError.badRequest(name, "must be a non-empty string of at most " + MAX_WORKER_ID + " characters");
    }
    return s;
  }

  private static String headerWorker(RoutingContext ctx) {
    return checkWorkerId(WORKER_HEADER, ctx.request().getHeader(WORKER_HEADER));
  }

  /** A JSON array field, or a 400 naming it: a string or object where a list belongs is the client's error. */
  private static JsonArray array(JsonObject body, String field, String rule, boolean required) {
    Object v = body.getValue(field);
    if (v == null && !required) {
      return new JsonArray();
    }
    if (!(v instanceof JsonArray a)) {
      throw ApiError.badRequest(field, rule);
    }
    return a;
  }

  /** A heartbeat's stats are advisory: anything but a number is NaN, which the record ignores, never a 400. */
  private static double number(JsonObject o, String field) {
    return o.getValue(field) instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  // ---- routes ------------------------------------------------------------------------------

  private Future<JsonObject> register(RoutingContext ctx) {
    JsonObject body = jsonBody(ctx);
    String id = checkWorkerId("workerId", body.getValue("workerId"));
    int threads = body.getValue("threads") instanceof Number n ? n.intValue() : 0;
    WorkerRecord w = noteSeen(id, body.getString("instanceId"), threads);
    log.atInfo().addKeyValue("event", "worker_registered").addKeyValue("workerId", id)
        .addKeyValue("workerInstanceId", body.getString("instanceId", "")).addKeyValue("threads", threads)
        .log("worker {} registered ({} threads, instance {})", id, threads, body.getString("instanceId", "-"));
    return Future.succeededFuture(new JsonObject()
        .put("leaseMs", cfg.leaseMs())
        .put("retire", w.state().leaving()));
  }

  /** Every contact counts as a sign of life; the first from a launched worker means it booted. */
  private WorkerRecord noteSeen(String id, String instanceId, int threads) {
    WorkerRecord before = workers.get(id);
    boolean wasLaunching = before != null && before.state() == WorkerState.LAUNCHING;
    WorkerRecord w = workers.seen(id, instanceId, threads, clock.getAsLong());
    if (wasLaunching) {
      scaler.launchSucceeded(id);
    }
    return w;
  }

  private void getWork(RoutingContext ctx) {
    String id;
    int max;
    long waitMs;
    try {
      id = headerWorker(ctx);
      max = (int) Params.optionalLong(ctx, "max", 1, 1, cfg.maxLeaseBatch());
      waitMs = Params.optionalLong(ctx, "waitMs", 0, 0, cfg.maxWaitMs());
    } catch (ApiError e) {
      HttpErrors.send(ctx, e);
      return;
    }
    WorkerRecord w = noteSeen(id, null, 0);
    HttpPoll poll = new HttpPoll(ctx, w, max);
    if (w.state().leaving()) {
      poll.answerRetire();
      return;
    }
    PollDispatcher.Waiting waiting = dispatcher.submit(poll, waitMs);
    ctx.response().closeHandler(v -> waiting.cancel());
  }

  /** A long-poll over HTTP: the answers {@link PollDispatcher} gives, written to the response. */
  private final class HttpPoll implements PollDispatcher.Poll {
    private final RoutingContext ctx;
    private final WorkerRecord worker;
    private final int max;

    HttpPoll(RoutingContext ctx, WorkerRecord worker, int max) {
      this.ctx = ctx;
      this.worker = worker;
      this.max = max;
    }

    @Override
    public String workerId() {
      return worker.id();
    }

    @Override
    public int max() {
      return max;
    }

    @Override
    public boolean answerWorks(List<LeasedWork> works) {
      HttpServerResponse resp = ctx.response();
      if (resp.closed() || resp.ended()) {
        return false;
      }
      Buffer body;
      try {
        body = WireJson.leases(works, cfg.leaseMs());
      } catch (RuntimeException | OutOfMemoryError e) {
        // The works go back; the worker hears a 500 and polls again, rather than waiting forever.
        log.error("could not write a lease of {} works for worker {}", works.size(), worker.id(), e);
        HttpErrors.send(ctx, new ApiError(500, "internal", "the lease could not be written; poll again", null));
        return false;
      }
      worker.lastWorkAt = clock.getAsLong();
      for (LeasedWork w : works) {
        WorkLog.leased(w.id(), worker.id(), w.attempts());
      }
      resp.putHeader("Content-Type", "application/json").end(body);
      return true;
    }

    @Override
    public void answerEmpty() {
      if (!ctx.response().closed() && !ctx.response().ended()) {
        ctx.response().setStatusCode(204).end();
      }
    }

    @Override
    public void answerRetire() {
      if (!ctx.response().closed() && !ctx.response().ended()) {
        ctx.json(new JsonObject().put("works", new JsonArray()).put("retire", true));
      }
    }

    @Override
    public void answerFailure(Throwable cause) {
      Throwable t = StoreErrors.toApi(cause);
      if (t instanceof ApiError a) {
        HttpErrors.send(ctx, a);
      } else {
        ctx.fail(t);
      }
    }
  }

  private Future<JsonObject> sendCompletedWork(RoutingContext ctx) {
    String workerId = headerWorker(ctx);
    String rule = "must be a list of {id, result}, each a UUID and a 128-character hex digest";
    JsonArray results = array(jsonBody(ctx), "results", rule, true);
    List<Completion> completions = new ArrayList<>(results.size());
    for (Object o : results) {
      UUID id = o instanceof JsonObject r ? WorkIds.parse(r.getValue("id") instanceof String s ? s : null) : null;
      String hex = o instanceof JsonObject r && r.getValue("result") instanceof String s ? s : null;
      if (id == null || hex == null || hex.length() != 128) {
        throw ApiError.badRequest("results", rule);
      }
      try {
        completions.add(new Completion(id, Hex.decode(hex)));
      } catch (IllegalArgumentException e) {
        throw ApiError.badRequest("results", "result of " + id + " is not hex");
      }
    }
    long now = clock.getAsLong();
    for (Completion c : completions) {
      WorkLog.completed(c.id(), workerId);
    }
    return Future.fromCompletionStage(store.complete(workerId, completions, now), context)
        .recover(e -> Future.failedFuture(StoreErrors.toApi(e)))
        .map(outcome -> {
          WorkerRecord w = workers.get(workerId);
          if (w != null) {
            w.recordCompleted(outcome.recorded());
            w.lastSeen = now;
          }
          if (outcome.recorded() > 0) {
            // The store says how many, not which: a report mixing recorded and ignored results (a
            // duplicate after an expired lease) is rare, so the first ones stand for the recorded.
            history.completed(now, completions.subList(0, outcome.recorded()).stream().map(Completion::id).toList());
            onResults.run();
          }
          resultsNotHolder += outcome.notHolder();
          resultsDuplicate += outcome.duplicates();
          if (outcome.notHolder() > 0) {
            log.warn("worker {} reported {} results for works it does not hold; ignored", workerId,
                outcome.notHolder());
          }
          return new JsonObject()
              .put("accepted", completions.size())
              .put("recorded", outcome.recorded())
              .put("duplicates", outcome.duplicates())
              .put("notLeaseHolder", outcome.notHolder());
        });
  }

  private Future<JsonObject> heartbeat(RoutingContext ctx) {
    JsonObject body = jsonBody(ctx);
    String id = checkWorkerId("workerId", body.getValue("workerId"));
    JsonArray running = array(body, "running", "must be a list of work ids", false);
    List<UUID> ids = new ArrayList<>(running.size());
    for (Object o : running) {
      UUID u = o instanceof String s ? WorkIds.parse(s) : null;
      if (u == null) {
        throw ApiError.badRequest("running", "must be a list of work ids");
      }
      ids.add(u);
    }
    WorkerRecord w = noteSeen(id, body.getString("instanceId"), 0);
    long now = clock.getAsLong();
    if (body.getValue("stats") instanceof JsonObject stats) {
      w.reportStats(number(stats, "hashRate"), number(stats, "busyFraction"), number(stats, "completed"),
          number(stats, "threads"), now);
    }
    return Future.fromCompletionStage(store.extend(id, ids, now, cfg.leaseMs()), context)
        .recover(e -> Future.failedFuture(StoreErrors.toApi(e)))
        .map(held -> {
          if (held > 0) {
            w.lastWorkAt = now; // computing a long work is not idleness
          }
          JsonObject answer = new JsonObject().put("held", held).put("retire", w.state().leaving());
          List<String> cluster = balancerUrls.get();
          if (cluster.size() > 1) {
            answer.put("balancerUrls", new JsonArray(cluster)); // so the worker follows the cluster
          }
          return answer;
        });
  }

  private Future<JsonObject> leaving(RoutingContext ctx) {
    String id = checkWorkerId("workerId", jsonBody(ctx).getValue("workerId"));
    if (!id.equals(ctx.request().getHeader(WORKER_HEADER))) {
      throw ApiError.badRequest("workerId", "must be the worker named in the " + WORKER_HEADER
          + " header: a worker can only say that it leaves itself");
    }
    log.atInfo().addKeyValue("event", "worker_leaving").addKeyValue("workerId", id).log("worker {} is leaving", id);
    dispatcher.retire(id);
    scaler.left(id);
    // A worker we never knew may still hold leases from before a restart.
    return Future.fromCompletionStage(store.releaseWorker(id, clock.getAsLong()), context)
        .recover(e -> Future.failedFuture(StoreErrors.toApi(e)))
        .map(released -> {
          if (!released.isEmpty()) {
            log.atInfo().addKeyValue("event", "worker_left").addKeyValue("workerId", id)
                .log("worker {} left: {} works back in the queue: {}", id, released.size(), Abbreviate.ids(released));
            onReturnedWork.run();
          }
          return new JsonObject().put("ok", true);
        });
  }
}
