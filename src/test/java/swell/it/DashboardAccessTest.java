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
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard's files are served without the cluster token and nothing else is: not the
 * balancer's data, not another file of the jar by a crafted path. Its history answers the queue.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DashboardAccessTest {
  private InProcessSwell swell;
  private SwellHttp anonymous;

  @BeforeEach
  void start(Vertx vertx, @TempDir Path dir) {
    swell = new InProcessSwell(vertx).startBalancer(InProcessSwell.balancerConf(dir)).startEndpoint(new JsonObject());
    anonymous = new SwellHttp(swell.balancerUrl(), null);
  }

  @AfterEach
  void stop() {
    swell.close();
  }

  @Test
  void thePageAndItsChartLibraryNeedNoTokenAndCarryAStrictContentPolicy() {
    // The URL local prints has no slash: the browser follows the redirect and keeps the #token fragment.
    HttpResponse<String> bare = anonymous.send("GET", "/dashboard", null);
    assertThat(bare.statusCode()).isEqualTo(301);
    assertThat(bare.headers().firstValue("Location")).hasValue("/dashboard/");
    for (String path : new String[] {"/dashboard/", "/dashboard/index.html"}) {
      HttpResponse<String> page = anonymous.send("GET", path, null);
      assertThat(page.statusCode()).as(path).isEqualTo(200);
      assertThat(page.body()).as(path).contains("<title>Swell</title>");
      assertThat(page.headers().firstValue("Content-Security-Policy")).as(path).hasValueSatisfying(
          csp -> assertThat(csp).contains("script-src 'self'").contains("connect-src 'self'"));
    }
    assertThat(anonymous.send("GET", "/dashboard/dashboard.js", null).statusCode()).isEqualTo(200);
    assertThat(anonymous.send("GET", "/dashboard/dashboard.css", null).statusCode()).isEqualTo(200);
    // The version index.html names is the one the webjar in pom.xml carries.
    String page = anonymous.send("GET", "/dashboard/", null).body();
    for (String asset : new String[] {"uPlot.iife.min.js", "uPlot.min.css"}) {
      int at = page.indexOf(asset);
      String url = page.substring(page.lastIndexOf('"', at) + 1, at + asset.length());
      HttpResponse<String> lib = anonymous.send("GET", url, null);
      assertThat(lib.statusCode()).as(url).isEqualTo(200);
      assertThat(lib.body()).as(url).isNotEmpty();
    }
  }

  @Test
  void everythingElseStillNeedsTheToken() {
    for (String path : new String[] {"/status", "/status/history", "/dashboard/missing.js", "/dashboardx",
        "/dashboard/../status", "/dashboard/%2e%2e/status", "/dashboard/uplot/../../swell/balancer/BalancerVerticle.class",
        "/dashboard/..%2f..%2fswell/balancer/BalancerVerticle.class", "/dashboard/uplot/..%2f..%2f..%2flogback.xml"}) {
      HttpResponse<String> r = anonymous.send("GET", path, null);
      assertThat(r.statusCode()).as(path).isIn(401, 404);
      assertThat(r.body()).as(path).doesNotContain("pending").doesNotContain("class").doesNotContain("<configuration");
    }
    // Crafted paths a client library would tidy up, sent as they are.
    for (String path : new String[] {"/dashboard/../status", "/dashboard/uplot/../../../logback.xml",
        "/dashboard/./../swell/balancer/StatusHistory.class"}) {
      try (RawHttp raw = RawHttp.connect(Integer.parseInt(swell.balancerUrl().replaceAll(".*:", "")))) {
        RawHttp.Response r = raw.send("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").readHead(Duration.ofSeconds(5));
        assertThat(r.status()).as(path).isIn(401, 404);
      }
    }
    assertThat(anonymous.send("POST", "/dashboard/", null).statusCode()).isEqualTo(401);
  }

  @Test
  void theHistoryFollowsTheQueueAndCountsThisBalancersEnqueues() {
    SwellHttp client = swell.client();
    for (int i = 0; i < 3; i++) {
      client.enqueue(("w" + i).getBytes(), 1);
    }
    SwellHttp admin = swell.balancerClient();
    SwellHttp.await("a sample with the 3 pending works", Duration.ofSeconds(10), () -> {
      JsonArray pending = admin.json("GET", "/status/history").getJsonObject("series").getJsonArray("pending");
      return !pending.isEmpty() && pending.getLong(pending.size() - 1) == 3;
    });

    JsonObject history = admin.json("GET", "/status/history");
    assertThat(history.getLong("sampleEveryMs")).isEqualTo(1_000);
    assertThat(history.getJsonObject("totals").getLong("enqueued")).isEqualTo(3);
    JsonObject series = history.getJsonObject("series");
    JsonArray t = series.getJsonArray("t");
    for (String column : series.fieldNames()) {
      assertThat(series.getJsonArray(column)).as(column).hasSize(t.size());
    }
    assertThat(series.getJsonArray("latencyP50Ms").getValue(t.size() - 1)).isNull();

    long last = t.getLong(t.size() - 1);
    JsonArray newer = admin.json("GET", "/status/history?since=" + last).getJsonObject("series").getJsonArray("t");
    assertThat(newer.stream().mapToLong(v -> ((Number) v).longValue())).allMatch(v -> v > last);
    assertThat(admin.send("GET", "/status/history?since=yesterday", null).statusCode()).isEqualTo(400);
  }
}
