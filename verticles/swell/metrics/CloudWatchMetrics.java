package swell.metrics;

import io.micrometer.cloudwatch2.CloudWatchConfig;
import io.micrometer.cloudwatch2.CloudWatchMeterRegistry;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.NamingConvention;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.services.cloudwatch.CloudWatchAsyncClient;
import swell.common.ConfigReader;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Sends Swell's own meters ({@code swell_*}) to CloudWatch, namespace {@code cloudwatchNamespace},
 * once a minute, under the names {@code /metrics} shows them by ({@code swell_works_enqueued_total},
 * {@code swell_works_pending}, ...), so a dashboard or an alarm reads like a Prometheus query.
 * It is one more registry in the role's {@link CompositeMeterRegistry}: {@link #addTo} it, and
 * {@link #close()} it when the role stops, which publishes the last minute (a retiring worker's or a
 * stopping balancer's).
 *
 * <p>Only {@code swell*} meters go: every CloudWatch metric (name and dimensions) is billed by the
 * month, and Vert.x's and the JVM's would be hundreds per instance. Timers publish {@code _count},
 * {@code _sum}, {@code _max}, {@code _avg} in seconds and the 50th, 90th and 99th percentiles as
 * {@code <timer>_seconds_percentile} with a {@code phi} dimension; histogram buckets do not go.
 */
public final class CloudWatchMetrics implements AutoCloseable {
  /** One data point a minute per metric: CloudWatch's standard resolution, and what its price assumes. */
  static final Duration STEP = Duration.ofMinutes(1);
  /** The percentiles the dashboard draws; computed in the role, since CloudWatch cannot from sums. */
  static final double[] PERCENTILES = {0.5, 0.9, 0.99};
  /** CloudWatch's rule for namespaces; {@code AWS/} is reserved for AWS's own. */
  private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9.\\-_/#:]{1,255}");
  /** Limits on one PutMetricData call. */
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

  private final CloudWatchAsyncClient client;
  private final boolean ownsClient;
  private final MeterRegistry registry;

  /** With the client the role's region and instance role give (the SDK's default chains). */
  public static CloudWatchMetrics start(String namespace) {
    CloudWatchAsyncClient client = CloudWatchAsyncClient.builder()
        .httpClientBuilder(NettyNioAsyncHttpClient.builder().maxConcurrency(2))
        .overrideConfiguration(o -> o.apiCallTimeout(CALL_TIMEOUT))
        .build();
    return new CloudWatchMetrics(namespace, client, true, STEP, Clock.SYSTEM);
  }

  /** With a client of the caller's, which stays open (tests point one at an emulator). */
  public static CloudWatchMetrics start(String namespace, CloudWatchAsyncClient client, Duration step) {
    return new CloudWatchMetrics(namespace, client, false, step, Clock.SYSTEM);
  }

  private CloudWatchMetrics(String namespace, CloudWatchAsyncClient client, boolean ownsClient, Duration step,
                            Clock clock) {
    this.client = client;
    this.ownsClient = ownsClient;
    CloudWatchConfig config = new CloudWatchConfig() {
      @Override
      public String get(String key) {
        return null;
      }

      @Override
      public String namespace() {
        return namespace;
      }

      @Override
      public Duration step() {
        return step;
      }
    };
    this.registry = new SecondsRegistry(config, clock, client);
    registry.config()
        .namingConvention(new CloudWatchNames())
        .meterFilter(MeterFilter.denyUnless(id -> id.getName().startsWith("swell")))
        .meterFilter(new MeterFilter() {
          @Override
          public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
            return DistributionStatisticConfig.builder()
                .percentiles(PERCENTILES)
                .percentilesHistogram(false)
                .serviceLevelObjectives(new double[0])
                .build()
                .merge(config);
          }
        });
  }

  /**
   * {@code cloudwatchNamespace} of any role: {@code ""} (the default) sends nothing; deploy sets
   * {@code Swell/<cluster>} for balancers and endpoints.
   */
  public static String namespace(ConfigReader r) {
    String ns = r.string("cloudwatchNamespace", "");
    if (!ns.isEmpty() && (!NAMESPACE.matcher(ns).matches() || ns.startsWith("AWS/"))) {
      throw r.bad("cloudwatchNamespace", "must be 1 to 255 letters, digits or . - _ / # : and not start with AWS/, "
          + "not \"" + ns + "\"");
    }
    return ns;
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** The hook: the role's meters reach CloudWatch from now on. */
  public void addTo(CompositeMeterRegistry composite) {
    composite.add(registry);
  }

  /** Publishes what the last minute counted, then stops. Blocks up to the call's timeout: not on an event loop. */
  @Override
  public void close() {
    registry.close();
    if (ownsClient) {
      client.close();
    }
  }

  /** Times in seconds, as {@code /metrics} has them, rather than the CloudWatch registry's milliseconds. */
  private static final class SecondsRegistry extends CloudWatchMeterRegistry {
    SecondsRegistry(CloudWatchConfig config, Clock clock, CloudWatchAsyncClient client) {
      super(config, clock, client);
    }

    @Override
    protected TimeUnit getBaseTimeUnit() {
      return TimeUnit.SECONDS;
    }
  }

  /**
   * Micrometer's CloudWatch registry names a metric {@code <meter>.<statistic>}
   * ({@code swell.works.enqueued.count}); this turns that into the name Prometheus shows:
   * {@code swell_works_enqueued_total}, {@code swell_works_pending}, {@code swell_x_seconds_sum}.
   */
  static final class CloudWatchNames implements NamingConvention {
    /** The statistics the registry appends to a timer's or summary's name. */
    private static final Set<String> STATISTICS = Set.of("count", "sum", "avg", "max");

    @Override
    public String name(String name, Meter.Type type, String baseUnit) {
      String meter = name;
      String statistic = null;
      int dot = name.lastIndexOf('.');
      String last = dot < 0 ? "" : name.substring(dot + 1);
      boolean suffixed = switch (type) {
        case COUNTER -> last.equals("count");
        case GAUGE -> last.equals("value");
        case TIMER, DISTRIBUTION_SUMMARY -> STATISTICS.contains(last);
        case LONG_TASK_TIMER -> last.equals("activeTasks") || last.equals("duration");
        default -> false;
      };
      if (suffixed) {
        meter = name.substring(0, dot);
        statistic = last.equals("activeTasks") ? "active_tasks" : last;
      }
      boolean percentile = type == Meter.Type.GAUGE && meter.endsWith(".percentile");
      if (percentile) {
        meter = meter.substring(0, meter.length() - ".percentile".length());
      }
      String out = snake(meter);
      if (out.endsWith("_total")) {
        out = out.substring(0, out.length() - "_total".length());
      }
      String unit = type == Meter.Type.TIMER || type == Meter.Type.LONG_TASK_TIMER ? "seconds"
          : baseUnit == null ? null : snake(baseUnit);
      if (unit != null && !out.endsWith("_" + unit)) {
        out += "_" + unit;
      }
      return switch (type) {
        case COUNTER -> out + "_total";
        case GAUGE -> percentile ? out + "_percentile" : out;
        case TIMER, DISTRIBUTION_SUMMARY, LONG_TASK_TIMER -> statistic == null ? out : out + "_" + statistic;
        default -> out;
      };
    }

    /** CloudWatch's limits on a dimension's name and value. */
    @Override
    public String tagKey(String key) {
      return key.length() > 255 ? key.substring(0, 255) : key;
    }

    @Override
    public String tagValue(String value) {
      return value.length() > 1024 ? value.substring(0, 1024) : value;
    }

    private static String snake(String s) {
      return s.replaceAll("[^A-Za-z0-9_:]", "_");
    }
  }
}
