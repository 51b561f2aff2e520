package swell.balancer;

import swell.common.ConfigException;
import swell.common.ConfigReader;

/**
 * The scaler's knobs, as DESIGN.md's scaling rules name them.
 *
 * @param targetDrainMs          the planner sizes the fleet to drain the backlog within this
 * @param workerHashRateEstimate hashes per second of one worker, all threads, until workers have
 *                               measured theirs
 * @param scaleOutAfterMs        no launch for a backlog until its oldest work waited longer than this
 * @param scaleOutCooldownMs     {@link Rule#OLDEST_WAIT} only: no second launch for this long while
 *                               one boots; the planner counts booting workers instead
 */
public record ScalingConfig(long tickMs, int minWorkers, int maxWorkers, long scaleOutAfterMs, long scaleOutCooldownMs,
                            long idleTimeoutMs, long bootTimeoutMs, long retireTimeoutMs, long maxBackoffMs,
                            Rule rule, long targetDrainMs, long workerHashRateEstimate) {

  /** How the fleet grows. */
  public enum Rule {
    /** Launches at once the workers that drain the backlog within targetDrainMs (the default). */
    PLANNER("planner"),
    /** The rule before the planner: one launch when the oldest work waited, then a cooldown while it boots. */
    OLDEST_WAIT("oldest-wait");

    private final String configName;

    Rule(String configName) {
      this.configName = configName;
    }

    public String configName() {
      return configName;
    }
  }

  /**
   * One worker of the default size, a process worker with one compute thread: bench/README.md's
   * ComputeBench measured 5.35 M hashes/s on one thread of the 2-core bench machine (5.1 M each
   * with both busy); rounded down so the first plan errs towards one worker too many.
   */
  public static final long DEFAULT_WORKER_HASH_RATE = 5_000_000;

  public static ScalingConfig read(ConfigReader r, int defaultMaxWorkers) {
    ScalingConfig c = new ScalingConfig(
        r.number("tickMs", 1000, 10, 600_000),
        r.integer("minWorkers", 0, 0, 10_000),
        r.integer("maxWorkers", defaultMaxWorkers, 0, 10_000),
        r.number("scaleOutAfterMs", 15_000, 0, 86_400_000),
        r.number("scaleOutCooldownMs", 60_000, 0, 86_400_000),
        r.number("idleTimeoutMs", 600_000, 100, 86_400_000),
        r.number("bootTimeoutMs", 300_000, 100, 86_400_000),
        r.number("retireTimeoutMs", 120_000, 100, 86_400_000),
        r.number("maxBackoffMs", 300_000, 100, 86_400_000),
        rule(r.oneOf("scaleOutRule", Rule.PLANNER.configName(), Rule.PLANNER.configName(),
            Rule.OLDEST_WAIT.configName())),
        r.number("targetDrainMs", 60_000, 100, 86_400_000),
        r.number("workerHashRateEstimate", DEFAULT_WORKER_HASH_RATE, 1, 1L << 40));
    if (c.minWorkers > c.maxWorkers) {
      throw new ConfigException("minWorkers", "must not be above maxWorkers (" + c.maxWorkers + ")");
    }
    return c;
  }

  private static Rule rule(String configName) {
    for (Rule rule : Rule.values()) {
      if (rule.configName.equals(configName)) {
        return rule;
      }
    }
    throw new IllegalArgumentException(configName);
  }

  /** The same knobs under another scale-out rule (the scaling simulation compares the two). */
  public ScalingConfig withRule(Rule other) {
    return new ScalingConfig(tickMs, minWorkers, maxWorkers, scaleOutAfterMs, scaleOutCooldownMs, idleTimeoutMs,
        bootTimeoutMs, retireTimeoutMs, maxBackoffMs, other, targetDrainMs, workerHashRateEstimate);
  }
}
