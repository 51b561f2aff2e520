package swell.common;

/**
 * Which balancer a request goes to. {@code failover}: the one that last answered, and the next only
 * when it cannot be reached; right when each balancer has its own store, so that every request about
 * the same works goes to the same place. {@code spread}: round robin over all of them, skipping one
 * that failed within {@code cooldownMs}; for balancers sharing one store, where any of them can
 * serve any request. Plain Java on one thread (an endpoint's or a worker's event loop).
 */
public final class BalancerRotation {

  /** The config value of {@code balancerMode}. */
  public enum Mode {
    FAILOVER, SPREAD;

    public static Mode of(String value) {
      return "spread".equals(value) ? SPREAD : FAILOVER;
    }
  }

  /** A balancer that failed is skipped this long in spread mode. */
  public static final long COOLDOWN_MS = 5_000;

  private final int count;
  private final Mode mode;
  private final long[] failedUntil;
  private int preferred;
  private int turn;

  public BalancerRotation(int count, Mode mode) {
    if (count < 1) {
      throw new IllegalArgumentException("at least one balancer is needed");
    }
    this.count = count;
    this.mode = mode;
    this.failedUntil = new long[count];
  }

  /** The balancer for a new request. */
  public int next(long now) {
    if (mode == Mode.FAILOVER) {
      return preferred;
    }
    for (int i = 0; i < count; i++) {
      int candidate = (turn + i) % count;
      if (failedUntil[candidate] <= now) {
        turn = (candidate + 1) % count;
        return candidate;
      }
    }
    int any = turn; // every one failed lately: try them in turn anyway
    turn = (turn + 1) % count;
    return any;
  }

  /** The balancer to try after {@code index} could not serve a request, skipping recent failures when it can. */
  public int after(int index, long now) {
    for (int i = 1; i < count; i++) {
      int candidate = (index + i) % count;
      if (failedUntil[candidate] <= now) {
        return candidate;
      }
    }
    return (index + 1) % count;
  }

  /** {@code index} could not serve: new requests avoid it for a while. */
  public void failed(int index, long now) {
    failedUntil[index] = now + COOLDOWN_MS;
    if (preferred == index) {
      preferred = after(index, now);
    }
  }

  /** {@code index} answered: in failover mode requests stick to it. */
  public void answered(int index) {
    failedUntil[index] = 0;
    if (mode == Mode.FAILOVER) {
      preferred = index;
    }
  }
}
