package swell.balancer;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import swell.common.ConfigReader;
import swell.common.Sha512Chain;
import swell.it.InProcessSwell;
import swell.it.Ports;
import swell.it.SwellHttp;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The balancer and its fleet, through the balancer's HTTP API with the test playing the workers:
 * which workers are managed, when they are stopped, and that a failed stop is not forgotten.
 */
@ExtendWith(VertxExtension.class)
class BalancerFleetTest {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private Vertx vertx;
  private String deployment;
  private String base;

  @AfterEach
  void stop() throws Exception {
    if (deployment != null) {
      vertx.undeploy(deployment).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static JsonObject conf(Path dir, int port) {
    return InProcessSwell.balancerConf(dir.resolve("data"))
        .put("port", port)
        .put("minWorkers", 0)
        .put("scaleOutAfterMs", 0)
        .put("scaleOutCooldownMs", 0)
        .put("idleTimeoutMs", 600_000)
        .put("maxBackoffMs", 2000)
        .put("tickMs", 50);
  }

  private CompletableFuture<String> deploy(Vertx vertx, JsonObject conf, FakeFleet fleet) {
    this.vertx = vertx;
    ConfigReader r = new ConfigReader(conf, Map.of());
    r.allow("role");
    BalancerConfig cfg = BalancerConfig.from(r);
    BalancerVerticle balancer = new BalancerVerticle(cfg, v -> cfg.store().create(v, cfg.storeLimits()),
        (v, url) -> fleet, System::currentTimeMillis, status -> { });
    base = "http://127.0.0.1:" + conf.getInteger("port");
    return vertx.deployVerticle(balancer).toCompletionStage().toCompletableFuture()
        .thenApply(id -> deployment = id);
  }

  /** A request as a worker or an endpoint makes it, with the cluster token. */
  private HttpResponse<String> call(String method, String path, JsonObject body, String workerId) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
        .timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + InProcessSwell.TOKEN)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body.encode()));
    if (workerId != null) {
      b.header("Swell-Worker", workerId);
    }
    try {
      return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private JsonObject ok(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.uri() + " answered " + r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  private JsonObject status() {
    return ok(call("GET", "/status", null, null));
  }

  private Map<String, JsonObject> workers() {
    Map<String, JsonObject> out = new LinkedHashMap<>();
    status().getJsonArray("workers").forEach(o -> out.put(((JsonObject) o).getString("id"), (JsonObject) o));
    return out;
  }

  private List<String> events() {
    return status().getJsonObject("scaling").getJsonArray("recentEvents").stream()
        .map(e -> ((JsonObject) e).getString("event")).toList();
  }

  /** Enqueues the body; answers its id and the result a worker must bring back. */
  private Map.Entry<String, String> enqueue(String body) {
    JsonObject json = new JsonObject().put("b", body);
    String id = ok(call("PUT", "/enqueue?iterations=1", json, null)).getString("id");
    return Map.entry(id, new Sha512Chain().computeHex(json.encode().getBytes(), 1));
  }

  private void register(String workerId) {
    ok(call("POST", "/workers/register", new JsonObject().put("workerId", workerId).put("threads", 1), workerId));
  }

  /** One poll without waiting: the leased works, id to body. */
  private Map<String, byte[]> poll(String workerId) {
    HttpResponse<String> r = call("POST", "/get_work?max=1&waitMs=0", null, workerId);
    Map<String, byte[]> works = new HashMap<>();
    if (r.statusCode() == 200) {
      for (Object o : new JsonObject(r.body()).getJsonArray("works")) {
        JsonObject w = (JsonObject) o;
        works.put(w.getString("id"), java.util.Base64.getDecoder().decode(w.getString("data")));
      }
    }
    return works;
  }

  private JsonObject heartbeat(String workerId, Set<String> running) {
    return ok(call("POST", "/workers/heartbeat",
        new JsonObject().put("workerId", workerId).put("running", new JsonArray(List.copyOf(running))), workerId));
  }

  private void complete(String workerId, Map<String, byte[]> works) {
    JsonArray results = new JsonArray();
    works.forEach((id, body) -> results.add(new JsonObject().put("id", id)
        .put("result", new Sha512Chain().computeHex(body, 1))));
    ok(call("POST", "/send_completed_work", new JsonObject().put("results", results), workerId));
  }

  private void leave(String workerId) {
    ok(call("POST", "/workers/leaving", new JsonObject().put("workerId", workerId), workerId));
  }

  private JsonObject heartbeatWithStats(String workerId, JsonObject stats) {
    return ok(call("POST", "/workers/heartbeat", new JsonObject().put("workerId", workerId)
        .put("running", new JsonArray()).put("stats", stats), workerId));
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void heartbeatStatsShowInStatusAndABadValueIsIgnoredNotRefused(Vertx vertx, @TempDir Path dir) throws Exception {
    deploy(vertx, conf(dir, Ports.free()), new FakeFleet()).get(30, TimeUnit.SECONDS);
    register("w-hand");
    assertThat(workers().get("w-hand").getValue("stats")).as("no heartbeat yet").isNull();

    heartbeatWithStats("w-hand", new JsonObject().put("hashRate", 9_876_543.2).put("busyFraction", 0.75)
        .put("completed", 12).put("threads", 2));
    JsonObject stats = workers().get("w-hand").getJsonObject("stats");
    assertThat(stats.getLong("hashRate")).isEqualTo(9_876_543L);
    assertThat(stats.getDouble("busyFraction")).isEqualTo(0.75);
    assertThat(stats.getLong("completed")).isEqualTo(12);
    assertThat(workers().get("w-hand").getInteger("threads")).isEqualTo(2);

    heartbeatWithStats("w-hand", new JsonObject().put("hashRate", -5).put("busyFraction", "most"));
    stats = workers().get("w-hand").getJsonObject("stats");
    assertThat(stats.getValue("hashRate")).as("negative: unknown").isNull();
    assertThat(stats.getValue("busyFraction")).as("not a number: unknown").isNull();

    JsonObject old = ok(call("POST", "/workers/heartbeat", new JsonObject().put("workerId", "w-hand")
        .put("running", new JsonArray()).put("stats", "fast"), "w-hand"));
    assertThat(old.getBoolean("retire")).as("stats that are no object are ignored").isFalse();
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void aWorkerWhoseStopFailedStaysVisibleAndIsStoppedOnceTheFleetAnswers(Vertx vertx, @TempDir Path dir)
      throws Exception {
    FakeFleet fleet = new FakeFleet();
    fleet.failingTerminations.set(2);
    deploy(vertx, conf(dir, Ports.free()).put("maxWorkers", 1), fleet).get(30, TimeUnit.SECONDS);
    enqueue("one");
    SwellHttp.await("a launch for the backlog", Duration.ofSeconds(10), () -> fleet.runningIds().size() == 1);
    String id = fleet.runningIds().iterator().next();

    register(id);
    Map<String, byte[]> works = poll(id);
    assertThat(works).hasSize(1);
    complete(id, works);
    leave(id);

    SwellHttp.await("/status to show the failed stop", Duration.ofSeconds(10), () -> {
      JsonObject w = workers().get(id);
      return w != null && "terminating".equals(w.getString("state")) && w.getInteger("terminateFailures", 0) >= 1;
    });
    assertThat(workers().get(id).getString("lastTerminateError")).contains("RequestLimitExceeded");
    assertThat(fleet.runningIds()).as("still running: the stop failed").containsExactly(id);

    SwellHttp.await("the stop to be retried until the fleet confirms", Duration.ofSeconds(20),
        () -> fleet.runningIds().isEmpty() && workers().isEmpty());
    assertThat(fleet.terminations.get()).isEqualTo(3);
    assertThat(events()).contains("terminate-failed", "terminated");
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void everyListedWorkerIsAdoptedAndTheSurplusRetiresWithoutBeingKilledMidWork(Vertx vertx, @TempDir Path dir)
      throws Exception {
    FakeFleet fleet = new FakeFleet().running("w-a", "w-b", "w-c");
    deploy(vertx, conf(dir, Ports.free()).put("maxWorkers", 2), fleet).get(30, TimeUnit.SECONDS);
    assertThat(fleet.runningIds()).as("nothing the fleet lists is killed").containsExactlyInAnyOrder("w-a", "w-b", "w-c");

    Map<String, String> expected = new HashMap<>();
    for (String body : List.of("a", "b", "c")) {
      Map.Entry<String, String> work = enqueue(body);
      expected.put(work.getKey(), work.getValue());
    }
    Map<String, Map<String, byte[]>> held = new LinkedHashMap<>();
    for (String w : List.of("w-a", "w-b", "w-c")) {
      register(w);
      held.put(w, poll(w));
      assertThat(held.get(w)).as(w + " got a work").hasSize(1);
    }
    register("w-hand");
    Map<String, JsonObject> known = workers();
    assertThat(known.keySet()).containsExactlyInAnyOrder("w-a", "w-b", "w-c", "w-hand");
    assertThat(known.values().stream().filter(w -> w.getBoolean("managed")).map(w -> w.getString("id")))
        .as("managed: what the fleet lists, and only that").containsExactlyInAnyOrder("w-a", "w-b", "w-c");

    Set<String> toldToRetire = new java.util.HashSet<>();
    SwellHttp.await("one worker beyond maxWorkers=2 to be told to retire", Duration.ofSeconds(10), () -> {
      held.forEach((w, works) -> {
        if (heartbeat(w, works.keySet()).getBoolean("retire")) {
          toldToRetire.add(w);
        }
      });
      return !toldToRetire.isEmpty();
    });
    Thread.sleep(500);
    held.forEach((w, works) -> {
      if (heartbeat(w, works.keySet()).getBoolean("retire")) {
        toldToRetire.add(w);
      }
    });
    assertThat(toldToRetire).as("just the surplus").hasSize(1);
    String retiring = toldToRetire.iterator().next();
    assertThat(fleet.terminations.get()).as("a retiring worker finishes what it holds").isZero();

    held.forEach((w, works) -> complete(w, works));
    leave(retiring);
    SwellHttp.await("the retired worker to be stopped once it left", Duration.ofSeconds(10),
        () -> !fleet.runningIds().contains(retiring));
    assertThat(fleet.runningIds()).hasSize(2);
    assertThat(workers()).as("the hand-started worker is served, never stopped").containsKey("w-hand");

    HttpResponse<String> pull = call("POST", "/pullCompleted?top=10", null, null);
    assertThat(pull.statusCode()).isEqualTo(200);
    assertThat(new JsonArray(pull.body()).stream().map(o -> (JsonObject) o)
        .collect(Collectors.toMap(r -> r.getString("id"), r -> r.getString("result"))))
        .as("every work done once, right").isEqualTo(expected);
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void noWorkerIsServedBeforeTheFleetIsListedSoNoneIsTakenForAStray(Vertx vertx, @TempDir Path dir) throws Exception {
    FakeFleet fleet = new FakeFleet().running("w-early");
    fleet.holdList();
    CompletableFuture<String> started = deploy(vertx, conf(dir, Ports.free()).put("maxWorkers", 1), fleet);

    HttpResponse<String>[] first = new HttpResponse[1];
    SwellHttp.await("the balancer to answer at all", Duration.ofSeconds(20), () -> {
      try {
        first[0] = call("POST", "/workers/heartbeat", new JsonObject().put("workerId", "w-early")
            .put("running", new JsonArray()), "w-early");
        return true;
      } catch (IllegalStateException notListening) {
        return false;
      }
    });
    assertThat(first[0].statusCode()).as("a heartbeat before the fleet was listed").isEqualTo(503);
    assertThat(new JsonObject(first[0].body()).getString("error")).isEqualTo("starting");
    assertThat(call("GET", "/status", null, null).statusCode()).isEqualTo(503);
    assertThat(started).isNotDone();

    fleet.releaseList();
    started.get(30, TimeUnit.SECONDS);
    assertThat(heartbeat("w-early", Set.of()).getBoolean("retire")).isFalse();
    Thread.sleep(300); // a few scaler ticks
    assertThat(workers().get("w-early").getBoolean("managed")).isTrue();
    assertThat(fleet.terminations.get()).isZero();
    assertThat(fleet.runningIds()).containsExactly("w-early");
    assertThat(events()).contains("adopt").doesNotContain("terminate");
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void aWorkerServedWhileTheFleetCouldNotBeListedIsAdoptedOnceItCan(Vertx vertx, @TempDir Path dir)
      throws Exception {
    FakeFleet fleet = new FakeFleet().running("w-orphan");
    fleet.failingListings.set(1);
    deploy(vertx, conf(dir, Ports.free()).put("maxWorkers", 1), fleet).get(30, TimeUnit.SECONDS);
    assertThat(heartbeat("w-orphan", Set.of()).getBoolean("retire")).isFalse();
    assertThat(workers().get("w-orphan").getBoolean("managed")).as("not listed yet: served as hand-started").isFalse();

    SwellHttp.await("the listing to be tried again and name it", Duration.ofSeconds(10),
        () -> workers().get("w-orphan").getBoolean("managed"));
    assertThat(fleet.terminations.get()).isZero();
    assertThat(fleet.runningIds()).containsExactly("w-orphan");
    assertThat(events()).contains("adopt").doesNotContain("launch");
  }
}
