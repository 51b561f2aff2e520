package swell.worker;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** Skeleton: being written. */
public final class WorkerVerticle extends VerticleBase {
  private final WorkerConfig cfg;

  public WorkerVerticle(WorkerConfig cfg) {
    this.cfg = cfg;
  }

  @Override
  public Future<?> start() {
    return Future.failedFuture("not written yet");
  }
}
