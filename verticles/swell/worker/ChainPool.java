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
  private final ExecutorService threads;
  private final ThreadLocal<Sha512Chain> chain = ThreadLocal.withInitial(Sha512Chain::new);

  ChainPool(int size, String name) {
    AtomicInteger n = new AtomicInteger();
    this.threads = Executors.newFixedThreadPool(size, r -> {
      Thread t = new Thread(r, name + "-compute-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** Computes on a compute thread and hands the 64-byte result, or the error, to {@code done} there. */
  void submit(byte[] body, long iterations, BiConsumer<byte[], Throwable> done) {
    threads.execute(() -> {
      byte[] result;
      try {
        result = chain.get().compute(body, iterations);
      } catch (RuntimeException e) {
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
