package swell.store;

/**
 * What a store tells the metrics about its own writes, as plain numbers, so that the stores need no
 * metrics library: the SQLite writer's commits (how long each transaction took and how many
 * operations it carried) and the PostgreSQL store's statements (how long each kind took to answer).
 * Called on the store's own threads; implementations must be thread-safe and must not block.
 */
public interface StoreTimings {
  /** Nothing is measured: tests and {@code metrics: false}. */
  StoreTimings NONE = new StoreTimings() {
    @Override
    public void commit(long nanos, int operations) {
    }

    @Override
    public void statement(String kind, long nanos) {
    }
  };

  /** One SQLite transaction committed: its statements and its commit (the fsync) took {@code nanos}. */
  void commit(long nanos, int operations);

  /**
   * One PostgreSQL statement answered, or failed, after {@code nanos}. {@code kind} is one of a fixed
   * set of constants (what the store calls the operation), so an implementation may key on it.
   */
  void statement(String kind, long nanos);
}
