package swell.bench;

import swell.balancer.ScalingConfig;
import swell.balancer.ScalingPolicy;
import swell.balancer.WorkerRecord;
import swell.balancer.WorkerRegistry;
import swell.balancer.WorkerState;
import swell.store.QueueStats;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * One run of a {@link SimScenario} under one scaling policy, on a fake clock: the queue, a fleet of
 * simulated workers, and the policy's actions carried out as {@code FleetScaler} carries them out.
 * Discrete events: a work arrives, a compute thread finishes, a worker registers, a launch is
 * refused, a heartbeat, a scaler tick.
 *
 * <p>Workers behave as the real ones do with heavy works: each compute thread holds one work at a
 * time and a free thread gets the oldest pending work (free threads queue up like waiting
 * long-polls); a heartbeat every 5 s reports the hash rate and busy fraction the way
 * {@code ComputeStats} computes them, and marks the worker not idle while it holds work. A worker
 * is paid for from its launch to the moment it is gone (it left after retiring, or was terminated);
 * a refused launch costs nothing.
 */
final class SimFleet {
  /** The worker's default heartbeat period (heartbeatMs, under a third of the default leaseMs). */
  static final long HEARTBEAT_MS = 5_000;
  /** A run that has not drained this long after the last arrival is cut off and reported incomplete. */
  private static final long GIVE_UP_AFTER_MS = 24 * 3_600_000L;

  /** What a policy under test sees and does; the real ScalingPolicy and the oracle implement it. */
  interface Policy {
    List<ScalingPolicy.Action> decide(SimFleet fleet, long now);

    void launchFailed(long now, long launchedAt);

    void launchSucceeded();
  }

  /** A work in the simulation. */
  static final class Work {
    final long arrivedAt;
    final long iterations;
    final int seq;
    long startedAt = -1;

    Work(long arrivedAt, long iterations, int seq) {
      this.arrivedAt = arrivedAt;
      this.iterations = iterations;
      this.seq = seq;
    }
  }

  /** A simulated worker; {@code record} is the balancer's view of it, which the policy reads. */
  static final class Worker {
    final String id;
    final WorkerRecord record;
    final long launchedAt;
    final long readyAt;
    /** Hashes per millisecond of one of its threads. */
    final double ratePerThread;
    final Work[] running;
    final long[] runningSince;
    long lastHeartbeat;
    double busyMsSinceHeartbeat;
    boolean finishedAWork;
    long completed;
    boolean registered;
    boolean retiring;
    boolean gone;
    /** When it stopped being paid for; -1 while it runs. */
    long goneAt = -1;

    Worker(String id, WorkerRecord record, long launchedAt, long readyAt, double ratePerThread, int threads) {
      this.id = id;
      this.record = record;
      this.launchedAt = launchedAt;
      this.readyAt = readyAt;
      this.ratePerThread = ratePerThread;
      this.running = new Work[threads];
      this.runningSince = new long[threads];
    }

    boolean idle() {
      for (Work w : running) {
        if (w != null) {
          return false;
        }
      }
      return true;
    }

    /** Iterations its running works still need. */
    double remaining(long now) {
      double left = 0;
      for (int i = 0; i < running.length; i++) {
        if (running[i] != null) {
          left += Math.max(0, running[i].iterations - (now - runningSince[i]) * ratePerThread);
        }
      }
      return left;
    }

    /** Hashes per millisecond with every thread busy. */
    double rate() {
      return ratePerThread * running.length;
    }
  }

  private enum Kind { TICK, DONE, BOOTED, REFUSED, HEARTBEAT }

  private record Event(long at, long seq, Kind kind, Worker worker, int thread, Work work) {
  }

  private record Slot(Worker worker, int thread) {
  }

  private final SimScenario scenario;
  private final ScalingConfig cfg;
  private final Policy policy;
  private final WorkerRegistry registry = new WorkerRegistry();
  private final Map<String, Worker> workers = new LinkedHashMap<>();
  private final List<Worker> everLaunched = new ArrayList<>();
  private final Random launchDice;
  private final Random rateDice;
  private final PriorityQueue<Event> events =
      new PriorityQueue<>(Comparator.comparingLong(Event::at).thenComparingLong(Event::seq));
  private final PriorityQueue<Work> pending =
      new PriorityQueue<>(Comparator.comparingLong((Work w) -> w.arrivedAt).thenComparingInt(w -> w.seq));
  private final ArrayDeque<Slot> freeThreads = new ArrayDeque<>();
  private final Work[] works;
  private int nextArrival;
  private long eventSeq;
  private long now;
  private long pendingIterations;
  private int leased;
  private int completed;
  private long lastCompletion;
  private int workerSeq;
  private int refused;
  private int peakFleet;

