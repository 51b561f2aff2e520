package swell.common;

/** A config key with a bad value; the message names the key so a person can fix the file. */
public final class ConfigException extends RuntimeException {
  private final String key;

  public ConfigException(String key, String why) {
    super("config key '" + key + "' " + why);
    this.key = key;
  }

  public String key() {
    return key;
  }
}
