package swell.common;

import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The binary body of {@code POST /enqueue_batch}, by which an endpoint forwards many enqueues in one
 * request: per work, its 16-byte id, iterations (int), owner (short length, UTF-8; empty for the
 * anonymous owner), idempotency key (short length, UTF-8, -1 for none) and body (int length, bytes).
 * Binary because bodies are arbitrary bytes and base64 would cost a third more on every byte.
 */
public final class EnqueueFrames {
  private EnqueueFrames() {
  }

  /** One work in a batch, as the endpoint checked it; {@code owner} is the client key's name, "" without keys. */
  public record Frame(UUID id, int iterations, String owner, String idempotencyKey, Buffer body) {
    public int encodedSize() {
      return 16 + 4 + 2 + owner.length() * 3 + 2 + (idempotencyKey == null ? 0 : idempotencyKey.length() * 3) + 4
          + body.length();
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
      appendString(out, f.owner);
      if (f.idempotencyKey == null) {
        out.appendShort((short) -1);
      } else {
        appendString(out, f.idempotencyKey);
      }
      out.appendInt(f.body.length()).appendBuffer(f.body);
    }
    return out;
  }

  private static void appendString(Buffer out, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > Short.MAX_VALUE) {
      throw new IllegalArgumentException("a frame's string is longer than " + Short.MAX_VALUE + " bytes");
    }
    out.appendShort((short) bytes.length).appendBytes(bytes);
  }

  /** Decodes a batch; throws {@link IllegalArgumentException} if it is cut short or malformed. */
  public static List<Frame> decode(Buffer in) {
    List<Frame> out = new ArrayList<>();
    int[] pos = {0};
    try {
      while (pos[0] < in.length()) {
        int at = pos[0];
        UUID id = new UUID(in.getLong(at), in.getLong(at + 8));
        int iterations = in.getInt(at + 16);
        pos[0] = at + 20;
        String owner = readString(in, pos);
        if (owner == null) {
          throw new IllegalArgumentException("a work without an owner at byte " + at);
        }
        String key = readString(in, pos);
        int bodyLen = in.getInt(pos[0]);
        pos[0] += 4;
        if (bodyLen < 0 || pos[0] + bodyLen > in.length()) {
          throw new IllegalArgumentException("bad body length " + bodyLen);
        }
        out.add(new Frame(id, iterations, owner, key, in.getBuffer(pos[0], pos[0] + bodyLen)));
        pos[0] += bodyLen;
      }
    } catch (IndexOutOfBoundsException e) {
      throw new IllegalArgumentException("batch is cut short at byte " + pos[0], e);
    }
    return out;
  }

  /** A short-length-prefixed UTF-8 string at {@code pos[0]}, which moves past it; null for length -1. */
  private static String readString(Buffer in, int[] pos) {
    short len = in.getShort(pos[0]);
    pos[0] += 2;
    if (len == -1) {
      return null;
    }
    if (len < 0 || pos[0] + len > in.length()) {
      throw new IllegalArgumentException("bad string length " + len);
    }
    String s = in.getString(pos[0], pos[0] + len, "UTF-8");
    pos[0] += len;
    return s;
  }
}
