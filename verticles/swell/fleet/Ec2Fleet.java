package swell.fleet;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.services.ec2.Ec2AsyncClient;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.HttpTokensState;
import software.amazon.awssdk.services.ec2.model.IamInstanceProfileSpecification;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataEndpointState;
import software.amazon.awssdk.services.ec2.model.RunInstancesRequest;
import software.amazon.awssdk.services.ec2.model.ShutdownBehavior;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.TerminateInstancesRequest;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Workers as EC2 instances: one method per EC2 call, each a Vert.x {@link Future} completed on
 * the caller's context. Every instance carries the cluster's tags, which is how a restarted
 * balancer finds (and adopts) the workers it launched, and all the balancer's IAM role lets it
 * run or terminate.
 */
public final class Ec2Fleet implements Fleet {
  private static final Logger log = LoggerFactory.getLogger(Ec2Fleet.class);

  /** Tag keys shared with {@code swell.deploy}: its {@code down} terminates by the cluster tag. */
  public static final String TAG_CLUSTER = "swell:cluster";
  public static final String TAG_ROLE = "swell:role";
  public static final String TAG_WORKER_ID = "swell:worker-id";

  private final Vertx vertx;
  private final Ec2FleetConfig cfg;
  private final Ec2AsyncClient ec2;
  private final String userDataTemplate;
  private final String balancerUrl;
  private final int workerThreads;
  private final List<String> jvmOptions;

  /**
   * @param balancerUrl where workers reach the balancer, unless {@code fleet.ec2.balancerUrl} says otherwise
   * @param credentials the default chain in production (on EC2: the balancer's instance role)
   */
  public Ec2Fleet(Vertx vertx, FleetConfig fleet, String balancerUrl, AwsCredentialsProvider credentials) {
    this.vertx = vertx;
    this.cfg = fleet.ec2();
    this.balancerUrl = cfg.balancerUrl().isEmpty() ? balancerUrl : cfg.balancerUrl();
    this.workerThreads = fleet.workerThreads();
    this.jvmOptions = fleet.jvmOptions();
    this.userDataTemplate = UserData.template(cfg.userDataFile());
    AwsSettings aws = new AwsSettings(cfg.region(), cfg.endpointUrl(), credentials, cfg.apiCallTimeout(),
        cfg.apiCallAttemptTimeout());
    this.ec2 = aws.configure(Ec2AsyncClient.builder())
        .httpClientBuilder(NettyNioAsyncHttpClient.builder().maxConcurrency(16))
        .build();
    // Render once now so a bad value fails the balancer's start, not its first launch.
    workerUserData("w-check");
  }

  /**
   * The default chain (on EC2: the balancer's instance role). Against an emulator
   * ({@code endpointUrl} set) without credentials anywhere, placeholder ones: emulators accept any
   * signature, and a local test should not need AWS settings in its environment.
   */
  public static AwsCredentialsProvider credentials(Ec2FleetConfig cfg) {
    AwsCredentialsProvider chain = DefaultCredentialsProvider.builder().build();
    if (cfg.endpointUrl().isEmpty()) {
      return chain;
    }
    return AwsCredentialsProviderChain.of(chain,
        StaticCredentialsProvider.create(AwsBasicCredentials.create("emulator", "emulator")));
  }

  @Override
  public String type() {
    return "ec2";
  }

  @Override
  public Future<FleetMember> launch(String workerId) {
    RunInstancesRequest.Builder req;
    try {
      req = runInstancesRequest(workerId);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(new LaunchException("InvalidUserData", e.getMessage(), false, e));
    }
    return runInstances(req.build())
        .recover(e -> mayHaveLaunched(e) ? launchedAnyway(workerId, (LaunchException) e) : Future.failedFuture(e))
        .map(instance -> {
          log.info("launched worker {} as {}", workerId, instance.instanceId());
          return new FleetMember(workerId, instance.instanceId(), System.currentTimeMillis());
        });
  }

