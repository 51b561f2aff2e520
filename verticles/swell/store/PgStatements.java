package swell.store;

/**
 * Every SQL statement of the PostgreSQL store, by name; the schema they run against is
 * {@link PgSchema}'s. Each store operation is one of these statements, so one round trip.
 *
 * <p>{@code swell_works.state}: 0 queued, 1 leased, 2 completed (waiting to be pulled), 3 handed out
 * (pulled with {@code ackMs}, hidden until {@code deadline}), 4 pulled (or acknowledged; kept for
 * {@code GET /work/{id}} until retention ends), 5 failed. The states are literals in the statements so
 * that the planner matches them to the partial index of each state.
 *
 * <p>Times are bigint Unix milliseconds. A parameter written {@code coalesce($n::bigint,
 * swell_now_ms())} is the caller's {@code now} in {@link PgClock#CALLER} mode and null, hence the
 * database's clock, in {@link PgClock#DATABASE} mode (River's queries take their {@code now} the same way).
 */
final class PgStatements {
  private PgStatements() {
  }

  /** Is the database there and writable enough to answer: {@code /ready}. */
  static final String PING = "SELECT 1";

  /** What admission needs, each count from its state's partial index. */
  static final String ADMISSION_COUNTS = """
      SELECT (SELECT count(*) FROM swell_works WHERE state = 0) AS pending,
             (SELECT count(*) FROM swell_works WHERE state = 2)
               + (SELECT count(*) FROM swell_works WHERE state = 3) AS completed_unpulled""";

  /** $1 now. The pending index includes the iterations, so the sum reads no table pages where it can. */
  static final String STATS = """
      SELECT p.pending, p.iterations, p.oldest,
             (SELECT count(*) FROM swell_works WHERE state = 1) AS leased,
             (SELECT count(*) FROM swell_works WHERE state = 2) AS completed,
             (SELECT count(*) FROM swell_works WHERE state = 3) AS handed_out,
             (SELECT count(*) FROM swell_works WHERE state = 5) AS failed,
             coalesce($1::bigint, swell_now_ms()) AS now
      FROM (SELECT count(*) AS pending, coalesce(sum(iterations), 0) AS iterations, min(enqueued_at) AS oldest
            FROM swell_works WHERE state = 0) p""";

  /**
   * A batch of enqueues, the first works of the batch only ({@link BatchRepeats}): $1 ids, $2 owners,
   * $3 iterations, $4 body lengths, $5 idempotency keys (null for none), $6 enqueue times, $7 bodies,
   * $8 how many new works {@link Admission} has room for. Each work already stored (by owner and
   * key, else by id) is answered with the stored work's id; of the others, the first $8 in batch
   * order are inserted. {@code ON CONFLICT DO NOTHING} makes a forward retried through another
   * balancer at the same moment a no-op instead of a second work or an error: such a work is
   * admitted but not inserted, and the store looks up whose it is. Bodies go to their own table,
   * read straight from the parameter so that no intermediate result carries them.
   */
  static final String ENQUEUE = """
      WITH input AS (
        SELECT * FROM unnest($1::uuid[], $2::text[], $3::integer[], $4::integer[], $5::text[], $6::bigint[])
          WITH ORDINALITY AS t(id, owner, iterations, body_bytes, idem_key, enqueued_at, ord)
      ), known AS MATERIALIZED (
        SELECT i.*, coalesce(
                 (SELECT w.id FROM swell_works w WHERE w.owner = i.owner AND w.idem_key = i.idem_key),
                 (SELECT w.id FROM swell_works w WHERE w.id = i.id)) AS stored_id
        FROM input i
      ), admitted AS MATERIALIZED (
        SELECT * FROM known WHERE stored_id IS NULL ORDER BY ord LIMIT $8::bigint
      ), inserted AS (
        INSERT INTO swell_works (id, owner, iterations, body_bytes, idem_key, enqueued_at)
        SELECT id, owner, iterations, body_bytes, idem_key, enqueued_at FROM admitted ORDER BY ord
        ON CONFLICT DO NOTHING
        RETURNING id
      ), bodies AS (
        INSERT INTO swell_bodies (id, data)
        SELECT b.id, b.data FROM unnest($1::uuid[], $7::bytea[]) AS b(id, data) JOIN inserted USING (id)
        ON CONFLICT (id) DO UPDATE SET data = excluded.data
      )
      SELECT k.stored_id, a.ord IS NOT NULL AS admitted, n.id IS NOT NULL AS inserted
      FROM known k LEFT JOIN admitted a ON a.ord = k.ord LEFT JOIN inserted n ON n.id = k.id
      ORDER BY k.ord""";

