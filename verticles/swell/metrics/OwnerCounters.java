package swell.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.ConcurrentHashMap;

/**
 * One counter per owner (a client key's name, "" for the anonymous owner), made once and then only
 * looked up: counting costs a map read and an add, no allocation. Owners come from the endpoints'
 * configured keys, so there are few; still, past {@link #MAX_OWNERS} distinct names (a caller
 * holding the cluster token may name any owner) the rest count under {@link #OTHERS}, so that the
 * label cannot grow without bound.
 */
public final class OwnerCounters {
  /** Owners counted under their own name; the configured client keys of one cluster fit easily. */
  static final int MAX_OWNERS = 100;
  /** The label value that stands for every owner past {@link #MAX_OWNERS}. */
  static final String OTHERS = "_others";

  private final MeterRegistry registry;
  private final String name;
  private final String description;
  private final ConcurrentHashMap<String, Counter> byOwner = new ConcurrentHashMap<>();

  public OwnerCounters(MeterRegistry registry, String name, String description) {
    this.registry = registry;
    this.name = name;
    this.description = description;
    counter(""); // the anonymous owner shows from the start, at 0
  }

  /** Adds {@code n} to the owner's counter. Thread-safe. */
  public void add(String owner, long n) {
    counter(owner).increment(n);
  }

  private Counter counter(String owner) {
    Counter c = byOwner.get(owner);
    if (c != null) {
      return c;
    }
    String label = byOwner.size() >= MAX_OWNERS ? OTHERS : owner;
    return byOwner.computeIfAbsent(label, o -> Counter.builder(name).description(description).tag("owner", o)
        .register(registry));
  }
}
