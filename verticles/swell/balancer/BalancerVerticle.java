package swell.balancer;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.TimeoutHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import swell.common.ApiError;
import swell.common.EnqueueFrames;
import swell.common.Hex;
import swell.common.HttpErrors;
import swell.common.Params;
import swell.common.WorkIds;
import swell.fleet.Fleet;
import swell.fleet.Fleets;
import swell.store.Completion;
import swell.store.EnqueueOutcome;
import swell.store.ExpiryOutcome;
import swell.store.LeasedWork;
import swell.store.NewWork;
import swell.store.QueueFullException;
import swell.store.QueueStats;
import swell.store.WorkInfo;
import swell.store.WorkStore;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.function.LongSupplier;

/**
 * The balancer: a thin HTTP shell over the work store (queues and leases), the worker registry and
 * the scaler. It serves endpoints (enqueue, pull, lookup) and workers (long-polled leases, results,
 * heartbeats), all behind the cluster token.
 */
public final class BalancerVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(BalancerVerticle.class);
  private static final long PURGE_EVERY_MS = 60_000;

  private final BalancerConfig cfg;
  private final LongSupplier clock;
  private final FleetFactory fleets;
  private final byte[] expectedAuth;
  private WorkStore store;
  private Fleet fleet;
  private final WorkerRegistry workers = new WorkerRegistry();
  private FleetScaler scaler;
  private HttpServer server;
  /** Until the fleet is reconciled every request is answered {@link #starting}, not routed. */
  private boolean reconciled;
  /** Workers waiting in a long-poll, oldest first. */
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
  private final List<Long> timers = new ArrayList<>();

  public BalancerVerticle(BalancerConfig cfg) {
    this(cfg, System::currentTimeMillis);
  }

  public BalancerVerticle(BalancerConfig cfg, LongSupplier clock) {
    this(cfg, clock, (vertx, url) -> Fleets.create(vertx, cfg.fleet(), url, cfg.clusterToken(), cfg.dataDir()));
  }

  BalancerVerticle(BalancerConfig cfg, LongSupplier clock, FleetFactory fleets) {
    this.cfg = cfg;
    this.clock = clock;
    this.fleets = fleets;
    this.expectedAuth = ("Bearer " + cfg.clusterToken()).getBytes(StandardCharsets.UTF_8);
  }

  /** The port the balancer listens on, once started (useful when configured as 0). */
  public int port() {
    return server.actualPort();
  }

  @Override
  public Future<?> start() {
    store = cfg.store().create(cfg.storeLimits());
    return Future.fromCompletionStage(store.open(clock.getAsLong()), context)
        // Bound first, since the URL workers get needs the port; but it answers only 503 until the
        // fleet is reconciled: a worker served before would be taken for a hand-started one.
        .compose(v -> listen())
        .compose(v -> {
          String selfUrl = "http://" + advertisedHost() + ":" + port();
          fleet = fleets.create(vertx, selfUrl);
          ScalingPolicy policy = new ScalingPolicy(cfg.scaling(), !"none".equals(fleet.type()));
          scaler = new FleetScaler(fleet, policy, cfg.scaling(), workers, clock, this::answerRetire,
              id -> requeue(store.release(id, clock.getAsLong()), "worker " + id + " is gone"));
          return scaler.reconcile();
        })
        .onSuccess(v -> {
          reconciled = true;
          long sweepEvery = Math.max(50, Math.min(1000, cfg.leaseMs() / 4));
          timers.add(vertx.setPeriodic(sweepEvery, t -> expireLeases()));
          timers.add(vertx.setPeriodic(cfg.scaling().tickMs(), t -> scaleTick()));
          timers.add(vertx.setPeriodic(PURGE_EVERY_MS, t -> purge()));
          QueueStats s = store.stats(clock.getAsLong());
          log.info("balancer listening on {}:{} (store {}, {} pending, {} completed unpulled, fleet {})",
              cfg.host(), port(), cfg.store().type(), s.pending(), s.completedUnpulled(), fleet.type());
        });
  }

  private String advertisedHost() {
    return "0.0.0.0".equals(cfg.host()) ? "127.0.0.1" : cfg.host();
  }

  private Future<Void> listen() {
    Router router = Router.router(vertx);
    HttpErrors.install(router);
    router.route().handler(this::authorize);
    router.route().handler(TimeoutHandler.create(cfg.limits().requestTimeoutMs() + cfg.maxWaitMs(), 503));
    router.put("/enqueue").handler(this::checkEnqueueParams);
    router.put("/enqueue").handler(BodyHandler.create(false).setBodyLimit(cfg.limits().maxBodyBytes()));
    router.put("/enqueue").respond(this::enqueue);
    router.post("/enqueue_batch").handler(BodyHandler.create(false)
        .setBodyLimit((long) cfg.limits().maxBodyBytes() + 8L * 1024 * 1024));
    router.post("/enqueue_batch").respond(this::enqueueBatch);
    router.post("/pullCompleted").handler(this::pullCompleted);
    router.get("/work/:id").respond(this::work);
    router.get("/health").respond(ctx -> Future.succeededFuture(new JsonObject().put("status", "up")));
    router.get("/status").respond(this::status);
    BodyHandler json = BodyHandler.create(false).setBodyLimit(16 * 1024 * 1024);
    router.post("/workers/register").handler(json).respond(this::register);
    router.post("/get_work").handler(json).handler(this::getWork);
    router.post("/send_completed_work").handler(json).respond(this::sendCompletedWork);
    router.post("/workers/heartbeat").handler(json).respond(this::heartbeat);
    router.post("/workers/leaving").handler(json).respond(this::leaving);
    HttpServerOptions options = new HttpServerOptions()
        .setHost(cfg.host())
        .setMaxHeaderSize(cfg.limits().maxHeaderBytes())
        .setIdleTimeout(cfg.limits().idleTimeoutSeconds() + (int) (cfg.maxWaitMs() / 1000));
    return vertx.createHttpServer(options)
        .requestHandler(req -> {
          if (reconciled) {
            router.handle(req);
          } else {
            starting(req);
          }
        })
        .listen(cfg.port())
        .map(s -> {
          server = s;
          return null;
        });
  }

  /** Before the fleet is reconciled: 503 to every caller with the token, so workers and endpoints retry. */
  private void starting(HttpServerRequest req) {
    HttpErrors.send(req.response(), authorized(req) ? ApiError.unavailable("starting",
        "the balancer is starting; retry shortly", 1) : unauthorized());
  }

  @Override
  public Future<?> stop() {
    timers.forEach(vertx::cancelTimer);
    for (Waiter w : waiters) {
      w.finish(null, false);
    }
    waiters.clear();
    Future<Void> fleetClosed = fleet == null ? Future.succeededFuture() : fleet.close();
    return fleetClosed.eventually(() -> {
      if (store != null) {
        return vertx.executeBlocking(() -> {
          store.close();
          return null;
        });
      }
      return Future.succeededFuture();
    });
  }

  /** A request without the token learns nothing else. */
  private void authorize(RoutingContext ctx) {
    if (!authorized(ctx.request())) {
      HttpErrors.send(ctx, unauthorized());
      return;
    }
    ctx.next();
  }

  /** Constant-time token check. */
  private boolean authorized(HttpServerRequest req) {
    String header = req.getHeader("Authorization");
    return header != null && MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8), expectedAuth);
  }

  private static ApiError unauthorized() {
    return new ApiError(401, "unauthorized", "a valid cluster token is required", null);
  }

  // ---- endpoint-facing routes ----

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
    byte[] data = body == null ? new byte[0] : body.getBytes();
    String key = ctx.request().getHeader("Idempotency-Key");
    NewWork work = new NewWork(id, iterations, data, key, now);
    return Future.fromCompletionStage(store.enqueue(List.of(work)), context)
        .recover(e -> Future.failedFuture(translate(e)))
        .map(outcomes -> {
          if (outcomes.get(0).created()) {
            wakeWaiters();
          }
          return new JsonObject().put("id", outcomes.get(0).id().toString());
        });
  }

  /**
   * Many enqueues from one endpoint in one request and one commit. Each work is checked on its own
   * and answered on its own, in order, so one bad work does not fail its neighbours.
   */
  private Future<JsonObject> enqueueBatch(RoutingContext ctx) {
    List<EnqueueFrames.Frame> frames;
    try {
      frames = EnqueueFrames.decode(ctx.body().buffer() == null ? Buffer.buffer() : ctx.body().buffer());
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest("body", "is not a well-formed enqueue batch: " + e.getMessage());
    }
    long now = clock.getAsLong();
    JsonObject[] answers = new JsonObject[frames.size()];
    List<NewWork> valid = new ArrayList<>(frames.size());
    List<Integer> validAt = new ArrayList<>(frames.size());
    for (int i = 0; i < frames.size(); i++) {
      EnqueueFrames.Frame f = frames.get(i);
      ApiError refused = null;
      if (f.iterations() < 1 || f.iterations() > cfg.limits().maxIterations()) {
        refused = ApiError.badRequest("iterations", "must be an integer from 1 to " + cfg.limits().maxIterations()
            + ", not " + f.iterations());
      } else if (f.body().length() > cfg.limits().maxBodyBytes()) {
        refused = ApiError.bodyTooLarge("the balancer's ", cfg.limits().maxBodyBytes());
      }
      if (refused != null) {
        answers[i] = errorAnswer(refused);
      } else {
        valid.add(new NewWork(f.id(), f.iterations(), f.body().getBytes(), f.idempotencyKey(), now));
        validAt.add(i);
      }
    }
    Future<List<EnqueueOutcome>> stored = valid.isEmpty() ? Future.succeededFuture(List.of())
        : Future.fromCompletionStage(store.enqueue(valid), context);
    return stored.map(outcomes -> {
      boolean created = false;
      for (int j = 0; j < outcomes.size(); j++) {
        answers[validAt.get(j)] = new JsonObject().put("id", outcomes.get(j).id().toString());
        created |= outcomes.get(j).created();
      }
      if (created) {
        wakeWaiters();
      }
      return answers;
    }).recover(e -> {
      Throwable t = translate(e);
      if (!(t instanceof ApiError a)) {
        return Future.failedFuture(t);
      }
      for (int i : validAt) {
        answers[i] = errorAnswer(a);
      }
      return Future.succeededFuture(answers);
    }).map(all -> new JsonObject().put("results", new JsonArray(List.of((Object[]) all))));
  }

  private static JsonObject errorAnswer(ApiError e) {
    JsonObject j = e.toJson().put("status", e.status());
    if (e.retryAfterSeconds() != null) {
      j.put("retryAfter", e.retryAfterSeconds());
    }
    return j;
  }

  private Throwable translate(Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    if (cause instanceof QueueFullException q) {
      return ApiError.unavailable("queue_full", q.getMessage() + "; retry later", 1);
    }
    return cause;
  }

  private void pullCompleted(RoutingContext ctx) {
    int top = Params.intParam(ctx, "top", 1, cfg.limits().maxTop());
    Future.fromCompletionStage(store.pull(top, clock.getAsLong()), context)
        .onSuccess(works -> ctx.response().putHeader("Content-Type", "application/json").end(WireJson.results(works)))
        .onFailure(ctx::fail);
  }

  private Future<JsonObject> work(RoutingContext ctx) {
    UUID id = WorkIds.parse(ctx.pathParam("id"));
    if (id == null) {
      return Future.failedFuture(ApiError.notFound("no work with id " + ctx.pathParam("id")));
    }
    return Future.fromCompletionStage(store.find(id, clock.getAsLong()), context)
        .compose(found -> found.map(BalancerVerticle::workJson)
            .map(Future::succeededFuture)
            .orElseGet(() -> Future.failedFuture(ApiError.notFound("no work with id " + id + " (unknown or expired)"))));
  }

  static JsonObject workJson(WorkInfo w) {
    JsonObject j = new JsonObject()
        .put("id", w.id().toString())
        .put("status", w.status().wireName())
        .put("iterations", w.iterations())
        .put("attempts", w.attempts());
    if (w.enqueuedAt() > 0) {
      j.put("enqueuedAt", Instant.ofEpochMilli(w.enqueuedAt()).toString());
    }
    if (w.result() != null) {
      j.put("result", Hex.encode(w.result()));
    }
    if (w.finishedAt() != null) {
      j.put(w.status() == swell.store.WorkStatus.FAILED ? "failedAt" : "completedAt",
          Instant.ofEpochMilli(w.finishedAt()).toString());
    }
    if (w.workerId() != null) {
      j.put("workerId", w.workerId());
    }
    if (w.pulled()) {
      j.put("pulled", true);
    }
    return j;
  }

  private Future<JsonObject> status(RoutingContext ctx) {
    long now = clock.getAsLong();
    QueueStats s = store.stats(now);
    return Future.succeededFuture(new JsonObject()
        .put("pending", s.pending())
        .put("oldestPendingAgeMs", s.oldestPendingAgeMs())
        .put("leased", s.leased())
        .put("completedUnpulled", s.completedUnpulled())
        .put("failed", s.failed())
        .put("store", cfg.store().type())
        .put("workers", workers.toJson(now))
        .put("waitingPolls", waiters.size())
        .put("scaling", scaler.statusJson()));
  }

  // ---- worker-facing routes ----

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

  private static String workerIdOf(JsonObject body) {
    Object id = body.getValue("workerId");
    if (!(id instanceof String s) || s.isBlank() || s.length() > 200) {
      throw ApiError.badRequest("workerId", "must be a non-empty string of at most 200 characters");
    }
    return s;
  }

  private Future<JsonObject> register(RoutingContext ctx) {
    JsonObject body = jsonBody(ctx);
    String id = workerIdOf(body);
    int threads = body.getValue("threads") instanceof Number n ? n.intValue() : 0;
    noteSeen(id, body.getString("instanceId"), threads);
    log.info("worker {} registered ({} threads, instance {})", id, threads, body.getString("instanceId", "-"));
    WorkerRecord w = workers.get(id);
    return Future.succeededFuture(new JsonObject()
        .put("leaseMs", cfg.leaseMs())
        .put("retire", w != null && w.state().leaving()));
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
    try {
      String id = ctx.request().getHeader("Swell-Worker");
      if (id == null || id.isBlank()) {
        throw ApiError.badRequest("Swell-Worker", "header must name the worker");
      }
      int max = (int) Params.optionalLong(ctx, "max", 1, 1, cfg.maxLeaseBatch());
      long waitMs = Params.optionalLong(ctx, "waitMs", 0, 0, cfg.maxWaitMs());
      WorkerRecord w = noteSeen(id, null, 0);
      Waiter waiter = new Waiter(ctx, w, max);
      if (w.state().leaving()) {
        waiter.finish(null, true);
        return;
      }
      leaseFor(waiter).onComplete(ar -> {
        if (ar.failed()) {
          waiter.fail(ar.cause());
        } else if (!ar.result()) {
          if (waitMs == 0) {
            waiter.finish(null, false);
          } else {
            waiter.timer = vertx.setTimer(waitMs, t -> {
              waiters.remove(waiter);
              waiter.finish(null, false);
            });
            ctx.request().connection().closeHandler(v -> {
              waiters.remove(waiter);
              vertx.cancelTimer(waiter.timer);
            });
            waiters.addLast(waiter);
          }
        }
      });
    } catch (ApiError e) {
      HttpErrors.send(ctx, e);
    }
  }

  /** Leases for a waiting worker; true if it was answered with works. */
  private Future<Boolean> leaseFor(Waiter waiter) {
    long now = clock.getAsLong();
    if (store.stats(now).pending() == 0) {
      return Future.succeededFuture(false);
    }
    return Future.fromCompletionStage(
            store.lease(waiter.worker.id(), waiter.max, cfg.leaseIterationBudget(), now, cfg.leaseMs()), context)
        .map(leased -> {
          if (leased.isEmpty()) {
            return false;
          }
          if (!waiter.finish(leased, false)) {
            // The worker hung up while we leased: its works go straight back.
            requeue(store.release(waiter.worker.id(), clock.getAsLong()), "worker " + waiter.worker.id() + " hung up");
            return true;
          }
          waiter.worker.lastWorkAt = clock.getAsLong();
          return true;
        });
  }

  /** New or returned work: serve the longest-waiting polls first, one at a time. */
  private void wakeWaiters() {
    Waiter waiter = waiters.pollFirst();
    if (waiter == null) {
      return;
    }
    vertx.cancelTimer(waiter.timer);
    leaseFor(waiter).onComplete(ar -> {
      if (ar.succeeded() && ar.result()) {
        wakeWaiters();
      } else if (!waiter.done) {
        // Nothing to lease after all: it goes back to the head of the line with a fresh timer.
        waiter.timer = vertx.setTimer(1000, t -> {
          waiters.remove(waiter);
          waiter.finish(null, false);
        });
        waiters.addFirst(waiter);
      }
    });
  }

  private void answerRetire(String workerId) {
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (w.worker.id().equals(workerId)) {
        it.remove();
        vertx.cancelTimer(w.timer);
        w.finish(null, true);
      }
    }
  }

  private Future<JsonObject> sendCompletedWork(RoutingContext ctx) {
    JsonObject body = jsonBody(ctx);
    JsonArray results = body.getJsonArray("results");
    if (results == null) {
      throw ApiError.badRequest("results", "must be a list of {id, result}");
    }
    List<Completion> completions = new ArrayList<>(results.size());
    for (Object o : results) {
      if (!(o instanceof JsonObject r)) {
        throw ApiError.badRequest("results", "must be a list of {id, result}");
      }
      UUID id = WorkIds.parse(r.getString("id"));
      String hex = r.getValue("result") instanceof String s ? s : null;
      if (id == null || hex == null || hex.length() != 128) {
        throw ApiError.badRequest("results", "each needs a UUID id and a 128-character hex result");
      }
      try {
        completions.add(new Completion(id, Hex.decode(hex)));
      } catch (IllegalArgumentException e) {
        throw ApiError.badRequest("results", "result of " + id + " is not hex");
      }
    }
    String workerId = ctx.request().getHeader("Swell-Worker");
    return Future.fromCompletionStage(store.complete(completions, clock.getAsLong()), context)
        .map(recorded -> {
          if (workerId != null) {
            WorkerRecord w = workers.get(workerId);
            if (w != null) {
              w.completed += recorded;
              w.lastSeen = clock.getAsLong();
            }
          }
          return new JsonObject().put("accepted", completions.size()).put("recorded", recorded);
        });
  }

  private Future<JsonObject> heartbeat(RoutingContext ctx) {
    JsonObject body = jsonBody(ctx);
    String id = workerIdOf(body);
    JsonArray running = body.getJsonArray("running", new JsonArray());
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
    int held = store.extend(id, ids, now, cfg.leaseMs());
    if (held > 0) {
      w.lastWorkAt = now; // computing a long work is not idleness
    }
    return Future.succeededFuture(new JsonObject()
        .put("held", held)
        .put("retire", w.state().leaving()));
  }

  private Future<JsonObject> leaving(RoutingContext ctx) {
    String id = workerIdOf(jsonBody(ctx));
    log.info("worker {} is leaving", id);
    answerRetire(id);
    scaler.left(id);
    // A worker we never knew may still hold leases from before a restart.
    requeue(store.release(id, clock.getAsLong()), "worker " + id + " left");
    return Future.succeededFuture(new JsonObject().put("ok", true));
  }

  // ---- timers ----

  private void expireLeases() {
    ExpiryOutcome out = store.expireLeases(clock.getAsLong());
    if (!out.requeued().isEmpty()) {
      log.warn("{} leases expired without a heartbeat; works back in the queue: {}", out.requeued().size(),
          abbreviate(out.requeued()));
      wakeWaiters();
    }
    for (UUID id : out.failed()) {
      log.error("work {} failed after {} deliveries", id, cfg.maxAttempts());
    }
  }

  private void requeue(List<UUID> ids, String why) {
    if (!ids.isEmpty()) {
      log.info("{}: {} works back in the queue: {}", why, ids.size(), abbreviate(ids));
      wakeWaiters();
    }
  }

  private static String abbreviate(List<UUID> ids) {
    return ids.size() <= 5 ? ids.toString() : ids.subList(0, 5) + " and " + (ids.size() - 5) + " more";
  }

  private void scaleTick() {
    long now = clock.getAsLong();
    scaler.tick(store.stats(now));
    workers.forgetSilent(now, Math.max(cfg.leaseMs() * 4, 120_000));
  }

  private void purge() {
    Future.fromCompletionStage(store.purgeExpired(clock.getAsLong()), context)
        .onSuccess(n -> {
          if (n > 0) {
            log.info("purged {} results past resultRetentionMs", n);
          }
        })
        .onFailure(e -> log.error("purging expired results failed", e));
  }

  /** One worker's long-poll, answered exactly once: with works, with nothing (204), or with retire. */
  private final class Waiter {
    final RoutingContext ctx;
    final WorkerRecord worker;
    final int max;
    long timer = -1;
    boolean done;

    Waiter(RoutingContext ctx, WorkerRecord worker, int max) {
      this.ctx = ctx;
      this.worker = worker;
      this.max = max;
    }

    /** Answers the poll; false if the worker already hung up (so leased works were not delivered). */
    boolean finish(List<LeasedWork> works, boolean retire) {
      if (done) {
        return false;
      }
      done = true;
      if (ctx.response().closed() || ctx.response().ended()) {
        return false;
      }
      if (retire) {
        ctx.json(new JsonObject().put("works", new JsonArray()).put("retire", true));
      } else if (works == null || works.isEmpty()) {
        ctx.response().setStatusCode(204).end();
      } else {
        ctx.response().putHeader("Content-Type", "application/json").end(WireJson.leases(works, cfg.leaseMs()));
      }
      return true;
    }

    void fail(Throwable e) {
      if (!done) {
        done = true;
        ctx.fail(e);
      }
    }
  }
}
