package swell.loadtest;

import java.nio.charset.StandardCharsets;

/**
 * A work id as two longs, the way the load generator keys its ledger: a canonical UUID (every id
 * Swell hands out is a UUIDv7) maps to its own 128 bits, parsed straight from the answer's bytes
 * without a JSON library or a String. Anything else a server might answer with maps to a 128-bit
 * hash of it, so a foreign id is still counted rather than dropped.
 */
record WorkId(long msb, long lsb) {
  private static final int UUID_CHARS = 36;
  private static final byte[] ID_FIELD = "\"id\"".getBytes(StandardCharsets.US_ASCII);

  static WorkId of(String id) {
    if (id.length() == UUID_CHARS && isUuidShape(id)) {
      long a = hex(id, 0, 8);
      long c = hex(id, 9, 13);
      long d = hex(id, 14, 18);
      long e = hex(id, 19, 23);
      long f = hex(id, 24, 36);
      if ((a | c | d | e | f) >= 0) {
        return new WorkId(a << 32 | c << 16 | d, e << 48 | f);
      }
    }
    return hashed(id);
  }

  /**
   * The id of an enqueue answer, {@code {"id":"<uuid>"}}, read from its bytes; null when the answer
   * is not that shape (then the caller falls back to a JSON parser).
   */
  static WorkId fromAnswer(byte[] b, int from, int to) {
    int i = indexOf(b, from, to, ID_FIELD);
    if (i < 0) {
      return null;
    }
    i = skipSpace(b, i + ID_FIELD.length, to);
    if (i >= to || b[i] != ':') {
      return null;
    }
    i = skipSpace(b, i + 1, to);
    if (i + UUID_CHARS + 2 > to || b[i] != '"' || b[i + UUID_CHARS + 1] != '"') {
      return null;
    }
    int s = i + 1;
    if (b[s + 8] != '-' || b[s + 13] != '-' || b[s + 18] != '-' || b[s + 23] != '-') {
      return null;
    }
    long a = hex(b, s, s + 8);
    long c = hex(b, s + 9, s + 13);
    long d = hex(b, s + 14, s + 18);
    long e = hex(b, s + 19, s + 23);
    long f = hex(b, s + 24, s + 36);
    if ((a | c | d | e | f) < 0) {
      return null;
    }
    return new WorkId(a << 32 | c << 16 | d, e << 48 | f);
  }

  private static boolean isUuidShape(String id) {
    return id.charAt(8) == '-' && id.charAt(13) == '-' && id.charAt(18) == '-' && id.charAt(23) == '-';
  }

  /** The value of hex digits {@code s[from, to)} (at most 15), or -1 if one is not a hex digit. */
  private static long hex(String s, int from, int to) {
    long v = 0;
    for (int i = from; i < to; i++) {
      int d = digit(s.charAt(i));
      if (d < 0) {
        return -1;
      }
      v = v << 4 | d;
    }
    return v;
  }

  private static long hex(byte[] b, int from, int to) {
    long v = 0;
    for (int i = from; i < to; i++) {
      int d = digit(b[i]);
      if (d < 0) {
        return -1;
      }
      v = v << 4 | d;
    }
    return v;
  }

  private static int digit(int ch) {
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
        : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
  }

  private static int indexOf(byte[] b, int from, int to, byte[] what) {
    outer:
    for (int i = from; i + what.length <= to; i++) {
      for (int j = 0; j < what.length; j++) {
        if (b[i + j] != what[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static int skipSpace(byte[] b, int i, int to) {
    while (i < to && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n')) {
      i++;
    }
    return i;
  }

  /** Two independent 64-bit hashes of a foreign id: a clash with another id is as unlikely as a UUID clash. */
  private static WorkId hashed(String id) {
    long h1 = 0xcbf2_9ce4_8422_2325L;
    long h2 = 0x6a09_e667_f3bc_c908L;
    for (int i = 0; i < id.length(); i++) {
      char ch = id.charAt(i);
      h1 = (h1 ^ ch) * 0x0100_0000_01b3L;
      h2 = (h2 ^ ch) * 0x9E37_79B9_7F4A_7C15L;
    }
    return new WorkId(mix(h1), mix(h2 ^ id.length()));
  }

  /** Murmur3's finalizer: spreads every input bit over the whole word. */
  static long mix(long z) {
    z = (z ^ (z >>> 33)) * 0xff51_afd7_ed55_8ccdL;
    z = (z ^ (z >>> 33)) * 0xc4ce_b9fe_1a85_ec53L;
    return z ^ (z >>> 33);
  }
}
