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
    if (values.isEmpty()) {
      throw ApiError.badRequest(name, "is missing; it " + rule(min, max));
    }
    return (int) check(name, values, min, max);
  }

  /** An optional integer parameter: absent gives the default, present it is checked like {@link #intParam}. */
  public static long optionalLong(RoutingContext ctx, String name, long def, long min, long max) {
    List<String> values = ctx.queryParam(name);
    return values.isEmpty() ? def : check(name, values, min, max);
  }

  private static long check(String name, List<String> values, long min, long max) {
    if (values.size() > 1) {
      throw ApiError.badRequest(name, "is given more than once");
    }
    String v = values.get(0).trim();
    long n;
    try {
      n = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw ApiError.badRequest(name, rule(min, max) + ", not \"" + truncate(v) + "\"");
    }
    if (n < min || n > max) {
      throw ApiError.badRequest(name, rule(min, max) + ", not " + n);
    }
    return n;
  }

  private static String rule(long min, long max) {
    return "must be an integer from " + min + " to " + max;
  }

  /** An optional parameter checked like {@link #intParam}: null when absent, else an integer in range or a 400. */
  public static Integer optionalInt(RoutingContext ctx, String name, int min, int max) {
    List<String> values = ctx.queryParam(name);
    return values.isEmpty() ? null : (int) check(name, values, min, max);
  }

  private static String truncate(String v) {
    return v.length() > 40 ? v.substring(0, 40) + "…" : v;
  }
}
