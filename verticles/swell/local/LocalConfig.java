package swell.local;

import swell.common.ConfigReader;

/** Skeleton: being written. */
public record LocalConfig() {
  public static LocalConfig from(ConfigReader r) {
    return new LocalConfig();
  }
}
