package swell.endpoint;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of request bodies a process holds at once, shared by every endpoint instance in it (they
 * share one heap): a body reserves its size before it is read, or chunk by chunk when it declares
 * none, and gives it back once its work is answered. Past {@code max} a request is refused as busy
 * rather than letting many large uploads take the process down.
 */
public final class InFlightBytes {
  private final long max;
  private final AtomicLong used = new AtomicLong();

  public InFlightBytes(long max) {
    this.max = max;
  }

  /** Reserves {@code n} bytes if they fit under the limit; false (and nothing reserved) if not. */
  boolean tryReserve(long n) {
    while (true) {
      long now = used.get();
      if (now + n > max) {
        return false;
      }
      if (used.compareAndSet(now, now + n)) {
        return true;
      }
    }
  }

  void release(long n) {
    used.addAndGet(-n);
  }

  long used() {
    return used.get();
  }
}
