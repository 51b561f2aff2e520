package swell.balancer;

import swell.common.ConfigException;
import swell.common.ConfigReader;

/** The scaler's knobs, as DESIGN.md's scaling rules name them. */
public record ScalingConfig(long tickMs, int minWorkers, int maxWorkers, long scaleOutAfterMs, long scaleOutCooldownMs,
                            long idleTimeoutMs, long bootTimeoutMs, long retireTimeoutMs, long maxBackoffMs) {

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
        r.number("maxBackoffMs", 300_000, 100, 86_400_000));
    if (c.minWorkers > c.maxWorkers) {
      throw new ConfigException("minWorkers", "must not be above maxWorkers (" + c.maxWorkers + ")");
    }
    return c;
  }
}
