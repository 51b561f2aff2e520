package swell.loadtest;

import java.lang.management.ManagementFactory;

/**
 * The load generator's own CPU over a run, as cores busy on average (process CPU time over wall
 * time): when the client shares the machine with the Swell under test, a reader must see whether
 * the client was the limit.
 */
final class ClientCpu {
  private final long startCpuNanos;
  private final long startWallNanos;

  private ClientCpu(long startCpuNanos, long startWallNanos) {
    this.startCpuNanos = startCpuNanos;
    this.startWallNanos = startWallNanos;
  }

  /** Starts counting now. */
  static ClientCpu start() {
    return new ClientCpu(processCpuNanos(), System.nanoTime());
  }

  /** What this process used since {@link #start}; unknown (-1 seconds) where the JVM cannot tell. */
  Usage stop() {
    long cpu = processCpuNanos();
    long wall = System.nanoTime() - startWallNanos;
    int cores = Runtime.getRuntime().availableProcessors();
    if (cpu < 0 || startCpuNanos < 0) {
      return new Usage(-1, wall / 1e9, cores);
    }
    return new Usage((cpu - startCpuNanos) / 1e9, wall / 1e9, cores);
  }

  /** CPU time of the whole process (every thread, the JIT and GC too), or -1 when not available. */
  static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /**
   * @param cpuSeconds process CPU time over the run, or -1 when unknown
   * @param wallSeconds the run's length
   * @param availableCores processors this JVM may use
   */
  record Usage(double cpuSeconds, double wallSeconds, int availableCores) {
    static final Usage UNKNOWN = new Usage(-1, 0, Runtime.getRuntime().availableProcessors());

    boolean known() {
      return cpuSeconds >= 0 && wallSeconds > 0;
    }

    /** Cores busy on average: 1.7 means 1.7 cores' worth of CPU for the whole run. */
    double busyCores() {
      return known() ? cpuSeconds / wallSeconds : -1;
    }

    String toText() {
      if (!known()) {
        return "CPU unknown (this JVM does not report process CPU time)";
      }
      return String.format("CPU %.2f of %d cores (%.1f s of CPU in %.2f s)", busyCores(), availableCores, cpuSeconds,
          wallSeconds);
    }
  }
}