  SimFleet(SimScenario scenario, Policy policy) {
    this.scenario = scenario;
    this.cfg = scenario.config();
    this.policy = policy;
    this.launchDice = new Random(scenario.seed() * 31 + 7);
    this.rateDice = new Random(scenario.seed() * 31 + 11);
    List<SimScenario.Arrival> arrivals = scenario.arrivals();
    works = new Work[arrivals.size()];
    for (int i = 0; i < works.length; i++) {
      works[i] = new Work(arrivals.get(i).atMs(), arrivals.get(i).iterations(), i);
    }
  }

  // ---- what policies read -------------------------------------------------------------------

  SimScenario scenario() {
    return scenario;
  }

  WorkerRegistry registry() {
    return registry;
  }

  Collection<Worker> workers() {
    return workers.values();
  }

  /** Works not yet arrived, in arrival order, from index {@link #nextArrival()}: the oracle's foresight. */
  Work[] works() {
    return works;
  }

  int nextArrival() {
    return nextArrival;
  }

  long pendingIterations() {
    return pendingIterations;
  }

  int pendingCount() {
    return pending.size();
  }

  QueueStats queueStats() {
    Work oldest = pending.peek();
    return new QueueStats(pending.size(), pendingIterations, oldest == null ? 0 : now - oldest.arrivedAt, leased,
        0, 0, 0);
  }

  // ---- the run ------------------------------------------------------------------------------

  SimResult run(String policyName) {
    schedule(0, Kind.TICK, null, -1, null);
    long lastArrival = works.length == 0 ? 0 : works[works.length - 1].arrivedAt;
    boolean drained = false;
    while (true) {
      Event e = events.peek(); // never empty: every tick schedules the next
      if (nextArrival < works.length && works[nextArrival].arrivedAt <= e.at()) {
        now = works[nextArrival].arrivedAt;
        arrive(works[nextArrival++]);
        continue;
      }
      events.poll();
      now = e.at();
      if (e.kind() == Kind.TICK) {
        if (nextArrival == works.length && completed == works.length && workers.isEmpty()) {
          drained = true;
          break;
        }
        if (now > lastArrival + GIVE_UP_AFTER_MS) {
          break;
        }
        tick();
        continue;
      }
      switch (e.kind()) {
        case DONE -> done(e.worker(), e.thread(), e.work());
        case BOOTED -> booted(e.worker());
        case REFUSED -> refused(e.worker());
        case HEARTBEAT -> heartbeat(e.worker());
        default -> throw new IllegalStateException(e.kind().toString());
      }
    }
    return result(policyName, drained, lastArrival);
  }

  private void schedule(long at, Kind kind, Worker w, int thread, Work work) {
    events.add(new Event(at, eventSeq++, kind, w, thread, work));
  }

  private void tick() {
    for (ScalingPolicy.Action a : policy.decide(this, now)) {
      if (a instanceof ScalingPolicy.Launch) {
        launch();
      } else if (a instanceof ScalingPolicy.Retire r) {
        retire(workers.get(r.workerId()));
      } else if (a instanceof ScalingPolicy.Terminate t) {
        terminate(workers.get(t.workerId()));
      }
    }
    int fleet = 0;
    for (Worker w : workers.values()) {
      if (!w.retiring) {
        fleet++;
      }
    }
    peakFleet = Math.max(peakFleet, fleet);
    schedule(now + cfg.tickMs(), Kind.TICK, null, -1, null);
  }

  private void launch() {
    String id = "w-" + ++workerSeq;
    WorkerRecord record = registry.launching(id, now);
    double spread = 1 + scenario.rateSpread() * (2 * rateDice.nextDouble() - 1);
    double ratePerThread = scenario.hashesPerThread() * spread / 1000.0;
    Worker w = new Worker(id, record, now, now + scenario.bootMs(), ratePerThread, scenario.threadsPerWorker());
    workers.put(id, w);
    if (launchDice.nextDouble() < scenario.launchFailureRate()) {
      schedule(now + scenario.launchAnswerMs(), Kind.REFUSED, w, -1, null);
    } else {
      everLaunched.add(w);
      schedule(w.readyAt, Kind.BOOTED, w, -1, null);
    }
  }

  private void refused(Worker w) {
    refused++;
    w.gone = true;
    workers.remove(w.id);
    registry.remove(w.id);
    policy.launchFailed(now, w.launchedAt);
  }

