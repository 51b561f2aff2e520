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
import swell.testing.PostgresServer;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The database stops the hard way ({@code pg_ctl stop -m immediate}) under load and starts again:
 * while it is down clients get {@code 503 store_unavailable} and {@code /ready} says 503; nothing
 * acknowledged is lost or doubled; and the same two balancers, endpoint and worker go on by
 * themselves once it is back.
 */
@ExtendWith(VertxExtension.class)
class DatabaseOutageTest {
  private static final int WORKS = 600;
  private static final Map<String, String> JSON = Map.of("Content-Type", "application/json");
  private PostgresServer database;
  private final List<InProcessSwell> swells = new ArrayList<>();

  @AfterEach
  void stop() {
    for (int i = swells.size() - 1; i >= 0; i--) {
      swells.get(i).close();
    }
    if (database != null) {
      database.close();
    }
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void whileTheDatabaseIsDownClientsGet503AndAfterwardsEverythingGoesOnLosingNothing(Vertx vertx, @TempDir Path dir)
      throws Exception {
    database = PostgresServer.launch();
    List<String> balancerUrls = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      InProcessSwell b = new InProcessSwell(vertx).startBalancer(InProcessSwell.balancerConf(dir.resolve("b" + i))
          .put("store", new JsonObject().put("type", "postgres").put("url", database.url()))
          .put("leaseMs", 10_000));
      swells.add(b);
      balancerUrls.add(b.balancerUrl());
    }
    InProcessSwell front = new InProcessSwell(vertx)
        .startEndpoint(new JsonObject().put("balancerUrls", new JsonArray(balancerUrls)).put("balancerMode", "spread"));
    swells.add(front);
    front.startWorker(new JsonObject().put("balancerUrls", new JsonArray(balancerUrls)).put("balancerMode", "spread"));
    SwellHttp client = front.client();

    Map<String, String> expected = new ConcurrentHashMap<>();
    Map<String, String> results = new ConcurrentHashMap<>();
    Set<String> pulledTwice = ConcurrentHashMap.newKeySet();
    Set<String> refusals = ConcurrentHashMap.newKeySet();
    AtomicInteger acknowledged = new AtomicInteger();
    AtomicBoolean enqueueing = new AtomicBoolean(true);
    ExecutorService threads = Executors.newFixedThreadPool(5);
    List<Future<?>> enqueuers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int thread = t;
      enqueuers.add(threads.submit(() -> {
        for (int i = thread; i < WORKS; i += 4) {
          byte[] body = ("work " + i).getBytes(StandardCharsets.UTF_8);
          while (true) {
            HttpResponse<String> r;
            try {
              r = client.send("PUT", "/enqueue?iterations=100", body, Map.of("Idempotency-Key", "k" + i));
            } catch (IllegalStateException e) {
              Thread.sleep(50);
              continue; // no answer: the same key again is safe
            }
            if (r.statusCode() == 200) {
              expected.put(new JsonObject(r.body()).getString("id"), new Sha512Chain().computeHex(body, 100));
              acknowledged.incrementAndGet();
              break;
            }
            assertThat(r.statusCode()).as(r.body()).isIn(503, 504);
            refusals.add(new JsonObject(r.body()).getString("error"));
            Thread.sleep(100);
          }
        }
        return null;
      }));
    }
    Future<?> puller = threads.submit(() -> {
      while (enqueueing.get() || results.size() < expected.size()) {
        HttpResponse<String> r = client.send("POST", "/pullCompleted?top=200&ackMs=30000&waitMs=500", null);
        if (r.statusCode() != 200) {
          Thread.sleep(100);
          continue;
        }
        JsonArray ids = new JsonArray();
        for (Object o : new JsonArray(r.body())) {
          JsonObject w = (JsonObject) o;
          if (results.put(w.getString("id"), w.getString("result")) != null) {
            pulledTwice.add(w.getString("id"));
          }
          ids.add(w.getString("id"));
        }
        while (!ids.isEmpty() && client.send("POST", "/ackCompleted",
            new JsonObject().put("ids", ids).toBuffer().getBytes(), JSON).statusCode() != 200) {
          Thread.sleep(200);
        }
      }
      return null;
    });

    SwellHttp.await("a third of the works acknowledged", Duration.ofSeconds(60), () -> acknowledged.get() >= WORKS / 3);
    database.stopImmediate();
    SwellHttp.await("/ready to say the store is gone", Duration.ofSeconds(15),
        () -> client.send("GET", "/ready", null).statusCode() == 503);
    int acknowledgedWhileDown = acknowledged.get();
    Thread.sleep(2_000);
    assertThat(acknowledged.get()).as("nothing is acknowledged while the database is down")
        .isLessThanOrEqualTo(acknowledgedWhileDown + 4);
    database.start();

    for (Future<?> e : enqueuers) {
      e.get(120, TimeUnit.SECONDS);
    }
    enqueueing.set(false);
    puller.get(120, TimeUnit.SECONDS);
    threads.shutdown();

    assertThat(refusals).as("what clients heard while the database was down").contains("store_unavailable");
    assertThat(results).as("every acknowledged work, with its right result").isEqualTo(expected);
    assertThat(expected).hasSize(WORKS);
    assertThat(pulledTwice).isEmpty();
    assertThat(client.send("GET", "/ready", null).statusCode()).isEqualTo(200);
  }
}
