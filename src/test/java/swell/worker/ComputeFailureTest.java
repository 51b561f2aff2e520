package swell.worker;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import swell.common.ConfigReader;
import swell.common.Sha512Chain;
import swell.it.InProcessSwell;
import swell.it.SwellHttp;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** A compute thread that fails must not keep its work leased: the work goes back and completes elsewhere. */
@ExtendWith(VertxExtension.class)
class ComputeFailureTest {
  private static final int ITERATIONS = 1000;
  private InProcessSwell swell;

  @AfterEach
  void stop() {
    if (swell != null) {
      swell.close();
    }
  }

  /** A balancer and an endpoint in this Vert.x; the client of the endpoint. */
  private SwellHttp startSwell(Vertx vertx, Path dir, long leaseMs) {
    swell = new InProcessSwell(vertx)
        .startBalancer(InProcessSwell.balancerConf(dir.resolve("data")).put("leaseMs", leaseMs))
        .startEndpoint(new JsonObject());
    return swell.client();
  }

  /** The work's one result comes back right, after two deliveries. */
  private static void assertCompletedOnce(SwellHttp client, String id, byte[] body) {
    JsonArray pulled = client.pull(10);
    assertThat(pulled).hasSize(1);
    assertThat(pulled.getJsonObject(0).getString("id")).isEqualTo(id);
    assertThat(pulled.getJsonObject(0).getString("result")).isEqualTo(new Sha512Chain().computeHex(body, ITERATIONS));
    assertThat(client.json("GET", "/work/" + id).getInteger("attempts")).isEqualTo(2);
  }

  private void deployWorker(Vertx vertx, String id, CompletableFuture<Integer> exit, ChainPool.Computation computation)
      throws Exception {
    JsonObject conf = new JsonObject()
        .put("balancerUrls", new JsonArray().add(swell.balancerUrl()))
        .put("clusterToken", InProcessSwell.TOKEN)
        .put("workerId", id)
        .put("threads", 1)
        .put("pollWaitMs", 1000)
        .put("heartbeatMs", 200);
    WorkerVerticle w = new WorkerVerticle(WorkerConfig.from(new ConfigReader(conf, Map.of())), exit::complete, computation);
    vertx.deployVerticle(w).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void anErrorOnAComputeThreadGivesTheWorkBackAtOnceAndTheWorkerExitsNonZero(Vertx vertx, @TempDir Path dir)
      throws Exception {
    SwellHttp client = startSwell(vertx, dir, 600_000);
    byte[] body = "out of memory".getBytes();
    String id = client.enqueue(body, ITERATIONS);

    CompletableFuture<Integer> brokenExit = new CompletableFuture<>();
    long start = System.nanoTime();
    deployWorker(vertx, "broken", brokenExit, (b, n) -> {
      throw new OutOfMemoryError("injected: Java heap space");
    });
    assertThat(brokenExit.get(30, TimeUnit.SECONDS)).as("the broken worker's exit status").isNotZero();
    SwellHttp.await("the work back in the queue", Duration.ofSeconds(10), () -> swell.status().getLong("pending") == 1);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("back long before the 10-minute lease ends")
        .isLessThan(Duration.ofSeconds(40));
    assertThat(swell.status().getJsonArray("workers").stream().map(w -> ((JsonObject) w).getString("id")))
        .as("the broken worker left").doesNotContain("broken");

    swell.startWorker(new JsonObject().put("workerId", "healthy"));
    SwellHttp.await("the work to complete on the healthy worker", Duration.ofSeconds(30),
        () -> swell.status().getLong("completedUnpulled") == 1);
    assertCompletedOnce(client, id, body);
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void anExceptionLetsTheLeaseLapseAndTheWorkerCarriesOn(Vertx vertx, @TempDir Path dir) throws Exception {
    SwellHttp client = startSwell(vertx, dir, 1500);
    byte[] body = "flaky".getBytes();
    String id = client.enqueue(body, ITERATIONS);

    AtomicInteger calls = new AtomicInteger();
    ChainPool.Computation chain = ChainPool.sha512Chain();
    CompletableFuture<Integer> exit = new CompletableFuture<>();
    deployWorker(vertx, "flaky", exit, (b, n) -> {
      if (calls.incrementAndGet() == 1) {
        throw new IllegalStateException("injected: a bad first attempt");
      }
      return chain.compute(b, n);
    });
    SwellHttp.await("the work to complete on its second delivery", Duration.ofSeconds(30),
        () -> swell.status().getLong("completedUnpulled") == 1);
    assertCompletedOnce(client, id, body);
    assertThat(exit).as("the worker is still running").isNotDone();
  }
}
