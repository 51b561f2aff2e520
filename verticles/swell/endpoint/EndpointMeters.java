package swell.endpoint;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The endpoint's {@code swell_endpoint_*} meters: how long forwards to the balancers take, how
 * large enqueue batches are, and how often a forward had to go elsewhere, was sent again, or ended
 * with its outcome unknown. Every endpoint instance of a process registers the same meters, so they
 * count for all of them. Recorded once per forward, never per work.
 */
final class EndpointMeters {
  /** A forward: a millisecond on a quiet LAN, up to forwardTimeoutMs (10 s) and a pull's 30 s wait. */
  static final Duration[] FORWARD_BUCKETS = {
      Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
      Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
      Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
      Duration.ofSeconds(30)};
  /** Works per enqueue batch: one at low load, up to forwardBatchMax (256) under load. */
  static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256};

  final Timer enqueueForward;
  final Timer pullForward;
  final Timer otherForward;
  final DistributionSummary batchWorks;
  final Counter failovers;
  final Counter resends;
  final Counter enqueueUnknown;
  final Counter pullUnknown;

  EndpointMeters(MeterRegistry registry) {
    enqueueForward = forward(registry, "enqueue_batch");
    pullForward = forward(registry, "pull");
    otherForward = forward(registry, "other");
    batchWorks = DistributionSummary.builder("swell.endpoint.batch.works")
        .description("works carried by one enqueue batch to a balancer").serviceLevelObjectives(BATCH_BUCKETS)
        .register(registry);
    failovers = Counter.builder("swell.endpoint.failovers")
        .description("forwards that went on to the next balancer: the last one could not be reached or was out of order")
        .register(registry);
    resends = Counter.builder("swell.endpoint.batch.resends")
        .description("enqueue batches sent again after a try got no answer").register(registry);
    enqueueUnknown = unknown(registry, "enqueue");
    pullUnknown = unknown(registry, "pull");
  }

  private static Timer forward(MeterRegistry registry, String route) {
    return Timer.builder("swell.endpoint.forward")
        .description("a forward to the balancers, from the first try to its settled answer (resends and failovers"
            + " included), by route: enqueue_batch (in local: over the event bus), pull, other (reads, acks, /ready)")
        .tag("route", route).serviceLevelObjectives(FORWARD_BUCKETS).register(registry);
  }

  private static Counter unknown(MeterRegistry registry, String route) {
    return Counter.builder("swell.endpoint.outcome.unknown")
        .description("clients answered 504 outcome_unknown, by route (enqueue: works, pull: pulls)")
        .tag("route", route).register(registry);
  }

  static void record(Timer timer, long startNanos) {
    timer.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }
}
