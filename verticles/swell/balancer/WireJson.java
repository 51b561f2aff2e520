package swell.balancer;

import io.vertx.core.buffer.Buffer;
import swell.common.Hex;
import swell.store.CompletedWork;
import swell.store.LeasedWork;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

/**
 * The two biggest answers the balancer writes, leases and pulled results, written by hand. Every
 * value in them is a UUID, a number, base64 or hex, none of which JSON must escape, and a general
 * encoder scanning each character of kilobytes of base64 was half the balancer's event-loop time
 * when dispatching tiny works (JFR, bench/dispatch.sh). Tests parse these with a real JSON parser.
 */
final class WireJson {
  private static final Base64.Encoder BASE64 = Base64.getEncoder();

  private WireJson() {
  }

  static Buffer leases(List<LeasedWork> works, long leaseMs) {
    int size = 16;
    for (LeasedWork w : works) {
      size += 110 + (w.data().length + 2) / 3 * 4;
    }
    Buffer out = Buffer.buffer(size).appendString("{\"works\":[");
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
