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

  void moveTo(WorkerState next, long now) {
    if (state != next) {
      state = next;
      since = now;
    }
  }
}
