package swell.deploy;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/**
 * How long a deploy step keeps polling AWS, and the pause between polls (a Vert.x timer, never a
 * sleep). With a {@link Progress}, a wait that lasts says what it waits for: a person watching
 * {@code up} or {@code down} sees a line once it passed a few seconds, again when what it waits for
 * changes, and every half minute in between.
 */
final class Deadline {
  /** A wait shorter than this goes unmentioned. */
  static final long QUIET_MS = 5_000;
  /** A wait that goes on says so again this often. */
  static final long REPEAT_MS = 30_000;

  private final Vertx vertx;
  private final long startNanos = System.nanoTime();
  private final long endNanos;
  private final long pollMs;
  private final Progress progress;
  private String lastSaid = "";
  private long lastSaidNanos;

  Deadline(Vertx vertx, long timeoutMs, long pollMs) {
    this(vertx, timeoutMs, pollMs, null);
  }

  Deadline(Vertx vertx, long timeoutMs, long pollMs, Progress progress) {
    this.vertx = vertx;
    this.endNanos = startNanos + timeoutMs * 1_000_000;
    this.pollMs = pollMs;
    this.progress = progress;
  }

  boolean passed() {
    return System.nanoTime() - endNanos > 0;
  }

  long elapsedSeconds() {
    return (System.nanoTime() - startNanos) / 1_000_000_000;
  }

  /** The pause before the next poll, saying (now and then) what is awaited. */
  Future<Void> sleep(String waitingFor) {
    long now = System.nanoTime();
    if (progress != null && (now - startNanos) / 1_000_000 >= QUIET_MS
        && (!waitingFor.equals(lastSaid) || (now - lastSaidNanos) / 1_000_000 >= REPEAT_MS)) {
      progress.say("  ... [" + elapsedSeconds() + " s] " + waitingFor);
      lastSaid = waitingFor;
      lastSaidNanos = now;
    }
    return sleep();
  }

  Future<Void> sleep() {
    Promise<Void> p = Promise.promise();
    vertx.setTimer(pollMs, id -> p.complete());
    return p.future();
  }
}
