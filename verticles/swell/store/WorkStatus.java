package swell.store;

import java.util.Locale;

/** Where a work is in its life; the lowercase name is what {@code GET /work/{id}} shows. */
public enum WorkStatus {
  QUEUED, RUNNING, COMPLETED, FAILED;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
