package swell.balancer;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import swell.common.Hex;
import swell.store.CompletedWork;
import swell.store.LeasedWork;
import swell.store.WorkInfo;
import swell.store.WorkStatus;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

/**
 * The balancer's answers about works. The two biggest, leases and pulled results, are written by
 * hand: every value in them is a UUID, a number, base64 or hex, none of which JSON must escape, and
 * a general encoder scanning each character of kilobytes of base64 was half the balancer's
 * event-loop time when dispatching tiny works (JFR, bench/dispatch.sh). Tests parse these with a
 * real JSON parser.
 */
final class WireJson {
  private static final Base64.Encoder BASE64 = Base64.getEncoder();

  private WireJson() {
  }

  /** Per work, the JSON around its base64 body: id, iterations, leaseMs and punctuation. */
  private static final int LEASE_OVERHEAD = 110;

  /**
   * A lease answer. Its size is bounded by {@code leaseByteBudget}; the arithmetic is in longs all
   * the same, and an answer that could not fit one buffer is refused rather than wrapped around.
   */
  static Buffer leases(List<LeasedWork> works, long leaseMs) {
    long size = 16;
    for (LeasedWork w : works) {
      size += LEASE_OVERHEAD + (w.data().length + 2L) / 3 * 4;
    }
    if (size > Integer.MAX_VALUE - 64) {
      throw new IllegalArgumentException("a lease answer of " + size + " bytes does not fit one buffer");
    }
    Buffer out = Buffer.buffer((int) size).appendString("{\"works\":[");
    for (int i = 0; i < works.size(); i++) {
      LeasedWork w = works.get(i);
      out.appendString(i == 0 ? "{\"id\":\"" : ",{\"id\":\"")
          .appendString(w.id().toString())
          .appendString("\",\"iterations\":").appendString(Integer.toString(w.iterations()))
          .appendString(",\"leaseMs\":").appendString(Long.toString(leaseMs))
          .appendString(",\"data\":\"").appendBytes(BASE64.encode(w.data()))
          .appendString("\"}");
    }
    return out.appendString("]}");
  }

  /** One work as {@code GET /work/{id}} shows it. */
  static JsonObject work(WorkInfo w) {
    JsonObject j = new JsonObject()
        .put("id", w.id().toString())
        .put("status", w.status().wireName())
        .put("iterations", w.iterations())
        .put("attempts", w.attempts());
    if (w.enqueuedAt() > 0) {
      j.put("enqueuedAt", Instant.ofEpochMilli(w.enqueuedAt()).toString());
    }
    if (w.result() != null) {
      j.put("result", Hex.encode(w.result()));
    }
    if (w.finishedAt() != null) {
      j.put(w.status() == WorkStatus.FAILED ? "failedAt" : "completedAt", Instant.ofEpochMilli(w.finishedAt()).toString());
    }
    if (w.workerId() != null) {
      j.put("workerId", w.workerId());
    }
    if (w.pulled()) {
      j.put("pulled", true);
    }
    return j;
  }

  static Buffer results(List<CompletedWork> works) {
    Buffer out = Buffer.buffer(32 + works.size() * 260).appendString("[");
    for (int i = 0; i < works.size(); i++) {
      CompletedWork w = works.get(i);
      out.appendString(i == 0 ? "{\"id\":\"" : ",{\"id\":\"")
          .appendString(w.id().toString())
          .appendString("\",\"result\":\"").appendBytes(Hex.encode(w.result()).getBytes(StandardCharsets.US_ASCII))
          .appendString("\",\"iterations\":").appendString(Integer.toString(w.iterations()))
          .appendString(",\"completedAt\":\"").appendString(Instant.ofEpochMilli(w.completedAt()).toString())
          .appendString("\"}");
    }
    return out.appendString("]");
  }
}
