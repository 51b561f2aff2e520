package swell.it;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No request may take an endpoint down or hold it up: stalled and trickling bodies are cut off at
 * bodyTimeoutMs while others are served, the bytes of bodies in flight and the works waiting for a
 * forward are bounded (503 busy past them), and every refusal comes before {@code 100 Continue}.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EndpointLimitsTest {
  private InProcessSwell swell;

  @AfterEach
  void stop() {
    if (swell != null) {
      swell.close();
    }
  }

  private static void assertBusy(int status, String body, String retryAfter) {
    assertThat(status).as(body).isEqualTo(503);
    assertThat(new JsonObject(body).getString("error")).isEqualTo("busy");
    assertThat(retryAfter).isEqualTo("1");
  }

  @Test
  void fiveHundredStalledOrTricklingUploadsDoNotHoldUpAClientAndAre408AtTheirDeadline(Vertx vertx,
                                                                                       @TempDir Path dir) {
    swell = new InProcessSwell(vertx).startBalancer(InProcessSwell.balancerConf(dir))
        .startEndpoint(new JsonObject().put("bodyTimeoutMs", 2000));
    SwellHttp client = swell.client();
    client.send("GET", "/health", null);
    List<RawHttp> slow = new ArrayList<>();
    ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
    try {
      for (int i = 0; i < 500; i++) {
        RawHttp conn = RawHttp.connect(swell.endpointPort()).send(RawHttp.enqueueHead(100));
        slow.add(conn);
      }
      List<RawHttp> tricklers = slow.subList(0, 250);
      trickle.scheduleAtFixedRate(() -> tricklers.forEach(c -> {
        try {
          c.send("x");
        } catch (IllegalStateException closed) {
          // cut off: what the test waits for
        }
      }), 0, 200, TimeUnit.MILLISECONDS);

      long start = System.nanoTime();
      HttpResponse<String> r = client.send("PUT", "/enqueue?iterations=1", "on time".getBytes());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));

      for (RawHttp conn : slow) {
        RawHttp.Response cut = conn.readHead(Duration.ofSeconds(10));
        assertThat(cut).as("an answer within the body timeout").isNotNull();
        assertThat(cut.status()).as(cut.head()).isEqualTo(408);
        assertThat(new JsonObject(cut.body()).getString("error")).isEqualTo("body_timeout");
        assertThat(conn.closedWithin(Duration.ofSeconds(5))).isTrue();
      }
    } finally {
      trickle.shutdownNow();
      slow.forEach(RawHttp::close);
    }
    assertThat(swell.status().getLong("pending")).isEqualTo(1);
    assertThat(client.send("PUT", "/enqueue?iterations=1", "still serving".getBytes()).statusCode()).isEqualTo(200);
  }

  @Test
  void aHundredConcurrentUploadsOfTheLargestBodyAreBoundedAndTheEndpointKeepsServing(Vertx vertx,
                                                                                       @TempDir Path dir)
      throws Exception {
    int maxBody = 1024 * 1024;
    swell = new InProcessSwell(vertx);
    // A balancer that takes its time, so that uploads overlap as they would against a busy store.
    FakeBalancer balancer = swell.startFake().then(FakeBalancer.late(300));
    int port = Ports.free();
    JsonObject conf = new JsonObject().put("role", "endpoint").put("host", "127.0.0.1").put("port", port)
        .put("balancerUrls", new JsonArray().add(balancer.url())).put("clusterToken", InProcessSwell.TOKEN)
        .put("maxBodyBytes", maxBody).put("maxInFlightBytes", 8 * maxBody).put("instances", 2);
    Path log = dir.resolve("endpoint.log");
    // 100 bodies of 1 MiB held at once would not fit this heap; the bound keeps 8 of them.
    try (RoleProcess endpoint = RoleProcess.start(conf, log, List.of("-Xmx64m", "-XX:+UseSerialGC"))) {
      SwellHttp client = new SwellHttp("http://127.0.0.1:" + port, null);
      SwellHttp.await("the endpoint listens", Duration.ofSeconds(30), () -> {
        try {
          return client.send("GET", "/health", null).statusCode() == 200;
        } catch (IllegalStateException notYet) {
          return false;
        }
      });
      byte[] body = new byte[maxBody];
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      List<CompletableFuture<HttpResponse<String>>> uploads = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        uploads.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/enqueue?iterations=1"))
            .timeout(Duration.ofSeconds(60)).PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
            HttpResponse.BodyHandlers.ofString()));
      }
      Set<String> accepted = new HashSet<>();
      int busy = 0;
      for (CompletableFuture<HttpResponse<String>> u : uploads) {
        HttpResponse<String> r = u.get(90, TimeUnit.SECONDS);
        if (r.statusCode() == 200) {
          accepted.add(new JsonObject(r.body()).getString("id"));
        } else {
          assertBusy(r.statusCode(), r.body(), r.headers().firstValue("Retry-After").orElse(null));
          busy++;
        }
      }
      assertThat(busy).as("uploads past maxInFlightBytes are refused").isPositive();
      assertThat(accepted).as("uploads within it are stored").isNotEmpty();
      Set<String> stored = new HashSet<>();
      balancer.received("/enqueue_batch").forEach(b -> b.ids().forEach(id -> stored.add(id.toString())));
      assertThat(stored).isEqualTo(accepted);

      assertThat(endpoint.alive()).isTrue();
      assertThat(client.send("GET", "/health", null).statusCode()).isEqualTo(200);
      assertThat(client.send("PUT", "/enqueue?iterations=1", "small".getBytes()).statusCode()).isEqualTo(200);
      assertThat(Files.readString(log)).doesNotContain("OutOfMemoryError");
    }
  }

  @Test
  void expect100ContinueIsAnsweredOnceTheRequestPassedItsChecks(Vertx vertx, @TempDir Path dir) {
    swell = new InProcessSwell(vertx).startBalancer(InProcessSwell.balancerConf(dir)).startEndpoint(new JsonObject());
    try (RawHttp conn = RawHttp.connect(swell.endpointPort())) {
      RawHttp.Response go = conn.send(RawHttp.enqueueHead(5, "Expect: 100-continue")).readHead(Duration.ofMillis(900));
      assertThat(go).as("100 Continue comes at once, not after the client's own 1 s wait").isNotNull();
      assertThat(go.status()).as(go.head()).isEqualTo(100);
      RawHttp.Response done = conn.send("hello").readHead(Duration.ofSeconds(5));
      assertThat(done.status()).as(done.head()).isEqualTo(200);
      String id = new JsonObject(done.body()).getString("id");
      assertThat(swell.client().json("GET", "/work/" + id).getString("status")).isEqualTo("queued");
    }
  }

  @Test
  void bodiesOverALimitAreRefusedBefore100ContinueAndInFlightBytesAreGivenBack(Vertx vertx, @TempDir Path dir) {
    swell = new InProcessSwell(vertx).startBalancer(InProcessSwell.balancerConf(dir))
        .startEndpoint(new JsonObject().put("maxBodyBytes", 1024).put("maxInFlightBytes", 2048));
    int port = swell.endpointPort();
    try (RawHttp tooLarge = RawHttp.connect(port); RawHttp first = RawHttp.connect(port);
         RawHttp second = RawHttp.connect(port); RawHttp third = RawHttp.connect(port);
         RawHttp chunked = RawHttp.connect(port); RawHttp later = RawHttp.connect(port)) {
      RawHttp.Response r = tooLarge.send(RawHttp.enqueueHead(1025, "Expect: 100-continue"))
          .readHead(Duration.ofSeconds(5));
      assertThat(r.status()).as(r.head()).isEqualTo(413);
      assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("body_too_large");
      assertThat(tooLarge.closedWithin(Duration.ofSeconds(5))).isTrue();

      // Two declared bodies of 1024 take the whole 2048.
      assertThat(first.send(RawHttp.enqueueHead(1024, "Expect: 100-continue")).readHead(Duration.ofSeconds(5))
          .status()).isEqualTo(100);
      assertThat(second.send(RawHttp.enqueueHead(1024, "Expect: 100-continue")).readHead(Duration.ofSeconds(5))
          .status()).isEqualTo(100);
      r = third.send(RawHttp.enqueueHead(1, "Expect: 100-continue")).readHead(Duration.ofSeconds(5));
      assertBusy(r.status(), r.body(), r.header("Retry-After"));
      assertThat(third.closedWithin(Duration.ofSeconds(5))).isTrue();
      // A body without a declared size is counted as it comes.
      r = chunked.send("PUT /enqueue?iterations=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "a\r\n0123456789\r\n").readHead(Duration.ofSeconds(5));
      assertBusy(r.status(), r.body(), r.header("Retry-After"));

      r = first.send(new byte[1024]).readHead(Duration.ofSeconds(5));
      assertThat(r.status()).as(r.head()).isEqualTo(200);
      assertThat(later.send(RawHttp.enqueueHead(1024, "Expect: 100-continue")).readHead(Duration.ofSeconds(5))
          .status()).as("the answered body gave its bytes back").isEqualTo(100);
    }
    assertThat(swell.status().getLong("pending")).isEqualTo(1);
  }

  @Test
  void worksPastForwardQueueMaxAreBusy(Vertx vertx) throws Exception {
    swell = new InProcessSwell(vertx);
    FakeBalancer balancer = swell.startFake().then(FakeBalancer.late(1500));
    swell.startEndpoint(new JsonObject().put("balancerUrls", new JsonArray().add(balancer.url()))
        .put("forwardMaxInFlight", 1).put("forwardQueueMax", 1));
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      sent.add(http.sendAsync(HttpRequest.newBuilder(URI.create(swell.endpointUrl() + "/enqueue?iterations=1"))
          .PUT(HttpRequest.BodyPublishers.ofString("w" + i)).build(), HttpResponse.BodyHandlers.ofString()));
    }
    int ok = 0;
    int busy = 0;
    for (CompletableFuture<HttpResponse<String>> f : sent) {
      HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
      if (r.statusCode() == 200) {
        ok++;
      } else {
        assertBusy(r.statusCode(), r.body(), r.headers().firstValue("Retry-After").orElse(null));
        busy++;
      }
    }
    assertThat(ok).as("one in flight, one waiting").isEqualTo(2);
    assertThat(busy).isEqualTo(1);
    assertThat(balancer.received("/enqueue_batch").stream().mapToInt(b -> b.ids().size()).sum()).isEqualTo(2);
    assertThat(UUID.fromString(swell.client().enqueue("afterwards".getBytes(), 1))).isNotNull();
  }
}
