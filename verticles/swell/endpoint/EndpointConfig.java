package swell.endpoint;

import swell.common.ClusterToken;
import swell.common.ConfigException;
import swell.common.ConfigReader;
import swell.common.Limits;

import java.net.URI;
import java.util.List;

/**
 * The endpoint's config: where it listens, which balancers it forwards to, which client keys it
 * names, and its limits.
 */
public record EndpointConfig(String host, int port, List<String> balancerUrls, String clusterToken, Limits limits,
                             int forwardPoolSize, long forwardTimeoutMs, int forwardBatchMax, int forwardMaxInFlight,
                             int instances, List<ApiKeys.ApiKey> apiKeys) {

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
    return new EndpointConfig(
        r.string("host", "0.0.0.0"),
        port,
        balancerUrls,
        token != null ? token : r.string("clusterToken", ""),
        Limits.read(r),
        r.integer("forwardPoolSize", 32, 1, 1024),
        r.number("forwardTimeoutMs", 10_000, 100, 600_000),
        r.integer("forwardBatchMax", 256, 1, 10_000),
        r.integer("forwardMaxInFlight", 4, 1, 1024),
        r.integer("instances", Runtime.getRuntime().availableProcessors(), 1, 1024),
        ApiKeys.read(r));
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
