package swell.endpoint;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import swell.common.ApiError;
import swell.common.BalancerRotation;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Forwards requests to the balancers over one pooled keep-alive client, and decides what a failed
 * forward means. A request for which no connection could be had never left: it may go to the next
 * balancer. A request that left and got no answer may have taken effect: only a request that is
 * safe to repeat is repeated, and an enqueue batch only at the same balancer (idempotent by id).
 * It sticks to the balancer that last answered.
 */
final class BalancerClient {
  private static final Logger log = LoggerFactory.getLogger(BalancerClient.class);
  /** A connection (or a free pooled one) not had by then means the balancer is out of reach. */
  private static final long MAX_CONNECT_TIMEOUT_MS = 5_000;
  /** First pause before an enqueue batch is sent again after no answer came; it doubles up to the cap. */
  private static final long FIRST_RESEND_PAUSE_MS = 50;
  private static final long MAX_RESEND_PAUSE_MS = 1_000;
  private static final Map<String, String> BATCH_HEADERS = Map.of("Content-Type", "application/octet-stream");

  /** A balancer's answer, read whole. */
  record Reply(int status, String retryAfter, Buffer body) {
  }

  /** No connection to the balancer could be had: the request never left, so it may go elsewhere. */
  static final class NotSent extends RuntimeException {
    NotSent(String url, Throwable cause) {
      super(url + ": " + cause.getMessage(), cause, false, false);
    }
  }

  /** The request left and no answer came (timeout, connection lost): it may or may not have taken effect. */
  static final class OutcomeUnknown extends RuntimeException {
    OutcomeUnknown(String url, Throwable cause) {
      super(url + ": " + cause.getMessage(), cause, false, false);
    }
  }

  private final Vertx vertx;
  private final HttpClientAgent client;
  private final List<String> urls;
  private final List<RequestOptions> targets = new ArrayList<>();
  private final String authorization;
  private final long timeoutMs;
  private final BalancerRotation rotation;
  /** With a shared store a work's id is one work at every balancer, so an unanswered batch may go to another. */
  private final boolean shared;
  private final EndpointMeters meters;

