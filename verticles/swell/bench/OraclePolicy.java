package swell.bench;

import swell.balancer.ScalingConfig;
import swell.balancer.ScalingPolicy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The yardstick for {@link ScalingSim}: a policy that knows every future arrival, every worker's
 * true rate and the exact boot time, and holds itself to the same need as the planner (a fleet that
 * drains the backlog within targetDrainMs, within minWorkers..maxWorkers).
 *
 * <p>Each tick it computes, with a fluid model of the queue (arrivals it knows, capacity of the
 * workers it has and of those booting from the moment they are ready), the backlog one boot time
 * ahead, and launches now exactly the workers missing for that backlog: every worker is ready the
 * moment the work it is for arrives, and none is launched that the backlog will not need. It
 * retires a worker the moment it is idle with nothing pending, unless the fleet without it would
 * fall short of the need within one boot time (keeping it is then cheaper than relaunching it).
 * It cannot foresee which launches the fleet will refuse: it sees a refusal when it comes, like
 * anyone, and launches again at once, without back-off. It has no boot timeouts to handle (no
 * simulated boot hangs) and ignores scaleOutAfterMs, which only guards against noise it does not have.
 */
final class OraclePolicy implements SimFleet.Policy {
  /** The fluid model's step. */
  private static final long STEP_MS = 1_000;

  @Override
  public List<ScalingPolicy.Action> decide(SimFleet fleet, long now) {
    SimScenario sc = fleet.scenario();
    ScalingConfig cfg = sc.config();
    List<SimFleet.Worker> kept = new ArrayList<>();
    for (SimFleet.Worker w : fleet.workers()) {
      if (!w.retiring) {
        kept.add(w);
      }
    }
    List<ScalingPolicy.Action> actions = new ArrayList<>();
    double backlog = fleet.pendingIterations();
    for (SimFleet.Worker w : kept) {
      backlog += w.remaining(now);
    }
    double atBoot = forecast(fleet, now, backlog, kept).lastBacklog;
    int wanted = Math.min(cfg.maxWorkers(), Math.max(cfg.minWorkers(), need(sc, atBoot)));
    for (int i = kept.size(); i < wanted; i++) {
      actions.add(new ScalingPolicy.Launch("oracle: the backlog one boot time ahead needs " + wanted));
    }
    if (!actions.isEmpty() || fleet.pendingCount() > 0) {
      return actions;
    }
    List<SimFleet.Worker> idle = new ArrayList<>();
    for (SimFleet.Worker w : kept) {
      if (w.registered && w.idle()) {
        idle.add(w);
      }
    }
    idle.sort(Comparator.comparingLong(w -> w.record.lastWorkAt()));
    for (SimFleet.Worker w : idle) {
      if (kept.size() <= cfg.minWorkers()) {
        break;
      }
      List<SimFleet.Worker> without = new ArrayList<>(kept);
      without.remove(w);
      if (forecast(fleet, now, backlog, without).alwaysEnough) {
        actions.add(new ScalingPolicy.Retire(w.id, "oracle: not needed within a boot time"));
        kept = without;
      }
    }
    return actions;
  }

  /** Workers that drain this many iterations within targetDrainMs at the nominal rate. */
  private static int need(SimScenario sc, double backlog) {
    if (backlog <= 0) {
      return 0;
    }
    double perWorker = sc.threadsPerWorker() * sc.hashesPerThread() * sc.config().targetDrainMs() / 1000.0;
    return (int) Math.ceil(backlog / perWorker);
  }

  private record Forecast(double lastBacklog, boolean alwaysEnough) {
  }

  /**
   * The backlog second by second over the next boot time with these workers (each from when it is
   * ready), and whether they are enough for it at every step.
   */
  private static Forecast forecast(SimFleet fleet, long now, double backlog, List<SimFleet.Worker> workers) {
    SimScenario sc = fleet.scenario();
    SimFleet.Work[] works = fleet.works();
    int next = fleet.nextArrival();
    boolean enough = true;
    for (long t = now + STEP_MS; t <= now + sc.bootMs(); t += STEP_MS) {
      while (next < works.length && works[next].arrivedAt <= t) {
        backlog += works[next++].iterations;
      }
      double capacity = 0;
      int ready = 0;
      for (SimFleet.Worker w : workers) {
        if (w.readyAt <= t) {
          capacity += w.rate() * STEP_MS;
          ready++;
        }
      }
      backlog = Math.max(0, backlog - capacity);
      if (need(sc, backlog) > ready) {
        enough = false;
      }
    }
    return new Forecast(backlog, enough);
  }

  @Override
  public void launchFailed(long now, long launchedAt) {
    // nothing to remember: the next tick sees the worker missing and launches again
  }

  @Override
  public void launchSucceeded() {
  }
}
