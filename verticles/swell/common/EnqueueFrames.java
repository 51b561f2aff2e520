package swell.common;

import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The binary body of {@code POST /enqueue_batch}, by which an endpoint forwards many enqueues in one
 * request: per work, its 16-byte id, iterations (int), idempotency key (short length, UTF-8, -1 for
 * none) and body (int length, bytes). Binary because bodies are arbitrary bytes and base64 would
 * cost a third more on every byte.
 */
public final class EnqueueFrames {
  private EnqueueFrames() {
  }

  /** One work in a batch, as the endpoint checked it. */
  public record Frame(UUID id, int iterations, String idempotencyKey, Buffer body) {
    public int encodedSize() {
      return 16 + 4 + 2 + (idempotencyKey == null ? 0 : idempotencyKey.length() * 3) + 4 + body.length();
    }
  }

  public static Buffer encode(List<Frame> frames) {
    int size = 0;
    for (Frame f : frames) {
      size += f.encodedSize();
    }
    Buffer out = Buffer.buffer(size);
    for (Frame f : frames) {
      out.appendLong(f.id.getMostSignificantBits()).appendLong(f.id.getLeastSignificantBits());
      out.appendInt(f.iterations);
      if (f.idempotencyKey == null) {
        out.appendShort((short) -1);
      } else {
        byte[] key = f.idempotencyKey.getBytes(StandardCharsets.UTF_8);
        out.appendShort((short) key.length).appendBytes(key);
      }
      out.appendInt(f.body.length()).appendBuffer(f.body);
    }
    return out;
  }

  /** Decodes a batch; throws {@link IllegalArgumentException} if it is cut short or malformed. */
  public static List<Frame> decode(Buffer in) {
    List<Frame> out = new ArrayList<>();
    int pos = 0;
    try {
      while (pos < in.length()) {
        UUID id = new UUID(in.getLong(pos), in.getLong(pos + 8));
        int iterations = in.getInt(pos + 16);
        short keyLen = in.getShort(pos + 20);
        pos += 22;
        String key = null;
        if (keyLen >= 0) {
          key = in.getString(pos, pos + keyLen, "UTF-8");
          pos += keyLen;
        } else if (keyLen != -1) {
          throw new IllegalArgumentException("bad key length " + keyLen);
        }
        int bodyLen = in.getInt(pos);
        pos += 4;
        if (bodyLen < 0 || pos + bodyLen > in.length()) {
          throw new IllegalArgumentException("bad body length " + bodyLen);
        }
        out.add(new Frame(id, iterations, key, in.getBuffer(pos, pos + bodyLen)));
        pos += bodyLen;
      }
    } catch (IndexOutOfBoundsException e) {
      throw new IllegalArgumentException("batch is cut short at byte " + pos, e);
    }
    return out;
  }
}
