package swell.it;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import swell.common.Sha512Chain;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A worker killed mid-work: its lease expires, the work is delivered again and recorded once. */
@ExtendWith(VertxExtension.class)
class WorkerKillTest {
  /** Long enough that the worker is surely still computing when it is killed. */
  private static final int ITERATIONS = 3_000_000;
  private InProcessSwell swell;
  private RoleProcess doomed;

  @AfterEach
  void stop() throws InterruptedException {
    if (doomed != null) {
      doomed.close();
    }
    swell.close();
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void workOfAKilledWorkerIsRedeliveredAfterTheLeaseAndCompletesOnce(Vertx vertx, @TempDir Path dir)
      throws Exception {
    swell = new InProcessSwell(vertx)
        .startBalancer(InProcessSwell.balancerConf(dir.resolve("data")).put("leaseMs", 2000))
        .startEndpoint(new JsonObject());
    SwellHttp client = swell.client();
    byte[] body = "the long one".getBytes();
    String id = client.enqueue(body, ITERATIONS);

    doomed = RoleProcess.start(new JsonObject().put("role", "worker").put("clusterToken", InProcessSwell.TOKEN)
        .put("workerId", "doomed").put("threads", 1)
        .put("balancerUrls", new JsonArray().add(swell.balancerUrl())), dir.resolve("doomed.log"));
    SwellHttp.await("the doomed worker to lease the work", Duration.ofSeconds(60),
        () -> swell.status().getLong("leased") == 1);
    assertThat(client.json("GET", "/work/" + id).getString("status")).isEqualTo("running");
    doomed.kill9();

    SwellHttp.await("the lease to expire", Duration.ofSeconds(30), () -> swell.status().getLong("pending") == 1);
    swell.startWorker(new JsonObject().put("workerId", "survivor"));
    SwellHttp.await("the work to complete", Duration.ofSeconds(60),
        () -> swell.status().getLong("completedUnpulled") == 1);

    JsonArray pulled = client.pull(10);
    assertThat(pulled).hasSize(1);
    assertThat(pulled.getJsonObject(0).getString("id")).isEqualTo(id);
    assertThat(pulled.getJsonObject(0).getString("result")).isEqualTo(new Sha512Chain().computeHex(body, ITERATIONS));
    assertThat(client.pull(10)).isEmpty();
    JsonObject work = client.json("GET", "/work/" + id);
    assertThat(work.getString("status")).isEqualTo("completed");
    assertThat(work.getInteger("attempts")).isEqualTo(2);
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void aWorkerSentSigtermGivesItsWorkBackAtOnce(Vertx vertx, @TempDir Path dir) throws Exception {
    swell = new InProcessSwell(vertx)
        .startBalancer(InProcessSwell.balancerConf(dir.resolve("data")).put("leaseMs", 600_000))
        .startEndpoint(new JsonObject());
    SwellHttp client = swell.client();
    String id = client.enqueue("interrupted".getBytes(), 50_000_000);
    doomed = RoleProcess.start(new JsonObject().put("role", "worker").put("clusterToken", InProcessSwell.TOKEN)
        .put("workerId", "terminated").put("threads", 1)
        .put("balancerUrls", new JsonArray().add(swell.balancerUrl())), dir.resolve("terminated.log"));
    SwellHttp.await("the worker to lease the work", Duration.ofSeconds(60),
        () -> swell.status().getLong("leased") == 1);

    doomed.close(); // SIGTERM
    SwellHttp.await("the work to be back in the queue long before its 10-minute lease ends", Duration.ofSeconds(20),
        () -> swell.status().getLong("pending") == 1);
    assertThat(client.json("GET", "/work/" + id).getString("status")).isEqualTo("queued");
    assertThat(swell.status().getJsonArray("workers")).as("the worker left").isEmpty();
  }
}
