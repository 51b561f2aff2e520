package swell;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.dns.AddressResolverOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import swell.common.ConfigException;
import swell.deploy.DeployCommand;
import swell.keys.KeysCommand;
import swell.loadtest.LoadtestCommand;
import swell.metrics.CloudWatchMetrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * The one entry point of the fat jar: {@code -conf FILE} starts the role the file names; the
 * subcommands ({@code deploy}, {@code loadtest}, {@code keys}) are tools that run and exit.
 */
@Command(name = "swell", mixinStandardHelpOptions = true, version = "swell 0.1.0",
    description = "An elastic work queue. Starts the role named by the config's \"role\" key.",
    subcommands = {CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  /** Tools that run and exit; each later part adds its command here. */
  static final List<Object> TOOLS = List.of(new DeployCommand(), new LoadtestCommand(), new KeysCommand());

  @Option(names = {"-conf", "--conf"}, paramLabel = "FILE|JSON",
      description = "the role's JSON config, as a file path or inline JSON (default: config/local.json)")
  String conf = "config/local.json";

  private Vertx vertx;
  /** Null unless the role's config names a cloudwatchNamespace. */
  private CloudWatchMetrics cloudwatch;

  public static void main(String[] args) {
    Main main = new Main();
    CommandLine cli = new CommandLine(main);
    TOOLS.forEach(cli::addSubcommand);
    int rc = cli.execute(args);
    if (main.vertx == null || rc != 0) {
      System.exit(rc);
    }
  }

  @Override
  public Integer call() {
    JsonObject json;
    Roles.Started started;
    try {
      json = readConf(conf);
      // Off the event loop: System.exit runs the shutdown hook, which waits for Vert.x to close.
      started = Roles.verticleFor(json, System.getenv(), code -> new Thread(() -> System.exit(code), "swell-exit").start());
    } catch (ConfigException | IllegalArgumentException e) {
      System.err.println("swell: " + e.getMessage());
      return 2;
    }
    // Before anything of the role logs: every line has the format and the role's ids.
    started.logging().apply();
    if (!started.cloudwatchNamespace().isEmpty()) {
      cloudwatch = CloudWatchMetrics.start(started.cloudwatchNamespace());
      cloudwatch.addTo(started.metrics().registry());
    }
    vertx = started.metrics().vertx(serverOptions());
    Runtime.getRuntime().addShutdownHook(new Thread(this::shutdown, "swell-shutdown"));
    try {
      vertx.deployVerticle(started.verticle(), new DeploymentOptions())
          .toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
      log.info("{} started", started.role());
      return 0;
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      log.error("{} failed to start: {}", started.role(), cause.getMessage(), cause);
      vertx.close();
      vertx = null;
      return 1;
    }
  }

  /**
   * DNS answers are kept at most this many seconds, by Vert.x's resolver (the database, balancers)
   * and by the JDK's (the AWS SDK): an RDS Multi-AZ failover moves the database's name to another
   * address, and a balancer must follow within seconds, not at its next restart.
   */
  static final int DNS_TTL_SECONDS = 5;

  /**
   * The role's Vert.x options: native transport where there is one, and DNS answers kept no longer
   * than {@link #DNS_TTL_SECONDS}. {@link swell.metrics.PrometheusMetrics#vertx} adds Vert.x's metrics
   * (HTTP servers and clients, pools, event loops) to them unless {@code metrics} is false.
   */
  static VertxOptions serverOptions() {
    java.security.Security.setProperty("networkaddress.cache.ttl", Integer.toString(DNS_TTL_SECONDS));
    java.security.Security.setProperty("networkaddress.cache.negative.ttl", "1");
    return new VertxOptions()
        .setPreferNativeTransport(true)
        .setAddressResolverOptions(new AddressResolverOptions().setCacheMaxTimeToLive(DNS_TTL_SECONDS)
            .setCacheNegativeTimeToLive(1));
  }

  /**
   * SIGTERM: undeploy cleanly, so a worker says it leaves and a balancer stops its children; then
   * the last minute of meters goes to CloudWatch.
   */
  private void shutdown() {
    Vertx v = vertx;
    if (v != null) {
      try {
        v.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.warn("clean shutdown did not finish: {}", e.toString());
      }
    }
    if (cloudwatch != null) {
      cloudwatch.close(); // publishes the last minute's numbers
    }
  }

  /** A path to a JSON file, or the JSON itself (child worker processes get theirs inline). */
  static JsonObject readConf(String conf) {
    String text;
    if (conf.trim().startsWith("{")) {
      text = conf;
    } else {
      try {
        text = Files.readString(Path.of(conf));
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read config file " + conf + ": " + e.getMessage());
      }
    }
    try {
      return new JsonObject(text);
    } catch (DecodeException e) {
      throw new IllegalArgumentException("config " + conf + " is not a JSON object: " + e.getMessage());
    }
  }
}
