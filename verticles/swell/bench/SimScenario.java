package swell.bench;

import swell.balancer.ScalingConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One named load for {@link ScalingSim}: when works arrive and how heavy they are, the simulated
 * fleet (boot time, per-worker rate, launch failures) and the scaler's config. Arrivals come from a
 * seeded generator, so every run of a scenario sees the same works.
 *
 * @param bootMs               from a launch to the worker's registration
 * @param threadsPerWorker     compute threads per worker
 * @param hashesPerThread      hashes per second of one thread (bench/README.md: 5.1-5.35 M)
 * @param rateSpread           each worker's rate is off the nominal by up to this share, either way
 * @param launchFailureRate    share of launches the fleet refuses (a retryable error, after launchAnswerMs)
 * @param launchAnswerMs       how long the fleet takes to refuse a launch
 */
record SimScenario(String name, String description, long seed, List<Arrival> arrivals, long bootMs,
                   int threadsPerWorker, double hashesPerThread, double rateSpread, double launchFailureRate,
                   long launchAnswerMs, ScalingConfig config) {

  /** A work entering the queue at {@code atMs}. */
  record Arrival(long atMs, long iterations) {
  }

  private static final long SECOND = 1_000;
  private static final long MINUTE = 60 * SECOND;
  private static final long HOUR = 60 * MINUTE;
  /** maxIterations, the heaviest work a client may enqueue: 20 s on one thread. */
  private static final long HEAVY = 100_000_000;

  /**
   * The fleet every scenario runs on: EC2-like workers of 2 threads that take 90 s from launch to
   * registration (instance start, Java installed at boot, the jar fetched), rates spread by 10 %.
   */
  static final long BOOT_MS = 90 * SECOND;
  static final int THREADS = 2;
  static final double HASHES_PER_THREAD = 5_000_000;
  static final double RATE_SPREAD = 0.10;
  static final long LAUNCH_ANSWER_MS = 1_000;

  /**
   * The balancer's defaults but for maxWorkers (20: the burst that needs 20 workers) and
   * idleTimeoutMs (one boot time: keeping an idle worker longer than a relaunch costs is the
   * break-even an online rule can be held to, within 2x of knowing when work comes back).
   */
  static ScalingConfig simConfig() {
    return new ScalingConfig(1000, 0, 20, 15_000, 60_000, BOOT_MS, 300_000, 120_000, 300_000,
        ScalingConfig.Rule.PLANNER, 60_000, ScalingConfig.DEFAULT_WORKER_HASH_RATE);
  }

  /** The same load on another fleet or under another config (the sensitivity runs). */
  SimScenario with(long otherBootMs, ScalingConfig otherConfig) {
    return new SimScenario(name, description, seed, arrivals, otherBootMs, threadsPerWorker, hashesPerThread,
        rateSpread, launchFailureRate, launchAnswerMs, otherConfig);
  }

  static List<SimScenario> all() {
    return List.of(burst(), ramp(), onOffDaily(), burstWithFailingLaunches());
  }

  private static SimScenario scenario(String name, String description, long seed, List<Arrival> arrivals,
                                      double launchFailureRate) {
    return new SimScenario(name, description, seed, arrivals, BOOT_MS, THREADS, HASHES_PER_THREAD, RATE_SPREAD,
        launchFailureRate, LAUNCH_ANSWER_MS, simConfig());
  }

  /** 2,000 works of 100 M iterations at once, 10 minutes into a quiet day, on an empty fleet. */
  static SimScenario burst() {
    return scenario("burst-2000-heavy", "2,000 works of 100 M iterations at once on an empty fleet", 1,
        burstArrivals(), 0);
  }

  /** The same burst while a fifth of launches fail (capacity errors): back-off and retries. */
  static SimScenario burstWithFailingLaunches() {
    return scenario("burst-2000-heavy-launches-fail-20pct", "the burst, 20 % of launches refused by the fleet", 4,
        burstArrivals(), 0.20);
  }

  private static List<Arrival> burstArrivals() {
    List<Arrival> out = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      out.add(new Arrival(10 * MINUTE, HEAVY));
    }
    return out;
  }

  /**
   * Works of 20 M iterations (4 s on a thread) arriving at random (Poisson), the rate rising evenly
   * over an hour from nothing to what 15 workers compute, then stopping.
   */
  static SimScenario ramp() {
    long start = 10 * MINUTE;
    long end = start + HOUR;
    double peakHashesPerSecond = 15 * THREADS * HASHES_PER_THREAD;
    long iterations = 20_000_000;
    return scenario("steady-ramp", "4 s works, arrivals rising over an hour to 15 workers' worth, then none", 2,
        poisson(2, start, end, iterations, t -> peakHashesPerSecond * (t - start) / (end - start) / iterations), 0);
  }

  /**
   * Three days of office hours: 10 s works arriving at random at 10 workers' worth from 08:00 to
   * 18:00, nothing at night.
   */
  static SimScenario onOffDaily() {
    long iterations = 50_000_000;
    double perSecond = 10 * THREADS * HASHES_PER_THREAD / iterations;
    List<Arrival> out = new ArrayList<>();
    for (int day = 0; day < 3; day++) {
      long open = day * 24 * HOUR + 8 * HOUR;
      out.addAll(poisson(3 + day, open, open + 10 * HOUR, iterations, t -> perSecond));
    }
    return scenario("on-off-daily", "3 days: 10 s works at 10 workers' worth 08:00-18:00, none at night", 3, out, 0);
  }

  /** Works per second at a time (ms). */
  private interface RateAt {
    double perSecond(long t);
  }

  /** A Poisson process, second by second, at the rate the second starts with. */
  private static List<Arrival> poisson(long seed, long from, long to, long iterations, RateAt rate) {
    Random random = new Random(seed);
    List<Arrival> out = new ArrayList<>();
    for (long t = from; t < to; t += SECOND) {
      int n = poissonCount(random, rate.perSecond(t));
      long[] at = new long[n];
      for (int i = 0; i < n; i++) {
        at[i] = t + (long) (random.nextDouble() * SECOND);
      }
      java.util.Arrays.sort(at);
      for (long a : at) {
        out.add(new Arrival(a, iterations));
      }
    }
    return out;
  }

  /** Knuth's method: fine for the few works a second these scenarios have. */
  private static int poissonCount(Random random, double mean) {
    double limit = Math.exp(-mean);
    double p = random.nextDouble();
    int n = 0;
    while (p > limit) {
      p *= random.nextDouble();
      n++;
    }
    return n;
  }
}
