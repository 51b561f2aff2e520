package swell.loadtest;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Drives one load test from a single event loop: the enqueueing clients, the pullers and the
 * progress line. One loop keeps the bookkeeping lock-free and leaves the other cores to the
 * Swell under test, which shares this machine.
 */
final class LoadRun extends VerticleBase {
  static final String ENQUEUE = "enqueue";
  static final String PULL = "pull";
  static final String ACK = "ack";
  /**
   * With --verify, pulled results stay hidden this long unless acknowledged, and come back if an
   * acknowledgement is lost: a run that checks delivery must not lose results on the way out. The
   * run acknowledges a page as soon as its ledger holds it, well within this.
   */
  static final int ACK_MS = 60_000;
  /** How long a URL may take to answer anything at all before the run refuses to start. */
  private static final long PROBE_TIMEOUT_MS = 3000;
  /** The request timeouts are checked this often at most (and ten times per timeout at least). */
  private static final long MAX_SWEEP_MS = 100;
  /** Pullers that found nothing wait longer each time, up to this, so an idle queue is not hammered. */
  private static final long MAX_EMPTY_PULL_WAIT_MS = 100;
  /** Each pull asks the balancer to wait this long for a first result rather than answer [] at once. */
  static final long PULL_WAIT_MS = 1_000;

  /** A URL that did not answer the probe: the run fails before it starts, naming the address. */
  static final class UnreachableUrl extends RuntimeException {
    UnreachableUrl(String url, Throwable cause) {
      super("cannot reach " + url + ": " + describe(cause), cause, false, false);
    }

    private static String describe(Throwable cause) {
      String m = cause.getMessage();
      return m == null || m.isBlank() ? cause.getClass().getSimpleName() : m;
    }
  }

  private final LoadtestOptions opt;
  private final Bodies bodies;
  private final WorkLedger ledger;
  private final LatencyHistogram enqueueLatency = new LatencyHistogram();
  private final EnqueueIntervals intervals = new EnqueueIntervals();
  private final ErrorTally errors = new ErrorTally();
  private final Consumer<String> progress;
  private final long progressEveryMs;
  private final Promise<Void> finished = Promise.promise();
  private final long[] emptyPullWaitMs;
  private final long[] pullSentNanos;
  private final String pullPath;
  private final long requestTimeoutMs;
  private final long connectTimeoutMs;

  /** An HTTP answer read whole: what the run needs of it, after the connection went back to the pool. */
  record Answer(int status, String retryAfter, Buffer body) {
  }

  private HttpClient client;
  private List<RequestOptions> targets;
  private NetClient enqueueClient;
  private EnqueueConnection[] connections;
  private EnqueueRequests requests;
  private long sweepTimer = -1;
  private long startNanos;
  private long enqueueDoneNanos = -1;
  private long lastResultNanos = -1;
  private int nextIndex;
  private int answered;
  private long enqueueOk;
  private long failedEnqueues;
  private long retries;
  private int pullsInFlight;
  private int acksInFlight;
  private boolean stopping;
  private boolean timedOut;
  private long drainTimer = -1;
  private long progressTimer = -1;
  private long tickNanos;
  private long tickAccepted;
  private long tickCompleted;
  private ClientCpu cpu;
  private ClientCpu.Usage cpuUsage = ClientCpu.Usage.UNKNOWN;

  LoadRun(LoadtestOptions opt, Consumer<String> progress, long progressEveryMs) {
    this.opt = opt;
    this.bodies = new Bodies(opt.seed(), opt.bodyBytes());
    this.ledger = new WorkLedger(opt.verify());
    this.progress = progress;
    this.progressEveryMs = progressEveryMs;
    this.emptyPullWaitMs = new long[opt.pullers()];
    this.pullSentNanos = new long[opt.pullers()];
    this.pullPath = "/pullCompleted?top=" + opt.top() + "&waitMs=" + PULL_WAIT_MS
        + (opt.verify() ? "&ackMs=" + ACK_MS : "");
    this.requestTimeoutMs = opt.requestTimeout().toMillis();
    this.connectTimeoutMs = Math.min(requestTimeoutMs, 10_000);
  }

