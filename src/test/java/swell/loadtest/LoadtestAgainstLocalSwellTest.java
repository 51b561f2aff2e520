package swell.loadtest;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import swell.Roles;
import swell.common.ConfigReader;
import swell.local.LocalVerticle;
import swell.worker.WorkerConfig;
import swell.worker.WorkerVerticle;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code swell loadtest --verify} against a real Swell: the {@code local} role (two endpoints and a
 * balancer on the durable sqlite store) deployed in this JVM on free ports, with one in-process
 * worker of two threads instead of a child JVM.
 */
@ExtendWith(VertxExtension.class)
class LoadtestAgainstLocalSwellTest {
  @TempDir
  Path dataDir;

  private Future<LocalVerticle> startLocal(Vertx vertx) {
    JsonObject conf = new JsonObject()
        .put("role", "local")
        .put("endpointPorts", new JsonArray().add(0).add(0))
        .put("balancerPort", 0)
        .put("dataDir", dataDir.toString())
        .put("store", new JsonObject().put("type", "sqlite").put("durability", "fsync"))
        .put("fleet", new JsonObject().put("type", "none"))
        .put("minWorkers", 0)
        .put("maxWorkers", 0);
    LocalVerticle local = (LocalVerticle) Roles.verticleFor(conf, Map.of(), status -> { }).verticle();
    return vertx.deployVerticle(local).map(id -> local);
  }

  private Future<String> startWorker(Vertx vertx, LocalVerticle local) {
    JsonObject conf = new JsonObject()
        .put("balancerUrls", new JsonArray().add("http://127.0.0.1:" + local.balancerPort()))
        .put("clusterToken", local.clusterToken())
        .put("threads", 2)
        .put("pollWaitMs", 2000);
    return vertx.deployVerticle(new WorkerVerticle(WorkerConfig.from(new ConfigReader(conf, Map.of()))));
  }

  @Test
  @Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
  void hundredsOfWorksComeBackVerifiedThroughBothEndpoints(Vertx vertx, VertxTestContext ctx) {
    Path report = dataDir.resolve("report.json");
    CompletableFuture<Integer> exit = new CompletableFuture<>();
    StringWriter out = new StringWriter();
    startLocal(vertx).compose(local -> startWorker(vertx, local).map(w -> local))
        .onComplete(ctx.succeeding(local -> {
          String urls = local.endpointPorts().stream().map(p -> "http://127.0.0.1:" + p)
              .collect(Collectors.joining(","));
          // The command blocks until its run is over, so it gets a thread of its own.
          new Thread(() -> exit.complete(new CommandLine(new LoadtestCommand())
              .setOut(new PrintWriter(out, true)).setErr(new PrintWriter(out, true))
              .execute("--url", urls, "--clients", "16", "--works", "600", "--iterations", "50", "--verify",
                  "--timeout", "60s", "--json", report.toString())), "loadtest-command").start();
          Future.fromCompletionStage(exit, vertx.getOrCreateContext()).onComplete(ctx.succeeding(rc ->
              ctx.verify(() -> {
                assertThat(rc).as(out.toString()).isZero();
                JsonObject r = new JsonObject(Files.readString(report));
                JsonObject results = r.getJsonObject("results");
                assertThat(r.getJsonObject("enqueue").getLong("accepted")).isEqualTo(600);
                assertThat(results.getLong("completed")).isEqualTo(600);
                assertThat(results.getLong("mismatches")).isZero();
                assertThat(results.getLong("duplicateResults")).isZero();
                assertThat(results.getLong("unknownIds")).isZero();
                ctx.completeNow();
              })));
        }));
  }
}
