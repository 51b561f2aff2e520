package swell.balancer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import swell.common.WorkIds;
import swell.metrics.OwnerCounters;
import swell.store.CompletedWork;
import swell.store.Completion;
import swell.store.CompletionOutcome;
import swell.store.EnqueueOutcome;
import swell.store.ExpiryOutcome;
import swell.store.NewWork;
import swell.store.QueueStats;

import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.ToDoubleFunction;

/**
 * The balancer's {@code swell_*} meters. Counters count what this balancer did (with several
 * balancers, sum them); the queue gauges show the store's counts, which with a shared store are the
 * whole cluster's (label {@code scope="cluster"}; alone, {@code scope="balancer"}). Every handle is
 * made here once; the hot paths ({@link #enqueued}, {@link #leased}, {@link #completed},
 * {@link #pulled}) add to counters per batch and record latencies without allocating, and may run on
 * the store's threads.
 */
final class BalancerMeters {
  /** From enqueue to result or pull: tiny works take milliseconds, a backlog can hold work for minutes. */
  static final Duration[] LATENCY_BUCKETS = {
      Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
      Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
      Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(1),
      Duration.ofMinutes(2), Duration.ofMinutes(5), Duration.ofMinutes(10)};

  private final MeterRegistry registry;
  private final OwnerCounters enqueued;
  private final Counter refusedQueueFull;
  private final Counter refusedResultsFull;
  private final Counter leased;
  private final Counter undelivered;
  private final Counter completed;
  private final Counter failed;
  private final Counter expired;
  private final Counter duplicates;
  private final Counter notHolder;
  private final OwnerCounters pulled;
  private final Timer toCompletion;
  private final Timer toPull;
  private final Map<String, Counter> scalerEvents = new HashMap<>();
  /** Workers by state and whether this balancer leads, sampled on the event loop before each scrape. */
  private final Map<WorkerState, AtomicLong> workersByState = new HashMap<>();
  private final AtomicLong leads = new AtomicLong();
  /** Each worker's last reported hash rate and busy fraction, with its two gauges. Event loop only (the map). */
  private final Map<String, WorkerFigures> figures = new HashMap<>();

  /** What one worker's heartbeats said, copied from its record on the event loop; read by the scrape's thread. */
  private static final class WorkerFigures {
    volatile double hashRate = Double.NaN;
    volatile double busyFraction = Double.NaN;
    Meter hashRateGauge;
    Meter busyGauge;
  }

  /**
   * @param stats  the last queue counts read ({@link StatsCache}); the gauges show them
   * @param shared whether the store is shared by several balancers: its counts are the cluster's
   */
  BalancerMeters(MeterRegistry registry, StatsCache stats, boolean shared) {
    this.registry = registry;
    enqueued = new OwnerCounters(registry, "swell.works.enqueued",
        "works stored by this balancer (retries of a stored work not counted), by owner (client key name)");
    refusedQueueFull = refused("queue_full");
    refusedResultsFull = refused("results_full");
    leased = counter("swell.works.leased", "works leased to workers by this balancer (deliveries)");
    undelivered = counter("swell.leases.undelivered",
        "leased works given back uncounted because the worker's poll closed before they were written");
    completed = counter("swell.works.completed", "results recorded by this balancer");
    failed = counter("swell.works.failed", "works failed after maxAttempts deliveries, by this balancer's sweep");
    expired = counter("swell.leases.expired",
        "leases that ran out without a heartbeat (the work went back to the queue or failed)");
    duplicates = counter("swell.results.duplicate", "results ignored: the work already had its result, or is gone");
    notHolder = counter("swell.results.not.lease.holder",
        "results refused: the reporting worker did not hold the work's lease");
    pulled = new OwnerCounters(registry, "swell.results.pulled",
        "results handed to clients by this balancer, by owner (one pulled with ackMs that comes back counts again)");
    toCompletion = latency("swell.enqueue.to.completion", "from enqueue (the work id's time) to its result being recorded");
    toPull = latency("swell.enqueue.to.pull", "from enqueue (the work id's time) to its result being pulled");

    Tags scope = Tags.of("scope", shared ? "cluster" : "balancer");
    String whose = shared ? " (the whole cluster's: every balancer shows the same)" : " (this balancer's store)";
    queueGauge("swell.works.pending", "works waiting to be leased" + whose, scope, stats, QueueStats::pending, null);
    queueGauge("swell.works.pending.iterations", "summed iterations of the pending works" + whose, scope, stats,
        QueueStats::pendingIterations, null);
    queueGauge("swell.works.oldest.pending.age", "how long the oldest pending work has waited" + whose, scope, stats,
        s -> s.oldestPendingAgeMs() / 1000.0, "seconds");
    queueGauge("swell.leases.active", "works leased to a worker now" + whose, scope, stats, QueueStats::leased, null);
    queueGauge("swell.results.unpulled", "results waiting to be pulled, handed-out ones included" + whose, scope,
        stats, QueueStats::completedUnpulled, null);
    queueGauge("swell.results.handed.out", "results pulled with ackMs and not acknowledged yet" + whose, scope, stats,
        QueueStats::handedOut, null);
    queueGauge("swell.works.failed.retained", "failed works still shown by GET /work/{id}" + whose, scope, stats,
        QueueStats::failed, null);

    for (WorkerState s : WorkerState.values()) {
      AtomicLong n = new AtomicLong();
      workersByState.put(s, n);
      Gauge.builder("swell.workers", n, AtomicLong::get)
          .description("workers this balancer knows, by state (with several balancers: the cluster's workers)")
          .tag("state", s.wireName()).register(registry);
    }
    Gauge.builder("swell.balancer.leader", leads, AtomicLong::get)
        .description("1 while this balancer runs the scaler (alone, always), else 0").register(registry);
  }

