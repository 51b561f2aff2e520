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
import picocli.CommandLine;
import swell.keys.KeysCommand;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Client keys through the real HTTP API: without a valid key every public route but /health and
 * /ready answers 401 and changes nothing; a key's name travels to the balancer as the owner of what
 * it does; a key made by {@code swell keys new} works with the entry printed beside it.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClientKeysTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String ALICE = newKey();
  private static final String BOB = newKey();

  private InProcessSwell swell;

  @AfterEach
  void stop() {
    if (swell != null) {
      swell.close();
    }
  }

  /** A key made here, independently of Swell's own code. */
  private static String newKey() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return "swk_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static String sha256(String key) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
  }

  private static JsonObject keys() throws Exception {
    return new JsonObject().put("apiKeys", new JsonArray()
        .add(new JsonObject().put("name", "alice").put("sha256", sha256(ALICE)))
        .add(new JsonObject().put("name", "bob").put("sha256", sha256(BOB))));
  }

  private InProcessSwell keyed(Vertx vertx, Path dir) throws Exception {
    swell = new InProcessSwell(vertx).startBalancer(InProcessSwell.balancerConf(dir)).startEndpoint(keys());
    return swell;
  }

  private static void assertUnauthorized(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(401);
    assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("unauthorized");
    assertThat(new JsonObject(r.body()).getString("message")).contains("Authorization: Bearer");
    assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
  }

  @Test
  void everyPublicRouteButHealthAndReadyRefusesAMissingOrWrongKeyAndChangesNothing(Vertx vertx, @TempDir Path dir)
      throws Exception {
    keyed(vertx, dir);
    swell.startWorker(new JsonObject());
    SwellHttp alice = swell.client(ALICE);
    String id = alice.enqueue("mine".getBytes(), 2);
    swell.awaitCompletedUnpulled(1);

    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    for (String authorization : new String[] {null, "Bearer " + newKey(), "Bearer ", "Basic " + ALICE, ALICE}) {
      for (String[] route : new String[][] {{"PUT", "/enqueue?iterations=1"}, {"POST", "/pullCompleted?top=10"},
          {"POST", "/ackCompleted"}, {"GET", "/work/" + id}, {"GET", "/no-such-route"}}) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(swell.endpointUrl() + route[1]))
            .method(route[0], HttpRequest.BodyPublishers.ofString("{\"ids\":[\"" + id + "\"]}"));
        if (authorization != null) {
          b.header("Authorization", authorization);
        }
        assertUnauthorized(http.send(b.build(), HttpResponse.BodyHandlers.ofString()));
      }
    }
    SwellHttp anonymous = swell.client();
    assertThat(anonymous.send("GET", "/health", null).statusCode()).isEqualTo(200);
    assertThat(anonymous.send("GET", "/ready", null).statusCode()).isEqualTo(200);

    JsonObject status = swell.status();
    assertThat(status.getLong("pending")).as("no work was enqueued").isZero();
    assertThat(status.getLong("completedUnpulled")).as("no result was pulled").isEqualTo(1);
    assertThat(alice.json("GET", "/work/" + id).getString("status")).isEqualTo("completed");
    JsonArray pulled = alice.pull(10);
    assertThat(pulled).hasSize(1);
    assertThat(pulled.getJsonObject(0).getString("id")).isEqualTo(id);
  }

  @Test
  void aRequestWithoutAKeyIsRefusedBefore100ContinueAndItsBodyIsNeverRead(Vertx vertx, @TempDir Path dir)
      throws Exception {
    keyed(vertx, dir);
    try (RawHttp conn = RawHttp.connect(swell.endpointPort())) {
      RawHttp.Response r = conn.send(RawHttp.enqueueHead(1000, "Expect: 100-continue")).readHead(Duration.ofSeconds(5));
      assertThat(r.status()).as(r.head()).isEqualTo(401);
      assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("unauthorized");
      assertThat(conn.closedWithin(Duration.ofSeconds(5))).isTrue();
    }
    try (RawHttp conn = RawHttp.connect(swell.endpointPort())) {
      RawHttp.Response r = conn.send(RawHttp.enqueueHead(4, "Expect: 100-continue", "Authorization: Bearer " + BOB))
          .readHead(Duration.ofSeconds(5));
      assertThat(r.status()).as(r.head()).isEqualTo(100);
      r = conn.send("body").readHead(Duration.ofSeconds(5));
      assertThat(r.status()).as(r.head()).isEqualTo(200);
    }
    assertThat(swell.status().getLong("pending")).isEqualTo(1);
  }

  @Test
  void theKeysNameTravelsToTheBalancerAsTheOwner(Vertx vertx) throws Exception {
    swell = new InProcessSwell(vertx);
    FakeBalancer fake = swell.startFake();
    swell.startEndpoint(keys().put("balancerUrls", new JsonArray().add(fake.url())));
    SwellHttp bob = swell.client(BOB);

    String id = bob.enqueue("his".getBytes(), 1);
    bob.pull(3);
    assertThat(bob.send("POST", "/ackCompleted", ("{\"ids\":[\"" + id + "\"]}").getBytes()).statusCode()).isEqualTo(200);
    bob.send("GET", "/work/" + id, null);

    assertThat(fake.received("/enqueue_batch").get(0).frames().get(0).owner()).isEqualTo("bob");
    for (String path : new String[] {"/pullCompleted", "/ackCompleted", "/work/" + id}) {
      assertThat(fake.received(path)).as(path).hasSize(1);
      assertThat(fake.received(path).get(0).headers().get("Swell-Owner")).as(path).isEqualTo("bob");
    }
  }

  @Test
  void anOpenEndpointForwardsTheAnonymousOwner(Vertx vertx) {
    swell = new InProcessSwell(vertx);
    FakeBalancer fake = swell.startFake();
    swell.startEndpoint(new JsonObject().put("balancerUrls", new JsonArray().add(fake.url())));

    String id = swell.client().enqueue("anyone's".getBytes(), 1);
    swell.client().send("GET", "/work/" + id, null);

    assertThat(fake.received("/enqueue_batch").get(0).frames().get(0).owner()).isEmpty();
    assertThat(fake.received("/work/" + id).get(0).headers().get("Swell-Owner")).isNull();
  }

  @Test
  void aKeyMadeBySwellKeysNewOpensAnEndpointConfiguredWithTheEntryPrintedBesideIt(Vertx vertx, @TempDir Path dir) {
    StringWriter out = new StringWriter();
    int rc = new CommandLine(new KeysCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(new StringWriter()))
        .execute("new", "carol");
    assertThat(rc).isZero();
    String[] lines = out.toString().split("\\R");
    String key = lines[0];
    JsonObject entry = new JsonObject(lines[1]);

    swell = new InProcessSwell(vertx).startBalancer(InProcessSwell.balancerConf(dir))
        .startEndpoint(new JsonObject().put("apiKeys", new JsonArray().add(entry)));

    String id = swell.client(key).enqueue("carol's".getBytes(), 1);
    assertThat(swell.client(key).json("GET", "/work/" + id).getString("status")).isEqualTo("queued");
    assertUnauthorized(swell.client(newKey()).send("GET", "/work/" + id, null));
  }

  // Owner scoping is the balancer's to enforce; these go end to end once it does.

  @Test
  void aPullReturnsOnlyTheCallersResults(Vertx vertx, @TempDir Path dir) throws Exception {
    keyed(vertx, dir);
    swell.startWorker(new JsonObject());
    SwellHttp alice = swell.client(ALICE);
    SwellHttp bob = swell.client(BOB);
    Set<String> alices = Set.of(alice.enqueue("a1".getBytes(), 1), alice.enqueue("a2".getBytes(), 1));
    Set<String> bobs = Set.of(bob.enqueue("b1".getBytes(), 1));
    swell.awaitCompletedUnpulled(3);

    assertThat(ids(bob.pull(10))).isEqualTo(bobs);
    assertThat(ids(bob.pull(10))).isEmpty();
    assertThat(ids(alice.pull(10))).isEqualTo(alices);
  }

  @Test
  void anotherOwnersWorkIsNotFound(Vertx vertx, @TempDir Path dir) throws Exception {
    keyed(vertx, dir);
    String id = swell.client(ALICE).enqueue("private".getBytes(), 1);

    HttpResponse<String> r = swell.client(BOB).send("GET", "/work/" + id, null);

    assertThat(r.statusCode()).as(r.body()).isEqualTo(404);
    assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("not_found");
    assertThat(swell.client(ALICE).json("GET", "/work/" + id).getString("status")).isEqualTo("queued");
  }

  @Test
  void anIdempotencyKeyIsScopedToItsOwner(Vertx vertx, @TempDir Path dir) throws Exception {
    keyed(vertx, dir);
    HttpClient http = HttpClient.newHttpClient();
    String[] ids = new String[3];
    String[] keys = {ALICE, BOB, ALICE};
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(swell.endpointUrl() + "/enqueue?iterations=1"))
          .header("Authorization", "Bearer " + keys[i]).header("Idempotency-Key", "order-7")
          .PUT(HttpRequest.BodyPublishers.ofString("same")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      ids[i] = new JsonObject(r.body()).getString("id");
    }
    assertThat(ids[2]).as("alice's retry").isEqualTo(ids[0]);
    assertThat(ids[1]).as("bob's work is his own").isNotEqualTo(ids[0]);
    assertThat(swell.status().getLong("pending")).isEqualTo(2);
  }

  @Test
  void anotherOwnerCannotAcknowledgeAResult(Vertx vertx, @TempDir Path dir) throws Exception {
    keyed(vertx, dir);
    swell.startWorker(new JsonObject());
    SwellHttp alice = swell.client(ALICE);
    String id = alice.enqueue("acked by whom".getBytes(), 1);
    swell.awaitCompletedUnpulled(1);
    assertThat(ids(alice.pullAcked(10, 500))).containsExactly(id);

    HttpResponse<String> r = swell.client(BOB).send("POST", "/ackCompleted", ("{\"ids\":[\"" + id + "\"]}").getBytes());

    assertThat(new JsonObject(r.body()).getInteger("acked")).isZero();
    SwellHttp.await("the unacknowledged result comes back", Duration.ofSeconds(10),
        () -> ids(alice.pullAcked(10, 60_000)).contains(id));
  }

  private static Set<String> ids(JsonArray results) {
    return results.stream().map(o -> ((JsonObject) o).getString("id")).collect(Collectors.toSet());
  }
}
