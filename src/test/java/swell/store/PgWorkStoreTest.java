package swell.store;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import swell.common.ConfigReader;
import swell.testing.PostgresServer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** What only the PostgreSQL store has: migrations, the database's clock, statements per operation, its config. */
class PgWorkStoreTest {
  static final StoreLimits LIMITS = new StoreLimits(100_000, 100_000, 3, 60_000);
  static final long LEASE_MS = 30_000;
  static final long YEAR_MS = 365L * 86_400_000;

  static Vertx vertx;
  static PostgresServer server;
  private final List<WorkStore> stores = new ArrayList<>();

  @BeforeAll
  static void start() {
    server = PostgresServer.shared();
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get();
  }

  @AfterEach
  void closeStores() {
    stores.forEach(WorkStore::close);
  }

  PgWorkStore store(String url, int poolSize, PgClock clock, long countsMaxAgeMs) {
    PgWorkStore s = new PgWorkStore(vertx, PgConnectOptions.fromUri(url), poolSize, clock, LIMITS, countsMaxAgeMs);
    stores.add(s);
    return s;
  }

  PgWorkStore store(String url, PgClock clock) {
    return store(url, 2, clock, PgWorkStore.COUNTS_MAX_AGE_MS);
  }

  static <T> T await(CompletableFuture<T> f) throws Exception {
    return f.get(20, SECONDS);
  }

  static NewWork work(int iterations, long enqueuedAt) {
    return new NewWork(UUID.randomUUID(), "", iterations, new byte[] {(byte) iterations, 2, 3}, null, enqueuedAt);
  }

  // ---- migrations --------------------------------------------------------------------------

  @Test
  void twoStoresOpeningAnEmptyDatabaseAtOnceBothOpenAndTheSchemaIsMadeOnce() throws Exception {
    String db = server.createDatabase();
    PgWorkStore a = store(server.url(db), PgClock.DATABASE);
    PgWorkStore b = store(server.url(db), PgClock.DATABASE);

    CompletableFuture<Void> first = a.open(0);
    CompletableFuture<Void> second = b.open(0);
    await(first);
    await(second);

    assertThat(server.admin(db, "SELECT version FROM swell_schema_version ORDER BY version"))
        .containsExactly(PgSchema.MIGRATIONS.stream().map(m -> Integer.toString(m.version())).toArray(String[]::new));
    assertThat(server.admin(db, "SELECT count(*) FROM pg_class WHERE relname = 'swell_works'")).containsExactly("1");
    // Both work on the one schema.
    NewWork w = work(1, System.currentTimeMillis());
    assertThat(await(a.enqueue(List.of(w)))).containsExactly(EnqueueOutcome.created(w.id()));
    assertThat(await(b.lease("w", LeaseLimits.count(5), 0, LEASE_MS))).extracting(LeasedWork::id)
        .containsExactly(w.id());
  }

  @Test
  void openRefusesADatabaseWithANewerSchemaAndChangesNothing() throws Exception {
    String db = server.createDatabase();
    await(store(server.url(db), PgClock.DATABASE).open(0));
    server.admin(db, "INSERT INTO swell_schema_version (version, description) VALUES (99, 'from the future')");

    PgWorkStore older = store(server.url(db), PgClock.DATABASE);
    assertThatThrownBy(() -> await(older.open(0)))
        .isInstanceOf(ExecutionException.class)
        .hasMessageContaining("schema version 99")
        .hasMessageContaining("newer than this build's " + PgSchema.VERSION);
    assertThat(server.admin(db, "SELECT max(version) FROM swell_schema_version")).containsExactly("99");
    assertThatThrownBy(() -> await(older.enqueue(List.of(work(1, 1)))))
        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(StoreUnavailableException.class);
    assertThat(server.admin(db, "SELECT count(*) FROM swell_works")).containsExactly("0");
  }

  // ---- the database's clock ----------------------------------------------------------------

  @Test
  void inDatabaseModeDeadlinesAndCompletionTimesComeFromTheDatabasesClock() throws Exception {
    PgWorkStore s = store(server.freshSchemaUrl(), PgClock.DATABASE);
    long yearAgo = System.currentTimeMillis() - YEAR_MS;
    await(s.open(yearAgo));
    NewWork w = work(1, System.currentTimeMillis());
    await(s.enqueue(List.of(w)));

    long before = System.currentTimeMillis();
    List<LeasedWork> leased = await(s.lease("w", LeaseLimits.count(1), yearAgo, LEASE_MS));
    long after = System.currentTimeMillis();

    // The test server runs on this machine, so its clock is the test's (to the millisecond).
    assertThat(leased).singleElement().satisfies(l ->
        assertThat(l.leaseUntil()).isBetween(before + LEASE_MS - 5, after + LEASE_MS + 5));
    // A caller whose clock runs a year ahead expires nothing.
    assertThat(await(s.expire(System.currentTimeMillis() + YEAR_MS)).isEmpty()).isTrue();
    assertThat(await(s.extend("w", List.of(w.id()), yearAgo, LEASE_MS))).isEqualTo(1);
    assertThat(await(s.expire(System.currentTimeMillis() + YEAR_MS)).isEmpty()).isTrue();

    await(s.complete("w", List.of(new Completion(w.id(), new byte[64])), yearAgo));
    assertThat(await(s.pull("", 10, 0, yearAgo))).singleElement().satisfies(c ->
        assertThat(c.completedAt()).isCloseTo(System.currentTimeMillis(), within(5_000L)));
    // Retention runs on the database's clock too: the result pulled a moment ago is still there.
    assertThat(await(s.purgeExpired(System.currentTimeMillis() + YEAR_MS))).isZero();
    assertThat(await(s.find("", w.id(), System.currentTimeMillis() + YEAR_MS))).isPresent();
  }

