package swell.store;

import java.sql.SQLException;
import java.util.List;

/**
 * A test's way to make the SQLite writer fail for real, on its own thread, at the moment it is about
 * to commit: an exception fails that batch, an {@link Error} breaks the store. {@link #NONE} in
 * production.
 */
@FunctionalInterface
public interface WriteFaults {
  WriteFaults NONE = operations -> { };

  /** Called before each commit with the operations in the batch; whatever it throws, the commit throws. */
  void beforeCommit(List<String> operations) throws SQLException;
}
