package swell.loadtest;

import io.vertx.core.buffer.Buffer;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The bytes of every {@code PUT /enqueue} of a run: per URL a head written once (request line,
 * Host, Content-Type, Content-Length and the client key), then for each work that head and its body
 * in one buffer, built with two array copies.
 */
final class EnqueueRequests {
  private final byte[][] heads;
  private final Bodies bodies;

  EnqueueRequests(List<String> urls, long iterations, String clientKey, Bodies bodies) {
    this.bodies = bodies;
    this.heads = new byte[urls.size()][];
    for (int i = 0; i < urls.size(); i++) {
      heads[i] = head(URI.create(urls.get(i)), iterations, clientKey, bodies.bytes());
    }
  }

  static byte[] head(URI url, long iterations, String clientKey, int bodyBytes) {
    String prefix = url.getRawPath() == null ? "" : url.getRawPath();
    StringBuilder sb = new StringBuilder(160)
        .append("PUT ").append(prefix).append("/enqueue?iterations=").append(iterations).append(" HTTP/1.1\r\n")
        .append("Host: ").append(url.getHost()).append(url.getPort() > 0 ? ":" + url.getPort() : "").append("\r\n")
        .append("Content-Type: application/octet-stream\r\n")
        .append("Content-Length: ").append(bodyBytes).append("\r\n");
    if (clientKey != null) {
      sb.append("Authorization: Bearer ").append(clientKey).append("\r\n");
    }
    return sb.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /** The whole request for work {@code index} to URL {@code target}. */
  Buffer request(int target, int index) {
    byte[] head = heads[target];
    byte[] out = new byte[head.length + bodies.bytes()];
    System.arraycopy(head, 0, out, 0, head.length);
    bodies.write(index, out, head.length);
    return Buffer.buffer(out);
  }
}
