package swell.common;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.UUID;

/**
 * Per-work events (enqueued, leased, completed, computed): thousands a second under load, so they
 * are DEBUG lines on a logger of their own, {@value #LOGGER}, off unless {@code logWorkEvents} (or
 * {@code SWELL_LOG_LEVEL=DEBUG}) turns it on. Each method first asks whether DEBUG is on, so when it
 * is off nothing is built: no event, no string, no boxed number. Every line carries the work's id
 * as {@code workId} and what happened as {@code event}, so one query finds a work on every machine.
 */
public final class WorkLog {
  /** The logger's name: {@code "swell.work": "DEBUG"} in a Logback config turns it on too. */
  public static final String LOGGER = "swell.work";
  private static final Logger log = LoggerFactory.getLogger(LOGGER);

  private WorkLog() {
  }

  /** The balancer stored these works (the first time: a retried forward is not logged again). */
  public static void enqueued(UUID id, String owner) {
    if (!log.isDebugEnabled()) {
      return;
    }
    log.atDebug().addKeyValue("event", "enqueued").addKeyValue("workId", id.toString())
        .addKeyValue("owner", owner).log("work enqueued");
  }

  /** The balancer leased a work to a worker; {@code attempt} counts this delivery. */
  public static void leased(UUID id, String workerId, int attempt) {
    if (!log.isDebugEnabled()) {
      return;
    }
    log.atDebug().addKeyValue("event", "leased").addKeyValue("workId", id.toString())
        .addKeyValue("workerId", workerId).addKeyValue("attempt", attempt).log("work leased");
  }

  /** A worker reported a work's result to the balancer (a duplicate or a late one is counted in the batch). */
  public static void completed(UUID id, String workerId) {
    if (!log.isDebugEnabled()) {
      return;
    }
    log.atDebug().addKeyValue("event", "completed").addKeyValue("workId", id.toString())
        .addKeyValue("workerId", workerId).log("work completed");
  }

  /** A worker computed a work; its result goes to the balancer with the next report. */
  public static void computed(String id, long iterations) {
    if (!log.isDebugEnabled()) {
      return;
    }
    log.atDebug().addKeyValue("event", "computed").addKeyValue("workId", id)
        .addKeyValue("iterations", iterations).log("work computed");
  }
}
