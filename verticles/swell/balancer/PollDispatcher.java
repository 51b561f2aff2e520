package swell.balancer;

import swell.store.LeaseLimits;
import swell.store.LeasedWork;
import swell.store.WorkStore;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.function.LongSupplier;

/**
 * Workers' long-polls for work, answered oldest first as work comes in: each poll is answered
 * exactly once, with works, with nothing when its wait ran out, or with retire. One lease is under
 * way at a time, so a burst of new work is handed to the waiting polls in order rather than all of
 * them racing for it.
 *
 * <p>A poll whose connection closed before its works were written never delivered them: exactly
 * those works go back to the queue, without counting a delivery, and the worker's other leases are
 * left alone. Plain Java on one thread: the balancer feeds it from its event loop, tests from a fake
 * {@link Scheduler} and clock.
 */
public final class PollDispatcher {

  /** One worker's waiting request. */
  public interface Poll {
    String workerId();

    /** Most works this poll takes (already within the balancer's {@code maxLeaseBatch}). */
    int max();

    /** Writes the works; false if the connection was gone, so they never reached the worker. */
    boolean answerWorks(List<LeasedWork> works);

    /** Nothing came within the wait: 204. */
    void answerEmpty();

    /** The worker is to drain and leave. */
    void answerRetire();

    /** The store failed: the worker backs off and polls again. */
    void answerFailure(Throwable cause);
  }

  /** A registered poll; {@link #cancel} it when its connection closes. */
  public final class Waiting {
    private final Poll poll;
    private final long waitMs;
    private long timer = -1;
    private boolean leasing;
    private boolean answered;
    private boolean timedOut;
    private boolean cancelled;
    private boolean retire;

    private Waiting(Poll poll, long waitMs) {
      this.poll = poll;
      this.waitMs = waitMs;
    }

    /** The connection closed: forget the poll; works being leased for it go back when the lease returns. */
    public void cancel() {
      if (answered) {
        return;
      }
      cancelled = true;
      if (!leasing) {
        answered = true;
        waiters.remove(this);
        scheduler.cancel(timer);
      }
    }
  }

  private final WorkStore store;
  private final Scheduler scheduler;
  private final LongSupplier clock;
  private final LeaseLimits limits;
  private final long leaseMs;
  private final ArrayDeque<Waiting> waiters = new ArrayDeque<>();
  private boolean draining;
  private boolean wokenWhileDraining;
  /** The poll a lease is under way for, while one is. */
  private Waiting current;

  /** @param limits the balancer's lease budgets; a poll's own {@code max} lowers the count */
  public PollDispatcher(WorkStore store, Scheduler scheduler, LongSupplier clock, LeaseLimits limits, long leaseMs) {
    this.store = store;
    this.scheduler = scheduler;
    this.clock = clock;
    this.limits = limits;
    this.leaseMs = leaseMs;
  }

  /** A worker polls: it gets work now if there is some, else it waits up to {@code waitMs} (0: answers at once). */
  public Waiting submit(Poll poll, long waitMs) {
    Waiting w = new Waiting(poll, waitMs);
    if (waitMs > 0) {
      w.timer = scheduler.schedule(waitMs, () -> timeOut(w));
    }
    waiters.addLast(w);
    wake();
    return w;
  }

  /** New or returned work: the waiting polls get it, oldest first. */
  public void wake() {
    if (draining) {
      wokenWhileDraining = true;
      return;
    }
    draining = true;
    leaseForNext();
  }

  /** A worker was told to retire: its waiting polls are answered so at once. */
  public void retire(String workerId) {
    for (Iterator<Waiting> it = waiters.iterator(); it.hasNext(); ) {
      Waiting w = it.next();
      if (w.poll.workerId().equals(workerId)) {
        it.remove();
        finish(w);
        w.poll.answerRetire();
      }
    }
    // A poll being leased for right now is told when its lease returns.
    markLeasingRetire(workerId);
  }

  private void markLeasingRetire(String workerId) {
    if (current != null && current.poll.workerId().equals(workerId)) {
      current.retire = true;
    }
  }

  /** The balancer stops: every waiting poll is answered empty. */
  public void closeAll() {
    List<Waiting> all = new ArrayList<>(waiters);
    waiters.clear();
    for (Waiting w : all) {
      finish(w);
      w.poll.answerEmpty();
    }
  }

  /** Polls waiting now, for {@code /status}. */
  public int waiting() {
    return waiters.size();
  }

  private void timeOut(Waiting w) {
    if (w.answered) {
      return;
    }
    if (w.leasing) {
      w.timedOut = true; // answered when its lease returns
      return;
    }
    waiters.remove(w);
    w.answered = true;
    w.poll.answerEmpty();
  }

  private void finish(Waiting w) {
    w.answered = true;
    scheduler.cancel(w.timer);
  }

  /** Leases for the oldest waiting poll; on works, goes on with the next, else stops until woken. */
  private void leaseForNext() {
    Waiting w = waiters.pollFirst();
    if (w == null) {
      stopDraining();
      return;
    }
    current = w;
    w.leasing = true;
    String workerId = w.poll.workerId();
    LeaseLimits mine = new LeaseLimits(Math.min(w.poll.max(), limits.maxWorks()), limits.iterationBudget(),
        limits.byteBudget());
    store.lease(workerId, mine, clock.getAsLong(), leaseMs)
        .whenComplete((works, err) -> scheduler.execute(() -> leased(w, works, err)));
  }

  private void leased(Waiting w, List<LeasedWork> works, Throwable err) {
    w.leasing = false;
    current = null;
    if (err != null) {
      finish(w);
      if (!w.cancelled) {
        w.poll.answerFailure(err);
      }
      stopDraining();
      return;
    }
    if (!works.isEmpty()) {
      boolean delivered = !w.cancelled && !w.retire && deliver(w, works);
      if (!delivered) {
        store.returnUndelivered(w.poll.workerId(), ids(works));
        if (!w.answered) {
          finish(w);
          if (w.retire) {
            w.poll.answerRetire();
          }
        }
      }
      leaseForNext(); // there was work: the next poll may get some too
      return;
    }
    // Nothing to lease: this poll waits on (at the head, it is the oldest), unless it is over.
    if (w.cancelled) {
      finish(w);
    } else if (w.retire) {
      finish(w);
      w.poll.answerRetire();
    } else if (w.timedOut || w.waitMs == 0) {
      finish(w);
      w.poll.answerEmpty();
    } else {
      waiters.addFirst(w);
    }
    answerImpatientEmpty();
    stopDraining();
  }

  private boolean deliver(Waiting w, List<LeasedWork> works) {
    finish(w);
    return w.poll.answerWorks(works);
  }

  /** Polls that asked not to wait get their empty answer once a lease found nothing. */
  private void answerImpatientEmpty() {
    for (Iterator<Waiting> it = waiters.iterator(); it.hasNext(); ) {
      Waiting w = it.next();
      if (w.waitMs == 0) {
        it.remove();
        finish(w);
        w.poll.answerEmpty();
      }
    }
  }

  private void stopDraining() {
    draining = false;
    if (wokenWhileDraining) {
      wokenWhileDraining = false;
      wake();
    }
  }

  private static List<UUID> ids(List<LeasedWork> works) {
    return works.stream().map(LeasedWork::id).toList();
  }
}
