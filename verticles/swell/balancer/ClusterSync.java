package swell.balancer;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import swell.store.Coordination;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * This balancer's part in a cluster of balancers sharing one store, on its event loop: it renews
 * its presence and (if it can) the lead, shares its workers' contacts and the leader's decisions
 * through the store, wakes its waiting polls and pulls when another balancer signals new work or
 * results, and signals its own. The scaler acts only while {@link Leadership} says this balancer
 * leads.
 */
final class ClusterSync {
  private static final Logger log = LoggerFactory.getLogger(ClusterSync.class);
  /** While polls or pulls wait, they look this often even without a signal (a lost one, or notify off). */
  static final long FALLBACK_POLL_MS = 1_000;
  /** Signals per channel at most this often from one balancer: a notifying commit serialises with the others. */
  static final long SIGNAL_INTERVAL_MS = 20;

  private final Vertx vertx;
  private final Context context;
  private final Coordination coordination;
  private final BalancerConfig cfg;
  private final String selfUrl;
  private final Leadership leadership;
  private final WorkerRegistry workers;
  private final PollDispatcher dispatcher;
  private final PullWaiters pulls;
  private final LongSupplier clock;
  private final Signals signals;
  private FleetScaler scaler;
  private List<Coordination.Balancer> balancers = List.of();
  private final List<Long> timers = new ArrayList<>();
  private boolean syncing;

  ClusterSync(Vertx vertx, Context context, Coordination coordination, BalancerConfig cfg, String selfUrl,
              WorkerRegistry workers, PollDispatcher dispatcher, PullWaiters pulls, LongSupplier clock) {
    this.vertx = vertx;
    this.context = context;
    this.coordination = coordination;
    this.cfg = cfg;
    this.selfUrl = selfUrl;
    this.leadership = new Leadership(cfg.balancerId(), cfg.leaderTtlMs());
    this.workers = workers;
    this.dispatcher = dispatcher;
    this.pulls = pulls;
    this.clock = clock;
    this.signals = new Signals(new VertxScheduler(vertx, context), SIGNAL_INTERVAL_MS, coordination::signal);
  }

  /** The scaler's view of the lead: it acts only as leader, and fences each fleet action. */
  FleetScaler.Lead lead() {
    return new FleetScaler.Lead() {
      @Override
      public boolean leads() {
        return leadership.leads(clock.getAsLong());
      }

      @Override
      public Future<Boolean> fence() {
        if (!leads()) {
          return Future.succeededFuture(false);
        }
        return Future.fromCompletionStage(
            coordination.stillLeads(leadership.me(), leadership.epoch(), clock.getAsLong()), context);
      }
    };
  }

  /** The first heartbeat: before the fleet is listed, so that only the leader adopts it. */
  Future<Void> join() {
    return heartbeat();
  }

  /** Starts the timers and the listening; the scaler is there by now. */
  void start(FleetScaler scaler) {
    this.scaler = scaler;
    timers.add(vertx.setPeriodic(Math.max(100, cfg.leaderTtlMs() / 4), t -> heartbeat()));
    timers.add(vertx.setPeriodic(cfg.clusterSyncMs(), t -> syncWorkers()));
    timers.add(vertx.setPeriodic(FALLBACK_POLL_MS, t -> lookAgain()));
    if (cfg.store().signals()) {
      coordination.listen(channel -> context.runOnContext(v -> signalled(channel)));
    }
  }

  void stop() {
    timers.forEach(vertx::cancelTimer);
    coordination.close();
  }

  /** Works were stored or came back to the queue here: polls waiting at other balancers may lease them. */
  void workAdded() {
    signals.request(Coordination.WORK, clock.getAsLong());
  }

  /** Results were recorded here: pulls waiting at other balancers may get them. */
  void resultsAdded() {
    signals.request(Coordination.RESULTS, clock.getAsLong());
  }

  boolean leads() {
    return leadership.leads(clock.getAsLong());
  }

  /** The URLs workers reach the balancers at: this one's first, then the others that are up. */
  List<String> balancerUrls() {
    List<String> urls = new ArrayList<>();
    urls.add(selfUrl);
    for (Coordination.Balancer b : balancers) {
      if (!urls.contains(b.url())) {
        urls.add(b.url());
      }
    }
    return urls;
  }

