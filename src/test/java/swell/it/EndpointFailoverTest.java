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

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** An endpoint fails over past a balancer that does not answer, and says 503 when none does. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EndpointFailoverTest {
  private InProcessSwell swell;

  @AfterEach
  void stop() {
    swell.close();
  }

  @Test
  void enqueueAndPullFailOverToTheBalancerThatAnswers(Vertx vertx, @TempDir Path dir) {
    String dead = "http://127.0.0.1:" + Ports.free();
    swell = new InProcessSwell(vertx).startBalancer(InProcessSwell.balancerConf(dir));
    swell.startEndpoint(new JsonObject().put("balancerUrls", new JsonArray().add(dead).add(swell.balancerUrl())));
    SwellHttp client = swell.client();

    assertThat(client.send("GET", "/ready", null).statusCode()).isEqualTo(200);
    String id = client.enqueue("failover".getBytes(), 3);
    assertThat(client.json("GET", "/work/" + id).getString("status")).isEqualTo("queued");
    assertThat(swell.status().getLong("pending")).isEqualTo(1);
    assertThat(client.pull(10)).isEmpty();
  }

  @Test
  void withNoBalancerReachableTheAnswerIs503AndNothingIsAcknowledged(Vertx vertx, @TempDir Path dir) {
    swell = new InProcessSwell(vertx).startBalancer(InProcessSwell.balancerConf(dir));
    swell.startEndpoint(new JsonObject().put("balancerUrls",
        new JsonArray().add("http://127.0.0.1:" + Ports.free()).add("http://127.0.0.1:" + Ports.free())));
    SwellHttp client = swell.client();

    HttpResponse<String> r = client.send("PUT", "/enqueue?iterations=1", "lost?".getBytes());
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("no_balancer");
    assertThat(r.headers().firstValue("Retry-After")).isPresent();
    assertThat(client.send("GET", "/ready", null).statusCode()).isEqualTo(503);
    assertThat(client.send("POST", "/pullCompleted?top=1", null).statusCode()).isEqualTo(503);
    assertThat(swell.status().getLong("pending")).isZero();
  }
}
