package swell.balancer;

/**
 * Timers and the way back to one thread, for the plain classes that answer long-polls
 * ({@link PollDispatcher}, {@link PullWaiters}): Vert.x's event loop in the balancer, a fake with a
 * manual clock in tests.
 */
public interface Scheduler {
  long schedule(long delayMs, Runnable task);

  /** Cancels a timer; ids below zero (no timer) are ignored. */
  void cancel(long timerId);

  /** Runs {@code task} on the owner's thread (store futures complete on other threads). */
  void execute(Runnable task);
}
