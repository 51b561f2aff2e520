package swell.balancer;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import swell.fleet.Fleet;
import swell.fleet.FleetMember;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fleet in memory, as a balancer test's stand-in for processes or instances: what it runs, stops
 * that fail while the test says so, and a listing the test can hold back.
 */
final class FakeFleet implements Fleet {
  private final Map<String, FleetMember> running = new ConcurrentHashMap<>();
  /** The next this many terminations fail, as EC2 does when it throttles. */
  final AtomicInteger failingTerminations = new AtomicInteger();
  final AtomicInteger terminations = new AtomicInteger();
  /** The next this many listings fail. */
  final AtomicInteger failingListings = new AtomicInteger();
  private volatile Promise<Void> listHeld;
  private volatile Context listContext;

  /** Workers an earlier balancer left running. */
  FakeFleet running(String... workerIds) {
    for (String id : workerIds) {
      running.put(id, new FleetMember(id, "fake-" + id, System.currentTimeMillis()));
    }
    return this;
  }

  Set<String> runningIds() {
    return Set.copyOf(running.keySet());
  }

  /** The next list() answers only when {@link #releaseList()} is called. */
  void holdList() {
    listHeld = Promise.promise();
  }

  void releaseList() throws InterruptedException {
    while (listContext == null) {
      Thread.sleep(10); // the balancer has not asked yet
    }
    listContext.runOnContext(v -> listHeld.complete());
  }

  @Override
  public String type() {
    return "fake";
  }

  @Override
  public Future<FleetMember> launch(String workerId) {
    FleetMember m = new FleetMember(workerId, "fake-" + workerId, System.currentTimeMillis());
    running.put(workerId, m);
    return Future.succeededFuture(m);
  }

  @Override
  public Future<Void> terminate(FleetMember member) {
    terminations.incrementAndGet();
    if (failingTerminations.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      return Future.failedFuture(new IllegalStateException("RequestLimitExceeded: request rate exceeded"));
    }
    running.remove(member.workerId());
    return Future.succeededFuture();
  }

  @Override
  public Future<List<FleetMember>> list() {
    if (failingListings.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      return Future.failedFuture(new IllegalStateException("RequestLimitExceeded: request rate exceeded"));
    }
    Promise<Void> held = listHeld;
    if (held == null) {
      return Future.succeededFuture(List.copyOf(running.values()));
    }
    listContext = Vertx.currentContext();
    return held.future().map(v -> List.copyOf(running.values()));
  }

  @Override
  public Future<Void> close() {
    return Future.succeededFuture();
  }
}
