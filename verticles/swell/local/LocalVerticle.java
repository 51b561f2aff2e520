package swell.local;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** Skeleton: being written. */
public final class LocalVerticle extends VerticleBase {
  private final LocalConfig cfg;

  public LocalVerticle(LocalConfig cfg) {
    this.cfg = cfg;
  }

  @Override
  public Future<?> start() {
    return Future.failedFuture("not written yet");
  }
}
