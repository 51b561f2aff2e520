package swell.loadtest;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Ids read from enqueue answers without a JSON library, and keyed as two longs. */
class WorkIdTest {
  private static WorkId fromAnswer(String answer) {
    byte[] b = answer.getBytes(StandardCharsets.UTF_8);
    return WorkId.fromAnswer(b, 0, b.length);
  }

  @Test
  void aUuidIsItsOwnTwoLongsFromAStringOrAnAnswer() {
    UUID u = UUID.fromString("0190c1f2-7a3b-7c4d-8e5f-60718293a4b5");

    assertThat(WorkId.of(u.toString())).isEqualTo(new WorkId(u.getMostSignificantBits(), u.getLeastSignificantBits()));
    assertThat(fromAnswer("{\"id\":\"" + u + "\"}")).isEqualTo(WorkId.of(u.toString()));
    assertThat(fromAnswer("{ \"id\" : \"" + u.toString().toUpperCase() + "\" }")).isEqualTo(WorkId.of(u.toString()));
  }

  @Test
  void answersOfAnotherShapeAreLeftToTheJsonParser() {
    assertThat(fromAnswer("{\"id\":\"a\"}")).isNull();
    assertThat(fromAnswer("{\"id\":\"0190c1f2-7a3b-7c4d-8e5f-60718293a4bz\"}")).isNull();
    assertThat(fromAnswer("{\"id\":\"0190c1f2x7a3b-7c4d-8e5f-60718293a4b5\"}")).isNull();
    assertThat(fromAnswer("{\"error\":\"queue_full\"}")).isNull();
    assertThat(fromAnswer("")).isNull();
  }

  @Test
  void theFallbackParserAgreesWithTheFastOne() {
    UUID u = UUID.randomUUID();
    io.vertx.core.buffer.Buffer pretty = io.vertx.core.buffer.Buffer.buffer("{\n  \"id\": \"" + u + "\"\n}");
    io.vertx.core.buffer.Buffer other = io.vertx.core.buffer.Buffer.buffer("{\"other\":1,\"id\":\"w-17\"}");

    assertThat(LoadRun.idOf(pretty)).isEqualTo(WorkId.of(u.toString()));
    assertThat(LoadRun.idOf(other)).isEqualTo(WorkId.of("w-17"));
    assertThat(LoadRun.idOf(io.vertx.core.buffer.Buffer.buffer("not json"))).isNull();
  }

  @Test
  void foreignIdsHashToDistinctKeys() {
    assertThat(WorkId.of("a")).isEqualTo(WorkId.of("a")).isNotEqualTo(WorkId.of("b"));
    assertThat(WorkId.of("ab")).isNotEqualTo(WorkId.of("ba"));
  }
}