  private void booted(Worker w) {
    if (w.gone) {
      return; // terminated while it booted
    }
    registry.seen(w.id, null, w.running.length, now);
    w.registered = true;
    w.lastHeartbeat = now;
    policy.launchSucceeded();
    for (int t = 0; t < w.running.length; t++) {
      freeThreads.add(new Slot(w, t));
    }
    schedule(now + HEARTBEAT_MS, Kind.HEARTBEAT, w, -1, null);
    dispatch();
  }

  private void arrive(Work work) {
    pending.add(work);
    pendingIterations += work.iterations;
    dispatch();
  }

  /** Free threads take the oldest pending works, the thread that waited longest first. */
  private void dispatch() {
    while (!pending.isEmpty() && !freeThreads.isEmpty()) {
      Slot slot = freeThreads.poll();
      Worker w = slot.worker();
      if (w.gone || w.retiring || w.running[slot.thread()] != null) {
        continue;
      }
      Work work = pending.poll();
      pendingIterations -= work.iterations;
      leased++;
      if (work.startedAt < 0) {
        work.startedAt = now;
      }
      w.running[slot.thread()] = work;
      w.runningSince[slot.thread()] = now;
      w.record.workedAt(now);
      long took = (long) Math.ceil(work.iterations / w.ratePerThread);
      schedule(now + took, Kind.DONE, w, slot.thread(), work);
    }
  }

  private void done(Worker w, int thread, Work work) {
    if (w.gone || w.running[thread] != work) {
      return; // its worker was terminated and the work went back
    }
    w.running[thread] = null;
    w.busyMsSinceHeartbeat += now - Math.max(w.runningSince[thread], w.lastHeartbeat);
    w.finishedAWork = true;
    w.completed++;
    leased--;
    completed++;
    lastCompletion = now;
    if (w.retiring) {
      if (w.idle()) {
        leave(w);
      }
    } else {
      freeThreads.add(new Slot(w, thread));
      dispatch();
    }
  }

  /** As ComputeStats reports it: busy time in the interval times the speed measured on finished works. */
  private void heartbeat(Worker w) {
    if (w.gone) {
      return;
    }
    double busy = w.busyMsSinceHeartbeat;
    for (int t = 0; t < w.running.length; t++) {
      if (w.running[t] != null) {
        busy += now - Math.max(w.runningSince[t], w.lastHeartbeat);
      }
    }
    long interval = now - w.lastHeartbeat;
    double hashRate = w.finishedAWork ? w.ratePerThread * 1000 * busy / interval : Double.NaN;
    w.record.reportStats(hashRate, busy / ((double) interval * w.running.length), w.completed, w.running.length, now);
    if (!w.idle()) {
      w.record.workedAt(now); // as the heartbeat route does for a worker that holds work
    }
    w.busyMsSinceHeartbeat = 0;
    w.lastHeartbeat = now;
    schedule(now + HEARTBEAT_MS, Kind.HEARTBEAT, w, -1, null);
  }

  private void retire(Worker w) {
    if (w == null || w.retiring) {
      return;
    }
    w.retiring = true;
    w.record.moveTo(WorkerState.RETIRING, now);
    if (w.idle()) {
      leave(w);
    }
  }

  private void leave(Worker w) {
    w.gone = true;
    w.goneAt = now;
    workers.remove(w.id);
    registry.remove(w.id);
  }

  /** Stops it now (it never booted, or never left): its running works go back to the queue. */
  private void terminate(Worker w) {
    if (w == null) {
      return;
    }
    if (!w.registered) {
      policy.launchFailed(now, w.launchedAt);
    }
    for (int t = 0; t < w.running.length; t++) {
      if (w.running[t] != null) {
        pending.add(w.running[t]);
        pendingIterations += w.running[t].iterations;
        leased--;
        w.running[t] = null;
      }
    }
    leave(w);
    dispatch();
  }

  private SimResult result(String policyName, boolean drained, long lastArrival) {
    long[] waits = new long[works.length];
    int started = 0;
    for (Work w : works) {
      if (w.startedAt >= 0) {
        waits[started++] = w.startedAt - w.arrivedAt;
      }
    }
    waits = Arrays.copyOf(waits, started);
    Arrays.sort(waits);
    long p95 = waits.length == 0 ? 0 : waits[(int) Math.ceil(0.95 * waits.length) - 1];
    double paidMs = 0;
    for (Worker w : everLaunched) {
      paidMs += (w.goneAt < 0 ? now : w.goneAt) - w.launchedAt;
    }
    return new SimResult(scenario.name(), policyName, drained && completed == works.length,
        lastCompletion - lastArrival, p95, paidMs / 60_000.0, peakFleet, everLaunched.size() + refused, refused);
  }
}
