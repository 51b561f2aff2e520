package swell.loadtest;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads HTTP/1.1 answers from the bytes of one connection as they arrive: status, the headers the
 * load generator acts on ({@code Retry-After}, {@code Connection: close}) and the body, framed by
 * {@code Content-Length}, chunked, or (HTTP/1.0 style) by the end of the connection. Interim
 * {@code 1xx} answers are skipped. Plain and single-threaded, so it can be tested without a socket.
 */
final class AnswerParser {
  /** A head longer than this is not an answer from an HTTP server. */
  private static final int MAX_HEAD_BYTES = 64 * 1024;

  /** One whole answer. {@code close}: the server will close the connection after it. */
  record Parsed(int status, String retryAfter, byte[] body, boolean close) {
  }

  /** The bytes were not an HTTP/1.x answer. */
  static final class MalformedAnswer extends RuntimeException {
    MalformedAnswer(String message) {
      super(message, null, false, false);
    }
  }

  private byte[] in = new byte[1024];
  private int length;
  /** Where the search for the end of the head resumes: the bytes before it were looked at already. */
  private int scanned;

  /** Appends what the connection read; {@link #next} then returns the answers it completed. */
  void feed(byte[] bytes, int from, int count) {
    ensure(length + count);
    System.arraycopy(bytes, from, in, length, count);
    length += count;
  }

  /** Room for {@code count} more bytes at {@link #tail()}; call {@link #fed} once they are written. */
  byte[] room(int count) {
    ensure(length + count);
    return in;
  }

  int tail() {
    return length;
  }

  void fed(int count) {
    length += count;
  }

  private void ensure(int capacity) {
    if (capacity > in.length) {
      in = Arrays.copyOf(in, Math.max(capacity, in.length * 2));
    }
  }

  /** Bytes are waiting that are not yet a whole answer. */
  boolean partial() {
    return length > 0;
  }

  void reset() {
    length = 0;
    scanned = 0;
  }

  /** The next whole answer, or null until more bytes arrive; skips interim (1xx) answers. */
  Parsed next() {
    while (true) {
      int headEnd = headEnd();
      if (headEnd < 0) {
        if (length > MAX_HEAD_BYTES) {
          throw new MalformedAnswer("no end of the head in " + MAX_HEAD_BYTES + " bytes");
        }
        return null;
      }
      Head head = readHead(headEnd);
      if (head.status >= 100 && head.status < 200) {
        consume(headEnd);
        continue;
      }
      int bodyStart = headEnd;
      if (head.status == 204 || head.status == 304) {
        consume(bodyStart);
        return new Parsed(head.status, head.retryAfter, new byte[0], head.close);
      }
      if (head.chunked) {
        return chunked(head, bodyStart);
      }
      if (head.contentLength < 0) {
        // No framing: the body runs to the end of the connection (see atClose).
        return null;
      }
      if (length - bodyStart < head.contentLength) {
        return null;
      }
      byte[] body = Arrays.copyOfRange(in, bodyStart, bodyStart + (int) head.contentLength);
      consume(bodyStart + (int) head.contentLength);
      return new Parsed(head.status, head.retryAfter, body, head.close);
    }
  }

  /**
   * The connection ended: an answer whose body ran to its end is whole now; anything else left
   * over was cut short (null).
   */
  Parsed atClose() {
    int headEnd = headEnd();
    if (headEnd < 0) {
      return null;
    }
    Head head = readHead(headEnd);
    if (head.chunked || head.contentLength >= 0 || head.status < 200) {
      return null;
    }
    byte[] body = Arrays.copyOfRange(in, headEnd, length);
    reset();
    return new Parsed(head.status, head.retryAfter, body, true);
  }

  /** The index just past the head's blank line, or -1 if it has not arrived. */
  private int headEnd() {
    for (int i = Math.max(0, scanned - 3); i + 3 < length; i++) {
      if (in[i] == '\r' && in[i + 1] == '\n' && in[i + 2] == '\r' && in[i + 3] == '\n') {
        return i + 4;
      }
    }
    scanned = length;
    return -1;
  }

  private record Head(int status, long contentLength, boolean chunked, boolean close, String retryAfter) {
  }

