package swell.deploy;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What {@code deploy status} found: the cluster's instances by role and state, and its other
 * resources.
 *
 * @param clientKeys the names of the client keys in the bucket; {@code deploy key NAME} prints one
 * @param dataVolumes the balancer's data volume, one line each (there is one, once up ran)
 * @param database the RDS database and its DB subnet group, a line each (store {@code postgres})
 * @param finalSnapshots the database's final snapshots that earlier {@code down}s kept: billed
 *     until deleted, and no part of a deployed cluster
 * @param logGroup the cluster's CloudWatch Logs group, a line (none, or one kept by a {@code down}
 *     with {@code keepLogs})
 * @param dashboard the CloudWatch dashboard with its console URL, a line
 */
public record DeployStatus(String cluster, String region, String bucket, boolean bucketExists, List<String> groups,
                           List<String> roles, List<ClusterInstances.View> instances, List<String> clientKeys,
                           List<String> dataVolumes, List<String> database, List<String> finalSnapshots,
                           List<String> logGroup, List<String> dashboard) {

  /** Instance counts as role → state → count, e.g. {@code endpoint → running → 2}. */
  public Map<String, Map<String, Long>> counts() {
    return instances.stream().collect(Collectors.groupingBy(ClusterInstances.View::role, TreeMap::new,
        Collectors.groupingBy(ClusterInstances.View::state, TreeMap::new, Collectors.counting())));
  }

  public List<String> endpointUrls() {
    return instances.stream()
        .filter(v -> ClusterNames.ENDPOINT.equals(v.role()) && "running".equals(v.state()) && v.publicIp() != null)
        .map(v -> "http://" + v.publicIp() + ":" + DeployConfig.PORT).toList();
  }

  public boolean empty() {
    return !bucketExists && groups.isEmpty() && roles.isEmpty() && instances.isEmpty() && dataVolumes.isEmpty()
        && database.isEmpty() && dashboard.isEmpty();
  }

  void print(PrintStream out) {
    out.println("cluster " + cluster + " in " + region);
    if (empty()) {
      out.println("  nothing deployed");
      logGroup.forEach(l -> out.println("  kept     log group " + l + " (deploy down with keepLogs)"));
      printSnapshots(out);
      return;
    }
    out.println("  bucket   " + bucket + (bucketExists ? "" : " (missing)"));
    out.println("  groups   " + (groups.isEmpty() ? "(none)" : String.join(", ", groups)));
    out.println("  roles    " + (roles.isEmpty() ? "(none)" : String.join(", ", roles)));
    out.println("  data     " + (dataVolumes.isEmpty() ? "(none)" : String.join(", ", dataVolumes)));
    database.forEach(line -> out.println("  database " + line));
    logGroup.forEach(line -> out.println("  logs     " + line));
    dashboard.forEach(line -> out.println("  dashboard " + line));
    out.println("  keys     " + (clientKeys.isEmpty() ? "(none)" : String.join(", ", clientKeys)
        + " (print one: java -jar swell.jar deploy key [NAME], with the same -conf, --region and --profile)"));
    counts().forEach((role, states) -> out.println("  " + role + ": " + states.entrySet().stream()
        .map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", "))));
    for (ClusterInstances.View v : instances) {
      out.printf("    %-9s %-20s %-13s %-11s private %-15s public %-15s %s%n", v.role(), v.instanceId(), v.state(),
          v.zone(), v.privateIp() == null ? "-" : v.privateIp(), v.publicIp() == null ? "-" : v.publicIp(),
          v.workerId().isEmpty() ? "" : "worker " + v.workerId());
    }
    endpointUrls().forEach(u -> out.println("  endpoint " + u));
    printSnapshots(out);
  }

  private void printSnapshots(PrintStream out) {
    finalSnapshots.forEach(s -> out.println("  kept     final snapshot " + s + " (billed until deleted: aws rds "
        + "delete-db-snapshot --db-snapshot-identifier <name>)"));
  }
}
