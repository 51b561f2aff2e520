package swell.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Vert.x's HTTP server metrics under vertx-micrometer's names ({@code vertx_http_server_*}), made
 * for a server that answers one request per work: vertx-micrometer's own builds tags and looks up
 * five meters per request, about 10 microseconds of CPU on this project's 2-core machine, which took
 * 15 to 20 % off the endpoint's enqueue rate (bench/README.md). Here a request costs two clock reads
 * and a few adds: the start time lives on the connection (HTTP/1.1 answers one request at a time per
 * connection; a pipelined request's time counts from the latest start), and the counter and timer
 * of each method and status are made once and kept in an array.
 *
 * <p>One instance per server address, shared by the verticle instances listening there.
 */
final class LeanHttpServerMetrics implements HttpServerMetrics<LeanHttpServerMetrics.Connection, Object,
    LeanHttpServerMetrics.Connection> {
  /** The methods Swell serves get a slot each; any other is counted under OTHER. */
  private static final List<String> METHODS = List.of("GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH");
  private static final int OTHER = METHODS.size();
  private static final int MIN_STATUS = 100;
  private static final int STATUSES = 500;

  /** One connection's request under way. */
  static final class Connection {
    long start;
    int method;
  }

  private final MeterRegistry registry;
  private final Tags local;
  private final LongAdder connections = new LongAdder();
  private final LongAdder[] activeRequests = new LongAdder[METHODS.size() + 1];
  private final Counter bytesRead;
  private final Counter bytesWritten;
  /** Per method and status: [method][status - 100]; made on first use (a race makes the same meter twice, harmlessly). */
  private final Counter[][] requests = new Counter[METHODS.size() + 1][STATUSES];
  private final Timer[][] responseTimes = new Timer[METHODS.size() + 1][STATUSES];

  LeanHttpServerMetrics(MeterRegistry registry, SocketAddress localAddress) {
    this.registry = registry;
    this.local = Tags.of("local", localAddress == null ? "?" : localAddress.hostAddress() + ":" + localAddress.port());
    Gauge.builder("vertx.http.server.active.connections", connections, LongAdder::doubleValue)
        .description("Number of opened connections to the HTTP Server").tags(local).register(registry);
    bytesRead = Counter.builder("vertx.http.server.bytes.read").description("Number of bytes received by the server")
        .tags(local).register(registry);
    bytesWritten = Counter.builder("vertx.http.server.bytes.written").description("Number of bytes sent by the server")
        .tags(local).register(registry);
    for (int m = 0; m <= METHODS.size(); m++) {
      LongAdder active = new LongAdder();
      activeRequests[m] = active;
      Gauge.builder("vertx.http.server.active.requests", active, LongAdder::doubleValue)
          .description("Number of requests being processed").tags(local).tag("method", methodName(m))
          .register(registry);
    }
  }

  private static String methodName(int m) {
    return m == OTHER ? "OTHER" : METHODS.get(m);
  }

  private static int methodIndex(String name) {
    int i = METHODS.indexOf(name);
    return i < 0 ? OTHER : i;
  }

  @Override
  public Connection connected(SocketAddress remoteAddress, String remoteName) {
    connections.increment();
    return new Connection();
  }

  @Override
  public void disconnected(Connection connection, SocketAddress remoteAddress) {
    connections.decrement();
  }

  @Override
  public void bytesRead(Connection connection, SocketAddress remoteAddress, long numberOfBytes) {
    bytesRead.increment(numberOfBytes);
  }

  @Override
  public void bytesWritten(Connection connection, SocketAddress remoteAddress, long numberOfBytes) {
    bytesWritten.increment(numberOfBytes);
  }

  @Override
  public Connection requestBegin(Connection connection, HttpRequest request) {
    connection.start = System.nanoTime();
    connection.method = methodIndex(request.method().name());
    activeRequests[connection.method].increment();
    return connection;
  }

  @Override
  public void requestReset(Connection connection) {
    activeRequests[connection.method].decrement();
  }

  @Override
  public void responseEnd(Connection connection, HttpResponse response, long bytesWritten) {
    int m = connection.method;
    activeRequests[m].decrement();
    int s = Math.min(Math.max(response.statusCode(), MIN_STATUS), MIN_STATUS + STATUSES - 1) - MIN_STATUS;
    Counter c = requests[m][s];
    Timer t = responseTimes[m][s];
    if (c == null || t == null) {
      Tags tags = local.and("method", methodName(m), "code", Integer.toString(s + MIN_STATUS));
      c = Counter.builder("vertx.http.server.requests").description("Number of processed requests").tags(tags)
          .register(registry);
      t = Timer.builder("vertx.http.server.response.time").description("Request processing time").tags(tags)
          .register(registry);
      requests[m][s] = c;
      responseTimes[m][s] = t;
    }
    c.increment();
    t.record(System.nanoTime() - connection.start, TimeUnit.NANOSECONDS);
  }
}
