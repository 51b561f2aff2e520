package swell.it;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import swell.common.Sha512Chain;
import swell.metrics.PrometheusMetrics;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /metrics} of a real balancer and endpoint, scraped over HTTP and read as Prometheus
 * text: Swell's numbers follow what was done (works enqueued, leased, completed, pulled; the queue
 * gauges; a worker's reported figures), Vert.x's HTTP and the JVM's meters are there, and neither
 * role shows anything without the cluster token, a client key included.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetricsTest {
  private static final String WORKER = "w-metrics";
  private static final String ALICE_KEY = "swk_metrics-test-key-of-alice-0123456789";

  private PrometheusMetrics metrics;
  private Vertx vertx;
  private InProcessSwell swell;

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    metrics = PrometheusMetrics.on();
    vertx = metrics.vertx(new VertxOptions());
    JsonObject keys = new JsonObject().put("apiKeys", new JsonArray()
        .add(new JsonObject().put("name", "alice").put("sha256", sha256(ALICE_KEY))));
    swell = new InProcessSwell(vertx, metrics).startBalancer(InProcessSwell.balancerConf(dir)).startEndpoint(keys);
  }

  @AfterEach
  void stop() throws Exception {
    swell.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    metrics.close();
  }

  @Test
  void scrapeCountsWhatWasDoneAndShowsTheQueue() {
    SwellHttp alice = swell.client(ALICE_KEY);
    for (int i = 0; i < 5; i++) {
      alice.enqueue(("work " + i).getBytes(StandardCharsets.UTF_8), 2);
    }
    SwellHttp balancer = swell.balancerClient();
    Map<String, String> asWorker = Map.of(WORKER_HEADER, WORKER, "Content-Type", "application/json");
    balancer.send("POST", "/workers/register", new JsonObject().put("workerId", WORKER).put("threads", 2).toBuffer()
        .getBytes(), asWorker);
    HttpResponse<String> leased = balancer.send("POST", "/get_work?max=3", null, asWorker);
    assertThat(leased.statusCode()).isEqualTo(200);
    JsonArray results = new JsonArray();
    for (Object o : new JsonObject(leased.body()).getJsonArray("works")) {
      JsonObject w = (JsonObject) o;
      byte[] body = java.util.Base64.getDecoder().decode(w.getString("data"));
      results.add(new JsonObject().put("id", w.getString("id"))
          .put("result", new Sha512Chain().computeHex(body, w.getInteger("iterations"))));
    }
    assertThat(results.size()).isEqualTo(3);
    report(balancer, asWorker, results);
    report(balancer, asWorker, new JsonArray().add(results.getJsonObject(0))); // a duplicate
    balancer.send("POST", "/workers/heartbeat", new JsonObject().put("workerId", WORKER).put("running", new JsonArray())
        .put("stats", new JsonObject().put("hashRate", 1234.5).put("busyFraction", 0.25)).toBuffer().getBytes(), asWorker);
    assertThat(alice.pull(2).size()).isEqualTo(2);

    // The queue gauges show counts at most a second old (the scaler's, or a scrape's own read).
    SwellHttp.await("the gauges to show the pull", Duration.ofSeconds(5),
        () -> scrape(swell.balancerUrl()).get("swell_results_unpulled{scope=\"balancer\"}") == 1.0);
    Map<String, Double> m = scrape(swell.balancerUrl());
    assertThat(m).containsEntry("swell_works_enqueued_total{owner=\"alice\"}", 5.0)
        .containsEntry("swell_works_leased_total", 3.0)
        .containsEntry("swell_works_completed_total", 3.0)
        .containsEntry("swell_results_duplicate_total", 1.0)
        .containsEntry("swell_results_not_lease_holder_total", 0.0)
        .containsEntry("swell_results_pulled_total{owner=\"alice\"}", 2.0)
        .containsEntry("swell_works_pending{scope=\"balancer\"}", 2.0)
        .containsEntry("swell_leases_active{scope=\"balancer\"}", 0.0)
        .containsEntry("swell_results_unpulled{scope=\"balancer\"}", 1.0)
        .containsEntry("swell_enqueue_to_completion_seconds_count", 3.0)
        .containsEntry("swell_enqueue_to_pull_seconds_count", 2.0)
        .containsEntry("swell_enqueue_to_pull_seconds_bucket{le=\"600.0\"}", 2.0)
        .containsEntry("swell_workers{state=\"active\"}", 1.0)
        .containsEntry("swell_worker_hash_rate{worker=\"w-metrics\"}", 1234.5)
        .containsEntry("swell_worker_busy_fraction{worker=\"w-metrics\"}", 0.25)
        .containsEntry("swell_balancer_leader", 1.0);
    assertThat(m.get("swell_works_oldest_pending_age_seconds{scope=\"balancer\"}")).isGreaterThanOrEqualTo(0.0);
    assertThat(m.get("swell_store_commit_seconds_count")).isGreaterThan(0.0);
    assertThat(m.get("swell_store_commit_operations_sum")).isGreaterThanOrEqualTo(m.get("swell_store_commit_seconds_count"));
    // Vert.x's own server metrics (made by Swell's lean implementation), and the JVM's and the process's.
    assertThat(m.entrySet()).anySatisfy(e -> {
      assertThat(e.getKey()).startsWith("vertx_http_server_requests_total{code=\"200\",local=")
          .endsWith(",method=\"POST\"}");
      assertThat(e.getValue()).isGreaterThanOrEqualTo(4.0);
    });
    assertThat(m.keySet()).anyMatch(k -> k.startsWith("vertx_http_server_response_time_seconds_count"))
        .anyMatch(k -> k.startsWith("vertx_http_server_active_connections"))
        .anyMatch(k -> k.startsWith("vertx_pool_"))
        .anyMatch(k -> k.startsWith("netty_eventexecutor_tasks_pending"))
        .anyMatch(k -> k.startsWith("jvm_memory_used_bytes"))
        .anyMatch(k -> k.startsWith("jvm_gc_"))
        .anyMatch(k -> k.startsWith("jvm_threads_live_threads"))
        .anyMatch(k -> k.startsWith("process_uptime_seconds"))
        .anyMatch(k -> k.startsWith("system_cpu_count"));

    Map<String, Double> e = scrape(swell.endpointUrl());
    assertThat(e.get("swell_endpoint_forward_seconds_count{route=\"enqueue_batch\"}")).isGreaterThanOrEqualTo(1.0);
    assertThat(e).containsEntry("swell_endpoint_batch_works_sum", 5.0)
        .containsEntry("swell_endpoint_forward_seconds_count{route=\"pull\"}", 1.0)
        .containsEntry("swell_endpoint_outcome_unknown_total{route=\"enqueue\"}", 0.0)
        .containsEntry("swell_endpoint_failovers_total", 0.0);
    assertThat(e.keySet()).anyMatch(k -> k.startsWith("vertx_http_client_requests_total"));
  }

  @Test
  void metricsWantTheClusterTokenOnBalancerAndEndpoint() {
    for (String url : List.of(swell.balancerUrl(), swell.endpointUrl())) {
      assertThat(new SwellHttp(url, null).send("GET", "/metrics", null).statusCode()).as(url).isEqualTo(401);
      assertThat(new SwellHttp(url, "not-the-token-0123456789abcdef0123456789").send("GET", "/metrics", null)
          .statusCode()).as(url).isEqualTo(401);
      assertThat(new SwellHttp(url, InProcessSwell.TOKEN).send("GET", "/metrics", null).statusCode()).as(url)
          .isEqualTo(200);
    }
    // A client key opens the endpoint's public routes, never its metrics.
    assertThat(swell.client(ALICE_KEY).send("GET", "/metrics", null).statusCode()).isEqualTo(401);
  }

  private static final String WORKER_HEADER = "Swell-Worker";

  private static void report(SwellHttp balancer, Map<String, String> asWorker, JsonArray results) {
    HttpResponse<String> r = balancer.send("POST", "/send_completed_work",
        new JsonObject().put("results", results).toBuffer().getBytes(), asWorker);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  /** The scrape read as {@code name{labels} -> value}, labels as Prometheus prints them. */
  private static Map<String, Double> scrape(String url) {
    HttpResponse<String> r = new SwellHttp(url, InProcessSwell.TOKEN).send("GET", "/metrics", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
    Map<String, Double> out = new HashMap<>();
    for (String line : r.body().split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
    }
    return out;
  }

  private static String sha256(String key) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
  }
}
