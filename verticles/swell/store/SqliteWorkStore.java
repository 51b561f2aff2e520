package swell.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.sql.Connection;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The durable store: one SQLite file in WAL mode written by a single group-committing thread
 * ({@link SqliteWriter}), with the live works indexed in memory (a {@link WorkQueue}, no bodies) so
 * that lease decisions never wait for the disk. What memory decided reaches the disk in the same
 * order; an enqueue, a result and a pull are answered only once committed.
 *
 * <p>Every method returns at once: JDBC runs only on the writer thread and a small reader pool, and
 * the futures complete there. Callers that need their own thread (a Vert.x context) hop back.
 */
public final class SqliteWorkStore implements WorkStore {
  private static final Logger log = LoggerFactory.getLogger(SqliteWorkStore.class);

  /** Ids per {@code IN (...)}: well under SQLite's bound-parameter limit. */
  private static final int MAX_IDS_PER_SELECT = 500;
  /** Reads are by key and short; two threads keep a slow one from holding up leases. */
  private static final int READERS = 2;
  /** How often the checkpointer copies the WAL into the database file. */
  private static final long CHECKPOINT_EVERY_MS = 250;
  /** How long close waits for the writer to commit what it was given. */
  private static final long CLOSE_WAIT_MS = 10_000;

  private final Path file;
  private final boolean fsync;
  private final StoreLimits limits;
  private final Admission admission;
  private final WriteFaults faults;
  private final StoreTimings timings;

  /** The live works; also the lock under which memory and the writer's queue change together. */
  private final WorkQueue queue;
  /** Works that left the queue (pulled, acknowledged or failed) while their new state is not committed yet. */
  private final Map<UUID, WorkInfo> settling = new HashMap<>();
  /** New works inserted in the writer's open transaction: pending once committed. Writer thread only. */
  private long uncommittedFresh;

  private SqliteWriter writer;
  private boolean closed;
  private final AtomicBoolean closeCalled = new AtomicBoolean();
  private final CompletableFuture<Void> opened = new CompletableFuture<>();
  private final CompletableFuture<Throwable> broken = new CompletableFuture<>();

  private final ExecutorService readers;
  private final ThreadLocal<Connection> readerConnection = new ThreadLocal<>();
  private final List<Connection> readerConnections = new CopyOnWriteArrayList<>();
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
  private volatile Connection checkpointConnection;

  public SqliteWorkStore(Path file, boolean fsync, StoreLimits limits) {
    this(file, fsync, limits, WriteFaults.NONE);
  }

  /** @param faults a test's injected failures; {@link WriteFaults#NONE} in production */
  public SqliteWorkStore(Path file, boolean fsync, StoreLimits limits, WriteFaults faults) {
    this(file, fsync, limits, faults, StoreTimings.NONE);
  }

