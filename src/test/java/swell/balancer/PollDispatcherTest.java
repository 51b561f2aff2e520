package swell.balancer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import swell.store.LeaseLimits;
import swell.store.LeasedWork;
import swell.store.MemoryWorkStore;
import swell.store.NewWork;
import swell.store.QueueStats;
import swell.store.SqliteWorkStore;
import swell.store.StoreLimits;
import swell.store.StoreUnavailableException;
import swell.store.WorkStore;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The long-poll dispatch driven by a fake clock and scheduler over a real in-memory store. */
class PollDispatcherTest {
  private static final long T0 = 1_700_000_000_000L;
  private static final long LEASE_MS = 30_000;
  private static final StoreLimits LIMITS = new StoreLimits(1_000, 1_000, 3, 60_000);

  /** A poll that records how it was answered. */
  private static final class RecordingPoll implements PollDispatcher.Poll {
    final String worker;
    final int max;
    boolean open = true;
    List<LeasedWork> works;
    String answer;

    RecordingPoll(String worker, int max) {
      this.worker = worker;
      this.max = max;
    }

    @Override
    public String workerId() {
      return worker;
    }

    @Override
    public int max() {
      return max;
    }

    @Override
    public boolean answerWorks(List<LeasedWork> works) {
      assertThat(answer).as("answered once").isNull();
      answer = "works";
      this.works = works;
      return open;
    }

    @Override
    public void answerEmpty() {
      assertThat(answer).as("answered once").isNull();
      answer = "empty";
    }

    @Override
    public void answerRetire() {
      assertThat(answer).as("answered once").isNull();
      answer = "retire";
    }

    @Override
    public void answerFailure(Throwable cause) {
      assertThat(answer).as("answered once").isNull();
      answer = "failure: " + cause.getClass().getSimpleName();
    }
  }

  private final FakeScheduler scheduler = new FakeScheduler(T0);
  private final WorkStore store = new MemoryWorkStore(LIMITS);
  private final PollDispatcher dispatcher = dispatcherFor(store);

  private PollDispatcher dispatcherFor(WorkStore s) {
    return new PollDispatcher(s, scheduler, () -> scheduler.now, new LeaseLimits(256, Long.MAX_VALUE, Long.MAX_VALUE),
        LEASE_MS);
  }

  private UUID enqueue() throws Exception {
    NewWork w = new NewWork(UUID.randomUUID(), "", 1, new byte[] {1}, null, scheduler.now);
    store.enqueue(List.of(w)).get(5, TimeUnit.SECONDS);
    dispatcher.wake();
    scheduler.runLoop();
    return w.id();
  }

  private QueueStats stats() throws Exception {
    return store.stats(scheduler.now).get(5, TimeUnit.SECONDS);
  }

  @Test
  void waitingPollsGetNewWorkOldestFirst() throws Exception {
    RecordingPoll first = new RecordingPoll("w1", 1);
    RecordingPoll second = new RecordingPoll("w2", 1);
    dispatcher.submit(first, 20_000);
    scheduler.advance(10);
    dispatcher.submit(second, 20_000);
    scheduler.runLoop();
    assertThat(dispatcher.waiting()).isEqualTo(2);

    UUID a = enqueue();

    assertThat(first.answer).isEqualTo("works");
    assertThat(first.works).extracting(LeasedWork::id).containsExactly(a);
    assertThat(second.answer).isNull();
    UUID b = enqueue();
    assertThat(second.works).extracting(LeasedWork::id).containsExactly(b);
    assertThat(dispatcher.waiting()).isZero();
  }

  @Test
  void aPollThatWaitedInVainIsAnsweredEmptyAtItsDeadline() {
    RecordingPoll poll = new RecordingPoll("w1", 10);
    dispatcher.submit(poll, 20_000);
    scheduler.advance(19_999);
    assertThat(poll.answer).isNull();

    scheduler.advance(1);

    assertThat(poll.answer).isEqualTo("empty");
    assertThat(dispatcher.waiting()).isZero();
  }

