package swell.balancer;

import swell.store.QueueStats;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Decides, once a tick, how the fleet should change: launch when the oldest work waited too long,
 * retire workers idle too long or beyond maxWorkers, terminate workers that never booted or never
 * left, and try again to stop workers whose termination failed. Plain Java with the time passed in,
 * so tests drive it with a fake clock. It remembers failed launches and backs off exponentially; a
 * failure that retrying cannot fix stops launches until the balancer restarts.
 */
public final class ScalingPolicy {

  /** One change to the fleet. */
  public sealed interface Action permits Launch, Retire, Terminate {
  }

  /** Start one more worker. */
  public record Launch(String reason) implements Action {
  }

  /** Tell a worker to drain and leave. */
  public record Retire(String workerId, String reason) implements Action {
  }

  /** Stop a worker now, without waiting for it (again, if an earlier attempt failed). */
  public record Terminate(String workerId, String reason) implements Action {
  }

  /** The first pause after a failure, doubled with each further one up to maxBackoffMs. */
  private static final long FIRST_BACKOFF_MS = 1_000;

  private final ScalingConfig cfg;
  private final boolean canLaunch;
  private int consecutiveFailures;
  private long nextLaunchAt;
  private long lastLaunchAt = Long.MIN_VALUE / 2;
  private String blockedReason;
  private String lastFailure;

  /** @param canLaunch false for fleet {@code none}: the policy then never launches or terminates */
  public ScalingPolicy(ScalingConfig cfg, boolean canLaunch) {
    this.cfg = cfg;
    this.canLaunch = canLaunch;
  }

  public List<Action> decide(QueueStats queue, List<WorkerRecord> managed, long now) {
    List<Action> actions = new ArrayList<>();
    if (!canLaunch) {
      return actions;
    }
    int launching = 0;
    List<WorkerRecord> active = new ArrayList<>();
    for (WorkerRecord w : managed) {
      switch (w.state()) {
        case LAUNCHING -> {
          if (now - w.launchedAt() > cfg.bootTimeoutMs()) {
            actions.add(new Terminate(w.id(), "did not register within bootTimeoutMs=" + cfg.bootTimeoutMs()));
          } else {
            launching++;
          }
        }
        case ACTIVE -> active.add(w);
        case RETIRING -> {
          if (now - w.since() > cfg.retireTimeoutMs()) {
            actions.add(new Terminate(w.id(), "did not leave within retireTimeoutMs=" + cfg.retireTimeoutMs()));
          }
        }
        case TERMINATING -> {
          if (now >= w.nextTerminateAt()) {
            actions.add(new Terminate(w.id(), "trying again after " + w.terminateFailures() + " failed attempts"));
          }
        }
      }
    }

    int fleet = active.size() + launching;
    boolean launchAllowed = blockedReason == null && now >= nextLaunchAt && fleet < cfg.maxWorkers();
    if (launchAllowed && fleet < cfg.minWorkers()) {
      actions.add(new Launch("below minWorkers=" + cfg.minWorkers()));
      lastLaunchAt = now;
    } else if (launchAllowed && queue.pending() > 0 && queue.oldestPendingAgeMs() > cfg.scaleOutAfterMs()
        && (launching == 0 || now - lastLaunchAt >= cfg.scaleOutCooldownMs())) {
      actions.add(new Launch("oldest pending work waited " + queue.oldestPendingAgeMs() + " ms"));
      lastLaunchAt = now;
    }

    retire(active, now, actions);
    return actions;
  }

  /**
   * Beyond maxWorkers (an earlier balancer's workers, all adopted) the idlest retire, busy or not:
   * retiring lets them finish what they hold. Beyond minWorkers, those idle for idleTimeoutMs retire.
   */
  private void retire(List<WorkerRecord> active, long now, List<Action> actions) {
    List<WorkerRecord> idlestFirst = new ArrayList<>(active);
    idlestFirst.sort(Comparator.comparingLong(WorkerRecord::lastWorkAt));
    int surplus = active.size() - cfg.maxWorkers();
    int removable = active.size() - cfg.minWorkers();
    for (WorkerRecord w : idlestFirst) {
      if (removable <= 0) {
        break;
      }
      long idle = now - w.lastWorkAt();
      if (surplus > 0) {
        actions.add(new Retire(w.id(), "above maxWorkers=" + cfg.maxWorkers()));
        surplus--;
        removable--;
      } else if (idle > cfg.idleTimeoutMs()) {
        actions.add(new Retire(w.id(), "no work for " + idle + " ms"));
        removable--;
      }
    }
  }

  /** A launch failed (or a launched worker never booted); retrying later may or may not help. */
  public void launchFailed(long now, boolean retryable, String message) {
    lastFailure = message;
    consecutiveFailures++;
    if (!retryable) {
      blockedReason = message;
      return;
    }
    nextLaunchAt = now + backoff(consecutiveFailures);
  }

  /** A request to stop the worker went to the fleet: no other until it answers. */
  public void terminateStarted(WorkerRecord w) {
    w.nextTerminateAt = Long.MAX_VALUE;
  }

  /** The fleet could not stop the worker: try again after a back-off, as for launches. */
  public void terminateFailed(WorkerRecord w, long now, String message) {
    w.terminateFailures++;
    w.lastTerminateError = message;
    w.nextTerminateAt = now + backoff(w.terminateFailures);
  }

  /** The pause after the n-th failure in a row: 1 s, doubling, at most maxBackoffMs. */
  long backoff(int failures) {
    return Math.min(cfg.maxBackoffMs(), FIRST_BACKOFF_MS << Math.min(30, failures - 1));
  }

  /** A launched worker registered: the fleet works, so the back-off starts over. */
  public void launchSucceeded() {
    consecutiveFailures = 0;
    nextLaunchAt = 0;
  }

  public int consecutiveFailures() {
    return consecutiveFailures;
  }

  public long nextLaunchAt() {
    return nextLaunchAt;
  }

  /** Why launching stopped for good, or null while it may go on. */
  public String blockedReason() {
    return blockedReason;
  }

  public String lastFailure() {
    return lastFailure;
  }
}
