package swell.common;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Where requests go among several balancers. */
class BalancerRotationTest {

  @Test
  void failoverSticksToTheBalancerThatAnswered() {
    BalancerRotation r = new BalancerRotation(3, BalancerRotation.Mode.FAILOVER);
    assertThat(r.next(0)).isZero();
    assertThat(r.next(0)).isZero();
    r.failed(0, 0);
    assertThat(r.next(0)).isEqualTo(1);
    r.answered(1);
    assertThat(r.next(10_000)).isEqualTo(1);
  }

  @Test
  void spreadGoesRoundAndSkipsABalancerThatFailedLately() {
    BalancerRotation r = new BalancerRotation(3, BalancerRotation.Mode.SPREAD);
    assertThat(new int[] {r.next(0), r.next(0), r.next(0), r.next(0)}).containsExactly(0, 1, 2, 0);
    r.failed(1, 0);
    assertThat(new int[] {r.next(1), r.next(1), r.next(1)}).containsExactly(2, 0, 2);
    assertThat(r.after(0, 1)).isEqualTo(2);
    // Its cooldown over, it is in the round again.
    long later = BalancerRotation.COOLDOWN_MS + 1;
    assertThat(new int[] {r.next(later), r.next(later), r.next(later)}).containsExactly(0, 1, 2);
  }

  @Test
  void whenEveryBalancerFailedLatelyTheyAreTriedInTurnAnyway() {
    BalancerRotation r = new BalancerRotation(2, BalancerRotation.Mode.SPREAD);
    r.failed(0, 0);
    r.failed(1, 0);
    assertThat(new int[] {r.next(1), r.next(1)}).containsExactly(0, 1);
  }
}
