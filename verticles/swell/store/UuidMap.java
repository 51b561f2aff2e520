package swell.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * A map from work ids to values in three flat arrays: the id's two halves and the value, with open
 * addressing and linear probing. A million pending works cost three array slots each, instead of a
 * {@link UUID} and a {@code HashMap} node each that the collector would copy between survivor spaces
 * while they wait (the balancer's p99 under a filling queue, bench/README.md). Ids are UUIDv7, whose
 * low half is random, so a multiplicative hash of it spreads them well. Not thread-safe.
 */
final class UuidMap<V> {
  private static final int MIN_CAPACITY = 16;
  /** Grown past this load: linear probing stays short below it. */
  private static final float MAX_LOAD = 0.6f;

  private long[] msbs;
  private long[] lsbs;
  private Object[] values;
  private int size;

  UuidMap() {
    allocate(MIN_CAPACITY);
  }

  private void allocate(int capacity) {
    msbs = new long[capacity];
    lsbs = new long[capacity];
    values = new Object[capacity];
  }

  int size() {
    return size;
  }

  V get(UUID id) {
    return get(id.getMostSignificantBits(), id.getLeastSignificantBits());
  }

  @SuppressWarnings("unchecked")
  V get(long msb, long lsb) {
    int mask = values.length - 1;
    for (int i = slot(msb, lsb, mask); values[i] != null; i = (i + 1) & mask) {
      if (msbs[i] == msb && lsbs[i] == lsb) {
        return (V) values[i];
      }
    }
    return null;
  }

  boolean containsKey(long msb, long lsb) {
    return get(msb, lsb) != null;
  }

  /** Puts a value (never null); returns the one it replaced, or null. */
  @SuppressWarnings("unchecked")
  V put(long msb, long lsb, V value) {
    if (size + 1 > values.length * MAX_LOAD) {
      grow();
    }
    int mask = values.length - 1;
    int i = slot(msb, lsb, mask);
    for (; values[i] != null; i = (i + 1) & mask) {
      if (msbs[i] == msb && lsbs[i] == lsb) {
        V old = (V) values[i];
        values[i] = value;
        return old;
      }
    }
    msbs[i] = msb;
    lsbs[i] = lsb;
    values[i] = value;
    size++;
    return null;
  }

  /** Puts a value unless the id has one; returns the one it has, or null when this one went in. */
  V putIfAbsent(long msb, long lsb, V value) {
    V old = get(msb, lsb);
    return old != null ? old : put(msb, lsb, value);
  }

  /** Removes the id's value; returns it, or null. Backward-shift deletion: no tombstones to clean. */
  @SuppressWarnings("unchecked")
  V remove(long msb, long lsb) {
    int mask = values.length - 1;
    int i = slot(msb, lsb, mask);
    for (; values[i] != null; i = (i + 1) & mask) {
      if (msbs[i] == msb && lsbs[i] == lsb) {
        V old = (V) values[i];
        shiftBack(i, mask);
        size--;
        return old;
      }
    }
    return null;
  }

  /** Closes the gap at {@code hole}: every later entry of the run that would be found from it moves up. */
  private void shiftBack(int hole, int mask) {
    int i = hole;
    while (true) {
      i = (i + 1) & mask;
      if (values[i] == null) {
        break;
      }
      int home = slot(msbs[i], lsbs[i], mask);
      // The entry at i may fill the hole if its home is not in the (cyclic) range (hole, i].
      boolean movable = hole <= i ? home <= hole || home > i : home <= hole && home > i;
      if (movable) {
        msbs[hole] = msbs[i];
        lsbs[hole] = lsbs[i];
        values[hole] = values[i];
        hole = i;
      }
    }
    values[hole] = null;
  }

  /** The values that match, in no order; an empty list (allocated once, shared) when none does. */
  @SuppressWarnings("unchecked")
  List<V> valuesWhere(Predicate<V> test) {
    List<V> out = List.of();
    for (Object v : values) {
      if (v != null && test.test((V) v)) {
        if (out.isEmpty()) {
          out = new ArrayList<>();
        }
        out.add((V) v);
      }
    }
    return out;
  }

  private void grow() {
    long[] oldMsbs = msbs;
    long[] oldLsbs = lsbs;
    Object[] oldValues = values;
    allocate(values.length * 2);
    size = 0;
    for (int i = 0; i < oldValues.length; i++) {
      if (oldValues[i] != null) {
        insertFresh(oldMsbs[i], oldLsbs[i], oldValues[i]);
      }
    }
  }

  private void insertFresh(long msb, long lsb, Object value) {
    int mask = values.length - 1;
    int i = slot(msb, lsb, mask);
    while (values[i] != null) {
      i = (i + 1) & mask;
    }
    msbs[i] = msb;
    lsbs[i] = lsb;
    values[i] = value;
    size++;
  }

  void clear() {
    Arrays.fill(values, null);
    size = 0;
  }

  private static int slot(long msb, long lsb, int mask) {
    long h = (lsb ^ (msb * 0x9E3779B97F4A7C15L)) * 0xBF58476D1CE4E5B9L;
    return (int) (h ^ (h >>> 31)) & mask;
  }
}