  private Head readHead(int headEnd) {
    int lineEnd = lineEnd(0, headEnd);
    // "HTTP/1.1 200 OK": the version, a space, three digits.
    if (lineEnd < 12 || !startsWith(0, "HTTP/1.") || in[8] != ' ') {
      throw new MalformedAnswer("not an HTTP/1.x status line");
    }
    int d1 = digit(in[9]);
    int d2 = digit(in[10]);
    int d3 = digit(in[11]);
    int status = d1 * 100 + d2 * 10 + d3;
    if (d1 < 1 || d2 < 0 || d3 < 0 || (lineEnd > 12 && in[12] != ' ')) {
      throw new MalformedAnswer("bad status code");
    }
    boolean close = in[7] == '0';
    long contentLength = -1;
    boolean chunked = false;
    String retryAfter = null;
    for (int line = lineEnd + 2; line < headEnd - 2; line = lineEnd(line, headEnd) + 2) {
      int end = lineEnd(line, headEnd);
      int colon = indexOf(line, end, (byte) ':');
      if (colon < 0) {
        throw new MalformedAnswer("a header line without a colon");
      }
      int value = colon + 1;
      while (value < end && (in[value] == ' ' || in[value] == '\t')) {
        value++;
      }
      int valueEnd = end;
      while (valueEnd > value && (in[valueEnd - 1] == ' ' || in[valueEnd - 1] == '\t')) {
        valueEnd--;
      }
      int nameLength = colon - line;
      if (named(line, nameLength, "content-length")) {
        contentLength = number(value, valueEnd);
      } else if (named(line, nameLength, "transfer-encoding")) {
        chunked = endsWithIgnoreCase(value, valueEnd, "chunked");
      } else if (named(line, nameLength, "connection")) {
        String v = ascii(value, valueEnd);
        close = v.equalsIgnoreCase("close") || (close && !v.equalsIgnoreCase("keep-alive"));
      } else if (named(line, nameLength, "retry-after")) {
        retryAfter = ascii(value, valueEnd);
      }
    }
    return new Head(status, contentLength, chunked, close, retryAfter);
  }

  /** A chunked body whole in the buffer, or null: re-read from the head each time, as answers are small. */
  private Parsed chunked(Head head, int bodyStart) {
    byte[] body = new byte[0];
    int bodyLength = 0;
    int i = bodyStart;
    while (true) {
      int lineEnd = lineEnd(i, length);
      if (lineEnd < 0) {
        return null;
      }
      int sizeEnd = indexOf(i, lineEnd, (byte) ';');
      long size = hexNumber(i, sizeEnd < 0 ? lineEnd : sizeEnd);
      i = lineEnd + 2;
      if (size == 0) {
        // Trailers, then a blank line.
        while (true) {
          int end = lineEnd(i, length);
          if (end < 0) {
            return null;
          }
          boolean blank = end == i;
          i = end + 2;
          if (blank) {
            consume(i);
            return new Parsed(head.status, head.retryAfter, Arrays.copyOf(body, bodyLength), head.close);
          }
        }
      }
      if (length - i < size + 2) {
        return null;
      }
      if (bodyLength + size > body.length) {
        body = Arrays.copyOf(body, (int) Math.max(bodyLength + size, body.length * 2L));
      }
      System.arraycopy(in, i, body, bodyLength, (int) size);
      bodyLength += (int) size;
      i += (int) size;
      if (in[i] != '\r' || in[i + 1] != '\n') {
        throw new MalformedAnswer("a chunk not followed by CRLF");
      }
      i += 2;
    }
  }

  private void consume(int count) {
    System.arraycopy(in, count, in, 0, length - count);
    length -= count;
    scanned = 0;
  }

  /** The index of the CR of the CRLF that ends the line starting at {@code from}, or -1 before {@code to}. */
  private int lineEnd(int from, int to) {
    for (int i = from; i + 1 < to; i++) {
      if (in[i] == '\r' && in[i + 1] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private int indexOf(int from, int to, byte b) {
    for (int i = from; i < to; i++) {
      if (in[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private boolean startsWith(int at, String s) {
    for (int i = 0; i < s.length(); i++) {
      if (in[at + i] != s.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** Whether the header name at {@code at} is {@code lower}, in any case. */
  private boolean named(int at, int nameLength, String lower) {
    if (nameLength != lower.length()) {
      return false;
    }
    for (int i = 0; i < nameLength; i++) {
      int c = in[at + i];
      if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != lower.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private boolean endsWithIgnoreCase(int from, int to, String lower) {
    return to - from >= lower.length() && named(to - lower.length(), lower.length(), lower);
  }

  private long number(int from, int to) {
    if (from == to || to - from > 18) {
      throw new MalformedAnswer("bad Content-Length");
    }
    long n = 0;
    for (int i = from; i < to; i++) {
      int d = digit(in[i]);
      if (d < 0) {
        throw new MalformedAnswer("bad Content-Length");
      }
      n = n * 10 + d;
    }
    return n;
  }

  private long hexNumber(int from, int to) {
    while (to > from && (in[to - 1] == ' ' || in[to - 1] == '\t')) {
      to--;
    }
    if (from == to || to - from > 15) {
      throw new MalformedAnswer("bad chunk size");
    }
    long n = 0;
    for (int i = from; i < to; i++) {
      int c = in[i];
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) {
        throw new MalformedAnswer("bad chunk size");
      }
      n = n << 4 | d;
    }
    return n;
  }

  private static int digit(byte b) {
    return b >= '0' && b <= '9' ? b - '0' : -1;
  }

  private String ascii(int from, int to) {
    return new String(in, from, to - from, StandardCharsets.ISO_8859_1);
  }
}
