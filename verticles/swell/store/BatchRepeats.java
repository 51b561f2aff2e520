package swell.store;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The works of one enqueue batch that repeat an earlier work of the same batch, for a store that
 * decides a batch in one statement (PostgreSQL) instead of one work at a time. A work repeats an
 * earlier one with the same owner and idempotency key, or else with the same id, as
 * {@link MemoryWorkStore} would find it when the earlier one was stored a moment before. Only the
 * first works go to the store; a repeat is answered with its first's outcome: that work's id when
 * it is stored (now or before), else the same refusal, since no room opens within one batch.
 */
final class BatchRepeats {
  private final List<NewWork> works;
  private final List<NewWork> firsts = new ArrayList<>();
  /** For each work of the batch, the index in {@link #firsts} of the work it is or repeats. */
  private final int[] firstOf;

  private record Key(String owner, String idempotencyKey) {
  }

  private BatchRepeats(List<NewWork> works) {
    this.works = works;
    this.firstOf = new int[works.size()];
    Map<Key, Integer> byKey = new HashMap<>();
    Map<UUID, Integer> byId = new HashMap<>();
    for (int i = 0; i < works.size(); i++) {
      NewWork w = works.get(i);
      Key key = w.idempotencyKey() == null ? null : new Key(w.owner(), w.idempotencyKey());
      Integer earlier = key == null ? null : byKey.get(key);
      if (earlier == null) {
        earlier = byId.get(w.id());
      }
      if (earlier != null) {
        firstOf[i] = earlier;
        continue;
      }
      firstOf[i] = firsts.size();
      byId.put(w.id(), firsts.size());
      if (key != null) {
        byKey.put(key, firsts.size());
      }
      firsts.add(w);
    }
  }

  static BatchRepeats of(List<NewWork> works) {
    return new BatchRepeats(works);
  }

  /** The works the store must decide, in batch order. */
  List<NewWork> firsts() {
    return firsts;
  }

  /** Every work's outcome in batch order, given the outcomes of {@link #firsts()} in their order. */
  List<EnqueueOutcome> outcomes(List<EnqueueOutcome> ofFirsts) {
    List<EnqueueOutcome> out = new ArrayList<>(works.size());
    for (int i = 0; i < works.size(); i++) {
      EnqueueOutcome first = ofFirsts.get(firstOf[i]);
      NewWork w = works.get(i);
      if (firsts.get(firstOf[i]) == w) {
        out.add(first);
      } else if (first.stored()) {
        out.add(EnqueueOutcome.existing(first.id()));
      } else {
        out.add(new EnqueueOutcome(w.id(), first.result()));
      }
    }
    return out;
  }
}
