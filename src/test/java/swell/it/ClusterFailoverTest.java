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
import swell.common.Sha512Chain;
import swell.testing.PostgresServer;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No single balancer: three balancer JVMs share one PostgreSQL, two endpoints spread over them, and
 * the leader's process workers compute. While 2,000 works flow, the leading balancer is killed with
 * SIGKILL. Every acknowledged work is pulled exactly once with the right result, another balancer
 * leads within the lead's time to live, the dead leader's workers are adopted (neither leaked nor
 * launched again), and the survivors keep answering.
 */
@ExtendWith(VertxExtension.class)
class ClusterFailoverTest {
  private static final int WORKS = 2_000;
  private static final int ITERATIONS = 2_000;
  private static final long LEADER_TTL_MS = 3_000;
  private static final Map<String, String> JSON = Map.of("Content-Type", "application/json");

  private final List<RoleProcess> balancers = new ArrayList<>();
  private final List<InProcessSwell> endpoints = new ArrayList<>();
  private final Set<Long> workerPids = ConcurrentHashMap.newKeySet();

  @AfterEach
  void stopAll() throws Exception {
    for (InProcessSwell e : endpoints) {
      e.close();
    }
    for (RoleProcess b : balancers) {
      b.kill9();
    }
    for (long pid : workerPids) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  /** The balancers' logs (and their workers'), kept under target/ for a failed run to be read. */
  private static Path logDir() throws java.io.IOException {
    return java.nio.file.Files.createDirectories(Path.of("target", "cluster-failover-test"));
  }

  private static JsonObject balancerConf(String id, int port, String storeUrl, Path dataDir) {
    return new JsonObject()
        .put("role", "balancer")
        .put("balancerId", id)
        .put("host", "127.0.0.1")
        .put("port", port)
        .put("clusterToken", InProcessSwell.TOKEN)
        .put("dataDir", dataDir.toString())
        .put("store", new JsonObject().put("type", "postgres").put("url", storeUrl))
        .put("fleet", new JsonObject().put("type", "process").put("workerThreads", 1)
            .put("jvmOptions", new JsonArray().add("-Xmx96m").add("-XX:+UseSerialGC")))
        .put("minWorkers", 2)
        .put("maxWorkers", 2)
        .put("tickMs", 200)
        .put("leaseMs", 6_000)
        .put("leaderTtlMs", LEADER_TTL_MS)
        .put("clusterSyncMs", 300);
  }

  /** A balancer's status, or null while it does not answer. */
  private static JsonObject status(String url) {
    try {
      HttpResponse<String> r = new SwellHttp(url, InProcessSwell.TOKEN).send("GET", "/status", null);
      return r.statusCode() == 200 ? new JsonObject(r.body()) : null;
    } catch (IllegalStateException e) {
      return null;
    }
  }

  private static String leaderSeenBy(String url) {
    JsonObject s = status(url);
    return s == null ? null : s.getJsonObject("cluster").getString("leader");
  }

  /** Managed workers that are not on their way out, as a balancer sees the cluster: id to pid. */
  private static Map<String, Long> activeWorkers(String url) {
    JsonObject s = status(url);
    Map<String, Long> out = new java.util.TreeMap<>();
    if (s == null) {
      return out;
    }
    for (Object o : s.getJsonArray("workers")) {
      JsonObject w = (JsonObject) o;
      String instance = w.getString("instanceId");
      if (w.getBoolean("managed") && "active".equals(w.getString("state")) && instance != null
          && instance.startsWith("pid-")) {
        out.put(w.getString("id"), Long.parseLong(instance.substring(4)));
      }
    }
    return out;
  }

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void killingTheLeadingBalancerLosesNothingMovesTheLeadAndKeepsItsWorkers(Vertx vertx, @TempDir Path dir)
      throws Exception {
    String storeUrl = PostgresServer.shared().freshSchemaUrl();
    List<String> urls = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      int port = Ports.free();
      urls.add("http://127.0.0.1:" + port);
      balancers.add(RoleProcess.start(balancerConf("b" + i, port, storeUrl, dir.resolve("b" + i)),
          logDir().resolve("b" + i + ".log")));
    }
    for (String url : urls) {
      SwellHttp.await(url + " to be ready", Duration.ofSeconds(60), () -> status(url) != null);
    }
    for (int i = 0; i < 2; i++) {
      endpoints.add(new InProcessSwell(vertx).startEndpoint(new JsonObject()
          .put("balancerUrls", new JsonArray(urls)).put("balancerMode", "spread").put("forwardTimeoutMs", 5_000)));
    }
    SwellHttp.await("two workers to run", Duration.ofSeconds(90), () -> activeWorkers(urls.get(0)).size() == 2);
    Map<String, Long> workersBefore = activeWorkers(urls.get(0));
    workerPids.addAll(workersBefore.values());

    Map<String, String> expected = new ConcurrentHashMap<>();
    Map<String, String> results = new ConcurrentHashMap<>();
    Set<String> pulledTwice = ConcurrentHashMap.newKeySet();
    AtomicInteger acknowledged = new AtomicInteger();
    AtomicBoolean enqueueing = new AtomicBoolean(true);
    ExecutorService clients = Executors.newFixedThreadPool(9);

    // Eight enqueuers: an unanswered or refused enqueue is sent again with its Idempotency-Key, so
    // each work is acknowledged once whatever the balancers go through.
    List<Future<?>> enqueuers = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      int thread = t;
      enqueuers.add(clients.submit(() -> {
        for (int i = thread; i < WORKS; i += 8) {
          byte[] body = ("work " + i).getBytes(StandardCharsets.UTF_8);
          SwellHttp client = endpoints.get(i % 2).client();
          String id = enqueueUntilAcknowledged(client, body, "key-" + i);
          expected.put(id, new Sha512Chain().computeHex(body, ITERATIONS));
          acknowledged.incrementAndGet();
        }
        return null;
      }));
    }
    // One puller, with acknowledgement: a result whose answer is lost comes back rather than vanishing.
    Future<?> puller = clients.submit(() -> {
      int turn = 0;
      while (enqueueing.get() || results.size() < expected.size()) {
        SwellHttp client = endpoints.get(turn++ % 2).client();
        HttpResponse<String> r = client.send("POST", "/pullCompleted?top=500&ackMs=20000&waitMs=1000", null);
        if (r.statusCode() != 200) {
          Thread.sleep(100);
          continue;
        }
        JsonArray page = new JsonArray(r.body());
        JsonArray ids = new JsonArray();
        for (Object o : page) {
          JsonObject w = (JsonObject) o;
          if (results.put(w.getString("id"), w.getString("result")) != null) {
            pulledTwice.add(w.getString("id"));
          }
          ids.add(w.getString("id"));
        }
        if (!ids.isEmpty()) {
          ackUntilDone(client, ids);
        }
      }
      return null;
    });