  @Override
  public Future<?> start() {
    // Probes, pulls and acknowledgements: a few requests a second at most, through the HTTP client.
    client = vertx.createHttpClient(
        new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true).setConnectTimeout((int) connectTimeoutMs),
        new PoolOptions().setHttp1MaxSize(2 * opt.pullers() + 1).setMaxWaitQueueSize(-1));
    targets = opt.urls().stream().map(LoadRun::target).toList();
    // Enqueues: tens of thousands a second, each client on a connection of its own (EnqueueConnection).
    boolean tls = opt.urls().stream().anyMatch(u -> u.startsWith("https:"));
    enqueueClient = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true)
        .setConnectTimeout((int) connectTimeoutMs).setHostnameVerificationAlgorithm(tls ? "HTTPS" : ""));
    requests = new EnqueueRequests(opt.urls(), opt.iterations(), opt.clientKey(), bodies);
    connections = new EnqueueConnection[opt.clients()];
    for (int c = 0; c < connections.length; c++) {
      RequestOptions t = targets.get(c % targets.size());
      connections[c] = new EnqueueConnection(enqueueClient, new ConnectOptions().setHost(t.getHost())
          .setPort(t.getPort()).setSsl(t.isSsl()).setSniServerName(t.isSsl() ? t.getHost() : null));
    }
    List<Future<?>> probes = opt.urls().stream().<Future<?>>map(this::probe).toList();
    return Future.all(probes).onSuccess(all -> begin());
  }

  /** Host, port and TLS of a base URL, to which each request adds its method and path. */
  private static RequestOptions target(String url) {
    URI u = URI.create(url);
    boolean tls = "https".equals(u.getScheme());
    String prefix = u.getRawPath() == null ? "" : u.getRawPath();
    return new RequestOptions().setHost(u.getHost()).setPort(u.getPort() > 0 ? u.getPort() : tls ? 443 : 80)
        .setSsl(tls).setURI(prefix);
  }

  /** One request, its answer read whole; fails on connect errors and timeouts only. */
  private Future<Answer> call(int target, HttpMethod method, String path, Buffer body, long timeoutMs,
                              long connectTimeoutMs) {
    return call(target, method, path, body, "application/octet-stream", timeoutMs, connectTimeoutMs);
  }

  private Future<Answer> call(int target, HttpMethod method, String path, Buffer body, String contentType,
                              long timeoutMs, long connectTimeoutMs) {
    RequestOptions base = targets.get(target);
    RequestOptions req = new RequestOptions(base).setMethod(method).setURI(base.getURI() + path)
        .setIdleTimeout(timeoutMs).setConnectTimeout(connectTimeoutMs);
    if (body != null) {
      req.putHeader("Content-Type", contentType);
    }
    if (opt.clientKey() != null) {
      req.putHeader("Authorization", "Bearer " + opt.clientKey());
    }
    return client.request(req)
        .compose(r -> body == null ? r.send() : r.send(body))
        .compose(resp -> resp.body().map(b -> new Answer(resp.statusCode(), resp.getHeader("Retry-After"), b)));
  }

  /** Any HTTP answer proves the address; only a connection that fails or hangs stops the run. */
  private Future<?> probe(String url) {
    return call(opt.urls().indexOf(url), HttpMethod.GET, "/health", null, PROBE_TIMEOUT_MS, PROBE_TIMEOUT_MS)
        .recover(err -> Future.failedFuture(new UnreachableUrl(url, err)));
  }

  private void begin() {
    cpu = ClientCpu.start();
    startNanos = System.nanoTime();
    tickNanos = startNanos;
    for (int c = 0; c < opt.clients(); c++) {
      nextEnqueue(c);
    }
    if (!opt.enqueueOnly()) {
      for (int p = 0; p < opt.pullers(); p++) {
        pull(p);
      }
    }
    progressTimer = vertx.setPeriodic(progressEveryMs, id -> progress.accept(progressLine()));
    // One sweep for the request timeouts of all connections, rather than a timer per request.
    long sweepMs = Math.max(1, Math.min(MAX_SWEEP_MS, requestTimeoutMs / 10));
    long timeoutNanos = requestTimeoutMs * 1_000_000;
    sweepTimer = vertx.setPeriodic(sweepMs, id -> {
      long now = System.nanoTime();
      for (EnqueueConnection conn : connections) {
        conn.expire(now, timeoutNanos);
      }
    });
  }

  private void nextEnqueue(int c) {
    if (nextIndex >= opt.works()) {
      return;
    }
    int index = nextIndex++;
    if (!opt.openLoop()) {
      send(c, index, System.nanoTime());
      return;
    }
    // Open loop: work i is due at start + i/rate whether or not the server kept up; latency counts
    // from that intended time, so a stall shows in the percentiles instead of slowing the clock.
    long intended = startNanos + (long) (index * 1e9 / opt.rate());
    long delayMs = (intended - System.nanoTime()) / 1_000_000;
    if (delayMs >= 1) {
      vertx.setTimer(delayMs, t -> send(c, index, intended));
    } else {
      send(c, index, intended);
    }
  }

  /** Sends work {@code index}; {@code originNanos} is where its latency counts from, kept across retries. */
  private void send(int c, int index, long originNanos) {
    connections[c].send(requests.request(c % targets.size(), index),
        (answer, failure) -> enqueueAnswered(c, index, originNanos, answer, failure));
  }

  private void enqueueAnswered(int c, int index, long originNanos, Answer resp, Throwable failure) {
    long now = System.nanoTime();
    if (failure != null) {
      errors.failure(ENQUEUE, failure);
      enqueueFailed(c);
      return;
    }
    int status = resp.status();
    if (status == 200) {
      WorkId id = idOf(resp.body());
      if (id == null) {
        errors.add(ENQUEUE, "answer without an id");
        enqueueFailed(c);
        return;
      }
      enqueueLatency.recordNanos(now - originNanos);
      enqueueOk++;
      intervals.accepted(enqueueOk, now - startNanos);
      ledger.enqueued(id.msb(), id.lsb(), index, originNanos);
      answered(c);
      return;
    }
    errors.status(ENQUEUE, status);
    // A full queue rejects without storing, so the same work may be sent again; give up only when
    // the queue stays full for longer than the run would wait for results anyway.
    if (status == 503 && now - originNanos < opt.timeout().toNanos()) {
      retries++;
      vertx.setTimer(retryAfterMs(resp), t -> send(c, index, originNanos));
      return;
    }
    enqueueFailed(c);
  }

  private void enqueueFailed(int c) {
    failedEnqueues++;
    answered(c);
  }

  private void answered(int c) {
    answered++;
    if (answered == opt.works()) {
      enqueuePhaseDone();
    } else {
      nextEnqueue(c);
    }
  }

  private void enqueuePhaseDone() {
    enqueueDoneNanos = System.nanoTime();
    if (opt.enqueueOnly() || ledger.allBack()) {
      finish();
      return;
    }
    drainTimer = vertx.setTimer(Math.max(1, opt.timeout().toMillis()), t -> {
      timedOut = true;
      finish();
    });
  }

  private void pull(int p) {
    if (stopping) {
      return;
    }
    pullsInFlight++;
    pullSentNanos[p] = System.nanoTime();
    call(p % targets.size(), HttpMethod.POST, pullPath, null, requestTimeoutMs, connectTimeoutMs)
        .onComplete(ar -> pulled(p, ar));
  }

  private void pulled(int p, AsyncResult<Answer> ar) {
    pullsInFlight--;
    long now = System.nanoTime();
    long waitMs = MAX_EMPTY_PULL_WAIT_MS;
    if (ar.failed()) {
      errors.failure(PULL, ar.cause());
    } else if (ar.result().status() == 200) {
      List<String> ids = new ArrayList<>();
      int n = record(ar.result().body(), now, ids);
      if (n > 0) {
        lastResultNanos = now;
      }
      if (opt.verify() && !ids.isEmpty()) {
        acknowledge(p, ids);
      }
      // A long-polling pull waits at the balancer for the first result: the next one goes at once.
      // An empty answer that came back early is a Swell that does not wait (an older one): then the
      // pause grows, so an idle queue is not hammered.
      boolean waitedThere = now - pullSentNanos[p] >= PULL_WAIT_MS * 1_000_000 / 2;
      emptyPullWaitMs[p] = n > 0 || waitedThere ? 0
          : Math.min(MAX_EMPTY_PULL_WAIT_MS, Math.max(5, emptyPullWaitMs[p] * 2));
      waitMs = n > 0 ? 0 : emptyPullWaitMs[p];
    } else {
      errors.status(PULL, ar.result().status());
      if (ar.result().status() == 503) {
        waitMs = retryAfterMs(ar.result());
      }
    }
    if (stopping) {
      finishedOnceQuiet();
      return;
    }
    if (enqueueDoneNanos >= 0 && ledger.allBack()) {
      finish();
      return;
    }
    if (waitMs == 0) {
      pull(p);
    } else {
      vertx.setTimer(waitMs, t -> pull(p));
    }
  }

  /**
   * Acknowledges a page the ledger now holds (the ledger verifies every result once the run is over).
   * When the acknowledgement fails, the results come back after {@link #ACK_MS}, and the ledger counts
   * them once.
   */
  private void acknowledge(int p, List<String> ids) {
    acksInFlight++;
    Buffer body = new JsonObject().put("ids", new JsonArray(new ArrayList<>(ids))).toBuffer();
    call(p % targets.size(), HttpMethod.POST, "/ackCompleted", body, "application/json", requestTimeoutMs,
        connectTimeoutMs)
        .onComplete(ar -> {
          acksInFlight--;
          if (ar.failed()) {
            errors.failure(ACK, ar.cause());
            ledger.unacknowledged(ids);
          } else if (ar.result().status() != 200) {
            errors.status(ACK, ar.result().status());
            ledger.unacknowledged(ids);
          } else if (ackedCount(ar.result().body()) < ids.size()) {
            // Some were not found to acknowledge: they had already come back, and will be pulled again.
            ledger.unacknowledged(ids);
          }
          if (stopping) {
            finishedOnceQuiet();
          }
        });
  }

  private static long ackedCount(Buffer answer) {
    try {
      return answer.toJsonObject().getValue("acked") instanceof Number n ? n.longValue() : -1;
    } catch (RuntimeException e) {
      return -1;
    }
  }

  /** The run is over once the pulls and acknowledgements already sent have come back. */
  private void finishedOnceQuiet() {
    if (pullsInFlight == 0 && acksInFlight == 0 && !finished.future().isComplete()) {
      cpuUsage = cpu.stop();
      finished.tryComplete();
    }
  }

  /** Feeds a pulled page into the ledger, adding its ids to {@code ids}; returns how many results it held. */
  private int record(Buffer body, long now, List<String> ids) {
    JsonArray page;
    try {
      page = body.toJsonArray();
    } catch (RuntimeException e) {
      errors.add(PULL, "answer not a JSON array");
      return 0;
    }
    if (page == null) {
      errors.add(PULL, "answer not a JSON array");
      return 0;
    }
    int n = 0;
    for (Object o : page) {
      if (o instanceof JsonObject w && w.getValue("id") instanceof String id) {
        Object it = w.getValue("iterations");
        ledger.pulled(id, w.getValue("result") instanceof String r ? r : null,
            it instanceof Number num ? num.longValue() : -1, now);
        ids.add(id);
        n++;
      } else {
        errors.add(PULL, "result without an id");
      }
    }
    return n;
  }

  /** Stops issuing requests; the run is over once the pulls and acknowledgements already sent have come back. */
  private void finish() {
    if (stopping) {
      return;
    }
    stopping = true;
    vertx.cancelTimer(drainTimer);
    vertx.cancelTimer(progressTimer);
    vertx.cancelTimer(sweepTimer);
    for (EnqueueConnection conn : connections) {
      conn.close();
    }
    finishedOnceQuiet();
  }

  /** The id of an enqueue answer: read straight from its bytes, through a JSON parser only if it is shaped otherwise. */
  static WorkId idOf(Buffer answer) {
    byte[] bytes = answer.getBytes();
    WorkId fast = WorkId.fromAnswer(bytes, 0, bytes.length);
    if (fast != null) {
      return fast;
    }
    try {
      JsonObject body = answer.toJsonObject();
      return body.getValue("id") instanceof String id ? WorkId.of(id) : null;
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Retry-After in seconds as the server asked (at least 50 ms, at most 30 s); 1 s when it did not say. */
  static long retryAfterMs(Answer resp) {
    String h = resp.retryAfter();
    if (h == null) {
      return 1000;
    }
    try {
      return Math.min(30_000, Math.max(50, Long.parseLong(h.trim()) * 1000));
    } catch (NumberFormatException e) {
      return 1000;
    }
  }

  String progressLine() {
    long now = System.nanoTime();
    double dt = Math.max(1e-9, (now - tickNanos) / 1e9);
    long accepted = enqueueOk;
    long completed = ledger.completed();
    String line = String.format("%5.0fs  enqueued %d/%d (%.0f/s)", (now - startNanos) / 1e9, accepted, opt.works(),
        (accepted - tickAccepted) / dt);
    if (!opt.enqueueOnly()) {
      line += String.format("  completed %d (%.0f/s)", completed, (completed - tickCompleted) / dt);
    }
    line += String.format("  p99 enqueue %.1f ms", enqueueLatency.percentileMs(99));
    if (!opt.enqueueOnly()) {
      line += String.format(", to result %.1f ms", ledger.endToEnd().percentileMs(99));
    }
    long errs = errors.total();
    if (errs > 0) {
      line += "  errors " + errs;
    }
    tickNanos = now;
    tickAccepted = accepted;
    tickCompleted = completed;
    return line;
  }

  Future<Void> finished() {
    return finished.future();
  }

  /** What the run measured; read once {@link #finished()} has completed. */
  Report report(Long mismatches) {
    long end = lastResultNanos >= 0 ? Math.max(lastResultNanos, enqueueDoneNanos) : enqueueDoneNanos;
    return new Report(opt, enqueueOk, ledger.accepted(), failedEnqueues, retries,
        (enqueueDoneNanos - startNanos) / 1e9, (end - startNanos) / 1e9,
        ledger.completed(), ledger.missing(), ledger.duplicateResults(), ledger.redelivered(), ledger.duplicateIds(),
        ledger.unknown(),
        mismatches, timedOut, enqueueLatency.summary(), ledger.endToEnd().summary(), errors, cpuUsage, intervals);
  }

  WorkLedger ledger() {
    return ledger;
  }

  Bodies bodies() {
    return bodies;
  }
}
