package swell.balancer;

import org.junit.jupiter.api.Test;
import swell.store.QueueStats;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The queue gauges' cache: the store is read at most once per max age, however many scrapes ask. */
class StatsCacheTest {
  private static final long MAX_AGE = 1_000;

  private final AtomicLong nanos = new AtomicLong(5_000);
  private final AtomicInteger reads = new AtomicInteger();
  private CompletableFuture<QueueStats> storeAnswer = new CompletableFuture<>();
  private final StatsCache cache = new StatsCache(this::read, nanos::get, MAX_AGE);

  private CompletionStage<QueueStats> read() {
    reads.incrementAndGet();
    return storeAnswer;
  }

  private static QueueStats pending(long n) {
    return new QueueStats(n, n, 0, 0, 0, 0, 0);
  }

  @Test
  void countsOfferedByTheScalerServeScrapesWithoutReadingTheStore() {
    cache.offer(pending(7));
    nanos.addAndGet(MAX_AGE - 1);
    assertThat(cache.fresh().toCompletableFuture().join().pending()).isEqualTo(7);
    assertThat(reads).hasValue(0);
  }

  @Test
  void staleCountsAreReadOnceForScrapesThatOverlap() {
    cache.offer(pending(7));
    nanos.addAndGet(MAX_AGE);
    CompletableFuture<QueueStats> first = cache.fresh().toCompletableFuture();
    CompletableFuture<QueueStats> second = cache.fresh().toCompletableFuture();
    assertThat(reads).hasValue(1);
    assertThat(first).isNotDone();
    storeAnswer.complete(pending(9));
    assertThat(first.join().pending()).isEqualTo(9);
    assertThat(second.join().pending()).isEqualTo(9);
    assertThat(cache.last().pending()).isEqualTo(9);
    cache.fresh();
    assertThat(reads).as("fresh again: no read").hasValue(1);
  }

  @Test
  void beforeAnyCountsTheFirstScrapeReadsAndTheGaugesShowEmptyMeanwhile() {
    assertThat(cache.last()).isEqualTo(QueueStats.EMPTY);
    cache.fresh();
    assertThat(reads).hasValue(1);
  }

  @Test
  void aFailedReadKeepsTheLastCountsAndTheNextScrapeTriesAgain() {
    cache.offer(pending(3));
    nanos.addAndGet(MAX_AGE * 2);
    storeAnswer.completeExceptionally(new IllegalStateException("database down"));
    assertThat(cache.fresh().toCompletableFuture()).isCompletedExceptionally();
    assertThat(cache.last().pending()).isEqualTo(3);
    storeAnswer = CompletableFuture.completedFuture(pending(4));
    assertThat(cache.fresh().toCompletableFuture().join().pending()).isEqualTo(4);
    assertThat(reads).hasValue(2);
  }
}
