package swell.endpoint;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import swell.common.ApiError;

import java.util.List;
import java.util.Map;

/**
 * Forwards requests to the balancers over one pooled keep-alive client. It sticks to the balancer
 * that last answered and fails over to the next when one cannot be reached or answers 5xx other
 * than a deliberate 503 (a full queue is an answer, not an outage).
 */
final class BalancerClient {
  private static final Logger log = LoggerFactory.getLogger(BalancerClient.class);

  private final WebClient client;
  private final List<String> urls;
  private final String authorization;
  private final long timeoutMs;
  private volatile int preferred;

  BalancerClient(Vertx vertx, List<String> urls, String clusterToken, int poolSize, long timeoutMs) {
    this.client = WebClient.create(vertx, new WebClientOptions()
            .setKeepAlive(true)
            .setTcpNoDelay(true)
            .setConnectTimeout((int) Math.min(timeoutMs, 5_000)),
        new PoolOptions().setHttp1MaxSize(poolSize).setMaxWaitQueueSize(10_000));
    this.urls = urls;
    this.authorization = "Bearer " + clusterToken;
    this.timeoutMs = timeoutMs;
  }

  /**
   * Sends one request to the first balancer that answers. The answer is returned whatever its
   * status; only when none answers does the future fail, with a 503 for the client.
   */
  Future<HttpResponse<Buffer>> send(HttpMethod method, String pathAndQuery, Map<String, String> headers,
                                    Buffer body) {
    return attempt(method, pathAndQuery, headers, body, preferred, 0);
  }

  private Future<HttpResponse<Buffer>> attempt(HttpMethod method, String pathAndQuery, Map<String, String> headers,
                                               Buffer body, int index, int tried) {
    String base = urls.get(index % urls.size());
    HttpRequest<Buffer> req = client.requestAbs(method, base + pathAndQuery)
        .putHeader("Authorization", authorization)
        .timeout(timeoutMs);
    headers.forEach(req::putHeader);
    Future<HttpResponse<Buffer>> sent = body == null ? req.send() : req.sendBuffer(body);
    return sent.compose(resp -> {
      if (resp.statusCode() >= 500 && resp.statusCode() != 503) {
        return Future.failedFuture(new IllegalStateException(base + " answered " + resp.statusCode()));
      }
      preferred = index % urls.size();
      return Future.succeededFuture(resp);
    }, e -> Future.failedFuture(new IllegalStateException(base + ": " + e.getMessage(), e)))
        .recover(e -> {
          if (tried + 1 < urls.size()) {
            log.warn("balancer unreachable, failing over: {}", e.getMessage());
            return attempt(method, pathAndQuery, headers, body, index + 1, tried + 1);
          }
          log.warn("no balancer reachable for {} {}: {}", method, pathAndQuery, e.getMessage());
          return Future.failedFuture(ApiError.unavailable("no_balancer",
              "no balancer is reachable right now; retry later", 1));
        });
  }

  /** Whether a balancer answers and its store takes writes, for {@code /ready}. */
  Future<Boolean> ready() {
    return send(HttpMethod.GET, "/ready", Map.of(), null).map(r -> r.statusCode() == 200)
        .otherwise(false);
  }

  void close() {
    client.close();
  }
}