    SwellHttp.await("a third of the works acknowledged", Duration.ofSeconds(120), () -> acknowledged.get() >= WORKS / 3);
    String leader = leaderSeenBy(urls.get(0));
    int leaderIndex = Integer.parseInt(leader.substring(1));
    java.time.Instant killedAtInstant = java.time.Instant.now();
    balancers.get(leaderIndex).kill9();
    long killedAt = System.nanoTime();
    String survivor = urls.get((leaderIndex + 1) % 3);
    SwellHttp.await("another balancer to lead", Duration.ofSeconds(30), () -> {
      String now = leaderSeenBy(survivor);
      return now != null && !now.equals(leader);
    });
    long takeoverMs = (System.nanoTime() - killedAt) / 1_000_000;

    for (Future<?> e : enqueuers) {
      e.get(180, TimeUnit.SECONDS);
    }
    enqueueing.set(false);
    puller.get(180, TimeUnit.SECONDS);
    clients.shutdown();

    assertThat(results).as("every acknowledged work, pulled with its right result").isEqualTo(expected);
    assertThat(expected).hasSize(WORKS);
    assertThat(pulledTwice).as("results pulled twice").isEmpty();
    // The lead is renewed every quarter of its time to live, and another balancer may take it once
    // it ran out: so within the time to live and one renewal period of the kill.
    assertThat(takeoverMs).as("ms until another balancer led").isLessThanOrEqualTo(LEADER_TTL_MS * 5 / 4 + 1_000);

    // The dead leader's workers were adopted by the new leader: the same two, still running,
    // managed, and no worker launched in their place.
    SwellHttp.await("the new leader to manage the workers", Duration.ofSeconds(30),
        () -> activeWorkers(survivor).equals(workersBefore));
    for (long pid : workersBefore.values()) {
      assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("worker pid " + pid).isTrue();
    }
    JsonObject after = status(survivor);
    Set<String> launched = new HashSet<>();
    for (Object o : after.getJsonObject("scaling").getJsonArray("recentEvents")) {
      JsonObject e = (JsonObject) o;
      // On a loaded machine the lead may change hands while the cluster starts; what counts is after the kill.
      if ("launch".equals(e.getString("event")) && java.time.Instant.parse(e.getString("at")).isAfter(killedAtInstant)) {
        launched.add(e.getString("workerId"));
      }
    }
    assertThat(launched).as("workers launched after the failover").isEmpty();
    assertThat(after.getJsonObject("cluster").getJsonArray("balancers")).hasSize(2);
  }

  /** Enqueues, sending again with the same key after a 503 or 504 (or no answer), until a 200. */
  private static String enqueueUntilAcknowledged(SwellHttp client, byte[] body, String key) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        HttpResponse<String> r = client.send("PUT", "/enqueue?iterations=" + ITERATIONS, body,
            Map.of("Idempotency-Key", key));
        if (r.statusCode() == 200) {
          return new JsonObject(r.body()).getString("id");
        }
        assertThat(r.statusCode()).as(r.body()).isIn(503, 504);
      } catch (IllegalStateException e) {
        // no answer at all: the same key again is safe
      }
      assertThat(System.nanoTime()).as("enqueue acknowledged within a minute").isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private static void ackUntilDone(SwellHttp client, JsonArray ids) throws Exception {
    byte[] body = new JsonObject().put("ids", ids).toBuffer().getBytes();
    for (int tries = 0; tries < 100; tries++) {
      HttpResponse<String> r = client.send("POST", "/ackCompleted", body, JSON);
      if (r.statusCode() == 200) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("could not acknowledge " + ids.size() + " results");
  }
}
