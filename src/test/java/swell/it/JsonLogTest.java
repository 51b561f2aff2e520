package swell.it;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * {@code logFormat: json} on a balancer in its own JVM, as on EC2: every line it writes is a JSON
 * object carrying the role, the balancer's id and the instance id, and a work can be followed by
 * its {@code workId} from its enqueue through its leases to the expiry of each and its failure.
 */
class JsonLogTest {
  private static final String INSTANCE = "i-0123456789abcdef0";
  private static final String BALANCER = "b-logtest";

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void everyLineIsJsonWithTheRoleAndIdsAndAWorkCanBeFollowedThroughItsExpiry(@TempDir Path dir) throws Exception {
    int port = Ports.free();
    Path log = dir.resolve("balancer.log");
    JsonObject conf = InProcessSwell.balancerConf(dir.resolve("data"))
        .put("port", port)
        .put("store", new JsonObject().put("type", "memory"))
        .put("leaseMs", 300)
        .put("maxAttempts", 2)
        .put("balancerId", BALANCER)
        .put("instanceId", INSTANCE)
        .put("logFormat", "json")
        .put("logWorkEvents", true);
    String work = UUID.randomUUID().toString();
    try (RoleProcess balancer = RoleProcess.start(conf, log)) {
      SwellHttp http = new SwellHttp("http://127.0.0.1:" + port, InProcessSwell.TOKEN);
      SwellHttp.await("the balancer to answer", Duration.ofSeconds(30), () -> {
        try {
          return http.send("GET", "/ready", null).statusCode() == 200;
        } catch (IllegalStateException e) {
          return false;
        }
      });
      assertThat(http.send("PUT", "/enqueue?iterations=1&id=" + work, new byte[] {1, 2, 3}).statusCode())
          .isEqualTo(200);
      Map<String, String> worker = Map.of("Swell-Worker", "w-silent");
      http.send("POST", "/workers/register", "{\"workerId\":\"w-silent\",\"threads\":1}".getBytes(StandardCharsets.UTF_8),
          worker);
      // Leased twice and never heartbeated: the first lease expires, the second fails the work.
      for (String event : List.of("lease_expired", "work_failed")) {
        HttpResponse<String> lease = http.send("POST", "/get_work?max=1&waitMs=5000", null, worker);
        assertThat(lease.body()).contains(work);
        SwellHttp.await(event + " in the log", Duration.ofSeconds(20), () -> events(log, work).stream()
            .anyMatch(e -> event.equals(e.getString("event"))));
      }
    }

    List<JsonObject> lines = lines(log);
    assertThat(lines).isNotEmpty();
    for (JsonObject line : lines) {
      assertThat(line.getString("role")).as("role of %s", line).isEqualTo("balancer");
      assertThat(line.getString("balancerId")).as("balancerId of %s", line).isEqualTo(BALANCER);
      assertThat(line.getString("instanceId")).as("instanceId of %s", line).isEqualTo(INSTANCE);
      assertThat(line.getString("level")).isNotEmpty();
      assertThat(line.getString("@timestamp")).isNotEmpty();
      assertThat(line.getString("message")).isNotEmpty();
    }
    List<JsonObject> journey = events(log, work);
    assertThat(journey).extracting(e -> e.getString("event"))
        .containsSubsequence("enqueued", "leased", "lease_expired", "leased", "work_failed");
    JsonObject expired = journey.stream().filter(e -> "lease_expired".equals(e.getString("event"))).findFirst()
        .orElseThrow();
    assertThat(expired.getString("level")).isEqualTo("WARN");
    assertThat(expired.getString("workerId")).isEqualTo("w-silent");
    assertThat(expired.getInteger("attempt")).isEqualTo(1);
    assertThat(journey).filteredOn(e -> "leased".equals(e.getString("event")))
        .allSatisfy(e -> assertThat(e.getString("logger_name")).isEqualTo("swell.work"));
    assertThat(lines).anySatisfy(l -> assertThat(l.getString("event")).isEqualTo("worker_registered"));
  }

  /** Every line of the file, each parsed as one JSON object: one that is not fails the test. */
  private static List<JsonObject> lines(Path log) throws Exception {
    List<JsonObject> out = new ArrayList<>();
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      try {
        out.add(new JsonObject(line));
      } catch (RuntimeException e) {
        fail("a log line is not a JSON object: " + line);
      }
    }
    return out;
  }

  private static List<JsonObject> events(Path log, String workId) {
    try {
      return lines(log).stream().filter(l -> workId.equals(l.getString("workId"))).toList();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
