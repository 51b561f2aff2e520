package swell.bench;

import swell.balancer.ScalingConfig;
import swell.balancer.ScalingPolicy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * {@code bench/scaling-sim}: the real {@link ScalingPolicy} on a fake clock against a simulated
 * fleet, over named scenarios, for three policies: {@code old} (the oldest-wait rule, one launch
 * then a cooldown while it boots), {@code planner} (the default rule) and {@code oracle} (see
 * {@link OraclePolicy}). Prints, per scenario and policy, the time to drain, the p95 wait and the
 * worker-minutes paid; with {@code --json}, one JSON object per line; with {@code --sensitivity},
 * how the planner's standing moves when the fleet or the config differs from the scenarios'.
 * Deterministic: seeded arrivals, rates and launch failures, no wall clock.
 */
public final class ScalingSim {
  static final List<String> POLICIES = List.of("old", "planner", "oracle");

  private ScalingSim() {
  }

  public static void main(String[] args) {
    boolean json = List.of(args).contains("--json");
    boolean sensitivity = List.of(args).contains("--sensitivity");
    if (args.length > (json ? 1 : 0) + (sensitivity ? 1 : 0) || json && sensitivity) {
      System.err.println("usage: ScalingSim [--json | --sensitivity]");
      System.exit(2);
    }
    if (sensitivity) {
      System.out.print(sensitivity());
      return;
    }
    List<SimResult> results = runAll();
    if (json) {
      results.forEach(r -> System.out.println(r.json()));
    } else {
      System.out.print(table(results));
    }
  }

  static List<SimResult> runAll() {
    return runAll(UnaryOperator.identity());
  }

  /** Every scenario, changed by {@code variant}, under every policy. */
  static List<SimResult> runAll(UnaryOperator<SimScenario> variant) {
    List<SimResult> out = new ArrayList<>();
    for (SimScenario scenario : SimScenario.all()) {
      SimScenario s = variant.apply(scenario);
      for (String p : POLICIES) {
        out.add(run(s, p));
      }
    }
    return out;
  }

  static SimResult run(SimScenario scenario, String policy) {
    SimFleet.Policy p = switch (policy) {
      case "old" -> new RealPolicy(scenario.config().withRule(ScalingConfig.Rule.OLDEST_WAIT));
      case "planner" -> new RealPolicy(scenario.config().withRule(ScalingConfig.Rule.PLANNER));
      case "oracle" -> new OraclePolicy();
      default -> throw new IllegalArgumentException(policy);
    };
    return new SimFleet(scenario, p).run(policy);
  }

  /** ScalingPolicy as FleetScaler drives it: decisions each tick, launch outcomes as they come. */
  private static final class RealPolicy implements SimFleet.Policy {
    private final ScalingPolicy policy;

    RealPolicy(ScalingConfig cfg) {
      policy = new ScalingPolicy(cfg, true);
    }

    @Override
    public List<ScalingPolicy.Action> decide(SimFleet fleet, long now) {
      return policy.decide(fleet.queueStats(), fleet.registry().managed(), now);
    }

    @Override
    public void launchFailed(long now, long launchedAt) {
      policy.launchFailed(now, launchedAt, true, "simulated: the fleet refused the launch");
    }

    @Override
    public void launchSucceeded() {
      policy.launchSucceeded();
    }
  }

