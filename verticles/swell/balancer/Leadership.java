package swell.balancer;

import swell.store.Coordination;

/**
 * Whether this balancer leads the scaler, as far as it can know. The database holds the lead for
 * {@code ttlMs} after each renewal; this balancer counts itself leader only until three quarters of
 * that has passed on its own clock since the last renewal that answered, so that a balancer cut off
 * from the database stops acting before another one can take over. Plain Java, driven by
 * {@link ClusterSync} and tested with a fake clock.
 */
final class Leadership {

  /** What a renewal changed. */
  enum Change { NONE, GAINED, LOST }

  private final String me;
  private final long ttlMs;
  private String leader;
  private long epoch;
  private boolean leading;
  private long leadUntil;

  Leadership(String me, long ttlMs) {
    this.me = me;
    this.ttlMs = ttlMs;
  }

  /** A renewal answered, at {@code now} on this balancer's clock; {@code current} is null if nobody could be read. */
  Change renewed(Coordination.Leader current, long now) {
    boolean was = leads(now);
    if (current != null) {
      leader = current.holder();
      epoch = current.epoch();
      leading = current.mine();
      leadUntil = current.mine() ? now + ttlMs * 3 / 4 : 0;
    }
    return change(was, leads(now));
  }

  /** A renewal failed (the database is out of reach): the lead lapses by itself. */
  Change renewFailed(long now) {
    boolean was = leading;
    return change(was, leads(now));
  }

  /** Whether this balancer may act as leader now. */
  boolean leads(long now) {
    if (leading && now >= leadUntil) {
      leading = false;
    }
    return leading;
  }

  private static Change change(boolean was, boolean is) {
    return was == is ? Change.NONE : is ? Change.GAINED : Change.LOST;
  }

  String me() {
    return me;
  }

  /** The leader the database last named, null before the first answer. */
  String leader() {
    return leader;
  }

  /** The epoch of {@link #leader()}: it grows with every new holder, and fences an old leader's fleet actions. */
  long epoch() {
    return epoch;
  }
}