  /**
   * After {@link #ENQUEUE} lost a race: whose work each of these is now ($1 ids, $2 owners, $3 keys):
   * the work stored under the key, else the id itself.
   */
  static final String FIND_RACED = """
      SELECT coalesce((SELECT w.id FROM swell_works w WHERE w.owner = t.owner AND w.idem_key = t.idem_key), t.id) AS id
      FROM unnest($1::uuid[], $2::text[], $3::text[]) WITH ORDINALITY AS t(id, owner, idem_key, ord)
      ORDER BY t.ord""";

  /**
   * A lease: $1 worker, $2 most works, $3 iteration budget, $4 byte budget, $5 now, $6 lease length.
   * The oldest pending works are locked in FIFO order, skipping those another balancer is leasing at
   * this moment, in a MATERIALIZED CTE so the LIMIT and the locks happen once, before the update.
   * {@link LeaseLimits#fits}: the window sums over the locked candidates keep the prefix up to the
   * first work that does not fit (sums only grow, so "fits so far" is true up to that work and false
   * after it), and the first work always goes. Bodies are joined in, so the worker gets everything
   * in this one round trip.
   */
  static final String LEASE = """
      WITH candidates AS MATERIALIZED (
        SELECT id, iterations, body_bytes, enqueued_at FROM swell_works
        WHERE state = 0
        ORDER BY enqueued_at, id
        LIMIT $2::bigint
        FOR UPDATE SKIP LOCKED
      ), sized AS (
        SELECT id, row_number() OVER fifo AS n,
               sum(iterations) OVER fifo AS iterations_so_far,
               sum(body_bytes) OVER fifo AS bytes_so_far
        FROM candidates
        WINDOW fifo AS (ORDER BY enqueued_at, id ROWS UNBOUNDED PRECEDING)
      ), leased AS (
        UPDATE swell_works w
        SET state = 1, worker_id = $1, attempts = w.attempts + 1,
            deadline = coalesce($5::bigint, swell_now_ms()) + $6::bigint
        FROM sized s
        WHERE w.id = s.id AND (s.n = 1 OR (s.iterations_so_far <= $3::bigint AND s.bytes_so_far <= $4::bigint))
        RETURNING w.id, w.iterations, w.attempts, w.deadline, w.enqueued_at
      )
      SELECT l.id, l.iterations, l.attempts, l.deadline, b.data
      FROM leased l LEFT JOIN swell_bodies b ON b.id = l.id
      ORDER BY l.enqueued_at, l.id""";

  /** $1 worker, $2 ids: leases that never reached the worker go back without counting a delivery. */
  static final String RETURN_UNDELIVERED = """
      UPDATE swell_works SET state = 0, worker_id = NULL, deadline = NULL, attempts = attempts - 1
      WHERE id = ANY($2::uuid[]) AND state = 1 AND worker_id = $1
      RETURNING id""";

  /**
   * A heartbeat: $1 worker, $2 ids, $3 now, $4 lease length. Extends the worker's leases (never
   * shortening one) and takes back those of its works that are queued again; {@code was} tells which
   * was which. The rows are locked in id order so that two heartbeats cannot deadlock. Only the
   * deadline changes for a lease the worker holds, and no index covers it, so the update is HOT.
   */
  static final String EXTEND = """
      WITH held AS MATERIALIZED (
        SELECT id, state FROM swell_works
        WHERE id = ANY($2::uuid[]) AND (state = 0 OR (state = 1 AND worker_id = $1))
        ORDER BY id
        FOR UPDATE
      )
      UPDATE swell_works w
      SET state = 1, worker_id = $1,
          deadline = CASE WHEN h.state = 1 THEN greatest(w.deadline, coalesce($3::bigint, swell_now_ms()) + $4::bigint)
                          ELSE coalesce($3::bigint, swell_now_ms()) + $4::bigint END
      FROM held h
      WHERE w.id = h.id
      RETURNING h.state AS was""";

