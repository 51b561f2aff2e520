package swell.balancer;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import swell.fleet.Fleet;
import swell.fleet.FleetMember;
import swell.fleet.LaunchException;
import swell.store.QueueStats;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Carries the scaling policy's decisions out on the fleet, on the balancer's event loop: launches,
 * retirements and terminations, the start-up reconciliation, and the recent events /status shows.
 * Every worker the fleet lists is managed; one it does not list is hand-started, served and never
 * stopped. A managed worker's record goes only once the fleet confirmed it stopped.
 */
final class FleetScaler {
  private static final Logger log = LoggerFactory.getLogger(FleetScaler.class);
  private static final int EVENTS_KEPT = 50;

  /**
   * Whether this balancer may act on the fleet. Alone, it always may; with several, only the leader
   * does, and each launch or termination is first fenced: it goes ahead only if the database still
   * names this balancer leader with the same epoch, so a leader that lost the lead without noticing
   * (a long pause) cannot launch or stop workers its successor also manages.
   */
  interface Lead {
    Lead ALONE = new Lead() {
      @Override
      public boolean leads() {
        return true;
      }

      @Override
      public Future<Boolean> fence() {
        return Future.succeededFuture(true);
      }
    };

    boolean leads();

    Future<Boolean> fence();
  }

  private final Fleet fleet;
  private final ScalingPolicy policy;
  private final ScalingConfig cfg;
  private final WorkerRegistry workers;
  private final LongSupplier clock;
  /** Called when a worker was told to retire, so a long-poll it waits in can answer at once. */
  private final Consumer<String> onRetire;
  /** Called when a worker is gone, so the store puts its leases back. */
  private final Consumer<String> onGone;
  private final Lead lead;
  /** Told the kind of every event (launch, retire, terminate, registered, ...), for the metrics. */
  private final Consumer<String> onEvent;
  private final ArrayDeque<JsonObject> events = new ArrayDeque<>();
  /** Whether the fleet's list was read; until then the workers an earlier balancer left are not known. */
  private boolean reconciled;
  private boolean listing;
  private int listFailures;
  private long nextListAt;

  FleetScaler(Fleet fleet, ScalingPolicy policy, ScalingConfig cfg, WorkerRegistry workers, LongSupplier clock,
              Consumer<String> onRetire, Consumer<String> onGone) {
    this(fleet, policy, cfg, workers, clock, onRetire, onGone, Lead.ALONE, kind -> { });
  }

  FleetScaler(Fleet fleet, ScalingPolicy policy, ScalingConfig cfg, WorkerRegistry workers, LongSupplier clock,
              Consumer<String> onRetire, Consumer<String> onGone, Lead lead, Consumer<String> onEvent) {
    this.fleet = fleet;
    this.policy = policy;
    this.cfg = cfg;
    this.workers = workers;
    this.clock = clock;
    this.onRetire = onRetire;
    this.onGone = onGone;
    this.lead = lead;
    this.onEvent = onEvent;
  }

  /** This balancer just took the lead: it lists the fleet again and adopts what runs, on its next tick. */
  void becameLeader() {
    reconciled = false;
    nextListAt = 0;
    listFailures = 0;
    event("lead", null, "this balancer leads the scaler now");
  }

  /**
   * Adopts every worker the fleet lists, whoever launched it, so a restarted balancer leaks nothing
   * and kills nothing; beyond maxWorkers the policy retires the surplus once it registered. A failed
   * listing is tried again on later ticks, with back-off; meanwhile workers that call in are served
   * as hand-started, and become managed when the listing names them.
   */
  Future<Void> reconcile() {
    listing = true;
    return fleet.list().<Void>map(members -> {
      long now = clock.getAsLong();
      for (FleetMember m : members) {
        WorkerRecord known = workers.get(m.workerId());
        if (known != null && known.managed) {
          continue; // launched by this balancer while an earlier listing failed
        }
        workers.adopt(m, now);
        String detail = (known != null ? "called in before the fleet listed it" : "found running")
            + " (" + m.instanceId() + ")";
        event("adopt", m.workerId(), detail);
        log.atInfo().addKeyValue("event", "worker_adopted").addKeyValue("workerId", m.workerId())
            .addKeyValue("workerInstanceId", m.instanceId())
            .log("adopted worker {} from the {} fleet: {}", m.workerId(), fleet.type(), detail);
      }
      if (members.size() > cfg.maxWorkers()) {
        log.info("the {} fleet runs {} workers, more than maxWorkers={}: the surplus retires once registered",
            fleet.type(), members.size(), cfg.maxWorkers());
      }
      reconciled = true;
      return null;
    }).recover(e -> {
      listFailures++;
      long retryIn = policy.backoff(listFailures);
      nextListAt = clock.getAsLong() + retryIn;
      if (listFailures == 1) {
        log.error("could not list the {} fleet to adopt running workers; trying again in {} ms", fleet.type(), retryIn, e);
      } else {
        log.warn("could not list the {} fleet ({} times); trying again in {} ms: {}", fleet.type(), listFailures,
            retryIn, e.getMessage());
      }
      return Future.succeededFuture();
    }).onComplete(ar -> listing = false);
  }

