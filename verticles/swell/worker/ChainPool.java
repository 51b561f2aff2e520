package swell.worker;

import swell.common.Sha512Chain;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * The worker's compute threads, one per core by default. Each thread keeps its own
 * {@link Sha512Chain}, so a chain reuses one digest and one buffer however many works it runs.
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

  private final ExecutorService threads;
  private final Computation computation;

  ChainPool(int size, String name, Computation computation) {
    AtomicInteger n = new AtomicInteger();
    this.computation = computation;
    this.threads = Executors.newFixedThreadPool(size, r -> {
      Thread t = new Thread(r, name + "-compute-" + n.incrementAndGet());
      t.setDaemon(true);
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
      byte[] result;
      try {
        result = computation.compute(body, iterations);
      } catch (Throwable e) {
        done.accept(null, e);
        return;
      }
      done.accept(result, null);
    });
  }

  @Override
  public void close() {
    threads.shutdownNow();
  }
}
