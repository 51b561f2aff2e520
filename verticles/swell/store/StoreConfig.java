package swell.store;

import swell.common.ConfigReader;

import java.nio.file.Path;

/** The {@code store} section: which store, and how hard an acknowledged enqueue is kept. */
public record StoreConfig(String type, String durability, Path dataDir) {

  public static StoreConfig read(ConfigReader r, Path dataDir) {
    return new StoreConfig(
        r.oneOf("type", "sqlite", "sqlite", "memory"),
        r.oneOf("durability", "fsync", "fsync", "os"),
        dataDir);
  }

  public WorkStore create(StoreLimits limits) {
    return switch (type) {
      case "memory" -> new MemoryWorkStore(limits);
      case "sqlite" -> new SqliteWorkStore(dataDir.resolve("swell.db"), "fsync".equals(durability), limits);
      default -> throw new IllegalStateException("unknown store type " + type);
    };
  }
}
