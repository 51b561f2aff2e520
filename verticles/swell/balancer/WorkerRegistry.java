package swell.balancer;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import swell.fleet.FleetMember;
import swell.store.Coordination;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The workers the balancer knows, by id; plain state the verticle and the scaler share. With several
 * balancers on one store it is also this balancer's half of the cluster's worker table: what it
 * heard from workers goes out ({@link #takeContacts}), the leader's decisions go out
 * ({@link #decisions}), and the cluster's view comes back in ({@link #merge}).
 */
public final class WorkerRegistry {
  private final Map<String, WorkerRecord> workers = new LinkedHashMap<>();
  /** Records dropped since the last sync, for the leader to drop from the cluster's table too. */
  private final Set<String> forgotten = new LinkedHashSet<>();

  public WorkerRecord get(String id) {
    return workers.get(id);
  }

  public Collection<WorkerRecord> all() {
    return workers.values();
  }

  /** A launch began; the worker counts toward the fleet from now on. */
  public WorkerRecord launching(String id, long now) {
    WorkerRecord w = new WorkerRecord(id, true, WorkerState.LAUNCHING, now);
    workers.put(id, w);
    return w;
  }

  /**
   * A worker the fleet lists is managed, whoever launched it: found running, it counts as booting
   * until it registers; already known (it called in first), it keeps its state and becomes managed.
   */
  public WorkerRecord adopt(FleetMember member, long now) {
    WorkerRecord w = workers.get(member.workerId());
    if (w == null) {
      w = launching(member.workerId(), now);
    }
    w.managed = true;
    w.member = member;
    w.instanceId = member.instanceId();
    return w;
  }

  /**
   * A worker says hello, or polls without having done so (its balancer restarted). Returns the
   * record and whether it was booting, which means a launch just succeeded.
   */
  public WorkerRecord seen(String id, String instanceId, int threads, long now) {
    WorkerRecord w = workers.get(id);
    if (w == null) {
      w = new WorkerRecord(id, false, WorkerState.ACTIVE, now);
      workers.put(id, w);
    } else if (w.state == WorkerState.LAUNCHING) {
      w.moveTo(WorkerState.ACTIVE, now);
      w.lastWorkAt = now;
    }
    if (instanceId != null && !instanceId.isEmpty()) {
      w.instanceId = instanceId;
    }
    if (threads > 0) {
      w.threads = threads;
    }
    w.lastSeen = now;
    w.contacted = true;
    return w;
  }

  public WorkerRecord remove(String id) {
    WorkerRecord w = workers.remove(id);
    if (w != null) {
      forgotten.add(id);
    }
    return w;
  }

  public List<WorkerRecord> managed() {
    List<WorkerRecord> out = new ArrayList<>();
    for (WorkerRecord w : workers.values()) {
      if (w.managed) {
        out.add(w);
      }
    }
    return out;
  }

  /** Hand-started workers silent for this long are forgotten, so /status does not list them forever. */
  public void forgetSilent(long now, long silentMs) {
    workers.values().removeIf(w -> {
      boolean silent = !w.managed && now - w.lastSeen > silentMs;
      if (silent) {
        forgotten.add(w.id);
      }
      return silent;
    });
  }

  // ---- sharing with the other balancers ----------------------------------------------------

  /** What this balancer heard since the last sync, once: the results counted are handed over. */
  public List<Coordination.Contact> takeContacts() {
    List<Coordination.Contact> out = new ArrayList<>();
    for (WorkerRecord w : workers.values()) {
      if (w.contacted) {
        out.add(new Coordination.Contact(w.id, w.instanceId, w.threads, w.lastSeen, w.lastWorkAt,
            w.completedUnsynced, known(w.hashRate), known(w.busyFraction)));
        w.contacted = false;
        w.completedUnsynced = 0;
      }
    }
    return out;
  }

  /** The leader's decisions for every managed worker, with the fleet's handle. */
  public List<Coordination.Decision> decisions() {
    List<Coordination.Decision> out = new ArrayList<>();
    for (WorkerRecord w : workers.values()) {
      if (w.managed) {
        out.add(new Coordination.Decision(w.id, w.state.wireName(), w.since, w.launchedAt,
            w.member == null ? null : w.member.instanceId(), w.member == null ? null : w.member.launchedAt()));
      }
    }
    return out;
  }

  /** The workers dropped since the last call. */
  public List<String> takeForgotten() {
    List<String> out = new ArrayList<>(forgotten);
    forgotten.clear();
    return out;
  }

  /**
   * Takes in the cluster's view. Every balancer learns of contacts made elsewhere (when each
   * worker was last seen and last got work, what it completed). A follower takes the leader's
   * decisions as they are, so a retiring worker's poll is answered retire wherever it polls, and
   * drops the managed workers the leader dropped. The leader keeps its own decisions, adopts the
   * managed workers an earlier leader left, and learns that a worker it launched registered
   * elsewhere. Answers the ids of such workers: their launch succeeded.
   */
  public List<String> merge(List<Coordination.Worker> cluster, boolean leader, long now) {
    List<String> registered = new ArrayList<>();
    Set<String> listed = new HashSet<>();
    for (Coordination.Worker c : cluster) {
      listed.add(c.id());
      WorkerRecord w = workers.get(c.id());
      WorkerState decided = WorkerState.fromWireName(c.state());
      if (w == null) {
        w = new WorkerRecord(c.id(), c.managed(), decided, c.since(), c.launchedAt());
        workers.put(c.id(), w);
      } else if (!leader) {
        w.managed = c.managed();
        w.moveTo(decided, c.since());
      } else if (!w.managed && c.managed()) {
        w.managed = true; // an earlier leader's: this one carries its decisions on
        w.moveTo(decided, c.since());
      }
      if (w.member == null && c.memberInstance() != null) {
        w.member = new FleetMember(c.id(), c.memberInstance(), c.memberLaunchedAt() == null ? 0 : c.memberLaunchedAt());
        w.instanceId = w.instanceId == null ? c.memberInstance() : w.instanceId;
      }
      if (c.instanceId() != null) {
        w.instanceId = c.instanceId();
      }
      if (c.threads() > 0) {
        w.threads = c.threads();
      }
      w.lastWorkAt = Math.max(w.lastWorkAt, c.lastWorkAt());
      if (c.hashRate() != null || c.busyFraction() != null) {
        w.clusterStats(c.hashRate(), c.busyFraction(), c.lastSeen());
      }
      w.completed = c.completed() + w.completedUnsynced;
      if (leader && w.state == WorkerState.LAUNCHING && c.lastSeen() > w.since) {
        w.moveTo(WorkerState.ACTIVE, now);
        w.lastWorkAt = Math.max(w.lastWorkAt, c.lastSeen());
        registered.add(c.id());
      }
      w.lastSeen = Math.max(w.lastSeen, c.lastSeen());
    }
    if (!leader) {
      workers.values().removeIf(w -> w.managed && !listed.contains(w.id) && !w.contacted);
    }
    return registered;
  }

  /** A figure for the cluster's table: null when unknown. */
  private static Double known(double v) {
    return Double.isNaN(v) ? null : v;
  }

  /** What the worker's last heartbeat said of its compute threads, or null before one did. */
  private static JsonObject statsJson(WorkerRecord w, long now) {
    if (w.statsAt == Long.MIN_VALUE) {
      return null;
    }
    return new JsonObject()
        .put("hashRate", Double.isNaN(w.hashRate) ? null : Math.round(w.hashRate))
        .put("busyFraction", Double.isNaN(w.busyFraction) ? null : Math.round(w.busyFraction * 1000) / 1000.0)
        .put("completed", w.reportedCompleted < 0 ? null : w.reportedCompleted)
        .put("reportedMsAgo", now - w.statsAt);
  }

  public JsonArray toJson(long now) {
    JsonArray out = new JsonArray();
    for (WorkerRecord w : workers.values()) {
      JsonObject j = new JsonObject()
          .put("id", w.id)
          .put("instanceId", w.instanceId)
          .put("state", w.state.wireName())
          .put("managed", w.managed)
          .put("since", Instant.ofEpochMilli(w.since).toString())
          .put("lastSeenMsAgo", now - w.lastSeen)
          .put("idleMs", now - w.lastWorkAt)
          .put("threads", w.threads)
          .put("completed", w.completed)
          .put("stats", statsJson(w, now));
      if (w.state == WorkerState.TERMINATING && w.terminateFailures > 0) {
        j.put("terminateFailures", w.terminateFailures)
            .put("lastTerminateError", w.lastTerminateError)
            .put("nextTerminateInMs", w.nextTerminateAt == Long.MAX_VALUE ? null : Math.max(0, w.nextTerminateAt - now));
      }
      out.add(j);
    }
    return out;
  }
}
