package swell.common;

/** The request limits endpoints and balancers both enforce, before anything is stored. */
public record Limits(int maxBodyBytes, int maxIterations, int maxTop, int maxHeaderBytes, int idleTimeoutSeconds,
                     long requestTimeoutMs) {

  public static Limits read(ConfigReader r) {
    return new Limits(
        r.integer("maxBodyBytes", 8 * 1024 * 1024, 0, 512 * 1024 * 1024),
        r.integer("maxIterations", 100_000_000, 1, Integer.MAX_VALUE),
        r.integer("maxTop", 1000, 1, 100_000),
        r.integer("maxHeaderBytes", 8192, 1024, 1024 * 1024),
        r.integer("idleTimeoutSeconds", 120, 1, 86_400),
        r.number("requestTimeoutMs", 60_000, 100, 3_600_000));
  }
}
