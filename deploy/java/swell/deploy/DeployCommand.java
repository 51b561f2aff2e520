package swell.deploy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import swell.common.ConfigException;
import swell.common.ConfigReader;
import swell.fleet.AwsErrors;
import swell.fleet.AwsSettings;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;

/**
 * {@code swell deploy up|status|down}: the command line around {@link Deployment}. It runs its own
 * Vert.x, and only its main thread waits, on the final future of the whole command.
 */
@Command(name = "deploy", mixinStandardHelpOptions = true,
    description = "Runs Swell on AWS: provisions, shows and removes one cluster (see the README, Running on AWS).",
    subcommands = {DeployCommand.Up.class, DeployCommand.Status.class, DeployCommand.Key.class,
        DeployCommand.Down.class})
public final class DeployCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** The options every subcommand takes. */
  static final class Options {
    @Option(names = {"-conf", "--conf"}, paramLabel = "FILE", defaultValue = "config/deploy.json",
        description = "the deploy config (default: ${DEFAULT-VALUE})")
    Path conf;

    @Option(names = "--region", paramLabel = "REGION",
        description = "AWS region; overrides the config's \"region\" and the default chain")
    String region;

    @Option(names = "--profile", paramLabel = "NAME",
        description = "profile in ~/.aws/credentials and ~/.aws/config (default: the standard chain)")
    String profile;
  }

  @Command(name = "up", mixinStandardHelpOptions = true,
      description = "Creates or completes the cluster: security groups, IAM roles, bucket, balancers and endpoints, "
          + "and with store postgres the RDS database. Running it again changes nothing that is in place.")
  static final class Up implements Callable<Integer> {
    @Mixin
    Options options;

    @Option(names = "--no-wait", description = "return after launching, without waiting for the endpoints' /ready "
        + "(an RDS database is still waited for: the balancers' config names its address)")
    boolean noWait;

    @Override
    public Integer call() {
      return execute(options, "up", d -> d.up(!noWait));
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Shows the cluster's instances by role and state, its other resources and the endpoint URLs.")
  static final class Status implements Callable<Integer> {
    @Mixin
    Options options;

    @Override
    public Integer call() {
      return execute(options, "status", d -> d.status().onSuccess(s -> s.print(System.out)));
    }
  }

  @Command(name = "key", mixinStandardHelpOptions = true,
      description = "Prints a client key of the cluster (the one up made is named default), for clients to send as "
          + "'Authorization: Bearer <key>'. Only the key goes to standard output.")
  static final class Key implements Callable<Integer> {
    @Mixin
    Options options;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", defaultValue = ClusterNames.DEFAULT_CLIENT_KEY,
        description = "the key's name (default: ${DEFAULT-VALUE})")
    String name;

    @Override
    public Integer call() {
      if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
        System.err.println("swell deploy key: a key's name is 1 to 64 letters, digits, '.', '_' or '-', not \""
            + name + "\"");
        return 2;
      }
      return execute(options, "key", d -> d.key(name).onSuccess(System.out::println));
    }
  }

  @Command(name = "down", mixinStandardHelpOptions = true,
      description = "Terminates every instance of the cluster (autoscaled workers too), waits until they are gone, "
          + "then deletes the RDS database (keeping a final snapshot unless dbFinalSnapshot is false), the groups, "
          + "instance profiles, roles, policies and the bucket.")
  static final class Down implements Callable<Integer> {
    @Mixin
    Options options;

    @Override
    public Integer call() {
      return execute(options, "down", Deployment::down);
    }
  }

  /** Exit codes: 0 done, 1 AWS or the instances said no, 2 the config or the command line is wrong. */
  static int execute(Options o, String what, Function<Deployment, Future<?>> action) {
    PrintStream err = System.err;
    DeployConfig cfg;
    AwsSettings aws;
    try {
      cfg = readConfig(o.conf);
      String region = o.region != null ? o.region : cfg.region();
      if (region.isEmpty()) {
        region = defaultRegion(o.profile);
      }
      cfg = cfg.withRegion(region);
      aws = new AwsSettings(region, cfg.endpointUrl(), credentials(o.profile),
          Duration.ofMillis(cfg.apiCallTimeoutMs()), Duration.ofMillis(cfg.apiCallAttemptTimeoutMs()));
    } catch (ConfigException | IllegalArgumentException e) {
      err.println("swell deploy " + what + ": " + e.getMessage());
      return 2;
    }
    Vertx vertx = Vertx.vertx();
    try (AwsClients clients = new AwsClients(vertx, aws)) {
      Deployment deployment = new Deployment(vertx, clients, cfg, System.out);
      action.apply(deployment).toCompletionStage().toCompletableFuture().get();
      return 0;
    } catch (ExecutionException e) {
      Throwable cause = AwsErrors.unwrap(e);
      String code = AwsErrors.code(cause);
      err.println("swell deploy " + what + " failed: " + (code.isEmpty() ? "" : code + ": ") + AwsErrors.message(cause));
      if (cause instanceof ConfigException) {
        return 2;
      }
      if (cause instanceof SdkClientException && String.valueOf(cause.getMessage()).contains("credentials")) {
        err.println("  AWS credentials come from the standard chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            + "~/.aws/credentials, or --profile NAME");
      }
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    } finally {
      vertx.close();
    }
  }

  static DeployConfig readConfig(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
    }
    JsonObject json;
    try {
      json = new JsonObject(text);
    } catch (DecodeException e) {
      throw new IllegalArgumentException(file + " is not a JSON object: " + e.getMessage());
    }
    ConfigReader r = new ConfigReader(json, System.getenv());
    DeployConfig cfg = DeployConfig.from(r, json);
    r.rejectUnknown();
    return cfg;
  }

  private static String defaultRegion(String profile) {
    try {
      DefaultAwsRegionProviderChain.Builder chain = DefaultAwsRegionProviderChain.builder();
      if (profile != null) {
        chain.profileName(profile);
      }
      return chain.build().getRegion().id();
    } catch (SdkClientException e) {
      throw new IllegalArgumentException("no AWS region: set \"region\" in deploy.json, pass --region, "
          + "or set AWS_REGION");
    }
  }

  private static AwsCredentialsProvider credentials(String profile) {
    DefaultCredentialsProvider.Builder b = DefaultCredentialsProvider.builder();
    if (profile != null) {
      b.profileName(profile);
    }
    return b.build();
  }
}
