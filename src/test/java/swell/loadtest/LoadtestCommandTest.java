package swell.loadtest;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code swell loadtest} end to end against a fake Swell: what it reports, checks and exits with. */
@ExtendWith(VertxExtension.class)
class LoadtestCommandTest {
  @TempDir
  Path tmp;

  /** The command's exit code and what it printed. */
  record Outcome(int exitCode, String out, String err) {
  }

  /** Runs the command on a plain thread: it blocks until its own run is over, and starts its own Vert.x. */
  private static Future<Outcome> loadtest(Vertx vertx, String... args) {
    CompletableFuture<Outcome> done = new CompletableFuture<>();
    new Thread(() -> {
      try {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = new CommandLine(new LoadtestCommand())
            .setOut(new PrintWriter(out, true))
            .setErr(new PrintWriter(err, true))
            .execute(args);
        done.complete(new Outcome(rc, out.toString(), err.toString()));
      } catch (Throwable e) {
        done.completeExceptionally(e);
      }
    }, "loadtest-command").start();
    return Future.fromCompletionStage(done, vertx.getOrCreateContext());
  }

  private Future<FakeSwell> fake(Vertx vertx, FakeSwell swell) {
    return vertx.deployVerticle(swell).map(id -> swell);
  }

  /** Deploys {@code swell}, runs the command against it with {@code args}, and reads back its --json report. */
  private Future<Outcome> against(Vertx vertx, FakeSwell swell, Path report, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    return fake(vertx, swell).compose(s -> {
      all.addAll(List.of("--url", s.url(), "--json", report.toString()));
      return loadtest(vertx, all.toArray(String[]::new));
    });
  }

