package swell.common;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EnqueueFramesTest {

  @Test
  void framesSurviveTheRoundTripWithBinaryBodiesAndKeys() {
    byte[] binary = new byte[256];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) i;
    }
    List<EnqueueFrames.Frame> frames = List.of(
        new EnqueueFrames.Frame(UUID.randomUUID(), 1, "", null, Buffer.buffer()),
        new EnqueueFrames.Frame(UUID.randomUUID(), 100_000_000, "team-ß", "clé-ü", Buffer.buffer(binary)),
        new EnqueueFrames.Frame(UUID.randomUUID(), 7, "default", "", Buffer.buffer(new byte[65536])));
    List<EnqueueFrames.Frame> back = EnqueueFrames.decode(EnqueueFrames.encode(frames));
    assertThat(back).hasSize(3);
    for (int i = 0; i < 3; i++) {
      assertThat(back.get(i).id()).isEqualTo(frames.get(i).id());
      assertThat(back.get(i).iterations()).isEqualTo(frames.get(i).iterations());
      assertThat(back.get(i).owner()).isEqualTo(frames.get(i).owner());
      assertThat(back.get(i).idempotencyKey()).isEqualTo(frames.get(i).idempotencyKey());
      assertThat(back.get(i).body().getBytes()).isEqualTo(frames.get(i).body().getBytes());
    }
  }

  @Test
  void aCutOrCorruptBatchIsRefused() {
    Buffer whole = EnqueueFrames.encode(List.of(new EnqueueFrames.Frame(UUID.randomUUID(), 1, "o", "k", Buffer.buffer("body"))));
    assertThatThrownBy(() -> EnqueueFrames.decode(whole.getBuffer(0, whole.length() - 1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> EnqueueFrames.decode(Buffer.buffer("not a batch at all")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(EnqueueFrames.decode(Buffer.buffer())).isEmpty();
  }
}
