package swell.balancer;

import org.junit.jupiter.api.Test;
import swell.common.WorkIds;
import swell.store.QueueStats;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The dashboard's hour of samples, on a fake clock: the times are passed in. */
class StatusHistoryTest {
  private static final long T0 = 1_800_000_000_000L;

  private static QueueStats queue(long pending, long leased, long completedUnpulled) {
    return new QueueStats(pending, pending * 10, 0, leased, completedUnpulled, 0, 0);
  }

  /** Ids made by endpoints at these times. */
  private static List<UUID> enqueuedAt(long... times) {
    List<UUID> ids = new ArrayList<>();
    for (long t : times) {
      ids.add(WorkIds.next(t));
    }
    return ids;
  }

  @Test
  void aSampleCarriesTheStoreCountsTheTotalsAndTheRatesOfItsInterval() {
    StatusHistory h = new StatusHistory(60, T0);
    h.enqueued(10);
    h.completed(T0 + 2_000, enqueuedAt(T0, T0, T0, T0));
    h.pulled(2);

    StatusHistory.Sample s = h.record(T0 + 2_000, queue(6, 0, 2));

    assertThat(s.at()).isEqualTo(T0 + 2_000);
    assertThat(s.pending()).isEqualTo(6);
    assertThat(s.completedUnpulled()).isEqualTo(2);
    assertThat(s.enqueued()).isEqualTo(10);
    assertThat(s.completed()).isEqualTo(4);
    assertThat(s.pulled()).isEqualTo(2);
    assertThat(s.enqueuedPerSec()).isCloseTo(5.0, within(1e-9));
    assertThat(s.completedPerSec()).isCloseTo(2.0, within(1e-9));
    assertThat(s.pulledPerSec()).isCloseTo(1.0, within(1e-9));

    // The next interval's rates count only what happened in it; the totals go on.
    h.enqueued(3);
    StatusHistory.Sample s2 = h.record(T0 + 3_000, queue(9, 0, 2));
    assertThat(s2.enqueued()).isEqualTo(13);
    assertThat(s2.enqueuedPerSec()).isCloseTo(3.0, within(1e-9));
    assertThat(s2.completedPerSec()).isZero();
  }

  @Test
  void latencyPercentilesCoverOnlyTheResultsOfTheirInterval() {
    StatusHistory h = new StatusHistory(60, T0);
    long done = T0 + 10_000;
    // 100 results enqueued 1..100 ms before they were recorded.
    h.completed(done, enqueuedAt(IntStream.rangeClosed(1, 100).mapToLong(i -> done - i).toArray()));

    StatusHistory.Sample s = h.record(done, queue(0, 0, 100));
    assertThat(s.latencyP50Ms()).isBetween(49L, 51L);
    assertThat(s.latencyP90Ms()).isBetween(89L, 91L);
    assertThat(s.latencyP99Ms()).isBetween(98L, 100L);
    assertThat(s.latencyMaxMs()).isEqualTo(100);

    StatusHistory.Sample quiet = h.record(done + 1_000, queue(0, 0, 100));
    assertThat(quiet.latencyP50Ms()).isEqualTo(StatusHistory.NO_LATENCY);
    assertThat(quiet.latencyMaxMs()).isEqualTo(StatusHistory.NO_LATENCY);
  }

  @Test
  void idsWithoutATimeAndClocksSlightlyAheadDoNotSkewTheLatency() {
    StatusHistory h = new StatusHistory(60, T0);
    h.completed(T0 + 1_000, List.of(UUID.randomUUID()));
    assertThat(h.record(T0 + 1_000, queue(0, 0, 1)).latencyMaxMs()).isEqualTo(StatusHistory.NO_LATENCY);
    assertThat(h.completed()).isEqualTo(1);

    // An endpoint whose clock runs 5 ms ahead made this id "after" it was completed.
    h.completed(T0 + 2_000, enqueuedAt(T0 + 2_005));
    assertThat(h.record(T0 + 2_000, queue(0, 0, 2)).latencyMaxMs()).isZero();
  }

  @Test
  void theRingKeepsTheLastHourAndForgetsTheRest() {
    StatusHistory h = new StatusHistory(3_600, T0);
    for (int i = 1; i <= 5_000; i++) {
      h.enqueued(1);
      h.record(T0 + i * 1_000L, queue(i, 0, 0));
    }

    List<StatusHistory.Sample> all = h.since(0);
    assertThat(all).hasSize(3_600);
    assertThat(all.get(0).pending()).isEqualTo(1_401);
    assertThat(all.get(3_599).pending()).isEqualTo(5_000);
    assertThat(all).extracting(StatusHistory.Sample::at).isSorted();
  }

  @Test
  void aPageAsksOnlyForTheSamplesItHasNotSeen() {
    StatusHistory h = new StatusHistory(10, T0);
    assertThat(h.since(0)).isEmpty();
    for (int i = 1; i <= 4; i++) {
      h.record(T0 + i * 1_000L, queue(i, 0, 0));
    }

    assertThat(h.since(T0 + 2_000)).extracting(StatusHistory.Sample::pending).containsExactly(3L, 4L);
    assertThat(h.since(T0 + 4_000)).isEmpty();
  }
}
