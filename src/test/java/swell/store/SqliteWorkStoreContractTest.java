package swell.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The contract against the SQLite store, each test on a fresh file; plus what only a file can get wrong. */
class SqliteWorkStoreContractTest extends WorkStoreContract {
  @TempDir
  Path dir;

  /** A directory that does not exist yet: the store creates it. */
  Path file() {
    return dir.resolve("data").resolve("swell.db");
  }

  @Override
  protected WorkStore create(StoreLimits limits) {
    return new SqliteWorkStore(file(), true, limits);
  }

  @Test
  void storesEverythingInOneWalModeFile() throws Exception {
    enqueueAll(store, work(1, new byte[] {1}, T0));
    assertThat(Files.exists(file())).isTrue();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file());
         Statement s = c.createStatement()) {
      assertThat(s.executeQuery("PRAGMA journal_mode").getString(1)).isEqualTo("wal");
      assertThat(s.executeQuery("PRAGMA user_version").getInt(1)).isEqualTo(2);
      assertThat(s.executeQuery("SELECT count(*) FROM works WHERE state = 0").getInt(1)).isEqualTo(1);
    }
  }

  @Test
  void bodyIsDroppedFromTheFileOnceTheWorkIsDone() throws Exception {
    List<java.util.UUID> ids = enqueueAll(store, work(1, random64KiB(), T0));
    run(store, "w", ids.get(0), digest(1), T0 + 1);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file());
         Statement s = c.createStatement()) {
      assertThat(s.executeQuery("SELECT count(*) FROM works WHERE data IS NULL AND state = 2").getInt(1))
          .isEqualTo(1);
    }
  }

  @Test
  void openRefusesAFileFromANewerSchema() throws Exception {
    store.close();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file());
         Statement s = c.createStatement()) {
      s.execute("PRAGMA user_version = 99");
    }
    WorkStore newer = create(LIMITS);
    try {
      assertThatThrownBy(() -> await(newer.open(T0)))
          .isInstanceOf(ExecutionException.class)
          .hasMessageContaining("schema version 99");
      // Nothing written to a store that could not open is acknowledged.
      assertThatThrownBy(() -> await(newer.enqueue(List.of(work(1, new byte[] {1}, T0)))))
          .isInstanceOf(ExecutionException.class);
    } finally {
      newer.close();
    }
  }

  @Test
  void osDurabilityAlsoSurvivesAnAbandonedStore() throws Exception {
    Path other = dir.resolve("os").resolve("swell.db");
    SqliteWorkStore abandoned = new SqliteWorkStore(other, false, LIMITS);
    SqliteWorkStore reopened = new SqliteWorkStore(other, false, LIMITS);
    try {
      await(abandoned.open(T0));
      NewWork w = work(1, everyByteValue(), T0);
      enqueueAll(abandoned, w);

      await(reopened.open(T0 + 1));
      assertThat(lease(reopened, "w", 5, T0 + 1)).singleElement()
          .satisfies(l -> assertThat(l.data()).isEqualTo(w.data()));
    } finally {
      reopened.close();
      abandoned.close();
    }
  }

  @Test
  void storeConfigBuildsTheSqliteStoreInDataDir() throws Exception {
    Path dataDir = dir.resolve("configured");
    WorkStore configured = new StoreConfig("sqlite", "fsync", dataDir).create(null, LIMITS);
    try {
      assertThat(configured).isInstanceOf(SqliteWorkStore.class);
      assertThat(configured.durable()).isTrue();
      await(configured.open(T0));
      enqueueAll(configured, work(1, new byte[] {1}, T0));
      assertThat(dataDir.resolve("swell.db")).exists();
    } finally {
      configured.close();
    }
  }

  @Test
  void writesAfterCloseFailInsteadOfHanging() throws Exception {
    store.close();
    assertThatThrownBy(() -> await(store.enqueue(List.of(work(1, new byte[] {1}, T0)))))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(IllegalStateException.class);
    assertThat(stats(store, T0).pending()).isZero();
  }

  @Test
  void aVersion1FileIsMigratedAndItsWorksBelongToTheAnonymousOwner() throws Exception {
    store.close();
    Path old = dir.resolve("v1").resolve("swell.db");
    java.nio.file.Files.createDirectories(old.getParent());
    java.util.UUID pendingId = java.util.UUID.randomUUID();
    java.util.UUID doneId = java.util.UUID.randomUUID();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + old);
         Statement s = c.createStatement()) {
      // The schema version 1 shipped with: no owners, idempotency keys unique across all clients.
      s.execute("CREATE TABLE works (id BLOB(16) NOT NULL UNIQUE, iterations INTEGER NOT NULL, data BLOB,"
          + " idem_key TEXT, enqueued_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
          + " state INTEGER NOT NULL DEFAULT 0, result BLOB, finished_at INTEGER, pulled INTEGER NOT NULL DEFAULT 0)");
      s.execute("CREATE UNIQUE INDEX works_idem_key ON works(idem_key) WHERE idem_key IS NOT NULL");
      s.execute("CREATE INDEX works_finished_at ON works(finished_at) WHERE finished_at IS NOT NULL");
      s.execute("INSERT INTO works (id, iterations, data, idem_key, enqueued_at, attempts) VALUES (X'"
          + hex(pendingId) + "', 3, X'0102', 'k1', " + T0 + ", 1)");
      s.execute("INSERT INTO works (id, iterations, data, enqueued_at, state, result, finished_at) VALUES (X'"
          + hex(doneId) + "', 1, NULL, " + T0 + ", 2, X'" + "ab".repeat(64) + "', " + (T0 + 5) + ")");
      s.execute("PRAGMA user_version = 1");
    }
    SqliteWorkStore migrated = new SqliteWorkStore(old, true, LIMITS);
    try {
      await(migrated.open(T0 + 10));
      assertThat(lease(migrated, "w", 5, T0 + 10)).singleElement().satisfies(l -> {
        assertThat(l.id()).isEqualTo(pendingId);
        assertThat(l.data()).containsExactly(1, 2);
        assertThat(l.attempts()).isEqualTo(2);
      });
      assertThat(pull(migrated, ANON, 5, T0 + 11)).extracting(CompletedWork::id).containsExactly(doneId);
      // The old key still finds its work for the anonymous owner, and is free for a named one.
      assertThat(await(migrated.enqueue(List.of(keyed(ANON, "k1", T0 + 12)))))
          .containsExactly(EnqueueOutcome.existing(pendingId));
      assertThat(await(migrated.enqueue(List.of(keyed("alice", "k1", T0 + 13))))).singleElement()
          .extracting(EnqueueOutcome::created).isEqualTo(true);
    } finally {
      migrated.close();
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + old);
         Statement s = c.createStatement()) {
      assertThat(s.executeQuery("PRAGMA user_version").getInt(1)).isEqualTo(2);
    }
  }

  private static String hex(java.util.UUID id) {
    return swell.common.Hex.encode(SqliteSchema.bytes(id));
  }
}
