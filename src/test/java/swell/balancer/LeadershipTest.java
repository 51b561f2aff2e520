package swell.balancer;

import org.junit.jupiter.api.Test;
import swell.store.Coordination;

import static org.assertj.core.api.Assertions.assertThat;

/** The lead as one balancer sees it, on a fake clock. */
class LeadershipTest {
  private static final long TTL = 10_000;
  private final Leadership me = new Leadership("b-me", TTL);

  private static Coordination.Leader held(String holder, long epoch, boolean mine) {
    return new Coordination.Leader(holder, epoch, 0, mine);
  }

  @Test
  void theLeadIsGainedKeptAndLostAsTheDatabaseSays() {
    assertThat(me.leads(0)).isFalse();
    assertThat(me.renewed(held("b-me", 1, true), 0)).isEqualTo(Leadership.Change.GAINED);
    assertThat(me.renewed(held("b-me", 1, true), 2_500)).isEqualTo(Leadership.Change.NONE);
    assertThat(me.leads(2_500)).isTrue();
    assertThat(me.epoch()).isEqualTo(1);

    assertThat(me.renewed(held("b-other", 2, false), 5_000)).isEqualTo(Leadership.Change.LOST);
    assertThat(me.leads(5_000)).isFalse();
    assertThat(me.leader()).isEqualTo("b-other");
    assertThat(me.epoch()).isEqualTo(2);
  }

  @Test
  void cutOffFromTheDatabaseItStopsLeadingBeforeAnotherBalancerCanTakeOver() {
    me.renewed(held("b-me", 3, true), 0);
    assertThat(me.renewFailed(5_000)).isEqualTo(Leadership.Change.NONE);
    assertThat(me.leads(7_499)).isTrue();
    // Three quarters of the time to live: the database lets another balancer in only at TTL.
    assertThat(me.leads(7_500)).isFalse();
    assertThat(me.renewFailed(7_500)).isEqualTo(Leadership.Change.NONE);
  }

  @Test
  void aRenewalThatReadNobodyChangesNothing() {
    me.renewed(held("b-me", 1, true), 0);
    assertThat(me.renewed(null, 1_000)).isEqualTo(Leadership.Change.NONE);
    assertThat(me.leads(1_000)).isTrue();
  }
}
