package swell.it;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A Swell role in a child JVM of the test's own classpath, so tests can kill it for real. */
public final class RoleProcess implements AutoCloseable {
  private final Process process;

  private RoleProcess(Process process) {
    this.process = process;
  }

  public static RoleProcess start(JsonObject conf, Path log) {
    return start(conf, log, List.of("-Xmx256m", "-XX:+UseSerialGC"));
  }

  /** The role with these JVM options (a small heap, say, to prove a bound holds). */
  public static RoleProcess start(JsonObject conf, Path log, List<String> jvmOptions) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("swell.Main");
    cmd.add("-conf");
    cmd.add(conf.encode());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("SWELL_"));
    try {
      return new RoleProcess(pb.start());
    } catch (IOException e) {
      throw new IllegalStateException("could not start " + conf.getString("role") + ": " + e, e);
    }
  }

  public long pid() {
    return process.pid();
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed — the crash the durability promise is about. */
  public void kill9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }
}
