package swell.balancer;

import java.util.List;
import java.util.UUID;

/** Work ids for a log line: all of a few, the first five of many, so one line never holds thousands. */
final class Abbreviate {
  private static final int SHOWN = 5;

  private Abbreviate() {
  }

  static String ids(List<UUID> ids) {
    return ids.size() <= SHOWN ? ids.toString() : ids.subList(0, SHOWN) + " and " + (ids.size() - SHOWN) + " more";
  }
}
