package swell.it;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The acknowledged pull end to end, through an endpoint and a real balancer with a worker: results
 * pulled with ackMs stay hidden until acknowledged and come back if not; waitMs waits for a first
 * result. The endpoint forwards all of it (see ForwardOutcomeTest); the balancer keeps the state.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AckPullTest {
  private InProcessSwell swell;
  private SwellHttp client;

  @BeforeEach
  void start(Vertx vertx, @TempDir Path dir) {
    swell = new InProcessSwell(vertx).startBalancer(InProcessSwell.balancerConf(dir)).startEndpoint(new JsonObject());
    swell.startWorker(new JsonObject());
    client = swell.client();
  }

  @AfterEach
  void stop() {
    swell.close();
  }

  private Set<String> completedWorks(int n) {
    Set<String> ids = Set.of(client.enqueue("one".getBytes(), 3), client.enqueue("two".getBytes(), 3));
    swell.awaitCompletedUnpulled(n);
    return ids;
  }

  private static Set<String> ids(JsonArray results) {
    return results.stream().map(o -> ((JsonObject) o).getString("id")).collect(Collectors.toSet());
  }

  @Test
  void resultsPulledWithAckMsStayHiddenUntilAcknowledged() {
    Set<String> ids = completedWorks(2);

    assertThat(ids(client.pullAcked(10, 60_000))).isEqualTo(ids);
    assertThat(client.pullAcked(10, 60_000)).as("hidden while unacknowledged").isEmpty();
    HttpResponse<String> ack = client.send("POST", "/ackCompleted",
        new JsonObject().put("ids", new JsonArray(ids.stream().toList())).toBuffer().getBytes());

    assertThat(ack.statusCode()).as(ack.body()).isEqualTo(200);
    assertThat(new JsonObject(ack.body()).getInteger("acked")).isEqualTo(2);
    assertThat(swell.status().getLong("completedUnpulled")).isZero();
    assertThat(client.pull(10)).isEmpty();
  }

  @Test
  void unacknowledgedResultsComeBackAfterAckMs() {
    Set<String> ids = completedWorks(2);

    assertThat(ids(client.pullAcked(10, 300))).isEqualTo(ids);

    SwellHttp.await("the results come back", Duration.ofSeconds(10), () -> !client.pull(10).isEmpty());
  }

  @Test
  void aPullWithWaitMsWaitsForTheFirstResult() throws Exception {
    CompletableFuture<JsonArray> waiting = CompletableFuture.supplyAsync(() -> new JsonArray(
        client.send("POST", "/pullCompleted?top=10&waitMs=10000", null).body()));
    Thread.sleep(200);
    String id = client.enqueue("soon".getBytes(), 1);

    assertThat(ids(waiting.get(15, TimeUnit.SECONDS))).containsExactly(id);
  }
}
