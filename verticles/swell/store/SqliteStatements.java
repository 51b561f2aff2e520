package swell.store;

/**
 * Every SQL statement of the SQLite store, by name. The {@code state} column holds 0 for a queued
 * work (leases are not persisted: a leased work is stored as queued), 2 for a completed one and 3 for
 * a failed one; {@code pulled} is 1 once a result was pulled or acknowledged. Rows are updated by
 * {@code rowid}, which the store keeps in memory for every live work.
 */
final class SqliteStatements {
  private SqliteStatements() {
  }

  /** Written to {@code PRAGMA user_version}; a file from a newer schema is refused rather than misread. */
  static final int SCHEMA_VERSION = 2;

  static final String CREATE_WORKS = """
      CREATE TABLE works (
        id          BLOB(16) NOT NULL UNIQUE,
        owner       TEXT NOT NULL DEFAULT '',
        iterations  INTEGER NOT NULL,
        data        BLOB,
        idem_key    TEXT,
        enqueued_at INTEGER NOT NULL,
        attempts    INTEGER NOT NULL DEFAULT 0,
        state       INTEGER NOT NULL DEFAULT 0,
        result      BLOB,
        finished_at INTEGER,
        pulled      INTEGER NOT NULL DEFAULT 0
      )""";
  /** An idempotency key is unique per owner: two clients may pick the same key. */
  static final String CREATE_IDEM_KEY_INDEX =
      "CREATE UNIQUE INDEX works_owner_idem_key ON works(owner, idem_key) WHERE idem_key IS NOT NULL";
  /** Only finished works carry finished_at, so pending inserts do not pay for this index. */
  static final String CREATE_FINISHED_INDEX =
      "CREATE INDEX works_finished_at ON works(finished_at) WHERE finished_at IS NOT NULL";

  /** Version 1 had no owners, and idempotency keys unique across all clients. */
  static final String[] MIGRATE_1_TO_2 = {
      "ALTER TABLE works ADD COLUMN owner TEXT NOT NULL DEFAULT ''",
      "DROP INDEX works_idem_key",
      CREATE_IDEM_KEY_INDEX,
  };

  static final String LOAD_PENDING =
      "SELECT rowid, id, owner, iterations, length(data), enqueued_at, attempts FROM works WHERE state = 0";
  static final String LOAD_UNPULLED = "SELECT rowid, id, owner, iterations, enqueued_at, attempts, result, finished_at"
      + " FROM works WHERE state = 2 AND pulled = 0 ORDER BY finished_at"; // completion order: each one appends
  static final String COUNT_FAILED = "SELECT count(*) FROM works WHERE state = 3";

  static final String FIND_BY_IDEM_KEY = "SELECT id FROM works WHERE owner = ? AND idem_key = ?";
  /** Returns no row when the id is stored already: a retried forward. */
  static final String INSERT = "INSERT OR IGNORE INTO works (id, owner, iterations, data, idem_key, enqueued_at)"
      + " VALUES (?, ?, ?, ?, ?, ?) RETURNING rowid";
  /** Deliveries are written when a lease ends without a result, not at every lease. */
  static final String SET_ATTEMPTS = "UPDATE works SET attempts = ? WHERE rowid = ? AND state = 0";
  static final String COMPLETE = "UPDATE works SET state = 2, result = ?, finished_at = ?, attempts = ?, data = NULL"
      + " WHERE rowid = ? AND state = 0";
  static final String MARK_PULLED = "UPDATE works SET pulled = 1 WHERE rowid = ? AND state = 2";
  static final String MARK_FAILED = "UPDATE works SET state = 3, data = NULL, finished_at = ?, attempts = ?"
      + " WHERE rowid = ? AND state = 0";
  static final String PURGE_FAILED = "DELETE FROM works WHERE finished_at < ? AND state = 3";
  static final String PURGE_PULLED = "DELETE FROM works WHERE finished_at < ? AND state = 2 AND pulled = 1";

  /** Bodies of leased works; {@code %s} is a list of {@code ?}, one per rowid. */
  static final String READ_BODIES = "SELECT rowid, data FROM works WHERE data IS NOT NULL AND rowid IN (%s)";
  static final String READ_WORK = "SELECT owner, iterations, attempts, enqueued_at, state, result, finished_at, pulled"
      + " FROM works WHERE id = ?";
}
