package swell.it;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * A blocking HTTP client for scenario tests that drive whole processes from the test thread (never
 * an event loop), plus a condition wait with a deadline.
 */
public final class SwellHttp {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;
  private final String token;

  public SwellHttp(String base, String token) {
    this.base = base;
    this.token = token;
  }

  public HttpResponse<String> send(String method, String path, byte[] body) {
    return send(method, path, body, java.util.Map.of());
  }

  /** A request with extra headers, such as {@code Swell-Worker} for the balancer's worker routes. */
  public HttpResponse<String> send(String method, String path, byte[] body, java.util.Map<String, String> headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
        .timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    headers.forEach(b::header);
    try {
      return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + base + path + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public String enqueue(byte[] body, int iterations) {
    HttpResponse<String> r = send("PUT", "/enqueue?iterations=" + iterations, body);
    if (r.statusCode() != 200) {
      throw new IllegalStateException("enqueue answered " + r.statusCode() + ": " + r.body());
    }
    return new JsonObject(r.body()).getString("id");
  }

  public JsonArray pull(int top) {
    HttpResponse<String> r = send("POST", "/pullCompleted?top=" + top, null);
    if (r.statusCode() != 200) {
      throw new IllegalStateException("pullCompleted answered " + r.statusCode() + ": " + r.body());
    }
    return new JsonArray(r.body());
  }

  /** A pull whose results stay hidden for {@code ackMs} and come back unless acknowledged. */
  public JsonArray pullAcked(int top, int ackMs) {
    HttpResponse<String> r = send("POST", "/pullCompleted?top=" + top + "&ackMs=" + ackMs, null);
    if (r.statusCode() != 200) {
      throw new IllegalStateException("pullCompleted answered " + r.statusCode() + ": " + r.body());
    }
    return new JsonArray(r.body());
  }

  public JsonObject json(String method, String path) {
    HttpResponse<String> r = send(method, path, null);
    if (r.statusCode() != 200) {
      throw new IllegalStateException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
    }
    return new JsonObject(r.body());
  }

  /** Waits until the condition holds; fails with {@code what} after the deadline. */
  public static void await(String what, Duration deadline, BooleanSupplier condition) {
    long end = System.nanoTime() + deadline.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out after " + deadline + " waiting for: " + what);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
