package swell.loadtest;

import io.vertx.core.json.JsonObject;

/**
 * What a load test measured, printed for people and written as JSON for scripts; it also decides
 * whether the run passed.
 *
 * @param answered200 enqueues answered 200 (more than {@code accepted} when ids repeat)
 * @param accepted distinct ids the enqueues were answered with
 * @param mismatches results that differ from the local recomputation, or null without {@code --verify}
 * @param redelivered results handed out again after their acknowledgement failed (counted once, not a fault)
 * @param client the load generator's own CPU over the run: near all its cores, it was the limit
 * @param intervals the enqueue rate per interval of works, to see how long the Swell under test took to warm up
 */
record Report(LoadtestOptions options, long answered200, long accepted, long failedEnqueues, long retries, double enqueueSeconds,
              double endToEndSeconds, long completed, long missing, long duplicateResults, long redelivered,
              long duplicateIds,
              long unknown, Long mismatches, boolean timedOut, LatencyHistogram.Summary enqueueLatency,
              LatencyHistogram.Summary resultLatency, ErrorTally errors, ClientCpu.Usage client,
              EnqueueIntervals intervals) {

  double enqueueRate() {
    return enqueueSeconds > 0 ? answered200 / enqueueSeconds : 0;
  }

  double completionRate() {
    return endToEndSeconds > 0 ? completed / endToEndSeconds : 0;
  }

  /**
   * Passed: every work was accepted and came back; with {@code --verify} also every result right,
   * none pulled twice, no id given twice, nothing pulled that this run did not enqueue.
   */
  boolean ok() {
    if (failedEnqueues > 0 || (!options.enqueueOnly() && missing > 0)) {
      return false;
    }
    return !options.verify() || (mismatches != null && mismatches == 0 && duplicateResults == 0
        && duplicateIds == 0 && unknown == 0);
  }

  JsonObject toJson() {
    JsonObject enqueue = new JsonObject()
        .put("requested", options.works())
        .put("answered200", answered200)
        .put("accepted", accepted)
        .put("failed", failedEnqueues)
        .put("retriesAfter503", retries)
        .put("seconds", enqueueSeconds)
        .put("perSecond", enqueueRate())
        .put("latencyMs", enqueueLatency.toJson())
        .put("intervals", intervals.toJson());
    JsonObject out = new JsonObject()
        .put("options", options.toJson())
        .put("enqueue", enqueue);
    if (!options.enqueueOnly()) {
      out.put("results", new JsonObject()
          .put("completed", completed)
          .put("missing", missing)
          .put("duplicateResults", duplicateResults)
          .put("redelivered", redelivered)
          .put("duplicateIds", duplicateIds)
          .put("unknownIds", unknown)
          .put("mismatches", mismatches)
          .put("timedOut", timedOut)
          .put("endToEndSeconds", endToEndSeconds)
          .put("perSecond", completionRate())
          .put("enqueueToResultLatencyMs", resultLatency.toJson()));
    }
    out.put("client", new JsonObject()
        .put("cpuSeconds", client.known() ? client.cpuSeconds() : null)
        .put("wallSeconds", client.wallSeconds())
        .put("cpuCores", client.known() ? client.busyCores() : null)
        .put("availableCores", client.availableCores()));
    return out.put("errors", errors.toJson()).put("ok", ok());
  }

  String toText() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("swell loadtest: %d works of %d bytes x %d iterations, %d clients (%s), %d URL%s%n",
        options.works(), options.bodyBytes(), options.iterations(), options.clients(),
        options.openLoop() ? String.format("open loop, %.0f/s", options.rate()) : "closed loop",
        options.urls().size(), options.urls().size() == 1 ? "" : "s"));
    sb.append(String.format("enqueue    %d accepted, %d failed in %.2f s: %.0f works/s; %d retries after 503%n",
        answered200, failedEnqueues, enqueueSeconds, enqueueRate(), retries));
    sb.append(String.format("           latency %s%n", enqueueLatency.toText()));
    EnqueueIntervals.Settled settled = intervals.settled();
    if (settled != null) {
      sb.append(String.format("           rate %s%n", settled.toText()));
    }
    if (options.warmupReport()) {
      sb.append(String.format("           per %d works:%n", EnqueueIntervals.WORKS_PER_INTERVAL)).append(intervals.toTable());
    }
    if (!options.enqueueOnly()) {
      sb.append(String.format("results    %d completed, %d missing%s; %.2f s end to end: %.0f works/s%n",
          completed, missing, timedOut ? " (timed out)" : "", endToEndSeconds, completionRate()));
      sb.append(String.format("           enqueue to result %s%n", resultLatency.toText()));
      sb.append(String.format("checks     %s, %d pulled twice, %d ids given twice, %d unknown ids%s%n",
          mismatches == null ? "not verified" : completed + " recomputed, " + mismatches + " wrong",
          duplicateResults, duplicateIds, unknown,
          redelivered == 0 ? "" : "; " + redelivered + " came back unacknowledged (counted once)"));
    }
    sb.append(String.format("client     %s%n", client.toText()));
    sb.append(String.format("errors     %s%n", errors.toText()));
    sb.append(ok() ? "OK" : "FAILED").append(System.lineSeparator());
    return sb.toString();
  }
}
