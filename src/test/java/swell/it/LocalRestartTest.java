package swell.it;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import swell.common.Sha512Chain;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kill -9 of a whole {@code local} Swell while its process workers compute: the restart on the same
 * dataDir and ports presents the token the orphans hold, adopts them, and they finish their works.
 */
class LocalRestartTest {
  private static final int WORKS = 4;
  /** Seconds of work on one thread, so both workers are surely mid-work when the local dies. */
  private static final int ITERATIONS = 10_000_000;
  private RoleProcess first;
  private RoleProcess second;
  private Path dataDir;

  @AfterEach
  void stopAll() throws Exception {
    if (first != null) {
      first.close();
    }
    if (second != null) {
      second.close();
    }
    // The workers outlive a kill -9 of their local; whatever happened, none is left behind.
    if (dataDir != null) {
      workerProcesses().values().forEach(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void aLocalKilledWithBusyWorkersComesBackAndTheSameWorkersFinishTheirWorks(
      @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir) throws Exception {
    dataDir = dir.resolve("data");
    int endpointPort = Ports.free();
    int balancerPort = Ports.free();
    JsonObject conf = new JsonObject()
        .put("role", "local")
        .put("endpointPorts", new JsonArray().add(endpointPort).add(Ports.free()))
        .put("balancerPort", balancerPort)
        .put("dataDir", dataDir.toString())
        .put("store", new JsonObject().put("type", "sqlite").put("durability", "fsync"))
        .put("fleet", new JsonObject().put("type", "process").put("workerThreads", 1))
        .put("minWorkers", 0)
        .put("maxWorkers", 2)
        .put("scaleOutAfterMs", 100)
        .put("scaleOutCooldownMs", 0)
        // four works of seconds each: draining them within a second asks the planner for both workers
        .put("targetDrainMs", 1000)
        .put("idleTimeoutMs", 120_000)
        .put("bootTimeoutMs", 30_000)
        .put("tickMs", 100);
    first = RoleProcess.start(conf, dir.resolve("local-1.log"));
    SwellHttp client = new SwellHttp("http://127.0.0.1:" + endpointPort, null);
    DurabilityTest.awaitReady(client);
    String token = Files.readString(dataDir.resolve("cluster-token")).strip();
    SwellHttp admin = new SwellHttp("http://127.0.0.1:" + balancerPort, token);

    Map<String, byte[]> bodies = new HashMap<>();
    for (int i = 0; i < WORKS; i++) {
      byte[] body = ("restart " + i).getBytes(StandardCharsets.UTF_8);
      bodies.put(client.enqueue(body, ITERATIONS), body);
    }
    SwellHttp.await("two workers each computing a work", Duration.ofSeconds(60), () -> {
      JsonObject s = admin.json("GET", "/status");
      return s.getLong("leased") == 2 && activeWorkers(s).size() == 2;
    });
    Set<String> workers = activeWorkers(admin.json("GET", "/status"));
    Map<String, ProcessHandle> orphans = workerProcesses();
    assertThat(orphans.keySet()).isEqualTo(workers);

    first.kill9();
    assertThat(orphans.values()).as("the workers outlive their local").allMatch(ProcessHandle::isAlive);

    second = RoleProcess.start(conf, dir.resolve("local-2.log"));
    DurabilityTest.awaitReady(client);
    Map<String, String> results = new HashMap<>();
    SwellHttp.await("every acknowledged work's result", Duration.ofSeconds(150), () -> {
      for (Object o : client.pull(100)) {
        JsonObject r = (JsonObject) o;
        assertThat(results.put(r.getString("id"), r.getString("result"))).as("pulled twice: " + r).isNull();
      }
      return results.size() >= WORKS;
    });
    Map<String, String> expected = new HashMap<>();
    Sha512Chain chain = new Sha512Chain();
    bodies.forEach((id, body) -> expected.put(id, chain.computeHex(body, ITERATIONS)));
    assertThat(results).isEqualTo(expected);
    assertThat(client.pull(100)).isEmpty();

    JsonObject status = admin.json("GET", "/status");
    assertThat(activeWorkers(status)).as("the same workers, adopted, finished the works").isEqualTo(workers);
    JsonObject scaling = status.getJsonObject("scaling");
    assertThat(scaling.getInteger("consecutiveLaunchFailures")).isZero();
    List<String> events = scaling.getJsonArray("recentEvents").stream()
        .map(e -> ((JsonObject) e).getString("event")).toList();
    assertThat(events).contains("adopt").doesNotContain("launch", "launch-failed", "terminate");
    assertThat(workerProcesses().values()).as("still the same processes").containsExactlyInAnyOrderElementsOf(orphans.values());

    second.close();
    SwellHttp.await("a clean stop to end the adopted workers", Duration.ofSeconds(30),
        () -> orphans.values().stream().noneMatch(ProcessHandle::isAlive));
  }

  private static Set<String> activeWorkers(JsonObject status) {
    return status.getJsonArray("workers").stream()
        .map(o -> (JsonObject) o)
        .filter(w -> "active".equals(w.getString("state")))
        .map(w -> w.getString("id"))
        .collect(Collectors.toSet());
  }

  /** The worker processes the fleet's records name that still run (same pid and start time). */
  private Map<String, ProcessHandle> workerProcesses() throws Exception {
    Path records = dataDir.resolve("process-fleet.json");
    Map<String, ProcessHandle> out = new HashMap<>();
    if (!Files.exists(records)) {
      return out;
    }
    for (Object o : new JsonArray(Files.readString(records))) {
      JsonObject r = (JsonObject) o;
      Optional<ProcessHandle> h = ProcessHandle.of(r.getLong("pid"))
          .filter(ProcessHandle::isAlive)
          .filter(p -> p.info().startInstant().map(Instant::toEpochMilli).orElse(0L).equals(r.getLong("startedAt")));
      h.ifPresent(p -> out.put(r.getString("workerId"), p));
    }
    return out;
  }
}
