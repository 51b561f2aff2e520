package swell.balancer;

import swell.fleet.FleetMember;

/**
 * What the balancer knows of one worker. {@code managed} workers were launched (or adopted) through
 * the fleet, so the scaler may retire and terminate them; hand-started ones it only serves.
 */
public final class WorkerRecord {
  final String id;
  final boolean managed;
  FleetMember member;
  String instanceId;
  WorkerState state;
  long since;
  final long launchedAt;
  long lastSeen;
  long lastWorkAt;
  long completed;
  int threads;

  WorkerRecord(String id, boolean managed, WorkerState state, long now) {
    this.id = id;
    this.managed = managed;
    this.state = state;
    this.since = now;
    this.launchedAt = now;
    this.lastSeen = now;
    this.lastWorkAt = now;
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


  void moveTo(WorkerState next, long now) {
    if (state != next) {
      state = next;
      since = now;
    }
  }
}
