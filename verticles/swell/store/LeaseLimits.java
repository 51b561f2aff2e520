package swell.store;

/**
 * How much one lease may take: at most {@code maxWorks} works, stopping before their summed
 * iterations pass {@code iterationBudget} or their bodies pass {@code byteBudget} bytes. At least one
 * work is leased whenever one is pending, however large, so no work can be starved by a budget.
 */
public record LeaseLimits(int maxWorks, long iterationBudget, long byteBudget) {

  /** No cap but the count: for tests and tools. */
  public static LeaseLimits count(int maxWorks) {
    return new LeaseLimits(maxWorks, Long.MAX_VALUE, Long.MAX_VALUE);
  }

  /** Whether a work of this size still fits after {@code works} works of the given sums. */
  public boolean fits(int works, long iterationsSoFar, long bytesSoFar, int iterations, int bytes) {
    if (works == 0) {
      return maxWorks > 0;
    }
    return works < maxWorks && iterationsSoFar + iterations <= iterationBudget && bytesSoFar + bytes <= byteBudget;
  }
}
