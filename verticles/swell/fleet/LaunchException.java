package swell.fleet;

/**
 * A launch that failed. {@code retryable} errors (capacity, throttling, a transient fault) are
 * tried again after a back-off; the others (permissions, bad parameters) stop launching until
 * someone fixes the config, since trying again would only fail the same way.
 */
public final class LaunchException extends RuntimeException {
  private final boolean retryable;
  private final String code;

  public LaunchException(String code, String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.retryable = retryable;
  }

  public boolean retryable() {
    return retryable;
  }

  public String code() {
    return code;
  }
}
