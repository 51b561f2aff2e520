package swell.store;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * What several balancers sharing one store agree on through it: which balancers are up, which one
 * leads the scaler (with an epoch that fences its fleet actions), the workers every balancer has
 * heard from and what the leader decided for them, and wake-ups when work or results appear on
 * another balancer. Only a {@link WorkStore#shared()} store has one. Times are the store's clock,
 * as for leases; {@code now} is passed for tests that drive a fake clock.
 */
public interface Coordination {

  /** Who leads now, by the database; {@code mine} when it is the asking balancer. */
  record Leader(String holder, long epoch, long expiresAt, boolean mine) {
  }

  /** A balancer that was heard from recently. */
  record Balancer(String id, String url, long startedAt, long lastSeen) {
  }

  /** What one balancer heard from one worker since its last sync; {@code completed} counts since then. */
  record Contact(String id, String instanceId, int threads, long lastSeen, long lastWorkAt, long completed,
                 Double hashRate, Double busyFraction) {
  }

  /** What the leader decided for one managed worker, and the fleet's handle for it. */
  record Decision(String id, String state, long since, long launchedAt, String memberInstance,
                  Long memberLaunchedAt) {
  }

  /** One worker as the cluster knows it: every balancer's contacts merged, the leader's decisions. */
  record Worker(String id, String instanceId, int threads, long lastSeen, long lastWorkAt, long completed,
                Double hashRate, Double busyFraction, boolean managed, String state, long since, long launchedAt,
                String memberInstance, Long memberLaunchedAt) {
  }

  /**
   * Says this balancer is up (at {@code url}) and takes or keeps the lead if nobody else holds it;
   * the lead lasts {@code ttlMs} unless renewed, and a new holder gets a higher epoch.
   */
  CompletableFuture<Leader> heartbeat(String balancerId, String url, long ttlMs, long now);

  /** Whether this balancer still leads with this epoch: checked before every fleet action. */
  CompletableFuture<Boolean> stillLeads(String balancerId, long epoch, long now);

  /** The balancers heard from within {@code maxSilenceMs}, oldest first. */
  CompletableFuture<List<Balancer>> balancers(long maxSilenceMs, long now);

  /**
   * Publishes this balancer's contacts and, from the leader with its epoch (else {@code decisions}
   * and {@code forgotten} are ignored), its decisions and the workers it no longer tracks; answers
   * every worker the cluster knows.
   */
  CompletableFuture<List<Worker>> syncWorkers(List<Contact> contacts, String leaderId, long epoch,
                                              List<Decision> decisions, List<String> forgotten);

  /** Tells the other balancers that works ({@link #WORK}) or results ({@link #RESULTS}) appeared. */
  void signal(String channel);

  /** Calls {@code onSignal} with the channel of each signal from any balancer, until closed; reconnects by itself. */
  void listen(Consumer<String> onSignal);

  /** Stops listening. */
  void close();

  /** New or returned works: polls waiting elsewhere may lease them. */
  String WORK = "swell_work";
  /** New results: pulls waiting elsewhere may get them. */
  String RESULTS = "swell_results";
}
