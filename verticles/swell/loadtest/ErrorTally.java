package swell.loadtest;

import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.VertxException;
import io.vertx.core.json.JsonObject;

import java.net.ConnectException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeoutException;

/** Failed requests counted by phase and kind (a status code, connect, timeout, closed), for the report. */
final class ErrorTally {
  private final Map<String, Map<String, Long>> byPhase = new TreeMap<>();

  void status(String phase, int status) {
    add(phase, "status " + status);
  }

  void failure(String phase, Throwable cause) {
    add(phase, kindOf(cause));
  }

  void add(String phase, String kind) {
    byPhase.computeIfAbsent(phase, p -> new TreeMap<>()).merge(kind, 1L, Long::sum);
  }

  long total() {
    return byPhase.values().stream().flatMap(m -> m.values().stream()).mapToLong(Long::longValue).sum();
  }

  long count(String phase, String kind) {
    return byPhase.getOrDefault(phase, Map.of()).getOrDefault(kind, 0L);
  }

  /** The kind a failure counts as: what a person tuning the system would want to tell apart. */
  static String kindOf(Throwable cause) {
    if (cause instanceof ConnectTimeoutException) {
      return "connect timeout";
    }
    if (cause instanceof ConnectException) {
      return "connect";
    }
    if (cause instanceof TimeoutException) {
      return "timeout";
    }
    String name = cause.getClass().getSimpleName();
    if (name.contains("Timeout")) {
      return "timeout";
    }
    if (name.contains("Closed") || cause instanceof VertxException && "Connection was closed".equals(cause.getMessage())) {
      return "closed";
    }
    return "io " + name;
  }

  JsonObject toJson() {
    JsonObject out = new JsonObject();
    byPhase.forEach((phase, kinds) -> {
      JsonObject k = new JsonObject();
      kinds.forEach(k::put);
      out.put(phase, k);
    });
    return out;
  }

  String toText() {
    if (byPhase.isEmpty()) {
      return "none";
    }
    StringBuilder sb = new StringBuilder();
    byPhase.forEach((phase, kinds) -> kinds.forEach((kind, n) -> {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(phase).append(' ').append(kind).append(": ").append(n);
    }));
    return sb.toString();
  }
}