  /**
   * Results: $1 worker, $2 ids, $3 results, $4 now. Recorded only for works this worker holds; the
   * first result wins because a recorded work is no longer leased. The body goes. The rest are
   * counted as {@code not_holder} (the work is queued, or another worker's) or else as duplicates
   * (finished, failed, gone, or twice in the batch). {@code completion_order} is the batch's number
   * times 2^20 plus the result's place in the batch: the order results were recorded, which breaks
   * ties between equal completion times (a batch holds far fewer than 2^20 results).
   */
  static final String COMPLETE = """
      WITH input AS (
        SELECT * FROM unnest($2::uuid[], $3::bytea[]) WITH ORDINALITY AS r(id, result, ord)
      ), held AS MATERIALIZED (
        SELECT id FROM swell_works
        WHERE id IN (SELECT id FROM input) AND state = 1 AND worker_id = $1
        ORDER BY id
        FOR UPDATE
      ), batch AS MATERIALIZED (
        SELECT nextval('swell_completion_batch') AS n
      ), done AS (
        UPDATE swell_works w
        SET state = 2, result = i.result, finished_at = coalesce($4::bigint, swell_now_ms()),
            completion_order = b.n * 1048576 + i.ord, worker_id = NULL, deadline = NULL
        FROM (SELECT DISTINCT ON (id) id, result, ord FROM input ORDER BY id, ord) i, held h, batch b
        WHERE w.id = h.id AND i.id = h.id
        RETURNING w.id
      ), bodies AS (
        DELETE FROM swell_bodies b USING done d WHERE b.id = d.id
      )
      SELECT (SELECT count(*) FROM done) AS recorded,
             (SELECT count(*) FROM input i JOIN swell_works w ON w.id = i.id
              WHERE i.id NOT IN (SELECT id FROM done)
                AND (w.state = 0 OR (w.state = 1 AND w.worker_id <> $1))) AS not_holder""";

  /** Most results one {@link #COMPLETE} may carry; see its {@code completion_order}. */
  static final int MAX_RESULTS_PER_COMPLETE = 1 << 20;

  /**
   * A pull: $1 owner, $2 top, $3 now, $4 ackMs. The newest results leave the completed queue, or with
   * {@code ackMs > 0} are handed out: hidden until acknowledged or due. A result another balancer is
   * pulling at this moment is skipped, so each is answered once.
   */
  static final String PULL = """
      WITH picked AS MATERIALIZED (
        SELECT id FROM swell_works
        WHERE owner = $1 AND state = 2
        ORDER BY finished_at DESC, completion_order DESC
        LIMIT $2::bigint
        FOR UPDATE SKIP LOCKED
      ), pulled AS (
        UPDATE swell_works w
        SET state = CASE WHEN $4::bigint > 0 THEN 3 ELSE 4 END,
            deadline = CASE WHEN $4::bigint > 0 THEN coalesce($3::bigint, swell_now_ms()) + $4::bigint END
        FROM picked p WHERE w.id = p.id
        RETURNING w.id, w.result, w.iterations, w.finished_at, w.completion_order
      )
      SELECT id, result, iterations, finished_at FROM pulled
      ORDER BY finished_at DESC, completion_order DESC""";

  /** $1 owner, $2 ids: the owner's unpulled or handed-out results are done with. */
  static final String ACK = """
      UPDATE swell_works SET state = 4, deadline = NULL
      WHERE owner = $1 AND id = ANY($2::uuid[]) AND state IN (2, 3)
      RETURNING id""";

  /** $1 worker: all its leases go back; the deliveries stay counted. */
  static final String RELEASE_WORKER = """
      WITH released AS (
        UPDATE swell_works SET state = 0, worker_id = NULL, deadline = NULL
        WHERE state = 1 AND worker_id = $1
        RETURNING id, enqueued_at
      )
      SELECT id FROM released ORDER BY enqueued_at, id""";

