package swell.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The durable store: one SQLite file in WAL mode written by a single group-committing thread, with
 * the live works indexed in memory (a {@link WorkQueue}, no bodies) so that lease decisions never
 * wait for the disk.
 *
 * <p>Every method returns at once: JDBC runs only on the writer thread and a small reader pool, and
 * the futures complete there. Callers that need their own thread (a Vert.x context) hop back
 * themselves.
 */
public final class SqliteWorkStore implements WorkStore {
  private static final Logger log = LoggerFactory.getLogger(SqliteWorkStore.class);

  /** Written to {@code PRAGMA user_version}; a file from a newer schema is refused rather than misread. */
  private static final int SCHEMA_VERSION = 1;
  /** One transaction holds at most this many operations, so one commit never holds the first callers for long. */
  private static final int MAX_BATCH = 1000;
  /** Ids per {@code IN (...)}: well under SQLite's bound-parameter limit. */
  private static final int MAX_IDS_PER_SELECT = 500;
  /** Reads are by primary key and short; two threads keep a slow one from holding up leases. */
  private static final int READERS = 2;
  /** How often the checkpointer copies the WAL into the database file. */
  private static final long CHECKPOINT_EVERY_MS = 250;
  /** How long close waits for the writer to commit what it was given. */
  private static final long CLOSE_WAIT_MS = 10_000;

  /** Values of the {@code state} column; leases are not persisted, so a leased work is stored as queued. */
  private static final int STATE_QUEUED = 0;
  private static final int STATE_COMPLETED = 2;
  private static final int STATE_FAILED = 3;

  private final Path file;
  private final boolean fsync;
  private final StoreLimits limits;

  /** The live works; also the lock for {@link #reserved} and for handing writes to the writer in decision order. */
  private final WorkQueue queue;
  /** Works being written that will be pending once committed, so concurrent enqueues cannot overshoot maxPending. */
  private long reserved;
  /**
   * Works that left the queue (pulled or failed) while their new state is not committed yet, so
   * that find does not read the stale row meanwhile. Guarded by the queue lock.
   */
  private final Map<UUID, WorkInfo> settling = new HashMap<>();
  /** Set under the queue lock (by close, or when the writer cannot go on); after it nothing more reaches {@link #writes}. */
  private boolean closed;
  private final AtomicBoolean closeCalled = new AtomicBoolean();

  private final BlockingQueue<Write<?>> writes = new LinkedBlockingQueue<>();
  /** Put last on {@link #writes} by close: the writer commits what came before it and stops. */
  private final Write<Void> stop = new Write<>("stop", w -> null, x -> { }, () -> { });
  private final CompletableFuture<Void> opened = new CompletableFuture<>();
  private Thread writerThread;

