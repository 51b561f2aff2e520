package swell.local;

import swell.balancer.BalancerConfig;
import swell.common.ClusterToken;
import swell.common.ConfigException;
import swell.common.ConfigReader;
import swell.endpoint.EndpointConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * The embedded default: the balancer's keys and the endpoints' keys from one file, plus the ports
 * of the two endpoints and of the balancer. Without a {@code clusterToken} the token is left empty
 * here; {@link LocalVerticle} takes the one kept in {@code dataDir} (see {@link TokenFile}) at start.
 */
public record LocalConfig(BalancerConfig balancer, List<Integer> endpointPorts, ConfigReader reader) {

  public static LocalConfig from(ConfigReader r) {
    List<Integer> ports = r.integers("endpointPorts", List.of(5000, 5001), 0, 65535);
    if (ports.isEmpty()) {
      throw new ConfigException("endpointPorts", "must list at least one port");
    }
    BalancerConfig balancer = BalancerConfig.read(r, "balancerHost", "127.0.0.1", "balancerPort", 5100, "process",
        Runtime.getRuntime().availableProcessors());
    if (!balancer.clusterToken().isEmpty()) {
      ClusterToken.check("clusterToken", balancer.clusterToken(), "");
    }
    LocalConfig c = new LocalConfig(balancer, ports, r);
    c.endpoint(0, "http://127.0.0.1:1"); // read and check the endpoint keys now, not after the balancer started
    return c;
  }

  public LocalConfig withClusterToken(String token) {
    return new LocalConfig(balancer.withClusterToken(token), endpointPorts, reader);
  }

  /** The config of one endpoint, once the balancer's real port is known. */
  public EndpointConfig endpoint(int port, String balancerUrl) {
    return EndpointConfig.read(reader, port, new ArrayList<>(List.of(balancerUrl)), balancer.clusterToken());
  }
}
