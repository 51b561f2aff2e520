package swell.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * Opening the SQLite file: connections with the right pragmas, the schema and its migrations, and
 * the reload of the live works into memory at start.
 */
final class SqliteSchema {
  private static final Logger log = LoggerFactory.getLogger(SqliteSchema.class);

  private SqliteSchema() {
  }

  /** A connection to the file; the writer's also switches the file to WAL and sets how commits sync. */
  static Connection connect(Path file, boolean writer, boolean fsync) throws SQLException {
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
        s.execute("PRAGMA wal_autocheckpoint = 0"); // the store's checkpointer thread does it
      }
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return c;
  }

  /** Creates the schema in a new file or brings an older file up to date, in one transaction. */
  static void migrate(Connection c, Path file) throws SQLException {
    try (Statement s = c.createStatement()) {
      int version;
      try (ResultSet rs = s.executeQuery("PRAGMA user_version")) {
        version = rs.next() ? rs.getInt(1) : 0;
      }
      if (version > SqliteStatements.SCHEMA_VERSION) {
        throw new SQLException(file + " has schema version " + version + ", newer than this build's "
            + SqliteStatements.SCHEMA_VERSION + "; run a newer Swell or point dataDir elsewhere");
      }
      c.setAutoCommit(false);
      if (version < 1) {
        s.execute(SqliteStatements.CREATE_WORKS);
        s.execute(SqliteStatements.CREATE_IDEM_KEY_INDEX);
        s.execute(SqliteStatements.CREATE_FINISHED_INDEX);
      } else if (version < 2) {
        for (String sql : SqliteStatements.MIGRATE_1_TO_2) {
          s.execute(sql);
        }
        log.info("migrated {} from schema version {} to {}", file, version, SqliteStatements.SCHEMA_VERSION);
      }
      s.execute("PRAGMA user_version = " + SqliteStatements.SCHEMA_VERSION);
      c.commit();
    }
  }

  /** Rebuilds the live queue; leases were not persisted, so leased works come back as pending. */
  static void load(Connection c, WorkQueue queue, Path file, boolean fsync) throws SQLException {
    long pending = 0;
    long completed = 0;
    long failed;
    try (Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery(SqliteStatements.LOAD_PENDING)) {
        while (rs.next()) {
          synchronized (queue) {
            queue.addPending(uuid(rs.getBytes(2)), rs.getString(3), rs.getInt(4), rs.getInt(5), rs.getLong(6),
                rs.getInt(7), rs.getLong(1));
          }
          pending++;
        }
      }
      try (ResultSet rs = s.executeQuery(SqliteStatements.LOAD_UNPULLED)) {
        while (rs.next()) {
          synchronized (queue) {
            queue.addCompleted(uuid(rs.getBytes(2)), rs.getString(3), rs.getInt(4), rs.getLong(5), rs.getInt(6),
                rs.getBytes(7), rs.getLong(8), rs.getLong(1));
          }
          completed++;
        }
      }
      try (ResultSet rs = s.executeQuery(SqliteStatements.COUNT_FAILED)) {
        failed = rs.next() ? rs.getLong(1) : 0;
      }
    }
    c.commit(); // ends the read transaction so the WAL can be checkpointed
    synchronized (queue) {
      queue.countFailed(failed);
    }
    log.info("opened {} ({}): {} pending, {} completed awaiting pull, {} failed kept",
        file, fsync ? "fsync on every commit" : "os: survives a process kill, not a power loss",
        pending, completed, failed);
  }

  static byte[] bytes(UUID id) {
    return ByteBuffer.allocate(16).putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits()).array();
  }

  static UUID uuid(byte[] b) {
    ByteBuffer buf = ByteBuffer.wrap(b);
    return new UUID(buf.getLong(), buf.getLong());
  }
}
