package swell.worker;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import swell.it.InProcessSwell;
import swell.it.SwellHttp;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A real worker's heartbeats carry its measured hash rate, and the balancer shows it. */
@ExtendWith(VertxExtension.class)
class HeartbeatStatsTest {
  private InProcessSwell swell;

  @AfterEach
  void stop() {
    if (swell != null) {
      swell.close();
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void aWorkerComputingALongWorkReportsItsRateWhileItRuns(Vertx vertx, @TempDir Path dir) {
    swell = new InProcessSwell(vertx).startBalancer(InProcessSwell.balancerConf(dir.resolve("data")))
        .startEndpoint(new JsonObject());
    SwellHttp client = swell.client();
    swell.startWorker(new JsonObject().put("workerId", "meter").put("threads", 1).put("heartbeatMs", 100));
    client.enqueue("short".getBytes(), 100_000);
    SwellHttp.await("the short work, which gives the worker its speed", Duration.ofSeconds(20),
        () -> swell.status().getLong("completedUnpulled") == 1);

    client.enqueue("long".getBytes(), 30_000_000);
    JsonObject[] seen = new JsonObject[1];
    SwellHttp.await("a heartbeat from the middle of the long work", Duration.ofSeconds(30), () -> {
      JsonObject status = swell.status();
      seen[0] = status.getJsonArray("workers").getJsonObject(0).getJsonObject("stats");
      return status.getLong("leased") == 1 && seen[0] != null && seen[0].getValue("hashRate") != null
          && seen[0].getDouble("busyFraction") > 0.5;
    });
    // Its speed comes from the short work, run by a JVM that had not compiled its loop yet (on a
    // loaded machine ~0.1 M hashes/s, against 5 M warm): how fast is not the point here.
    assertThat(seen[0].getLong("hashRate")).as("hashes/s of one busy thread").isPositive();
    assertThat(seen[0].getLong("completed")).isEqualTo(1);
  }
}
