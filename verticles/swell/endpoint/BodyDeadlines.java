package swell.endpoint;

import swell.common.ApiError;

/**
 * Request bodies that must arrive by a deadline, swept by one periodic timer per event loop instead
 * of a timer per request (the hot route's requests would each pay for one). All share one timeout, so
 * arrival order is deadline order: an intrusive list kept in that order makes adding, removing and
 * sweeping O(1) per request and allocation-free. Runs on one event loop only.
 */
final class BodyDeadlines {
  /** A body being read; {@link #expire} is called once if it is still listed at its deadline. */
  abstract static class Entry {
    private Entry prev;
    private Entry next;
    private long deadlineNanos;
    private boolean listed;

    /** The body did not arrive in time: answer 408 and let go of what it holds. */
    abstract void expire();
  }

  private final long timeoutNanos;
  private Entry head;
  private Entry tail;

  BodyDeadlines(long timeoutMs) {
    this.timeoutNanos = timeoutMs * 1_000_000;
  }

  /** The answer to a body that did not arrive in time. */
  static ApiError timedOut(long timeoutMs) {
    return new ApiError(408, "body_timeout", "the body did not arrive within bodyTimeoutMs (" + timeoutMs + " ms)",
        null);
  }

  void add(Entry e) {
    e.deadlineNanos = System.nanoTime() + timeoutNanos;
    e.listed = true;
    e.prev = tail;
    e.next = null;
    if (tail == null) {
      head = e;
    } else {
      tail.next = e;
    }
    tail = e;
  }

  /** Takes an entry off the list (its body arrived or was refused); a no-op when it is not listed. */
  void remove(Entry e) {
    if (!e.listed) {
      return;
    }
    e.listed = false;
    if (e.prev == null) {
      head = e.next;
    } else {
      e.prev.next = e.next;
    }
    if (e.next == null) {
      tail = e.prev;
    } else {
      e.next.prev = e.prev;
    }
    e.prev = null;
    e.next = null;
  }

  /** Expires every entry whose deadline has passed, oldest first. */
  void sweep() {
    long now = System.nanoTime();
    while (head != null && now - head.deadlineNanos >= 0) {
      Entry e = head;
      remove(e);
      e.expire();
    }
  }
}
