package swell.it;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import swell.common.Sha512Chain;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The durability promise: an id returned by /enqueue survives SIGKILL of the balancer. Balancer,
 * endpoint and worker are separate JVMs here, as in production.
 */
class DurabilityTest {
  private static final int WORKS = 300;
  private static final int ITERATIONS = 1000;
  private final List<RoleProcess> processes = new ArrayList<>();

  @AfterEach
  void stopAll() throws InterruptedException {
    for (RoleProcess p : processes) {
      p.close();
    }
  }

  private RoleProcess start(JsonObject conf, Path log) {
    RoleProcess p = RoleProcess.start(conf, log);
    processes.add(p);
    return p;
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void acknowledgedWorksSurviveKill9OfTheBalancerAndCompleteOnce(@TempDir Path dir) throws Exception {
    int balancerPort = Ports.free();
    int endpointPort = Ports.free();
    String balancerUrl = "http://127.0.0.1:" + balancerPort;
    JsonObject balancerConf = InProcessSwell.balancerConf(dir.resolve("data"))
        .put("port", balancerPort)
        .put("store", new JsonObject().put("type", "sqlite").put("durability", "fsync"));
    RoleProcess balancer = start(balancerConf, dir.resolve("balancer-1.log"));
    start(new JsonObject().put("role", "endpoint").put("port", endpointPort).put("host", "127.0.0.1")
        .put("clusterToken", InProcessSwell.TOKEN).put("balancerUrls", new JsonArray().add(balancerUrl)),
        dir.resolve("endpoint.log"));
    SwellHttp client = new SwellHttp("http://127.0.0.1:" + endpointPort, null);
    SwellHttp admin = new SwellHttp(balancerUrl, InProcessSwell.TOKEN);
    awaitReady(client);

    Map<String, String> expected = new HashMap<>();
    Sha512Chain chain = new Sha512Chain();
    for (int i = 0; i < WORKS; i++) {
      byte[] body = ("work " + i).getBytes(StandardCharsets.UTF_8);
      expected.put(client.enqueue(body, ITERATIONS), chain.computeHex(body, ITERATIONS));
    }
    assertThat(expected).hasSize(WORKS);

    balancer.kill9();
    assertThat(balancer.alive()).isFalse();
    assertThat(client.send("PUT", "/enqueue?iterations=1", "x".getBytes()).statusCode())
        .as("with its balancer down the endpoint answers 503").isEqualTo(503);

    start(balancerConf, dir.resolve("balancer-2.log"));
    awaitReady(client);
    assertThat(admin.json("GET", "/status").getLong("pending")).as("all acknowledged works are back").isEqualTo(WORKS);

    start(new JsonObject().put("role", "worker").put("clusterToken", InProcessSwell.TOKEN)
        .put("balancerUrls", new JsonArray().add(balancerUrl)).put("threads", 2), dir.resolve("worker.log"));
    Map<String, String> results = new HashMap<>();
    SwellHttp.await("all " + WORKS + " results", Duration.ofSeconds(120), () -> {
      for (Object o : client.pull(1000)) {
        JsonObject r = (JsonObject) o;
        assertThat(results.put(r.getString("id"), r.getString("result"))).as("pulled twice: " + r).isNull();
      }
      return results.size() >= WORKS;
    });
    assertThat(results).isEqualTo(expected);
    assertThat(client.pull(1000)).isEmpty();
  }

  static void awaitReady(SwellHttp client) {
    SwellHttp.await("the endpoint to see a balancer", Duration.ofSeconds(60), () -> {
      try {
        return client.send("GET", "/ready", null).statusCode() == 200;
      } catch (IllegalStateException e) {
        return false; // not listening yet
      }
    });
  }
}
