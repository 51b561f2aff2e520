package swell.balancer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Signals follow time, not the number of works, and the last one is never dropped. */
class SignalsTest {
  private final FakeScheduler scheduler = new FakeScheduler(1_000);
  private final List<String> sent = new ArrayList<>();
  private final Signals signals = new Signals(scheduler, 20, sent::add);

  @Test
  void aBurstOfRequestsSendsOneSignalNowAndOneAtTheEndOfTheInterval() {
    for (int i = 0; i < 1_000; i++) {
      signals.request("work", scheduler.now);
    }
    assertThat(sent).containsExactly("work");

    scheduler.advance(19);
    assertThat(sent).hasSize(1);
    scheduler.advance(1);
    assertThat(sent).containsExactly("work", "work");

    scheduler.advance(100);
    signals.request("work", scheduler.now);
    assertThat(sent).hasSize(3);
  }

  @Test
  void channelsAreLimitedApart() {
    signals.request("work", scheduler.now);
    signals.request("results", scheduler.now);
    assertThat(sent).containsExactly("work", "results");
  }
}