  private volatile Connection checkpointConnection;
  private final ExecutorService readers;
  /**
   * Checkpoints the WAL off the writer's thread. Left to SQLite, the committing connection copies
   * the WAL into the file every 1000 pages, and every enqueue waiting on that commit waits for the
   * copy too: under load that was the longest stall on the write path.
   */
  private final ScheduledExecutorService checkpointer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "swell-sqlite-checkpointer");
    t.setDaemon(true);
    return t;
  });
  private final ThreadLocal<Connection> readerConnection = new ThreadLocal<>();
  private final List<Connection> readerConnections = new CopyOnWriteArrayList<>();

  public SqliteWorkStore(Path file, boolean fsync, StoreLimits limits) {
    this.file = file.toAbsolutePath();
    this.fsync = fsync;
    this.limits = limits;
    this.queue = new WorkQueue(limits.maxAttempts());
    AtomicInteger n = new AtomicInteger();
    this.readers = Executors.newFixedThreadPool(READERS, r -> {
      Thread t = new Thread(r, "swell-sqlite-reader-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public CompletableFuture<Void> open(long now) {
    synchronized (queue) {
      if (writerThread != null || closed) {
        return CompletableFuture.failedFuture(new IllegalStateException("open is called once, before close"));
      }
      writerThread = new Thread(() -> runWriter(now), "swell-sqlite-writer");
      writerThread.setDaemon(true);
      writerThread.start();
    }
    return opened;
  }

  @Override
  public boolean durable() {
    return true;
  }

  // ---- operations -------------------------------------------------------------------------

  @Override
  public CompletableFuture<List<EnqueueOutcome>> enqueue(List<NewWork> works) {
    if (works.isEmpty()) {
      return CompletableFuture.completedFuture(List.of());
    }
    synchronized (queue) {
      // A retry of a live id adds nothing; anything else may add a pending work once committed.
      long fresh = works.stream().filter(w -> !queue.contains(w.id())).count();
      if (queue.pendingCount() + reserved + fresh > limits.maxPending()) {
        return CompletableFuture.failedFuture(new QueueFullException(limits.maxPending()));
      }
      reserved += fresh;
      return submit(new Write<>("enqueue", w -> w.insert(works),
          outcomes -> {
            reserved -= fresh;
            for (int i = 0; i < works.size(); i++) {
              NewWork work = works.get(i);
              if (outcomes.get(i).created()) {
                queue.addPending(work.id(), work.iterations(), work.enqueuedAt(), 0);
              }
            }
          },
          () -> reserved -= fresh));
    }
  }

  @Override
  public CompletableFuture<List<LeasedWork>> lease(String workerId, int max, long iterationBudget, long now,
                                                   long leaseMs) {
    List<WorkQueue.Lease> leases;
    synchronized (queue) {
      leases = queue.lease(workerId, max, iterationBudget, now, leaseMs);
    }
    if (leases.isEmpty()) {
      return CompletableFuture.completedFuture(List.of());
    }
    List<UUID> ids = leases.stream().map(WorkQueue.Lease::id).toList();
    CompletableFuture<List<LeasedWork>> out = new CompletableFuture<>();
    read(c -> readBodies(c, ids)).whenComplete((bodies, err) -> {
      if (err != null) {
        // The worker never sees these works: give them back without counting a delivery.
        synchronized (queue) {
          ids.forEach(queue::unlease);
        }
        out.completeExceptionally(err);
        return;
      }
      List<LeasedWork> delivered = new ArrayList<>(leases.size());
      List<WorkQueue.Lease> attempted = new ArrayList<>(leases.size());
      for (WorkQueue.Lease l : leases) {
        byte[] data = bodies.get(l.id());
        if (data != null) { // no body: a late result completed it after the lease was decided
          delivered.add(new LeasedWork(l.id(), l.iterations(), data, l.attempts(), l.leaseUntil()));
          attempted.add(l);
        }
      }
      if (!attempted.isEmpty()) {
        // Not awaited: a lost attempt count only gives a work one more delivery after a crash.
        synchronized (queue) {
          submit(new Write<>("record attempts", w -> w.recordAttempts(attempted), x -> { }, () -> { }));
        }
      }
      out.complete(delivered);
    });
    return out;
  }

  @Override
  public int extend(String workerId, Collection<UUID> ids, long now, long leaseMs) {
    synchronized (queue) {
      return queue.extend(workerId, ids, now, leaseMs);
    }
  }

  @Override
  public CompletableFuture<Integer> complete(List<Completion> results, long now) {
    synchronized (queue) {
      List<Completion> recorded = new ArrayList<>(results.size());
      for (Completion c : results) {
        if (queue.complete(c.id(), c.result(), now)) {
          recorded.add(c);
        }
      }
      if (recorded.isEmpty()) {
        return CompletableFuture.completedFuture(0);
      }
      // If this write fails the result stays in memory but not on disk: after a restart the work
      // runs again, which at-least-once delivery allows.
      return submit(new Write<>("complete", w -> w.complete(recorded, now), x -> { }, () -> { }))
          .thenApply(x -> recorded.size());
    }
  }

  @Override
  public CompletableFuture<List<CompletedWork>> pull(int top, long now) {
    synchronized (queue) {
      List<WorkInfo> pulled = queue.pull(top);
      if (pulled.isEmpty()) {
        return CompletableFuture.completedFuture(List.of());
      }
      List<CompletedWork> out = pulled.stream()
          .map(p -> new CompletedWork(p.id(), p.result(), p.iterations(), p.finishedAt()))
          .toList();
      // A pull that is not on disk would hand the same results out again after a restart, so it
      // only counts once committed; until then, and if it fails, they go back to be pulled.
      pulled.forEach(p -> settling.put(p.id(), p));
      return submit(new Write<>("mark pulled", w -> w.markPulled(pulled), x -> settled(pulled), () -> {
        settled(pulled);
        queue.unpull(pulled);
      })).thenApply(x -> out);
    }
  }

  @Override
  public List<UUID> release(String workerId, long now) {
    synchronized (queue) {
      return queue.release(workerId);
    }
  }

  @Override
  public ExpiryOutcome expireLeases(long now) {
    synchronized (queue) {
      WorkQueue.Expiry expiry = queue.expire(now);
      if (!expiry.failed().isEmpty()) {
        expiry.failed().forEach(f -> settling.put(f.id(), f));
        submit(new Write<>("mark failed", w -> w.markFailed(expiry.failed()),
            x -> settled(expiry.failed()), () -> settled(expiry.failed())));
      }
      return expiry.outcome();
    }
  }

  @Override
  public CompletableFuture<Optional<WorkInfo>> find(UUID id, long now) {
    WorkInfo live;
    synchronized (queue) {
      live = queue.find(id);
      if (live == null) {
        live = settling.get(id);
      }
    }
    if (live != null) {
      return CompletableFuture.completedFuture(Optional.of(live));
    }
    return read(c -> readInfo(c, id, now - limits.resultRetentionMs()));
  }

  /** Under the queue lock: the row now says what memory said (or the write failed and memory took it back). */
  private void settled(List<WorkInfo> works) {
    works.forEach(w -> settling.remove(w.id()));
  }

  @Override
  public CompletableFuture<Integer> purgeExpired(long now) {
    long cutoff = now - limits.resultRetentionMs();
    synchronized (queue) {
      return submit(new Write<>("purge", w -> w.purge(cutoff), p -> queue.forgetFailed(p.failed()), () -> { }))
          .thenApply(Purge::total);
    }
  }

  @Override
  public QueueStats stats(long now) {
    synchronized (queue) {
      return queue.stats(now);
    }
  }

  /**
   * Commits what was handed to the writer, then stops the threads. It waits for that commit (at
   * most {@value #CLOSE_WAIT_MS} ms), so call it at shutdown or from a worker thread, not an event loop.
   */
  @Override
  public void close() {
    if (!closeCalled.compareAndSet(false, true)) {
      return;
    }
    synchronized (queue) {
      if (!closed) {
        closed = true;
        writes.add(stop);
      }
    }
    if (writerThread != null) {
      try {
        writerThread.join(CLOSE_WAIT_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    } else {
      failQueued(new IllegalStateException("the store was closed before it was opened"));
    }
    readers.shutdown();
    checkpointer.shutdown();
    try {
      readers.awaitTermination(CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
      checkpointer.awaitTermination(CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    readerConnections.forEach(SqliteWorkStore::closeQuietly);
    if (checkpointConnection != null) {
      closeQuietly(checkpointConnection);
    }
    log.info("closed {}", file);
  }

  // ---- the writer ------------------------------------------------------------------------

  /** SQL run by the writer inside a batch's transaction. */
  @FunctionalInterface
  private interface WriteStep<T> {
    T run(Writer w) throws SQLException;
  }

  /**
   * One operation for the writer: its SQL runs in a batch's transaction; once the batch commits,
   * {@code committed} applies it to memory and the future completes; if the batch fails,
   * {@code failed} undoes what the caller did in memory ahead of the write. Both run under the queue lock.
   */
  private static final class Write<T> {
    final String what;
    final WriteStep<T> step;
    final Consumer<T> committed;
    final Runnable failed;
    final CompletableFuture<T> done = new CompletableFuture<>();
    T result;

    Write(String what, WriteStep<T> step, Consumer<T> committed, Runnable failed) {
      this.what = what;
      this.step = step;
      this.committed = committed;
      this.failed = failed;
    }

    void run(Writer w) throws SQLException {
      result = step.run(w);
    }

    void applyCommitted() {
      committed.accept(result);
    }

    void finish() {
      done.complete(result);
    }
  }

  /** Hands an operation to the writer; called under the queue lock so the disk sees decisions in their order. */
  private <T> CompletableFuture<T> submit(Write<T> write) {
    if (closed) {
      write.failed.run();
      return CompletableFuture.failedFuture(new IllegalStateException("the store is closed"));
    }
    writes.add(write);
    return write.done;
  }

  private void startCheckpointer() {
    Connection c;
    try {
      c = connect(false);
    } catch (SQLException e) {
      log.warn("no checkpoint thread for {} ({}); SQLite will checkpoint on commit", file, e.toString());
      return;
    }
    checkpointer.scheduleWithFixedDelay(() -> {
      try (Statement s = c.createStatement()) {
        // PASSIVE copies what it can without waiting for readers or the writer, who go on meanwhile.
        s.execute("PRAGMA wal_checkpoint(PASSIVE)");
      } catch (SQLException e) {
        log.warn("checkpoint of {} failed: {}", file, e.toString());
      }
    }, CHECKPOINT_EVERY_MS, CHECKPOINT_EVERY_MS, TimeUnit.MILLISECONDS);
    checkpointConnection = c;
  }

  private void runWriter(long now) {
    Writer writer;
    try {
      writer = new Writer(connect(true));
      writer.migrate();
      writer.load();
    } catch (Exception e) {
      log.error("could not open the store at {}", file, e);
      synchronized (queue) {
        closed = true;
      }
      failQueued(e);
      opened.completeExceptionally(e);
      return;
    }
    startCheckpointer();
    opened.complete(null);
    try {
      writer.loop();
    } finally {
      writer.close();
    }
  }

  private void failQueued(Throwable cause) {
    List<Write<?>> left = new ArrayList<>();
    writes.drainTo(left);
    synchronized (queue) {
      left.forEach(w -> w.failed.run());
    }
    left.forEach(w -> w.done.completeExceptionally(cause));
  }

  /** What a purge deleted; failures are counted apart because the queue's stats count them. */
  private record Purge(int results, int failed) {
    int total() {
      return results + failed;
    }
  }

  /** The writer thread's connection and statements; used by that thread only. */
  private final class Writer {
    private final Connection c;
    private final Map<String, PreparedStatement> statements = new HashMap<>();

    Writer(Connection c) {
      this.c = c;
    }

    private PreparedStatement statement(String sql) throws SQLException {
      PreparedStatement ps = statements.get(sql);
      if (ps == null) {
        ps = c.prepareStatement(sql);
        statements.put(sql, ps);
      }
      return ps;
    }

    void migrate() throws SQLException {
      try (Statement s = c.createStatement()) {
        int version = intPragma(s, "user_version");
        if (version > SCHEMA_VERSION) {
          throw new SQLException(file + " has schema version " + version + ", newer than this build's "
              + SCHEMA_VERSION + "; run a newer Swell or point dataDir elsewhere");
        }
        if (version < 1) {
          c.setAutoCommit(false);
          s.execute("""
              CREATE TABLE works (
                id          BLOB(16) NOT NULL UNIQUE,
                iterations  INTEGER NOT NULL,
                data        BLOB,
                idem_key    TEXT,
                enqueued_at INTEGER NOT NULL,
                attempts    INTEGER NOT NULL DEFAULT 0,
                state       INTEGER NOT NULL DEFAULT 0,
                result      BLOB,
                finished_at INTEGER,
                pulled      INTEGER NOT NULL DEFAULT 0
              )""");
          s.execute("CREATE UNIQUE INDEX works_idem_key ON works(idem_key) WHERE idem_key IS NOT NULL");
          // Only finished works carry finished_at, so pending inserts do not pay for this index.
          s.execute("CREATE INDEX works_finished_at ON works(finished_at) WHERE finished_at IS NOT NULL");
          s.execute("PRAGMA user_version = " + SCHEMA_VERSION);
          c.commit();
        }
        c.setAutoCommit(false);
      }
    }

    /** Rebuilds the live queue; leases were not persisted, so leased works come back as pending. */
    void load() throws SQLException {
      long pending = 0;
      long completed = 0;
      long failed;
      try (Statement s = c.createStatement()) {
        try (ResultSet rs = s.executeQuery(
            "SELECT id, iterations, enqueued_at, attempts FROM works WHERE state = " + STATE_QUEUED)) {
          while (rs.next()) {
            synchronized (queue) {
              queue.addPending(uuid(rs.getBytes(1)), rs.getInt(2), rs.getLong(3), rs.getInt(4));
            }
            pending++;
          }
        }
        try (ResultSet rs = s.executeQuery("SELECT id, iterations, enqueued_at, attempts, result, finished_at"
            + " FROM works WHERE state = " + STATE_COMPLETED + " AND pulled = 0")) {
          while (rs.next()) {
            synchronized (queue) {
              queue.addCompleted(uuid(rs.getBytes(1)), rs.getInt(2), rs.getLong(3), rs.getInt(4), rs.getBytes(5),
                  rs.getLong(6));
            }
            completed++;
          }
        }
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM works WHERE state = " + STATE_FAILED)) {
          failed = rs.next() ? rs.getLong(1) : 0;
        }
      }
      c.commit(); // ends the read transaction so the WAL can be checkpointed
      synchronized (queue) {
        queue.sortCompleted();
        queue.countFailed(failed);
      }
      log.info("opened {} ({}): {} pending, {} completed awaiting pull, {} failed kept",
          file, fsync ? "fsync on every commit" : "os: survives a process kill, not a power loss",
          pending, completed, failed);
    }

    /** Takes a write, every other one waiting, runs them in one transaction: one commit for all. */
    void loop() {
      List<Write<?>> batch = new ArrayList<>(MAX_BATCH);
      while (true) {
        try {
          batch.add(writes.take());
        } catch (InterruptedException e) {
          log.warn("the store writer was interrupted; writes not yet committed are failed");
          synchronized (queue) {
            closed = true;
          }
          failQueued(e);
          return;
        }
        writes.drainTo(batch, MAX_BATCH - 1);
        // close puts the stop marker last, so when it is here it ends the batch.
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
    }

    private void commit(List<Write<?>> batch) {
      try {
        for (Write<?> w : batch) {
          w.run(this);
        }
        c.commit();
      } catch (SQLException | RuntimeException e) {
        log.error("a store write failed; rolled back {} operations ({} first)", batch.size(), batch.get(0).what, e);
        try {
          c.rollback();
        } catch (SQLException re) {
          log.error("rollback failed too", re);
        }
        synchronized (queue) {
          batch.forEach(w -> w.failed.run());
        }
        batch.forEach(w -> w.done.completeExceptionally(e));
        return;
      }
      synchronized (queue) {
        batch.forEach(Write::applyCommitted);
      }
      batch.forEach(Write::finish);
    }

    List<EnqueueOutcome> insert(List<NewWork> works) throws SQLException {
      PreparedStatement byKey = statement("SELECT id FROM works WHERE idem_key = ?");
      PreparedStatement insert = statement("INSERT OR IGNORE INTO works"
          + " (id, iterations, data, idem_key, enqueued_at, attempts, state, pulled) VALUES (?, ?, ?, ?, ?, 0, 0, 0)");
      List<EnqueueOutcome> out = new ArrayList<>(works.size());
      for (NewWork w : works) {
        if (w.idempotencyKey() != null) {
          // Inside the transaction, so this also sees a work earlier in the same batch.
          byKey.setString(1, w.idempotencyKey());
          try (ResultSet rs = byKey.executeQuery()) {
            if (rs.next()) {
              out.add(new EnqueueOutcome(uuid(rs.getBytes(1)), false));
              continue;
            }
          }
        }
        insert.setBytes(1, bytes(w.id()));
        insert.setInt(2, w.iterations());
        insert.setBytes(3, w.data());
        insert.setString(4, w.idempotencyKey());
        insert.setLong(5, w.enqueuedAt());
        out.add(new EnqueueOutcome(w.id(), insert.executeUpdate() == 1)); // 0: the id was stored before
      }
      return out;
    }

    Void recordAttempts(List<WorkQueue.Lease> leases) throws SQLException {
      PreparedStatement ps = statement(
          "UPDATE works SET attempts = ?1 WHERE id = ?2 AND state = " + STATE_QUEUED + " AND attempts < ?1");
      for (WorkQueue.Lease l : leases) {
        ps.setInt(1, l.attempts());
        ps.setBytes(2, bytes(l.id()));
        ps.executeUpdate();
      }
      return null;
    }

    Void complete(List<Completion> results, long now) throws SQLException {
      PreparedStatement ps = statement("UPDATE works SET state = " + STATE_COMPLETED
          + ", result = ?, finished_at = ?, data = NULL WHERE id = ? AND state = " + STATE_QUEUED);
      for (Completion r : results) {
        ps.setBytes(1, r.result());
        ps.setLong(2, now);
        ps.setBytes(3, bytes(r.id()));
        ps.executeUpdate();
      }
      return null;
    }

    Void markPulled(List<WorkInfo> works) throws SQLException {
      // Only a completed row: if its completion never reached the disk the work runs again after a
      // restart, and its next result must still be pullable.
      PreparedStatement ps = statement("UPDATE works SET pulled = 1 WHERE id = ? AND state = " + STATE_COMPLETED);
      for (WorkInfo w : works) {
        ps.setBytes(1, bytes(w.id()));
        ps.executeUpdate();
      }
      return null;
    }

    Void markFailed(List<WorkInfo> works) throws SQLException {
      PreparedStatement ps = statement("UPDATE works SET state = " + STATE_FAILED
          + ", data = NULL, finished_at = ?, attempts = max(attempts, ?) WHERE id = ? AND state = " + STATE_QUEUED);
      for (WorkInfo w : works) {
        ps.setLong(1, w.finishedAt());
        ps.setInt(2, w.attempts());
        ps.setBytes(3, bytes(w.id()));
        ps.executeUpdate();
      }
      return null;
    }

    Purge purge(long cutoff) throws SQLException {
      PreparedStatement failed = statement(
          "DELETE FROM works WHERE finished_at < ? AND state = " + STATE_FAILED);
      PreparedStatement pulled = statement(
          "DELETE FROM works WHERE finished_at < ? AND state = " + STATE_COMPLETED + " AND pulled = 1");
      failed.setLong(1, cutoff);
      pulled.setLong(1, cutoff);
      int f = failed.executeUpdate();
      return new Purge(pulled.executeUpdate(), f);
    }

    void close() {
      statements.values().forEach(SqliteWorkStore::closeQuietly);
      closeQuietly(c);
    }
  }

  // ---- the readers -----------------------------------------------------------------------

  @FunctionalInterface
  private interface ReadStep<T> {
    T run(Connection c) throws SQLException;
  }

  /** Runs a query on a reader thread, on that thread's own connection. */
  private <T> CompletableFuture<T> read(ReadStep<T> step) {
    CompletableFuture<T> out = new CompletableFuture<>();
    try {
      readers.execute(() -> {
        try {
          out.complete(step.run(readerConnection()));
        } catch (SQLException | RuntimeException e) {
          log.error("a store read failed", e);
          out.completeExceptionally(e);
        }
      });
    } catch (RejectedExecutionException e) {
      out.completeExceptionally(new IllegalStateException("the store is closed"));
    }
    return out;
  }

  private Connection readerConnection() throws SQLException {
    Connection c = readerConnection.get();
    if (c == null) {
      c = connect(false);
      readerConnections.add(c);
      readerConnection.set(c);
    }
    return c;
  }

  /** Bodies by id; a work whose body is gone (finished since it was leased) is left out. */
  private static Map<UUID, byte[]> readBodies(Connection c, List<UUID> ids) throws SQLException {
    Map<UUID, byte[]> out = new HashMap<>(ids.size() * 2);
    for (int from = 0; from < ids.size(); from += MAX_IDS_PER_SELECT) {
      List<UUID> chunk = ids.subList(from, Math.min(ids.size(), from + MAX_IDS_PER_SELECT));
      String marks = String.join(",", Collections.nCopies(chunk.size(), "?"));
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT id, data FROM works WHERE data IS NOT NULL AND id IN (" + marks + ")")) {
        for (int i = 0; i < chunk.size(); i++) {
          ps.setBytes(i + 1, bytes(chunk.get(i)));
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            byte[] data = rs.getBytes(2);
            out.put(uuid(rs.getBytes(1)), data == null ? new byte[0] : data); // the driver reads an empty blob as null
          }
        }
      }
    }
    return out;
  }

  /** A work that is no longer live: a retained result or failure, or one caught between commit and memory. */
  private static Optional<WorkInfo> readInfo(Connection c, UUID id, long retainedSince) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT iterations, attempts, enqueued_at, state, result,"
        + " finished_at, pulled FROM works WHERE id = ?")) {
      ps.setBytes(1, bytes(id));
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        int state = rs.getInt(4);
        boolean pulled = rs.getInt(7) == 1;
        long finishedAt = rs.getLong(6);
        boolean finished = !rs.wasNull();
        // Unpulled results stay until pulled; pulled ones and failures only for the retention time.
        if (finished && (pulled || state == STATE_FAILED) && finishedAt < retainedSince) {
          return Optional.empty();
        }
        WorkStatus status = switch (state) {
          case STATE_COMPLETED -> WorkStatus.COMPLETED;
          case STATE_FAILED -> WorkStatus.FAILED;
          default -> WorkStatus.QUEUED;
        };
        return Optional.of(new WorkInfo(id, status, rs.getInt(1), rs.getInt(2), rs.getLong(3),
            finished ? finishedAt : null, rs.getBytes(5), null, pulled));
      }
    }
  }

  // ---- plumbing --------------------------------------------------------------------------

  private Connection connect(boolean writer) throws SQLException {
    if (writer) {
      try {
        Files.createDirectories(file.getParent());
      } catch (IOException e) {
        throw new SQLException("cannot create the directory for " + file, e);
      }
    }
    Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
    try (Statement s = c.createStatement()) {
      // A checkpoint or a writer's commit can hold a lock for a moment; wait rather than fail.
      s.execute("PRAGMA busy_timeout = 5000");
      if (writer) {
        try (ResultSet rs = s.executeQuery("PRAGMA journal_mode = WAL")) {
          String mode = rs.next() ? rs.getString(1) : "?";
          if (!"wal".equalsIgnoreCase(mode)) {
            throw new SQLException("could not switch " + file + " to WAL mode (it is " + mode + ")");
          }
        }
        // FULL syncs the WAL on every commit; NORMAL only at checkpoints, which a process kill does not lose.
        s.execute("PRAGMA synchronous = " + (fsync ? "FULL" : "NORMAL"));
        s.execute("PRAGMA wal_autocheckpoint = 0"); // the checkpointer thread does it

      }
    } catch (SQLException e) {
      closeQuietly(c);
      throw e;
    }
    return c;
  }

  private static int intPragma(Statement s, String name) throws SQLException {
    try (ResultSet rs = s.executeQuery("PRAGMA " + name)) {
      return rs.next() ? rs.getInt(1) : 0;
    }
  }

  static byte[] bytes(UUID id) {
    return ByteBuffer.allocate(16).putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits()).array();
  }

  static UUID uuid(byte[] b) {
    ByteBuffer buf = ByteBuffer.wrap(b);
    return new UUID(buf.getLong(), buf.getLong());
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log.debug("close failed", e);
    }
  }
}
