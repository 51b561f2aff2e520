package swell.store;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The store shared by several balancers: PostgreSQL, through the reactive client on the event loop.
 * Nothing of the queues is held here: every decision is made by the database in one statement per
 * operation ({@link PgStatements}): leases with {@code FOR UPDATE SKIP LOCKED}, so balancers never
 * hand out the same work; enqueues idempotent by id, so a forward retried through another balancer
 * is one work; deadlines on the database's clock ({@link PgClock}). The rules are the other stores':
 * {@link Admission} decides from counts cached in {@link AdmissionCounts}, {@link LeaseLimits} is
 * applied by window sums in the lease, and {@link StoreLimits#attemptsExhausted} decides, here in
 * Java, whether an expired lease fails.
 *
 * <p>A failure of the database (down, unreachable, restarting, a statement cancelled) fails the call
 * with a {@link StoreUnavailableException}; the pool reconnects by itself once the database is
 * back, so {@link #broken()} never completes.
 */
public final class PgWorkStore implements WorkStore {
  private static final Logger log = LoggerFactory.getLogger(PgWorkStore.class);

  /** Admission counts older than this are read again before an enqueue decides. */
  static final long COUNTS_MAX_AGE_MS = 250;
  /** How long a call waits for a pooled connection, and a new connection for the server: an unreachable database fails calls quickly instead of queueing them. */
  static final int CONNECT_TIMEOUT_MS = 5_000;
  /** The server cancels a statement running longer, rolling it back: a stuck statement holds no locks for long. */
  static final int STATEMENT_TIMEOUT_MS = 30_000;
  /** A call unanswered by then fails here: a server that stopped answering without closing its connections. */
  static final long CALL_TIMEOUT_MS = STATEMENT_TIMEOUT_MS + 5_000;
  /** Bodies per enqueue statement: a larger batch is split, in one transaction (the server caps one parameter at 1 GiB). */
  static final long MAX_BODY_BYTES_PER_STATEMENT = 64L << 20;
  /**
   * Enqueue statements running at once; batches arriving meanwhile go together in the next one
   * ({@link EnqueueGroups}). Each statement costs the database a commit whatever it carries: with
   * every batch its own statement, two endpoints' forwards made statements of three works each.
   */
  static final int ENQUEUE_STATEMENTS_AT_ONCE = 2;
  /** Prepared statements kept per connection: the store's twenty, with room. A cached statement runs in one round trip. */
  static final int PREPARED_STATEMENT_CACHE = 64;
  /** Idle pooled connections are closed after this many seconds. */
  static final int IDLE_TIMEOUT_S = 60;
  /** How long close waits for the pool to close when called off the event loop. */
  static final long CLOSE_WAIT_MS = 5_000;

  private final Vertx vertx;
  private final PgConnectOptions connect;
  private final int poolSize;
  private final PgClock clock;
  private final StoreLimits limits;
  private final Admission admission;
  private final AdmissionCounts counts;
  private final StoreTimings timings;

  private final Object lock = new Object();
  private Pool pool;
  /** Calls are refused until the schema is in place and the counts are read. */
  private boolean ready;
  private boolean closed;
  private PgCoordination coordination;
  /** The admission counts being read now, shared by the enqueues that wait for them. */
  private Future<Void> refreshing;
  private final EnqueueGroups enqueues =
      new EnqueueGroups(ENQUEUE_STATEMENTS_AT_ONCE, MAX_BODY_BYTES_PER_STATEMENT, this::storeGroup);

  /**
   * @param connect  the database, user and password ({@link StoreConfig} builds it from {@code store.url})
   * @param poolSize connections to the database
   * @param clock    {@link PgClock#DATABASE} in production
   */
  public PgWorkStore(Vertx vertx, PgConnectOptions connect, int poolSize, PgClock clock, StoreLimits limits) {
    this(vertx, connect, poolSize, clock, limits, StoreTimings.NONE);
  }

  /** @param timings told how long each statement took, by kind */
  public PgWorkStore(Vertx vertx, PgConnectOptions connect, int poolSize, PgClock clock, StoreLimits limits,
                     StoreTimings timings) {
    this(vertx, connect, poolSize, clock, limits, COUNTS_MAX_AGE_MS, timings);
  }

  /** @param countsMaxAgeMs how old the admission counts may get (tests that count statements set it long) */
  PgWorkStore(Vertx vertx, PgConnectOptions connect, int poolSize, PgClock clock, StoreLimits limits,
              long countsMaxAgeMs) {
    this(vertx, connect, poolSize, clock, limits, countsMaxAgeMs, StoreTimings.NONE);
  }

  private PgWorkStore(Vertx vertx, PgConnectOptions connect, int poolSize, PgClock clock, StoreLimits limits,
                      long countsMaxAgeMs, StoreTimings timings) {
    this.vertx = vertx;
    this.connect = new PgConnectOptions(connect)
        .setCachePreparedStatements(true)
        .setPreparedStatementCacheMaxSize(PREPARED_STATEMENT_CACHE)
        .setReconnectAttempts(0);
    this.connect.addProperty("application_name", "swell");
    this.connect.addProperty("statement_timeout", Integer.toString(STATEMENT_TIMEOUT_MS));
    this.poolSize = poolSize;
    this.clock = clock;
    this.limits = limits;
    this.admission = new Admission(limits);
    this.counts = new AdmissionCounts(countsMaxAgeMs, System::nanoTime);
    this.timings = timings;
  }

  /** The database as log lines and errors name it: never the password. */
  private String where() {
    return connect.getHost() + ":" + connect.getPort() + "/" + connect.getDatabase();
  }

  /** The caller's {@code now}, or null for the database's clock (see {@link PgStatements}). */
  private Long at(long now) {
    return clock == PgClock.CALLER ? now : null;
  }

  @Override
  public boolean durable() {
    return true;
  }

  @Override
  public boolean shared() {
    return true;
  }

  @Override
  public Optional<Coordination> coordination() {
    synchronized (lock) {
      if (coordination == null) {
        coordination = new PgCoordination(this, vertx, connect, clock);
      }
      return Optional.of(coordination);
    }
  }

  // ---- open and close ----------------------------------------------------------------------

  @Override
  public CompletableFuture<Void> open(long now) {
    Pool p;
    synchronized (lock) {
      if (pool != null || closed) {
        return CompletableFuture.failedFuture(new IllegalStateException("open is called once, before close"));
      }
      p = PgBuilder.pool()
          .with(new PoolOptions()
              .setMaxSize(poolSize)
              .setConnectionTimeout(CONNECT_TIMEOUT_MS)
              .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS)
              .setIdleTimeout(IDLE_TIMEOUT_S)
              .setIdleTimeoutUnit(TimeUnit.SECONDS))
          .with(new NetClientOptions().setConnectTimeout(CONNECT_TIMEOUT_MS).setTcpKeepAlive(true))
          .connectingTo(connect)
          .using(vertx)
          .build();
      pool = p;
    }
    return PgSchema.migrate(p, where())
        .compose(version -> {
          log.info("opened the database at {}; leases and hand-outs stay with their workers and clients,"
              + " and their deadlines end them", where());
          return readCounts(p);
        })
        .andThen(ar -> opened(p, ar.succeeded()))
        .recover(e -> Future.failedFuture(e instanceof IllegalStateException ? e : unavailable("open", e)))
        .toCompletionStage().toCompletableFuture();
  }

  /** A store that could not open takes no calls: nothing is acknowledged against a schema it could not check. */
  private void opened(Pool p, boolean succeeded) {
    synchronized (lock) {
      if (succeeded && !closed) {
        ready = true;
        return;
      }
      closed = true;
    }
    p.close();
  }

  /**
   * Closes the pool. Off an event loop (a worker thread, a test, a shutdown hook) it waits for that,
   * at most {@value #CLOSE_WAIT_MS} ms, so that no connection is left behind.
   */
  @Override
  public void close() {
    Pool p;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      p = pool;
      if (coordination != null) {
        coordination.close();
      }
    }
    if (p == null) {
      return;
    }
    Future<Void> done = p.close();
    if (!Context.isOnEventLoopThread()) {
      try {
        done.toCompletionStage().toCompletableFuture().get(CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        log.debug("closing the pool to {} failed", where(), e);
      }
    }
  }

  /** Runs one operation on the pool, failing with a {@link StoreUnavailableException} however it fails. */
  <T> CompletableFuture<T> call(String what, Function<Pool, Future<T>> operation) {
    Pool p;
    synchronized (lock) {
      p = ready && !closed ? pool : null;
    }
    if (p == null) {
      return CompletableFuture.failedFuture(new StoreUnavailableException("the store is not open", null, false));
    }
    long start = System.nanoTime();
    Future<T> f;
    try {
      f = operation.apply(p);
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    return f.timeout(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .onComplete(ar -> timings.statement(what, System.nanoTime() - start))
        .recover(e -> Future.failedFuture(unavailable(what, e)))
        .toCompletionStage().toCompletableFuture();
  }

  /**
   * Whatever went wrong, nothing of the statement took effect, or its outcome is unknown (the
   * connection was lost after it was sent) and the caller may retry: every write here is idempotent
   * (enqueue by id, first result wins) or repaired by the sweep (a lease nobody received expires).
   */
  private StoreUnavailableException unavailable(String what, Throwable e) {
    if (e instanceof StoreUnavailableException s) {
      return s;
    }
    if (e instanceof PgException pg && !transientState(pg.getSqlState())) {
      // The database refused the statement itself: a bug here, not an outage. Rolled back all the same.
      log.error("the database at {} refused to {}: {} (SQLSTATE {})", where(), what, pg.getErrorMessage(),
          pg.getSqlState());
    }
    return new StoreUnavailableException("the database at " + where() + " could not " + what + ": " + e, e, false);
  }

  /** Connection trouble, operator shutdown, resources, a cancelled statement, a rolled-back transaction. */
  private static boolean transientState(String sqlState) {
    return sqlState != null && (sqlState.startsWith("08") || sqlState.startsWith("57") || sqlState.startsWith("53")
        || sqlState.startsWith("40"));
  }

  // ---- admission counts --------------------------------------------------------------------

  /** Completes once the admission counts are fresh enough to decide from; reads them if not. */
  private Future<Void> freshCounts(Pool p) {
    synchronized (lock) {
      if (!counts.stale()) {
        return Future.succeededFuture();
      }
      if (refreshing == null) {
        Future<Void> read = readCounts(p);
        if (read.isComplete()) {
          return read;
        }
        refreshing = read;
        read.onComplete(ar -> {
          synchronized (lock) {
            refreshing = null;
          }
        });
      }
      return refreshing;
    }
  }

  private Future<Void> readCounts(SqlClient c) {
    return c.query(PgStatements.ADMISSION_COUNTS).execute().map(rows -> {
      Row r = rows.iterator().next();
      counts.refreshed(r.getLong("pending"), r.getLong("completed_unpulled"));
      return null;
    });
  }

  // ---- enqueue -----------------------------------------------------------------------------

  @Override
  public CompletableFuture<List<EnqueueOutcome>> enqueue(List<NewWork> works) {
    return enqueues.enqueue(works);
  }

  /** One group of batches: one statement, or one transaction when the bodies need more. */
  private CompletableFuture<List<EnqueueOutcome>> storeGroup(List<NewWork> works) {
    BatchRepeats batch = BatchRepeats.of(works);
    List<NewWork> firsts = batch.firsts();
    return call("store works", p -> freshCounts(p).compose(v -> {
      AdmissionCounts.Reservation reserved = counts.reserve(admission, firsts.size());
      return store(p, firsts, reserved).andThen(ar -> counts.settle(reserved,
          ar.succeeded() ? ar.result().stream().filter(EnqueueOutcome::created).count() : 0));
    }).map(batch::outcomes));
  }

  /** One statement per {@link #MAX_BODY_BYTES_PER_STATEMENT} of bodies; more than one run in a transaction. */
  private Future<List<EnqueueOutcome>> store(Pool p, List<NewWork> firsts, AdmissionCounts.Reservation reserved) {
    List<List<NewWork>> chunks = new ArrayList<>();
    List<NewWork> chunk = new ArrayList<>();
    long bytes = 0;
    for (NewWork w : firsts) {
      if (!chunk.isEmpty() && bytes + w.data().length > MAX_BODY_BYTES_PER_STATEMENT) {
        chunks.add(chunk);
        chunk = new ArrayList<>();
        bytes = 0;
      }
      chunk.add(w);
      bytes += w.data().length;
    }
    chunks.add(chunk);
    Future<List<Row>> rows = chunks.size() == 1
        ? insert(p, chunks.get(0), reserved.slots())
        : p.withTransaction(c -> insertInTurn(c, chunks, 0, reserved.slots(), new ArrayList<>()));
    return rows.compose(r -> outcomes(p, firsts, r, reserved.room()));
  }

  private Future<List<Row>> insertInTurn(SqlClient c, List<List<NewWork>> chunks, int next, long slots,
                                         List<Row> so) {
    if (next == chunks.size()) {
      return Future.succeededFuture(so);
    }
    return insert(c, chunks.get(next), slots).compose(rows -> {
      so.addAll(rows);
      long admitted = rows.stream().filter(r -> r.getBoolean("admitted")).count();
      return insertInTurn(c, chunks, next + 1, slots - admitted, so);
    });
  }

  private static Future<List<Row>> insert(SqlClient c, List<NewWork> works, long slots) {
    int n = works.size();
    UUID[] ids = new UUID[n];
    String[] owners = new String[n];
    Integer[] iterations = new Integer[n];
    Integer[] lengths = new Integer[n];
    String[] keys = new String[n];
    Long[] enqueuedAt = new Long[n];
    Buffer[] bodies = new Buffer[n];
    for (int i = 0; i < n; i++) {
      NewWork w = works.get(i);
      ids[i] = w.id();
      owners[i] = w.owner();
      iterations[i] = w.iterations();
      lengths[i] = w.data().length;
      keys[i] = w.idempotencyKey();
      enqueuedAt[i] = w.enqueuedAt();
      bodies[i] = Buffer.buffer(w.data());
    }
    Tuple t = Tuple.tuple().addArrayOfUUID(ids).addArrayOfString(owners).addArrayOfInteger(iterations)
        .addArrayOfInteger(lengths).addArrayOfString(keys).addArrayOfLong(enqueuedAt).addArrayOfBuffer(bodies)
        .addLong(slots);
    return c.preparedQuery(PgStatements.ENQUEUE).execute(t).map(PgWorkStore::list);
  }

  /**
   * Replays {@link Admission} over what the statement found: every work not stored before takes a
   * slot in batch order, and the statement admitted exactly the ones that got one. A work admitted
   * but not inserted was stored by another balancer in the same instant; whose it is takes one more
   * statement, in that rare case only.
   */
  private Future<List<EnqueueOutcome>> outcomes(Pool p, List<NewWork> firsts, List<Row> rows, Admission.Room room) {
    List<EnqueueOutcome> out = new ArrayList<>(firsts.size());
    List<Integer> raced = new ArrayList<>();
    for (int i = 0; i < firsts.size(); i++) {
      NewWork w = firsts.get(i);
      Row row = rows.get(i);
      UUID stored = row.getUUID("stored_id");
      if (stored != null) {
        out.add(EnqueueOutcome.existing(stored));
        continue;
      }
      EnqueueOutcome.Result decided = room.take();
      if ((decided == EnqueueOutcome.Result.CREATED) != row.getBoolean("admitted")) {
        throw new IllegalStateException("the enqueue statement admitted other works than Admission did");
      }
      if (decided != EnqueueOutcome.Result.CREATED) {
        out.add(new EnqueueOutcome(w.id(), decided));
      } else if (row.getBoolean("inserted")) {
        out.add(EnqueueOutcome.created(w.id()));
      } else {
        out.add(null);
        raced.add(i);
      }
    }
    if (raced.isEmpty()) {
      return Future.succeededFuture(out);
    }
    UUID[] ids = raced.stream().map(i -> firsts.get(i).id()).toArray(UUID[]::new);
    String[] owners = raced.stream().map(i -> firsts.get(i).owner()).toArray(String[]::new);
    String[] keys = raced.stream().map(i -> firsts.get(i).idempotencyKey()).toArray(String[]::new);
    return p.preparedQuery(PgStatements.FIND_RACED)
        .execute(Tuple.tuple().addArrayOfUUID(ids).addArrayOfString(owners).addArrayOfString(keys))
        .map(found -> {
          List<Row> r = list(found);
          for (int k = 0; k < raced.size(); k++) {
            out.set(raced.get(k), EnqueueOutcome.existing(r.get(k).getUUID("id")));
          }
          return out;
        });
  }

  // ---- leases ------------------------------------------------------------------------------

  @Override
  public CompletableFuture<List<LeasedWork>> lease(String workerId, LeaseLimits limits, long now, long leaseMs) {
    if (limits.maxWorks() <= 0) {
      return CompletableFuture.completedFuture(List.of());
    }
    Tuple t = Tuple.tuple().addString(workerId).addLong((long) limits.maxWorks()).addLong(limits.iterationBudget())
        .addLong(limits.byteBudget()).addValue(at(now)).addLong(leaseMs);
    return call("lease works", p -> p.preparedQuery(PgStatements.LEASE).execute(t).map(rows -> {
      List<LeasedWork> out = new ArrayList<>(rows.size());
      List<UUID> missing = new ArrayList<>();
      for (Row r : rows) {
        Buffer data = r.getBuffer("data");
        if (data == null) {
          missing.add(r.getUUID("id"));
          continue;
        }
        out.add(new LeasedWork(r.getUUID("id"), r.getInteger("iterations"), data.getBytes(), r.getInteger("attempts"),
            r.getLong("deadline")));
      }
      counts.pendingChanged(-rows.size());
      if (!missing.isEmpty()) {
        log.warn("{} leased works had no body in {} and were given back: {}", missing.size(), where(), missing);
        returnUndelivered(workerId, missing);
      }
      return out;
    }));
  }

  @Override
  public CompletableFuture<Void> returnUndelivered(String workerId, Collection<UUID> ids) {
    if (ids.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    Tuple t = Tuple.tuple().addString(workerId).addArrayOfUUID(ids.toArray(UUID[]::new));
    return call("take back undelivered works", p -> p.preparedQuery(PgStatements.RETURN_UNDELIVERED).execute(t)
        .map(rows -> {
          counts.pendingChanged(rows.rowCount());
          return null;
        }));
  }

  @Override
  public CompletableFuture<Integer> extend(String workerId, Collection<UUID> ids, long now, long leaseMs) {
    if (ids.isEmpty()) {
      return CompletableFuture.completedFuture(0);
    }
    Tuple t = Tuple.tuple().addString(workerId).addArrayOfUUID(ids.toArray(UUID[]::new)).addValue(at(now))
        .addLong(leaseMs);
    return call("extend leases", p -> p.preparedQuery(PgStatements.EXTEND).execute(t).map(rows -> {
      int takenBack = 0;
      for (Row r : rows) {
        if (r.getInteger("was") == 0) {
          takenBack++;
        }
      }
      counts.pendingChanged(-takenBack);
      return rows.rowCount();
    }));
  }

  @Override
  public CompletableFuture<List<UUID>> releaseWorker(String workerId, long now) {
    return call("release a worker's leases", p -> p.preparedQuery(PgStatements.RELEASE_WORKER)
        .execute(Tuple.of(workerId)).map(rows -> {
          List<UUID> ids = ids(rows);
          counts.pendingChanged(ids.size());
          return ids;
        }));
  }

  /**
   * Decision apart from effect (River's job rescuer): the sweep lists the expired leases, the rule
   * decides each in Java, and one guarded statement applies the decisions. Most sweeps find nothing
   * and cost one statement; the second runs only when a lease ran out. Every balancer may sweep: the
   * guard lets exactly one of them apply each expiry.
   */
  @Override
  public CompletableFuture<ExpiryOutcome> expire(long now) {
    Long at = at(now);
    return call("expire leases", p -> p.preparedQuery(PgStatements.EXPIRED).execute(Tuple.of(at)).compose(rows -> {
      List<UUID> handOuts = new ArrayList<>();
      List<Row> leases = new ArrayList<>();
      for (Row r : rows) {
        if (r.getBoolean("hand_out")) {
          handOuts.add(r.getUUID("id"));
        } else {
          leases.add(r);
        }
      }
      if (leases.isEmpty()) {
        return Future.succeededFuture(handOuts.isEmpty() ? ExpiryOutcome.NONE
            : new ExpiryOutcome(List.of(), List.of(), handOuts));
      }
      int n = leases.size();
      UUID[] ids = new UUID[n];
      String[] holders = new String[n];
      Integer[] attempts = new Integer[n];
      Boolean[] failed = new Boolean[n];
      for (int i = 0; i < n; i++) {
        Row r = leases.get(i);
        ids[i] = r.getUUID("id");
        holders[i] = r.getString("worker_id");
        attempts[i] = r.getInteger("attempts");
        failed[i] = limits.attemptsExhausted(attempts[i]);
      }
      Tuple t = Tuple.tuple().addArrayOfUUID(ids).addArrayOfString(holders).addArrayOfInteger(attempts)
          .addArrayOfBoolean(failed).addValue(at);
      return p.preparedQuery(PgStatements.EXPIRE_LEASES).execute(t).map(applied -> {
        List<ExpiryOutcome.ExpiredLease> requeued = new ArrayList<>();
        List<ExpiryOutcome.ExpiredLease> failures = new ArrayList<>();
        for (Row r : applied) {
          ExpiryOutcome.ExpiredLease lease = new ExpiryOutcome.ExpiredLease(r.getUUID("id"), r.getString("worker_id"),
              r.getInteger("attempts"));
          (r.getBoolean("failed") ? failures : requeued).add(lease);
        }
        counts.pendingChanged(requeued.size());
        return new ExpiryOutcome(requeued, failures, handOuts);
      });
    }));
  }

  // ---- results -----------------------------------------------------------------------------

  @Override
  public CompletableFuture<CompletionOutcome> complete(String workerId, List<Completion> results, long now) {
    if (results.isEmpty()) {
      return CompletableFuture.completedFuture(CompletionOutcome.NONE);
    }
    if (results.size() >= PgStatements.MAX_RESULTS_PER_COMPLETE) {
      return CompletableFuture.failedFuture(new IllegalArgumentException(
          "at most " + PgStatements.MAX_RESULTS_PER_COMPLETE + " results per call, not " + results.size()));
    }
    UUID[] ids = new UUID[results.size()];
    Buffer[] digests = new Buffer[results.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = results.get(i).id();
      digests[i] = Buffer.buffer(results.get(i).result());
    }
    Tuple t = Tuple.tuple().addString(workerId).addArrayOfUUID(ids).addArrayOfBuffer(digests).addValue(at(now));
    return call("record results", p -> p.preparedQuery(PgStatements.COMPLETE).execute(t).map(rows -> {
      Row r = rows.iterator().next();
      int recorded = r.getLong("recorded").intValue();
      int notHolder = r.getLong("not_holder").intValue();
      counts.completedChanged(recorded);
      return new CompletionOutcome(recorded, results.size() - recorded - notHolder, notHolder);
    }));
  }

  @Override
  public CompletableFuture<List<CompletedWork>> pull(String owner, int top, long ackMs, long now) {
    if (top <= 0) {
      return CompletableFuture.completedFuture(List.of());
    }
    Tuple t = Tuple.tuple().addString(owner).addLong((long) top).addValue(at(now)).addLong(ackMs);
    return call("pull results", p -> p.preparedQuery(PgStatements.PULL).execute(t).map(rows -> {
      List<CompletedWork> out = new ArrayList<>(rows.size());
      for (Row r : rows) {
        out.add(new CompletedWork(r.getUUID("id"), r.getBuffer("result").getBytes(), r.getInteger("iterations"),
            r.getLong("finished_at")));
      }
      if (ackMs == 0) {
        counts.completedChanged(-out.size());
      }
      return out;
    }));
  }

  @Override
  public CompletableFuture<Integer> ack(String owner, Collection<UUID> ids, long now) {
    if (ids.isEmpty()) {
      return CompletableFuture.completedFuture(0);
    }
    Tuple t = Tuple.tuple().addString(owner).addArrayOfUUID(ids.toArray(UUID[]::new));
    return call("acknowledge results", p -> p.preparedQuery(PgStatements.ACK).execute(t).map(rows -> {
      counts.completedChanged(-rows.rowCount());
      return rows.rowCount();
    }));
  }

  // ---- reading -----------------------------------------------------------------------------

  @Override
  public CompletableFuture<Optional<WorkInfo>> find(String owner, UUID id, long now) {
    Tuple t = Tuple.tuple().addUUID(id).addString(owner).addValue(at(now)).addLong(limits.resultRetentionMs());
    return call("find a work", p -> p.preparedQuery(PgStatements.FIND).execute(t).map(rows -> {
      if (rows.size() == 0) {
        return Optional.empty();
      }
      Row r = rows.iterator().next();
      int state = r.getInteger("state");
      WorkStatus status = switch (state) {
        case 0 -> WorkStatus.QUEUED;
        case 1 -> WorkStatus.RUNNING;
        case 5 -> WorkStatus.FAILED;
        default -> WorkStatus.COMPLETED;
      };
      boolean finished = status == WorkStatus.COMPLETED || status == WorkStatus.FAILED;
      Buffer result = r.getBuffer("result");
      return Optional.of(new WorkInfo(id, owner, status, r.getInteger("iterations"), r.getInteger("attempts"),
          r.getLong("enqueued_at"), finished ? r.getLong("finished_at") : null,
          status == WorkStatus.COMPLETED && result != null ? result.getBytes() : null,
          status == WorkStatus.RUNNING ? r.getString("worker_id") : null, state == 4));
    }));
  }

  @Override
  public CompletableFuture<Integer> purgeExpired(long now) {
    Tuple t = Tuple.tuple().addValue(at(now)).addLong(limits.resultRetentionMs());
    return call("purge old results", p -> p.preparedQuery(PgStatements.PURGE).execute(t)
        .map(rows -> rows.iterator().next().getLong("purged").intValue()));
  }

  @Override
  public CompletableFuture<QueueStats> stats(long now) {
    return call("read the counts", p -> p.preparedQuery(PgStatements.STATS).execute(Tuple.of(at(now))).map(rows -> {
      Row r = rows.iterator().next();
      long pending = r.getLong("pending");
      long completed = r.getLong("completed");
      long handedOut = r.getLong("handed_out");
      Long oldest = r.getLong("oldest");
      counts.refreshed(pending, completed + handedOut);
      return new QueueStats(pending, r.getLong("iterations"),
          oldest == null ? 0 : Math.max(0, r.getLong("now") - oldest), r.getLong("leased"), completed + handedOut,
          handedOut, r.getLong("failed"));
    }));
  }

  @Override
  public CompletableFuture<Void> ping() {
    return call("answer", p -> p.query(PgStatements.PING).execute().mapEmpty());
  }

  @Override
  public CompletableFuture<Throwable> broken() {
    return new CompletableFuture<>(); // database failures pass: the pool reconnects
  }

  // ---- rows --------------------------------------------------------------------------------

  private static List<Row> list(RowSet<Row> rows) {
    List<Row> out = new ArrayList<>(rows.size());
    rows.forEach(out::add);
    return out;
  }

  private static List<UUID> ids(RowSet<Row> rows) {
    List<UUID> out = new ArrayList<>(rows.size());
    rows.forEach(r -> out.add(r.getUUID("id")));
    return out;
  }
}
