package swell.balancer;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import swell.common.WorkIds;
import swell.store.Completion;
import swell.store.CompletionOutcome;
import swell.store.EnqueueOutcome;
import swell.store.ExpiryOutcome;
import swell.store.NewWork;
import swell.store.QueueStats;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** What the balancer's meters make of the store's outcomes, the scaler's events and workers' heartbeats. */
class BalancerMetersTest {
  private static final long NOW = 1_800_000_000_000L;

  private final MeterRegistry registry = new SimpleMeterRegistry();
  private final StatsCache stats = new StatsCache(() -> CompletableFuture.completedFuture(QueueStats.EMPTY),
      System::nanoTime, StatsCache.MAX_AGE_NANOS);
  private final BalancerMeters meters = new BalancerMeters(registry, stats, true);

  private static NewWork work(String owner) {
    return new NewWork(WorkIds.next(NOW), owner, 1, new byte[0], null, NOW);
  }

  private double count(String name, String... tags) {
    return registry.get(name).tags(tags).counter().count();
  }

  @Test
  void storedWorksCountForTheirOwnerRetriesNotAtAllAndRefusalsByReason() {
    List<NewWork> works = List.of(work("alice"), work("alice"), work("bob"), work("alice"), work("bob"), work("bob"));
    List<EnqueueOutcome> outcomes = List.of(
        EnqueueOutcome.created(works.get(0).id()), EnqueueOutcome.created(works.get(1).id()),
        EnqueueOutcome.created(works.get(2).id()), EnqueueOutcome.existing(works.get(3).id()),
        new EnqueueOutcome(works.get(4).id(), EnqueueOutcome.Result.QUEUE_FULL),
        new EnqueueOutcome(works.get(5).id(), EnqueueOutcome.Result.RESULTS_FULL));
    meters.enqueued(works, outcomes);
    assertThat(count("swell.works.enqueued", "owner", "alice")).isEqualTo(2);
    assertThat(count("swell.works.enqueued", "owner", "bob")).isEqualTo(1);
    assertThat(count("swell.works.enqueued", "owner", "")).isZero();
    assertThat(count("swell.works.refused", "reason", "queue_full")).isEqualTo(1);
    assertThat(count("swell.works.refused", "reason", "results_full")).isEqualTo(1);
  }

  @Test
  void latenciesComeFromTheWorkIdsOfAFullyRecordedReportOnly() {
    List<Completion> two = List.of(new Completion(WorkIds.next(NOW - 2_000), new byte[64]),
        new Completion(WorkIds.next(NOW - 4_000), new byte[64]));
    meters.completed(two, new CompletionOutcome(2, 0, 0), NOW);
    meters.completed(two, new CompletionOutcome(1, 1, 0), NOW); // which one was recorded is not known
    meters.completed(List.of(new Completion(UUID.randomUUID(), new byte[64])), new CompletionOutcome(1, 0, 0), NOW);
    assertThat(count("swell.works.completed")).isEqualTo(4);
    assertThat(count("swell.results.duplicate")).isEqualTo(1);
    var timer = registry.get("swell.enqueue.to.completion").timer();
    assertThat(timer.count()).as("a v4 id carries no enqueue time").isEqualTo(2);
    assertThat(timer.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS)).isEqualTo(6_000);
  }

  @Test
  void expiredLeasesCountAndThoseOutOfAttemptsFail() {
    var lease = new ExpiryOutcome.ExpiredLease(UUID.randomUUID(), "w-1", 1);
    meters.expired(new ExpiryOutcome(List.of(lease, lease), List.of(lease), List.of()));
    assertThat(count("swell.leases.expired")).isEqualTo(3);
    assertThat(count("swell.works.failed")).isEqualTo(1);
  }

  @Test
  void scalerEventsCountAsDecisionsLaunchesAndTerminationsByOutcome() {
    for (String kind : List.of("launch", "launch", "retire", "terminate", "registered", "launch-failed", "terminated",
        "terminate-failed", "adopt", "lead")) {
      meters.scalerEvent(kind);
    }
    assertThat(count("swell.scaler.decisions", "action", "launch")).isEqualTo(2);
    assertThat(count("swell.scaler.decisions", "action", "retire")).isEqualTo(1);
    assertThat(count("swell.scaler.decisions", "action", "terminate")).isEqualTo(1);
    assertThat(count("swell.fleet.launches", "outcome", "registered")).isEqualTo(1);
    assertThat(count("swell.fleet.launches", "outcome", "failed")).isEqualTo(1);
    assertThat(count("swell.fleet.terminations", "outcome", "stopped")).isEqualTo(1);
    assertThat(count("swell.fleet.terminations", "outcome", "failed")).isEqualTo(1);
  }

  @Test
  void aWorkersReportedFiguresAreGaugesUntilTheRegistryForgetsIt() {
    WorkerRegistry workers = new WorkerRegistry();
    workers.seen("w-1", null, 2, NOW).reportStats(5e5, 0.5, 10, 2, NOW);
    workers.seen("w-2", null, 2, NOW); // an older worker that sends no figures: no series
    meters.sample(workers, () -> true);
    assertThat(registry.get("swell.worker.hash.rate").tag("worker", "w-1").gauge().value()).isEqualTo(5e5);
    assertThat(registry.get("swell.worker.busy.fraction").tag("worker", "w-1").gauge().value()).isEqualTo(0.5);
    assertThat(registry.find("swell.worker.hash.rate").tag("worker", "w-2").gauge()).isNull();
    assertThat(registry.get("swell.workers").tag("state", "active").gauge().value()).isEqualTo(2);

    workers.get("w-1").reportStats(Double.NaN, 1.5, 10, 2, NOW + 5_000); // nothing, and nonsense: unknown
    meters.sample(workers, () -> true);
    assertThat(registry.get("swell.worker.hash.rate").tag("worker", "w-1").gauge().value()).isNaN();
    assertThat(registry.get("swell.worker.busy.fraction").tag("worker", "w-1").gauge().value()).isNaN();

    workers.remove("w-1");
    meters.forgetWorkers(workers);
    assertThat(registry.find("swell.worker.hash.rate").gauges()).isEmpty();
    assertThat(registry.find("swell.worker.busy.fraction").gauges()).isEmpty();
  }

  @Test
  void queueGaugesSayTheyAreTheClustersWithASharedStore() {
    stats.offer(new QueueStats(4, 40, 1_500, 2, 3, 1, 0));
    assertThat(registry.get("swell.works.pending").tag("scope", "cluster").gauge().value()).isEqualTo(4);
    assertThat(registry.get("swell.works.oldest.pending.age").gauge().value()).isEqualTo(1.5);
    assertThat(registry.get("swell.leases.active").gauge().value()).isEqualTo(2);
    assertThat(registry.get("swell.results.handed.out").gauge().value()).isEqualTo(1);
    assertThat(registry.get("swell.works.pending").gauge().getId().getDescription()).contains("whole cluster");
  }
}