  private Counter counter(String name, String description) {
    return Counter.builder(name).description(description).register(registry);
  }

  private Counter refused(String reason) {
    return Counter.builder("swell.works.refused").description("enqueues refused with 503, by reason")
        .tag("reason", reason).register(registry);
  }

  private Timer latency(String name, String description) {
    return Timer.builder(name).description(description).serviceLevelObjectives(LATENCY_BUCKETS)
        .minimumExpectedValue(LATENCY_BUCKETS[0]).maximumExpectedValue(LATENCY_BUCKETS[LATENCY_BUCKETS.length - 1])
        .register(registry);
  }

  private void queueGauge(String name, String description, Tags scope, StatsCache stats,
                          ToDoubleFunction<QueueStats> value, String unit) {
    Gauge.builder(name, stats, s -> value.applyAsDouble(s.last())).description(description).tags(scope)
        .baseUnit(unit).register(registry);
  }

  // ---- the hot paths (any thread) -----------------------------------------------------------

  /** One outcome per work, in order: stored works count for their owner, refusals by reason. */
  void enqueued(List<NewWork> works, List<EnqueueOutcome> outcomes) {
    String runOwner = null;
    long run = 0;
    long queueFull = 0;
    long resultsFull = 0;
    for (int i = 0; i < outcomes.size(); i++) {
      switch (outcomes.get(i).result()) {
        case CREATED -> {
          String owner = works.get(i).owner();
          if (!owner.equals(runOwner)) {
            if (run > 0) {
              enqueued.add(runOwner, run);
            }
            runOwner = owner;
            run = 0;
          }
          run++;
        }
        case QUEUE_FULL -> queueFull++;
        case RESULTS_FULL -> resultsFull++;
        case EXISTING -> { }
      }
    }
    if (run > 0) {
      enqueued.add(runOwner, run);
    }
    if (queueFull > 0) {
      refusedQueueFull.increment(queueFull);
    }
    if (resultsFull > 0) {
      refusedResultsFull.increment(resultsFull);
    }
  }

  void leased(int works) {
    if (works > 0) {
      leased.increment(works);
    }
  }

  void undelivered(int works) {
    undelivered.increment(works);
  }

  /**
   * A worker's report. The time from enqueue is recorded when every result of the report was
   * recorded, the usual case; the store does not say which of a mixed report were, so such a report
   * (it holds duplicates or refusals, which a retry after a lost answer brings) adds no latencies.
   */
  void completed(List<Completion> results, CompletionOutcome outcome, long now) {
    if (outcome.recorded() > 0) {
      completed.increment(outcome.recorded());
    }
    if (outcome.duplicates() > 0) {
      duplicates.increment(outcome.duplicates());
    }
    if (outcome.notHolder() > 0) {
      notHolder.increment(outcome.notHolder());
    }
    if (outcome.recorded() == results.size()) {
      for (int i = 0; i < results.size(); i++) {
        sinceEnqueue(toCompletion, WorkIds.createdAtMs(results.get(i).id()), now);
      }
    }
  }

