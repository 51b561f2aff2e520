package swell.balancer;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** Skeleton: being written. */
public final class BalancerVerticle extends VerticleBase {
  private final BalancerConfig cfg;

  public BalancerVerticle(BalancerConfig cfg) {
    this.cfg = cfg;
  }

  @Override
  public Future<?> start() {
    return Future.failedFuture("not written yet");
  }
}
