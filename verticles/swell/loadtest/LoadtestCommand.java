package swell.loadtest;

import io.vertx.core.Vertx;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** {@code swell loadtest}: enqueues works against running endpoints, pulls them back, reports and checks. */
@Command(name = "loadtest", mixinStandardHelpOptions = true, sortOptions = false, version = "swell loadtest 0.1.0",
    description = {"Enqueues works through Swell endpoints from many concurrent clients, pulls every result back "
        + "and reports rates, latency percentiles and errors.",
        "Exit code: 0 all works came back (and verified, with --verify); 1 some did not; 2 bad arguments or an "
            + "unreachable URL."})
public final class LoadtestCommand implements Callable<Integer> {
  /** Terminals get a line rewritten in place every second; logs get a new line every few seconds. */
  private static final long TERMINAL_PROGRESS_MS = 1000;
  private static final long LOG_PROGRESS_MS = 5000;

  @Spec
  CommandSpec spec;

  @Option(names = "--url", split = ",", paramLabel = "URL",
      description = "endpoint URLs, comma-separated; clients are spread across them (default: http://localhost:5000)")
  List<String> urls = new ArrayList<>(List.of("http://localhost:5000"));

  @Option(names = "--clients", paramLabel = "N", description = "concurrent enqueueing clients (default: ${DEFAULT-VALUE})")
  int clients = 64;

  @Option(names = "--works", paramLabel = "N", description = "works to enqueue (default: ${DEFAULT-VALUE})")
  int works = 10_000;

  @Option(names = "--body-bytes", paramLabel = "N", description = "body size of each work (default: ${DEFAULT-VALUE})")
  int bodyBytes = 1024;

  @Option(names = "--iterations", paramLabel = "N", description = "sha512 rounds per work (default: ${DEFAULT-VALUE})")
  long iterations = 1;

  @Option(names = "--rate", paramLabel = "N[/s]", converter = RateConverter.class,
      description = "0: closed loop, each client sends when its last answer came; N: open loop at N works/s, "
          + "latency counted from when each was due (default: 0)")
  double rate = 0;