  void pulled(String owner, List<CompletedWork> results, long now) {
    if (results.isEmpty()) {
      return;
    }
    pulled.add(owner, results.size());
    for (int i = 0; i < results.size(); i++) {
      sinceEnqueue(toPull, WorkIds.createdAtMs(results.get(i).id()), now);
    }
  }

  private static void sinceEnqueue(Timer timer, long enqueuedAt, long now) {
    if (enqueuedAt > 0) {
      timer.record(Math.max(0, now - enqueuedAt), TimeUnit.MILLISECONDS);
    }
  }

  void expired(ExpiryOutcome outcome) {
    int leases = outcome.requeued().size() + outcome.failed().size();
    if (leases > 0) {
      expired.increment(leases);
    }
    if (!outcome.failed().isEmpty()) {
      failed.increment(outcome.failed().size());
    }
  }

  // ---- the event loop -----------------------------------------------------------------------

  /**
   * What the scaler did ({@link FleetScaler}'s event kinds): its decisions, and how launches and
   * terminations ended.
   */
  void scalerEvent(String kind) {
    Counter c = scalerEvents.get(kind);
    if (c == null) {
      c = scalerCounter(kind);
      if (c == null) {
        return; // adopt, lead: shown in /status, not counted
      }
      scalerEvents.put(kind, c);
    }
    c.increment();
  }

  private Counter scalerCounter(String kind) {
    return switch (kind) {
      case "launch", "retire", "terminate" -> Counter.builder("swell.scaler.decisions")
          .description("the scaler's decisions carried out by this balancer, by action").tag("action", kind)
          .register(registry);
      case "registered", "launch-failed" -> Counter.builder("swell.fleet.launches")
          .description("launches that ended: the worker registered, or the fleet failed to start it")
          .tag("outcome", kind.equals("registered") ? "registered" : "failed").register(registry);
      case "terminated", "terminate-failed" -> Counter.builder("swell.fleet.terminations")
          .description("stops the fleet confirmed, or that failed and will be tried again")
          .tag("outcome", kind.equals("terminated") ? "stopped" : "failed").register(registry);
      default -> null;
    };
  }

  private WorkerFigures register(String workerId) {
    WorkerFigures f = new WorkerFigures();
    figures.put(workerId, f);
    f.hashRateGauge = Gauge.builder("swell.worker.hash.rate", f, x -> x.hashRate)
        .description("hashes per second over the worker's last heartbeat interval, all its threads; NaN: not reported")
        .tag("worker", workerId).strongReference(true).register(registry);
    f.busyGauge = Gauge.builder("swell.worker.busy.fraction", f, x -> x.busyFraction)
        .description("share of the worker's compute-thread time spent computing over its last heartbeat interval")
        .tag("worker", workerId).strongReference(true).register(registry);
    return f;
  }

  /** Drops the gauges of workers the registry forgot: a worker's series ends with it. */
  void forgetWorkers(WorkerRegistry workers) {
    for (Iterator<Map.Entry<String, WorkerFigures>> it = figures.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, WorkerFigures> e = it.next();
      if (workers.get(e.getKey()) == null) {
        registry.remove(e.getValue().hashRateGauge);
        registry.remove(e.getValue().busyGauge);
        it.remove();
      }
    }
  }

  /**
   * Samples what lives on the event loop for the scrape that follows: workers by state, each
   * worker's hash rate and busy fraction as its heartbeats reported them (here or, with several
   * balancers, to another one), and the lead.
   */
  void sample(WorkerRegistry workers, BooleanSupplier leading) {
    long[] counts = new long[WorkerState.values().length];
    for (WorkerRecord w : workers.all()) {
      counts[w.state().ordinal()]++;
      WorkerFigures f = figures.get(w.id());
      if (f == null) {
        if (Double.isNaN(w.hashRate()) && Double.isNaN(w.busyFraction())) {
          continue; // nothing reported yet: no series
        }
        f = register(w.id());
      }
      f.hashRate = w.hashRate();
      f.busyFraction = w.busyFraction();
    }
    for (WorkerState s : WorkerState.values()) {
      workersByState.get(s).set(counts[s.ordinal()]);
    }
    leads.set(leading.getAsBoolean() ? 1 : 0);
    forgetWorkers(workers);
  }
}
