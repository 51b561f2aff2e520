package swell.store;

import java.nio.file.Path;

/** Skeleton: being written. */
public abstract class SqliteWorkStore implements WorkStore {
  public SqliteWorkStore(Path file, boolean fsync, StoreLimits limits) {
  }
}
