package swell.loadtest;

import java.util.Arrays;

/**
 * An open-addressing set of 128-bit ids in two flat {@code long} arrays, handing out a slot per id
 * so that callers keep what they know of each id in parallel arrays: a run of millions of works
 * costs a few arrays instead of millions of map entries, keys and boxes for the collector to trace.
 */
final class IdTable {
  static final int INITIAL_CAPACITY = 1 << 12;
  /** Grow past this fill, so that linear probes stay short. */
  private static final double MAX_FILL = 0.5;

  private long[] msbs = new long[INITIAL_CAPACITY];
  private long[] lsbs = new long[INITIAL_CAPACITY];
  private boolean[] used = new boolean[INITIAL_CAPACITY];
  private int size;

  int size() {
    return size;
  }

  int capacity() {
    return used.length;
  }

  boolean used(int slot) {
    return used[slot];
  }

  /** True when the next {@link #add} must be preceded by {@link #grow}. */
  boolean full() {
    return size + 1 > used.length * MAX_FILL;
  }

  /**
   * Doubles the table; returns where each old slot went ({@code moved[old] = new}, -1 for an empty
   * one), so that the caller can move its parallel arrays along.
   */
  int[] grow() {
    long[] oldMsbs = msbs;
    long[] oldLsbs = lsbs;
    boolean[] oldUsed = used;
    int capacity = oldUsed.length * 2;
    msbs = new long[capacity];
    lsbs = new long[capacity];
    used = new boolean[capacity];
    int[] moved = new int[oldUsed.length];
    Arrays.fill(moved, -1);
    for (int i = 0; i < oldUsed.length; i++) {
      if (oldUsed[i]) {
        int slot = free(oldMsbs[i], oldLsbs[i]);
        msbs[slot] = oldMsbs[i];
        lsbs[slot] = oldLsbs[i];
        used[slot] = true;
        moved[i] = slot;
      }
    }
    return moved;
  }

  /** Adds the id and returns its slot, or -1 if it is there already. Call {@link #grow} first when {@link #full}. */
  int add(long msb, long lsb) {
    int mask = used.length - 1;
    for (int i = home(msb, lsb, mask); ; i = (i + 1) & mask) {
      if (!used[i]) {
        msbs[i] = msb;
        lsbs[i] = lsb;
        used[i] = true;
        size++;
        return i;
      }
      if (msbs[i] == msb && lsbs[i] == lsb) {
        return -1;
      }
    }
  }

  /** The id's slot, or -1 if it is not there. */
  int find(long msb, long lsb) {
    int mask = used.length - 1;
    for (int i = home(msb, lsb, mask); used[i]; i = (i + 1) & mask) {
      if (msbs[i] == msb && lsbs[i] == lsb) {
        return i;
      }
    }
    return -1;
  }

  private int free(long msb, long lsb) {
    int mask = used.length - 1;
    int i = home(msb, lsb, mask);
    while (used[i]) {
      i = (i + 1) & mask;
    }
    return i;
  }

  /** UUIDv7 ids share their leading time bits: mix both halves so neighbours spread over the table. */
  private static int home(long msb, long lsb, int mask) {
    return (int) WorkId.mix(msb * 31 + lsb) & mask;
  }
}
