package swell.balancer;

import java.util.Locale;

/** A worker's life as the balancer sees it. */
public enum WorkerState {
  /** The fleet started it; it has not registered yet. */
  LAUNCHING,
  /** Registered and polling for work. */
  ACTIVE,
  /** Told to drain and leave; gets no new work. */
  RETIRING;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