  /**
   * A RunInstances that got no answer (a timeout, a broken connection) or a fault on AWS's side
   * may have started the instance all the same; one that EC2 refused (4xx) did not.
   */
  static boolean mayHaveLaunched(Throwable e) {
    if (!(e instanceof LaunchException le) || !le.retryable()) {
      return false;
    }
    return AwsErrors.code(le.getCause()).isEmpty() || AwsErrors.status(le.getCause()) >= 500;
  }

  /**
   * The instance a failed RunInstances started after all, found by its worker id tag, so it is
   * managed (and terminated when idle) instead of running unknown; the launch's own failure when
   * there is none.
   */
  private Future<Instance> launchedAnyway(String workerId, LaunchException failure) {
    DescribeInstancesRequest req = DescribeInstancesRequest.builder()
        .filters(
            filter("tag:" + TAG_CLUSTER, cfg.clusterName()),
            filter("tag:" + TAG_WORKER_ID, workerId),
            filter("instance-state-name", "pending", "running"))
        .build();
    return call("DescribeInstances", ec2.describeInstances(req))
        .<Instance>compose(resp -> resp.reservations().stream().flatMap(r -> r.instances().stream())
            .min(Comparator.comparing(Instance::launchTime, Comparator.nullsLast(Comparator.naturalOrder())))
            .map(i -> {
              log.warn("{}; worker {} was launched all the same, as {}", failure.getMessage(), workerId,
                  i.instanceId());
              return Future.succeededFuture(i);
            })
            .orElseGet(() -> Future.failedFuture(failure)))
        .recover(e -> {
          if (e != failure) {
            failure.addSuppressed(e);
          }
          return Future.failedFuture(failure);
        });
  }

  @Override
  public Future<Void> terminate(FleetMember member) {
    return terminateInstances(List.of(member.instanceId()))
        .onSuccess(v -> log.info("terminated worker {} ({})", member.workerId(), member.instanceId()));
  }

  @Override
  public Future<List<FleetMember>> list() {
    return describeWorkers(null, new ArrayList<>());
  }

  @Override
  public Future<Void> close() {
    // Instances outlive the balancer on purpose: the next one adopts them.
    ec2.close();
    return Future.succeededFuture();
  }

  RunInstancesRequest.Builder runInstancesRequest(String workerId) {
    List<Tag> tags = List.of(
        tag(TAG_CLUSTER, cfg.clusterName()),
        tag(TAG_ROLE, "worker"),
        tag(TAG_WORKER_ID, workerId),
        tag("Name", "swell-" + cfg.clusterName() + "-" + workerId));
    RunInstancesRequest.Builder req = RunInstancesRequest.builder()
        .imageId(cfg.amiId())
        .instanceType(cfg.instanceType())
        .minCount(1)
        .maxCount(1)
        // A worker that powers itself off (retired, or its boot failed) must not linger stopped.
        .instanceInitiatedShutdownBehavior(ShutdownBehavior.TERMINATE)
        // EC2 makes a retried RunInstances with the same token launch nothing twice.
        .clientToken(workerId.length() <= 64 ? workerId : workerId.substring(0, 64))
        // IMDSv2 only: instance metadata (and the worker role's credentials in it) answers only a
        // PUT-then-GET with a session token, which a forged server-side GET cannot make.
        .metadataOptions(m -> m.httpTokens(HttpTokensState.REQUIRED)
            .httpEndpoint(InstanceMetadataEndpointState.ENABLED))
        .userData(workerUserData(workerId))
        .tagSpecifications(
            TagSpecification.builder().resourceType(ResourceType.INSTANCE).tags(tags).build(),
            TagSpecification.builder().resourceType(ResourceType.VOLUME).tags(tags).build());
    if (!cfg.subnetId().isEmpty()) {
      req.subnetId(cfg.subnetId());
    }
    if (!cfg.securityGroupIds().isEmpty()) {
      req.securityGroupIds(cfg.securityGroupIds());
    }
    if (!cfg.instanceProfile().isEmpty()) {
      req.iamInstanceProfile(cfg.instanceProfile().startsWith("arn:")
          ? IamInstanceProfileSpecification.builder().arn(cfg.instanceProfile()).build()
          : IamInstanceProfileSpecification.builder().name(cfg.instanceProfile()).build());
    }
    if (!cfg.keyName().isEmpty()) {
      req.keyName(cfg.keyName());
    }
    return req;
  }

