package swell.balancer;

import swell.store.QueueStats;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Decides, once a tick, how the fleet should change: launch the workers the backlog needs, retire
 * workers idle too long or beyond maxWorkers, terminate workers that never booted or never left,
 * and try again to stop workers whose termination failed. Plain Java with the time passed in, so
 * tests (and {@code swell.bench.ScalingSim}) drive it with a fake clock. It remembers failed
 * launches and backs off exponentially; a failure that retrying cannot fix stops launches until the
 * balancer restarts.
 *
 * <p>The planner ({@link ScalingConfig.Rule#PLANNER}) sizes the fleet from the backlog: the workers
 * that compute the pending iterations, plus an estimate of what is still running, within
 * targetDrainMs at the rate workers measure and report. Every missing worker is launched in one tick,
 * booting ones counted, once the oldest work waited longer than scaleOutAfterMs. Idle workers retire
 * after idleTimeoutMs, and so does capacity the fleet as a whole left unused that long, but never
 * below what the pending backlog needs. {@link ScalingConfig.Rule#OLDEST_WAIT} keeps the rule that
 * came before: one launch per tick when the oldest work waited, none while one boots during
 * scaleOutCooldownMs, and only idle workers retire.
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

  /**
   * What the planner made of the last tick, for /status: the workers the backlog needs, the
   * iterations it counted, and the per-worker rate it used (measured, or the configured estimate).
   */
  public record Plan(int desiredWorkers, double backlogIterations, double workerHashRate, boolean measured) {
  }

  /** The first pause after a failure, doubled with each further one up to maxBackoffMs. */
  private static final long FIRST_BACKOFF_MS = 1_000;
  /**
   * A worker busy less than this share of its last interval says little about its speed (its rate
   * is divided by it), so it is left out of the measured rate.
   */
  private static final double MIN_BUSY_TO_MEASURE = 0.05;
  /**
   * Works in flight are, on average, half done: their remaining iterations are counted as half of
   * a pending work's mean size each (the queue's stats count leased works, not their iterations).
   */
  private static final double IN_FLIGHT_SHARE_LEFT = 0.5;
  private static final double MS_PER_SECOND = 1000.0;
  /** Busy fractions summing to 3.0001 are three workers' load, not four (floating-point sums). */
  private static final double LOAD_ROUNDING = 1e-6;

  private final ScalingConfig cfg;
  private final boolean canLaunch;
  private int consecutiveFailures;
  private long nextLaunchAt;
  /** When the last retryable launch failure was reported: launches made before it failed with it. */
  private long lastFailureAt = Long.MIN_VALUE;
  private long lastLaunchAt = Long.MIN_VALUE / 2;
  private String blockedReason;
  private String lastFailure;
  /** The last rate workers measured, kept for when none is busy enough to measure (between bursts). */
  private double lastMeasuredRate = Double.NaN;
  private Plan lastPlan = new Plan(0, 0, Double.NaN, false);
  /** Since when the fleet has had whole workers' worth of capacity unused, and the least of it since. */
  private long unusedSince = Long.MIN_VALUE;
  private int leastUnused;

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
    boolean backlogWaited = queue.pending() > 0 && queue.oldestPendingAgeMs() > cfg.scaleOutAfterMs();
    int keep = cfg.minWorkers();
    if (cfg.rule() == ScalingConfig.Rule.PLANNER) {
      lastPlan = plan(queue, active);
      keep = Math.max(keep, lastPlan.desiredWorkers());
      if (launchAllowed) {
        launchPlanned(fleet, backlogWaited, now, actions);
      }
    } else if (launchAllowed && fleet < cfg.minWorkers()) {
      actions.add(new Launch("below minWorkers=" + cfg.minWorkers()));
      lastLaunchAt = now;
    } else if (launchAllowed && backlogWaited && (launching == 0 || now - lastLaunchAt >= cfg.scaleOutCooldownMs())) {
      actions.add(new Launch("oldest pending work waited " + queue.oldestPendingAgeMs() + " ms"));
      lastLaunchAt = now;
    }

    int unused = cfg.rule() == ScalingConfig.Rule.PLANNER ? unusedWorkers(queue, active, keep, now) : 0;
    retire(active, keep, unused, now, actions);
    return actions;
  }

  /**
   * The workers that drain the backlog within targetDrainMs, at most maxWorkers. The backlog is the
   * pending iterations and what remains of the works in flight; the rate is the mean capacity of the
   * workers that measured theirs (rate over busy fraction: what the worker does when fully busy).
   */
  private Plan plan(QueueStats queue, List<WorkerRecord> active) {
    double rate = measuredRate(active);
    boolean measured = !Double.isNaN(rate);
    if (measured) {
      lastMeasuredRate = rate;
    } else if (!Double.isNaN(lastMeasuredRate)) {
      rate = lastMeasuredRate;
      measured = true;
    } else {
      rate = cfg.workerHashRateEstimate();
    }
    if (queue.pending() == 0) {
      return new Plan(0, 0, rate, measured);
    }
    double meanWork = (double) queue.pendingIterations() / queue.pending();
    double backlog = queue.pendingIterations() + queue.leased() * meanWork * IN_FLIGHT_SHARE_LEFT;
    double perWorker = rate * cfg.targetDrainMs() / MS_PER_SECOND;
    long needed = (long) Math.ceil(backlog / perWorker);
    return new Plan((int) Math.min(cfg.maxWorkers(), Math.max(1, needed)), backlog, rate, measured);
  }

  private static double measuredRate(List<WorkerRecord> active) {
    double sum = 0;
    int n = 0;
    for (WorkerRecord w : active) {
      double rate = w.hashRate();
      double busy = w.busyFraction();
      if (rate > 0 && busy >= MIN_BUSY_TO_MEASURE) {
        sum += rate / busy;
        n++;
      }
    }
    return n == 0 ? Double.NaN : sum / n;
  }

  /** Launches, in this one tick, every worker missing to minWorkers or to the plan. */
  private void launchPlanned(int fleet, boolean backlogWaited, long now, List<Action> actions) {
    int planned = backlogWaited ? lastPlan.desiredWorkers() : 0;
    int target = Math.min(cfg.maxWorkers(), Math.max(cfg.minWorkers(), planned));
    String reason = planned > cfg.minWorkers()
        ? String.format(Locale.ROOT, "%.3g iterations to do need %d workers to drain within targetDrainMs=%d at %.3g"
            + " hashes/s each (%s)", lastPlan.backlogIterations(), planned, cfg.targetDrainMs(),
            lastPlan.workerHashRate(), lastPlan.measured() ? "measured" : "workerHashRateEstimate")
        : "below minWorkers=" + cfg.minWorkers();
    for (int i = fleet; i < target; i++) {
      actions.add(new Launch(reason));
      lastLaunchAt = now;
    }
  }

  /**
   * Workers' worth of capacity the fleet has left unused for idleTimeoutMs on end, with nothing
   * pending: the least, over that time, of the active workers minus their summed busy fractions
   * (rounded up; a worker that reported none counts as busy) and minus what must be kept. The
   * dispatcher hands works to whichever worker polls, which spreads a light load over the whole
   * fleet, so that no single worker goes idle for idleTimeoutMs however many too many there are:
   * this is the idle rule counted over the fleet instead of worker by worker.
   */
  private int unusedWorkers(QueueStats queue, List<WorkerRecord> active, int keep, long now) {
    double load = 0;
    for (WorkerRecord w : active) {
      load += Double.isNaN(w.busyFraction()) ? 1 : w.busyFraction();
    }
    int unused = active.size() - Math.max(keep, (int) Math.ceil(load - LOAD_ROUNDING));
    if (queue.pending() > 0 || unused <= 0) {
      unusedSince = Long.MIN_VALUE;
      return 0;
    }
    if (unusedSince == Long.MIN_VALUE) {
      unusedSince = now;
      leastUnused = unused;
      return 0;
    }
    leastUnused = Math.min(leastUnused, unused);
    if (now - unusedSince <= cfg.idleTimeoutMs()) {
      return 0;
    }
    unusedSince = Long.MIN_VALUE;
    return leastUnused;
  }

  /**
   * Beyond maxWorkers (an earlier balancer's workers, all adopted) the idlest retire, busy or not:
   * retiring lets them finish what they hold. Beyond {@code keep} (minWorkers, or the workers the
   * backlog needs), those idle for idleTimeoutMs retire, and then, idlest first, as many more as
   * the fleet left {@code unused}.
   */
  private void retire(List<WorkerRecord> active, int keep, int unused, long now, List<Action> actions) {
    List<WorkerRecord> idlestFirst = new ArrayList<>(active);
    idlestFirst.sort(Comparator.comparingLong(WorkerRecord::lastWorkAt));
    int surplus = active.size() - cfg.maxWorkers();
    int removable = active.size() - keep;
    for (WorkerRecord w : idlestFirst) {
      if (removable <= 0) {
        break;
      }
      long idle = now - w.lastWorkAt();
      if (surplus > 0) {
        actions.add(new Retire(w.id(), "above maxWorkers=" + cfg.maxWorkers()));
        surplus--;
      } else if (idle > cfg.idleTimeoutMs()) {
        actions.add(new Retire(w.id(), "no work for " + idle + " ms"));
      } else if (unused > 0) {
        actions.add(new Retire(w.id(), "the fleet left " + unused + " workers' capacity unused for idleTimeoutMs="
            + cfg.idleTimeoutMs()));
      } else {
        continue;
      }
      removable--;
      unused--;
    }
  }

  /**
   * A launch failed (or a launched worker never booted); retrying later may or may not help. A
   * failure counts towards the back-off only if its launch was made after the previous failure was
   * known: when a batch of launches fails, the batch backs off once, not once per worker in it.
   */
  public void launchFailed(long now, long launchedAt, boolean retryable, String message) {
    lastFailure = message;
    if (!retryable) {
      consecutiveFailures++;
      blockedReason = message;
      return;
    }
    if (launchedAt < lastFailureAt) {
      return;
    }
    lastFailureAt = now;
    consecutiveFailures++;
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

  /** The planner's view at the last tick (all zero under the oldest-wait rule). */
  public Plan lastPlan() {
    return lastPlan;
  }
}
