package swell.balancer;

import java.util.Locale;

/** A worker's life as the balancer sees it. */
public enum WorkerState {
  /** The fleet started it; it has not registered yet. */
  LAUNCHING,
  /** Registered and polling for work. */
  ACTIVE,
  /** Told to drain and leave; gets no new work. */
  RETIRING,
  /**
   * The fleet was asked to stop it; the record stays, and the request is retried, until the fleet
   * confirms, so a stop that failed does not leave a worker running that nobody tracks.
   */
  TERMINATING;

  /** On its way out: it gets no new work, and its polls and heartbeats are answered {@code retire}. */
  public boolean leaving() {
    return this == RETIRING || this == TERMINATING;
  }

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The state a {@link #wireName()} names; ACTIVE for a name this build does not know. */
  public static WorkerState fromWireName(String name) {
    for (WorkerState s : values()) {
      if (s.wireName().equals(name)) {
        return s;
      }
    }
    return ACTIVE;
  }
}
