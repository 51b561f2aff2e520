package swell.worker;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpResponseExpectation;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import swell.common.BalancerRotation;
import swell.common.Hex;
import swell.common.WorkLog;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * A worker: registers with a balancer, long-polls it for batches of works, computes them on its
 * compute threads, reports results in batches and heartbeats its running works. Told to retire (or
 * sent SIGTERM) it drains, reports, says it leaves, and exits. Balancer URLs are tried in turn.
 */
public final class WorkerVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(WorkerVerticle.class);
  private static final long MAX_BACKOFF_MS = 5_000;
  /** The exit status after a compute thread threw an Error: not a clean retirement, so supervisors restart it. */
  public static final int EXIT_COMPUTE_ERROR = 1;

  private final WorkerConfig cfg;
  private final IntConsumer onExit;
  private final ChainPool.Computation computation;
  private WebClient client;
  private ChainPool pool;
  private ComputeStats computeStats;
  private int urlIndex;
  /** Which balancer each poll goes to: the same one until it fails, or (spread) each in turn. */
  private BalancerRotation rotation;
  private List<String> balancerUrls;
  /** Works received and not yet reported, by id: what heartbeats extend. */
  private final Set<String> inFlight = new LinkedHashSet<>();
  private final List<JsonObject> unsent = new ArrayList<>();
  private boolean polling;
  private boolean sending;
  private boolean retiring;
  private boolean left;
  private boolean broken;
  private long backoffMs;
  private long lastContact;
  private long completed;
  private long flushTimer = -1;
  private long heartbeatTimer = -1;

  public WorkerVerticle(WorkerConfig cfg) {
    this(cfg, status -> { });
  }

  /**
   * @param onExit run once the worker has left, with the exit status: 0 when it retired, non-zero
   *               when it broke; the worker role exits the JVM there
   */
  public WorkerVerticle(WorkerConfig cfg, IntConsumer onExit) {
    this(cfg, onExit, ChainPool.sha512Chain());
  }

  /** @param computation what the compute threads run; tests inject failures here */
  WorkerVerticle(WorkerConfig cfg, IntConsumer onExit, ChainPool.Computation computation) {
    this.cfg = cfg;
    this.onExit = onExit;
    this.computation = computation;
  }

  @Override
  public Future<?> start() {
    client = WebClient.create(vertx, new WebClientOptions()
        .setKeepAlive(true)
        .setIdleTimeout((int) (cfg.pollWaitMs() / 1000) + 60)
        .setConnectTimeout(5_000), new PoolOptions().setHttp1MaxSize(4));
    pool = new ChainPool(cfg.threads(), cfg.workerId(), computation);
    computeStats = new ComputeStats(cfg.threads(), pool.totals());
    useBalancers(cfg.balancerUrls());
    lastContact = System.currentTimeMillis();
    register();
    return Future.succeededFuture();
  }

  private String url(String path) {
    return balancerUrls.get(urlIndex % balancerUrls.size()) + path;
  }

  /**
   * The balancers to poll. A balancer of a cluster names them all in its heartbeat answers, so a
   * worker follows the cluster as balancers come and go, and outlives the one that launched it.
   */
  private void useBalancers(List<String> urls) {
    if (urls.isEmpty() || urls.equals(balancerUrls)) {
      return;
    }
    if (balancerUrls != null) {
      log.info("worker {}: the balancers are now {}", cfg.workerId(), urls);
    }
    String current = balancerUrls == null ? null : balancerUrls.get(urlIndex % balancerUrls.size());
    balancerUrls = List.copyOf(urls);
    rotation = new BalancerRotation(balancerUrls.size(), cfg.balancerMode());
    urlIndex = current == null ? 0 : Math.max(0, balancerUrls.indexOf(current));
  }

  /** A request failed: try the next balancer after a growing pause, or give up if none answers. */
  private void failed(String what, Throwable e, Runnable retry) {
    long now = System.currentTimeMillis();
    rotation.failed(urlIndex, now);
    urlIndex = rotation.after(urlIndex, now);
    backoffMs = backoffMs == 0 ? 100 : Math.min(MAX_BACKOFF_MS, backoffMs * 2);
    long silentFor = System.currentTimeMillis() - lastContact;
    if (cfg.giveUpAfterMs() > 0 && silentFor > cfg.giveUpAfterMs()) {
      log.error("worker {}: no balancer answered for {} ms; giving up", cfg.workerId(), silentFor);
      exit(0);
      return;
    }
    log.warn("worker {}: {} failed ({}); retrying in {} ms", cfg.workerId(), what, e.getMessage(), backoffMs);
    vertx.setTimer(backoffMs, t -> retry.run());
  }

  private void contact() {
    rotation.answered(urlIndex);
    backoffMs = 0;
    lastContact = System.currentTimeMillis();
  }

  /** A request to the current balancer, with the token and this worker's id. */
  private HttpRequest<Buffer> request(String path) {
    return client.postAbs(url(path))
        .putHeader("Authorization", "Bearer " + cfg.clusterToken())
        .putHeader("Swell-Worker", cfg.workerId())
        .timeout(cfg.pollWaitMs() + 30_000);
  }

  private Future<HttpResponse<Buffer>> post(String path, JsonObject body) {
    return request(path).sendJsonObject(body);
  }

  private void register() {
    JsonObject hello = new JsonObject()
        .put("workerId", cfg.workerId())
        .put("threads", cfg.threads());
    if (!cfg.instanceId().isEmpty()) {
      hello.put("instanceId", cfg.instanceId());
    }
    post("/workers/register", hello)
        .expecting(HttpResponseExpectation.SC_OK)
        .onSuccess(resp -> {
          contact();
          JsonObject answer = resp.bodyAsJsonObject();
          // Three heartbeats per lease, so one lost heartbeat never costs a lease.
          long every = Math.max(10, Math.min(cfg.heartbeatMs(), answer.getLong("leaseMs", cfg.heartbeatMs() * 3) / 3));
          vertx.cancelTimer(heartbeatTimer);
          heartbeatTimer = vertx.setPeriodic(every, t -> heartbeat());
          log.info("worker {} registered at {} with {} threads; heartbeat every {} ms", cfg.workerId(), url(""),
              cfg.threads(), every);
          if (answer.getBoolean("retire", false)) {
            retire();
          } else {
            poll();
          }
        })
        .onFailure(e -> failed("register", e, this::register));
  }

  /** Polls when the compute threads could take more; tiny works arrive many to a poll. */
  private void poll() {
    if (polling || retiring || left || inFlight.size() >= cfg.threads()) {
      return;
    }
    polling = true;
    urlIndex = rotation.next(System.currentTimeMillis()); // spread: each poll to the next balancer
    request("/get_work")
        .addQueryParam("max", String.valueOf(cfg.maxBatch()))
        .addQueryParam("waitMs", String.valueOf(cfg.pollWaitMs()))
        .send()
        .onComplete(ar -> {
          polling = false;
          if (ar.failed()) {
            failed("get_work", ar.cause(), this::poll);
            return;
          }
          HttpResponse<Buffer> resp = ar.result();
          if (resp.statusCode() == 204) {
            contact();
            poll();
          } else if (resp.statusCode() == 200) {
            contact();
            JsonObject body = resp.bodyAsJsonObject();
            if (body.getBoolean("retire", false)) {
              retire();
              return;
            }
            for (Object o : body.getJsonArray("works", new JsonArray())) {
              compute((JsonObject) o);
            }
            poll();
          } else {
            failed("get_work", new IllegalStateException("status " + resp.statusCode() + " " + resp.bodyAsString()),
                this::poll);
          }
        });
  }

  private void compute(JsonObject work) {
    String id = work.getString("id");
    long iterations = work.getLong("iterations");
    byte[] body = Base64.getDecoder().decode(work.getString("data"));
    inFlight.add(id);
    pool.submit(body, iterations, (result, error) -> context.runOnContext(v -> {
      if (error instanceof Error e) {
        breakDown(id, e);
        return;
      }
      if (error != null) {
        // Not reported and no longer heartbeated: the lease expires and another attempt runs it;
        // maxAttempts bounds the retries. The thread is free again, so ask for more.
        log.atError().addKeyValue("event", "compute_failed").addKeyValue("workId", id).setCause(error)
            .log("worker {}: computing work {} failed; its lease will lapse", cfg.workerId(), id);
        inFlight.remove(id);
        if (retiring) {
          leaveWhenDrained();
        } else {
          poll();
        }
        return;
      }
      WorkLog.computed(id, iterations);
      unsent.add(new JsonObject().put("id", id).put("result", Hex.encode(result)));
      completed++;
      if (unsent.size() >= cfg.maxBatch() || inFlight.size() == unsent.size()) {
        flush();
      } else if (flushTimer < 0) {
        flushTimer = vertx.setTimer(Math.max(1, cfg.resultFlushMs()), t -> {
          flushTimer = -1;
          flush();
        });
      }
    }));
  }

  /** Sends finished results; works leave {@code inFlight} only once the balancer has them. */
  private void flush() {
    if (sending || unsent.isEmpty()) {
      return;
    }
    sending = true;
    List<JsonObject> batch = new ArrayList<>(unsent);
    unsent.clear();
    post("/send_completed_work", new JsonObject().put("results", new JsonArray(new ArrayList<>(batch))))
        .expecting(HttpResponseExpectation.SC_OK)
        .onComplete(ar -> {
          sending = false;
          if (ar.failed()) {
            unsent.addAll(0, batch);
            failed("send_completed_work", ar.cause(), this::flush);
            return;
          }
          contact();
          for (JsonObject r : batch) {
            inFlight.remove(r.getString("id"));
          }
          if (!unsent.isEmpty()) {
            flush();
          }
          if (retiring) {
            leaveWhenDrained();
          } else {
            poll();
          }
        });
  }

  private void heartbeat() {
    if (left) {
      return;
    }
    ComputeStats.Interval interval = computeStats.next(pool.totals());
    JsonObject stats = new JsonObject()
        .put("busyFraction", interval.busyFraction())
        .put("completed", completed)
        .put("threads", cfg.threads());
    if (!Double.isNaN(interval.hashRate())) {
      stats.put("hashRate", interval.hashRate()); // the balancer plans with it; unknown until a work finished
    }
    JsonObject beat = new JsonObject()
        .put("workerId", cfg.workerId())
        .put("running", new JsonArray(new ArrayList<>(inFlight)))
        .put("stats", stats);
    post("/workers/heartbeat", beat)
        .expecting(HttpResponseExpectation.SC_OK)
        .onSuccess(resp -> {
          contact();
          JsonObject answer = resp.bodyAsJsonObject();
          JsonArray cluster = answer.getJsonArray("balancerUrls");
          if (cluster != null) {
            useBalancers(cluster.stream().filter(String.class::isInstance).map(String.class::cast).toList());
          }
          if (answer.getBoolean("retire", false)) {
            retire();
          }
        })
        .onFailure(e -> {
          // The next heartbeat (and poll) goes to another balancer: its leases must not run out
          // because the one it was talking to is gone.
          long now = System.currentTimeMillis();
          rotation.failed(urlIndex, now);
          urlIndex = rotation.after(urlIndex, now);
          log.warn("worker {}: heartbeat failed: {}", cfg.workerId(), e.getMessage());
        });
  }

  private void retire() {
    if (!retiring) {
      retiring = true;
      log.atInfo().addKeyValue("event", "worker_retiring")
          .log("worker {} retiring: finishing {} works in flight", cfg.workerId(), inFlight.size());
    }
    leaveWhenDrained();
  }

  private void leaveWhenDrained() {
    if (!inFlight.isEmpty() || left) {
      return;
    }
    leave().onComplete(ar -> exit(0));
  }

  /**
   * A compute thread threw an Error (out of memory, stack overflow): this JVM can no longer be
   * trusted to compute. Say it leaves, so every lease it holds goes back at once instead of being
   * heartbeated forever, and exit non-zero so a supervisor starts a fresh worker.
   */
  private void breakDown(String workId, Error e) {
    if (broken || left) {
      return;
    }
    broken = true;
    retiring = true;
    log.atError().addKeyValue("event", "compute_error").addKeyValue("workId", workId).setCause(e)
        .log("worker {}: computing work {} threw {}; giving back its {} works and exiting", cfg.workerId(), workId,
            e, inFlight.size());
    leave().onComplete(ar -> exit(EXIT_COMPUTE_ERROR));
  }

  private Future<Void> leave() {
    left = true;
    return post("/workers/leaving", new JsonObject().put("workerId", cfg.workerId()))
        .expecting(HttpResponseExpectation.SC_OK)
        .<Void>mapEmpty()
        .onSuccess(v -> log.atInfo().addKeyValue("event", "worker_left")
            .log("worker {} left after completing {} works", cfg.workerId(), completed))
        .onFailure(e -> log.warn("worker {}: could not say it leaves ({}); its leases will expire",
            cfg.workerId(), e.getMessage()));
  }

  private void exit(int status) {
    left = true;
    vertx.cancelTimer(heartbeatTimer);
    onExit.accept(status);
  }

  /** SIGTERM or undeploy: works in flight go back to the queue at once rather than after the lease. */
  @Override
  public Future<?> stop() {
    vertx.cancelTimer(heartbeatTimer);
    pool.close();
    Future<Void> bye = left ? Future.succeededFuture() : leave().recover(e -> Future.succeededFuture());
    return bye.eventually(() -> {
      client.close();
      return Future.succeededFuture();
    });
  }
}
