package swell.loadtest;

import io.vertx.core.VertxException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.ConnectOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;

import java.util.concurrent.TimeoutException;

/**
 * One enqueueing client's keep-alive connection, with at most one request in flight, speaking
 * HTTP/1.1 itself: the request is bytes built once per work and written whole, the answer is read
 * by {@link AnswerParser}. Against an endpoint on the same machine the general HTTP client's
 * per-request machinery (request objects, header maps, futures, the pool, a timer per request) cost
 * the load generator 3-5 times what wrk spends, and that CPU was missing on the Swell under test.
 * Single-threaded: every call comes from the run's event loop.
 */
final class EnqueueConnection {
  /** Where an answer, or the failure of a request, goes. */
  interface AnswerHandler {
    void handle(LoadRun.Answer answer, Throwable failure);
  }

  private final NetClient client;
  private final ConnectOptions target;
  private final AnswerParser parser = new AnswerParser();
  private NetSocket socket;
  private AnswerHandler waiting;
  /** When bytes last went out or came in for the request in flight: the request timeout counts from here. */
  private long lastActivityNanos;
  /** Counts requests, so that a connect that completes after its request timed out does not send it. */
  private long request;

  EnqueueConnection(NetClient client, ConnectOptions target) {
    this.client = client;
    this.target = target;
  }

  /** Sends one whole request (head and body); {@code handler} hears of its answer or failure exactly once. */
  void send(Buffer bytes, AnswerHandler handler) {
    waiting = handler;
    lastActivityNanos = System.nanoTime();
    long mine = ++request;
    if (socket != null) {
      socket.write(bytes);
      return;
    }
    client.connect(target).onComplete(ar -> {
      if (ar.failed()) {
        if (mine == request) {
          fail(ar.cause());
        }
        return;
      }
      NetSocket s = ar.result();
      if (mine != request || waiting == null) {
        s.close();
        return;
      }
      attach(s);
      s.write(bytes);
    });
  }

  private void attach(NetSocket s) {
    socket = s;
    parser.reset();
    s.handler(chunk -> received(s, chunk));
    s.closeHandler(v -> closed(s));
    s.exceptionHandler(e -> broken(s, e));
  }

  private void received(NetSocket s, Buffer chunk) {
    if (s != socket) {
      return;
    }
    lastActivityNanos = System.nanoTime();
    int n = chunk.length();
    chunk.getBytes(parser.room(n), parser.tail());
    parser.fed(n);
    try {
      AnswerParser.Parsed a;
      while (socket == s && (a = parser.next()) != null) {
        if (waiting == null) {
          throw new AnswerParser.MalformedAnswer("an answer to no request");
        }
        if (a.close()) {
          drop();
        }
        answer(a);
      }
    } catch (AnswerParser.MalformedAnswer e) {
      drop();
      fail(e);
    }
  }

  private void answer(AnswerParser.Parsed a) {
    AnswerHandler h = waiting;
    waiting = null;
    h.handle(new LoadRun.Answer(a.status(), a.retryAfter(), Buffer.buffer(a.body())), null);
  }

  /** The server closed the connection: an answer framed by the close is whole now, a request in flight is lost. */
  private void closed(NetSocket s) {
    if (s != socket) {
      return;
    }
    socket = null;
    AnswerParser.Parsed last = parser.atClose();
    parser.reset();
    if (waiting == null) {
      return;
    }
    if (last != null) {
      answer(last);
    } else {
      fail(new VertxException("Connection was closed", true));
    }
  }

  private void broken(NetSocket s, Throwable e) {
    if (s != socket) {
      return;
    }
    drop();
    fail(e);
  }

  /** Fails the request in flight, if any, when it has seen no bytes for {@code timeoutNanos}; the connection goes. */
  void expire(long nowNanos, long timeoutNanos) {
    if (waiting != null && nowNanos - lastActivityNanos >= timeoutNanos) {
      request++;
      drop();
      fail(new TimeoutException("no answer within " + timeoutNanos / 1_000_000 + " ms"));
    }
  }

  /** Forgets the connection and closes it: the next request opens a new one. */
  private void drop() {
    NetSocket s = socket;
    socket = null;
    parser.reset();
    if (s != null) {
      s.close();
    }
  }

  private void fail(Throwable cause) {
    AnswerHandler h = waiting;
    waiting = null;
    if (h != null) {
      h.handle(null, cause);
    }
  }

  void close() {
    drop();
  }
}