  /** @param timings told of every commit: its latency and how many operations it carried */
  public SqliteWorkStore(Path file, boolean fsync, StoreLimits limits, WriteFaults faults, StoreTimings timings) {
    this.file = file.toAbsolutePath();
    this.fsync = fsync;
    this.limits = limits;
    this.admission = new Admission(limits);
    this.faults = faults;
    this.timings = timings;
    this.queue = new WorkQueue(limits);
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
      if (writer != null || closed) {
        return CompletableFuture.failedFuture(new IllegalStateException("open is called once, before close"));
      }
      closed = true; // until the file is open, writes are refused
    }
    Thread opener = new Thread(this::openFile, "swell-sqlite-open");
    opener.setDaemon(true);
    opener.start();
    return opened;
  }

  private void openFile() {
    Connection c = null;
    try {
      c = SqliteSchema.connect(file, true, fsync);
      SqliteSchema.migrate(c, file);
      SqliteSchema.load(c, queue, file, fsync);
    } catch (Exception e) {
      log.error("could not open the store at {}", file, e);
      if (c != null) {
        try {
          c.close();
        } catch (SQLException ignored) {
          // already failing
        }
      }
      opened.completeExceptionally(e);
      return;
    }
    synchronized (queue) {
      if (closeCalled.get()) {
        opened.completeExceptionally(new IllegalStateException("the store was closed while opening"));
        return;
      }
      writer = new SqliteWriter(c, this::connectWriter, queue, faults, timings, this::broke);
      writer.start();
      closed = false;
    }
    startCheckpointer();
    opened.complete(null);
  }

  private Connection connectWriter() throws SQLException {
    Connection c = SqliteSchema.connect(file, true, fsync);
    c.setAutoCommit(false);
    return c;
  }

  private void broke(Throwable cause) {
    synchronized (queue) {
      closed = true;
    }
    broken.complete(cause);
  }

  @Override
  public boolean durable() {
    return true;
  }

  // ---- enqueue -----------------------------------------------------------------------------

  @Override
  public CompletableFuture<List<EnqueueOutcome>> enqueue(List<NewWork> works) {
    if (works.isEmpty()) {
      return CompletableFuture.completedFuture(List.of());
    }
    // The outcomes are decided on the writer thread, inside the transaction, where every earlier
    // insert is visible; memory learns of the new works once they are committed.
    return submit(new SqliteWriter.Write<>("enqueue", w -> insert(w, works),
        inserted -> {
          uncommittedFresh -= inserted.fresh;
          for (int i = 0; i < works.size(); i++) {
            long rowid = inserted.rowids[i];
            if (rowid != 0) {
              NewWork n = works.get(i);
              queue.addPending(n.id(), n.owner(), n.iterations(), n.data().length, n.enqueuedAt(), 0, rowid);
            }
          }
        },
        () -> uncommittedFresh = 0))
        .thenApply(Inserted::outcomes);
  }

  /** What one enqueue wrote: the outcome of each work and, for the new ones, their rowids. */
  private record Inserted(List<EnqueueOutcome> outcomes, long[] rowids, int fresh) {
  }

  private Inserted insert(SqliteWriter w, List<NewWork> works) throws SQLException {
    Admission.Room room;
    synchronized (queue) {
      room = admission.room(queue.pendingCount() + uncommittedFresh, queue.completedCount());
    }
    PreparedStatement byKey = w.statement(SqliteStatements.FIND_BY_IDEM_KEY);
    PreparedStatement insert = w.statement(SqliteStatements.INSERT);
    List<EnqueueOutcome> out = new ArrayList<>(works.size());
    long[] rowids = new long[works.size()];
    int fresh = 0;
    for (int i = 0; i < works.size(); i++) {
      NewWork n = works.get(i);
      if (n.idempotencyKey() != null) {
        byKey.setString(1, n.owner());
        byKey.setString(2, n.idempotencyKey());
        try (ResultSet rs = byKey.executeQuery()) {
          if (rs.next()) {
            out.add(EnqueueOutcome.existing(SqliteSchema.uuid(rs.getBytes(1))));
            continue;
          }
        }
      }
      boolean live;
      synchronized (queue) {
        live = queue.contains(n.id());
      }
      if (live) {
        out.add(EnqueueOutcome.existing(n.id()));
        continue;
      }
      EnqueueOutcome.Result admitted = room.take();
      if (admitted != EnqueueOutcome.Result.CREATED) {
        out.add(new EnqueueOutcome(n.id(), admitted));
        continue;
      }
      insert.setBytes(1, SqliteSchema.bytes(n.id()));
      insert.setString(2, n.owner());
      insert.setInt(3, n.iterations());
      insert.setBytes(4, n.data());
      insert.setString(5, n.idempotencyKey());
      insert.setLong(6, n.enqueuedAt());
      try (ResultSet rs = insert.executeQuery()) {
        if (rs.next()) {
          rowids[i] = rs.getLong(1);
          fresh++;
          out.add(EnqueueOutcome.created(n.id()));
        } else {
          room.giveBack(); // stored before (pulled or failed since): a retried forward
          out.add(EnqueueOutcome.existing(n.id()));
        }
      }
    }
    uncommittedFresh += fresh;
    return new Inserted(out, rowids, fresh);
  }

  // ---- leases ------------------------------------------------------------------------------

  @Override
  public CompletableFuture<List<LeasedWork>> lease(String workerId, LeaseLimits limits, long now, long leaseMs) {
    List<WorkQueue.Lease> leases;
    Map<UUID, Long> rowids = new HashMap<>();
    synchronized (queue) {
      if (closed) {
        return CompletableFuture.failedFuture(unavailable());
      }
      leases = queue.lease(workerId, limits, now, leaseMs);
    }
    if (leases.isEmpty()) {
      return CompletableFuture.completedFuture(List.of());
    }
    List<UUID> ids = leases.stream().map(WorkQueue.Lease::id).toList();
    CompletableFuture<List<LeasedWork>> out = new CompletableFuture<>();
    read(c -> readBodies(c, ids)).whenComplete((bodies, err) -> {
      if (err != null) {
        // The worker never sees these works: they go back without counting a delivery.
        synchronized (queue) {
          queue.giveBack(workerId, ids);
        }
        out.completeExceptionally(err);
        return;
      }
      List<LeasedWork> delivered = new ArrayList<>(leases.size());
      List<UUID> missing = new ArrayList<>();
      for (WorkQueue.Lease l : leases) {
        byte[] data = bodies.get(l.id());
        if (data != null) {
          delivered.add(new LeasedWork(l.id(), l.iterations(), data, l.attempts(), l.leaseUntil()));
        } else {
          missing.add(l.id());
        }
      }
      if (!missing.isEmpty()) {
        log.warn("{} leased works had no body in {} and were given back: {}", missing.size(), file, missing);
        synchronized (queue) {
          queue.giveBack(workerId, missing);
        }
      }
      out.complete(delivered);
    });
    return out;
  }

  @Override
  public CompletableFuture<Void> returnUndelivered(String workerId, Collection<UUID> ids) {
    synchronized (queue) {
      queue.giveBack(workerId, ids);
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Integer> extend(String workerId, Collection<UUID> ids, long now, long leaseMs) {
    synchronized (queue) {
      return CompletableFuture.completedFuture(queue.extend(workerId, ids, now, leaseMs));
    }
  }

  @Override
  public CompletableFuture<List<UUID>> releaseWorker(String workerId, long now) {
    synchronized (queue) {
      List<WorkQueue.Entry> released = queue.releaseWorker(workerId);
      persistAttempts(released);
      return CompletableFuture.completedFuture(released.stream().map(WorkQueue.Entry::id).toList());
    }
  }

  @Override
  public CompletableFuture<ExpiryOutcome> expire(long now) {
    synchronized (queue) {
      WorkQueue.Expiry expiry = queue.expire(now);
      persistAttempts(expiry.requeued().stream().map(WorkQueue.Expired::entry).toList());
      if (!expiry.failed().isEmpty()) {
        List<WorkQueue.Entry> failed = expiry.failed().stream().map(WorkQueue.Expired::entry).toList();
        failed.forEach(e -> settling.put(e.id(), WorkQueue.info(e, false)));
        submit(new SqliteWriter.Write<>("mark failed", w -> markFailed(w, failed),
            x -> settled(failed), () -> settled(failed)))
            .exceptionally(e -> null); // logged by the writer; the row stays queued and is loaded again
      }
      return CompletableFuture.completedFuture(expiry.outcome());
    }
  }

  /**
   * Deliveries are written only when a lease ends without a result: a crash loses at most the
   * current leases' counts, and no lease pays for a write. Not awaited: a lost count only gives a
   * work one more delivery.
   */
  private void persistAttempts(List<WorkQueue.Entry> entries) {
    if (entries.isEmpty() || closed) {
      return;
    }
    List<long[]> counts = entries.stream().map(e -> new long[] {e.rowid, e.attempts}).toList();
    submit(new SqliteWriter.Write<>("record attempts", w -> {
      PreparedStatement ps = w.statement(SqliteStatements.SET_ATTEMPTS);
      for (long[] rc : counts) {
        ps.setInt(1, (int) rc[1]);
        ps.setLong(2, rc[0]);
        ps.executeUpdate();
      }
      return null;
    }, x -> { }, () -> { })).exceptionally(e -> null);
  }

  private static Void markFailed(SqliteWriter w, List<WorkQueue.Entry> failed) throws SQLException {
    PreparedStatement ps = w.statement(SqliteStatements.MARK_FAILED);
    for (WorkQueue.Entry e : failed) {
      ps.setLong(1, e.completedAt);
      ps.setInt(2, e.attempts);
      ps.setLong(3, e.rowid);
      ps.executeUpdate();
    }
    return null;
  }

  // ---- results -----------------------------------------------------------------------------

  @Override
  public CompletableFuture<CompletionOutcome> complete(String workerId, List<Completion> results, long now) {
    synchronized (queue) {
      if (closed) {
        return CompletableFuture.failedFuture(unavailable());
      }
      List<WorkQueue.Entry> accepted = new ArrayList<>(results.size());
      int duplicates = 0;
      int notHolder = 0;
      for (Completion c : results) {
        switch (queue.beginComplete(workerId, c.id(), c.result(), now)) {
          case ACCEPTED -> accepted.add(entry(c.id()));
          case DUPLICATE -> duplicates++;
          case NOT_HOLDER -> notHolder++;
        }
      }
      CompletionOutcome outcome = new CompletionOutcome(accepted.size(), duplicates, notHolder);
      if (accepted.isEmpty()) {
        return CompletableFuture.completedFuture(outcome);
      }
      // Not pullable until committed; if the write fails the works are the worker's again, and its retry lands.
      return submit(new SqliteWriter.Write<>("complete", w -> writeResults(w, accepted, now),
          x -> accepted.forEach(e -> queue.commitComplete(e.id())),
          () -> accepted.forEach(e -> queue.abortComplete(e.id()))))
          .thenApply(x -> outcome);
    }
  }

  private WorkQueue.Entry entry(UUID id) {
    return queue.entry(id);
  }

  private static Void writeResults(SqliteWriter w, List<WorkQueue.Entry> accepted, long now) throws SQLException {
    PreparedStatement ps = w.statement(SqliteStatements.COMPLETE);
    for (WorkQueue.Entry e : accepted) {
      ps.setBytes(1, e.result);
      ps.setLong(2, now);
      ps.setInt(3, e.attempts);
      ps.setLong(4, e.rowid);
      ps.executeUpdate();
    }
    return null;
  }

  @Override
  public CompletableFuture<List<CompletedWork>> pull(String owner, int top, long ackMs, long now) {
    synchronized (queue) {
      if (closed) {
        return CompletableFuture.failedFuture(unavailable());
      }
      List<WorkQueue.Entry> pulled = queue.pull(owner, top, ackMs > 0 ? now + ackMs : 0);
      List<CompletedWork> out = pulled.stream()
          .map(e -> new CompletedWork(e.id(), e.result, e.iterations, e.completedAt))
          .toList();
      if (pulled.isEmpty() || ackMs > 0) {
        return CompletableFuture.completedFuture(out); // a hand-out is in memory only: a restart brings it back
      }
      // A pull that is not on disk would hand the same results out again after a restart, so it
      // only counts once committed; until then, and if it fails, they go back to be pulled.
      return removeDurably("mark pulled", pulled).thenApply(x -> out);
    }
  }

  @Override
  public CompletableFuture<Integer> ack(String owner, Collection<UUID> ids, long now) {
    synchronized (queue) {
      if (closed) {
        return CompletableFuture.failedFuture(unavailable());
      }
      List<WorkQueue.Entry> acked = queue.ack(owner, ids);
      if (acked.isEmpty()) {
        return CompletableFuture.completedFuture(0);
      }
      return removeDurably("acknowledge", acked).thenApply(x -> acked.size());
    }
  }

  /** Marks results pulled on disk; they stay findable meanwhile, and come back if the write fails. */
  private CompletableFuture<Void> removeDurably(String what, List<WorkQueue.Entry> removed) {
    removed.forEach(e -> settling.put(e.id(), WorkQueue.info(e, true)));
    return submit(new SqliteWriter.Write<>(what, w -> {
      PreparedStatement ps = w.statement(SqliteStatements.MARK_PULLED);
      for (WorkQueue.Entry e : removed) {
        ps.setLong(1, e.rowid);
        ps.executeUpdate();
      }
      return null;
    }, x -> settled(removed), () -> {
      settled(removed);
      queue.restore(removed);
    }));
  }

  /** Under the queue lock: the row now says what memory said (or the write failed and memory took it back). */
  private void settled(List<WorkQueue.Entry> entries) {
    entries.forEach(e -> settling.remove(e.id()));
  }

  // ---- reading -----------------------------------------------------------------------------

  @Override
  public CompletableFuture<Optional<WorkInfo>> find(String owner, UUID id, long now) {
    WorkInfo known;
    synchronized (queue) {
      known = queue.find(id);
      if (known == null) {
        known = settling.get(id);
      }
    }
    if (known != null) {
      return CompletableFuture.completedFuture(Optional.of(known).filter(w -> w.owner().equals(owner)));
    }
    return read(c -> readInfo(c, id, now - limits.resultRetentionMs()))
        .thenApply(found -> found.filter(w -> w.owner().equals(owner)));
  }

  @Override
  public CompletableFuture<Integer> purgeExpired(long now) {
    long cutoff = now - limits.resultRetentionMs();
    synchronized (queue) {
      return submit(new SqliteWriter.Write<>("purge", w -> purge(w, cutoff),
          p -> queue.forgetFailed(p.failed()), () -> { }))
          .thenApply(Purge::total);
    }
  }

  /** What a purge deleted; failures are counted apart because the queue's stats count them. */
  private record Purge(int results, int failed) {
    int total() {
      return results + failed;
    }
  }

  private static Purge purge(SqliteWriter w, long cutoff) throws SQLException {
    PreparedStatement failed = w.statement(SqliteStatements.PURGE_FAILED);
    PreparedStatement pulled = w.statement(SqliteStatements.PURGE_PULLED);
    failed.setLong(1, cutoff);
    pulled.setLong(1, cutoff);
    int f = failed.executeUpdate();
    return new Purge(pulled.executeUpdate(), f);
  }

  @Override
  public CompletableFuture<QueueStats> stats(long now) {
    synchronized (queue) {
      return CompletableFuture.completedFuture(queue.stats(now));
    }
  }

  @Override
  public CompletableFuture<Void> ping() {
    Throwable cause = broken.getNow(null);
    synchronized (queue) {
      if (cause != null || closed) {
        return CompletableFuture.failedFuture(unavailable());
      }
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Throwable> broken() {
    return broken;
  }

  private StoreUnavailableException unavailable() {
    Throwable cause = broken.getNow(null);
    return cause != null
        ? new StoreUnavailableException("the store broke and takes no more writes: " + cause, cause, true)
        : new StoreUnavailableException("the store is not open", null, false);
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
    SqliteWriter w;
    synchronized (queue) {
      closed = true;
      w = writer;
    }
    if (w != null) {
      w.stop(CLOSE_WAIT_MS);
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

  /** Hands a write to the writer; called under the queue lock so the disk sees decisions in their order. */
  private <T> CompletableFuture<T> submit(SqliteWriter.Write<T> write) {
    synchronized (queue) {
      if (writer == null) {
        write.failed.run();
        return CompletableFuture.failedFuture(closeCalled.get() ? new IllegalStateException("the store is closed")
            : unavailable());
      }
      return writer.submit(write);
    }
  }

  private void startCheckpointer() {
    Connection c;
    try {
      c = SqliteSchema.connect(file, false, fsync);
    } catch (SQLException e) {
      log.warn("no checkpoint thread for {} ({}); SQLite will checkpoint on commit", file, e.toString());
      return;
    }
    boolean[] failing = {false};
    checkpointer.scheduleWithFixedDelay(() -> {
      try (Statement s = c.createStatement()) {
        // PASSIVE copies what it can without waiting for readers or the writer, who go on meanwhile.
        s.execute("PRAGMA wal_checkpoint(PASSIVE)");
        if (failing[0]) {
          failing[0] = false;
          log.info("checkpoints of {} work again", file);
        }
      } catch (SQLException e) {
        if (!failing[0]) { // once per outage, not four times a second
          failing[0] = true;
          log.warn("checkpoint of {} failed: {}; the WAL grows until checkpoints work again", file, e.toString());
        }
      }
    }, CHECKPOINT_EVERY_MS, CHECKPOINT_EVERY_MS, TimeUnit.MILLISECONDS);
    checkpointConnection = c;
  }

  // ---- the readers -------------------------------------------------------------------------

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
          out.completeExceptionally(new StoreUnavailableException("the store could not read: " + e.getMessage(), e,
              false));
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
      c = SqliteSchema.connect(file, false, fsync);
      readerConnections.add(c);
      readerConnection.set(c);
    }
    return c;
  }

  /** Bodies by id; a work whose body is gone is left out. */
  private Map<UUID, byte[]> readBodies(Connection c, List<UUID> ids) throws SQLException {
    Map<Long, UUID> byRowid = new HashMap<>(ids.size() * 2);
    synchronized (queue) {
      for (UUID id : ids) {
        WorkQueue.Entry e = queue.entry(id);
        if (e != null) {
          byRowid.put(e.rowid, id);
        }
      }
    }
    List<Long> rowids = new ArrayList<>(byRowid.keySet());
    Map<UUID, byte[]> out = new HashMap<>(ids.size() * 2);
    for (int from = 0; from < rowids.size(); from += MAX_IDS_PER_SELECT) {
      List<Long> chunk = rowids.subList(from, Math.min(rowids.size(), from + MAX_IDS_PER_SELECT));
      String marks = String.join(",", Collections.nCopies(chunk.size(), "?"));
      try (PreparedStatement ps = c.prepareStatement(String.format(SqliteStatements.READ_BODIES, marks))) {
        for (int i = 0; i < chunk.size(); i++) {
          ps.setLong(i + 1, chunk.get(i));
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            byte[] data = rs.getBytes(2);
            out.put(byRowid.get(rs.getLong(1)), data == null ? new byte[0] : data); // the driver reads an empty blob as null
          }
        }
      }
    }
    return out;
  }

  /** A work that is no longer live: a retained result or failure, or one caught between commit and memory. */
  private static Optional<WorkInfo> readInfo(Connection c, UUID id, long retainedSince) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SqliteStatements.READ_WORK)) {
      ps.setBytes(1, SqliteSchema.bytes(id));
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        int state = rs.getInt(5);
        boolean pulled = rs.getInt(8) == 1;
        long finishedAt = rs.getLong(7);
        boolean finished = !rs.wasNull();
        // Unpulled results stay until pulled; pulled ones and failures only for the retention time.
        if (finished && (pulled || state == 3) && finishedAt < retainedSince) {
          return Optional.empty();
        }
        WorkStatus status = switch (state) {
          case 2 -> WorkStatus.COMPLETED;
          case 3 -> WorkStatus.FAILED;
          default -> WorkStatus.QUEUED;
        };
        return Optional.of(new WorkInfo(id, rs.getString(1), status, rs.getInt(2), rs.getInt(3), rs.getLong(4),
            finished ? finishedAt : null, rs.getBytes(6), null, pulled));
      }
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log.debug("close failed", e);
    }
  }
}
