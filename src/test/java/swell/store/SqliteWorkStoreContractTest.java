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
      assertThat(s.executeQuery("PRAGMA user_version").getInt(1)).isEqualTo(1);
      assertThat(s.executeQuery("SELECT count(*) FROM works WHERE state = 0").getInt(1)).isEqualTo(1);
    }
  }

  @Test
  void bodyIsDroppedFromTheFileOnceTheWorkIsDone() throws Exception {
    List<java.util.UUID> ids = enqueueAll(store, work(1, random64KiB(), T0));
    await(store.complete(List.of(new Completion(ids.get(0), digest(1))), T0 + 1));
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
      assertThat(await(reopened.lease("w", 5, NO_BUDGET, T0 + 1, LEASE_MS))).singleElement()
          .satisfies(l -> assertThat(l.data()).isEqualTo(w.data()));
    } finally {
      reopened.close();
      abandoned.close();
    }
  }

  @Test
  void storeConfigBuildsTheSqliteStoreInDataDir() throws Exception {
    Path dataDir = dir.resolve("configured");
    WorkStore configured = new StoreConfig("sqlite", "fsync", dataDir).create(LIMITS);
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
    assertThat(store.stats(T0).pending()).isZero();
  }
}