  static String table(List<SimResult> results) {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "%-38s %-8s %10s %10s %12s %5s %9s %8s%n", "scenario", "policy", "drain",
        "p95 wait", "worker-min", "peak", "launches", "refused"));
    for (int i = 0; i < results.size(); i++) {
      SimResult r = results.get(i);
      out.append(String.format(Locale.ROOT, "%-38s %-8s %10s %10s %12.1f %5d %9d %8d%s%n", r.scenario(), r.policy(),
          duration(r.drainMs()), duration(r.p95WaitMs()), r.workerMinutes(), r.peakWorkers(), r.launches(),
          r.refusedLaunches(), r.drained() ? "" : "  NOT DRAINED"));
      if (i + 1 == results.size() || !results.get(i + 1).scenario().equals(r.scenario())) {
        SimResult planner = find(results, r.scenario(), "planner");
        SimResult oracle = find(results, r.scenario(), "oracle");
        out.append(String.format(Locale.ROOT, "  planner / oracle: p95 wait %.2fx (target <= 1.3), worker-minutes"
                + " %.2fx (target <= 1.2)%n%n", ratio(planner.p95WaitMs(), oracle.p95WaitMs()),
            planner.workerMinutes() / oracle.workerMinutes()));
      }
    }
    return out.toString();
  }

  /** One change from the scenarios' fleet or config. */
  private record Variant(String label, UnaryOperator<SimScenario> change) {
  }

  private static Variant config(String label, UnaryOperator<ScalingConfig> change) {
    return new Variant(label, s -> s.with(s.bootMs(), change.apply(s.config())));
  }

  private static ScalingConfig copy(ScalingConfig c, int maxWorkers, long idleTimeoutMs, long targetDrainMs,
                                    long estimate) {
    return new ScalingConfig(c.tickMs(), c.minWorkers(), maxWorkers, c.scaleOutAfterMs(), c.scaleOutCooldownMs(),
        idleTimeoutMs, c.bootTimeoutMs(), c.retireTimeoutMs(), c.maxBackoffMs(), c.rule(), targetDrainMs, estimate);
  }

  private static final List<Variant> VARIANTS = List.of(
      config("maxWorkers 30", c -> copy(c, 30, c.idleTimeoutMs(), c.targetDrainMs(), c.workerHashRateEstimate())),
      config("maxWorkers 50", c -> copy(c, 50, c.idleTimeoutMs(), c.targetDrainMs(), c.workerHashRateEstimate())),
      new Variant("boot 60 s, idleTimeoutMs 60000", s -> s.with(60_000,
          copy(s.config(), s.config().maxWorkers(), 60_000, s.config().targetDrainMs(),
              s.config().workerHashRateEstimate()))),
      new Variant("boot 120 s, idleTimeoutMs 120000", s -> s.with(120_000,
          copy(s.config(), s.config().maxWorkers(), 120_000, s.config().targetDrainMs(),
              s.config().workerHashRateEstimate()))),
      config("idleTimeoutMs 600000 (the default)", c -> copy(c, c.maxWorkers(), 600_000, c.targetDrainMs(),
          c.workerHashRateEstimate())),
      config("targetDrainMs 30000", c -> copy(c, c.maxWorkers(), c.idleTimeoutMs(), 30_000,
          c.workerHashRateEstimate())),
      config("workerHashRateEstimate 10000000 (true)", c -> copy(c, c.maxWorkers(),
          c.idleTimeoutMs(), c.targetDrainMs(), 10_000_000)));

  /** For each variant and scenario: the planner against the oracle, and the old rule against the planner. */
  static String sensitivity() {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "%-36s %-38s %13s %14s %13s%n", "variant", "scenario",
        "p95 / oracle", "w-min / oracle", "old p95 / p95"));
    for (Variant v : VARIANTS) {
      List<SimResult> results = runAll(v.change());
      for (SimScenario s : SimScenario.all()) {
        SimResult old = find(results, s.name(), "old");
        SimResult planner = find(results, s.name(), "planner");
        SimResult oracle = find(results, s.name(), "oracle");
        out.append(String.format(Locale.ROOT, "%-36s %-38s %12.2fx %13.2fx %12.2fx%n", v.label(), s.name(),
            ratio(planner.p95WaitMs(), oracle.p95WaitMs()), planner.workerMinutes() / oracle.workerMinutes(),
            ratio(old.p95WaitMs(), planner.p95WaitMs())));
      }
    }
    return out.toString();
  }

  static SimResult find(List<SimResult> results, String scenario, String policy) {
    return results.stream().filter(r -> r.scenario().equals(scenario) && r.policy().equals(policy)).findFirst()
        .orElseThrow();
  }

  /** A ratio of waits; two waits under a second are equal for this purpose. */
  static double ratio(long a, long b) {
    return Math.max(a, 1_000) / (double) Math.max(b, 1_000);
  }

  static String duration(long ms) {
    long s = Math.round(ms / 1000.0);
    if (s < 60) {
      return s + " s";
    }
    if (s < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
    return String.format(Locale.ROOT, "%dh%02dm%02ds", s / 3600, s / 60 % 60, s % 60);
  }
}
