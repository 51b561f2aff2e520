package swell.endpoint;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** Skeleton: being written. */
public final class EndpointVerticle extends VerticleBase {
  private final EndpointConfig cfg;

  public EndpointVerticle(EndpointConfig cfg) {
    this.cfg = cfg;
  }

  @Override
  public Future<?> start() {
    return Future.failedFuture("not written yet");
  }
}
