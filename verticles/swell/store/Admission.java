package swell.store;

/**
 * The rule every store applies to an enqueue, one work at a time in order: a work already stored
 * (same id, or same owner and idempotency key) is answered with its id however full the queues are;
 * a new one is stored only while fewer than {@code maxPending} works wait and fewer than
 * {@code maxCompleted} results wait to be pulled. A batch is never all-or-nothing: it carries works
 * of many clients, and one client's refusal must not refuse the others.
 */
public final class Admission {
  private final StoreLimits limits;

  public Admission(StoreLimits limits) {
    this.limits = limits;
  }

  /** Room for new works given what waits now; take from it as each new work is stored. */
  public Room room(long pending, long completedUnpulled) {
    return new Room(limits.maxPending() - pending, completedUnpulled >= limits.maxCompleted());
  }

  /** What one enqueue may still add; not thread-safe, used by one caller for one batch. */
  public static final class Room {
    private long pendingSlots;
    private final boolean resultsFull;

    private Room(long pendingSlots, boolean resultsFull) {
      this.pendingSlots = pendingSlots;
      this.resultsFull = resultsFull;
    }

    /** CREATED if one more new work fits (and takes its slot), else why not. */
    public EnqueueOutcome.Result take() {
      if (resultsFull) {
        return EnqueueOutcome.Result.RESULTS_FULL;
      }
      if (pendingSlots <= 0) {
        return EnqueueOutcome.Result.QUEUE_FULL;
      }
      pendingSlots--;
      return EnqueueOutcome.Result.CREATED;
    }

    /** A slot taken for a work that turned out to be stored already (a retry) is free again. */
    public void giveBack() {
      pendingSlots++;
    }

    /** How many new works fit now; a store that decides in bulk (PostgreSQL) admits this many. */
    public long slots() {
      return resultsFull ? 0 : Math.max(0, pendingSlots);
    }
  }
}
