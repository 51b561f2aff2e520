package swell.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * {@link Coordination} in the PostgreSQL store's database: presence and the leader row in one
 * statement per heartbeat, the workers in two or three per sync, and wake-ups by
 * {@code LISTEN}/{@code NOTIFY} on a connection of its own that reconnects by itself. Calls go
 * through the store's pool, and fail like its calls: with a {@link StoreUnavailableException}.
 */
final class PgCoordination implements Coordination {
  private static final Logger log = LoggerFactory.getLogger(PgCoordination.class);
  /** First pause before the listening connection is opened again; it doubles up to the cap. */
  private static final long FIRST_RECONNECT_MS = 500;
  private static final long MAX_RECONNECT_MS = 30_000;

  private final PgWorkStore store;
  private final Vertx vertx;
  private final PgConnectOptions connect;
  private final PgClock clock;
  private Consumer<String> onSignal;
  private PgConnection listening;
  private long reconnectMs = FIRST_RECONNECT_MS;
  private boolean closed;

  PgCoordination(PgWorkStore store, Vertx vertx, PgConnectOptions connect, PgClock clock) {
    this.store = store;
    this.vertx = vertx;
    this.connect = connect;
    this.clock = clock;
  }

  private Long at(long now) {
    return clock == PgClock.CALLER ? now : null;
  }

  @Override
  public CompletableFuture<Leader> heartbeat(String balancerId, String url, long ttlMs, long now) {
    return store.call("renew the balancer's presence and lead", p -> p.preparedQuery(PgStatements.HEARTBEAT)
        .execute(Tuple.of(balancerId, url, ttlMs, at(now)))
        .compose(claimed -> claimed.size() > 0 ? Future.succeededFuture(claimed)
            : p.preparedQuery(PgStatements.LEADER).execute())
        .map(rows -> {
          if (rows.size() == 0) {
            return null; // another balancer took the first lead in this instant: ask again next time
          }
          Row r = rows.iterator().next();
          String holder = r.getString("holder");
          return new Leader(holder, r.getLong("epoch"), r.getLong("expires_at"), holder.equals(balancerId));
        }));
  }

  @Override
  public CompletableFuture<Boolean> stillLeads(String balancerId, long epoch, long now) {
    return store.call("check the lead", p -> p.preparedQuery(PgStatements.STILL_LEADS)
        .execute(Tuple.of(balancerId, epoch, at(now)))
        .map(rows -> rows.iterator().next().getBoolean("leads")));
  }

  @Override
  public CompletableFuture<List<Balancer>> balancers(long maxSilenceMs, long now) {
    return store.call("list the balancers", p -> p.preparedQuery(PgStatements.BALANCERS)
        .execute(Tuple.of(at(now), maxSilenceMs))
        .map(rows -> {
          List<Balancer> out = new ArrayList<>();
          for (Row r : rows) {
            out.add(new Balancer(r.getString("id"), r.getString("url"), r.getLong("started_at"), r.getLong("last_seen")));
          }
          return out;
        }));
  }

  @Override
  public CompletableFuture<List<Worker>> syncWorkers(List<Contact> contacts, String leaderId, long epoch,
                                                     List<Decision> decisions, List<String> forgotten) {
    return store.call("share the workers", p -> {
      Future<?> written = Future.succeededFuture();
      if (!contacts.isEmpty()) {
        written = p.preparedQuery(PgStatements.WORKER_CONTACTS).execute(contactArrays(contacts));
      }
      if (leaderId != null && (!decisions.isEmpty() || !forgotten.isEmpty())) {
        written = written.compose(x -> p.preparedQuery(PgStatements.WORKER_DECISIONS)
            .execute(decisionArrays(leaderId, epoch, decisions, forgotten)));
      }
      return written.compose(x -> p.query(PgStatements.WORKERS).execute()).map(PgCoordination::workers);
    });
  }