  /**
   * The first half of a sweep, $1 now: hand-outs past their time come back at once (nothing to
   * decide), and the leases past theirs are listed for the store to decide, by
   * {@link StoreLimits#attemptsExhausted}, whether each goes back or fails ({@link #EXPIRE_LEASES}).
   */
  static final String EXPIRED = """
      WITH returned AS (
        UPDATE swell_works SET state = 2, deadline = NULL
        WHERE state = 3 AND deadline <= coalesce($1::bigint, swell_now_ms())
        RETURNING id
      )
      SELECT true AS hand_out, id, NULL::text AS worker_id, NULL::integer AS attempts FROM returned
      UNION ALL
      SELECT false, id, worker_id, attempts FROM swell_works
      WHERE state = 1 AND deadline <= coalesce($1::bigint, swell_now_ms())""";

  /**
   * The second half: $1 ids, $2 holders, $3 attempts, $4 failed, $5 now. Applied only to a lease
   * still as it was listed and still past its time, so a heartbeat, a result or another balancer's
   * sweep in between wins and the lease is reported once. A failed work's body goes.
   */
  static final String EXPIRE_LEASES = """
      WITH decided AS (
        SELECT * FROM unnest($1::uuid[], $2::text[], $3::integer[], $4::boolean[]) AS d(id, worker_id, attempts, failed)
      ), expired AS (
        UPDATE swell_works w
        SET state = CASE WHEN d.failed THEN 5 ELSE 0 END,
            finished_at = CASE WHEN d.failed THEN coalesce($5::bigint, swell_now_ms()) END,
            worker_id = NULL, deadline = NULL
        FROM decided d
        WHERE w.id = d.id AND w.state = 1 AND w.worker_id = d.worker_id AND w.attempts = d.attempts
          AND w.deadline <= coalesce($5::bigint, swell_now_ms())
        RETURNING w.id, d.failed, d.worker_id, w.attempts, w.enqueued_at
      ), bodies AS (
        DELETE FROM swell_bodies b USING expired e WHERE b.id = e.id AND e.failed
      )
      SELECT id, failed, worker_id, attempts FROM expired ORDER BY enqueued_at, id""";

  /**
   * $1 id, $2 owner, $3 now, $4 retention: one work of the owner, unless it is a pulled result or a
   * failure older than the retention (gone even before a purge has run).
   */
  static final String FIND = """
      SELECT state, iterations, attempts, enqueued_at, finished_at, result, worker_id
      FROM swell_works
      WHERE id = $1 AND owner = $2
        AND NOT (state IN (4, 5) AND finished_at < coalesce($3::bigint, swell_now_ms()) - $4::bigint)""";

  /** $1 now, $2 retention: pulled results and failures past it are forgotten (their bodies are gone already). */
  static final String PURGE = """
      WITH pulled AS (
        DELETE FROM swell_works WHERE state = 4 AND finished_at < coalesce($1::bigint, swell_now_ms()) - $2::bigint
        RETURNING 1
      ), failed AS (
        DELETE FROM swell_works WHERE state = 5 AND finished_at < coalesce($1::bigint, swell_now_ms()) - $2::bigint
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM pulled) + (SELECT count(*) FROM failed) AS purged""";

  // ---- several balancers (Coordination) --------------------------------------------------

  /**
   * $1 balancer, $2 url, $3 ttl, $4 now: says the balancer is up, and takes the lead if it holds it
   * already or nobody does (the last holder's time ran out); a new holder gets the next epoch. Answers
   * the leader when this balancer is it; otherwise no row ({@link #LEADER} reads who is).
   */
  static final String HEARTBEAT = """
      WITH present AS (
        INSERT INTO swell_balancers (id, url, started_at, last_seen)
        VALUES ($1, $2, coalesce($4::bigint, swell_now_ms()), coalesce($4::bigint, swell_now_ms()))
        ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, last_seen = EXCLUDED.last_seen
      )
      INSERT INTO swell_leader AS l (id, holder, epoch, expires_at)
      VALUES (1, $1, 1, coalesce($4::bigint, swell_now_ms()) + $3::bigint)
      ON CONFLICT (id) DO UPDATE
        SET holder = EXCLUDED.holder,
            epoch = CASE WHEN l.holder = EXCLUDED.holder THEN l.epoch ELSE l.epoch + 1 END,
            expires_at = EXCLUDED.expires_at
        WHERE l.holder = EXCLUDED.holder OR l.expires_at < coalesce($4::bigint, swell_now_ms())
      RETURNING holder, epoch, expires_at""";

