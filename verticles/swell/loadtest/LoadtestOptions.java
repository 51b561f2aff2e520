package swell.loadtest;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.List;

/**
 * One load test's settings, already checked by {@link LoadtestCommand}.
 *
 * @param warmupReport print the enqueue rate of every interval of {@link EnqueueIntervals#WORKS_PER_INTERVAL} works
 * @param clientKey the key sent as {@code Authorization: Bearer}, or null; never written to a report
 */
record LoadtestOptions(List<String> urls, int clients, int works, int bodyBytes, long iterations, double rate,
                       Duration timeout, Duration requestTimeout, boolean verify, long seed, int top, int pullers,
                       boolean enqueueOnly, int warmupWorks, boolean warmupReport, String clientKey) {

  boolean openLoop() {
    return rate > 0;
  }

  /** The same run with another number of works, as the warm-up uses it. */
  LoadtestOptions withWorks(int n, boolean verifyThem) {
    return new LoadtestOptions(urls, clients, n, bodyBytes, iterations, rate, timeout, requestTimeout, verifyThem,
        seed, top, pullers, enqueueOnly, 0, false, clientKey);
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
        .put("enqueueOnly", enqueueOnly)
        .put("warmupWorks", warmupWorks)
        .put("warmupReport", warmupReport);
  }
}