  /**
   * @param mode {@code spread} only for balancers sharing one store (see {@link BalancerRotation})
   * @param meters told how long each forward took, and of failovers and resends
   */
  BalancerClient(Vertx vertx, List<String> urls, String clusterToken, int poolSize, long timeoutMs,
                 BalancerRotation.Mode mode, EndpointMeters meters) {
    this.vertx = vertx;
    this.meters = meters;
    this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
        new PoolOptions().setHttp1MaxSize(poolSize).setMaxWaitQueueSize(10_000));
    this.urls = urls;
    this.authorization = "Bearer " + clusterToken;
    this.timeoutMs = timeoutMs;
    this.rotation = new BalancerRotation(urls.size(), mode);
    this.shared = mode == BalancerRotation.Mode.SPREAD;
    for (String u : urls) {
      URI uri = URI.create(u);
      boolean tls = "https".equals(uri.getScheme());
      targets.add(new RequestOptions().setHost(uri.getHost()).setPort(uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80)
          .setSsl(tls).setURI(uri.getRawPath() == null ? "" : uri.getRawPath())
          .setConnectTimeout(Math.min(timeoutMs, MAX_CONNECT_TIMEOUT_MS)));
    }
  }

  /**
   * One try at balancer {@code index}: fails with {@link NotSent} when no connection could be had, or
   * with {@link OutcomeUnknown} when the request was sent and no whole answer came within
   * {@code waitMs}.
   */
  Future<Reply> sendTo(int index, HttpMethod method, String pathAndQuery, Map<String, String> headers, Buffer body,
                       long waitMs) {
    String url = urls.get(index);
    RequestOptions base = targets.get(index);
    RequestOptions options = new RequestOptions(base).setMethod(method).setURI(base.getURI() + pathAndQuery)
        .setIdleTimeout(waitMs).putHeader("Authorization", authorization);
    headers.forEach(options::putHeader);
    return client.request(options)
        .recover(e -> Future.failedFuture(new NotSent(url, e)))
        .compose(req -> (body == null ? req.send() : req.send(body))
            .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), resp.getHeader("Retry-After"), b)))
            .recover(e -> Future.failedFuture(new OutcomeUnknown(url, e))));
  }

  /**
   * A request that is safe to repeat (a read, an acknowledgement): every balancer is tried in turn
   * until one answers with anything but an outage (5xx other than a deliberate 503, or a refused
   * cluster token). Fails with a 503 no_balancer when none does.
   */
  Future<Reply> sendIdempotent(HttpMethod method, String pathAndQuery, Map<String, String> headers, Buffer body) {
    long start = System.nanoTime();
    return idempotentAt(rotation.next(now()), 0, method, pathAndQuery, headers, body)
        .onComplete(ar -> EndpointMeters.record(meters.otherForward, start));
  }

  private Future<Reply> idempotentAt(int index, int tried, HttpMethod method, String pathAndQuery,
                                     Map<String, String> headers, Buffer body) {
    return sendTo(index, method, pathAndQuery, headers, body, timeoutMs)
        .compose(reply -> outage(reply) ? outageOf(index, reply) : answered(index, reply))
        .recover(e -> tried + 1 < urls.size()
            ? failOver(index, e, () -> idempotentAt(next(index), tried + 1, method, pathAndQuery, headers, body))
            : noBalancer(method + " " + pathAndQuery, e));
  }

  /**
   * A request that must not run twice (a pull hands results out): it goes to the next balancer only
   * when it never left. Once sent, a missing answer fails with {@link OutcomeUnknown}; any answer,
   * whatever its status, is the answer.
   */
  Future<Reply> sendOnce(HttpMethod method, String pathAndQuery, Map<String, String> headers, long waitMs) {
    long start = System.nanoTime();
    return onceAt(rotation.next(now()), 0, method, pathAndQuery, headers, waitMs)
        .onComplete(ar -> EndpointMeters.record(meters.pullForward, start));
  }

  private Future<Reply> onceAt(int index, int tried, HttpMethod method, String pathAndQuery,
                               Map<String, String> headers, long waitMs) {
    return sendTo(index, method, pathAndQuery, headers, null, timeoutMs + waitMs)
        .compose(reply -> answered(index, reply))
        .recover(e -> {
          if (!(e instanceof NotSent)) {
            return Future.failedFuture(e);
          }
          return tried + 1 < urls.size()
              ? failOver(index, e, () -> onceAt(next(index), tried + 1, method, pathAndQuery, headers, waitMs))
              : noBalancer(method + " " + pathAndQuery, e);
        });
  }

  /**
   * Forwards an enqueue batch and settles its fate. A batch that surely did not arrive (no
   * connection) or that a balancer refused as an outage (5xx other than 503, or 401: a balancer
   * stores nothing of a batch it does not answer 200) goes to the next balancer. A batch sent without
   * an answer is sent again, the same bytes with the same ids, to the same balancer only (another
   * balancer's store might then hold the work twice) until {@code forwardTimeoutMs} after the first
   * send; each try waits at most half of it, so a balancer that stalls once gets a second chance. Then
   * it fails with {@link OutcomeUnknown}. Only a 200 settles a batch whose earlier try went unanswered.
   */
  Future<Reply> sendBatch(Buffer batch) {
    return batchAt(rotation.next(now()), 0, batch);
  }

  private Future<Reply> batchAt(int index, int tried, Buffer batch) {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    return sendTo(index, HttpMethod.POST, "/enqueue_batch", BATCH_HEADERS, batch, Math.max(1, timeoutMs / 2))
        .compose(reply -> outage(reply) ? outageOf(index, reply) : answered(index, reply))
        .recover(e -> {
          if (e instanceof OutcomeUnknown) {
            log.warn("no answer to an enqueue batch, sending it again to the same balancer: {}", e.getMessage());
            return resendUntil(index, batch, deadline, FIRST_RESEND_PAUSE_MS, e);
          }
          return tried + 1 < urls.size()
              ? failOver(index, e, () -> batchAt(next(index), tried + 1, batch))
              : noBalancer("an enqueue batch", e);
        });
  }

  private Future<Reply> resendUntil(int index, Buffer batch, long deadline, long pauseMs, Throwable last) {
    long leftMs = (deadline - System.nanoTime()) / 1_000_000 - pauseMs;
    if (leftMs <= 0) {
      return gaveUp(index, last);
    }
    // Alone, a balancer's store is its own: the batch goes to it again. Shared, any balancer stores
    // an id once, so the next one may take it (a balancer that died mid-batch does not hold it up).
    int target = shared ? next(index) : index;
    if (shared) {
      rotation.failed(index, now());
    }
    Promise<Reply> settled = Promise.promise();
    meters.resends.increment();
    vertx.setTimer(pauseMs, t -> sendTo(target, HttpMethod.POST, "/enqueue_batch", BATCH_HEADERS, batch,
        Math.min(leftMs, Math.max(1, timeoutMs / 2)))
        .compose(reply -> reply.status() == 200 ? answered(target, reply)
            : Future.failedFuture(new OutcomeUnknown(urls.get(target), new IllegalStateException(
                "answered " + reply.status() + " to a batch sent again"))))
        .recover(e -> resendUntil(target, batch, deadline, Math.min(MAX_RESEND_PAUSE_MS, pauseMs * 2), e))
        .onComplete(settled));
    return settled.future();
  }

  /** The batch's fate stays unknown: say so, and send new work to the next balancer from now on. */
  private Future<Reply> gaveUp(int index, Throwable last) {
    log.warn("an enqueue batch's outcome is unknown after {} ms: {}", timeoutMs, last.getMessage());
    rotation.failed(index, now());
    return Future.failedFuture(last instanceof OutcomeUnknown u ? u : new OutcomeUnknown(urls.get(index), last));
  }

  /** An answer that says the balancer cannot serve at all, as opposed to a deliberate refusal. */
  private static boolean outage(Reply reply) {
    return reply.status() == 401 || reply.status() >= 500 && reply.status() != 503;
  }

  private Future<Reply> outageOf(int index, Reply reply) {
    if (reply.status() == 401) {
      log.error("{} refused this endpoint's clusterToken", urls.get(index));
    }
    return Future.failedFuture(new IllegalStateException(urls.get(index) + " answered " + reply.status()));
  }

  private Future<Reply> answered(int index, Reply reply) {
    rotation.answered(index);
    return Future.succeededFuture(reply);
  }

  private int next(int index) {
    return rotation.after(index, now());
  }

  private static long now() {
    return System.currentTimeMillis();
  }

  private Future<Reply> failOver(int index, Throwable e, Supplier<Future<Reply>> next) {
    rotation.failed(index, now());
    meters.failovers.increment();
    log.warn("no usable answer from a balancer, trying the next: {}", e.getMessage());
    return next.get();
  }

  private static Future<Reply> noBalancer(String what, Throwable e) {
    log.warn("no balancer reachable for {}: {}", what, e.getMessage());
    return Future.failedFuture(ApiError.unavailable("no_balancer", "no balancer is reachable right now; retry later", 1));
  }

  /** Whether a balancer answers and its store takes writes, for {@code /ready}. */
  Future<Boolean> ready() {
    return sendIdempotent(HttpMethod.GET, "/ready", Map.of(), null).map(r -> r.status() == 200)
        .otherwise(false);
  }

  void close() {
    client.close();
  }
}