  private String workerUserData(String workerId) {
    Map<String, String> env = new LinkedHashMap<>();
    // Balancers sharing one database are all the workers': any one of them may be down.
    env.put("SWELL_BALANCER_URLS", cfg.balancerUrls().isEmpty() ? balancerUrl : String.join(",", cfg.balancerUrls()));
    env.put("SWELL_WORKER_ID", workerId);
    if (workerThreads > 0) {
      env.put("SWELL_THREADS", Integer.toString(workerThreads));
    }
    return new UserData("worker", cfg.region(), cfg.bucket(), cfg.jarKey(), cfg.configKey(), cfg.tokenKey(),
        cfg.javaPackage(), jvmOptions, env, "").withLogGroup(cfg.logGroup()).renderBase64(userDataTemplate);
  }

  /** EC2 RunInstances: the one launched instance, or a classified {@link LaunchException}. */
  Future<Instance> runInstances(RunInstancesRequest req) {
    return call("RunInstances", ec2.runInstances(req))
        .map(resp -> resp.instances().get(0));
  }

  /** EC2 TerminateInstances; an instance that is already gone counts as terminated. */
  Future<Void> terminateInstances(List<String> instanceIds) {
    return call("TerminateInstances", ec2.terminateInstances(TerminateInstancesRequest.builder()
        .instanceIds(instanceIds).build()))
        .<Void>mapEmpty()
        .recover(e -> e instanceof LaunchException le && le.code().startsWith("InvalidInstanceID")
            ? Future.succeededFuture() : Future.failedFuture(e));
  }

  /** EC2 DescribeInstances for this cluster's pending and running workers, page by page. */
  Future<List<FleetMember>> describeWorkers(String nextToken, List<FleetMember> found) {
    DescribeInstancesRequest req = DescribeInstancesRequest.builder()
        .filters(
            filter("tag:" + TAG_CLUSTER, cfg.clusterName()),
            filter("tag:" + TAG_ROLE, "worker"),
            filter("instance-state-name", "pending", "running"))
        .nextToken(nextToken)
        .build();
    return call("DescribeInstances", ec2.describeInstances(req)).compose((DescribeInstancesResponse resp) -> {
      resp.reservations().forEach(r -> r.instances().forEach(i -> found.add(member(i))));
      return resp.nextToken() == null || resp.nextToken().isEmpty()
          ? Future.succeededFuture(List.copyOf(found))
          : describeWorkers(resp.nextToken(), found);
    });
  }

  private static FleetMember member(Instance i) {
    // A worker without our id tag was tagged by someone else's hand; its instance id stands in.
    String workerId = tagValue(i, TAG_WORKER_ID).orElse(i.instanceId());
    long launched = i.launchTime() == null ? System.currentTimeMillis() : i.launchTime().toEpochMilli();
    return new FleetMember(workerId, i.instanceId(), launched);
  }

  static Optional<String> tagValue(Instance i, String key) {
    return i.tags().stream().filter(t -> key.equals(t.key())).map(Tag::value).findFirst();
  }

  private <T> Future<T> call(String name, CompletableFuture<T> cf) {
    Context context = vertx.getOrCreateContext();
    return Future.fromCompletionStage(cf, context)
        .recover(e -> Future.failedFuture(AwsErrors.classify(name, e)));
  }

  private static Tag tag(String key, String value) {
    return Tag.builder().key(key).value(value).build();
  }

  private static Filter filter(String name, String... values) {
    return Filter.builder().name(name).values(values).build();
  }
}