  private JsonObject json(Path file) throws IOException {
    return new JsonObject(Files.readString(file));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void honestServerPassesVerificationAfterWarmUp(Vertx vertx, VertxTestContext ctx) {
    Path report = tmp.resolve("report.json");
    fake(vertx, new FakeSwell())
        .compose(s -> loadtest(vertx, "--url", s.url(), "--clients", "8", "--works", "300", "--iterations", "3",
            "--verify", "--warmup-works", "50", "--json", report.toString()))
        .onComplete(ctx.succeeding(o -> ctx.verify(() -> {
          assertThat(o.exitCode()).as(o.out() + o.err()).isZero();
          assertThat(o.out()).contains("300 accepted").contains("300 completed, 0 missing").contains("OK");
          JsonObject r = json(report);
          assertThat(r.getJsonObject("results").getLong("completed")).isEqualTo(300);
          assertThat(r.getJsonObject("results").getLong("mismatches")).isZero();
          assertThat(r.getJsonObject("enqueue").getJsonObject("latencyMs").getLong("count")).isEqualTo(300);
          assertThat(r.getJsonObject("results").getJsonObject("enqueueToResultLatencyMs").getLong("count"))
              .isEqualTo(300);
          assertThat(r.getJsonObject("results").getLong("unknownIds")).as("warm-up results are not this run's").isZero();
          assertThat(r.getBoolean("ok")).isTrue();
          ctx.completeNow();
        })));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void reportSaysHowMuchCpuTheClientUsedAndTheRatePerInterval(Vertx vertx, VertxTestContext ctx) {
    Path report = tmp.resolve("report.json");
    against(vertx, new FakeSwell(), report, "--clients", "8", "--works", "12000", "--enqueue-only", "--warmup-report")
        .onComplete(ctx.succeeding(o -> ctx.verify(() -> {
          assertThat(o.exitCode()).as(o.out() + o.err()).isZero();
          assertThat(o.out()).containsPattern("client     CPU \\d+\\.\\d\\d of \\d+ cores")
              .contains("per 5000 works:").contains("10000 works");
          JsonObject client = json(report).getJsonObject("client");
          assertThat(client.getDouble("cpuCores")).isPositive();
          assertThat(client.getDouble("cpuSeconds")).isPositive();
          assertThat(client.getInteger("availableCores")).isEqualTo(Runtime.getRuntime().availableProcessors());
          assertThat(json(report).getJsonObject("enqueue").getJsonObject("intervals").getJsonArray("perSecond"))
              .hasSize(2);
          ctx.completeNow();
        })));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void verifyPullsWithAcknowledgementAndAcknowledgesEveryResult(Vertx vertx, VertxTestContext ctx) {
    FakeSwell swell = new FakeSwell();
    Path report = tmp.resolve("report.json");
    fake(vertx, swell)
        .compose(s -> loadtest(vertx, "--url", s.url(), "--clients", "4", "--works", "120", "--verify",
            "--json", report.toString()))
        .onComplete(ctx.succeeding(o -> ctx.verify(() -> {
          assertThat(o.exitCode()).as(o.out() + o.err()).isZero();
          assertThat(swell.pullsWithAck).isPositive();
          assertThat(swell.acked).as("every result acknowledged, none left to come back").isEqualTo(120);
          assertThat(json(report).getJsonObject("results").getLong("redelivered")).isZero();
          ctx.completeNow();
        })));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void resultsWhoseAcknowledgementWasLostComeBackAndCountOnce(Vertx vertx, VertxTestContext ctx) {
    FakeSwell swell = new FakeSwell();
    swell.refuseAcks = 2;
    swell.maxHideMs = 200;
    Path report = tmp.resolve("report.json");
    fake(vertx, swell)
        // Open loop at 400/s: the run lasts 0.5 s, well past the 200 ms after which the refused pages come
        // back; a warm JIT would otherwise end it before they could.
        .compose(s -> loadtest(vertx, "--url", s.url(), "--clients", "4", "--works", "200", "--top", "20",
            "--rate", "400/s", "--verify", "--json", report.toString()))
        .onComplete(ctx.succeeding(o -> ctx.verify(() -> {
          assertThat(o.exitCode()).as(o.out() + o.err()).isZero();
          JsonObject r = json(report);
          JsonObject results = r.getJsonObject("results");
          assertThat(results.getLong("completed")).isEqualTo(200);
          assertThat(results.getLong("duplicateResults")).isZero();
          assertThat(results.getLong("redelivered")).as("the two refused pages came back").isPositive();
          assertThat(r.getJsonObject("errors").getJsonObject("ack").getLong("status 503")).isEqualTo(2);
          assertThat(swell.acked).isEqualTo(200);
          ctx.completeNow();
        })));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void aClientKeyGoesWithEveryRequest(Vertx vertx, VertxTestContext ctx) {
    FakeSwell swell = new FakeSwell();
    swell.requireKey = "swk_loadtest";
    fake(vertx, swell)
        .compose(s -> loadtest(vertx, "--url", s.url(), "--works", "30", "--verify", "--key", "swk_loadtest"))
        .compose(withKey -> loadtest(vertx, "--url", swell.url(), "--works", "5", "--timeout", "200ms")
            .map(without -> List.of(withKey, without)))
        .onComplete(ctx.succeeding(both -> ctx.verify(() -> {
          assertThat(both.get(0).exitCode()).as(both.get(0).out() + both.get(0).err()).isZero();
          assertThat(both.get(1).exitCode()).isEqualTo(1);
          assertThat(both.get(1).out()).contains("enqueue status 401: 5");
          ctx.completeNow();
        })));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void verifyCatchesWrongResultMissingIdAndDuplicate(Vertx vertx, VertxTestContext ctx) {
    FakeSwell swell = new FakeSwell();
    swell.corruptNth = 17;
    swell.dropNth = 42;
    swell.duplicateNth = 99;
    Path report = tmp.resolve("report.json");
    fake(vertx, swell)
        .compose(s -> loadtest(vertx, "--url", s.url(), "--clients", "4", "--works", "200", "--verify",
            "--timeout", "1s", "--json", report.toString()))
        .onComplete(ctx.succeeding(o -> ctx.verify(() -> {
          assertThat(o.exitCode()).as(o.out() + o.err()).isEqualTo(1);
          assertThat(o.out()).contains("FAILED");
          JsonObject results = json(report).getJsonObject("results");
          assertThat(results.getLong("mismatches")).isEqualTo(1);
          assertThat(results.getLong("missing")).isEqualTo(1);
          assertThat(results.getLong("duplicateResults")).isEqualTo(1);
          assertThat(results.getLong("completed")).isEqualTo(199);
          assertThat(results.getBoolean("timedOut")).isTrue();
          ctx.completeNow();
        })));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void missingWorkFailsEvenWithoutVerify(Vertx vertx, VertxTestContext ctx) {
    FakeSwell swell = new FakeSwell();
    swell.dropNth = 5;
    fake(vertx, swell)
        .compose(s -> loadtest(vertx, "--url", s.url(), "--works", "50", "--timeout", "500ms"))
        .onComplete(ctx.succeeding(o -> ctx.verify(() -> {
          assertThat(o.exitCode()).isEqualTo(1);
          assertThat(o.out()).contains("49 completed, 1 missing (timed out)").contains("not verified");
          ctx.completeNow();
        })));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void fullQueueIsRetriedAfterRetryAfter(Vertx vertx, VertxTestContext ctx) {
    FakeSwell swell = new FakeSwell();
    swell.refuseFirst = 3;
    Path report = tmp.resolve("report.json");
    fake(vertx, swell)
        .compose(s -> loadtest(vertx, "--url", s.url(), "--clients", "2", "--works", "20", "--verify",
            "--json", report.toString()))
        .onComplete(ctx.succeeding(o -> ctx.verify(() -> {
          assertThat(o.exitCode()).as(o.out() + o.err()).isZero();
          JsonObject r = json(report);
          assertThat(r.getJsonObject("enqueue").getLong("retriesAfter503")).isEqualTo(3);
          assertThat(r.getJsonObject("enqueue").getLong("accepted")).isEqualTo(20);
          assertThat(r.getJsonObject("errors").getJsonObject("enqueue").getLong("status 503")).isEqualTo(3);
          ctx.completeNow();
        })));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void chunkedAnswersOnConnectionsTheServerClosesAllCount(Vertx vertx, VertxTestContext ctx) {
    FakeSwell swell = new FakeSwell();
    swell.chunkedAndClose = true;
    Path report = tmp.resolve("report.json");
    against(vertx, swell, report, "--clients", "4", "--works", "200", "--verify")
        .onComplete(ctx.succeeding(o -> ctx.verify(() -> {
          assertThat(o.exitCode()).as(o.out() + o.err()).isZero();
          JsonObject r = json(report);
          assertThat(r.getJsonObject("enqueue").getLong("accepted")).isEqualTo(200);
          assertThat(r.getJsonObject("results").getLong("mismatches")).isZero();
          assertThat(r.getJsonObject("errors").isEmpty()).as(r.encode()).isTrue();
          ctx.completeNow();
        })));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void anEnqueueNeverAnsweredTimesOutAndTheRunGoesOn(Vertx vertx, VertxTestContext ctx) {
    FakeSwell swell = new FakeSwell();
    swell.stallNth = 3;
    Path report = tmp.resolve("report.json");
    against(vertx, swell, report, "--clients", "2", "--works", "30", "--enqueue-only", "--request-timeout", "300ms")
        .onComplete(ctx.succeeding(o -> ctx.verify(() -> {
          assertThat(o.exitCode()).as(o.out() + o.err()).isEqualTo(1);
          JsonObject r = json(report);
          assertThat(r.getJsonObject("enqueue").getLong("accepted")).isEqualTo(29);
          assertThat(r.getJsonObject("enqueue").getLong("failed")).isEqualTo(1);
          assertThat(r.getJsonObject("errors").getJsonObject("enqueue").getLong("timeout")).isEqualTo(1);
          ctx.completeNow();
        })));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void openLoopSpreadsWorksOverBothUrls(Vertx vertx, VertxTestContext ctx) {
    FakeSwell a = new FakeSwell();
    FakeSwell b = new FakeSwell();
    fake(vertx, a).compose(x -> fake(vertx, b))
        .compose(x -> loadtest(vertx, "--url", a.url() + "," + b.url(), "--clients", "4", "--works", "100",
            "--rate", "500/s", "--verify"))
        .onComplete(ctx.succeeding(o -> ctx.verify(() -> {
          assertThat(o.exitCode()).as(o.out() + o.err()).isZero();
          assertThat(o.out()).contains("open loop, 500/s").contains("100 completed");
          ctx.completeNow();
        })));
  }

  @Test
  @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
  void badArgumentsExitWithTwoAndSayWhich(Vertx vertx, VertxTestContext ctx) {
    List<String[]> bad = List.of(
        new String[] {"--clients", "0"},
        new String[] {"--works", "-1"},
        new String[] {"--rate", "fast"},
        new String[] {"--timeout", "soon"},
        new String[] {"--url", "ftp://example.com"},
        new String[] {"--iterations", "0"},
        new String[] {"--no-such-flag"});
    List<Future<Outcome>> runs = new ArrayList<>();
    bad.forEach(args -> runs.add(loadtest(vertx, args)));
    Future.all(runs).onComplete(ctx.succeeding(all -> ctx.verify(() -> {
      for (int i = 0; i < bad.size(); i++) {
        Outcome o = runs.get(i).result();
        assertThat(o.exitCode()).as(String.join(" ", bad.get(i))).isEqualTo(2);
        assertThat(o.err()).as(String.join(" ", bad.get(i))).contains(bad.get(i)[0]);
      }
      ctx.completeNow();
    })));
  }

  @Test
  @Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
  void unreachableUrlFailsFastNamingIt(Vertx vertx, VertxTestContext ctx) throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String url = "http://127.0.0.1:" + port;
    long start = System.nanoTime();
    loadtest(vertx, "--url", url, "--works", "10")
        .onComplete(ctx.succeeding(o -> ctx.verify(() -> {
          assertThat(o.exitCode()).isEqualTo(2);
          assertThat(o.err()).contains("cannot reach " + url);
          assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(10));
          ctx.completeNow();
        })));
  }
}
