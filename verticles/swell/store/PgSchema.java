package swell.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The PostgreSQL store's schema as numbered migrations, applied at open in one transaction. Two
 * balancers starting at the same moment against an empty database take turns on a
 * transaction-scoped advisory lock, so the second finds the first's work done; the lock ends with
 * the transaction, even if the balancer dies in between. A database whose schema is newer than this
 * build is refused rather than misread. New tables (the worker registry, a leader row) come as
 * further migrations appended to {@link #MIGRATIONS}; a shipped migration never changes.
 */
final class PgSchema {
  private static final Logger log = LoggerFactory.getLogger(PgSchema.class);

  /** The advisory lock migrations hold ("Swell" in ASCII): any constant, the same in every build. */
  static final long MIGRATION_LOCK = 0x5377656c6cL;

  record Migration(int version, String description, List<String> statements) {
  }

  static final List<Migration> MIGRATIONS = List.of(
      new Migration(1, "works, bodies and the database clock", List.of(
          // Statement time rather than clock_timestamp(): one instant for every row of a statement,
          // so the works of one lease share a deadline, and STABLE, so a comparison with it can use
          // an index.
          """
          CREATE FUNCTION swell_now_ms() RETURNS bigint LANGUAGE sql STABLE PARALLEL SAFE
          AS $$ SELECT floor(extract(epoch FROM statement_timestamp()) * 1000)::bigint $$""",
          // fillfactor 70: every work's row is updated four or five times in its life (lease,
          // heartbeats, result, pull); the room left on each page keeps the new version on the same
          // page, and an update that changes no indexed column (a heartbeat moves only the deadline)
          // is then HOT: no new index entries, and the old version is pruned without a vacuum.
          // Autovacuum: the table churns (every row dies within minutes) while staying small, so it
          // is vacuumed after 1 % of its rows died rather than the default 20 %, analyzed after 2 %
          // since the mix of states the plans depend on shifts fast, and with no cost delay, since a
          // throttled vacuum of a hot queue table falls behind. Insert-driven vacuum at 5 % keeps the
          // visibility map fresh for the index-only counts of the pending index.
          """
          CREATE TABLE swell_works (
            id               uuid PRIMARY KEY,
            owner            text NOT NULL,
            iterations       integer NOT NULL,
            body_bytes       integer NOT NULL,
            idem_key         text,
            enqueued_at      bigint NOT NULL,
            attempts         integer NOT NULL DEFAULT 0,
            state            smallint NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 5),
            worker_id        text,
            deadline         bigint,
            result           bytea,
            finished_at      bigint,
            completion_order bigint
          ) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02,
                  autovacuum_vacuum_insert_scale_factor = 0.05, autovacuum_vacuum_cost_delay = 0)""",
          "COMMENT ON COLUMN swell_works.state IS"
              + " '0 queued, 1 leased, 2 completed, 3 handed out (pulled with ackMs), 4 pulled, 5 failed'",
          "COMMENT ON COLUMN swell_works.deadline IS 'lease deadline while leased, hand-out deadline while handed out'",
          // Bodies apart: written once, read at each lease, deleted when the work completes or fails;
          // the works' many state changes never copy them. Large bodies live in the TOAST table,
          // vacuumed as eagerly as the table itself.
          """
          CREATE TABLE swell_bodies (
            id   uuid PRIMARY KEY,
            data bytea NOT NULL
          ) WITH (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_cost_delay = 0,
                  toast.autovacuum_vacuum_scale_factor = 0.01, toast.autovacuum_vacuum_cost_delay = 0)""",
          // An idempotency key is unique per owner: two clients may pick the same key.
          "CREATE UNIQUE INDEX swell_works_idem_key ON swell_works (owner, idem_key) WHERE idem_key IS NOT NULL",
          // One partial index per state, each as small as its state. Pending in FIFO order, with what
          // a lease's budgets and the stats sum, so neither visits the table where the visibility
          // map allows.
          "CREATE INDEX swell_works_pending ON swell_works (enqueued_at, id) INCLUDE (iterations, body_bytes)"
              + " WHERE state = 0",
          // Leases by worker, for a leaving worker; the sweep reads them all (there are only as
          // many as the fleet holds). Not by deadline: heartbeats would then rewrite index entries.
          "CREATE INDEX swell_works_leased ON swell_works (worker_id) WHERE state = 1",
          "CREATE INDEX swell_works_completed ON swell_works (owner, finished_at, completion_order) WHERE state = 2",
          "CREATE INDEX swell_works_handed_out ON swell_works (owner) WHERE state = 3",
          "CREATE INDEX swell_works_pulled ON swell_works (finished_at) WHERE state = 4",
          "CREATE INDEX swell_works_failed ON swell_works (finished_at) WHERE state = 5",
          "CREATE SEQUENCE swell_completion_batch")),
      new Migration(2, "several balancers: presence, the scaler's leader, the workers they share", List.of(
          // Each balancer says every few seconds that it is up; /status lists those heard from lately.
          """
          CREATE TABLE swell_balancers (
            id         text PRIMARY KEY,
            url        text NOT NULL,
            started_at bigint NOT NULL,
            last_seen  bigint NOT NULL
          )""",
          // One row: the balancer that runs the scaler and the maintenance, until expires_at unless it
          // renews; a new holder gets a higher epoch, which fences the fleet actions of an old one that
          // did not notice it lost the lead (a long GC pause, a partition).
          """
          CREATE TABLE swell_leader (
            id         smallint PRIMARY KEY CHECK (id = 1),
            holder     text NOT NULL,
            epoch      bigint NOT NULL,
            expires_at bigint NOT NULL
          )""",
          // Every worker any balancer heard from, with the leader's decisions (state, managed) and the
          // fleet's handle, so that a new leader adopts the fleet and every balancer answers a retiring
          // worker's poll with retire. Small and rewritten every second: vacuumed eagerly.
          """
          CREATE TABLE swell_workers (
            id                 text PRIMARY KEY,
            instance_id        text,
            threads            integer NOT NULL DEFAULT 0,
            last_seen          bigint NOT NULL,
            last_work_at       bigint NOT NULL,
            completed          bigint NOT NULL DEFAULT 0,
            hash_rate          double precision,
            busy_fraction      double precision,
            managed            boolean NOT NULL DEFAULT false,
            state              text NOT NULL DEFAULT 'active',
            since              bigint NOT NULL,
            launched_at        bigint NOT NULL,
            member_instance    text,
            member_launched_at bigint
          ) WITH (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_cost_delay = 0)""")));

  /** The newest schema this build knows. */
  static final int VERSION = MIGRATIONS.get(MIGRATIONS.size() - 1).version();

  private PgSchema() {
  }

  /**
   * Brings the database to {@link #VERSION}; fails, changing nothing, if it is newer. Completes with
   * the version found before.
   */
  static Future<Integer> migrate(Pool pool, String where) {
    // No time limit: a later migration may rewrite a large table. Notices ("already exists,
    // skipping") are no news at every start after the first.
    return pool.withTransaction(c -> c.query("SET LOCAL statement_timeout = 0").execute()
        .compose(x -> c.query("SET LOCAL client_min_messages = warning").execute())
        .compose(x -> c.preparedQuery("SELECT pg_advisory_xact_lock($1)").execute(Tuple.of(MIGRATION_LOCK)))
        .compose(x -> c.query("""
            CREATE TABLE IF NOT EXISTS swell_schema_version (
              version     integer PRIMARY KEY,
              description text NOT NULL,
              applied_at  timestamptz NOT NULL DEFAULT now()
            )""").execute())
        .compose(x -> c.query("SELECT coalesce(max(version), 0) AS version FROM swell_schema_version").execute())
        .compose(rows -> {
          int found = rows.iterator().next().getInteger("version");
          if (found > VERSION) {
            return Future.failedFuture(new IllegalStateException("the database at " + where
                + " has Swell schema version " + found + ", newer than this build's " + VERSION
                + "; run a newer Swell or point store.url at another database"));
          }
          Future<Void> chain = Future.succeededFuture();
          for (Migration m : MIGRATIONS) {
            if (m.version() > found) {
              chain = chain.compose(v -> apply(c, m));
            }
          }
          return chain.map(v -> {
            if (found < VERSION) {
              log.info("migrated the database at {} from schema version {} to {}", where, found, VERSION);
            }
            return found;
          });
        }));
  }

  private static Future<Void> apply(SqlConnection c, Migration m) {
    Future<?> chain = Future.succeededFuture();
    for (String sql : m.statements()) {
      chain = chain.compose(x -> c.query(sql).execute());
    }
    return chain
        .compose(x -> c.preparedQuery("INSERT INTO swell_schema_version (version, description) VALUES ($1, $2)")
            .execute(Tuple.of(m.version(), m.description())))
        .mapEmpty();
  }
}
