package swell.fleet;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Workers as child JVMs of this same jar on this machine. Their pids are written to
 * {@code dataDir/process-fleet.json}, so a balancer that was killed finds them again on restart
 * (adopts them) instead of leaking them; a clean stop of the balancer stops them all.
 */
public final class ProcessFleet implements Fleet {
  private static final Logger log = LoggerFactory.getLogger(ProcessFleet.class);
  /** How long a worker gets to leave after SIGTERM before it is killed. */
  private static final long TERM_GRACE_MS = 10_000;

  private final Vertx vertx;
  private final FleetConfig cfg;
  private final String balancerUrl;
  private final String clusterToken;
  private final Path recordFile;
  private final Map<String, Child> children = new LinkedHashMap<>();

  private record Child(String workerId, long pid, long startedAt) {
  }

  public ProcessFleet(Vertx vertx, FleetConfig cfg, String balancerUrl, String clusterToken, Path dataDir) {
    this.vertx = vertx;
    this.cfg = cfg;
    this.balancerUrl = balancerUrl;
    this.clusterToken = clusterToken;
    this.recordFile = dataDir.resolve("process-fleet.json");
  }

  @Override
  public String type() {
    return "process";
  }

  @Override
  public Future<FleetMember> launch(String workerId) {
    return vertx.executeBlocking(() -> {
      List<String> cmd = new ArrayList<>();
      cmd.add(javaBinary());
      cmd.addAll(cfg.jvmOptions());
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add("swell.Main");
      cmd.add("-conf");
      cmd.add(workerConfig(workerId).encode());
      ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
      // The child's config is the one above; the balancer's own overrides must not leak into it.
      pb.environment().keySet().removeIf(k -> k.startsWith("SWELL_") && !k.equals("SWELL_LOG_LEVEL"));
      Process p;
      try {
        p = pb.start();
      } catch (IOException e) {
        throw new LaunchException("ProcessStart", "could not start a worker JVM: " + e.getMessage(), true, e);
      }
      long startedAt = startInstant(p.toHandle()).orElse(0L);
      Child c = new Child(workerId, p.pid(), startedAt);
      synchronized (children) {
        children.put(workerId, c);
        save();
      }
      log.info("started worker {} as pid {}", workerId, p.pid());
      return new FleetMember(workerId, "pid-" + p.pid(), System.currentTimeMillis());
    }, false);
  }

  private JsonObject workerConfig(String workerId) {
    return new JsonObject()
        .put("role", "worker")
        .put("balancerUrls", new JsonArray().add(balancerUrl))
        .put("clusterToken", clusterToken)
        .put("workerId", workerId)
        .put("threads", cfg.workerThreads())
        // An orphan whose balancer died for good must not poll forever.
        .put("giveUpAfterMs", 120_000);
  }

  private static String javaBinary() {
    return ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  private static Optional<Long> startInstant(ProcessHandle h) {
    return h.info().startInstant().map(Instant::toEpochMilli);
  }

  @Override
  public Future<Void> terminate(FleetMember member) {
    return vertx.executeBlocking(() -> {
      Child c;
      synchronized (children) {
        c = children.remove(member.workerId());
        save();
      }
      if (c != null) {
        stop(c);
      }
      return null;
    }, false);
  }

  /** SIGTERM first, so the worker can say it leaves; SIGKILL after the grace period. */
  private void stop(Child c) {
    Optional<ProcessHandle> h = live(c);
    if (h.isEmpty()) {
      return;
    }
    ProcessHandle p = h.get();
    p.destroy();
    try {
      p.onExit().get(TERM_GRACE_MS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.warn("worker {} (pid {}) did not exit within {} ms of SIGTERM; killing it", c.workerId, c.pid, TERM_GRACE_MS);
      p.destroyForcibly();
    }
  }

  private static Optional<ProcessHandle> live(Child c) {
    return ProcessHandle.of(c.pid)
        .filter(ProcessHandle::isAlive)
        .filter(h -> c.startedAt == 0 || startInstant(h).map(s -> s == c.startedAt).orElse(true));
  }

  @Override
  public Future<List<FleetMember>> list() {
    return vertx.executeBlocking(() -> {
      synchronized (children) {
        if (children.isEmpty()) {
          load();
        }
        List<FleetMember> out = new ArrayList<>();
        children.values().removeIf(c -> live(c).isEmpty());
        for (Child c : children.values()) {
          out.add(new FleetMember(c.workerId, "pid-" + c.pid, c.startedAt));
        }
        save();
        return out;
      }
    }, false);
  }

  @Override
  public Future<Void> close() {
    List<Child> all;
    synchronized (children) {
      all = new ArrayList<>(children.values());
    }
    if (all.isEmpty()) {
      return Future.succeededFuture();
    }
    // Stop them in parallel: each may take the grace period.
    List<Future<Void>> stops = new ArrayList<>();
    for (Child c : all) {
      Promise<Void> p = Promise.promise();
      Thread t = new Thread(() -> {
        stop(c);
        p.complete();
      }, "swell-stop-" + c.workerId);
      t.setDaemon(true);
      t.start();
      stops.add(p.future());
    }
    return Future.all(stops).map(v -> {
      synchronized (children) {
        children.clear();
        save();
      }
      log.info("stopped {} worker processes", all.size());
      return null;
    });
  }

  private void load() {
    if (!Files.exists(recordFile)) {
      return;
    }
    try {
      JsonArray arr = new JsonArray(Files.readString(recordFile));
      for (Object o : arr) {
        JsonObject j = (JsonObject) o;
        children.put(j.getString("workerId"), new Child(j.getString("workerId"), j.getLong("pid"), j.getLong("startedAt")));
      }
    } catch (Exception e) {
      log.warn("ignoring unreadable {}: {}", recordFile, e.toString());
    }
  }

  private void save() {
    JsonArray arr = new JsonArray();
    for (Child c : children.values()) {
      arr.add(new JsonObject().put("workerId", c.workerId).put("pid", c.pid).put("startedAt", c.startedAt));
    }
    try {
      Files.createDirectories(recordFile.getParent());
      Path tmp = recordFile.resolveSibling(recordFile.getFileName() + ".tmp");
      Files.writeString(tmp, arr.encodePrettily());
      Files.move(tmp, recordFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      log.error("could not record worker pids in {}: a balancer restart may not find them", recordFile, e);
    }
  }
}
