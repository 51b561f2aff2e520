package swell.bench;

import swell.common.Sha512Chain;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code bench/compute.sh}: the worker's hash chain against the tightest {@code MessageDigest} loop
 * in the same JVM, per thread, then the chain on every core at once. Rounds alternate between the
 * two so a neighbour's load on this shared machine hits both alike.
 */
public final class ComputeBench {
  /** Iterations per call: a work of this size keeps call overhead out of the measurement, as real works do. */
  private static final long CHUNK = 200_000;

  private ComputeBench() {
  }

  /** The ceiling: the tightest loop over the JDK's SHA-512, one reused 64-byte buffer, nothing else. */
  static final class BareLoop {
    private final MessageDigest md;
    private final byte[] buf = new byte[64];

    BareLoop() throws Exception {
      md = MessageDigest.getInstance("SHA-512");
    }

    byte run(byte[] body, long iterations) throws Exception {
      md.update(body);
      md.digest(buf, 0, 64);
      for (long i = 1; i < iterations; i++) {
        md.update(buf, 0, 64);
        md.digest(buf, 0, 64);
      }
      return buf[0];
    }
  }

  /** For context: the loop most people write first, a new array per round. */
  static byte naiveLoop(MessageDigest md, byte[] body, long iterations) {
    byte[] d = md.digest(body);
    for (long i = 1; i < iterations; i++) {
      d = md.digest(d);
    }
    return d[0];
  }

  interface Loop {
    void run(long iterations) throws Exception;
  }

  /** Hashes per second of {@code loop} over about {@code millis}. */
  static double rate(Loop loop, long millis) throws Exception {
    long start = System.nanoTime();
    long deadline = start + millis * 1_000_000;
    long done = 0;
    do {
      loop.run(CHUNK);
      done += CHUNK;
    } while (System.nanoTime() < deadline);
    return done / ((System.nanoTime() - start) / 1e9);
  }

  static double median(List<Double> xs) {
    double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(a);
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }

  /** Every core running the chain for {@code millis}; hashes per second in total. */
  static double allCores(int threads, long millis, byte[] body) throws InterruptedException {
    LongAdder hashes = new LongAdder();
    List<Thread> ts = new ArrayList<>();
    long start = System.nanoTime();
    long deadline = start + millis * 1_000_000;
    for (int t = 0; t < threads; t++) {
      Thread th = new Thread(() -> {
        Sha512Chain chain = new Sha512Chain();
        while (System.nanoTime() < deadline) {
          chain.compute(body, CHUNK);
          hashes.add(CHUNK);
        }
      }, "compute-" + t);
      ts.add(th);
      th.start();
    }
    for (Thread th : ts) {
      th.join();
    }
    return hashes.sum() / ((System.nanoTime() - start) / 1e9);
  }

  /**
   * {@code ComputeBench [--rounds N] [--round-ms MS] [--per-thread-only]}: the last prints one number,
   * the chain's hashes/s on one thread, for {@code bench/scaling.sh}'s ideal.
   */
  public static void main(String[] args) throws Exception {
    int rounds = 5;
    long roundMs = 2000;
    boolean perThreadOnly = false;
    int loadedThreads = 0;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--round-ms" -> roundMs = Long.parseLong(args[++i]);
        case "--per-thread-only" -> perThreadOnly = true;
        case "--per-thread-loaded" -> loadedThreads = Integer.parseInt(args[++i]);
        default -> {
          System.err.println("usage: ComputeBench [--rounds N] [--round-ms MS] [--per-thread-only | --per-thread-loaded THREADS]");
          System.exit(2);
        }
      }
    }
    byte[] body = new byte[1024];
    Arrays.fill(body, (byte) 7);
    if (loadedThreads > 0) {
      // The per-thread rate while THREADS threads hash at once: what each thread of a worker that
      // keeps all of them busy can give on this machine, where cores share caches and clocks.
      allCores(loadedThreads, roundMs, body);
      List<Double> loaded = new ArrayList<>();
      for (int r = 0; r < rounds; r++) {
        loaded.add(allCores(loadedThreads, roundMs, body) / loadedThreads);
      }
      System.out.printf("%.0f%n", median(loaded));
      return;
    }
    Sha512Chain chain = new Sha512Chain();
    Loop worker = n -> chain.compute(body, n);
    BareLoop bareLoop = new BareLoop();
    Loop bare = n -> bareLoop.run(body, n);
    MessageDigest md = MessageDigest.getInstance("SHA-512");
    Loop naive = n -> naiveLoop(md, body, n);

    // Warm-up: let C2 compile both loops before anything counts.
    rate(worker, roundMs);
    rate(bare, roundMs);
    rate(naive, roundMs);

    List<Double> workerRates = new ArrayList<>();
    List<Double> bareRates = new ArrayList<>();
    List<Double> naiveRates = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      workerRates.add(rate(worker, roundMs));
      if (!perThreadOnly) {
        bareRates.add(rate(bare, roundMs));
        naiveRates.add(rate(naive, roundMs));
      }
    }
    double w = median(workerRates);
    if (perThreadOnly) {
      System.out.printf("%.0f%n", w);
      return;
    }
    double b = median(bareRates);
    int cores = Runtime.getRuntime().availableProcessors();
    double all = allCores(cores, roundMs * 2, body);
    System.out.printf("compute, median of %d rounds of %d ms, 1 KiB body:%n", rounds, roundMs);
    System.out.printf("  worker chain (Sha512Chain)  %,12.0f hashes/s per thread%n", w);
    System.out.printf("  bare MessageDigest loop     %,12.0f hashes/s per thread%n", b);
    System.out.printf("  naive md.digest(d) loop     %,12.0f hashes/s per thread (context only)%n", median(naiveRates));
    System.out.printf("  worker / bare               %11.1f %%   (target >= 95 %%)%n", 100 * w / b);
    System.out.printf("  %d threads, one per core     %,12.0f hashes/s total (%.2f x one thread)%n", cores, all, all / w);
  }
}
