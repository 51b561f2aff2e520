package swell.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.services.cloudwatch.CloudWatchAsyncClient;
import software.amazon.awssdk.services.cloudwatch.model.Dimension;
import software.amazon.awssdk.services.cloudwatch.model.Metric;
import swell.common.ConfigException;
import swell.common.ConfigReader;
import swell.fleet.CborShim;
import swell.fleet.MotoServer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Swell's meters reach CloudWatch (moto) under the names {@code /metrics} shows them by, and
 * nothing else goes: a role's last minute is published when it closes.
 */
class CloudWatchMetricsTest {
  private static MotoServer moto;
  private static CborShim shim;
  private static CloudWatchAsyncClient cloudwatch;

  @BeforeAll
  static void start() throws Exception {
    moto = MotoServer.start();
    shim = CborShim.inFrontOf(moto);
    cloudwatch = shim.settings(moto).configure(CloudWatchAsyncClient.builder())
        .httpClientBuilder(NettyNioAsyncHttpClient.builder()).build();
  }

  @AfterAll
  static void stop() {
    cloudwatch.close();
    shim.close();
    moto.close();
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void swellMetersArePublishedUnderTheirPrometheusNamesAndNothingElse() {
    String namespace = "Swell/metrics-test";
    CompositeMeterRegistry composite = new CompositeMeterRegistry();
    CloudWatchMetrics cw = CloudWatchMetrics.start(namespace, cloudwatch, Duration.ofMinutes(1));
    cw.addTo(composite);
    AtomicInteger pending = new AtomicInteger(7);
    Counter.builder("swell.works.enqueued").register(composite).increment(3);
    Gauge.builder("swell.works.pending", pending, AtomicInteger::get).register(composite);
    Gauge.builder("swell.workers", () -> 2).tag("state", "idle").register(composite);
    Timer latency = Timer.builder("swell.work.enqueue.to.completion").register(composite);
    latency.record(Duration.ofMillis(250));
    latency.record(Duration.ofMillis(750));
    Counter.builder("jvm.gc.pause.count").register(composite).increment();

    cw.close(); // publishes what was counted so far

    List<Metric> metrics = cloudwatch.listMetrics(b -> b.namespace(namespace)).join().metrics();
    assertThat(metrics).extracting(Metric::metricName)
        .contains("swell_works_enqueued_total", "swell_works_pending", "swell_workers",
            "swell_work_enqueue_to_completion_seconds_count", "swell_work_enqueue_to_completion_seconds_sum",
            "swell_work_enqueue_to_completion_seconds_max", "swell_work_enqueue_to_completion_seconds_percentile")
        .noneMatch(n -> n.startsWith("jvm"))
        .noneMatch(n -> n.contains("histogram"));
    assertThat(metrics).filteredOn(m -> m.metricName().equals("swell_workers"))
        .flatExtracting(Metric::dimensions).containsExactly(Dimension.builder().name("state").value("idle").build());
    assertThat(metrics).filteredOn(m -> m.metricName().endsWith("_percentile"))
        .flatExtracting(Metric::dimensions).extracting(Dimension::value).containsExactlyInAnyOrder("0.5", "0.9", "0.99");
  }

  @Test
  void theNamesFollowPrometheusForEveryKindOfMeter() {
    CloudWatchMetrics.CloudWatchNames names = new CloudWatchMetrics.CloudWatchNames();
    assertThat(names.name("swell.works.enqueued.count", Meter.Type.COUNTER, null)).isEqualTo("swell_works_enqueued_total");
    assertThat(names.name("swell_works_completed_total.count", Meter.Type.COUNTER, null))
        .isEqualTo("swell_works_completed_total");
    assertThat(names.name("swell.works.pending.value", Meter.Type.GAUGE, null)).isEqualTo("swell_works_pending");
    assertThat(names.name("swell.store.batch.value", Meter.Type.GAUGE, "works")).isEqualTo("swell_store_batch_works");
    assertThat(names.name("swell.x.sum", Meter.Type.TIMER, "seconds")).isEqualTo("swell_x_seconds_sum");
    assertThat(names.name("swell.x.percentile.value", Meter.Type.GAUGE, "seconds"))
        .isEqualTo("swell_x_seconds_percentile");
    assertThat(names.name("swell.body.max", Meter.Type.DISTRIBUTION_SUMMARY, "bytes")).isEqualTo("swell_body_bytes_max");
  }

  @Test
  void theNamespaceIsOffByDefaultAndCheckedWhenSet() {
    assertThat(namespace(new JsonObject())).isEmpty();
    assertThat(namespace(new JsonObject().put("cloudwatchNamespace", "Swell/prod"))).isEqualTo("Swell/prod");
    assertThatThrownBy(() -> namespace(new JsonObject().put("cloudwatchNamespace", "AWS/EC2")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("cloudwatchNamespace");
    assertThatThrownBy(() -> namespace(new JsonObject().put("cloudwatchNamespace", "has space")))
        .isInstanceOf(ConfigException.class);
  }

  private static String namespace(JsonObject json) {
    return CloudWatchMetrics.namespace(new ConfigReader(json, Map.of()));
  }
}
