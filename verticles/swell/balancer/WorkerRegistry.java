package swell.balancer;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import swell.fleet.FleetMember;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The workers the balancer knows, by id; plain state the verticle and the scaler share. */
public final class WorkerRegistry {
  private final Map<String, WorkerRecord> workers = new LinkedHashMap<>();

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
    return w;
  }

  public WorkerRecord remove(String id) {
    return workers.remove(id);
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
    workers.values().removeIf(w -> !w.managed && now - w.lastSeen > silentMs);
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