  @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "how long to keep pulling after the last enqueue before the rest count as missing, "
          + "e.g. 90s, 5m (default: 60s)")
  Duration timeout = Duration.ofSeconds(60);

  @Option(names = "--request-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "limit on one HTTP request (default: 30s)")
  Duration requestTimeout = Duration.ofSeconds(30);

  @Option(names = "--verify", description = "pull with acknowledgement (ackMs) and recompute every result locally; "
      + "wrong, duplicate or unknown results fail the run")
  boolean verify;

  @Option(names = "--json", paramLabel = "FILE", description = "also write the report as JSON to FILE")
  Path json;

  @Option(names = "--seed", paramLabel = "N", description = "seed of the random bodies (default: ${DEFAULT-VALUE})")
  long seed = 1;

  @Option(names = "--top", paramLabel = "N", description = "results asked for per pull (default: ${DEFAULT-VALUE})")
  int top = 1000;

  @Option(names = "--pullers", paramLabel = "N", description = "concurrent pull loops (default: ${DEFAULT-VALUE})")
  int pullers = 4;

  @Option(names = "--enqueue-only", description = "enqueue and stop: fills a queue (results are not pulled)")
  boolean enqueueOnly;

  @Option(names = "--key", paramLabel = "KEY", defaultValue = "${env:SWELL_CLIENT_KEY}",
      description = "client key for endpoints with apiKeys, sent as Authorization: Bearer (default: the "
          + "SWELL_CLIENT_KEY environment variable; prefer it, since a command line is visible to other users)")
  String key;

  @Option(names = "--warmup-works", paramLabel = "N", description = "first run N works the same way and "
      + "discard their numbers, so JIT compilation in this JVM and in Swell's is not measured (default: 0)")
  int warmupWorks;

  @Option(names = "--warmup-report", description = "print the enqueue rate of every " + EnqueueIntervals.WORKS_PER_INTERVAL
      + " works, to see how many works the Swell under test needs before its JIT is warm (run it against a fresh "
      + "Swell with --warmup-works 0)")
  boolean warmupReport;

  @Override
  public Integer call() throws Exception {
    LoadtestOptions opt = options();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    boolean terminal = System.console() != null;
    Consumer<String> progress = terminal
        ? line -> {
          err.print("\r" + line + "\033[K");
          err.flush();
        }
        : line -> {
          err.println(line);
          err.flush();
        };
    Vertx vertx = Vertx.vertx();
    try {
      if (warmupWorks > 0) {
        err.println("warm-up: " + warmupWorks + " works, not counted");
        err.flush();
        LoadRun warm = runToEnd(vertx, opt.withWorks(warmupWorks, false), line -> { }, LOG_PROGRESS_MS);
        if (!warm.report(null).ok()) {
          err.println("swell loadtest: warning: not every warm-up work came back; the run may see their results");
        }
      }
      LoadRun run = runToEnd(vertx, opt, progress, terminal ? TERMINAL_PROGRESS_MS : LOG_PROGRESS_MS);
      if (terminal) {
        err.println();
      }
      Long mismatches = null;
      if (opt.verify() && !opt.enqueueOnly()) {
        err.println("verifying " + run.ledger().completed() + " results...");
        err.flush();
        mismatches = run.ledger().verify(run.bodies(), opt.iterations());
      }
      Report report = run.report(mismatches);
      out.print(report.toText());
      out.flush();
      if (json != null) {
        try {
          Files.writeString(json, report.toJson().encodePrettily() + "\n");
        } catch (IOException e) {
          err.println("swell loadtest: cannot write " + json + ": " + e.getMessage());
          return 1;
        }
      }
      return report.ok() ? 0 : 1;
    } catch (LoadRun.UnreachableUrl u) {
      err.println("swell loadtest: " + u.getMessage());
      return 2;
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /** Deploys one run, waits for its end and undeploys it; an unreachable URL is thrown as is. */
  private static LoadRun runToEnd(Vertx vertx, LoadtestOptions opt, Consumer<String> progress, long everyMs)
      throws Exception {
    LoadRun run = new LoadRun(opt, progress, everyMs);
    String id;
    try {
      id = vertx.deployVerticle(run).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof LoadRun.UnreachableUrl u) {
        throw u;
      }
      throw e;
    }
    run.finished().toCompletionStage().toCompletableFuture().get();
    vertx.undeploy(id).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return run;
  }

  /** Checks every argument; a bad one is a ParameterException, which picocli reports with exit code 2. */
  LoadtestOptions options() {
    List<String> clean = new ArrayList<>();
    for (String u : urls) {
      clean.add(checkUrl(u.trim()));
    }
    if (clean.isEmpty()) {
      throw bad("--url must name at least one endpoint");
    }
    atLeast("--clients", clients, 1);
    atLeast("--works", works, 1);
    atLeast("--body-bytes", bodyBytes, 0);
    atLeast("--iterations", iterations, 1);
    atLeast("--top", top, 1);
    atLeast("--pullers", pullers, 1);
    atLeast("--warmup-works", warmupWorks, 0);
    if (timeout.isNegative()) {
      throw bad("--timeout must not be negative");
    }
    if (requestTimeout.toMillis() < 1) {
      throw bad("--request-timeout must be at least 1ms");
    }
    if (json != null) {
      Path dir = json.toAbsolutePath().getParent();
      if (dir != null && !Files.isDirectory(dir)) {
        throw bad("--json: directory " + dir + " does not exist");
      }
    }
    return new LoadtestOptions(List.copyOf(clean), clients, works, bodyBytes, iterations, rate, timeout,
        requestTimeout, verify, seed, top, pullers, enqueueOnly, warmupWorks, warmupReport,
        key == null || key.isBlank() ? null : key.trim());
  }

  private String checkUrl(String u) {
    try {
      URI uri = URI.create(u);
      if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
        return u.endsWith("/") ? u.substring(0, u.length() - 1) : u;
      }
    } catch (IllegalArgumentException e) {
      // falls through to the message below
    }
    throw bad("--url: \"" + u + "\" is not an http:// URL with a host, such as http://localhost:5000");
  }

  private void atLeast(String name, long value, long min) {
    if (value < min) {
      throw bad(name + " must be at least " + min + ", not " + value);
    }
  }

  private ParameterException bad(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  /** {@code 5000} or {@code 5000/s}: works per second; 0 means closed loop. */
  static final class RateConverter implements CommandLine.ITypeConverter<Double> {
    @Override
    public Double convert(String value) {
      String v = value.trim().toLowerCase(Locale.ROOT);
      if (v.endsWith("/s")) {
        v = v.substring(0, v.length() - 2);
      }
      double rate;
      try {
        rate = Double.parseDouble(v);
      } catch (NumberFormatException e) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a rate such as 5000/s");
      }
      if (!(rate >= 0) || Double.isInfinite(rate)) {
        throw new CommandLine.TypeConversionException("'" + value + "' must be 0 (closed loop) or a positive rate");
      }
      return rate;
    }
  }

  /** {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}; a bare number is seconds. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.trim().toLowerCase(Locale.ROOT);
      try {
        if (v.endsWith("ms")) {
          return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
        }
        if (v.endsWith("s")) {
          return Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 1000));
        }
        if (v.endsWith("m")) {
          return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)) * 60);
        }
        if (v.endsWith("h")) {
          return Duration.ofHours(Long.parseLong(v.substring(0, v.length() - 1)));
        }
        return Duration.ofMillis(Math.round(Double.parseDouble(v) * 1000));
      } catch (NumberFormatException e) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a duration such as 500ms, 30s or 5m");
      }
    }
  }
}
