package swell.fleet;

import io.vertx.core.Future;

import java.util.List;

/** Workers are started by hand: the scaler only reports, and never launches or terminates. */
public final class NoFleet implements Fleet {
  @Override
  public String type() {
    return "none";
  }

  @Override
  public Future<FleetMember> launch(String workerId) {
    return Future.failedFuture(new LaunchException("NoFleet", "fleet type 'none' launches no workers", false, null));
  }

  @Override
  public Future<Void> terminate(FleetMember member) {
    return Future.succeededFuture();
  }

  @Override
  public Future<List<FleetMember>> list() {
    return Future.succeededFuture(List.of());
  }

  @Override
  public Future<Void> close() {
    return Future.succeededFuture();
  }
}
