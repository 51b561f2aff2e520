package swell.loadtest;

import java.util.SplittableRandom;

/**
 * The request bodies of a run, each a pure function of the seed and the work's index, so
 * {@code --verify} can rebuild any body instead of holding every one in memory.
 */
final class Bodies {
  private final long seed;
  private final int bytes;

  Bodies(long seed, int bytes) {
    this.seed = seed;
    this.bytes = bytes;
  }

  byte[] body(int index) {
    byte[] out = new byte[bytes];
    // Distinct bodies per index: a server that swaps two results must fail verification.
    new SplittableRandom(seed * 0x9E37_79B9_7F4A_7C15L + index).nextBytes(out);
    return out;
  }

  int bytes() {
    return bytes;
  }
}
