package swell.bench;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What losing a balancer costs the clients of {@code bench/ha.sh}: enqueues at a steady rate (open
 * loop: each is due at its time whatever the answers do, so a stall shows) spread over the given
 * endpoints for a number of seconds, while the script kills a balancer. It counts the enqueues that
 * were refused (anything but 200, or no answer) or answered later than {@code --late-ms} after they
 * were due, and prints them as seconds of traffic at that rate, with when the first and last such
 * enqueue were due. One JSON line on stdout.
 *
 * <p>{@code java -cp swell.jar swell.bench.FailoverProbe URL[,URL...] RATE SECONDS [LATE_MS]}
 */
public final class FailoverProbe {
  /** Sends are issued in slices this long: RATE x 10 ms at a time. */
  private static final long SLICE_MS = 10;
  private static final int BODY_BYTES = 1024;

  private FailoverProbe() {
  }

  public static void main(String[] args) throws Exception {
    List<URI> urls = new ArrayList<>();
    for (String u : args[0].split(",")) {
      urls.add(URI.create(u));
    }
    int rate = Integer.parseInt(args[1]);
    int seconds = Integer.parseInt(args[2]);
    long lateMs = args.length > 3 ? Long.parseLong(args[3]) : 1_000;
    Vertx vertx = Vertx.vertx();
    HttpClientAgent http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
        new PoolOptions().setHttp1MaxSize(64));
    byte[] bytes = new byte[BODY_BYTES];
    new Random(1).nextBytes(bytes);
    Buffer body = Buffer.buffer(bytes);

    long total = (long) rate * seconds;
    AtomicLong ok = new AtomicLong();
    AtomicLong refused = new AtomicLong();
    AtomicLong late = new AtomicLong();
    java.util.Map<String, Long> reasons = new java.util.concurrent.ConcurrentHashMap<>();
    AtomicLong firstBadDue = new AtomicLong(Long.MAX_VALUE);
    AtomicLong lastBadDue = new AtomicLong(Long.MIN_VALUE);
    CountDownLatch done = new CountDownLatch(1);
    AtomicLong answered = new AtomicLong();
    long start = System.nanoTime();
    long[] sent = {0};
    vertx.setPeriodic(SLICE_MS, timer -> {
      long dueNow = Math.min(total, (System.nanoTime() - start) / 1_000_000 * rate / 1_000);
      for (; sent[0] < dueNow; sent[0]++) {
        long i = sent[0];
        long dueMs = i * 1_000 / rate;
        URI u = urls.get((int) (i % urls.size()));
        RequestOptions req = new RequestOptions().setMethod(HttpMethod.PUT).setHost(u.getHost()).setPort(u.getPort())
            .setURI("/enqueue?iterations=1").setIdleTimeout(30_000);
        http.request(req).compose(r -> r.send(body)).compose(resp -> resp.body().map(b -> resp.statusCode()))
            .onComplete(ar -> {
              long tookMs = (System.nanoTime() - start) / 1_000_000 - dueMs;
              boolean good = ar.succeeded() && ar.result() == 200;
              if (good && tookMs <= lateMs) {
                ok.incrementAndGet();
              } else {
                (good ? late : refused).incrementAndGet();
                String why = good ? "late" : ar.succeeded() ? "status " + ar.result() : ar.cause().getClass().getSimpleName();
                reasons.merge(why, 1L, Long::sum);
                firstBadDue.accumulateAndGet(dueMs, Math::min);
                lastBadDue.accumulateAndGet(dueMs, Math::max);
              }
              if (answered.incrementAndGet() == total) {
                done.countDown();
              }
            });
      }
      if (sent[0] >= total) {
        vertx.cancelTimer(timer);
      }
    });
    boolean finished = done.await(seconds + 60L, TimeUnit.SECONDS);
    long bad = refused.get() + late.get();
    JsonObject out = new JsonObject()
        .put("rate", rate)
        .put("seconds", seconds)
        .put("sent", total)
        .put("finished", finished)
        .put("ok", ok.get())
        .put("refused", refused.get())
        .put("lateOver" + lateMs + "Ms", late.get())
        .put("badSeconds", Math.round(bad * 1000.0 / rate) / 1000.0)
        .put("firstBadDueMs", bad == 0 ? null : firstBadDue.get())
        .put("lastBadDueMs", bad == 0 ? null : lastBadDue.get())
        .put("reasons", new JsonObject(new java.util.HashMap<>(reasons)));
    System.out.println(out.encode());
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
