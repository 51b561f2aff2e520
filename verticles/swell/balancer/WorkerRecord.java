package swell.balancer;

import swell.fleet.FleetMember;

/**
 * What the balancer knows of one worker. {@code managed} workers were launched (or adopted) through
 * the fleet, so the scaler may retire and terminate them; hand-started ones it only serves.
 */
public final class WorkerRecord {
  final String id;
  /** Launched or listed by the fleet; false for a worker that turned up by itself (hand-started). */
  boolean managed;
  FleetMember member;
  String instanceId;
  WorkerState state;
  long since;
  final long launchedAt;
  long lastSeen;
  long lastWorkAt;
  long completed;
  int threads;
  /**
   * From the worker's last heartbeat (NaN before one carried it, or when it carried a bad value):
   * hashes per second over its last interval, all threads, and the share of its compute threads'
   * time spent computing (0..1). The planner reads a worker's capacity from the two together.
   */
  double hashRate = Double.NaN;
  double busyFraction = Double.NaN;
  /** The works the worker says it completed since it started (its own count, unlike {@code completed}). */
  long reportedCompleted = -1;
  /** When those figures came; {@code Long.MIN_VALUE} while none did. */
  long statsAt = Long.MIN_VALUE;
  /** Heard from since the last cluster sync: its contact goes to the other balancers. */
  boolean contacted;
  /** Results recorded here since the last cluster sync; {@link #completed} counts them already. */
  long completedUnsynced;
  /** While TERMINATING: failed attempts to stop it, when to try again, and why the last one failed. */
  int terminateFailures;
  long nextTerminateAt;
  String lastTerminateError;

  WorkerRecord(String id, boolean managed, WorkerState state, long now) {
    this(id, managed, state, now, now);
  }

  WorkerRecord(String id, boolean managed, WorkerState state, long since, long launchedAt) {
    this.id = id;
    this.managed = managed;
    this.state = state;
    this.since = since;
    this.launchedAt = launchedAt;
    this.lastSeen = since;
    this.lastWorkAt = since;
  }

  /** Results of this worker were recorded here. */
  void recordCompleted(long n) {
    completed += n;
    completedUnsynced += n;
    contacted = true;
  }

  public String id() {
    return id;
  }

  public WorkerState state() {
    return state;
  }

  /** When it last got work or reported running some; idle time counts from here. */
  public long lastWorkAt() {
    return lastWorkAt;
  }

  public long since() {
    return since;
  }

  public long launchedAt() {
    return launchedAt;
  }

  public int terminateFailures() {
    return terminateFailures;
  }

  /** When a TERMINATING worker's stop is due again; {@code Long.MAX_VALUE} while one is under way. */
  public long nextTerminateAt() {
    return nextTerminateAt;
  }

  /** Hashes per second over the worker's last heartbeat interval, all threads; NaN when not known. */
  public double hashRate() {
    return hashRate;
  }

  /** Share of the worker's compute-thread time spent computing over that interval; NaN when not known. */
  public double busyFraction() {
    return busyFraction;
  }

  /**
   * The figures of one heartbeat. Each that is missing (NaN), not finite or negative, or a busy
   * fraction above 1, is recorded as unknown: a worker that reports nothing or nonsense is still
   * served, and the planner falls back to the others or to its estimate.
   */
  public void reportStats(double hashRate, double busyFraction, double completed, double threads, long now) {
    this.hashRate = valid(hashRate, Double.MAX_VALUE);
    this.busyFraction = valid(busyFraction, 1.0);
    if (!Double.isNaN(valid(completed, Long.MAX_VALUE))) {
      reportedCompleted = (long) completed;
    }
    if (!Double.isNaN(valid(threads, Integer.MAX_VALUE)) && threads >= 1) {
      this.threads = (int) threads;
    }
    statsAt = now;
  }

  /**
   * The figures another balancer heard (with several on one store a worker heartbeats to any of
   * them), as of that contact; a report heard here since then stands.
   */
  void clusterStats(Double hashRate, Double busyFraction, long contactAt) {
    if (contactAt < statsAt) {
      return;
    }
    this.hashRate = hashRate == null ? Double.NaN : valid(hashRate, Double.MAX_VALUE);
    this.busyFraction = busyFraction == null ? Double.NaN : valid(busyFraction, 1.0);
    statsAt = contactAt;
  }

  private static double valid(double v, double max) {
    return Double.isFinite(v) && v >= 0 && v <= max ? v : Double.NaN;
  }

  /** It was handed work, or said it still holds some: idleness counts from here. */
  public void workedAt(long now) {
    lastWorkAt = now;
  }

  /** Moves it to another state, from now; FleetScaler (and the scaling simulation) drive this. */
  public void moveTo(WorkerState next, long now) {
    if (state != next) {
      state = next;
      since = now;
    }
  }
}
