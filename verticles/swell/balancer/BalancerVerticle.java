package swell.balancer;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.TimeoutHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import swell.common.ApiError;
import swell.common.ClusterToken;
import swell.common.HttpErrors;
import swell.fleet.Fleet;
import swell.fleet.Fleets;
import swell.metrics.PrometheusMetrics;
import swell.metrics.StoreMeters;
import swell.store.ExpiryOutcome;
import swell.store.StoreTimings;
import swell.store.WorkStore;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;

/**
 * The balancer: a thin shell over the work store (queues and leases), the long-poll dispatcher, the
 * worker registry and the scaler. It serves endpoints ({@link ClientRoutes}) and workers
 * ({@link WorkerRoutes}), all behind the cluster token, and runs the timers that expire leases,
 * scale the fleet and purge old results.
 *
 * <p>Start-up order matters: the store is opened, then the fleet is listed and its workers adopted,
 * and only then are requests served, so that no worker is mistaken for a stray in between.
 */
public final class BalancerVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(BalancerVerticle.class);
  /** Retained results are purged this often: the purge is one indexed delete. */
  private static final long PURGE_EVERY_MS = 60_000;
  /** Hand-started workers silent for this long (at least) are dropped from /status. */
  private static final long FORGET_SILENT_MIN_MS = 120_000;
  /** The exit status when the store broke for good: non-zero, so that a supervisor restarts the balancer. */
  public static final int EXIT_STORE_BROKE = 1;

  private final BalancerConfig cfg;
  private final Function<Vertx, WorkStore> storeFactory;
  private final FleetFactory fleets;
  private final LongSupplier clock;
  private final IntConsumer exit;
  private final byte[] expectedAuth;
  private final PrometheusMetrics metrics;
  private BalancerMeters meters;
  private StatsCache queueStats;
  private WorkStore store;
  private Fleet fleet;
  private final WorkerRegistry workers = new WorkerRegistry();
  private FleetScaler scaler;
  private PollDispatcher dispatcher;
  private PullWaiters pulls;
  /** The event-bus address in-JVM endpoints hand batches to, or null. */
  private String inJvmAddress;
  /** Null unless the store is shared by several balancers. */
  private ClusterSync cluster;
  private WorkerRoutes workerRoutes;
  private DashboardRoutes dashboard;
  private HttpServer server;
  /** Null until the fleet is reconciled: requests before that are answered 503. */
  private Router router;
  private Throwable storeBroke;
  private final List<Long> timers = new ArrayList<>();

  public BalancerVerticle(BalancerConfig cfg) {
    this(cfg, code -> { });
  }

  /** @param exit how the process ends when the store broke for good ({@link #EXIT_STORE_BROKE}) */
  public BalancerVerticle(BalancerConfig cfg, IntConsumer exit) {
    this(cfg, exit, PrometheusMetrics.off());
  }

  /** @param metrics where its meters go, served as {@code GET /metrics} unless off */
  public BalancerVerticle(BalancerConfig cfg, IntConsumer exit, PrometheusMetrics metrics) {
    this(cfg, v -> cfg.store().create(v, cfg.storeLimits(), storeTimings(metrics)), System::currentTimeMillis, exit,
        metrics);
  }

  /**
   * @param storeFactory the store to open, given the verticle's Vert.x at start (tests inject one with faults)
   */
  public BalancerVerticle(BalancerConfig cfg, Function<Vertx, WorkStore> storeFactory, LongSupplier clock,
                          IntConsumer exit) {
    this(cfg, storeFactory, clock, exit, PrometheusMetrics.off());
  }

  public BalancerVerticle(BalancerConfig cfg, Function<Vertx, WorkStore> storeFactory, LongSupplier clock,
                          IntConsumer exit, PrometheusMetrics metrics) {
    this(cfg, storeFactory, (vertx, urls) -> Fleets.create(vertx, cfg.fleet(), urls, cfg.clusterToken(), cfg.dataDir()),
        clock, exit, metrics);
  }

  /** @param fleets makes the fleet once the balancer's URL is known (tests hand in a fake fleet) */
  BalancerVerticle(BalancerConfig cfg, Function<Vertx, WorkStore> storeFactory, FleetFactory fleets, LongSupplier clock,
                   IntConsumer exit) {
    this(cfg, storeFactory, fleets, clock, exit, PrometheusMetrics.off());
  }

  BalancerVerticle(BalancerConfig cfg, Function<Vertx, WorkStore> storeFactory, FleetFactory fleets, LongSupplier clock,
                   IntConsumer exit, PrometheusMetrics metrics) {
    this.cfg = cfg;
    this.storeFactory = storeFactory;
    this.fleets = fleets;
    this.clock = clock;
    this.exit = exit;
    this.metrics = metrics;
    this.expectedAuth = ClusterToken.bearer(cfg.clusterToken());
  }

  private static StoreTimings storeTimings(PrometheusMetrics metrics) {
    return metrics.counting() ? new StoreMeters(metrics.registry()) : StoreTimings.NONE;
  }

  /**
   * Also takes enqueue batches from endpoints in this JVM over the event bus (the {@code local}
   * role), at the address returned; call before deploying.
   */
  public String serveInJvm() {
    inJvmAddress = "swell.balancer." + cfg.balancerId() + ".enqueue";
    return inJvmAddress;
  }

  /** The port the balancer listens on, once started (useful when configured as 0). */
  public int port() {
    return server.actualPort();
  }

  @Override
  public Future<?> start() {
    WorkStore opened = storeFactory.apply(vertx);
    queueStats = new StatsCache(() -> opened.stats(clock.getAsLong()), System::nanoTime, StatsCache.MAX_AGE_NANOS);
    meters = new BalancerMeters(metrics.registry(), queueStats, opened.shared());
    // With nothing counting (metrics off), the store is not wrapped: the baseline of bench/metrics-overhead.sh.
    store = metrics.counting() ? new MeteredWorkStore(opened, meters, queueStats) : opened;
    Scheduler scheduler = new VertxScheduler(vertx, context);
    dispatcher = new PollDispatcher(store, scheduler, clock, cfg.leaseLimits(), cfg.leaseMs());
    pulls = new PullWaiters(store, scheduler, clock);
    dashboard = new DashboardRoutes(store.shared(), clock.getAsLong());
    return Future.fromCompletionStage(store.open(clock.getAsLong()), context)
        .compose(v -> bind())
        .compose(v -> joinCluster())
        .compose(v -> {
          fleet = fleets.create(vertx, this::balancerUrls);
          ScalingPolicy policy = new ScalingPolicy(cfg.scaling(), !"none".equals(fleet.type()));
          FleetScaler.Lead lead = cluster == null ? FleetScaler.Lead.ALONE : cluster.lead();
          scaler = new FleetScaler(fleet, policy, cfg.scaling(), workers, clock, dispatcher::retire, this::workerGone,
              lead, meters::scalerEvent);
          // Only the leader adopts the fleet; another balancer serves and leaves the fleet to it.
          return lead.leads() ? scaler.reconcile() : Future.<Void>succeededFuture();
        })
        .compose(v -> Future.fromCompletionStage(store.stats(clock.getAsLong()), context))
        .onSuccess(s -> {
          router = routes();
          long sweepEvery = Math.max(50, Math.min(1000, cfg.leaseMs() / 4));
          timers.add(vertx.setPeriodic(sweepEvery, t -> expire()));
          timers.add(vertx.setPeriodic(cfg.scaling().tickMs(), t -> scaleTick()));
          timers.add(vertx.setPeriodic(PURGE_EVERY_MS, t -> purge()));
          timers.add(vertx.setPeriodic(dashboard.sampleEveryMs(), t -> sampleHistory()));
          if (cluster != null) {
            cluster.start(scaler);
          }
          store.broken().thenAccept(cause -> context.runOnContext(v -> storeBroke(cause)));
          log.info("balancer {} listening on {}:{} (store {}, {} pending, {} completed unpulled, fleet {}{})",
              cfg.balancerId(), cfg.host(), port(), cfg.store().type(), s.pending(), s.completedUnpulled(), fleet.type(),
              cluster == null ? "" : cluster.leads() ? ", leads the scaler" : ", another balancer leads the scaler");
        });
  }

  /** With a store shared by several balancers: say this one is up, and learn who leads, before the fleet is listed. */
  private Future<Void> joinCluster() {
    return store.coordination().map(c -> {
      cluster = new ClusterSync(vertx, context, c, cfg, selfUrl(), workers, dispatcher, pulls, clock);
      return cluster.join();
    }).orElse(Future.succeededFuture());
  }

  /** Where workers reach this balancer (and, alone, the only URL they get). */
  private String selfUrl() {
    return cfg.advertisedUrl().isEmpty() ? "http://" + advertisedHost() + ":" + port() : cfg.advertisedUrl();
  }

  /** The balancers a new worker is given: this one, and the others of the cluster that are up. */
  private List<String> balancerUrls() {
    return cluster == null ? List.of(selfUrl()) : cluster.balancerUrls();
  }

  /** New or returned works: polls waiting here, and (with several balancers) elsewhere, may lease them. */
  private void workAdded() {
    dispatcher.wake();
    if (cluster != null) {
      cluster.workAdded();
    }
  }

  /** New results: pulls waiting here, and elsewhere, may get them. */
  private void resultsAdded() {
    pulls.resultsRecorded();
    if (cluster != null) {
      cluster.resultsAdded();
    }
  }

  private String advertisedHost() {
    return "0.0.0.0".equals(cfg.host()) ? "127.0.0.1" : cfg.host();
  }

  /** Binds the port (the fleet needs its URL) but serves nothing until {@link #router} is set. */
  private Future<Void> bind() {
    HttpServerOptions options = new HttpServerOptions()
        .setHost(cfg.host())
        .setMaxHeaderSize(cfg.limits().maxHeaderBytes())
        .setIdleTimeout(cfg.limits().idleTimeoutSeconds() + (int) (cfg.maxWaitMs() / 1000));
    return vertx.createHttpServer(options).requestHandler(this::handle).listen(cfg.port())
        .map(s -> {
          server = s;
          return null;
        });
  }

  private void handle(HttpServerRequest req) {
    if (router != null) {
      router.handle(req);
    } else if (!authorized(req)) {
      HttpErrors.send(req, unauthorized());
    } else {
      HttpErrors.send(req, ApiError.unavailable("starting", "the balancer is starting: it is adopting the"
          + " running workers; retry shortly", 1));
    }
  }

  private Router routes() {
    Router r = Router.router(vertx);
    HttpErrors.install(r);
    dashboard.mountFiles(r); // the page and its chart library hold no data: served before the token check
    r.route().handler(this::authorize);
    r.route().handler(TimeoutHandler.create(cfg.limits().requestTimeoutMs() + cfg.maxWaitMs(), 503));
    r.get("/health").respond(ctx -> Future.succeededFuture(new JsonObject().put("status", "up")));
    r.get("/ready").respond(this::ready);
    r.get("/status").respond(this::status);
    if (metrics.enabled()) {
      r.get("/metrics").handler(this::metrics);
    }
    dashboard.mountHistory(r);
    ClientRoutes clientRoutes = new ClientRoutes(cfg, store, clock, context, pulls, this::workAdded,
        dashboard.history());
    clientRoutes.mount(r);
    if (inJvmAddress != null) {
      clientRoutes.serveInJvm(vertx, inJvmAddress);
    }
    workerRoutes = new WorkerRoutes(cfg, store, dispatcher, workers, scaler, clock, context, this::workAdded,
        this::resultsAdded, this::balancerUrls, dashboard.history());
    workerRoutes.mount(r);
    return r;
  }

  @Override
  public Future<?> stop() {
    timers.forEach(vertx::cancelTimer);
    if (cluster != null) {
      cluster.stop();
    }
    if (dispatcher != null) {
      dispatcher.closeAll();
      pulls.closeAll();
    }
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

  /** Constant-time token check; a request without the token learns nothing else. */
  private void authorize(RoutingContext ctx) {
    if (!authorized(ctx.request())) {
      HttpErrors.send(ctx, unauthorized());
      return;
    }
    ctx.next();
  }

  private boolean authorized(HttpServerRequest req) {
    return ClusterToken.presented(req.getHeader("Authorization"), expectedAuth);
  }

  /**
   * {@code GET /metrics} (behind the cluster token, like every route): the workers and the lead are
   * sampled here on the event loop, the queue counts are read again if older than a second, and the
   * text is made on a worker thread.
   */
  private void metrics(RoutingContext ctx) {
    meters.sample(workers, () -> cluster == null || cluster.leads());
    metrics.serveAfter(ctx, Future.fromCompletionStage(queueStats.fresh(), context));
  }

  private static ApiError unauthorized() {
    return new ApiError(401, "unauthorized", "a valid cluster token is required", null);
  }

  /** Ready when the store takes writes: endpoints ask this before they say they are ready themselves. */
  private Future<JsonObject> ready(RoutingContext ctx) {
    return Future.fromCompletionStage(store.ping(), context)
        .recover(e -> Future.failedFuture(StoreErrors.toApi(e)))
        .map(v -> new JsonObject().put("status", "ready"));
  }

  private Future<JsonObject> status(RoutingContext ctx) {
    long now = clock.getAsLong();
    return Future.fromCompletionStage(store.stats(now), context).map(s -> new JsonObject()
        .put("pending", s.pending())
        .put("pendingIterations", s.pendingIterations())
        .put("oldestPendingAgeMs", s.oldestPendingAgeMs())
        .put("leased", s.leased())
        .put("completedUnpulled", s.completedUnpulled())
        .put("handedOut", s.handedOut())
        .put("failed", s.failed())
        .put("store", new JsonObject().put("type", cfg.store().type()).put("broken",
            storeBroke == null ? null : storeBroke.toString()))
        .put("results", workerRoutes.resultsJson())
        .put("workers", workers.toJson(now))
        .put("waitingPolls", dispatcher.waiting())
        .put("waitingPulls", pulls.waiting())
        .put("scaling", scaler.statusJson())
        .put("cluster", cluster == null ? null : cluster.statusJson()));
  }

  /** The store's writer died: nothing more can be stored, so the process ends and its supervisor restarts it. */
  private void storeBroke(Throwable cause) {
    if (storeBroke != null) {
      return;
    }
    storeBroke = cause;
    log.error("the store broke for good ({}); every request now gets 503 store_unavailable, and the balancer"
        + " exits with status {} so that its supervisor restarts it", cause, EXIT_STORE_BROKE);
    exit.accept(EXIT_STORE_BROKE);
  }

  /** A worker is gone (left, terminated, never booted): its leases go back now. */
  private void workerGone(String workerId) {
    Future.fromCompletionStage(store.releaseWorker(workerId, clock.getAsLong()), context)
        .onSuccess(ids -> {
          if (!ids.isEmpty()) {
            log.info("worker {} is gone: {} works back in the queue: {}", workerId, ids.size(), Abbreviate.ids(ids));
            workAdded();
          }
        })
        .onFailure(e -> log.warn("could not return the works of gone worker {}: {}", workerId, e.toString()));
  }

  // ---- timers ------------------------------------------------------------------------------

  private void expire() {
    Future.fromCompletionStage(store.expire(clock.getAsLong()), context)
        .onSuccess(this::logExpiry)
        .onFailure(e -> log.warn("lease expiry failed: {}", e.toString()));
  }

  private void logExpiry(ExpiryOutcome out) {
    for (ExpiryOutcome.ExpiredLease l : out.requeued()) {
      log.atWarn().addKeyValue("event", "lease_expired").addKeyValue("workId", l.id().toString())
          .addKeyValue("workerId", l.workerId()).addKeyValue("attempt", l.attempts())
          .log("lease of work {} expired without a heartbeat from worker {} (delivery {}); back in the queue",
              l.id(), l.workerId(), l.attempts());
    }
    for (ExpiryOutcome.ExpiredLease l : out.failed()) {
      log.atWarn().addKeyValue("event", "work_failed").addKeyValue("workId", l.id().toString())
          .addKeyValue("workerId", l.workerId()).addKeyValue("attempt", l.attempts())
          .log("work {} failed: its lease expired on worker {} after {} deliveries (maxAttempts)", l.id(),
              l.workerId(), l.attempts());
    }
    if (!out.handOutsReturned().isEmpty()) {
      resultsAdded();
      log.info("{} results pulled with ackMs were not acknowledged in time and can be pulled again: {}",
          out.handOutsReturned().size(), Abbreviate.ids(out.handOutsReturned()));
    }
    if (!out.requeued().isEmpty()) {
      workAdded();
    }
  }

  private void scaleTick() {
    meters.forgetWorkers(workers); // whether or not anyone scrapes
    long now = clock.getAsLong();
    if (cluster != null && !cluster.leads()) {
      return; // the leader scales, and forgets silent workers for the cluster
    }
    Future.fromCompletionStage(store.stats(now), context)
        .onSuccess(s -> scaler.tick(s))
        .onFailure(e -> log.warn("scaler tick skipped: the store did not answer ({})", e.toString()));
    workers.forgetSilent(now, Math.max(cfg.leaseMs() * 4, FORGET_SILENT_MIN_MS));
  }

  /** The dashboard's next sample: the store's counts now, beside this balancer's counters. */
  private void sampleHistory() {
    long now = clock.getAsLong();
    Future.fromCompletionStage(store.stats(now), context)
        .onSuccess(s -> dashboard.history().record(now, s))
        .onFailure(e -> log.debug("dashboard sample skipped: the store did not answer ({})", e.toString()));
  }

  /** Results past their retention go; with several balancers the leader does it for all. */
  private void purge() {
    if (cluster != null && !cluster.leads()) {
      return;
    }
    Future.fromCompletionStage(store.purgeExpired(clock.getAsLong()), context)
        .onSuccess(n -> {
          if (n > 0) {
            log.info("purged {} results past resultRetentionMs", n);
          }
        })
        .onFailure(e -> log.error("purging expired results failed", e));
  }
}
