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
import swell.balancer.BalancerVerticle;
import swell.common.Sha512Chain;
import swell.store.SqliteWorkStore;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * Write failures must not pass silently. The faults are real: the store's files made immutable
 * ({@code chattr +i}, which fails writes even through open descriptors and even for root), and an
 * {@link Error} thrown inside the SQLite writer thread.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StoreFailureTest {
  private static final Map<String, String> WORKER = Map.of("Swell-Worker", "w-1");
  private InProcessSwell swell;

  @AfterEach
  void stop() {
    if (swell != null) {
      swell.close();
    }
  }

  private static String result(byte[] body, int iterations) {
    return new Sha512Chain().computeHex(body, iterations);
  }

  private static JsonArray leased(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new JsonObject(r.body()).getJsonArray("works");
  }

  private static String report(String id, String result) {
    return new JsonObject().put("results", new JsonArray().add(new JsonObject().put("id", id).put("result", result)))
        .encode();
  }

  /** Makes the store's files immutable (or writable again); false where chattr cannot (not root, not ext4). */
  private static boolean immutable(Path dataDir, boolean on) throws Exception {
    try (var files = Files.list(dataDir)) {
      List<String> cmd = new java.util.ArrayList<>(List.of("chattr", on ? "+i" : "-i"));
      // The database and its WAL, not the -shm index: SQLite maps that file into memory, and a page
      // it cannot extend arrives as SIGBUS in the JVM rather than as an I/O error, which models no
      // disk fault (a failing disk leaves pages already mapped writable).
      files.map(f -> f.getFileName().toString())
          .filter(n -> n.startsWith("swell.db") && !n.endsWith("-shm"))
          .forEach(n -> cmd.add(dataDir.resolve(n).toString()));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void aResultThatCannotBeWrittenIsRefusedThenRetriedAndPulledExactlyOnce(Vertx vertx, @TempDir Path dir)
      throws Exception {
    Path data = dir.resolve("data");
    JsonObject conf = InProcessSwell.balancerConf(data);
    swell = new InProcessSwell(vertx).startBalancer(conf).startEndpoint(new JsonObject());
    SwellHttp client = swell.client();
    SwellHttp balancer = swell.balancerClient();
    String id = client.enqueue("precious".getBytes(), 3);
    assertThat(leased(balancer.send("POST", "/get_work?max=1", null, WORKER))).hasSize(1);
    assumeThat(immutable(data, true)).as("chattr +i on the store's files (needs root on ext4)").isTrue();
    try {
      // The disk refuses the write: the worker hears 503 and keeps the result; nothing is pullable.
      HttpResponse<String> refused = balancer.send("POST", "/send_completed_work",
          report(id, result("precious".getBytes(), 3)).getBytes(), WORKER);
      assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
      assertThat(new JsonObject(refused.body()).getString("error")).isEqualTo("store_unavailable");
      assertThat(refused.headers().firstValue("Retry-After")).isPresent();
      assertThat(client.pull(10)).isEmpty();
      assertThat(client.json("GET", "/work/" + id).getString("status")).isEqualTo("running");
      // A new work is refused too, and stored nowhere.
      HttpResponse<String> enqueue = client.send("PUT", "/enqueue?iterations=1", "x".getBytes());
      assertThat(enqueue.statusCode()).as(enqueue.body()).isEqualTo(503);
      assertThat(swell.status().getLong("pending")).isZero();
    } finally {
      immutable(data, false);
    }
    // The disk is back: the worker's retry lands, and the result is pulled once.
    HttpResponse<String> retried = balancer.send("POST", "/send_completed_work",
        report(id, result("precious".getBytes(), 3)).getBytes(), WORKER);
    assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
    assertThat(new JsonObject(retried.body()).getInteger("recorded")).isEqualTo(1);
    assertThat(client.pull(10)).singleElement().satisfies(o -> {
      JsonObject r = (JsonObject) o;
      assertThat(r.getString("id")).isEqualTo(id);
      assertThat(r.getString("result")).isEqualTo(result("precious".getBytes(), 3));
    });
    swell.close();

    // After a restart it is neither run nor pulled again.
    swell = new InProcessSwell(vertx).startBalancer(conf).startEndpoint(new JsonObject());
    assertThat(swell.client().pull(10)).isEmpty();
    assertThat(swell.status().getLong("pending")).isZero();
    assertThat(swell.client().json("GET", "/work/" + id).getBoolean("pulled")).isTrue();
  }

  @Test
  void anErrorInTheWriterBreaksTheStoreEveryRequestGets503AndTheBalancerExitsNonZero(Vertx vertx,
                                                                                  @TempDir Path dir) {
    AtomicBoolean armed = new AtomicBoolean();
    List<Integer> exits = new CopyOnWriteArrayList<>();
    JsonObject conf = InProcessSwell.balancerConf(dir.resolve("data"));
    swell = new InProcessSwell(vertx)
        .startBalancer(conf, cfg -> new SqliteWorkStore(cfg.dataDir().resolve("swell.db"), false, cfg.storeLimits(),
            operations -> {
              if (armed.get()) {
                throw new OutOfMemoryError("injected into the writer by the test");
              }
            }), exits::add)
        .startEndpoint(new JsonObject());
    SwellHttp client = swell.client();
    String before = client.enqueue("kept".getBytes(), 1);
    assertThat(client.send("GET", "/ready", null).statusCode()).isEqualTo(200);

    armed.set(true);
    HttpResponse<String> failed = client.send("PUT", "/enqueue?iterations=1", "lost".getBytes());

    assertThat(failed.statusCode()).as(failed.body()).isEqualTo(503);
    assertThat(new JsonObject(failed.body()).getString("error")).isEqualTo("store_unavailable");
    SwellHttp.await("the balancer asks to exit", java.time.Duration.ofSeconds(10), () -> !exits.isEmpty());
    assertThat(exits).containsExactly(BalancerVerticle.EXIT_STORE_BROKE);
    // Everything after answers at once, instead of waiting for a writer that is gone.
    HttpResponse<String> after = client.send("PUT", "/enqueue?iterations=1", "later".getBytes());
    assertThat(after.statusCode()).isEqualTo(503);
    assertThat(new JsonObject(after.body()).getString("error")).isEqualTo("store_unavailable");
    assertThat(client.send("POST", "/pullCompleted?top=1", null).statusCode()).isEqualTo(503);
    assertThat(client.send("GET", "/ready", null).statusCode()).isEqualTo(503);
    assertThat(swell.balancerClient().send("GET", "/ready", null).statusCode()).isEqualTo(503);
    assertThat(swell.balancerClient().send("GET", "/health", null).statusCode()).isEqualTo(200);
    assertThat(swell.status().getJsonObject("store").getString("broken")).contains("injected");
    assertThat(before).isNotBlank();
  }
}
