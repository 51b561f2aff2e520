package swell.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Group commit for a store whose every statement pays a fixed price (a round trip, a commit, an
 * fsync): at most {@code atOnce} enqueue statements run at a time, and the batches that arrive
 * meanwhile wait and then go together, as one statement, each caller answered with its own part.
 * Under load statements grow instead of multiplying; alone, a batch goes at once.
 *
 * <p>Grouping changes no answer: enqueue is decided per work, in batch order ({@link Admission},
 * {@link BatchRepeats}), so batches one after the other in one statement are decided as they would
 * be in statements one after the other. If the statement fails, every caller in it hears the failure.
 * Thread-safe; not tied to Vert.x.
 */
final class EnqueueGroups {
  private record Waiting(List<NewWork> works, long bytes, CompletableFuture<List<EnqueueOutcome>> answer) {
  }

  private final int atOnce;
  private final long maxGroupBytes;
  private final Function<List<NewWork>, CompletableFuture<List<EnqueueOutcome>>> statement;

  private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
  private int running;

  /**
   * @param atOnce        statements running at once
   * @param maxGroupBytes bodies per group; a batch larger on its own goes alone
   * @param statement     stores one group, answering one outcome per work in order
   */
  EnqueueGroups(int atOnce, long maxGroupBytes,
                Function<List<NewWork>, CompletableFuture<List<EnqueueOutcome>>> statement) {
    if (atOnce < 1) {
      throw new IllegalArgumentException("atOnce must be at least 1");
    }
    this.atOnce = atOnce;
    this.maxGroupBytes = maxGroupBytes;
    this.statement = statement;
  }

  CompletableFuture<List<EnqueueOutcome>> enqueue(List<NewWork> works) {
    if (works.isEmpty()) {
      return CompletableFuture.completedFuture(List.of());
    }
    long bytes = 0;
    for (NewWork w : works) {
      bytes += w.data().length;
    }
    Waiting w = new Waiting(works, bytes, new CompletableFuture<>());
    synchronized (this) {
      waiting.add(w);
    }
    startGroups();
    return w.answer;
  }

  /** Batches waiting for a statement now (for tests). */
  synchronized int waiting() {
    return waiting.size();
  }

  private void startGroups() {
    List<Waiting> group;
    while ((group = nextGroup()) != null) {
      run(group);
    }
  }

  private synchronized List<Waiting> nextGroup() {
    if (running >= atOnce || waiting.isEmpty()) {
      return null;
    }
    running++;
    List<Waiting> group = new ArrayList<>();
    long bytes = 0;
    while (!waiting.isEmpty() && (group.isEmpty() || bytes + waiting.peek().bytes() <= maxGroupBytes)) {
      Waiting w = waiting.poll();
      group.add(w);
      bytes += w.bytes();
    }
    return group;
  }

  private void run(List<Waiting> group) {
    List<NewWork> all;
    if (group.size() == 1) {
      all = group.get(0).works();
    } else {
      all = new ArrayList<>();
      for (Waiting w : group) {
        all.addAll(w.works());
      }
    }
    CompletableFuture<List<EnqueueOutcome>> stored;
    try {
      stored = statement.apply(all);
    } catch (RuntimeException e) {
      stored = CompletableFuture.failedFuture(e);
    }
    stored.whenComplete((outcomes, failure) -> {
      synchronized (this) {
        running--;
      }
      Throwable failed = failure == null && outcomes.size() != all.size()
          ? new IllegalStateException(outcomes.size() + " outcomes for " + all.size() + " works") : failure;
      int from = 0;
      for (Waiting w : group) {
        int to = from + w.works().size();
        if (failed != null) {
          w.answer().completeExceptionally(failed);
        } else {
          w.answer().complete(List.copyOf(outcomes.subList(from, to)));
        }
        from = to;
      }
      startGroups();
    });
  }
}
