package swell.deploy;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.ShutdownBehavior;
import software.amazon.awssdk.services.ec2.model.Subnet;
import swell.Roles;
import swell.common.ConfigException;
import swell.fleet.UserData;
import swell.keys.ClientKey;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code deploy up}, {@code status} and {@code down} as chains of async AWS calls on one Vert.x
 * context. Each step looks before it creates, so {@code up} can run again and {@code down} can
 * clean up after an {@code up} that stopped half-way.
 */
public final class Deployment {
  /** What {@code up} did and where the endpoints answer. */
  public record UpResult(List<String> changes, String balancerPrivateIp, List<String> endpointUrls) {
  }

  private final Vertx vertx;
  private final Context context;
  private final AwsClients aws;
  private final DeployConfig cfg;
  private final Progress progress;
  private HttpClient http;

  /** {@code cfg.region()} must be resolved: it names the bucket and goes into every config. */
  public Deployment(Vertx vertx, AwsClients aws, DeployConfig cfg, PrintStream out) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.aws = aws;
    this.cfg = cfg;
    this.progress = new Progress(out);
  }

  public Future<UpResult> up(boolean waitForReady) {
    return onContext(() -> names().compose(names -> up(names, waitForReady)));
  }

  public Future<DeployStatus> status() {
    return onContext(() -> names().compose(this::status));
  }

  /** The client key {@code name} as the cluster's bucket holds it. */
  public Future<String> key(String name) {
    return onContext(() -> names().compose(names -> new ArtifactBucket(aws, names, progress).clientKey(name)
        .compose(key -> key != null ? Future.succeededFuture(key) : Future.failedFuture(new IllegalStateException(
            "cluster " + names.cluster() + " has no client key named " + name + " (s3://" + names.bucket() + "/"
                + ClusterNames.clientKeyKey(name) + "); deploy up makes one named "
                + ClusterNames.DEFAULT_CLIENT_KEY)))));
  }

  /** Removes everything; answers what it deleted. */
  public Future<List<String>> down() {
    return onContext(() -> names().compose(this::down));
  }

  private <T> Future<T> onContext(Supplier<Future<T>> flow) {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> {
      try {
        flow.get().onComplete(p);
      } catch (RuntimeException e) {
        p.fail(e);
      }
    });
    return p.future().andThen(r -> {
      if (http != null) {
        http.close();
        http = null;
      }
    });
  }

  private Future<ClusterNames> names() {
    return aws.call(aws.sts.getCallerIdentity())
        .map(id -> ClusterNames.of(cfg.clusterName(), id.account(), cfg.region(), cfg.bucket()));
  }

  // ---- up

  private Future<UpResult> up(ClusterNames names, boolean waitForReady) {
    progress.say("deploy up: cluster " + names.cluster() + " in " + names.region() + " (account " + names.account()
        + ")");
    ArtifactBucket bucket = new ArtifactBucket(aws, names, progress);
    ClusterInstances instances = new ClusterInstances(aws, names);
    return subnet()
        // The bucket first: one that is not this cluster's stops up before anything is created.
        .compose(subnet -> bucket.ensure().map(subnet))
        .compose(subnet -> new SecurityGroups(aws, names, progress).ensure(subnet.vpcId(), cfg)
            .map(groups -> new Site(subnet, groups)))
        .compose(site -> new InstanceRoles(aws, names, cfg.workerInstanceType(), progress).ensure()
            .compose(v -> bucket.ensureToken())
            .compose(v -> bucket.ensureClientKey(ClusterNames.DEFAULT_CLIENT_KEY))
            .compose(clientKey -> bucket.putJar(cfg.jar()).compose(v -> amiId())
                .compose(ami -> putConfigs(bucket, roleConfigs(names, ami, site, clientKey)).map(ami)))
            .compose(ami -> ensureBalancer(names, instances, ami, site)
                .compose(balancer -> ensureEndpoints(names, instances, ami, site, balancer.privateIpAddress())
                    .map(balancer))))
        .compose(balancer -> {
          String balancerIp = balancer.privateIpAddress();
          Future<List<String>> urls = waitForReady
              ? awaitReady(instances, new Deadline(vertx, cfg.readyTimeoutMs(), cfg.pollIntervalMs()))
              : instances.find(ClusterNames.ENDPOINT, ClusterInstances.LIVE).map(Deployment::urls);
          return urls.map(u -> {
            printSummary(balancerIp, u, waitForReady);
            return new UpResult(progress.changes(), balancerIp, u);
          });
        });
  }

  /** Where {@code up} launches: the subnet (its zone, its VPC) and the two security groups. */
  record Site(Subnet subnet, SecurityGroups.Ids groups) {
  }

  private Future<Void> putConfigs(ArtifactBucket bucket, Map<String, JsonObject> configs) {
    Future<Void> f = Future.succeededFuture();
    for (var e : configs.entrySet()) {
      f = f.compose(v -> bucket.putIfChanged(ClusterNames.configKey(e.getKey()), e.getValue().encodePrettily()));
    }
    return f;
  }

  /** The configured subnet, or the default VPC's default subnet in the first zone. */
  private Future<Subnet> subnet() {
    if (!cfg.subnetId().isEmpty()) {
      return aws.call(aws.ec2.describeSubnets(b -> b.subnetIds(cfg.subnetId()))).map(r -> r.subnets().get(0));
    }
    return aws.call(aws.ec2.describeVpcs(b -> b.filters(Filter.builder().name("isDefault").values("true").build())))
        .compose(vpcs -> {
          if (vpcs.vpcs().isEmpty()) {
            return Future.failedFuture(new IllegalStateException(
                "this region has no default VPC: set \"subnetId\" in deploy.json to a public subnet"));
          }
          String vpc = vpcs.vpcs().get(0).vpcId();
          return aws.call(aws.ec2.describeSubnets(b -> b.filters(
                  Filter.builder().name("vpc-id").values(vpc).build(),
                  Filter.builder().name("default-for-az").values("true").build())))
              .map(r -> r.subnets().stream().min(Comparator.comparing(Subnet::availabilityZone))
                  .orElseThrow(() -> new IllegalStateException("the default VPC " + vpc
                      + " has no default subnet: set \"subnetId\" in deploy.json")));
        });
  }

  private Future<String> amiId() {
    if (!cfg.amiId().isEmpty()) {
      return Future.succeededFuture(cfg.amiId());
    }
    return aws.call(aws.ssm.getParameter(b -> b.name(cfg.amiParameter()))).map(r -> {
      progress.exists("image " + r.parameter().value() + " (" + cfg.amiParameter() + ")");
      return r.parameter().value();
    });
  }

  /**
   * The config each role runs, as stored in S3: ours, then deploy.json's own object for the role
   * merged over it. Checked here with the roles' own readers, so a typo fails before any launch.
   */
  Map<String, JsonObject> roleConfigs(ClusterNames names, String ami, Site site, String clientKey) {
    JsonObject ec2 = new JsonObject()
        .put("region", names.region())
        .put("clusterName", names.cluster())
        .put("amiId", ami)
        .put("instanceType", cfg.workerInstanceType())
        .put("subnetId", site.subnet().subnetId())
        .put("securityGroupIds", new JsonArray().add(site.groups().internal()))
        .put("instanceProfile", names.iamName(ClusterNames.WORKER))
        .put("keyName", cfg.keyName())
        .put("bucket", names.bucket())
        .put("jarKey", ClusterNames.JAR_KEY)
        .put("configKey", ClusterNames.configKey(ClusterNames.WORKER))
        .put("tokenKey", ClusterNames.TOKEN_KEY)
        .put("javaPackage", cfg.javaPackage());
    JsonObject balancer = new JsonObject()
        .put("role", "balancer")
        .put("port", DeployConfig.PORT)
        .put("dataDir", "/var/lib/swell/data")
        .put("fleet", new JsonObject()
            .put("type", "ec2")
            .put("workerThreads", 0)
            .put("jvmOptions", new JsonArray().add("-XX:MaxRAMPercentage=75"))
            .put("ec2", ec2))
        .mergeIn(cfg.balancer(), true);
    if (!(balancer.getValue("fleet") instanceof JsonObject fleet && fleet.getValue("ec2") instanceof JsonObject launched
        && cfg.workerInstanceType().equals(launched.getValue("instanceType")))) {
      throw new ConfigException("balancer.fleet.ec2.instanceType", "(in deploy.json's \"balancer\" object) must not "
          + "be set: set workerInstanceType, the one type the balancer's IAM role may launch");
    }
    JsonObject endpoint = new JsonObject().put("role", "endpoint").put("port", DeployConfig.PORT)
        .mergeIn(cfg.endpoint(), true)
        .put("apiKeys", apiKeys(clientKey));
    JsonObject worker = new JsonObject().put("role", "worker").mergeIn(cfg.worker(), true);
    Map<String, JsonObject> configs = new LinkedHashMap<>();
    configs.put(ClusterNames.BALANCER, balancer);
    configs.put(ClusterNames.ENDPOINT, endpoint);
    configs.put(ClusterNames.WORKER, worker);
    // What the instances will have in their environment, so required keys count as set.
    Map<String, String> env = Map.of("SWELL_CLUSTER_TOKEN", "x".repeat(64),
        "SWELL_BALANCER_URLS", "http://10.0.0.1:" + DeployConfig.PORT);
    configs.forEach((role, json) -> {
      try {
        Roles.verticleFor(json.copy(), env, code -> { });
      } catch (ConfigException e) {
        throw new ConfigException(role + "." + e.key(), "(in deploy.json's \"" + role + "\" object): "
            + e.getMessage());
      }
    });
    return configs;
  }

  /**
   * The endpoints' {@code apiKeys}: those deploy.json's endpoint object names, and the cluster's
   * own {@code default} key, by its SHA-256 (the key itself never leaves the bucket).
   */
  private JsonArray apiKeys(String clientKey) {
    Object own = cfg.endpoint().getValue("apiKeys");
    if (own != null && !(own instanceof JsonArray)) {
      throw new ConfigException("endpoint.apiKeys", "(in deploy.json's \"endpoint\" object) must be a list of "
          + "{\"name\", \"sha256\"}");
    }
    JsonArray keys = own == null ? new JsonArray() : ((JsonArray) own).copy();
    for (Object k : keys) {
      if (k instanceof JsonObject o && ClusterNames.DEFAULT_CLIENT_KEY.equals(o.getValue("name"))) {
        throw new ConfigException("endpoint.apiKeys", "(in deploy.json's \"endpoint\" object) names a key \""
            + ClusterNames.DEFAULT_CLIENT_KEY + "\": that is the key deploy up keeps in the bucket; give yours "
            + "another name");
      }
    }
    return keys.add(ClientKey.configEntry(ClusterNames.DEFAULT_CLIENT_KEY, clientKey));
  }

  /**
   * JVM options of balancers and endpoints. A balancer keeps every pending work's metadata for as
   * long as it waits: with G1's default tenuring those objects were copied between survivor spaces
   * up to 15 times, which made young pauses of 20-30 ms under load (bench/README.md); promoted
   * after one collection they cost one copy.
   */
  static final List<String> SERVER_JVM_OPTIONS = List.of("-XX:MaxRAMPercentage=75", "-XX:MaxTenuringThreshold=1");

  /** Tag on the balancer naming the data volume its user-data mounts. */
  static final String TAG_DATA_VOLUME = "swell:data-volume";
  /** How long up waits for the balancer to run and its volume to come free of a departing one. */
  private static final long BALANCER_READY_MS = 10 * 60_000;

  private String userData(ClusterNames names, String role, Map<String, String> env, String dataVolumeId) {
    return new UserData(role, names.region(), names.bucket(), ClusterNames.JAR_KEY, ClusterNames.configKey(role),
        ClusterNames.TOKEN_KEY, cfg.javaPackage(), SERVER_JVM_OPTIONS, env, dataVolumeId)
        .renderBase64(UserData.template(""));
  }

  /**
   * The balancer, running, with its data volume attached: the one there is (started again if it
   * powered itself off and stopped), or a new one, which mounts the volume at boot (its user-data
   * names it) and finds the queue on it if an earlier balancer left one.
   */
  private Future<Instance> ensureBalancer(ClusterNames names, ClusterInstances instances, String ami, Site site) {
    DataVolume volume = new DataVolume(aws, names, progress);
    Deadline deadline = new Deadline(vertx, BALANCER_READY_MS, cfg.pollIntervalMs());
    return volume.ensure(site.subnet().availabilityZone(), cfg.balancerDataVolumeGb())
        .compose(v -> runningBalancer(names, instances, ami, site, v.volumeId(), deadline)
            .compose(balancer -> {
              if (!v.volumeId().equals(ClusterInstances.tag(balancer, TAG_DATA_VOLUME))) {
                progress.say("  ! balancer " + balancer.instanceId() + " was launched without data volume "
                    + v.volumeId() + " (by an older Swell): its queue is on its root volume, so the volume stays "
                    + "unattached");
                return Future.succeededFuture(balancer);
              }
              return volume.attach(v.volumeId(), balancer, deadline).map(balancer);
            }));
  }

  private Future<Instance> runningBalancer(ClusterNames names, ClusterInstances instances, String ami, Site site,
                                           String volumeId, Deadline deadline) {
    return instances.find(ClusterNames.BALANCER, ClusterInstances.STARTABLE).compose(found -> {
      if (!found.isEmpty()) {
        Instance b = found.get(0);
        String state = b.state().nameAsString();
        if ("stopping".equals(state) || "stopped".equals(state)) {
          return instances.start(b, deadline)
              .onSuccess(i -> progress.changed("started balancer " + i.instanceId() + " (it was " + state + ")"));
        }
        progress.exists("balancer " + b.instanceId() + " (" + b.privateIpAddress() + ")");
        return instances.awaitState(b.instanceId(), "running", deadline);
      }
      // Stop, not terminate, on an in-guest power-off: the instance and its disks stay.
      return instances.launch(new ClusterInstances.Launch(ClusterNames.BALANCER, cfg.balancerInstanceType(), ami,
              site.subnet().subnetId(), site.groups().internal(), cfg.keyName(),
              userData(names, ClusterNames.BALANCER, Map.of(), volumeId), Map.of(TAG_DATA_VOLUME, volumeId),
              ShutdownBehavior.STOP), profileDeadline())
          .onSuccess(i -> progress.created("balancer " + i.instanceId() + " (" + i.privateIpAddress() + ")"))
          .compose(i -> instances.awaitState(i.instanceId(), "running", deadline));
    });
  }

  /**
   * Endpoints configured for the current balancer; one configured for an earlier balancer (its
   * address changed) is replaced, since it would forward to nobody.
   */
  private Future<Void> ensureEndpoints(ClusterNames names, ClusterInstances instances, String ami, Site site,
                                       String balancerIp) {
    return instances.find(ClusterNames.ENDPOINT, ClusterInstances.LIVE).compose(found -> {
      List<Instance> current = new ArrayList<>();
      List<String> stale = new ArrayList<>();
      for (Instance i : found) {
        if (balancerIp.equals(ClusterInstances.tag(i, ClusterInstances.TAG_BALANCER_IP))) {
          current.add(i);
          progress.exists("endpoint " + i.instanceId());
        } else {
          stale.add(i.instanceId());
        }
      }
      Future<Void> f = instances.terminate(stale)
          .onSuccess(v -> stale.forEach(id -> progress.deleted("endpoint " + id + " (configured for an old balancer)")));
      String balancerUrl = "http://" + balancerIp + ":" + DeployConfig.PORT;
      String ud = userData(names, ClusterNames.ENDPOINT, Map.of("SWELL_BALANCER_URLS", balancerUrl), "");
      for (int n = current.size(); n < cfg.endpointCount(); n++) {
        f = f.compose(v -> instances.launch(new ClusterInstances.Launch(ClusterNames.ENDPOINT,
                cfg.endpointInstanceType(), ami, site.subnet().subnetId(), site.groups().endpoints(), cfg.keyName(), ud,
                Map.of(ClusterInstances.TAG_BALANCER_IP, balancerIp), ShutdownBehavior.TERMINATE), profileDeadline())
            .onSuccess(i -> progress.created("endpoint " + i.instanceId()))
            .mapEmpty());
      }
      return f;
    });
  }

  private Deadline profileDeadline() {
    return new Deadline(vertx, 120_000, Math.min(cfg.pollIntervalMs(), 5_000));
  }

  /** Polls the endpoints' {@code /ready} until every one answers 200, printing each change. */
  private Future<List<String>> awaitReady(ClusterInstances instances, Deadline deadline) {
    progress.say("waiting for the endpoints to answer /ready (up to " + cfg.readyTimeoutMs() / 1000
        + " s; --no-wait skips this)");
    return pollReady(instances, deadline, new String[] {""});
  }

  private Future<List<String>> pollReady(ClusterInstances instances, Deadline deadline, String[] last) {
    return instances.find(ClusterNames.ENDPOINT, ClusterInstances.LIVE).compose(endpoints -> {
      List<Future<String>> probes = endpoints.stream().map(this::probe).toList();
      // Probes never fail: an unreachable endpoint is reported as booting.
      return Future.all(probes).map(v -> probes.stream().map(Future::result).toList()).compose(states -> {
        String line = String.join(" | ", states);
        if (!line.equals(last[0])) {
          progress.say("  [" + deadline.elapsedSeconds() + " s] " + line);
          last[0] = line;
        }
        boolean allReady = !endpoints.isEmpty() && states.stream().allMatch(s -> s.endsWith(": ready"));
        if (allReady) {
          return Future.succeededFuture(urls(endpoints));
        }
        if (deadline.passed()) {
          return Future.failedFuture(new IllegalStateException("endpoints not ready after "
              + cfg.readyTimeoutMs() / 1000 + " s (" + line + "). Boot logs: /var/log/swell-boot.log on the "
              + "instance, or its EC2 console output (look for SWELL_BOOT_FAILED). Run deploy status to see them."));
        }
        return deadline.sleep().compose(x -> pollReady(instances, deadline, last));
      });
    });
  }

  private Future<String> probe(Instance endpoint) {
    String who = "endpoint " + endpoint.instanceId();
    if (endpoint.publicIpAddress() == null) {
      return Future.succeededFuture(who + ": " + endpoint.state().nameAsString() + ", no address yet");
    }
    if (http == null) {
      http = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(3000));
    }
    return http.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(endpoint.publicIpAddress())
            .setPort(DeployConfig.PORT).setURI("/ready").setIdleTimeout(3000))
        .compose(req -> req.send())
        .map(HttpClientResponse::statusCode)
        .map(code -> who + (code == 200 ? ": ready" : code == 503 ? ": up, no balancer yet" : ": answers " + code))
        .otherwise(e -> who + ": booting (" + endpoint.state().nameAsString() + ")");
  }

  private static List<String> urls(List<Instance> endpoints) {
    return endpoints.stream().filter(i -> i.publicIpAddress() != null)
        .map(i -> "http://" + i.publicIpAddress() + ":" + DeployConfig.PORT).toList();
  }

  private void printSummary(String balancerIp, List<String> urls, boolean waited) {
    progress.say("");
    progress.say(progress.changes().isEmpty() ? "everything was already in place" : progress.changes().size()
        + " change(s)");
    progress.say("balancer (private): http://" + balancerIp + ":" + DeployConfig.PORT);
    urls.forEach(u -> progress.say("endpoint: " + u));
    if (!waited) {
      progress.say("not waiting for /ready: instances take a few minutes to boot; see deploy status");
    }
    if (!urls.isEmpty()) {
      String u = urls.get(0);
      progress.say("");
      progress.say("try it (deploy key takes the same -conf, --region and --profile as up):");
      progress.say("  KEY=$(java -jar swell.jar deploy key)");
      progress.say("  curl -s -H \"Authorization: Bearer $KEY\" -X PUT --data-binary 'hello' '" + u
          + "/enqueue?iterations=1000'");
      progress.say("  curl -s -H \"Authorization: Bearer $KEY\" -X POST '" + u + "/pullCompleted?top=10'");
    }
  }

  // ---- status

  private Future<DeployStatus> status(ClusterNames names) {
    SecurityGroups groups = new SecurityGroups(aws, names, progress);
    InstanceRoles roles = new InstanceRoles(aws, names, cfg.workerInstanceType(), progress);
    ArtifactBucket bucket = new ArtifactBucket(aws, names, progress);
    ClusterInstances instances = new ClusterInstances(aws, names);
    return Future.all(List.of(bucket.exists(), groups.find(), roles.existing(),
            instances.find(null, ClusterInstances.NOT_GONE), bucket.clientKeyNames(),
            new DataVolume(aws, names, progress).find()))
        .map(all -> {
          List<software.amazon.awssdk.services.ec2.model.SecurityGroup> g = all.resultAt(1);
          List<Instance> found = all.resultAt(3);
          List<software.amazon.awssdk.services.ec2.model.Volume> volumes = all.resultAt(5);
          List<ClusterInstances.View> views = found.stream().map(ClusterInstances.View::of)
              .sorted(Comparator.comparing(ClusterInstances.View::role).thenComparing(ClusterInstances.View::instanceId))
              .toList();
          return new DeployStatus(names.cluster(), names.region(), names.bucket(), all.resultAt(0),
              g.stream().map(x -> x.groupName() + " (" + x.groupId() + ")").toList(), all.resultAt(2), views,
              all.resultAt(4), volumes.stream().map(DataVolume::describe).toList());
        });
  }

  // ---- down

  private Future<List<String>> down(ClusterNames names) {
    progress.say("deploy down: cluster " + names.cluster() + " in " + names.region());
    ClusterInstances instances = new ClusterInstances(aws, names);
    Deadline deadline = new Deadline(vertx, 15 * 60_000, cfg.pollIntervalMs());
    return instances.find(null, ClusterInstances.NOT_GONE)
        .compose(found -> {
          List<String> ids = found.stream().map(Instance::instanceId).toList();
          return instances.terminate(ids).onSuccess(v -> found.forEach(i -> progress.deleted(
              ClusterInstances.tag(i, swell.fleet.Ec2Fleet.TAG_ROLE) + " instance " + i.instanceId())));
        })
        .compose(v -> instances.awaitGone(deadline, progress))
        .compose(v -> new DataVolume(aws, names, progress).delete(deadline))
        .compose(v -> new SecurityGroups(aws, names, progress).delete(deadline))
        .compose(v -> new InstanceRoles(aws, names, cfg.workerInstanceType(), progress).delete())
        .compose(v -> new ArtifactBucket(aws, names, progress).delete())
        .map(v -> {
          progress.say(progress.changes().isEmpty() ? "nothing to remove" : "cluster " + names.cluster() + " removed");
          return progress.changes();
        });
  }
}