  @Test
  void aPollThatWillNotWaitIsAnsweredAtOnce() {
    RecordingPoll poll = new RecordingPoll("w1", 10);
    dispatcher.submit(poll, 0);
    scheduler.runLoop();
    assertThat(poll.answer).isEqualTo("empty");
  }

  @Test
  void worksLeasedForAPollWhoseConnectionClosedGoBackAndOnlyThose() throws Exception {
    UUID held = enqueue();
    RecordingPoll earlier = new RecordingPoll("w1", 1);
    dispatcher.submit(earlier, 20_000);
    scheduler.runLoop();
    assertThat(earlier.works).extracting(LeasedWork::id).containsExactly(held);

    UUID lost = enqueue();
    RecordingPoll dropped = new RecordingPoll("w1", 5);
    PollDispatcher.Waiting waiting = dispatcher.submit(dropped, 20_000);
    waiting.cancel(); // the connection closed while the lease was under way
    scheduler.runLoop();

    assertThat(dropped.answer).isNull();
    QueueStats s = stats();
    assertThat(s.pending()).isEqualTo(1);
    assertThat(s.leased()).isEqualTo(1); // the worker's earlier lease is untouched
    RecordingPoll next = new RecordingPoll("w2", 5);
    dispatcher.submit(next, 20_000);
    scheduler.runLoop();
    assertThat(next.works).singleElement().satisfies(l -> {
      assertThat(l.id()).isEqualTo(lost);
      assertThat(l.attempts()).isEqualTo(1); // never delivered, so not counted
    });
  }

  @Test
  void anAnswerThatCannotBeWrittenGivesItsWorksBackToTheNextPoll() throws Exception {
    UUID id = enqueue();
    RecordingPoll gone = new RecordingPoll("w1", 5);
    gone.open = false; // the response was already closed when the works came
    RecordingPoll next = new RecordingPoll("w2", 5);
    dispatcher.submit(gone, 20_000);
    dispatcher.submit(next, 20_000);
    scheduler.runLoop();

    assertThat(next.works).extracting(LeasedWork::id).containsExactly(id);
    assertThat(next.works.get(0).attempts()).isEqualTo(1);
  }

  @Test
  void retireAnswersTheWorkersWaitingPollsAtOnce() {
    RecordingPoll retiring = new RecordingPoll("old", 1);
    RecordingPoll other = new RecordingPoll("young", 1);
    dispatcher.submit(retiring, 20_000);
    dispatcher.submit(other, 20_000);
    scheduler.runLoop();

    dispatcher.retire("old");

    assertThat(retiring.answer).isEqualTo("retire");
    assertThat(other.answer).isNull();
    assertThat(dispatcher.waiting()).isEqualTo(1);
  }

  @Test
  void aStoreThatFailsAnswersThePollWithTheFailure(@TempDir Path dir) {
    SqliteWorkStore closed = new SqliteWorkStore(dir.resolve("swell.db"), false, LIMITS);
    closed.close();
    RecordingPoll poll = new RecordingPoll("w1", 1);
    dispatcherFor(closed).submit(poll, 20_000);
    scheduler.runLoop();
    assertThat(poll.answer).isEqualTo("failure: " + StoreUnavailableException.class.getSimpleName());
  }

  @Test
  void closeAllAnswersEveryWaitingPoll() {
    List<RecordingPoll> polls = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      RecordingPoll p = new RecordingPoll("w" + i, 1);
      polls.add(p);
      dispatcher.submit(p, 20_000);
    }
    scheduler.runLoop();
    dispatcher.closeAll();
    assertThat(polls).allSatisfy(p -> assertThat(p.answer).isEqualTo("empty"));
    scheduler.advance(30_000); // their timers were cancelled: nothing is answered twice
  }
}
