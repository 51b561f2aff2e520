package swell.store;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EnqueueGroupsTest {
  /** A store whose statements finish when the test says. */
  private static final class Statements {
    final List<List<NewWork>> seen = new ArrayList<>();
    final List<CompletableFuture<List<EnqueueOutcome>>> answers = new ArrayList<>();

    CompletableFuture<List<EnqueueOutcome>> run(List<NewWork> works) {
      seen.add(List.copyOf(works));
      CompletableFuture<List<EnqueueOutcome>> f = new CompletableFuture<>();
      answers.add(f);
      return f;
    }

    /** Answers statement {@code i} with every work created. */
    void finish(int i) {
      answers.get(i).complete(seen.get(i).stream().map(w -> EnqueueOutcome.created(w.id())).toList());
    }
  }

  private static List<NewWork> batch(int n, int bodyBytes) {
    List<NewWork> works = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      works.add(new NewWork(UUID.randomUUID(), "", 1, new byte[bodyBytes], null, 0));
    }
    return works;
  }

  private static List<UUID> ids(List<NewWork> works) {
    return works.stream().map(NewWork::id).toList();
  }

  private static List<UUID> ids(CompletableFuture<List<EnqueueOutcome>> answer) throws Exception {
    return answer.get().stream().map(EnqueueOutcome::id).toList();
  }

  @Test
  void aBatchAloneGoesAtOnce() throws Exception {
    Statements db = new Statements();
    EnqueueGroups groups = new EnqueueGroups(2, 1 << 20, db::run);
    List<NewWork> a = batch(3, 10);

    CompletableFuture<List<EnqueueOutcome>> answer = groups.enqueue(a);

    assertThat(db.seen).containsExactly(a);
    db.finish(0);
    assertThat(ids(answer)).isEqualTo(ids(a));
  }

  @Test
  void batchesArrivingWhileStatementsRunGoTogetherAndEachHearsItsOwnOutcomes() throws Exception {
    Statements db = new Statements();
    EnqueueGroups groups = new EnqueueGroups(2, 1 << 20, db::run);
    List<NewWork> a = batch(1, 10);
    List<NewWork> b = batch(2, 10);
    List<NewWork> c = batch(3, 10);
    List<NewWork> d = batch(4, 10);

    var answerA = groups.enqueue(a);
    var answerB = groups.enqueue(b);
    var answerC = groups.enqueue(c);
    var answerD = groups.enqueue(d);

    // Two statements run; c and d wait, then go as one, in their order.
    assertThat(db.seen).containsExactly(a, b);
    assertThat(groups.waiting()).isEqualTo(2);
    db.finish(1);
    assertThat(db.seen).hasSize(3);
    List<NewWork> cd = new ArrayList<>(c);
    cd.addAll(d);
    assertThat(db.seen.get(2)).isEqualTo(cd);
    assertThat(answerA).isNotDone();
    db.finish(2);
    db.finish(0);

    assertThat(ids(answerA)).isEqualTo(ids(a));
    assertThat(ids(answerB)).isEqualTo(ids(b));
    assertThat(ids(answerC)).isEqualTo(ids(c));
    assertThat(ids(answerD)).isEqualTo(ids(d));
    assertThat(groups.waiting()).isZero();
  }

  @Test
  void aFailedStatementFailsEveryBatchInItAndTheNextGroupStillRuns() throws Exception {
    Statements db = new Statements();
    EnqueueGroups groups = new EnqueueGroups(1, 1 << 20, db::run);
    var first = groups.enqueue(batch(1, 10));
    var second = groups.enqueue(batch(1, 10));
    var third = groups.enqueue(batch(1, 10));
    List<NewWork> fourth = batch(2, 10);

    db.finish(0);
    db.answers.get(1).completeExceptionally(new StoreUnavailableException("down", null, false));
    var fourthAnswer = groups.enqueue(fourth);

    assertThat(first.get()).hasSize(1);
    assertThatThrownBy(second::get).isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(StoreUnavailableException.class);
    assertThatThrownBy(third::get).hasCauseInstanceOf(StoreUnavailableException.class);
    assertThat(db.seen).hasSize(3);
    assertThat(db.seen.get(2)).isEqualTo(fourth);
    db.finish(2);
    assertThat(ids(fourthAnswer)).isEqualTo(ids(fourth));
  }

  @Test
  void aGroupHoldsAtMostItsBytesButABatchLargerOnItsOwnStillGoes() throws Exception {
    Statements db = new Statements();
    EnqueueGroups groups = new EnqueueGroups(1, 100, db::run);
    groups.enqueue(batch(1, 1));
    List<NewWork> big = batch(1, 150);
    List<NewWork> small1 = batch(1, 40);
    List<NewWork> small2 = batch(1, 40);
    List<NewWork> small3 = batch(1, 40);
    groups.enqueue(big);
    groups.enqueue(small1);
    groups.enqueue(small2);
    groups.enqueue(small3);

    db.finish(0);
    assertThat(db.seen.get(1)).isEqualTo(big);
    db.finish(1);
    assertThat(ids(db.seen.get(2))).containsExactlyElementsOf(
        java.util.stream.Stream.concat(ids(small1).stream(), ids(small2).stream()).toList());
    db.finish(2);
    assertThat(db.seen.get(3)).isEqualTo(small3);
  }

  @Test
  void anAnswerWithTheWrongNumberOfOutcomesFailsTheCallersInsteadOfLeavingThemWaiting() {
    Statements db = new Statements();
    EnqueueGroups groups = new EnqueueGroups(1, 1 << 20, db::run);
    var answer = groups.enqueue(batch(2, 1));

    db.answers.get(0).complete(List.of());

    assertThatThrownBy(answer::get).hasCauseInstanceOf(IllegalStateException.class);
  }
}
