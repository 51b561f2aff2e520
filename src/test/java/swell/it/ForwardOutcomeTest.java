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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static swell.it.FakeBalancer.answer;
import static swell.it.FakeBalancer.closeAfterRead;
import static swell.it.FakeBalancer.late;
import static swell.it.FakeBalancer.never;
import static swell.it.FakeBalancer.status;

/**
 * What an endpoint does when a forward goes wrong, against two scripted balancers: a request that
 * never left may go to the next balancer; one that left and got no answer is an enqueue sent again to
 * the same balancer (same ids) and then a 504 naming the work, a pull answered 504 and never sent
 * twice, an acknowledgement sent to the next balancer.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ForwardOutcomeTest {
  /** Short, so that a forward's fate is settled within about a second. */
  private static final long FORWARD_TIMEOUT_MS = 1000;

  private InProcessSwell swell;
  private FakeBalancer first;
  private FakeBalancer second;
  private SwellHttp client;

  @BeforeEach
  void start(Vertx vertx) {
    swell = new InProcessSwell(vertx);
    first = swell.startFake();
    second = swell.startFake();
    swell.startEndpoint(new JsonObject().put("forwardTimeoutMs", FORWARD_TIMEOUT_MS)
        .put("balancerUrls", new JsonArray().add(first.url()).add(second.url())));
    client = swell.client();
  }

  @AfterEach
  void stop() {
    swell.close();
  }

  private static JsonObject assertError(HttpResponse<String> r, int status, String code) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    JsonObject body = new JsonObject(r.body());
    assertThat(body.getString("error")).isEqualTo(code);
    assertThat(body.getString("message")).isNotBlank();
    return body;
  }

  /** The one work every batch the balancer got carried; fails unless all carried the same single id. */
  private static UUID sameWorkIn(List<FakeBalancer.Received> batches) {
    UUID id = batches.get(0).ids().get(0);
    for (FakeBalancer.Received b : batches) {
      assertThat(b.ids()).containsExactly(id);
      assertThat(b.frames().get(0).body().toString()).isEqualTo("once");
    }
    return id;
  }

  @ParameterizedTest
  @ValueSource(strings = {"never answers", "drops the connection after reading"})
  void anEnqueueThatGetsNoAnswerIsSentAgainToTheSameBalancerThenAnswered504WithItsId(String balancer) {
    first.then(balancer.startsWith("never") ? never() : closeAfterRead());

    JsonObject body = assertError(client.send("PUT", "/enqueue?iterations=1", "once".getBytes()), 504,
        "outcome_unknown");

    List<FakeBalancer.Received> batches = first.received("/enqueue_batch");
    assertThat(batches).as("the same batch sent again to the same balancer").hasSizeGreaterThanOrEqualTo(2);
    assertThat(body.getString("id")).isEqualTo(sameWorkIn(batches).toString());
    assertThat(body.getString("message")).contains("GET /work/" + body.getString("id"));
    assertThat(second.received()).as("another balancer could store the work a second time").isEmpty();
  }

  @Test
  void aLateBalancerIsAskedAgainAndItsSecondAnswerGivesTheSameId() {
    first.then(late(3 * FORWARD_TIMEOUT_MS), answer());

    HttpResponse<String> r = client.send("PUT", "/enqueue?iterations=1", "once".getBytes());

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    List<FakeBalancer.Received> batches = first.received("/enqueue_batch");
    assertThat(batches).hasSize(2);
    assertThat(new JsonObject(r.body()).getString("id")).isEqualTo(sameWorkIn(batches).toString());
    assertThat(second.received()).isEmpty();
  }

  @Test
  void aRefusedConnectionFailsOverBecauseNothingWasSent(Vertx vertx) {
    swell.close();
    swell = new InProcessSwell(vertx);
    second = swell.startFake();
    swell.startEndpoint(new JsonObject().put("forwardTimeoutMs", FORWARD_TIMEOUT_MS)
        .put("balancerUrls", new JsonArray().add("http://127.0.0.1:" + Ports.free()).add(second.url())));
    client = swell.client();

    HttpResponse<String> r = client.send("PUT", "/enqueue?iterations=1", "once".getBytes());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getString("id"))
        .isEqualTo(sameWorkIn(second.received("/enqueue_batch")).toString());
    assertThat(client.send("POST", "/pullCompleted?top=3", null).statusCode()).isEqualTo(200);
    assertThat(second.received("/pullCompleted")).hasSize(1);
  }

  @Test
  void aBatchRefusedWithAnOutageGoesToTheNextBalancerAndADeliberate503IsPassedOn() {
    first.then(status(500, "internal"));
    second.then(answer(), status(503, "store_unavailable"));

    HttpResponse<String> failedOver = client.send("PUT", "/enqueue?iterations=1", "once".getBytes());
    assertThat(failedOver.statusCode()).as(failedOver.body()).isEqualTo(200);
    assertThat(new JsonObject(failedOver.body()).getString("id"))
        .isEqualTo(sameWorkIn(second.received("/enqueue_batch")).toString());

    HttpResponse<String> refused = client.send("PUT", "/enqueue?iterations=1", "twice".getBytes());
    assertError(refused, 503, "store_unavailable");
    assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(second.received("/enqueue_batch")).hasSize(2);
    assertThat(first.received("/enqueue_batch")).as("a 503 stored nothing and is the client's to retry").hasSize(1);
  }

  @Test
  void anUnansweredPullIsAnswered504AndNeverSentTwice() {
    first.then(never());

    JsonObject body = assertError(client.send("POST", "/pullCompleted?top=5&ackMs=60000", null), 504,
        "outcome_unknown");

    assertThat(body.getString("message")).contains("ackMs (60000 ms)");
    assertThat(first.received("/pullCompleted")).hasSize(1);
    assertThat(second.received()).isEmpty();
  }

  @Test
  void aPullCarriesTopAckMsAndWaitMsAsGiven() {
    assertThat(client.send("POST", "/pullCompleted?top=5&ackMs=1234&waitMs=0", null).statusCode()).isEqualTo(200);
    assertThat(client.send("POST", "/pullCompleted?top=7", null).statusCode()).isEqualTo(200);

    List<FakeBalancer.Received> pulls = first.received("/pullCompleted");
    assertThat(pulls.get(0).params().get("top")).isEqualTo("5");
    assertThat(pulls.get(0).params().get("ackMs")).isEqualTo("1234");
    assertThat(pulls.get(0).params().get("waitMs")).isEqualTo("0");
    assertThat(pulls.get(1).params().names()).containsExactly("top");
    assertThat(pulls.get(1).headers().get("Swell-Owner")).as("the anonymous owner is no header").isNull();
  }

  @Test
  void anAckIsSafeToRepeatSoAnUnansweredOneGoesToTheNextBalancer() {
    first.then(never());
    String id = UUID.randomUUID().toString();

    HttpResponse<String> r = client.send("POST", "/ackCompleted", ("{\"ids\":[\"" + id.toUpperCase() + "\"]}").getBytes());

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(new JsonObject(r.body()).getInteger("acked")).isEqualTo(1);
    assertThat(first.received("/ackCompleted")).hasSize(1);
    assertThat(second.received("/ackCompleted")).hasSize(1);
    assertThat(second.received("/ackCompleted").get(0).body().toJsonObject())
        .isEqualTo(new JsonObject().put("ids", new JsonArray().add(id)));
  }

  @Test
  void aRouteNotAnsweredWithinRequestTimeoutIs503TimeoutWithRetryAfter(Vertx vertx) {
    swell.close();
    swell = new InProcessSwell(vertx);
    first = swell.startFake().then(never());
    swell.startEndpoint(new JsonObject().put("requestTimeoutMs", 100)
        .put("balancerUrls", new JsonArray().add(first.url())));

    HttpResponse<String> r = swell.client().send("GET", "/work/" + UUID.randomUUID(), null);

    assertError(r, 503, "timeout");
    assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
  }
}
