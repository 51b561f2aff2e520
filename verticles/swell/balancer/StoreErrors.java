package swell.balancer;

import swell.common.ApiError;
import swell.store.StoreUnavailableException;

import java.util.concurrent.CompletionException;

/** How a store's failure reaches a client: one that took no effect is a 503 to retry; anything else stays a 500. */
final class StoreErrors {
  private StoreErrors() {
  }

  static Throwable toApi(Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    if (cause instanceof StoreUnavailableException s) {
      return ApiError.unavailable("store_unavailable", "the store cannot take this request right now ("
          + s.getMessage() + "); nothing of it took effect, retry later", 1);
    }
    return cause;
  }
}
