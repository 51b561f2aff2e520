package swell.deploy;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/** How long a deploy step keeps polling AWS, and the pause between polls (a Vert.x timer, never a sleep). */
final class Deadline {
  private final Vertx vertx;
  private final long startNanos = System.nanoTime();
  private final long endNanos;
  private final long pollMs;

  Deadline(Vertx vertx, long timeoutMs, long pollMs) {
    this.vertx = vertx;
    this.endNanos = startNanos + timeoutMs * 1_000_000;
    this.pollMs = pollMs;
  }

  boolean passed() {
    return System.nanoTime() - endNanos > 0;
  }

  long elapsedSeconds() {
    return (System.nanoTime() - startNanos) / 1_000_000_000;
  }

  Future<Void> sleep() {
    Promise<Void> p = Promise.promise();
    vertx.setTimer(pollMs, id -> p.complete());
    return p.future();
  }
}
