package swell.fleet;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP proxy in front of the AWS emulator that makes the network misbehave the way a real
 * one does: an uplink too slow for a large upload, or an answer lost after the request was carried
 * out. Plain threads and blocking sockets: it is the network, not code under test.
 */
public final class TcpProxy implements AutoCloseable {
  private static final int CHUNK = 16 * 1024;

  private final ServerSocket server;
  private final int targetPort;
  private final long uplinkBytesPerSecond;
  private final String dropAnswersAfter;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicInteger droppedAnswers = new AtomicInteger();
  /** When the shared uplink is free again, in nanoTime: every connection queues for the same line. */
  private long uplinkFreeAt = System.nanoTime();

  private TcpProxy(int targetPort, long uplinkBytesPerSecond, String dropAnswersAfter) throws IOException {
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.targetPort = targetPort;
    this.uplinkBytesPerSecond = uplinkBytesPerSecond;
    this.dropAnswersAfter = dropAnswersAfter;
    Thread accept = new Thread(this::accept, "tcp-proxy-accept");
    accept.setDaemon(true);
    accept.start();
  }

  /** Everything sent towards the server shares one line of {@code bytesPerSecond}. */
  public static TcpProxy throttlingUplink(int targetPort, long bytesPerSecond) throws IOException {
    return new TcpProxy(targetPort, bytesPerSecond, null);
  }

  /**
   * Passes every request on, but once a connection has carried {@code marker} (such as
   * {@code Action=RunInstances}) nothing the server answers on it comes back: the call was made,
   * and the caller never learns its outcome.
   */
  public static TcpProxy droppingAnswersTo(int targetPort, String marker) throws IOException {
    return new TcpProxy(targetPort, 0, marker);
  }

  public String url() {
    return "http://127.0.0.1:" + server.getLocalPort();
  }

  /** How many connections had their answer swallowed. */
  public int droppedAnswers() {
    return droppedAnswers.get();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        sockets.add(client);
        sockets.add(upstream);
        boolean[] marked = {false};
        start(() -> pumpUp(client, upstream, marked));
        start(() -> pumpDown(upstream, client, marked));
      } catch (IOException e) {
        return;
      }
    }
  }

  private static void start(Runnable r) {
    Thread t = new Thread(r, "tcp-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private void pumpUp(Socket from, Socket to, boolean[] marked) {
    byte[] buf = new byte[CHUNK];
    String tail = "";
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      for (int n; (n = in.read(buf)) > 0; ) {
        if (dropAnswersAfter != null) {
          // The marker may straddle two reads: look at the end of the last one too.
          String window = tail + new String(buf, 0, n, StandardCharsets.ISO_8859_1);
          if (window.contains(dropAnswersAfter)) {
            synchronized (marked) {
              if (!marked[0]) {
                droppedAnswers.incrementAndGet();
              }
              marked[0] = true;
            }
          }
          tail = window.substring(Math.max(0, window.length() - dropAnswersAfter.length()));
        }
        if (uplinkBytesPerSecond > 0) {
          waitForUplink(n);
        }
        out.write(buf, 0, n);
      }
    } catch (IOException | InterruptedException e) {
      // one side went away: so does this connection
    } finally {
      closeQuietly(from, to);
    }
  }

  /**
   * Answers go back unless this connection carried the marker. Then the client hears nothing at
   * all, not even the server closing: it waits for its own timeout, as behind a lost packet.
   */
  private void pumpDown(Socket from, Socket to, boolean[] marked) {
    byte[] buf = new byte[CHUNK];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      for (int n; (n = in.read(buf)) > 0; ) {
        if (!isMarked(marked)) {
          out.write(buf, 0, n);
        }
      }
    } catch (IOException e) {
      // one side went away: so does this connection
    } finally {
      if (isMarked(marked)) {
        closeQuietly(from);
      } else {
        closeQuietly(from, to);
      }
    }
  }

  private static boolean isMarked(boolean[] marked) {
    synchronized (marked) {
      return marked[0];
    }
  }

  /** Sleeps until {@code bytes} have had their turn on the shared line. */
  private void waitForUplink(int bytes) throws InterruptedException {
    long sendAt;
    long doneAt;
    synchronized (this) {
      sendAt = Math.max(System.nanoTime(), uplinkFreeAt);
      doneAt = sendAt + TimeUnit.SECONDS.toNanos(bytes) / uplinkBytesPerSecond;
      uplinkFreeAt = doneAt;
    }
    long wait = doneAt - System.nanoTime();
    if (wait > 0) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
  }

  private static void closeQuietly(Socket... sockets) {
    for (Socket s : sockets) {
      try {
        s.close();
      } catch (IOException ignored) {
        // already closed
      }
    }
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException ignored) {
      // already closed
    }
    sockets.forEach(TcpProxy::closeQuietly);
  }
}