  void tick(QueueStats queue) {
    if (!lead.leads()) {
      return; // the leader scales; this balancer serves
    }
    long now = clock.getAsLong();
    if (!reconciled && !listing && now >= nextListAt) {
      reconcile();
    }
    for (ScalingPolicy.Action a : policy.decide(queue, workers.managed(), now)) {
      if (a instanceof ScalingPolicy.Launch l) {
        launch(l.reason(), now);
      } else if (a instanceof ScalingPolicy.Retire r) {
        retire(r.workerId(), r.reason(), now);
      } else if (a instanceof ScalingPolicy.Terminate t) {
        WorkerRecord w = workers.get(t.workerId());
        if (w == null) {
          continue;
        }
        if (w.state() == WorkerState.LAUNCHING) {
          policy.launchFailed(now, w.launchedAt(), true, "worker " + t.workerId() + " " + t.reason());
        }
        terminate(w, t.reason(), now);
      }
    }
  }

  private void launch(String reason, long now) {
    String id = "w-" + UUID.randomUUID().toString().substring(0, 8);
    workers.launching(id, now);
    lead.fence().onComplete(fenced -> {
      if (fenced.succeeded() && fenced.result()) {
        startLaunch(id, reason, now);
      } else {
        workers.remove(id);
        log.info("not launching worker {}: this balancer no longer leads ({})", id,
            fenced.failed() ? fenced.cause().getMessage() : "another balancer took the lead");
      }
    });
  }

  private void startLaunch(String id, String reason, long launchedAt) {
    event("launch", id, reason);
    log.atInfo().addKeyValue("event", "worker_launching").addKeyValue("workerId", id).addKeyValue("reason", reason)
        .log("launching worker {} on the {} fleet: {}", id, fleet.type(), reason);
    fleet.launch(id).onSuccess(member -> {
      log.atInfo().addKeyValue("event", "worker_launched").addKeyValue("workerId", id)
          .addKeyValue("workerInstanceId", member.instanceId()).log("worker {} launched as {}", id, member.instanceId());
      WorkerRecord w = workers.adopt(member, clock.getAsLong());
      if (w.state() == WorkerState.TERMINATING) {
        requestStop(w); // terminated while it launched: now there is something to stop
      }
    }).onFailure(e -> {
      workers.remove(id);
      boolean retryable = !(e instanceof LaunchException le) || le.retryable();
      policy.launchFailed(clock.getAsLong(), launchedAt, retryable, e.getMessage());
      event("launch-failed", id, e.getMessage());
      if (retryable) {
        log.atWarn().addKeyValue("event", "launch_failed").addKeyValue("workerId", id)
            .log("launching worker {} failed, retrying after back-off: {}", id, e.getMessage());
      } else {
        log.atError().addKeyValue("event", "launch_failed").addKeyValue("workerId", id)
            .log("launching worker {} failed; no more launches until the config is fixed: {}", id, e.getMessage());
      }
    });
  }

  /** A launched worker registered: the launch worked. */
  void launchSucceeded(String id) {
    policy.launchSucceeded();
    event("registered", id, "booted and registered");
  }

  void retire(String id, String reason, long now) {
    WorkerRecord w = workers.get(id);
    if (w == null || w.state().leaving()) {
      return;
    }
    w.moveTo(WorkerState.RETIRING, now);
    event("retire", id, reason);
    log.atInfo().addKeyValue("event", "worker_retiring").addKeyValue("workerId", id).addKeyValue("reason", reason)
        .log("retiring worker {}: {}", id, reason);
    onRetire.accept(id);
  }

  /** The worker left by itself (or is known gone): stop its process or instance, forget it. */
  void left(String id) {
    WorkerRecord w = workers.get(id);
    if (w == null) {
      return;
    }
    if (w.managed) {
      terminate(w, "left", clock.getAsLong());
    } else {
      workers.remove(id);
      onGone.accept(id);
    }
  }

