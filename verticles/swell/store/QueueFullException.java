package swell.store;

/** The pending queue holds {@code maxPending} works: the enqueue is refused and nothing is stored. */
public final class QueueFullException extends RuntimeException {
  public QueueFullException(long maxPending) {
    super("the queue holds its maximum of " + maxPending + " pending works", null, false, false);
  }
}
