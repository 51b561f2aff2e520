package swell.store;

/**
 * What became of a worker's results: recorded; ignored as duplicates (the work already has its
 * first result) or late (it failed, or left the store); or refused because this worker does not
 * hold the work's lease, which is how a stray or rogue worker is kept from writing results.
 */
public record CompletionOutcome(int recorded, int duplicates, int notHolder) {
  public static final CompletionOutcome NONE = new CompletionOutcome(0, 0, 0);
}
