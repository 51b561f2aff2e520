package swell.common;

import io.vertx.ext.web.RoutingContext;

import java.util.List;

/** Query parameters read strictly: present once, an integer, in range — or a 400 naming the parameter. */
public final class Params {
  private Params() {
  }

  public static int intParam(RoutingContext ctx, String name, int min, int max) {
    return intParam(name, ctx.queryParam(name), min, max);
  }

  /** The same check on the values a request gave for the parameter. */
  public static int intParam(String name, List<String> values, int min, int max) {
    String rule = "must be an integer from " + min + " to " + max;
    if (values.isEmpty()) {
      throw ApiError.badRequest(name, "is missing; it " + rule);
    }
    if (values.size() > 1) {
      throw ApiError.badRequest(name, "is given more than once");
    }
    String v = values.get(0).trim();
    long n;
    try {
      n = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw ApiError.badRequest(name, rule + ", not \"" + truncate(v) + "\"");
    }
    if (n < min || n > max) {
      throw ApiError.badRequest(name, rule + ", not " + n);
    }
    return (int) n;
  }

  /** An optional parameter checked like {@link #intParam}: null when absent, else an integer in range or a 400. */
  public static Integer optionalInt(RoutingContext ctx, String name, int min, int max) {
    List<String> values = ctx.queryParam(name);
    return values.isEmpty() ? null : intParam(name, values, min, max);
  }

  /** An optional integer parameter with a default, clamped to its range. */
  public static long optionalLong(RoutingContext ctx, String name, long def, long min, long max) {
    String v = ctx.request().getParam(name);
    if (v == null) {
      return def;
    }
    try {
      return Math.max(min, Math.min(max, Long.parseLong(v.trim())));
    } catch (NumberFormatException e) {
      throw ApiError.badRequest(name, "must be an integer, not \"" + truncate(v) + "\"");
    }
  }

  private static String truncate(String v) {
    return v.length() > 40 ? v.substring(0, 40) + "…" : v;
  }
}
