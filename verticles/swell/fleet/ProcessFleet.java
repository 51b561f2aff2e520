package swell.fleet;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import swell.common.ConfigReader;

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
import java.util.function.Supplier;
import java.util.concurrent.TimeUnit;

/**
 * Workers as child JVMs of this same jar on this machine. Their pids are written to
 * {@code dataDir/process-fleet.json}, so a balancer that was killed finds them again on restart
 * (adopts them) instead of leaking them; a clean stop of the balancer stops them all. A record
 * goes only once its process is gone, so a stop that failed is found by a retry or the next
 * balancer. The cluster token reaches a child in its environment, never on its command line.
 */
public final class ProcessFleet implements Fleet {
  private static final Logger log = LoggerFactory.getLogger(ProcessFleet.class);
  /** How long a worker gets to leave after SIGTERM before it is killed. */
  private static final long TERM_GRACE_MS = 10_000;
  /** How long a SIGKILLed worker may take to disappear before the stop counts as failed. */
  private static final long KILL_WAIT_MS = 5_000;
  private static final long EXIT_POLL_MS = 50;
  /** A process worker's instance id is its pid, so named. */
  private static final String PID_PREFIX = "pid-";

  private final Vertx vertx;
  private final FleetConfig cfg;
  private final Supplier<List<String>> balancerUrls;
  private final String clusterToken;
  private final Path recordFile;
  private final Map<String, Child> children = new LinkedHashMap<>();
  /** Whether the records of an earlier balancer were read; nothing is saved before, or they would be lost. */
  private boolean loaded;

  private record Child(String workerId, long pid, long startedAt) {
  }

