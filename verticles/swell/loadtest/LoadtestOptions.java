package swell.loadtest;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.List;

/** One load test's settings, already checked by {@link LoadtestCommand}. */
record LoadtestOptions(List<String> urls, int clients, int works, int bodyBytes, long iterations, double rate,
                       Duration timeout, Duration requestTimeout, boolean verify, long seed, int top, int pullers,
                       boolean enqueueOnly) {

  boolean openLoop() {
    return rate > 0;
  }

  JsonObject toJson() {
    return new JsonObject()
        .put("urls", new JsonArray(urls))
        .put("clients", clients)
        .put("works", works)
        .put("bodyBytes", bodyBytes)
        .put("iterations", iterations)
        .put("rate", rate)
        .put("timeoutMs", timeout.toMillis())
        .put("requestTimeoutMs", requestTimeout.toMillis())
        .put("verify", verify)
        .put("seed", seed)
        .put("top", top)
        .put("pullers", pullers)
        .put("enqueueOnly", enqueueOnly);
  }
}
