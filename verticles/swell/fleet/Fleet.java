package swell.fleet;

import io.vertx.core.Future;

import java.util.List;

/**
 * Where workers run: child processes, EC2 instances, or nowhere the balancer controls. The
 * balancer's scaler decides; a fleet only carries out launches and terminations and says what runs.
 */
public interface Fleet {

  /** Short name for logs and {@code /status}: {@code process}, {@code ec2}, {@code none}. */
  String type();

  /**
   * Starts one worker that will register as {@code workerId}. Fails with {@link LaunchException}
   * saying whether trying again later can help.
   */
  Future<FleetMember> launch(String workerId);

  /** Stops a worker for good; succeeds if it is already gone. */
  Future<Void> terminate(FleetMember member);

  /** The workers of this cluster that run now, including those a previous balancer launched. */
  Future<List<FleetMember>> list();

  /** The balancer stops: a fleet whose workers cannot outlive it (child processes) stops them. */
  Future<Void> close();
}
