package swell.fleet;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.services.ec2.Ec2AsyncClient;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import swell.it.InProcessSwell;
import swell.it.SwellHttp;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The balancer's scaler driving the EC2 fleet against moto: boot timeouts and EC2 errors a person must see. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Ec2ScalingTest {
  private static MotoServer moto;
  private static Ec2AsyncClient ec2;
  private InProcessSwell swell;

  @BeforeAll
  static void startMoto() throws Exception {
    moto = MotoServer.start();
    ec2 = moto.settings().configure(Ec2AsyncClient.builder()).httpClientBuilder(NettyNioAsyncHttpClient.builder())
        .build();
  }

  @AfterAll
  static void stopMoto() {
    if (ec2 != null) {
      ec2.close();
    }
    if (moto != null) {
      moto.close();
    }
  }

  @AfterEach
  void stopBalancer() {
    if (swell != null) {
      swell.close();
    }
  }

  /** A balancer whose fleet is EC2 on moto; its SDK client finds no credentials and uses placeholders. */
  private InProcessSwell balancer(Vertx vertx, Path dataDir, String cluster, JsonObject ec2Overrides, long bootMs) {
    JsonObject ec2Section = moto.ec2Section(cluster)
        .put("bucket", "swell-artifacts")
        .mergeIn(ec2Overrides);
    JsonObject conf = InProcessSwell.balancerConf(dataDir)
        .put("fleet", new JsonObject().put("type", "ec2").put("ec2", ec2Section))
        .put("minWorkers", 0)
        .put("maxWorkers", 1)
        .put("scaleOutAfterMs", 0)
        .put("scaleOutCooldownMs", 0)
        .put("bootTimeoutMs", bootMs)
        .put("maxBackoffMs", 60_000)
        .put("tickMs", 100);
    swell = new InProcessSwell(vertx).startBalancer(conf);
    return swell;
  }

  private static List<Instance> workers(String cluster) {
    return ec2.describeInstances(b -> b.filters(Filter.builder().name("tag:swell:cluster").values(cluster).build()))
        .join().reservations().stream().flatMap(r -> r.instances().stream()).toList();
  }

  private static long events(JsonObject status, String kind) {
    JsonArray recent = status.getJsonObject("scaling").getJsonArray("recentEvents");
    return recent.stream().filter(e -> kind.equals(((JsonObject) e).getString("event"))).count();
  }

  @Test
  void aLaunchedWorkerThatNeverRegistersIsTerminatedAfterBootTimeout(Vertx vertx, @TempDir Path dir) {
    InProcessSwell s = balancer(vertx, dir, "boot", new JsonObject(), 1500);
    s.balancerClient().enqueue("waiting for a worker".getBytes(StandardCharsets.UTF_8), 1);

    SwellHttp.await("the scaler launches an EC2 worker", Duration.ofSeconds(20), () -> !workers("boot").isEmpty());
    Instance launched = workers("boot").get(0);
    // Nothing boots on moto, so the worker never registers: the balancer must give up on it.
    SwellHttp.await("the unregistered worker's instance is terminated", Duration.ofSeconds(20), () ->
        workers("boot").stream().anyMatch(i -> i.instanceId().equals(launched.instanceId())
            && i.state().nameAsString().matches("shutting-down|terminated")));

    JsonObject status = s.status();
    assertThat(status.getJsonObject("scaling").getJsonArray("recentEvents").encode())
        .contains("did not register within bootTimeoutMs");
  }

  @Test
  void anEc2ErrorShowsInStatusAndStopsTheLaunchLoop(Vertx vertx, @TempDir Path dir) throws Exception {
    InProcessSwell s = balancer(vertx, dir, "broken", new JsonObject().put("subnetId", "subnet-0000000000dead"),
        60_000);
    s.balancerClient().enqueue("waiting for a worker".getBytes(StandardCharsets.UTF_8), 1);

    SwellHttp.await("launches are blocked", Duration.ofSeconds(20),
        () -> s.status().getJsonObject("scaling").getBoolean("launchesBlocked", false));
    Thread.sleep(1000); // ten scaler ticks: a spinning loop would launch again
    JsonObject scaling = s.status().getJsonObject("scaling");

    assertThat(scaling.getString("lastLaunchError"))
        .contains("InvalidSubnetID.NotFound", "subnet-0000000000dead", "does not exist");
    assertThat(scaling.getString("launchesBlockedReason")).contains("InvalidSubnetID.NotFound");
    assertThat(events(s.status(), "launch")).isEqualTo(1);
    assertThat(workers("broken")).isEmpty();
  }
}
