package swell.balancer;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import swell.common.Hex;
import swell.store.CompletedWork;
import swell.store.LeasedWork;

import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The hand-written answers parse as the JSON the API promises, with every byte intact. */
class WireJsonTest {

  @Test
  void leasesParseWithBodiesIntact() {
    byte[] every = new byte[256];
    for (int i = 0; i < 256; i++) {
      every[i] = (byte) i;
    }
    List<LeasedWork> works = List.of(new LeasedWork(UUID.randomUUID(), 3, every, 1, 0),
        new LeasedWork(UUID.randomUUID(), 100_000_000, new byte[0], 2, 0));
    JsonObject parsed = new JsonObject(WireJson.leases(works, 30_000));
    JsonArray arr = parsed.getJsonArray("works");
    assertThat(arr).hasSize(2);
    for (int i = 0; i < 2; i++) {
      JsonObject w = arr.getJsonObject(i);
      assertThat(w.getString("id")).isEqualTo(works.get(i).id().toString());
      assertThat(w.getInteger("iterations")).isEqualTo(works.get(i).iterations());
      assertThat(w.getLong("leaseMs")).isEqualTo(30_000);
      assertThat(Base64.getDecoder().decode(w.getString("data"))).isEqualTo(works.get(i).data());
    }
    assertThat(new JsonObject(WireJson.leases(List.of(), 1)).getJsonArray("works")).isEmpty();
  }

  @Test
  void aLeaseAnswerTooLargeForOneBufferIsRefusedNotWrappedAround() {
    // Three references to one 1 GiB body: about 4 GiB of base64, past what int arithmetic can count.
    byte[] gib = new byte[1 << 30];
    List<LeasedWork> works = List.of(new LeasedWork(UUID.randomUUID(), 1, gib, 1, 0),
        new LeasedWork(UUID.randomUUID(), 1, gib, 1, 0), new LeasedWork(UUID.randomUUID(), 1, gib, 1, 0));
    assertThatThrownBy(() -> WireJson.leases(works, 30_000))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not fit one buffer");
  }

  @Test
  void resultsParseWithHexAndTimes() {
    byte[] digest = new byte[64];
    digest[0] = (byte) 0xAB;
    CompletedWork w = new CompletedWork(UUID.randomUUID(), digest, 7, 1_700_000_000_123L);
    JsonArray parsed = new JsonArray(WireJson.results(List.of(w, w)));
    assertThat(parsed).hasSize(2);
    JsonObject r = parsed.getJsonObject(0);
    assertThat(r.getString("id")).isEqualTo(w.id().toString());
    assertThat(r.getString("result")).isEqualTo(Hex.encode(digest)).startsWith("ab");
    assertThat(r.getInteger("iterations")).isEqualTo(7);
    assertThat(Instant.parse(r.getString("completedAt")).toEpochMilli()).isEqualTo(1_700_000_000_123L);
    assertThat(new JsonArray(WireJson.results(List.of()))).isEmpty();
  }
}
