package swell.store;

/**
 * The store could not carry out an operation, and nothing of it took effect: a write that failed
 * and was rolled back, a database out of reach, or a store that broke for good ({@code fatal}: the
 * process should be restarted). Callers answer {@code 503 store_unavailable}.
 */
public final class StoreUnavailableException extends RuntimeException {
  private final boolean fatal;

  public StoreUnavailableException(String message, Throwable cause, boolean fatal) {
    super(message, cause);
    this.fatal = fatal;
  }

  public boolean fatal() {
    return fatal;
  }
}
