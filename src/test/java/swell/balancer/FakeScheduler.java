package swell.balancer;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/** Timers by due time on a manual clock, and tasks handed back to "the event loop", run when a test says so. */
final class FakeScheduler implements Scheduler {
  long now;
  private long nextId;
  private final TreeMap<Long, Runnable> timers = new TreeMap<>();
  private final Map<Long, Long> dueById = new HashMap<>();
  private final ArrayDeque<Runnable> loop = new ArrayDeque<>();

  FakeScheduler(long start) {
    this.now = start;
  }

  @Override
  public long schedule(long delayMs, Runnable task) {
    long id = nextId++;
    long key = ((now + delayMs) << 16) | (id & 0xFFFF);
    timers.put(key, task);
    dueById.put(id, key);
    return id;
  }

  @Override
  public void cancel(long timerId) {
    Long key = dueById.remove(timerId);
    if (key != null) {
      timers.remove(key);
    }
  }

  @Override
  public void execute(Runnable task) {
    loop.add(task);
  }

  /** Runs what was handed back to the loop, as an event loop would after the current task. */
  void runLoop() {
    while (!loop.isEmpty()) {
      loop.poll().run();
    }
  }

  /** Moves the clock on, running what is handed back and every timer that comes due, in order. */
  void advance(long ms) {
    now += ms;
    runLoop();
    while (!timers.isEmpty() && (timers.firstKey() >> 16) <= now) {
      timers.pollFirstEntry().getValue().run();
      runLoop();
    }
  }
}
