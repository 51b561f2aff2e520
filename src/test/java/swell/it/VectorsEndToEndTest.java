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

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Every reference vector through the real path: endpoint, balancer, worker, pullCompleted. */
@ExtendWith(VertxExtension.class)
class VectorsEndToEndTest {
  private InProcessSwell swell;

  @AfterEach
  void stop() {
    if (swell != null) {
      swell.close();
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void everyVectorComesBackWithItsReferenceResult(Vertx vertx, @TempDir Path dir) {
    swell = new InProcessSwell(vertx).startBalancer(InProcessSwell.balancerConf(dir)).startEndpoint(new JsonObject());
    swell.startWorker(new JsonObject());
    SwellHttp client = swell.client();
    List<Vectors.Case> cases = Vectors.all();
    Map<String, Vectors.Case> byId = new HashMap<>();
    for (Vectors.Case c : cases) {
      byId.put(client.enqueue(c.body(), c.iterations()), c);
    }
    assertThat(byId).hasSize(cases.size());

    Map<String, String> results = new HashMap<>();
    SwellHttp.await("all " + cases.size() + " results", Duration.ofSeconds(90), () -> {
      JsonArray pulled = client.pull(100);
      for (Object o : pulled) {
        JsonObject r = (JsonObject) o;
        assertThat(results.put(r.getString("id"), r.getString("result"))).as("pulled twice: " + r).isNull();
        assertThat(r.getInteger("iterations")).isEqualTo(byId.get(r.getString("id")).iterations());
        assertThat(r.getString("completedAt")).isNotBlank();
      }
      return results.size() == cases.size();
    });
    byId.forEach((id, c) -> assertThat(results.get(id)).as(c.toString()).isEqualTo(c.resultHex()));
    assertThat(client.pull(100)).as("each work is pulled once").isEmpty();

    String anyId = byId.keySet().iterator().next();
    JsonObject work = client.json("GET", "/work/" + anyId);
    assertThat(work.getString("status")).isEqualTo("completed");
    assertThat(work.getString("result")).isEqualTo(byId.get(anyId).resultHex());
    assertThat(work.getInteger("attempts")).isEqualTo(1);
  }
}
