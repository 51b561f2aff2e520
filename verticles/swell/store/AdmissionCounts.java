package swell.store;

import java.util.function.LongSupplier;

/**
 * The two counts {@link Admission} decides from, for a store whose queues live in a database shared
 * by several balancers, where counting on every enqueue would cost a scan. The store refreshes them
 * from the database when they are older than {@code maxAgeMs} (and with every stats read), and in
 * between keeps them current with its own changes; other balancers' changes show at the next
 * refresh. So {@code maxPending} and {@code maxCompleted} hold against counts at most that old,
 * across balancers, and exactly for this balancer's own enqueues, which reserve their room before
 * they run so that concurrent batches never share a slot. Thread-safe.
 */
final class AdmissionCounts {
  private final long maxAgeNanos;
  private final LongSupplier nanoTime;
  private long pending;
  private long completedUnpulled;
  /** Slots handed to enqueues that have not finished: counted as pending until they have. */
  private long reserved;
  private long refreshedAt;
  private boolean known;

  AdmissionCounts(long maxAgeMs, LongSupplier nanoTime) {
    this.maxAgeNanos = maxAgeMs * 1_000_000;
    this.nanoTime = nanoTime;
  }

  /** Whether the counts must be read from the database before the next admission. */
  synchronized boolean stale() {
    return !known || nanoTime.getAsLong() - refreshedAt > maxAgeNanos;
  }

  /** The database's counts as of now; what this store changes from here on is added to them. */
  synchronized void refreshed(long pending, long completedUnpulled) {
    this.pending = pending;
    this.completedUnpulled = completedUnpulled;
    this.refreshedAt = nanoTime.getAsLong();
    this.known = true;
  }

  synchronized void pendingChanged(long delta) {
    pending = Math.max(0, pending + delta);
  }

  synchronized void completedChanged(long delta) {
    completedUnpulled = Math.max(0, completedUnpulled + delta);
  }

  /** Room for one batch of {@code fresh} works at most, and the slots it holds until {@link #settle}. */
  record Reservation(Admission.Room room, long slots) {
  }

  synchronized Reservation reserve(Admission admission, int fresh) {
    Admission.Room room = admission.room(pending + reserved, completedUnpulled);
    long slots = Math.min(room.slots(), fresh);
    reserved += slots;
    return new Reservation(room, slots);
  }

  /** An enqueue ended: its slots are free again and the works it created are pending. */
  synchronized void settle(Reservation r, long created) {
    reserved -= r.slots();
    pending += created;
  }
}
