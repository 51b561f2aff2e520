package swell.metrics;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The owner label stays bounded whatever owner names a caller with the cluster token sends. */
class OwnerCountersTest {
  @Test
  void ownersPastTheBoundCountTogether() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    OwnerCounters counters = new OwnerCounters(registry, "swell.test", "test");
    for (int i = 0; i < OwnerCounters.MAX_OWNERS + 50; i++) {
      counters.add("owner-" + i, 2);
    }
    counters.add("owner-0", 1);
    assertThat(registry.find("swell.test").counters()).hasSize(OwnerCounters.MAX_OWNERS + 1);
    assertThat(registry.get("swell.test").tag("owner", "owner-0").counter().count()).isEqualTo(3);
    assertThat(registry.get("swell.test").tag("owner", "").counter().count()).isZero();
    double others = registry.get("swell.test").tag("owner", OwnerCounters.OTHERS).counter().count();
    double all = registry.find("swell.test").counters().stream().mapToDouble(c -> c.count()).sum();
    assertThat(all).isEqualTo((OwnerCounters.MAX_OWNERS + 50) * 2 + 1);
    assertThat(others).isEqualTo((50 + 1) * 2);
  }
}