  public ProcessFleet(Vertx vertx, FleetConfig cfg, Supplier<List<String>> balancerUrls, String clusterToken,
                      Path dataDir) {
    this.vertx = vertx;
    this.cfg = cfg;
    this.balancerUrls = balancerUrls;
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
      pb.environment().putAll(swell.common.LogConfig.childEnvironment()); // its lines join this process's
      // In the environment, not the command line: any user on the machine can read the latter in ps.
      pb.environment().put(ConfigReader.envName("clusterToken"), clusterToken);
      Process p;
      try {
        p = pb.start();
      } catch (IOException e) {
        throw new LaunchException("ProcessStart", "could not start a worker JVM: " + e.getMessage(), true, e);
      }
      long startedAt = startInstant(p.toHandle()).orElse(0L);
      Child c = new Child(workerId, p.pid(), startedAt);
      synchronized (children) {
        loadOnce();
        children.put(workerId, c);
        save();
      }
      log.info("started worker {} as pid {}", workerId, p.pid());
      // The start instant with the pid names this process for good: another balancer can stop it.
      return new FleetMember(workerId, PID_PREFIX + p.pid(), startedAt);
    }, false);
  }

  /** The child's config on its command line: everything but the token. */
  private JsonObject workerConfig(String workerId) {
    return new JsonObject()
        .put("role", "worker")
        .put("balancerUrls", new JsonArray(List.copyOf(balancerUrls.get())))
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

  /** Succeeds once the worker's process is gone; until then its record stays, so nothing is leaked. */
  @Override
  public Future<Void> terminate(FleetMember member) {
    return vertx.executeBlocking(() -> {
      Child c;
      synchronized (children) {
        loadOnce();
        c = children.get(member.workerId());
      }
      if (c == null) {
        c = fromMember(member);
      }
      if (c != null) {
        stop(c);
        forget(c);
      }
      return null;
    }, false);
  }

  /**
   * A worker another balancer of the cluster launched on this machine (it led then, and is gone): its
   * pid and start instant, as that balancer recorded them in the shared store, name the process.
   */
  private static Child fromMember(FleetMember member) {
    if (!member.instanceId().startsWith(PID_PREFIX)) {
      return null;
    }
    try {
      return new Child(member.workerId(), Long.parseLong(member.instanceId().substring(PID_PREFIX.length())),
          member.launchedAt());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private void forget(Child c) {
    synchronized (children) {
      children.remove(c.workerId, c);
      save();
    }
  }

  /**
   * SIGTERM first, so the worker can say it leaves; SIGKILL after the grace period. Returns once
   * the process is gone and throws if it still runs after the SIGKILL.
   */
  private void stop(Child c) {
    Optional<ProcessHandle> h = live(c);
    if (h.isEmpty()) {
      return;
    }
    h.get().destroy();
    if (gone(c, TERM_GRACE_MS)) {
      return;
    }
    if (Thread.currentThread().isInterrupted()) {
      throw new IllegalStateException("stopping worker " + c.workerId + " (pid " + c.pid + ") was interrupted");
    }
    log.warn("worker {} (pid {}) did not exit within {} ms of SIGTERM; killing it", c.workerId, c.pid, TERM_GRACE_MS);
    live(c).ifPresent(ProcessHandle::destroyForcibly);
    if (!gone(c, KILL_WAIT_MS)) {
      throw new IllegalStateException("worker " + c.workerId + " (pid " + c.pid + ") still runs " + KILL_WAIT_MS
          + " ms after SIGKILL");
    }
  }

  /**
   * Waits up to {@code ms} for the process to go; polled, since a process that is not our child has
   * no exit event. Interrupted (the balancer is being undeployed), it answers what is true now.
   */
  private static boolean gone(Child c, long ms) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    while (live(c).isPresent()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        Thread.sleep(EXIT_POLL_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return live(c).isEmpty();
      }
    }
    return true;
  }

  /** The child's process if it still runs: same pid, same start time (not a reused pid), not a zombie. */
  private static Optional<ProcessHandle> live(Child c) {
    return ProcessHandle.of(c.pid)
        .filter(ProcessHandle::isAlive)
        .filter(h -> c.startedAt == 0 || startInstant(h).map(s -> s == c.startedAt).orElse(true))
        .filter(h -> !zombie(h.pid()));
  }

  /**
   * A dead process its parent has not reaped yet: Java calls it alive, but it runs nothing. An
   * adopted worker's parent is init, which may reap late.
   */
  private static boolean zombie(long pid) {
    return state(pid).filter(c -> c == 'Z').isPresent(); // empty: isAlive decides
  }

  /**
   * The process's state letter from {@code /proc/<pid>/stat} ({@code R}, {@code S}, {@code T}
   * stopped, {@code Z} zombie...); empty when there is none: no /proc (not Linux), or no process.
   */
  public static Optional<Character> state(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      int afterName = stat.lastIndexOf(')');
      return afterName > 0 && afterName + 2 < stat.length() ? Optional.of(stat.charAt(afterName + 2)) : Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  @Override
  public Future<List<FleetMember>> list() {
    return vertx.executeBlocking(() -> {
      synchronized (children) {
        loadOnce();
        List<FleetMember> out = new ArrayList<>();
        children.values().removeIf(c -> live(c).isEmpty());
        for (Child c : children.values()) {
          out.add(new FleetMember(c.workerId, PID_PREFIX + c.pid, c.startedAt));
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
    // Said before, not only after: a stop may take the grace period, and Ctrl-C should not look hung.
    log.info("stopping {} worker processes (SIGTERM, then SIGKILL after {} s)...", all.size(), TERM_GRACE_MS / 1000);
    // Stop them in parallel: each may take the grace period. A failed stop keeps its record.
    List<Future<Boolean>> stops = new ArrayList<>();
    for (Child c : all) {
      Promise<Boolean> p = Promise.promise();
      Thread t = new Thread(() -> {
        try {
          stop(c);
          forget(c);
          p.complete(true);
        } catch (Exception e) {
          log.error("stopping worker {} (pid {}) failed; its record stays for the next balancer: {}", c.workerId,
              c.pid, e.toString());
          p.complete(false);
        }
      }, "swell-stop-" + c.workerId);
      t.setDaemon(true);
      t.start();
      stops.add(p.future());
    }
    return Future.all(stops).map(done -> {
      long stopped = done.<Boolean>list().stream().filter(b -> b).count();
      log.info("stopped {} of {} worker processes", stopped, all.size());
      return null;
    });
  }

  /** Reads the records an earlier balancer left, once, before this one changes them. */
  private void loadOnce() {
    if (loaded) {
      return;
    }
    loaded = true;
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
