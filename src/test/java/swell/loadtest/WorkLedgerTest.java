package swell.loadtest;

import org.junit.jupiter.api.Test;
import swell.common.Sha512Chain;

import static org.assertj.core.api.Assertions.assertThat;

/** The bookkeeping that decides whether a run passed: every id accounted for, every result checked. */
class WorkLedgerTest {
  private final Bodies bodies = new Bodies(7, 64);
  private final Sha512Chain chain = new Sha512Chain();

  private String right(int index, long iterations) {
    return chain.computeHex(bodies.body(index), iterations);
  }

  @Test
  void everyWorkBackOnceAndRightPasses() {
    WorkLedger ledger = new WorkLedger(true);
    ledger.enqueued("a", 0, 0);
    ledger.enqueued("b", 1, 0);
    ledger.pulled("b", right(1, 3), 3, 2_000_000);
    ledger.pulled("a", right(0, 3), 3, 5_000_000);

    assertThat(ledger.allBack()).isTrue();
    assertThat(ledger.missing()).isZero();
    assertThat(ledger.verify(bodies, 3)).isZero();
    assertThat(ledger.endToEnd().count()).isEqualTo(2);
    assertThat(ledger.endToEnd().summary().max()).isBetween(4.9, 5.1);
  }

  @Test
  void wrongDigestAndWrongIterationCountAreMismatches() {
    WorkLedger ledger = new WorkLedger(true);
    ledger.enqueued("a", 0, 0);
    ledger.enqueued("b", 1, 0);
    ledger.enqueued("c", 2, 0);
    ledger.pulled("a", right(1, 1), 1, 1);
    ledger.pulled("b", right(1, 1), 2, 1);
    ledger.pulled("c", right(2, 1), 1, 1);

    assertThat(ledger.verify(bodies, 1)).isEqualTo(2);
  }

  @Test
  void resultPulledTwiceIsADuplicateAndCountsOnce() {
    WorkLedger ledger = new WorkLedger(false);
    ledger.enqueued("a", 0, 0);
    ledger.pulled("a", "x", 1, 1);
    ledger.pulled("a", "x", 1, 2);

    assertThat(ledger.completed()).isEqualTo(1);
    assertThat(ledger.duplicateResults()).isEqualTo(1);
  }

  @Test
  void aResultWhoseAcknowledgementFailedMayComeBackOnce() {
    WorkLedger ledger = new WorkLedger(false);
    ledger.enqueued("a", 0, 0);
    ledger.pulled("a", "x", 1, 1);
    ledger.unacknowledged(java.util.List.of("a"));
    ledger.pulled("a", "x", 1, 2);

    assertThat(ledger.completed()).isEqualTo(1);
    assertThat(ledger.redelivered()).isEqualTo(1);
    assertThat(ledger.duplicateResults()).isZero();

    ledger.pulled("a", "x", 1, 3);
    assertThat(ledger.duplicateResults()).as("once acknowledged, it must not come back").isEqualTo(1);
  }

  @Test
  void idGivenToTwoWorksIsCounted() {
    WorkLedger ledger = new WorkLedger(false);
    ledger.enqueued("a", 0, 0);
    ledger.enqueued("a", 1, 0);

    assertThat(ledger.duplicateIds()).isEqualTo(1);
    assertThat(ledger.accepted()).isEqualTo(1);
  }

  @Test
  void resultPulledBeforeItsEnqueueAnswerIsMatchedLater() {
    WorkLedger ledger = new WorkLedger(true);
    ledger.pulled("a", right(0, 1), 1, 9_000_000);
    assertThat(ledger.unknown()).isEqualTo(1);

    ledger.enqueued("a", 0, 1_000_000);

    assertThat(ledger.unknown()).isZero();
    assertThat(ledger.completed()).isEqualTo(1);
    assertThat(ledger.verify(bodies, 1)).isZero();
    assertThat(ledger.endToEnd().summary().max()).isBetween(7.9, 8.1);
  }

  @Test
  void missingAndUnknownIdsStayVisible() {
    WorkLedger ledger = new WorkLedger(false);
    ledger.enqueued("a", 0, 0);
    ledger.enqueued("b", 1, 0);
    ledger.pulled("a", "x", 1, 1);
    ledger.pulled("stranger", "x", 1, 1);

    assertThat(ledger.missing()).isEqualTo(1);
    assertThat(ledger.allBack()).isFalse();
    assertThat(ledger.unknown()).isEqualTo(1);
  }

  @Test
  void aMillionIdsAreKeptApartAcrossTheTableGrowing() {
    WorkLedger ledger = new WorkLedger(false);
    int n = 1_000_000;
    // UUIDv7-like: the same leading milliseconds for many ids, the rest counting up.
    for (int i = 0; i < n; i++) {
      ledger.enqueued(0x0190_c1f2_7a3b_7000L | (i >>> 20), 0x8000_0000_0000_0000L | i, i, i);
    }
    ledger.enqueued(0x0190_c1f2_7a3b_7000L, 0x8000_0000_0000_0000L | 12_345, 7, 0);
    for (int i = 0; i < n; i += 2) {
      ledger.pulled(new java.util.UUID(0x0190_c1f2_7a3b_7000L | (i >>> 20), 0x8000_0000_0000_0000L | i).toString(),
          "x", 1, i + 1_000_000L);
    }

    assertThat(ledger.accepted()).isEqualTo(n);
    assertThat(ledger.duplicateIds()).isEqualTo(1);
    assertThat(ledger.completed()).isEqualTo(n / 2);
    assertThat(ledger.missing()).isEqualTo(n / 2);
    assertThat(ledger.unknown()).isZero();
    assertThat(ledger.endToEnd().summary().max()).isBetween(0.99, 1.01);
  }

  @Test
  void resultsKeptForVerificationFollowTheirIdsWhenTheTableGrows() {
    WorkLedger ledger = new WorkLedger(true);
    int n = 20_000;
    for (int i = 0; i < n; i++) {
      ledger.enqueued(java.util.UUID.nameUUIDFromBytes(("w" + i).getBytes()).toString(), i, 0);
    }
    for (int i = 0; i < n; i++) {
      ledger.pulled(java.util.UUID.nameUUIDFromBytes(("w" + i).getBytes()).toString(), right(i, 1), 1, 1);
    }

    assertThat(ledger.allBack()).isTrue();
    assertThat(ledger.verify(bodies, 1)).isZero();
  }

  @Test
  void bodiesAreRebuiltIdenticallyAndDifferPerIndex() {
    assertThat(bodies.body(5)).isEqualTo(new Bodies(7, 64).body(5));
    assertThat(bodies.body(5)).isNotEqualTo(bodies.body(6));
    assertThat(new Bodies(8, 64).body(5)).isNotEqualTo(bodies.body(5));
  }
}
