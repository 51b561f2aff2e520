package swell.balancer;

import swell.store.CompletedWork;
import swell.store.WorkStore;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Clients' long-polling pulls ({@code waitMs}): a pull that finds nothing waits, and is answered as
 * soon as a result of its owner is there or when its wait runs out, so clients stop polling an
 * empty completed queue. Results may be recorded by this balancer ({@link #resultsRecorded}) or,
 * with a shared store, by another one ({@link #checkAll} on a notification or a timer). Plain Java on
 * one thread, like {@link PollDispatcher}.
 */
public final class PullWaiters {

  /** One client's waiting pull. */
  public interface Pull {
    String owner();

    int top();

    long ackMs();

    /** Answers with results (possibly none, when the wait ran out). */
    void answer(List<CompletedWork> results);

    void answerFailure(Throwable cause);
  }

  /** A registered pull; {@link #cancel} it when its connection closes. */
  public final class Waiting {
    private final Pull pull;
    private long timer = -1;
    private boolean pulling;
    private boolean timedOut;
    private boolean done;

    private Waiting(Pull pull) {
      this.pull = pull;
    }

    public void cancel() {
      if (!done) {
        done = true;
        waiting.remove(this);
        scheduler.cancel(timer);
      }
    }
  }

  private final WorkStore store;
  private final Scheduler scheduler;
  private final LongSupplier clock;
  private final Set<Waiting> waiting = new LinkedHashSet<>();

  public PullWaiters(WorkStore store, Scheduler scheduler, LongSupplier clock) {
    this.store = store;
    this.scheduler = scheduler;
    this.clock = clock;
  }

  /** Pulls now; if nothing is there and {@code waitMs > 0}, waits for the owner's first result. */
  public Waiting submit(Pull pull, long waitMs) {
    Waiting w = new Waiting(pull);
    if (waitMs > 0) {
      w.timer = scheduler.schedule(waitMs, () -> timeOut(w));
      waiting.add(w);
    }
    tryPull(w, waitMs > 0);
    return w;
  }

  /** Results were recorded here: the waiting pulls look again. */
  public void resultsRecorded() {
    checkAll();
  }

  /** Results may have been recorded anywhere (another balancer): every waiting pull looks again. */
  public void checkAll() {
    for (Waiting w : new ArrayList<>(waiting)) {
      if (!w.pulling) {
        tryPull(w, true);
      }
    }
  }

  /** Pulls waiting now, for {@code /status} and the fallback timer. */
  public int waiting() {
    return waiting.size();
  }

  /** The balancer stops: every waiting pull is answered with what it has, nothing. */
  public void closeAll() {
    for (Waiting w : new ArrayList<>(waiting)) {
      finish(w, List.of());
    }
  }

  /** The wait ran out: answer nothing, or, if a pull is under way, whatever it brings. */
  private void timeOut(Waiting w) {
    if (w.pulling) {
      w.timedOut = true;
    } else {
      finish(w, List.of());
    }
  }

  private void tryPull(Waiting w, boolean mayWait) {
    w.pulling = true;
    Pull p = w.pull;
    store.pull(p.owner(), p.top(), p.ackMs(), clock.getAsLong())
        .whenComplete((results, err) -> scheduler.execute(() -> {
          w.pulling = false;
          if (err != null) {
            if (!w.done) {
              w.cancel();
              p.answerFailure(err);
            }
          } else if (!results.isEmpty() || !mayWait || w.timedOut) {
            finish(w, results);
          }
          // else: nothing yet; it waits for the next wake or its timer
        }));
  }

  private void finish(Waiting w, List<CompletedWork> results) {
    if (w.done) {
      return; // closed meanwhile: results pulled without ackMs are gone with it (at most once)
    }
    w.cancel();
    w.pull.answer(results);
  }
}
