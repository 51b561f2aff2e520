package swell.loadtest;

import java.util.SplittableRandom;

/**
 * The request bodies of a run, each a pure function of the seed and the work's index, so
 * {@code --verify} can rebuild any body instead of holding every one in memory.
 */
final class Bodies {
  private final byte[] base;

  Bodies(long seed, int bytes) {
    base = new byte[bytes];
    new SplittableRandom(seed).nextBytes(base);
  }

  /**
   * The seed's random block with the index mixed into its first eight bytes: distinct for every
   * index (a server that swaps two results fails verification), and a copy rather than fresh random
   * bytes, which cost the load generator a tenth of its time at ten thousand works a second.
   */
  byte[] body(int index) {
    byte[] out = new byte[base.length];
    write(index, out, 0);
    return out;
  }

  /** Writes the body of work {@code index} into {@code out} at {@code offset}, as {@link #body} returns it. */
  void write(int index, byte[] out, int offset) {
    System.arraycopy(base, 0, out, offset, base.length);
    long mix = index * 0x9E37_79B9_7F4A_7C15L;
    for (int i = 0; i < Math.min(8, base.length); i++) {
      out[offset + i] ^= (byte) (mix >>> (8 * i));
    }
  }

  int bytes() {
    return base.length;
  }
}
