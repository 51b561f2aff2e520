package swell.common;

import io.vertx.core.json.JsonObject;

/**
 * An answer other than success, with the status, a stable code for programs and a sentence for
 * people; one failure handler turns it into {@code {"error","message"}}.
 */
public final class ApiError extends RuntimeException {
  private final int status;
  private final String code;
  private final Integer retryAfterSeconds;

  public ApiError(int status, String code, String message, Integer retryAfterSeconds) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public static ApiError badRequest(String param, String rule) {
    String code = "bad_" + param.replaceAll("([a-z])([A-Z])", "$1_$2").replace('-', '_').toLowerCase(java.util.Locale.ROOT);
    return new ApiError(400, code, "'" + param + "' " + rule, null);
  }

  /** A body over the limit; {@code whose} says which side's limit it was ("", "the balancer's "). */
  public static ApiError bodyTooLarge(String whose, int maxBodyBytes) {
    return new ApiError(413, "body_too_large",
        "the body is larger than " + whose + "maxBodyBytes (" + maxBodyBytes + " bytes)", null);
  }

  public static ApiError notFound(String what) {
    return new ApiError(404, "not_found", what, null);
  }

  public static ApiError unavailable(String code, String message, int retryAfterSeconds) {
    return new ApiError(503, code, message, retryAfterSeconds);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public Integer retryAfterSeconds() {
    return retryAfterSeconds;
  }

  public JsonObject toJson() {
    return new JsonObject().put("error", code).put("message", getMessage());
  }
}
