package swell.common;

import io.vertx.core.json.JsonObject;

import java.util.UUID;

/**
 * An answer other than success, with the status, a stable code for programs and a sentence for
 * people; one failure handler turns it into {@code {"error","message"}}.
 */
public final class ApiError extends RuntimeException {
  private final int status;
  private final String code;
  private final Integer retryAfterSeconds;
  /** The work the answer is about, when the client needs its id to find out more (504 outcome_unknown). */
  private final UUID workId;

  public ApiError(int status, String code, String message, Integer retryAfterSeconds) {
    this(status, code, message, retryAfterSeconds, null);
  }

  private ApiError(int status, String code, String message, Integer retryAfterSeconds, UUID workId) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
    this.workId = workId;
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

  public static ApiError unauthorized(String message) {
    return new ApiError(401, "unauthorized", message, null);
  }

  /**
   * A request was forwarded and no answer came back: it may or may not have taken effect. With the
   * work's id the client can ask {@code GET /work/{id}}; {@code id} is null when there is no one work.
   */
  public static ApiError outcomeUnknown(String message, UUID id) {
    return new ApiError(504, "outcome_unknown", message, null, id);
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
    JsonObject j = new JsonObject().put("error", code);
    if (workId != null) {
      j.put("id", workId.toString());
    }
    return j.put("message", getMessage());
  }
}
