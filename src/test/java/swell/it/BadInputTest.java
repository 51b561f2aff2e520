package swell.it;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad requests get a clear JSON error, change nothing in the queues, and leave the server serving.
 * No worker runs, so everything accepted stays pending where the test can count it.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BadInputTest {
  private InProcessSwell swell;
  private SwellHttp client;
  private String seededId;

  @BeforeEach
  void start(Vertx vertx, @TempDir Path dir) {
    JsonObject conf = InProcessSwell.balancerConf(dir).put("maxPending", 3).put("maxIterations", 1000)
        .put("maxTop", 50);
    swell = new InProcessSwell(vertx).startBalancer(conf)
        .startEndpoint(new JsonObject().put("maxBodyBytes", 1024).put("maxIterations", 1000).put("maxTop", 50));
    client = swell.client();
    seededId = client.enqueue("seed".getBytes(), 1);
  }

  @AfterEach
  void stop() {
    swell.close();
  }

  /** The one pending work seeded at start is all there is: the bad request stored nothing. */
  private void assertNothingChangedAndStillServing() {
    JsonObject status = swell.status();
    assertThat(status.getLong("pending")).isEqualTo(1);
    assertThat(status.getLong("completedUnpulled")).isZero();
    assertThat(client.json("GET", "/work/" + seededId).getString("status")).isEqualTo("queued");
    assertThat(client.send("GET", "/health", null).statusCode()).isEqualTo(200);
  }

  private static void assertError(HttpResponse<String> r, int status, String code) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    JsonObject body = new JsonObject(r.body());
    assertThat(body.getString("error")).isEqualTo(code);
    assertThat(body.getString("message")).isNotBlank();
  }

  @ParameterizedTest
  @ValueSource(strings = {"abc", "0", "-1", "1001", "1.5", "99999999999999999999", ""})
  void enqueueRejectsBadIterations(String iterations) {
    assertError(client.send("PUT", "/enqueue?iterations=" + iterations, "x".getBytes()), 400, "bad_iterations");
    assertNothingChangedAndStillServing();
  }

  @Test
  void enqueueRejectsMissingIterations() {
    assertError(client.send("PUT", "/enqueue", "x".getBytes()), 400, "bad_iterations");
    assertError(client.send("PUT", "/enqueue?iterations=1&iterations=2", "x".getBytes()), 400, "bad_iterations");
    assertNothingChangedAndStillServing();
  }

  @ParameterizedTest
  @ValueSource(strings = {"abc", "0", "-5", "51", ""})
  void pullRejectsBadTop(String top) {
    assertError(client.send("POST", "/pullCompleted?top=" + top, null), 400, "bad_top");
    assertError(client.send("POST", "/pullCompleted", null), 400, "bad_top");
    assertNothingChangedAndStillServing();
  }

  @ParameterizedTest
  @ValueSource(strings = {"abc", "0", "-1", "600001", "1.5", ""})
  void pullRejectsBadAckMs(String ackMs) {
    assertError(client.send("POST", "/pullCompleted?top=5&ackMs=" + ackMs, null), 400, "bad_ack_ms");
    assertNothingChangedAndStillServing();
  }

  @ParameterizedTest
  @ValueSource(strings = {"abc", "-1", "30001", "5&waitMs=6"})
  void pullRejectsBadWaitMs(String waitMs) {
    assertError(client.send("POST", "/pullCompleted?top=5&waitMs=" + waitMs, null), 400, "bad_wait_ms");
    assertNothingChangedAndStillServing();
  }

  @Test
  void ackRejectsAnythingButAnObjectWithAListOfWorkIds() {
    assertError(client.send("POST", "/ackCompleted", "not json".getBytes()), 400, "bad_request");
    assertError(client.send("POST", "/ackCompleted", "[\"x\"]".getBytes()), 400, "bad_request");
    assertError(client.send("POST", "/ackCompleted", null), 400, "bad_request");
    assertError(client.send("POST", "/ackCompleted", "{}".getBytes()), 400, "bad_ids");
    assertError(client.send("POST", "/ackCompleted", "{\"ids\":\"x\"}".getBytes()), 400, "bad_ids");
    assertError(client.send("POST", "/ackCompleted", "{\"ids\":[1]}".getBytes()), 400, "bad_ids");
    assertError(client.send("POST", "/ackCompleted", ("{\"ids\":[\"" + seededId + "\",\"nope\"]}").getBytes()),
        400, "bad_ids");
    JsonArray tooMany = new JsonArray();
    for (int i = 0; i < 51; i++) {
      tooMany.add(seededId);
    }
    assertError(client.send("POST", "/ackCompleted", new JsonObject().put("ids", tooMany).toBuffer().getBytes()),
        400, "bad_ids");
    assertError(client.send("POST", "/ackCompleted", new byte[8192]), 413, "body_too_large");
    assertNothingChangedAndStillServing();
  }

  @Test
  void bodyOverTheLimitIs413WithOrWithoutContentLength() throws Exception {
    assertError(client.send("PUT", "/enqueue?iterations=1", new byte[1025]), 413, "body_too_large");
    HttpRequest chunked = HttpRequest.newBuilder(URI.create(swell.endpointUrl() + "/enqueue?iterations=1"))
        .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(new byte[4096])))
        .build();
    HttpResponse<String> r = HttpClient.newHttpClient().send(chunked, HttpResponse.BodyHandlers.ofString());
    assertError(r, 413, "body_too_large");
    assertThat(client.send("PUT", "/enqueue?iterations=1", new byte[1024]).statusCode()).isEqualTo(200);
    assertThat(swell.status().getLong("pending")).isEqualTo(2);
  }

  @Test
  void wrongMethodIs405() {
    assertError(client.send("GET", "/enqueue?iterations=1", null), 405, "method_not_allowed");
    assertError(client.send("GET", "/pullCompleted?top=1", null), 405, "method_not_allowed");
    assertError(client.send("DELETE", "/work/" + seededId, null), 405, "method_not_allowed");
    assertNothingChangedAndStillServing();
  }

  @Test
  void unknownRouteAndIdAre404() {
    assertError(client.send("GET", "/nothing-here", null), 404, "not_found");
    assertError(client.send("GET", "/work/01900000-0000-7000-8000-000000000000", null), 404, "not_found");
    assertError(client.send("GET", "/work/not-a-uuid", null), 404, "not_found");
    assertNothingChangedAndStillServing();
  }

  @Test
  void balancerRoutesNeedTheClusterToken() {
    for (String token : new String[] {null, "wrong-token"}) {
      SwellHttp balancer = new SwellHttp(swell.balancerUrl(), token);
      assertError(balancer.send("PUT", "/enqueue?iterations=1", "x".getBytes()), 401, "unauthorized");
      assertError(balancer.send("POST", "/pullCompleted?top=10", null), 401, "unauthorized");
      assertError(balancer.send("POST", "/get_work?max=10", null), 401, "unauthorized");
      assertError(balancer.send("GET", "/status", null), 401, "unauthorized");
      assertError(balancer.send("POST", "/workers/leaving", "{\"workerId\":\"w\"}".getBytes()), 401, "unauthorized");
      assertError(balancer.send("GET", "/no-such-route", null), 401, "unauthorized");
    }
    assertNothingChangedAndStillServing();
  }

  @Test
  void malformedWorkerReportsAreRefused() {
    SwellHttp balancer = swell.balancerClient();
    Map<String, String> worker = Map.of("Swell-Worker", "w-1");
    assertError(balancer.send("POST", "/send_completed_work",
        ("{\"results\":[{\"id\":\"" + seededId + "\",\"result\":\"zz\"}]}").getBytes(), worker), 400, "bad_results");
    assertError(balancer.send("POST", "/send_completed_work", "not json".getBytes(), worker), 400, "bad_body");
    // A list where a list belongs: a string or an object is the worker's mistake, not the balancer's (500).
    assertError(balancer.send("POST", "/send_completed_work", "{\"results\":\"none\"}".getBytes(), worker), 400,
        "bad_results");
    assertError(balancer.send("POST", "/send_completed_work", "{\"results\":{\"a\":1}}".getBytes(), worker), 400,
        "bad_results");
    assertError(balancer.send("POST", "/send_completed_work", "{\"results\":[]}".getBytes()), 400,
        "bad_swell_worker");
    assertError(balancer.send("POST", "/workers/heartbeat", "{}".getBytes()), 400, "bad_worker_id");
    assertError(balancer.send("POST", "/workers/heartbeat", "{\"workerId\":\"w-1\",\"running\":\"x\"}".getBytes()),
        400, "bad_running");
    assertNothingChangedAndStillServing();
  }

  @Test
  void getWorkParametersOutOfRangeAre400NotClamped() {
    SwellHttp balancer = swell.balancerClient();
    Map<String, String> worker = Map.of("Swell-Worker", "w-1");
    assertError(balancer.send("POST", "/get_work?max=0", null, worker), 400, "bad_max");
    assertError(balancer.send("POST", "/get_work?max=100000", null, worker), 400, "bad_max");
    assertError(balancer.send("POST", "/get_work?max=2&max=3", null, worker), 400, "bad_max");
    assertError(balancer.send("POST", "/get_work?waitMs=-1", null, worker), 400, "bad_wait_ms");
    assertError(balancer.send("POST", "/get_work?waitMs=999999999", null, worker), 400, "bad_wait_ms");
    assertError(balancer.send("POST", "/get_work?max=1", null), 400, "bad_swell_worker");
    assertNothingChangedAndStillServing();
  }

  @Test
  void aWorkerCanOnlySayThatItLeavesItself() {
    SwellHttp balancer = swell.balancerClient();
    HttpResponse<String> r = balancer.send("POST", "/get_work?max=1", null, Map.of("Swell-Worker", "victim"));
    assertThat(r.statusCode()).isEqualTo(200); // the seeded work, leased to "victim"
    assertError(balancer.send("POST", "/workers/leaving", "{\"workerId\":\"victim\"}".getBytes(),
        Map.of("Swell-Worker", "mallory")), 400, "bad_worker_id");
    assertError(balancer.send("POST", "/workers/leaving", "{\"workerId\":\"victim\"}".getBytes()), 400,
        "bad_worker_id");
    assertThat(swell.status().getLong("leased")).isEqualTo(1);
    assertThat(balancer.send("POST", "/workers/leaving", "{\"workerId\":\"victim\"}".getBytes(),
        Map.of("Swell-Worker", "victim")).statusCode()).isEqualTo(200);
    assertThat(swell.status().getLong("pending")).isEqualTo(1);
  }

  @Test
  void fullQueueIs503WithRetryAfterAndStoresNothing() {
    client.enqueue("two".getBytes(), 1);
    client.enqueue("three".getBytes(), 1);
    HttpResponse<String> r = client.send("PUT", "/enqueue?iterations=1", "four".getBytes());
    assertError(r, 503, "queue_full");
    assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(swell.status().getLong("pending")).isEqualTo(3);
  }

  @Test
  void enqueuesAre503WhileMaxCompletedResultsWaitToBePulled(Vertx vertx, @TempDir Path other) {
    InProcessSwell full = new InProcessSwell(vertx)
        .startBalancer(InProcessSwell.balancerConf(other).put("maxCompleted", 2))
        .startEndpoint(new JsonObject());
    try {
      SwellHttp c = full.client();
      SwellHttp balancer = full.balancerClient();
      for (int i = 0; i < 2; i++) {
        String id = c.enqueue(("w" + i).getBytes(), 1);
        assertThat(balancer.send("POST", "/get_work?max=1", null, Map.of("Swell-Worker", "w")).statusCode())
            .isEqualTo(200);
        assertThat(balancer.send("POST", "/send_completed_work", ("{\"results\":[{\"id\":\"" + id
            + "\",\"result\":\"" + "ab".repeat(64) + "\"}]}").getBytes(), Map.of("Swell-Worker", "w")).statusCode())
            .isEqualTo(200);
      }

      HttpResponse<String> r = c.send("PUT", "/enqueue?iterations=1", "one too many".getBytes());

      assertError(r, 503, "results_full");
      assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
      assertThat(full.status().getLong("pending")).isZero();
      assertThat(c.pull(1)).hasSize(1);
      assertThat(c.send("PUT", "/enqueue?iterations=1", "room again".getBytes()).statusCode()).isEqualTo(200);
    } finally {
      full.close();
    }
  }

  @Test
  void aResultFromAWorkerThatDoesNotHoldTheLeaseIsRefusedAndCounted() {
    SwellHttp balancer = swell.balancerClient();
    String report = "{\"results\":[{\"id\":\"" + seededId + "\",\"result\":\"" + "ab".repeat(64) + "\"}]}";
    // Pending, leased by nobody: a stray worker cannot complete it.
    HttpResponse<String> r = balancer.send("POST", "/send_completed_work", report.getBytes(),
        Map.of("Swell-Worker", "stray"));
    assertThat(new JsonObject(r.body()).getInteger("recorded")).isZero();
    assertThat(new JsonObject(r.body()).getInteger("notLeaseHolder")).isEqualTo(1);
    // Leased to "holder": still not the stray's.
    balancer.send("POST", "/get_work?max=1", null, Map.of("Swell-Worker", "holder"));
    balancer.send("POST", "/send_completed_work", report.getBytes(), Map.of("Swell-Worker", "stray"));

    assertThat(swell.status().getJsonObject("results").getLong("refusedNotLeaseHolder")).isEqualTo(2);
    assertThat(client.pull(10)).isEmpty();
    assertThat(client.json("GET", "/work/" + seededId).getString("status")).isEqualTo("running");
  }

  @Test
  void idempotencyKeyReturnsTheSameIdAndStoresOnce() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    String first = null;
    for (int i = 0; i < 3; i++) {
      HttpRequest req = HttpRequest.newBuilder(URI.create(swell.endpointUrl() + "/enqueue?iterations=5"))
          .header("Idempotency-Key", "order-42")
          .PUT(HttpRequest.BodyPublishers.ofString("payload"))
          .build();
      HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      String id = new JsonObject(r.body()).getString("id");
      if (first == null) {
        first = id;
      }
      assertThat(id).isEqualTo(first);
    }
    assertThat(swell.status().getLong("pending")).isEqualTo(2);
  }

  @Test
  void aWorkTheBalancerRefusesFailsAloneNotItsBatch(Vertx vertx, @TempDir Path other) throws Exception {
    // A balancer stricter than its endpoint: the endpoint lets 500 iterations through, the balancer not.
    InProcessSwell strict = new InProcessSwell(vertx)
        .startBalancer(InProcessSwell.balancerConf(other).put("maxIterations", 100))
        .startEndpoint(new JsonObject().put("maxIterations", 1000));
    try {
      SwellHttp c = strict.client();
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(16);
      List<java.util.concurrent.Future<HttpResponse<String>>> answers = new java.util.ArrayList<>();
      for (int i = 0; i < 64; i++) {
        int iterations = i % 2 == 0 ? 50 : 500;
        answers.add(pool.submit(() -> c.send("PUT", "/enqueue?iterations=" + iterations, "b".getBytes())));
      }
      int ok = 0;
      for (int i = 0; i < answers.size(); i++) {
        HttpResponse<String> r = answers.get(i).get();
        if (i % 2 == 0) {
          assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
          ok++;
        } else {
          assertError(r, 400, "bad_iterations");
        }
      }
      pool.shutdown();
      assertThat(strict.status().getLong("pending")).isEqualTo(ok).isEqualTo(32);
    } finally {
      strict.close();
    }
  }
}