  private Future<Void> heartbeat() {
    long now = clock.getAsLong();
    return Future.fromCompletionStage(coordination.heartbeat(cfg.balancerId(), selfUrl, cfg.leaderTtlMs(), now),
            context)
        .compose(leader -> {
          changed(leadership.renewed(leader, clock.getAsLong()), leader);
          return Future.fromCompletionStage(coordination.balancers(cfg.leaderTtlMs() * 3, clock.getAsLong()), context);
        })
        .<Void>map(list -> {
          balancers = list;
          return null;
        })
        .recover(e -> {
          Leadership.Change change = leadership.renewFailed(clock.getAsLong());
          if (change == Leadership.Change.LOST) {
            log.atWarn().addKeyValue("event", "leader_lost")
                .log("balancer {} stops leading the scaler: the store has not answered for {} ms ({})",
                    cfg.balancerId(), cfg.leaderTtlMs() * 3 / 4, e.getMessage());
          }
          return Future.succeededFuture();
        });
  }

  private void changed(Leadership.Change change, Coordination.Leader leader) {
    switch (change) {
      case GAINED -> {
        log.atInfo().addKeyValue("event", "leader_gained").addKeyValue("epoch", leader.epoch())
            .log("balancer {} leads the scaler now (epoch {})", cfg.balancerId(), leader.epoch());
        if (scaler != null) {
          scaler.becameLeader();
        }
      }
      case LOST -> log.atWarn().addKeyValue("event", "leader_lost")
          .addKeyValue("leader", leader == null ? "" : leader.holder())
          .log("balancer {} no longer leads the scaler: {} does (epoch {})", cfg.balancerId(),
              leader == null ? "nobody" : leader.holder(), leader == null ? "-" : leader.epoch());
      case NONE -> {
      }
    }
  }

  /** Shares what this balancer heard, takes in what the cluster knows; one at a time. */
  private void syncWorkers() {
    if (syncing) {
      return;
    }
    syncing = true;
    boolean leads = leads();
    List<Coordination.Contact> contacts = workers.takeContacts();
    List<String> forgotten = workers.takeForgotten();
    Future.fromCompletionStage(coordination.syncWorkers(contacts, leads ? cfg.balancerId() : null,
            leadership.epoch(), leads ? workers.decisions() : List.of(), leads ? forgotten : List.of()), context)
        .onSuccess(cluster -> {
          long now = clock.getAsLong();
          for (String id : workers.merge(cluster, leads(), now)) {
            scaler.launchSucceeded(id);
          }
          for (WorkerRecord w : workers.all()) {
            if (w.state().leaving()) {
              dispatcher.retire(w.id()); // decided by the leader, answered here
            }
          }
        })
        .onFailure(e -> log.debug("could not share the workers with the other balancers: {}", e.toString()))
        .onComplete(ar -> syncing = false);
  }

  /** Without a signal (lost, or notify off), waiting polls and pulls look again every second. */
  private void lookAgain() {
    if (dispatcher.waiting() > 0) {
      dispatcher.wake();
    }
    if (pulls.waiting() > 0) {
      pulls.checkAll();
    }
  }

  private void signalled(String channel) {
    if (Coordination.WORK.equals(channel)) {
      dispatcher.wake();
    } else if (Coordination.RESULTS.equals(channel)) {
      pulls.checkAll();
    }
  }

  JsonObject statusJson() {
    long now = clock.getAsLong();
    JsonArray list = new JsonArray();
    for (Coordination.Balancer b : balancers) {
      list.add(new JsonObject().put("id", b.id()).put("url", b.url()).put("lastSeenMsAgo", Math.max(0, now - b.lastSeen()))
          .put("leads", b.id().equals(leadership.leader())));
    }
    return new JsonObject()
        .put("balancerId", cfg.balancerId())
        .put("leader", leadership.leader())
        .put("epoch", leadership.epoch())
        .put("leads", leads())
        .put("balancers", list)
        .put("queueCountsCover", "the whole cluster: every balancer reads the same store");
  }
}
