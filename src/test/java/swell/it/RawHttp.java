package swell.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * HTTP/1.1 spoken by hand over a loopback socket, for what a well-behaved client library will not do:
 * wait for {@code 100 Continue}, stall mid-body, trickle bytes. Blocking: test threads only.
 */
public final class RawHttp implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  private RawHttp(Socket socket) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  public static RawHttp connect(int port) {
    try {
      Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
      s.setTcpNoDelay(true);
      return new RawHttp(s);
    } catch (IOException e) {
      throw new IllegalStateException("cannot connect to port " + port + ": " + e, e);
    }
  }

  /** The head of a PUT /enqueue declaring {@code length} body bytes, with any extra header lines. */
  public static String enqueueHead(long length, String... headers) {
    StringBuilder sb = new StringBuilder("PUT /enqueue?iterations=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .append("Content-Length: ").append(length).append("\r\n");
    for (String h : headers) {
      sb.append(h).append("\r\n");
    }
    return sb.append("\r\n").toString();
  }

  public RawHttp send(String text) {
    return send(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  public RawHttp send(byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
      return this;
    } catch (IOException e) {
      throw new IllegalStateException("write failed: " + e, e);
    }
  }

  /** A response's status line and headers, read up to the blank line; null when nothing came within {@code wait}. */
  public Response readHead(Duration wait) {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    try {
      socket.setSoTimeout((int) wait.toMillis());
      while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          return head.size() == 0 ? null : new Response(head.toString(StandardCharsets.ISO_8859_1), this);
        }
        head.write(b);
      }
      return new Response(head.toString(StandardCharsets.ISO_8859_1), this);
    } catch (SocketTimeoutException e) {
      return null;
    } catch (IOException e) {
      throw new IllegalStateException("read failed: " + e, e);
    }
  }

  /** True when the server closed the connection (end of stream, or a reset) within {@code wait}. */
  public boolean closedWithin(Duration wait) {
    try {
      socket.setSoTimeout((int) wait.toMillis());
      while (true) {
        if (in.read() < 0) {
          return true;
        }
      }
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing a test socket
    }
  }

  /** A response head, and its body read by its Content-Length. */
  public record Response(String head, RawHttp conn) {
    public int status() {
      return Integer.parseInt(head.substring(9, 12));
    }

    public String header(String name) {
      for (String line : head.split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
          return line.substring(colon + 1).trim();
        }
      }
      return null;
    }

    public String body() {
      String length = header("Content-Length");
      int n = length == null ? 0 : Integer.parseInt(length);
      byte[] b = new byte[n];
      try {
        int off = 0;
        while (off < n) {
          int r = conn.in.read(b, off, n - off);
          if (r < 0) {
            break;
          }
          off += r;
        }
      } catch (IOException e) {
        throw new IllegalStateException("read failed: " + e, e);
      }
      return new String(b, StandardCharsets.UTF_8);
    }
  }
}
