package swell.metrics;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import swell.store.StoreTimings;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The store's own timings as meters: the SQLite writer's commits ({@code swell_store_commit_seconds},
 * {@code swell_store_commit_operations}) and the PostgreSQL store's statements by kind
 * ({@code swell_store_statement_seconds{statement}}). Handles are made once per kind.
 */
public final class StoreMeters implements StoreTimings {
  /** A commit is an fsync: from well under a millisecond (an SSD's cache) to seconds (a sick disk). */
  static final Duration[] COMMIT_BUCKETS = Buckets.millis(0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10_000);
  /** Operations per commit: one at low load, up to the writer's batch of 1000 under load. */
  static final double[] BATCH_BUCKETS = {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000};
  /** A statement round trip: from a fraction of a millisecond to the 30 s statement timeout. */
  static final Duration[] STATEMENT_BUCKETS = Buckets.millis(0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000,
      30_000);
  /** Statement kinds are the store's constants; a bound all the same, so a bug cannot grow the label. */
  static final int MAX_KINDS = 64;

  private final MeterRegistry registry;
  private final Timer commits;
  private final DistributionSummary commitSizes;
  private final ConcurrentHashMap<String, Timer> statements = new ConcurrentHashMap<>();

  public StoreMeters(MeterRegistry registry) {
    this.registry = registry;
    this.commits = Timer.builder("swell.store.commit")
        .description("SQLite store: one transaction of the writer thread, its statements and its commit (fsync)")
        .serviceLevelObjectives(COMMIT_BUCKETS)
        .register(registry);
    this.commitSizes = DistributionSummary.builder("swell.store.commit.operations")
        .description("SQLite store: operations (enqueue batches, results, pulls...) carried by one commit")
        .serviceLevelObjectives(BATCH_BUCKETS)
        .register(registry);
  }

  @Override
  public void commit(long nanos, int operations) {
    commits.record(nanos, TimeUnit.NANOSECONDS);
    commitSizes.record(operations);
  }

  @Override
  public void statement(String kind, long nanos) {
    Timer t = statements.get(kind);
    if (t == null) {
      t = statementTimer(kind);
    }
    t.record(nanos, TimeUnit.NANOSECONDS);
  }

  private Timer statementTimer(String kind) {
    String key = statements.size() >= MAX_KINDS ? "other" : kind;
    return statements.computeIfAbsent(key, k -> Timer.builder("swell.store.statement")
        .description("PostgreSQL store: one statement, from sending to its answer (or failure), by kind")
        .tag("statement", snakeCase(k))
        .serviceLevelObjectives(STATEMENT_BUCKETS)
        .register(registry));
  }

  /** "release a worker's leases" becomes release_a_worker_s_leases. */
  static String snakeCase(String kind) {
    return kind.trim().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_");
  }
}