  private static Tuple contactArrays(List<Contact> contacts) {
    int n = contacts.size();
    String[] ids = new String[n];
    String[] instances = new String[n];
    Integer[] threads = new Integer[n];
    Long[] seen = new Long[n];
    Long[] worked = new Long[n];
    Long[] completed = new Long[n];
    Double[] rates = new Double[n];
    Double[] busy = new Double[n];
    for (int i = 0; i < n; i++) {
      Contact c = contacts.get(i);
      ids[i] = c.id();
      instances[i] = c.instanceId();
      threads[i] = c.threads();
      seen[i] = c.lastSeen();
      worked[i] = c.lastWorkAt();
      completed[i] = c.completed();
      rates[i] = c.hashRate();
      busy[i] = c.busyFraction();
    }
    return Tuple.tuple().addArrayOfString(ids).addArrayOfString(instances).addArrayOfInteger(threads)
        .addArrayOfLong(seen).addArrayOfLong(worked).addArrayOfLong(completed).addArrayOfDouble(rates)
        .addArrayOfDouble(busy);
  }

  private static Tuple decisionArrays(String leaderId, long epoch, List<Decision> decisions, List<String> forgotten) {
    int n = decisions.size();
    String[] ids = new String[n];
    String[] states = new String[n];
    Long[] since = new Long[n];
    Long[] launched = new Long[n];
    String[] members = new String[n];
    Long[] memberLaunched = new Long[n];
    for (int i = 0; i < n; i++) {
      Decision d = decisions.get(i);
      ids[i] = d.id();
      states[i] = d.state();
      since[i] = d.since();
      launched[i] = d.launchedAt();
      members[i] = d.memberInstance();
      memberLaunched[i] = d.memberLaunchedAt();
    }
    return Tuple.tuple().addString(leaderId).addLong(epoch).addArrayOfString(ids).addArrayOfString(states)
        .addArrayOfLong(since).addArrayOfLong(launched).addArrayOfString(members).addArrayOfLong(memberLaunched)
        .addArrayOfString(forgotten.toArray(String[]::new));
  }

  private static List<Worker> workers(RowSet<Row> rows) {
    List<Worker> out = new ArrayList<>(rows.size());
    for (Row r : rows) {
      out.add(new Worker(r.getString("id"), r.getString("instance_id"), r.getInteger("threads"),
          r.getLong("last_seen"), r.getLong("last_work_at"), r.getLong("completed"), r.getDouble("hash_rate"),
          r.getDouble("busy_fraction"), r.getBoolean("managed"), r.getString("state"), r.getLong("since"),
          r.getLong("launched_at"), r.getString("member_instance"), r.getLong("member_launched_at")));
    }
    return out;
  }

  @Override
  public void signal(String channel) {
    store.call("signal " + channel, p -> p.preparedQuery(PgStatements.SIGNAL).execute(Tuple.of(channel)))
        .exceptionally(e -> {
          log.debug("could not signal {}: {}", channel, e.toString()); // the others' fallback poll covers it
          return null;
        });
  }

  @Override
  public void listen(Consumer<String> onSignal) {
    this.onSignal = onSignal;
    connectListener();
  }

  /** Opens the listening connection; when it closes (the database restarted, a failover), again. */
  private void connectListener() {
    if (closed) {
      return;
    }
    PgConnection.connect(vertx, connect)
        .compose(c -> c.query("LISTEN " + WORK).execute()
            .compose(x -> c.query("LISTEN " + RESULTS).execute())
            .map(x -> c))
        .onSuccess(c -> {
          if (closed) {
            c.close();
            return;
          }
          listening = c;
          if (reconnectMs > FIRST_RECONNECT_MS) {
            log.info("listening for other balancers' signals again");
          }
          reconnectMs = FIRST_RECONNECT_MS;
          c.notificationHandler(n -> onSignal.accept(n.getChannel()));
          c.closeHandler(v -> {
            listening = null;
            if (!closed) {
              log.warn("the connection listening for other balancers' signals closed; opening it again"
                  + " (until then, waiting polls look every second)");
              retryListen();
            }
          });
        })
        .onFailure(e -> {
          log.warn("could not listen for other balancers' signals ({}); trying again in {} ms", e.getMessage(),
              reconnectMs);
          retryListen();
        });
  }

  private void retryListen() {
    long pause = reconnectMs;
    reconnectMs = Math.min(MAX_RECONNECT_MS, reconnectMs * 2);
    vertx.setTimer(pause, t -> connectListener());
  }

  @Override
  public void close() {
    closed = true;
    if (listening != null) {
      listening.close();
      listening = null;
    }
  }
}
