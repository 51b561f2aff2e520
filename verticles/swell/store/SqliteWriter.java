package swell.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * The SQLite store's one writing thread: it takes every write that is waiting, runs them in one
 * transaction and commits once, so a thousand enqueues cost one fsync. A write's effect on memory
 * ({@code committed}) is applied only after the commit, and undone ({@code failed}) if the batch
 * rolled back; both run under the store's lock, in the order the writes were submitted.
 *
 * <p>A failed batch (a full disk, an I/O error) fails its writes, and the writer goes on with a
 * fresh connection: after an I/O error SQLite may have rolled the transaction back by itself, and a
 * connection that believes otherwise would run the next batch outside any transaction. An
 * {@link Error} (out of memory, a broken native library) leaves nothing trustworthy: the writer fails
 * every waiting write, marks itself broken and stops, and the store reports it so that the process
 * is restarted.
 */
final class SqliteWriter {
  private static final Logger log = LoggerFactory.getLogger(SqliteWriter.class);
  /** One transaction holds at most this many operations, so one commit never holds the first callers for long. */
  private static final int MAX_BATCH = 1000;

  /** SQL run by the writer inside a batch's transaction. */
  @FunctionalInterface
  interface Step<T> {
    T run(SqliteWriter w) throws SQLException;
  }

  /** One operation for the writer, see the class comment. */
  static final class Write<T> {
    final String what;
    final Step<T> step;
    final Consumer<T> committed;
    final Runnable failed;
    final CompletableFuture<T> done = new CompletableFuture<>();
    private T result;

    Write(String what, Step<T> step, Consumer<T> committed, Runnable failed) {
      this.what = what;
      this.step = step;
      this.committed = committed;
      this.failed = failed;
    }
  }

  /** Opens the writer's connection, in a transaction ({@code autoCommit} off). */
  @FunctionalInterface
  interface Connector {
    Connection open() throws SQLException;
  }

  private final Connector connector;
  /** Null after a failed batch until the next batch opens a fresh one. */
  private Connection c;
  private final Object lock;
  private final WriteFaults faults;
  private final StoreTimings timings;
  private final Consumer<Throwable> onBroken;
  private final Map<String, PreparedStatement> statements = new HashMap<>();
  private final BlockingQueue<Write<?>> writes = new LinkedBlockingQueue<>();
  private final Write<Void> stop = new Write<>("stop", w -> null, x -> { }, () -> { });
  private final Thread thread;
  /** Set under {@link #lock}: once closed (stopped or broken) nothing more is accepted. */
  private boolean closed;
  private Throwable brokenBy;

  /**
   * @param c the connection the store opened (and migrated with); {@code connector} opens its replacements
   * @param lock the store's lock, held while {@code committed}/{@code failed} run and while submitting
   * @param timings told of each committed batch: how long it took and how many writes it carried
   * @param onBroken told (on the writer thread) when an Error ended the writer
   */
  SqliteWriter(Connection c, Connector connector, Object lock, WriteFaults faults, StoreTimings timings,
               Consumer<Throwable> onBroken) {
    this.c = c;
    this.connector = connector;
    this.lock = lock;
    this.faults = faults;
    this.timings = timings;
    this.onBroken = onBroken;
    this.thread = new Thread(this::run, "swell-sqlite-writer");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Hands an operation to the writer; call it holding the store's lock, so the disk sees decisions in order. */
  <T> CompletableFuture<T> submit(Write<T> write) {
    if (closed) {
      write.failed.run();
      return CompletableFuture.failedFuture(brokenBy != null
          ? new StoreUnavailableException("the store broke and takes no more writes: " + brokenBy, brokenBy, true)
          : new IllegalStateException("the store is closed"));
    }
    writes.add(write);
    return write.done;
  }

  /** Commits what was handed over before this call, then stops (waiting at most {@code waitMs}). */
  void stop(long waitMs) {
    synchronized (lock) {
      if (!closed) {
        closed = true;
        writes.add(stop);
      }
    }
    try {
      thread.join(waitMs);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  PreparedStatement statement(String sql) throws SQLException {
    PreparedStatement ps = statements.get(sql);
    if (ps == null) {
      ps = c.prepareStatement(sql);
      statements.put(sql, ps);
    }
    return ps;
  }

  private void run() {
    List<Write<?>> batch = new ArrayList<>(MAX_BATCH);
    try {
      while (true) {
        batch.add(writes.take());
        writes.drainTo(batch, MAX_BATCH - 1);
        // stop is put last, so when it is here it ends the batch.
        boolean stopping = batch.get(batch.size() - 1) == stop;
        if (stopping) {
          batch.remove(batch.size() - 1);
        }
        if (!batch.isEmpty()) {
          commit(batch);
        }
        batch.clear();
        if (stopping) {
          return;
        }
      }
    } catch (InterruptedException e) {
      log.warn("the store writer was interrupted; writes not yet committed are failed");
      fail(batch, new StoreUnavailableException("the store writer was interrupted", e, true));
      breakFor(e);
    } catch (Throwable e) {
      log.error("the store writer failed for good ({} writes in hand); the store takes no more writes", batch.size(), e);
      fail(batch, new StoreUnavailableException("the store writer failed: " + e, e, true));
      breakFor(e);
    } finally {
      dropConnection();
    }
  }

  private void dropConnection() {
    statements.values().forEach(SqliteWriter::closeQuietly);
    statements.clear();
    if (c != null) {
      closeQuietly(c); // closing rolls back whatever transaction is still open
      c = null;
    }
  }

  /** Runs a batch in one transaction. SQL errors fail the batch only; anything else is thrown on. */
  private void commit(List<Write<?>> batch) throws SQLException {
    long start = System.nanoTime();
    try {
      if (c == null) {
        c = connector.open();
      }
      for (Write<?> w : batch) {
        run(w);
      }
      faults.beforeCommit(batch.stream().map(w -> w.what).toList());
      c.commit();
      timings.commit(System.nanoTime() - start, batch.size());
    } catch (SQLException | RuntimeException e) {
      log.error("a store write failed; rolled back {} operations ({} first)", batch.size(), batch.get(0).what, e);
      dropConnection();
      fail(batch, new StoreUnavailableException("the store could not write (" + e.getMessage()
          + "); nothing of this request was stored", e, false));
      return;
    }
    synchronized (lock) {
      for (Write<?> w : batch) {
        applyCommitted(w);
      }
    }
    for (Write<?> w : batch) {
      finish(w);
    }
  }

  private <T> void run(Write<T> w) throws SQLException {
    w.result = w.step.run(this);
  }

  private static <T> void applyCommitted(Write<T> w) {
    w.committed.accept(w.result);
  }

  private static <T> void finish(Write<T> w) {
    w.done.complete(w.result);
  }

  private void fail(List<Write<?>> batch, Throwable cause) {
    synchronized (lock) {
      batch.forEach(w -> w.failed.run());
    }
    batch.forEach(w -> w.done.completeExceptionally(cause));
  }

  /** After an Error: nothing more is accepted, everything waiting fails, and the store is told. */
  private void breakFor(Throwable cause) {
    List<Write<?>> left = new ArrayList<>();
    synchronized (lock) {
      closed = true;
      brokenBy = cause;
      writes.drainTo(left);
    }
    left.remove(stop);
    fail(left, new StoreUnavailableException("the store writer failed: " + cause, cause, true));
    onBroken.accept(cause);
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log.debug("close failed", e);
    }
  }
}
