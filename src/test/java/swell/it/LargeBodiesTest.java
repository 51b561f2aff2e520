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

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No answer may take a worker down: a lease is capped by {@code leaseByteBudget}, so hundreds of
 * large bodies reach a worker JVM with the process fleet's default heap ({@code -Xmx256m}) a few
 * megabytes at a time. Before the cap, 256 works of 1 MiB went out in one ~340 MiB JSON answer.
 */
@ExtendWith(VertxExtension.class)
class LargeBodiesTest {
  private static final int MIB = 1024 * 1024;
  private InProcessSwell swell;
  private RoleProcess worker;

  @AfterEach
  void stop() throws Exception {
    if (worker != null) {
      worker.close();
    }
    if (swell != null) {
      swell.close();
    }
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void hundredsOfMegabyteBodiesCompleteThroughAWorkerWithTheDefaultHeap(Vertx vertx, @TempDir Path dir)
      throws Exception {
    swell = new InProcessSwell(vertx)
        .startBalancer(InProcessSwell.balancerConf(dir.resolve("data")))
        .startEndpoint(new JsonObject());
    SwellHttp client = swell.client();
    Map<String, String> expected = new HashMap<>();
    Sha512Chain chain = new Sha512Chain();
    Random random = new Random(7);
    byte[] body = new byte[MIB];
    for (int i = 0; i < 300; i++) {
      random.nextBytes(body);
      expected.put(client.enqueue(body, 1), chain.computeHex(body, 1));
    }
    byte[] largest = new byte[8 * MIB]; // the default maxBodyBytes
    for (int i = 0; i < 3; i++) {
      random.nextBytes(largest);
      expected.put(client.enqueue(largest, 1), chain.computeHex(largest, 1));
    }

    Path log = dir.resolve("worker.log");
    // RoleProcess starts the worker as the process fleet does: -Xmx256m -XX:+UseSerialGC.
    worker = RoleProcess.start(new JsonObject().put("role", "worker").put("clusterToken", InProcessSwell.TOKEN)
        .put("workerId", "small-heap").put("threads", 2)
        .put("balancerUrls", new JsonArray().add(swell.balancerUrl())), log);
    Map<String, String> results = new HashMap<>();
    SwellHttp.await("all " + expected.size() + " results", Duration.ofSeconds(180), () -> {
      assertThat(worker.alive()).as("the worker is alive; its log: " + tail(log)).isTrue();
      for (Object o : client.pull(1000)) {
        JsonObject r = (JsonObject) o;
        assertThat(results.put(r.getString("id"), r.getString("result"))).as("pulled twice: " + r).isNull();
      }
      return results.size() >= expected.size();
    });
    assertThat(results).isEqualTo(expected);
    assertThat(Files.readString(log)).doesNotContain("OutOfMemoryError");
  }

  private static String tail(Path log) {
    try {
      String s = Files.readString(log);
      return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
    } catch (Exception e) {
      return "(unreadable: " + e + ")";
    }
  }
}
