package swell.metrics;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The HTTP server meters Swell keeps in place of vertx-micrometer's: what each request adds to. */
class LeanHttpServerMetricsTest {
  private static final SocketAddress LOCAL = SocketAddress.inetSocketAddress(5000, "0.0.0.0");
  private static final SocketAddress REMOTE = SocketAddress.inetSocketAddress(40000, "127.0.0.1");

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final LeanHttpServerMetrics metrics = new LeanHttpServerMetrics(registry, LOCAL);

  private static HttpRequest request(HttpMethod method) {
    return new HttpRequest() {
      @Override
      public int id() {
        return 1;
      }

      @Override
      public String uri() {
        return "/enqueue";
      }

      @Override
      public String absoluteURI() {
        return "http://localhost:5000/enqueue";
      }

      @Override
      public HttpMethod method() {
        return method;
      }

      @Override
      public MultiMap headers() {
        return MultiMap.caseInsensitiveMultiMap();
      }

      @Override
      public SocketAddress remoteAddress() {
        return REMOTE;
      }
    };
  }

  private static HttpResponse status(int code) {
    return new HttpResponse() {
      @Override
      public int statusCode() {
        return code;
      }

      @Override
      public MultiMap headers() {
        return MultiMap.caseInsensitiveMultiMap();
      }
    };
  }

  private double active(String method) {
    return registry.get("vertx.http.server.active.requests").tag("method", method).gauge().value();
  }

  @Test
  void requestsCountByMethodAndStatusWithTheirTimeAndConnectionsAndBytes() throws Exception {
    LeanHttpServerMetrics.Connection c = metrics.connected(REMOTE, null);
    metrics.bytesRead(c, REMOTE, 1100);
    LeanHttpServerMetrics.Connection r = metrics.requestBegin(c, request(HttpMethod.PUT));
    assertThat(active("PUT")).isEqualTo(1);
    Thread.sleep(5);
    metrics.responseEnd(r, status(200), 60);
    metrics.bytesWritten(c, REMOTE, 120);
    metrics.responseEnd(metrics.requestBegin(c, request(HttpMethod.PUT)), status(503), 60);
    metrics.responseEnd(metrics.requestBegin(c, request(HttpMethod.valueOf("PROPFIND"))), status(405), 60);
    metrics.requestReset(metrics.requestBegin(c, request(HttpMethod.GET)));

    var ok = registry.get("vertx.http.server.requests").tags("local", "0.0.0.0:5000", "method", "PUT", "code", "200");
    assertThat(ok.counter().count()).isEqualTo(1);
    assertThat(registry.get("vertx.http.server.response.time").tags("method", "PUT", "code", "200").timer()
        .totalTime(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(5);
    assertThat(registry.get("vertx.http.server.requests").tags("method", "PUT", "code", "503").counter().count())
        .isEqualTo(1);
    assertThat(registry.get("vertx.http.server.requests").tags("method", "OTHER", "code", "405").counter().count())
        .isEqualTo(1);
    assertThat(active("PUT")).isZero();
    assertThat(active("GET")).isZero();
    assertThat(registry.get("vertx.http.server.active.connections").gauge().value()).isEqualTo(1);
    assertThat(registry.get("vertx.http.server.bytes.read").counter().count()).isEqualTo(1100);
    assertThat(registry.get("vertx.http.server.bytes.written").counter().count()).isEqualTo(120);
    metrics.disconnected(c, REMOTE);
    assertThat(registry.get("vertx.http.server.active.connections").gauge().value()).isZero();
  }
}
