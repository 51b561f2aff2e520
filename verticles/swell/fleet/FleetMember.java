package swell.fleet;

/** One launched worker: the id it registers with, the fleet's own handle (a pid, an instance id). */
public record FleetMember(String workerId, String instanceId, long launchedAt) {
}