  // ---- statements per operation ------------------------------------------------------------

  /**
   * The server counts the statements it executed (pg_stat_statements, reset before each operation).
   * One connection, warmed up, so each statement is prepared already and goes as one Bind/Execute
   * exchange: one statement is one round trip.
   */
  @Test
  void enqueueLeaseCompleteAndPullOf500WorksAreOneStatementEach() throws Exception {
    String db = server.createDatabase();
    PgWorkStore s = store(server.url(db), 1, PgClock.DATABASE, 600_000);
    await(s.open(0));
    NewWork warm = work(1, 1);
    await(s.enqueue(List.of(warm)));
    await(s.lease("warm", LeaseLimits.count(1), 0, LEASE_MS));
    await(s.complete("warm", List.of(new Completion(warm.id(), new byte[64])), 0));
    await(s.pull("", 1, 0, 0));

    List<NewWork> works = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      works.add(work(1 + i % 7, 1_000 + i));
    }
    resetStatements();
    assertThat(await(s.enqueue(works))).hasSize(500).allMatch(EnqueueOutcome::created);
    assertThat(statements(db)).as("statements for an enqueue of 500").hasSize(1)
        .allSatisfy(q -> assertThat(q).contains("INSERT INTO swell_works"));

    resetStatements();
    List<LeasedWork> leased = await(s.lease("w", LeaseLimits.count(500), 0, LEASE_MS));
    assertThat(leased).hasSize(500);
    assertThat(statements(db)).as("statements for a lease of 500").hasSize(1)
        .allSatisfy(q -> assertThat(q).contains("FOR UPDATE SKIP LOCKED"));

    List<Completion> results = leased.stream().map(l -> new Completion(l.id(), new byte[64])).toList();
    resetStatements();
    assertThat(await(s.complete("w", results, 0)).recorded()).isEqualTo(500);
    assertThat(statements(db)).as("statements for 500 results").hasSize(1);

    resetStatements();
    assertThat(await(s.pull("", 500, 0, 0))).hasSize(500);
    assertThat(statements(db)).as("statements for a pull of 500").hasSize(1);
  }

  private void resetStatements() {
    server.admin(PostgresServer.DATABASE, "SELECT pg_stat_statements_reset()");
  }

  /** Each statement the store's user ran in the database, once per execution. */
  private List<String> statements(String db) {
    return server.admin(db, "SELECT regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_statements s"
        + " JOIN pg_roles r ON r.oid = s.userid JOIN pg_database d ON d.oid = s.dbid, generate_series(1, s.calls)"
        + " WHERE r.rolname = '" + PostgresServer.USER + "' AND d.datname = '" + db + "'");
  }

  // ---- configuration -----------------------------------------------------------------------

  @Test
  void storeConfigBuildsThePostgresStoreWithThePasswordFromTheEnvironment() throws Exception {
    String db = server.createDatabase();
    String url = "postgresql://" + PostgresServer.USER + "@127.0.0.1:" + server.port() + "/" + db;
    ConfigReader r = new ConfigReader(new JsonObject().put("store", new JsonObject().put("type", "postgres")
        .put("url", url)), Map.of("SWELL_STORE_PASSWORD", server.password()));
    WorkStore s = StoreConfig.read(r.section("store"), Path.of("unused")).create(vertx, LIMITS);
    stores.add(s);

    assertThat(s).isInstanceOf(PgWorkStore.class);
    assertThat(s.durable()).isTrue();
    await(s.open(0));
    await(s.ping());
    NewWork w = work(1, 1);
    assertThat(await(s.enqueue(List.of(w)))).containsExactly(EnqueueOutcome.created(w.id()));
  }

  @Test
  void everyStatementIsTimedUnderItsKindForTheMetrics() throws Exception {
    List<String> kinds = java.util.Collections.synchronizedList(new ArrayList<>());
    StoreTimings timings = new StoreTimings() {
      @Override
      public void commit(long nanos, int operations) {
        throw new AssertionError("the PostgreSQL store has no writer thread");
      }

      @Override
      public void statement(String kind, long nanos) {
        assertThat(nanos).isPositive();
        kinds.add(kind);
      }
    };
    PgWorkStore s = new PgWorkStore(vertx, PgConnectOptions.fromUri(server.url(server.createDatabase())), 2,
        PgClock.DATABASE, LIMITS, timings);
    stores.add(s);
    await(s.open(0));
    NewWork w = work(1, 1);
    await(s.enqueue(List.of(w)));
    assertThat(await(s.lease("w-1", new LeaseLimits(10, 1_000, 1_000), 0, LEASE_MS))).hasSize(1);
    await(s.complete("w-1", List.of(new Completion(w.id(), new byte[64])), 0));
    assertThat(await(s.pull("", 10, 0, 0))).hasSize(1);
    assertThat(kinds).contains("store works", "lease works", "record results", "pull results");
  }
}
