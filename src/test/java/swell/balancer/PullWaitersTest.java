package swell.balancer;

import org.junit.jupiter.api.Test;
import swell.store.Completion;
import swell.store.CompletedWork;
import swell.store.LeaseLimits;
import swell.store.MemoryWorkStore;
import swell.store.NewWork;
import swell.store.StoreLimits;
import swell.store.WorkStore;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Long-polling pulls on a fake clock over a real in-memory store. */
class PullWaitersTest {
  private static final long T0 = 1_700_000_000_000L;

  private final FakeScheduler scheduler = new FakeScheduler(T0);
  private final WorkStore store = new MemoryWorkStore(new StoreLimits(100, 100, 3, 60_000));
  private final PullWaiters pulls = new PullWaiters(store, scheduler, () -> scheduler.now);

  private static final class RecordingPull implements PullWaiters.Pull {
    final String owner;
    List<CompletedWork> results;
    int answers;

    RecordingPull(String owner) {
      this.owner = owner;
    }

    @Override
    public String owner() {
      return owner;
    }

    @Override
    public int top() {
      return 10;
    }

    @Override
    public long ackMs() {
      return 0;
    }

    @Override
    public void answer(List<CompletedWork> results) {
      this.results = results;
      answers++;
    }

    @Override
    public void answerFailure(Throwable cause) {
      answers++;
    }
  }

  /** Enqueues, leases and completes one work of {@code owner}. */
  private UUID completeOne(String owner) throws Exception {
    UUID id = UUID.randomUUID();
    store.enqueue(List.of(new NewWork(id, owner, 1, new byte[] {1}, null, scheduler.now))).get(5, TimeUnit.SECONDS);
    store.lease("w", LeaseLimits.count(1), scheduler.now, 30_000).get(5, TimeUnit.SECONDS);
    store.complete("w", List.of(new Completion(id, new byte[64])), scheduler.now).get(5, TimeUnit.SECONDS);
    return id;
  }

  @Test
  void aWaitingPullIsAnsweredWithTheFirstResultOfItsOwner() throws Exception {
    RecordingPull alice = new RecordingPull("alice");
    RecordingPull bob = new RecordingPull("bob");
    pulls.submit(alice, 20_000);
    pulls.submit(bob, 20_000);
    scheduler.runLoop();
    assertThat(alice.answers).isZero();

    UUID id = completeOne("alice");
    pulls.resultsRecorded();
    scheduler.runLoop();

    assertThat(alice.results).extracting(CompletedWork::id).containsExactly(id);
    assertThat(bob.answers).isZero();
    assertThat(pulls.waiting()).isEqualTo(1);
  }

  @Test
  void aPullWithResultsOrWithoutWaitIsAnsweredAtOnce() throws Exception {
    UUID id = completeOne("alice");
    RecordingPull ready = new RecordingPull("alice");
    RecordingPull impatient = new RecordingPull("bob");
    pulls.submit(ready, 20_000);
    pulls.submit(impatient, 0);
    scheduler.runLoop();

    assertThat(ready.results).extracting(CompletedWork::id).containsExactly(id);
    assertThat(impatient.results).isEmpty();
    assertThat(pulls.waiting()).isZero();
  }

  @Test
  void aPullThatWaitedInVainGetsAnEmptyListOnceAtItsDeadline() {
    RecordingPull pull = new RecordingPull("alice");
    pulls.submit(pull, 5_000);
    scheduler.runLoop();
    scheduler.advance(4_999);
    assertThat(pull.answers).isZero();

    scheduler.advance(1);
    pulls.resultsRecorded();
    scheduler.runLoop();

    assertThat(pull.results).isEmpty();
    assertThat(pull.answers).isEqualTo(1);
  }

  @Test
  void aClosedPullIsForgotten() throws Exception {
    RecordingPull pull = new RecordingPull("alice");
    PullWaiters.Waiting w = pulls.submit(pull, 5_000);
    scheduler.runLoop();
    w.cancel();
    completeOne("alice");
    pulls.resultsRecorded();
    scheduler.advance(10_000);

    assertThat(pull.answers).isZero();
    assertThat(store.stats(scheduler.now).get(5, TimeUnit.SECONDS).completedUnpulled()).isEqualTo(1);
  }
}
