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
import swell.fleet.FleetConfig;
import swell.fleet.FleetMember;
import swell.fleet.ProcessFleet;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The balancer grows and shrinks a fleet of real child JVMs with the backlog, losing nothing. */
@ExtendWith(VertxExtension.class)
class ProcessFleetTest {
  private final List<RoleProcess> processes = new ArrayList<>();
  /** Worker processes a test started through a fleet of its own; killed whatever happened. */
  private final List<Long> pids = new ArrayList<>();
  private InProcessSwell swell;

  @AfterEach
  void stop() throws InterruptedException {
    if (swell != null) {
      swell.close();
    }
    for (RoleProcess p : processes) {
      p.close();
    }
    for (long pid : pids) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  private static JsonObject fleetConf(Path dataDir) {
    return InProcessSwell.balancerConf(dataDir)
        .put("fleet", new JsonObject().put("type", "process").put("workerThreads", 1))
        .put("minWorkers", 0)
        .put("maxWorkers", 2)
        .put("scaleOutAfterMs", 200)
        .put("scaleOutCooldownMs", 500)
        // 60 works of 100,000 iterations take one worker about a second: drain them in half of one
        .put("targetDrainMs", 500)
        .put("idleTimeoutMs", 2000)
        .put("bootTimeoutMs", 60_000)
        .put("tickMs", 100);
  }

  /** Workers launching or active: what maxWorkers bounds (retiring and terminating ones are on their way out). */
  private static int fleetSize(JsonObject status) {
    return (int) status.getJsonArray("workers").stream()
        .map(o -> ((JsonObject) o).getString("state"))
        .filter(s -> s.equals("launching") || s.equals("active"))
        .count();
  }

  private static Set<String> workerIds(JsonObject status) {
    return status.getJsonArray("workers").stream().map(o -> ((JsonObject) o).getString("id"))
        .collect(Collectors.toSet());
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void backlogGrowsTheFleetToMaxAndIdlenessShrinksItToMin(Vertx vertx, @TempDir Path dir) {
    swell = new InProcessSwell(vertx).startBalancer(fleetConf(dir)).startEndpoint(new JsonObject());
    SwellHttp client = swell.client();
    assertThat(swell.status().getJsonArray("workers")).as("no backlog, minWorkers 0: no worker").isEmpty();

    Map<String, String> expected = new HashMap<>();
    Sha512Chain chain = new Sha512Chain();
    for (int i = 0; i < 60; i++) {
      byte[] body = ("scale " + i).getBytes(StandardCharsets.UTF_8);
      expected.put(client.enqueue(body, 100_000), chain.computeHex(body, 100_000));
    }

    Map<String, String> results = new HashMap<>();
    int[] mostWorkers = {0};
    SwellHttp.await("all 60 results", Duration.ofSeconds(120), () -> {
      mostWorkers[0] = Math.max(mostWorkers[0], fleetSize(swell.status()));
      for (Object o : client.pull(100)) {
        JsonObject r = (JsonObject) o;
        assertThat(results.put(r.getString("id"), r.getString("result"))).as("pulled twice").isNull();
      }
      return results.size() == expected.size();
    });
    assertThat(results).isEqualTo(expected);
    assertThat(mostWorkers[0]).as("the fleet grew to maxWorkers and not past it").isEqualTo(2);

    SwellHttp.await("idle workers to retire", Duration.ofSeconds(60),
        () -> swell.status().getJsonArray("workers").isEmpty());
    SwellHttp.await("retired worker processes to exit", Duration.ofSeconds(30), () -> childWorkers().isEmpty());
    JsonArray events = swell.status().getJsonObject("scaling").getJsonArray("recentEvents");
    assertThat(events.stream().map(e -> ((JsonObject) e).getString("event")))
        .contains("launch", "registered", "retire", "terminate");
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void aRestartedBalancerAdoptsItsRunningWorkersAndAStopEndsThem(@TempDir Path dir) throws Exception {
    int port = Ports.free();
    JsonObject conf = fleetConf(dir.resolve("data")).put("port", port).put("minWorkers", 1).put("maxWorkers", 1);
    SwellHttp admin = new SwellHttp("http://127.0.0.1:" + port, InProcessSwell.TOKEN);
    RoleProcess first = RoleProcess.start(conf, dir.resolve("balancer-1.log"));
    processes.add(first);
    SwellHttp.await("minWorkers=1 to launch a worker", Duration.ofSeconds(60), () -> activeWorkers(admin).size() == 1);
    String workerId = activeWorkers(admin).iterator().next();
    long workerPid = pidOf(dir.resolve("data"), workerId);
    assertThat(ProcessHandle.of(workerPid)).as("the worker runs").isPresent();

    first.kill9();
    assertThat(ProcessHandle.of(workerPid).map(ProcessHandle::isAlive)).as("the orphan outlives the kill").hasValue(true);

    RoleProcess second = RoleProcess.start(conf, dir.resolve("balancer-2.log"));
    processes.add(second);
    SwellHttp.await("the orphan to re-register", Duration.ofSeconds(60),
        () -> activeWorkers(admin).equals(Set.of(workerId)));
    JsonArray events = admin.json("GET", "/status").getJsonObject("scaling").getJsonArray("recentEvents");
    assertThat(events.stream().map(e -> ((JsonObject) e).getString("event"))).contains("adopt").doesNotContain("launch");

    String id = new SwellHttp("http://127.0.0.1:" + port, InProcessSwell.TOKEN).send("PUT",
        "/enqueue?iterations=10&id=01900000-0000-7000-8000-000000000001", "adopted".getBytes()).body();
    assertThat(id).contains("01900000-0000-7000-8000-000000000001");
    SwellHttp.await("the adopted worker to compute", Duration.ofSeconds(30),
        () -> admin.json("GET", "/status").getLong("completedUnpulled") == 1);

    second.close();
    SwellHttp.await("a clean balancer stop to end its worker", Duration.ofSeconds(30),
        () -> ProcessHandle.of(workerPid).map(h -> !h.isAlive()).orElse(true));
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void aLaunchedWorkerGetsTheTokenOutsideItsCommandLine(Vertx vertx, @TempDir Path dir) throws Exception {
    swell = new InProcessSwell(vertx).startBalancer(fleetConf(dir).put("minWorkers", 1).put("maxWorkers", 1));
    SwellHttp.await("minWorkers=1 to launch a worker that registers", Duration.ofSeconds(60),
        () -> swell.status().getJsonArray("workers").stream()
            .anyMatch(w -> "active".equals(((JsonObject) w).getString("state"))));
    String workerId = swell.status().getJsonArray("workers").getJsonObject(0).getString("id");
    List<ProcessHandle> children = childWorkers();
    assertThat(children).hasSize(1);
    String cmdline = commandLine(children.get(0));
    assertThat(cmdline).as("the command line is the worker's").contains(workerId);
    assertThat(cmdline).as("what ps shows every user").doesNotContain(InProcessSwell.TOKEN);
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void aWorkerBeingStoppedKeepsItsRecordUntilItsProcessIsGone(Vertx vertx, @TempDir Path dir) throws Exception {
    FleetConfig cfg = new FleetConfig("process", 1, List.of("-Xmx64m", "-XX:+UseSerialGC"));
    // Nothing listens there: the worker just keeps trying to register.
    String nowhere = "http://127.0.0.1:" + Ports.free();
    ProcessFleet fleet = new ProcessFleet(vertx, cfg, () -> List.of(nowhere), InProcessSwell.TOKEN, dir);
    FleetMember stuck = get(fleet.launch("w-stuck").toCompletionStage().toCompletableFuture());
    long pid = Long.parseLong(stuck.instanceId().substring("pid-".length()));
    pids.add(pid);
    // A hung worker: SIGTERM cannot end a stopped process, so the fleet has to wait, then SIGKILL it.
    SwellHttp.await("the worker's JVM to run", Duration.ofSeconds(30), () -> "S".equals(state(pid)) || "R".equals(state(pid)));
    assertThat(new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor()).isZero();
    SwellHttp.await("the worker to be stopped", Duration.ofSeconds(10), () -> "T".equals(state(pid)));

    CompletableFuture<Void> stopping = fleet.terminate(stuck).toCompletionStage().toCompletableFuture();
    Thread.sleep(2000);
    assertThat(stopping).as("still in its SIGTERM grace period").isNotDone();
    assertThat(listedByANewFleet(vertx, dir, nowhere)).as("what a balancer restarted now would adopt")
        .containsExactly("w-stuck");

    stopping.get(30, TimeUnit.SECONDS);
    // Gone: dead, or a zombie the JDK's reaper has not collected yet (it runs nothing).
    assertThat(state(pid)).as("the process is gone").isIn(null, "Z", "X");
    assertThat(listedByANewFleet(vertx, dir, nowhere)).as("and so is its record").isEmpty();
  }

  /** The process's state letter from /proc ("R", "S", "T" stopped, "Z" zombie...), null once it is gone. */
  private static String state(long pid) {
    return ProcessFleet.state(pid).map(String::valueOf).orElse(null);
  }

  private static List<String> listedByANewFleet(Vertx vertx, Path dataDir, String balancerUrl) throws Exception {
    ProcessFleet fresh = new ProcessFleet(vertx, new FleetConfig("process", 1, List.of()), () -> List.of(balancerUrl),
        InProcessSwell.TOKEN, dataDir);
    return get(fresh.list().toCompletionStage().toCompletableFuture()).stream().map(FleetMember::workerId).toList();
  }

  private static <T> T get(CompletableFuture<T> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  /**
   * The full command line as ps shows it. Linux keeps it in /proc, NUL-separated; ProcessHandle.Info
   * often has none, or cuts it at 4096 characters.
   */
  private static String commandLine(ProcessHandle h) {
    try {
      return Files.readString(Path.of("/proc", Long.toString(h.pid()), "cmdline")).replace('\0', ' ');
    } catch (java.io.IOException e) {
      return h.info().commandLine().orElse(""); // not Linux, or it just exited
    }
  }

  private static Set<String> activeWorkers(SwellHttp admin) {
    try {
      return admin.json("GET", "/status").getJsonArray("workers").stream()
          .map(o -> (JsonObject) o)
          .filter(w -> "active".equals(w.getString("state")))
          .map(w -> w.getString("id"))
          .collect(Collectors.toSet());
    } catch (IllegalStateException e) {
      return Set.of(); // the balancer is not listening yet
    }
  }

  private static long pidOf(Path dataDir, String workerId) throws Exception {
    JsonArray records = new JsonArray(java.nio.file.Files.readString(dataDir.resolve("process-fleet.json")));
    return records.stream().map(o -> (JsonObject) o).filter(r -> r.getString("workerId").equals(workerId))
        .findFirst().orElseThrow().getLong("pid");
  }

  /** Worker JVMs this test's balancer started, still running. */
  private static List<ProcessHandle> childWorkers() {
    return ProcessHandle.current().children()
        .filter(ProcessHandle::isAlive)
        .filter(h -> commandLine(h).contains("\"role\":\"worker\""))
        .toList();
  }
}
