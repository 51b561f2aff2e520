package swell.endpoint;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import swell.balancer.BalancerConfig;
import swell.balancer.BalancerVerticle;
import swell.common.ApiError;
import swell.common.ConfigReader;
import swell.common.EnqueueFrames.Frame;
import swell.common.WorkIds;
import swell.it.InProcessSwell;
import swell.it.SwellHttp;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The {@code local} role's endpoints hand batches to the balancer in the same JVM over the event
 * bus: the balancer answers them exactly as it answers {@code /enqueue_batch}, and a balancer that
 * is not serving yet is a plain 503 (nothing was handed over).
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class InJvmForwardTest {

  private static <T> T await(io.vertx.core.Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static Frame frame(int iterations, String key) {
    return new Frame(WorkIds.next(System.currentTimeMillis()), iterations, "", key, Buffer.buffer("body"));
  }

  @Test
  void aBatchHandedOverInTheJvmIsStoredAndAnsweredWorkByWork(Vertx vertx, @TempDir Path dir) throws Exception {
    ConfigReader r = new ConfigReader(InProcessSwell.balancerConf(dir).put("maxIterations", 100), Map.of());
    r.allow("role");
    BalancerVerticle balancer = new BalancerVerticle(BalancerConfig.from(r));
    String address = balancer.serveInJvm();
    await(vertx.deployVerticle(balancer));
    BatchForward forward = BatchForward.inJvm(vertx, address, 5_000);

    Frame good = frame(5, null);
    Frame tooMany = frame(500, null);
    Frame keyed = frame(1, "k-1");
    Frame again = frame(1, "k-1");
    BatchForward.Reply reply = await(forward.send(List.of(good, tooMany, keyed, again)));

    assertThat(reply.status()).isEqualTo(200);
    var results = reply.body().getJsonArray("results");
    assertThat(results.getJsonObject(0).getString("id")).isEqualTo(good.id().toString());
    assertThat(results.getJsonObject(1).getString("error")).isEqualTo("bad_iterations");
    assertThat(results.getJsonObject(2).getString("id")).isEqualTo(keyed.id().toString());
    assertThat(results.getJsonObject(3).getString("id")).as("the same key: the first id").isEqualTo(keyed.id().toString());
    JsonObject work = new SwellHttp("http://127.0.0.1:" + balancer.port(), InProcessSwell.TOKEN)
        .json("GET", "/work/" + good.id());
    assertThat(work.getString("status")).isEqualTo("queued");
    assertThat(work.getInteger("iterations")).isEqualTo(5);
  }

  @Test
  void withNoBalancerServingTheBatchIsRefusedAsNoBalancerAndNothingWasHandedOver(Vertx vertx) {
    BatchForward forward = BatchForward.inJvm(vertx, "swell.balancer.nobody.enqueue", 5_000);
    assertThatThrownBy(() -> await(forward.send(List.of(frame(1, null)))))
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(ApiError.class)
        .satisfies(e -> assertThat(((ApiError) e).code()).isEqualTo("no_balancer"));
  }

  @Test
  void theLocalRoleEnqueuesThroughItsEndpointsAndResultsComeBack(Vertx vertx, @TempDir Path dir) throws Exception {
    JsonObject conf = new JsonObject()
        .put("role", "local")
        .put("endpointPorts", new io.vertx.core.json.JsonArray().add(0))
        .put("balancerPort", 0)
        .put("dataDir", dir.toString())
        .put("fleet", new JsonObject().put("type", "none"))
        .put("minWorkers", 0)
        .put("maxWorkers", 0);
    swell.local.LocalVerticle local = (swell.local.LocalVerticle) swell.Roles.verticleFor(conf, Map.of(), code -> { })
        .verticle();
    await(vertx.deployVerticle(local));
    SwellHttp client = new SwellHttp("http://127.0.0.1:" + local.endpointPorts().get(0), null);
    String id = client.enqueue("through the event bus".getBytes(), 3);
    assertThat(UUID.fromString(id)).isNotNull();
    assertThat(client.json("GET", "/work/" + id).getString("status")).isEqualTo("queued");
    assertThat(client.send("PUT", "/enqueue?iterations=0", "x".getBytes()).statusCode()).isEqualTo(400);
  }
}
