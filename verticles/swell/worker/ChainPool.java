package swell.worker;

import swell.common.Sha512Chain;

import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * The worker's compute threads, one per core by default. Each thread keeps its own
 * {@link Sha512Chain}, so a chain reuses one digest and one buffer however many works it runs.
 * Each thread also keeps its own counters of what it did, updated once per work (never inside the
 * hashing loop) and summed only when a heartbeat asks.
 */
final class ChainPool implements AutoCloseable {

  /** What a compute thread does with one work: the SHA-512 chain, or in a test a failure to inject. */
  @FunctionalInterface
  interface Computation {
    byte[] compute(byte[] body, long iterations);
  }

  /** The work itself, on one reused {@link Sha512Chain} per compute thread. */
  static Computation sha512Chain() {
    ThreadLocal<Sha512Chain> chain = ThreadLocal.withInitial(Sha512Chain::new);
    return (body, iterations) -> chain.get().compute(body, iterations);
  }

  /**
   * What all compute threads had done at one instant ({@code System.nanoTime()} {@code at}):
   * iterations of the works they finished and the time those took, and the time spent computing
   * including the works still under way, which heartbeats turn into a busy fraction.
   */
  record Totals(long at, long hashes, long workNanos, long busyNanos) {
  }

  /**
   * One thread's counters. Only its thread writes them, between two steps of a version that is odd
   * meanwhile (a sequence lock), so a heartbeat reading them never takes half of an update: two
   * volatile writes and no lock per change, twice per work.
   */
  private static final class ThreadMeter {
    private static final long IDLE = Long.MIN_VALUE;
    private volatile long version;
    private long hashes;
    private long workNanos;
    /** {@code System.nanoTime()} when the work under way started, or {@link #IDLE}. */
    private long runningSince = IDLE;

    void started(long at) {
      beginWrite();
      runningSince = at;
      version++;
    }

    void finished(long iterations, long took) {
      beginWrite();
      hashes += iterations;
      workNanos += took;
      runningSince = IDLE;
      version++;
    }

    void failed() {
      beginWrite();
      runningSince = IDLE;
      version++;
    }

    private void beginWrite() {
      version++;
      VarHandle.storeStoreFence(); // the writes that follow are not seen before the odd version
    }

    /** {hashes, workNanos, busyNanos up to {@code now}}, from one consistent state. */
    long[] read(long now) {
      while (true) {
        long v = version;
        long hashed = hashes;
        long done = workNanos;
        long since = runningSince;
        VarHandle.loadLoadFence(); // the reads above are done before the version is read again
        if ((v & 1) == 0 && v == version) {
          return new long[] {hashed, done, done + (since == IDLE ? 0 : Math.max(0, now - since))};
        }
        Thread.onSpinWait();
      }
    }
  }

  /** A compute thread carries its meter, so a work finds it without a lookup. */
  private static final class ComputeThread extends Thread {
    private final ThreadMeter meter = new ThreadMeter();

    ComputeThread(Runnable r, String name) {
      super(r, name);
    }
  }

  private final ExecutorService threads;
  private final Computation computation;
  private final List<ThreadMeter> meters = new CopyOnWriteArrayList<>();

  ChainPool(int size, String name, Computation computation) {
    AtomicInteger n = new AtomicInteger();
    this.computation = computation;
    this.threads = Executors.newFixedThreadPool(size, r -> {
      ComputeThread t = new ComputeThread(r, name + "-compute-" + n.incrementAndGet());
      t.setDaemon(true);
      meters.add(t.meter);
      return t;
    });
  }

  /**
   * Computes on a compute thread and hands the 64-byte result, or what was thrown, to {@code done}
   * there. Errors too: a work whose thread died unreported would stay in flight, and its lease
   * would be extended by heartbeats forever.
   */
  void submit(byte[] body, long iterations, BiConsumer<byte[], Throwable> done) {
    threads.execute(() -> {
      ThreadMeter meter = ((ComputeThread) Thread.currentThread()).meter;
      long start = System.nanoTime();
      meter.started(start);
      byte[] result;
      try {
        result = computation.compute(body, iterations);
      } catch (Throwable e) {
        meter.failed();
        done.accept(null, e);
        return;
      }
      meter.finished(iterations, System.nanoTime() - start);
      done.accept(result, null);
    });
  }

  /** Sums every thread's counters now. */
  Totals totals() {
    long now = System.nanoTime();
    long hashes = 0;
    long workNanos = 0;
    long busyNanos = 0;
    for (ThreadMeter m : meters) {
      long[] r = m.read(now);
      hashes += r[0];
      workNanos += r[1];
      busyNanos += r[2];
    }
    return new Totals(now, hashes, workNanos, busyNanos);
  }

  @Override
  public void close() {
    threads.shutdownNow();
  }
}
