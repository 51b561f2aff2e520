package swell.store;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Repeats within one batch are answered as the memory store answers them, one work at a time. */
class BatchRepeatsTest {
  static NewWork keyed(String owner, String key) {
    return new NewWork(UUID.randomUUID(), owner, 1, new byte[] {1}, key, 0);
  }

  static NewWork sameId(NewWork w) {
    return new NewWork(w.id(), w.owner(), w.iterations(), w.data(), null, w.enqueuedAt() + 1);
  }

  @Test
  void onlyTheFirstWorkOfEachKeyOrIdGoesToTheStore() {
    NewWork a = keyed("alice", "k");
    NewWork b = keyed("alice", "k");
    NewWork c = keyed("bob", "k");
    NewWork d = keyed("", null);
    NewWork e = sameId(d);
    BatchRepeats batch = BatchRepeats.of(List.of(a, b, c, d, e));

    assertThat(batch.firsts()).containsExactly(a, c, d);
  }

  @Test
  void aRepeatGetsItsFirstsIdWhenThatIsStoredAndItsRefusalWhenNot() {
    NewWork a = keyed("", "k");
    NewWork b = keyed("", "k");
    NewWork full = keyed("", null);
    NewWork fullAgain = sameId(full);
    BatchRepeats batch = BatchRepeats.of(List.of(a, b, full, fullAgain));

    List<EnqueueOutcome> out = batch.outcomes(List.of(EnqueueOutcome.created(a.id()),
        new EnqueueOutcome(full.id(), EnqueueOutcome.Result.QUEUE_FULL)));

    assertThat(out).containsExactly(EnqueueOutcome.created(a.id()), EnqueueOutcome.existing(a.id()),
        new EnqueueOutcome(full.id(), EnqueueOutcome.Result.QUEUE_FULL),
        new EnqueueOutcome(fullAgain.id(), EnqueueOutcome.Result.QUEUE_FULL));
  }
}
