package swell.balancer;

import io.vertx.core.Context;
import io.vertx.core.Vertx;

/** The {@link Scheduler} of the balancer's plain classes: Vert.x timers, and its verticle's event loop. */
final class VertxScheduler implements Scheduler {
  private final Vertx vertx;
  private final Context context;

  VertxScheduler(Vertx vertx, Context context) {
    this.vertx = vertx;
    this.context = context;
  }

  @Override
  public long schedule(long delayMs, Runnable task) {
    return vertx.setTimer(delayMs, t -> task.run());
  }

  @Override
  public void cancel(long timerId) {
    if (timerId >= 0) {
      vertx.cancelTimer(timerId);
    }
  }

  @Override
  public void execute(Runnable task) {
    context.runOnContext(v -> task.run());
  }
}