  /**
   * Stops a managed worker for good: it gets no more work and its leases go back now, but its record
   * stays, TERMINATING, until the fleet confirms; a failed attempt is retried by the policy.
   */
  private void terminate(WorkerRecord w, String reason, long now) {
    if (w.state() != WorkerState.TERMINATING) {
      w.moveTo(WorkerState.TERMINATING, now);
      event("terminate", w.id(), reason);
      log.atInfo().addKeyValue("event", "worker_terminating").addKeyValue("workerId", w.id())
          .addKeyValue("workerInstanceId", w.instanceId == null ? "" : w.instanceId).addKeyValue("reason", reason)
          .log("terminating worker {} ({}): {}", w.id(), w.instanceId, reason);
      onRetire.accept(w.id());
      onGone.accept(w.id());
    } else if (now < w.nextTerminateAt()) {
      return; // an attempt is under way, or waits for its back-off
    }
    requestStop(w);
  }

  private void requestStop(WorkerRecord w) {
    policy.terminateStarted(w);
    FleetMember member = w.member;
    if (member == null) {
      return; // its launch has not answered yet; the answer asks again
    }
    lead.fence().compose(fenced -> fenced ? fleet.terminate(member)
        : Future.failedFuture(new IllegalStateException("this balancer no longer leads"))).onComplete(ar -> {
      long now = clock.getAsLong();
      if (ar.succeeded()) {
        workers.remove(w.id());
        event("terminated", w.id(), "the " + fleet.type() + " fleet stopped " + member.instanceId());
        log.atInfo().addKeyValue("event", "worker_terminated").addKeyValue("workerId", w.id())
            .addKeyValue("workerInstanceId", member.instanceId()).log("worker {} ({}) is stopped", w.id(), member.instanceId());
        return;
      }
      policy.terminateFailed(w, now, ar.cause().getMessage());
      long retryIn = w.nextTerminateAt() - now;
      event("terminate-failed", w.id(), ar.cause().getMessage() + "; trying again in " + retryIn + " ms");
      if (w.terminateFailures() == 1) {
        log.error("terminating worker {} ({}) failed; trying again in {} ms", w.id(), member.instanceId(), retryIn,
            ar.cause());
      } else {
        log.warn("terminating worker {} ({}) failed again ({} times); trying again in {} ms: {}", w.id(),
            member.instanceId(), w.terminateFailures(), retryIn, ar.cause().getMessage());
      }
    });
  }

  private void event(String kind, String workerId, String detail) {
    onEvent.accept(kind);
    events.addLast(new JsonObject()
        .put("at", Instant.ofEpochMilli(clock.getAsLong()).toString())
        .put("event", kind)
        .put("workerId", workerId)
        .put("detail", detail));
    while (events.size() > EVENTS_KEPT) {
      events.pollFirst();
    }
  }

  /** The planner's last sizing; null under the oldest-wait rule. */
  private JsonObject planJson() {
    if (cfg.rule() != ScalingConfig.Rule.PLANNER) {
      return null;
    }
    ScalingPolicy.Plan p = policy.lastPlan();
    return new JsonObject()
        .put("desiredWorkers", p.desiredWorkers())
        .put("backlogIterations", Math.round(p.backlogIterations()))
        .put("targetDrainMs", cfg.targetDrainMs())
        .put("workerHashRate", Double.isNaN(p.workerHashRate()) ? null : Math.round(p.workerHashRate()))
        .put("workerHashRateFrom", p.measured() ? "workers" : "workerHashRateEstimate");
  }

  JsonObject statusJson() {
    long now = clock.getAsLong();
    JsonArray recent = new JsonArray();
    events.descendingIterator().forEachRemaining(recent::add);
    return new JsonObject()
        .put("leads", lead.leads())
        .put("fleet", fleet.type())
        .put("minWorkers", cfg.minWorkers())
        .put("maxWorkers", cfg.maxWorkers())
        .put("rule", cfg.rule().configName())
        .put("plan", planJson())
        .put("consecutiveLaunchFailures", policy.consecutiveFailures())
        .put("nextLaunchInMs", Math.max(0, policy.nextLaunchAt() - now))
        .put("lastLaunchError", policy.lastFailure())
        .put("launchesBlocked", policy.blockedReason() != null)
        .put("launchesBlockedReason", policy.blockedReason())
        .put("recentEvents", recent);
  }
}