  static final String LEADER = "SELECT holder, epoch, expires_at FROM swell_leader WHERE id = 1";

  /** $1 balancer, $2 epoch, $3 now: whether it still leads with that epoch (a fleet action's fence). */
  static final String STILL_LEADS = """
      SELECT EXISTS (SELECT 1 FROM swell_leader
                     WHERE id = 1 AND holder = $1 AND epoch = $2 AND expires_at > coalesce($3::bigint, swell_now_ms()))
        AS leads""";

  /** $1 now, $2 silence: the balancers heard from lately. */
  static final String BALANCERS = """
      SELECT id, url, started_at, last_seen FROM swell_balancers
      WHERE last_seen > coalesce($1::bigint, swell_now_ms()) - $2::bigint ORDER BY started_at, id""";

  /**
   * $1..$8 arrays of one balancer's contacts (id, instance id, threads, last seen, last work,
   * results since its last sync, hash rate, busy fraction): merged into what the others reported, by
   * the latest time and the sum of results.
   */
  static final String WORKER_CONTACTS = """
      INSERT INTO swell_workers AS w (id, instance_id, threads, last_seen, last_work_at, completed, hash_rate,
                                      busy_fraction, since, launched_at)
      SELECT c.id, c.instance_id, c.threads, c.last_seen, c.last_work_at, c.completed, c.hash_rate, c.busy_fraction,
             c.last_seen, c.last_seen
      FROM unnest($1::text[], $2::text[], $3::integer[], $4::bigint[], $5::bigint[], $6::bigint[],
                  $7::double precision[], $8::double precision[])
        AS c(id, instance_id, threads, last_seen, last_work_at, completed, hash_rate, busy_fraction)
      ON CONFLICT (id) DO UPDATE SET
        instance_id = coalesce(EXCLUDED.instance_id, w.instance_id),
        threads = CASE WHEN EXCLUDED.threads > 0 THEN EXCLUDED.threads ELSE w.threads END,
        last_seen = greatest(w.last_seen, EXCLUDED.last_seen),
        last_work_at = greatest(w.last_work_at, EXCLUDED.last_work_at),
        completed = w.completed + EXCLUDED.completed,
        hash_rate = coalesce(EXCLUDED.hash_rate, w.hash_rate),
        busy_fraction = coalesce(EXCLUDED.busy_fraction, w.busy_fraction)""";

  /**
   * $1 leader, $2 epoch, $3..$8 arrays of its decisions (id, state, since, launched at, member
   * instance, member launch time), $9 ids it no longer tracks: written only while it leads with that
   * epoch, so a leader that lost the lead cannot overwrite its successor's decisions.
   */
  static final String WORKER_DECISIONS = """
      WITH leads AS (
        SELECT 1 FROM swell_leader WHERE id = 1 AND holder = $1 AND epoch = $2
      ), forgotten AS (
        DELETE FROM swell_workers WHERE id = ANY($9::text[]) AND EXISTS (SELECT 1 FROM leads)
      )
      INSERT INTO swell_workers AS w (id, managed, state, since, launched_at, member_instance, member_launched_at,
                                      last_seen, last_work_at)
      SELECT d.id, true, d.state, d.since, d.launched_at, d.member_instance, d.member_launched_at, d.since, d.since
      FROM unnest($3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[], $8::bigint[])
        AS d(id, state, since, launched_at, member_instance, member_launched_at)
      WHERE EXISTS (SELECT 1 FROM leads)
      ON CONFLICT (id) DO UPDATE SET
        managed = true, state = EXCLUDED.state, since = EXCLUDED.since, launched_at = EXCLUDED.launched_at,
        member_instance = coalesce(EXCLUDED.member_instance, w.member_instance),
        member_launched_at = coalesce(EXCLUDED.member_launched_at, w.member_launched_at)""";

  static final String WORKERS = """
      SELECT id, instance_id, threads, last_seen, last_work_at, completed, hash_rate, busy_fraction, managed, state,
             since, launched_at, member_instance, member_launched_at
      FROM swell_workers ORDER BY launched_at, id""";

  /** $1 channel: wakes the balancers listening on it. Sent rate-limited, never once per work. */
  static final String SIGNAL = "SELECT pg_notify($1, '')";
}
