package swell.store;

/**
 * Whose clock the PostgreSQL store's times come from. Several balancers share one database and their
 * clocks differ, so in production every lease and hand-out deadline, completion and failure time and
 * retention cut-off is the database's ({@code swell_now_ms()}); tests drive the store with a fake
 * clock far from real time, as they do the other stores, through the {@code now} of each call.
 */
public enum PgClock {
  /** The database server's clock; the callers' {@code now} is ignored. */
  DATABASE,
  /** The {@code now} passed to each call: for tests with a fake clock. */
  CALLER
}
