package swell.balancer;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Sends a signal at most once per {@code intervalMs} per channel, and never drops the last one: a
 * request while one was just sent is sent when the interval is over. A notifying commit in
 * PostgreSQL serialises with every other, so signals must not follow the number of works.
 */
final class Signals {
  private final Scheduler scheduler;
  private final long intervalMs;
  private final Consumer<String> send;
  private final Map<String, Long> lastSent = new HashMap<>();
  private final Map<String, Boolean> pending = new HashMap<>();

  Signals(Scheduler scheduler, long intervalMs, Consumer<String> send) {
    this.scheduler = scheduler;
    this.intervalMs = intervalMs;
    this.send = send;
  }

  /** Something happened that another balancer's waiters want to know about. */
  void request(String channel, long nowMs) {
    if (pending.getOrDefault(channel, false)) {
      return; // one is due already
    }
    long last = lastSent.getOrDefault(channel, Long.MIN_VALUE / 2);
    long wait = last + intervalMs - nowMs;
    if (wait <= 0) {
      sendNow(channel, nowMs);
    } else {
      pending.put(channel, true);
      scheduler.schedule(wait, () -> {
        pending.put(channel, false);
        sendNow(channel, last + intervalMs);
      });
    }
  }

  private void sendNow(String channel, long at) {
    lastSent.put(channel, at);
    send.accept(channel);
  }
}
