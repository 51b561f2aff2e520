package swell.endpoint;

import swell.common.BalancerRotation;
import swell.common.ClusterToken;
import swell.common.ConfigException;
import swell.common.ConfigReader;
import swell.common.Limits;

import java.net.URI;
import java.util.List;

/**
 * The endpoint's config: where it listens, which balancers it forwards to, which client keys it
 * accepts, and its limits.
 *
 * @param maxInFlightBytes bytes of request bodies the process holds at once (read, waiting, being
 *     forwarded); past it enqueues are refused as busy
 * @param forwardQueueMax works one endpoint instance holds waiting for a forward; past it, busy
 * @param bodyTimeoutMs a request body not received within this gets 408
 */
public record EndpointConfig(String host, int port, List<String> balancerUrls, String clusterToken, Limits limits,
                             int forwardPoolSize, long forwardTimeoutMs, int forwardBatchMax, int forwardMaxInFlight,
                             int instances, ApiKeys apiKeys, long maxInFlightBytes, int forwardQueueMax,
                             long bodyTimeoutMs, BalancerRotation.Mode balancerMode) {
  /**
   * 256 MiB: an endpoint holds about one byte of heap per byte in flight (a body is copied once, into
   * its batch, and released from its request), so this fits the heap of the smallest instance an
   * endpoint is deployed on (a t3.micro's 1 GiB at 75%) with room for the rest, while 32 uploads of
   * the default 8 MiB maxBodyBytes still go through at once.
   */
  static final long DEFAULT_MAX_IN_FLIGHT_BYTES = 256L * 1024 * 1024;

  public static EndpointConfig from(ConfigReader r) {
    EndpointConfig c = read(r, r.integer("port", 5000, 0, 65535), null, null);
    ClusterToken.check("clusterToken", c.clusterToken, "the balancer refuses requests without it");
    return c;
  }

  /** Reads the endpoint's keys; {@code local} passes the port, balancer URL and token it chose. */
  public static EndpointConfig read(ConfigReader r, int port, List<String> urls, String token) {
    List<String> balancerUrls = urls != null ? urls : r.strings("balancerUrls", List.of("http://127.0.0.1:5100"));
    if (balancerUrls.isEmpty()) {
      throw new ConfigException("balancerUrls", "must name at least one balancer");
    }
    for (String u : balancerUrls) {
      checkUrl("balancerUrls", u);
    }
    Limits limits = Limits.read(r);
    long maxInFlightBytes = r.number("maxInFlightBytes", DEFAULT_MAX_IN_FLIGHT_BYTES, 1024, 1L << 40);
    if (maxInFlightBytes < limits.maxBodyBytes()) {
      throw r.bad("maxInFlightBytes", "is " + maxInFlightBytes + ", less than maxBodyBytes (" + limits.maxBodyBytes()
          + "): a body of the largest allowed size would always be refused");
    }
    return new EndpointConfig(
        r.string("host", "0.0.0.0"),
        port,
        balancerUrls,
        token != null ? token : r.string("clusterToken", ""),
        limits,
        r.integer("forwardPoolSize", 32, 1, 1024),
        r.number("forwardTimeoutMs", 10_000, 100, 600_000),
        r.integer("forwardBatchMax", 256, 1, 10_000),
        r.integer("forwardMaxInFlight", 4, 1, 1024),
        r.integer("instances", Runtime.getRuntime().availableProcessors(), 1, 1024),
        ApiKeys.read(r),
        maxInFlightBytes,
        r.integer("forwardQueueMax", 10_000, 1, 1_000_000),
        r.number("bodyTimeoutMs", 30_000, 100, 3_600_000),
        BalancerRotation.Mode.of(r.oneOf("balancerMode", "failover", "failover", "spread")));
  }

  static void checkUrl(String key, String u) {
    try {
      URI uri = URI.create(u);
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
        throw new ConfigException(key, "must hold http:// URLs with a host, not \"" + u + "\"");
      }
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key, "holds a malformed URL \"" + u + "\"");
    }
  }
}
