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
import swell.fleet.AwsErrors;
import swell.fleet.UserData;
import swell.keys.ClientKey;

import java.io.PrintStream;
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
  /** What {@code up} did, where the balancers listen (in their order) and where the endpoints answer. */
  public record UpResult(List<String> changes, List<String> balancerPrivateIps, List<String> endpointUrls) {
    /** The first balancer's private address (with store {@code sqlite}, the only balancer's). */
    public String balancerPrivateIp() {
      return balancerPrivateIps.get(0);
    }
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
    return onContext(() -> names().compose(names -> new UpRun(names).run(waitForReady)));
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

  /**
   * Where {@code up} launches: the subnets (balancer i in the i-th, round the list; endpoints
   * likewise; workers in the first), their VPC's security groups, and with store {@code postgres}
   * the database's group ({@code ""} without).
   */
  record Site(List<Subnet> subnets, SecurityGroups.Ids groups, String databaseGroup) {
    Site(Subnet subnet, SecurityGroups.Ids groups) {
      this(List.of(subnet), groups, "");
    }

    /** The first subnet: the workers', and with store {@code sqlite} the balancer's and its volume's. */
    Subnet subnet() {
      return subnets.get(0);
    }

    Subnet subnet(int index) {
      return subnets.get(index % subnets.size());
    }
  }

  /**
   * One {@code up}, step by step; each step looks before it creates. What a step learns (the
   * subnets, the image, the database's URL, the balancers) the later ones use.
   */
  private final class UpRun {
    private final ClusterNames names;
    private final ArtifactBucket bucket;
    private final ClusterInstances instances;
    private final DataVolume volume;
    /** Set when the balancers' turn comes: the database before them may take half an hour. */
    private Deadline balancerDeadline;
    private Site site;
    private String ami;
    private String clientKey;
    private String databaseUrl = "";
    /** The data volume's id with store {@code sqlite}, {@code ""} with {@code postgres}. */
    private String volumeId = "";
    /** One per index, in index order. */
    private List<Instance> balancers;

    UpRun(ClusterNames names) {
      this.names = names;
      this.bucket = new ArtifactBucket(aws, names, progress);
      this.instances = new ClusterInstances(aws, names);
      this.volume = new DataVolume(aws, names, progress);
    }

    Future<UpResult> run(boolean waitForReady) {
      progress.say("deploy up: cluster " + names.cluster() + " in " + names.region() + " (account "
          + names.account() + "), store " + cfg.store() + ", " + cfg.balancerCount() + " balancer(s)");
      return subnets()
          .compose(subnets -> sameStore().map(subnets))
          // The bucket first: one that is not this cluster's stops up before anything is created.
          .compose(subnets -> bucket.ensure().compose(v -> groups(subnets)))
          .compose(v -> new InstanceRoles(aws, names, cfg.workerInstanceType(), cfg.postgres(), progress).ensure())
          // Before any instance boots: its agent writes to the group, which the roles may not create.
          .compose(v -> new ClusterLogs(aws, names, progress).ensure(cfg.logRetentionDays()))
          .compose(v -> new ClusterDashboard(aws, names, progress).ensure())
          .compose(v -> bucket.ensureToken())
          .compose(v -> bucket.ensureClientKey(ClusterNames.DEFAULT_CLIENT_KEY))
          .compose(key -> {
            clientKey = key;
            return bucket.putJar(cfg.jar());
          })
          .compose(v -> amiId())
          .compose(image -> {
            ami = image;
            // Checked before the database is made or anything launches: a typo in deploy.json must not
            // cost twenty minutes. Stand-ins for the addresses only those steps tell.
            roleConfigs(names, ami, site, clientKey, standInIps(), STAND_IN_DATABASE_URL);
            return database();
          })
          .compose(v -> placeBalancers())
          // Written once the balancers' addresses are known (the workers get them all), a few seconds
          // after a new balancer was launched: it installs Java before it asks for its config, and
          // asks again for minutes.
          .compose(v -> putConfigs(bucket, roleConfigs(names, ami, site, clientKey, ips(balancers), databaseUrl)))
          .compose(v -> runBalancers())
          .compose(v -> ensureEndpoints(names, instances, ami, site, ips(balancers)))
          .compose(v -> waitForReady
              ? awaitReady(instances, new Deadline(vertx, cfg.readyTimeoutMs(), cfg.pollIntervalMs()))
              : instances.find(ClusterNames.ENDPOINT, ClusterInstances.LIVE).map(Deployment::urls))
          .map(urls -> {
            printSummary(names, ips(balancers), urls, waitForReady);
            return new UpResult(progress.changes(), ips(balancers), urls);
          });
    }

    /**
     * A cluster keeps the store it was made with: a balancer that runs SQLite (tagged so, or made
     * before there was a choice) next to ones on PostgreSQL would split the queue in two, and a
     * running balancer never reads its config again.
     */
    private Future<Void> sameStore() {
      return instances.find(ClusterNames.BALANCER, ClusterInstances.STARTABLE).compose(found -> {
        for (Instance b : found) {
          String store = ClusterInstances.tag(b, ClusterInstances.TAG_STORE);
          String runs = store.isEmpty() ? "sqlite" : store;
          if (!runs.equals(cfg.store())) {
            return Future.failedFuture(new ConfigException("store", "is " + cfg.store() + ", but balancer "
                + b.instanceId() + " of cluster " + names.cluster() + " runs " + runs + ": a cluster keeps the store "
                + "it was made with. Run deploy down first (the queue goes with it) or choose another clusterName"));
          }
        }
        return Future.succeededFuture();
      });
    }

    /** The subnets' VPC holds the groups; with store postgres the database's group too. */
    private Future<Void> groups(List<Subnet> subnets) {
      String vpc = subnets.get(0).vpcId();
      SecurityGroups groups = new SecurityGroups(aws, names, progress);
      return groups.ensure(vpc, cfg).compose(ids -> cfg.postgres()
              ? groups.ensureDatabase(vpc, ids.internal()).map(db -> new Site(subnets, ids, db))
              : Future.succeededFuture(new Site(subnets, ids, "")))
          .map(s -> {
            site = s;
            return null;
          });
    }

    /** With store postgres: the password, the subnet group and the instance, available, and its URL. */
    private Future<Void> database() {
      if (!cfg.postgres()) {
        return Future.succeededFuture();
      }
      Database db = new Database(aws, names, progress);
      return bucket.ensureDatabasePassword()
          .compose(password -> db.ensureSubnetGroup(site.subnets())
              .compose(v -> db.ensure(cfg, site.databaseGroup(), password,
                  new Deadline(vertx, Database.CREATE_TIMEOUT_MS, cfg.pollIntervalMs()))))
          .map(instance -> {
            databaseUrl = Database.url(instance);
            return null;
          });
    }

    /**
     * One balancer per index: the one there is (in whatever state: {@link #runBalancers} starts a
     * stopped one), or a new one in subnet {@code index mod subnets}. Balancers beyond
     * {@code balancerCount} are terminated. With store sqlite the balancer's data volume is made
     * first: its user-data names it.
     */
    private Future<Void> placeBalancers() {
      balancerDeadline = new Deadline(vertx, BALANCER_READY_MS, cfg.pollIntervalMs(), progress);
      Future<Void> ready = cfg.postgres() ? Future.succeededFuture()
          : volume.ensure(site.subnet().availabilityZone(), cfg.balancerDataVolumeGb()).map(v -> {
            volumeId = v.volumeId();
            return null;
          });
      return ready.compose(v -> instances.find(ClusterNames.BALANCER, ClusterInstances.STARTABLE)).compose(found -> {
        Instance[] byIndex = new Instance[cfg.balancerCount()];
        List<Instance> surplus = new ArrayList<>();
        // Oldest first: of two claiming one index, the one that served longer stays.
        found.stream()
            .sorted(Comparator.comparing(Instance::launchTime, Comparator.nullsLast(Comparator.naturalOrder())))
            .forEach(b -> {
              int index = balancerIndex(b);
              if (index < byIndex.length && byIndex[index] == null) {
                byIndex[index] = b;
                progress.exists("balancer " + b.instanceId() + " (" + b.privateIpAddress() + ", "
                    + b.placement().availabilityZone() + ", " + b.state().nameAsString() + ")");
              } else {
                surplus.add(b);
              }
            });
        Future<Void> f = instances.terminate(surplus.stream().map(Instance::instanceId).toList())
            .onSuccess(x -> surplus.forEach(b -> progress.deleted("balancer " + b.instanceId() + " (index "
                + balancerIndex(b) + "; balancerCount is " + cfg.balancerCount() + ")")));
        for (int i = 0; i < byIndex.length; i++) {
          int index = i;
          if (byIndex[index] == null) {
            f = f.compose(x -> launchBalancer(index)).map(b -> {
              byIndex[index] = b;
              return null;
            });
          }
        }
        return f.map(x -> {
          balancers = List.of(byIndex);
          return null;
        });
      });
    }

    private Future<Instance> launchBalancer(int index) {
      Subnet subnet = site.subnet(index);
      Map<String, String> tags = new LinkedHashMap<>();
      tags.put(ClusterInstances.TAG_BALANCER_INDEX, Integer.toString(index));
      tags.put(ClusterInstances.TAG_STORE, cfg.store());
      if (!volumeId.isEmpty()) {
        tags.put(TAG_DATA_VOLUME, volumeId);
      }
      String ud = cfg.postgres()
          ? userData(names, ClusterNames.BALANCER, Map.of(), "", ClusterNames.DB_PASSWORD_KEY, Database.CA_BUNDLE_URL)
          : userData(names, ClusterNames.BALANCER, Map.of(), volumeId, "", "");
      // Stop, not terminate, on an in-guest power-off: the instance and its disks stay.
      return instances.launch(new ClusterInstances.Launch(ClusterNames.BALANCER, cfg.balancerInstanceType(), ami,
              subnet.subnetId(), site.groups().internal(), cfg.keyName(), ud, tags, ShutdownBehavior.STOP),
              profileDeadline())
          .onSuccess(b -> progress.created("balancer " + b.instanceId() + " (" + b.privateIpAddress() + ", "
              + subnet.availabilityZone() + ")"));
    }

    /**
     * Every balancer running: a stopped one started again, a new one waited for; with store sqlite
     * the data volume attached to the balancer (a new one mounts it at boot: its user-data names it).
     */
    private Future<Void> runBalancers() {
      List<Instance> running = new ArrayList<>();
      Future<Void> f = Future.succeededFuture();
      for (Instance b : balancers) {
        f = f.compose(v -> running(b)).map(r -> {
          running.add(r);
          return null;
        });
      }
      return f.compose(v -> {
        balancers = List.copyOf(running);
        return cfg.postgres() ? Future.succeededFuture() : attachVolume(balancers.get(0));
      });
    }

    private Future<Instance> running(Instance b) {
      String state = b.state().nameAsString();
      if ("stopping".equals(state) || "stopped".equals(state)) {
        return instances.start(b, balancerDeadline)
            .onSuccess(i -> progress.changed("started balancer " + i.instanceId() + " (it was " + state + ")"));
      }
      return instances.awaitState(b.instanceId(), "running", balancerDeadline);
    }

    private Future<Void> attachVolume(Instance balancer) {
      if (!volumeId.equals(ClusterInstances.tag(balancer, TAG_DATA_VOLUME))) {
        progress.say("  ! balancer " + balancer.instanceId() + " was launched without data volume " + volumeId
            + " (by an older Swell): its queue is on its root volume, so the volume stays unattached");
        return Future.succeededFuture();
      }
      return volume.attach(volumeId, balancer, balancerDeadline);
    }
  }

  /** A balancer's index among {@code balancerCount}; one launched before there were several has none: 0. */
  private static int balancerIndex(Instance b) {
    String tag = ClusterInstances.tag(b, ClusterInstances.TAG_BALANCER_INDEX);
    try {
      return tag.isEmpty() ? 0 : Integer.parseInt(tag);
    } catch (NumberFormatException e) {
      return Integer.MAX_VALUE;
    }
  }

  private static List<String> ips(List<Instance> balancers) {
    return balancers.stream().map(Instance::privateIpAddress).toList();
  }

  private List<String> standInIps() {
    List<String> ips = new ArrayList<>();
    for (int i = 1; i <= cfg.balancerCount(); i++) {
      ips.add("10.0.0." + i);
    }
    return ips;
  }

  /** Stands in for the database's URL while deploy.json is checked, before the database exists. */
  private static final String STAND_IN_DATABASE_URL = "postgresql://swell@db.invalid:5432/swell?sslmode=verify-full";

  private static String balancerUrl(String ip) {
    return "http://" + ip + ":" + DeployConfig.PORT;
  }

  private Future<Void> putConfigs(ArtifactBucket bucket, Map<String, JsonObject> configs) {
    Future<Void> f = Future.succeededFuture();
    for (var e : configs.entrySet()) {
      f = f.compose(v -> bucket.putIfChanged(ClusterNames.configKey(e.getKey()), e.getValue().encodePrettily()));
    }
    return f;
  }

  /**
   * The subnets up launches into. {@code subnetIds}, or {@code subnetId}, as configured; else the
   * default VPC's default subnets, one per zone in zone order: the first, or with store postgres
   * the first two (the database's subnet group needs two zones, and the balancers are spread).
   */
  private Future<List<Subnet>> subnets() {
    List<String> configured = !cfg.subnetIds().isEmpty() ? cfg.subnetIds()
        : cfg.subnetId().isEmpty() ? List.of() : List.of(cfg.subnetId());
    if (!configured.isEmpty()) {
      return aws.call(aws.ec2.describeSubnets(b -> b.subnetIds(configured)))
          .map(r -> {
            Map<String, Subnet> byId = new LinkedHashMap<>();
            r.subnets().forEach(s -> byId.put(s.subnetId(), s));
            List<Subnet> ordered = configured.stream().map(byId::get).toList();
            if (ordered.stream().map(Subnet::vpcId).distinct().count() > 1) {
              throw new ConfigException("subnetIds", "must all be in one VPC (the security groups are the VPC's)");
            }
            if (cfg.postgres() && ordered.stream().map(Subnet::availabilityZone).distinct().count() < 2) {
              throw new ConfigException("subnetIds", "must span two availability zones with store postgres (RDS "
                  + "needs two for the database's subnet group, and the balancers are spread over them)");
            }
            return ordered;
          });
    }
    int zones = cfg.postgres() ? 2 : 1;
    return aws.call(aws.ec2.describeVpcs(b -> b.filters(Filter.builder().name("isDefault").values("true").build())))
        .compose(vpcs -> {
          if (vpcs.vpcs().isEmpty()) {
            return Future.failedFuture(new IllegalStateException("this region has no default VPC: set \""
                + (cfg.postgres() ? "subnetIds\" in deploy.json to two public subnets in two zones"
                    : "subnetId\" in deploy.json to a public subnet")));
          }
          String vpc = vpcs.vpcs().get(0).vpcId();
          return aws.call(aws.ec2.describeSubnets(b -> b.filters(
                  Filter.builder().name("vpc-id").values(vpc).build(),
                  Filter.builder().name("default-for-az").values("true").build())))
              .map(r -> {
                List<Subnet> perZone = r.subnets().stream().sorted(Comparator.comparing(Subnet::availabilityZone))
                    .filter(distinctZone()).limit(zones).toList();
                if (perZone.size() < zones) {
                  throw new IllegalStateException("the default VPC " + vpc + " has default subnets in "
                      + perZone.size() + " zone(s), and " + zones + " are needed: set \"subnetIds\" in deploy.json");
                }
                return perZone;
              });
        });
  }

  private static java.util.function.Predicate<Subnet> distinctZone() {
    java.util.Set<String> seen = new java.util.HashSet<>();
    return s -> seen.add(s.availabilityZone());
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
   *
   * @param balancerIps the balancers' private addresses, in index order
   * @param databaseUrl with store postgres, the database the balancers share (no password in it)
   */
  Map<String, JsonObject> roleConfigs(ClusterNames names, String ami, Site site, String clientKey,
                                      List<String> balancerIps, String databaseUrl) {
    List<String> balancerUrls = balancerIps.stream().map(Deployment::balancerUrl).toList();
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
        .put("javaPackage", cfg.javaPackage())
        .put("logGroup", names.logGroup());
    JsonObject balancer = new JsonObject()
        .put("role", "balancer")
        .put("port", DeployConfig.PORT)
        .put("dataDir", "/var/lib/swell/data")
        .put("fleet", new JsonObject()
            .put("type", "ec2")
            .put("workerThreads", 0)
            .put("jvmOptions", new JsonArray().add("-XX:MaxRAMPercentage=75"))
            .put("ec2", ec2));
    JsonObject endpoint = new JsonObject().put("role", "endpoint").put("port", DeployConfig.PORT);
    JsonObject worker = new JsonObject().put("role", "worker");
    // JSON lines for CloudWatch Logs Insights; balancers and endpoints publish their metrics (workers'
    // figures reach CloudWatch through the balancer, which hears them in heartbeats).
    for (JsonObject role : List.of(balancer, endpoint, worker)) {
      role.put("logFormat", "json");
    }
    balancer.put("cloudwatchNamespace", names.metricsNamespace());
    endpoint.put("cloudwatchNamespace", names.metricsNamespace());
    checkStoreNotOverridden();
    if (cfg.postgres()) {
      // Every balancer serves the same queue: workers and endpoints spread over all of them. The
      // password reaches the balancers through their environment (user-data.sh), never this file.
      ec2.put("balancerUrls", new JsonArray(balancerUrls));
      balancer.put("store", new JsonObject().put("type", "postgres").put("url", databaseUrl)
          .put("sslRootCert", UserData.STORE_CA_FILE));
      endpoint.put("balancerMode", "spread");
      worker.put("balancerMode", "spread");
    }
    balancer.mergeIn(cfg.balancer(), true);
    endpoint.mergeIn(cfg.endpoint(), true).put("apiKeys", apiKeys(clientKey));
    worker.mergeIn(cfg.worker(), true);
    if (!(balancer.getValue("fleet") instanceof JsonObject fleet && fleet.getValue("ec2") instanceof JsonObject launched
        && cfg.workerInstanceType().equals(launched.getValue("instanceType")))) {
      throw new ConfigException("balancer.fleet.ec2.instanceType", "(in deploy.json's \"balancer\" object) must not "
          + "be set: set workerInstanceType, the one type the balancer's IAM role may launch");
    }
    Map<String, JsonObject> configs = new LinkedHashMap<>();
    configs.put(ClusterNames.BALANCER, balancer);
    configs.put(ClusterNames.ENDPOINT, endpoint);
    configs.put(ClusterNames.WORKER, worker);
    // What the instances will have in their environment, so required keys count as set.
    Map<String, String> env = Map.of("SWELL_CLUSTER_TOKEN", "x".repeat(64),
        "SWELL_BALANCER_URLS", String.join(",", balancerUrls));
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
   * The balancers' store is deploy.json's {@code store}: its {@code balancer} object may tune it
   * (say {@code store.poolSize}) but not name another, nor another database than the cluster's.
   */
  private void checkStoreNotOverridden() {
    if (!(cfg.balancer().getValue("store") instanceof JsonObject own)) {
      return;
    }
    Object type = own.getValue("type");
    if (type != null && !cfg.store().equals(type)) {
      throw new ConfigException("balancer.store.type", "(in deploy.json's \"balancer\" object) is " + type
          + ", but deploy.json's store is " + cfg.store() + ": set \"store\" instead");
    }
    if (cfg.postgres() && (own.containsKey("url") || own.containsKey("sslRootCert"))) {
      throw new ConfigException("balancer.store." + (own.containsKey("url") ? "url" : "sslRootCert"),
          "(in deploy.json's \"balancer\" object) must not be set: up points the balancers at the cluster's RDS "
              + "database");
    }
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
  /** How long up waits for the balancers to run and the volume to come free of a departing one. */
  private static final long BALANCER_READY_MS = 10 * 60_000;

  private String userData(ClusterNames names, String role, Map<String, String> env, String dataVolumeId) {
    return userData(names, role, env, dataVolumeId, "", "");
  }

  private String userData(ClusterNames names, String role, Map<String, String> env, String dataVolumeId,
                          String storePasswordKey, String storeCaUrl) {
    return new UserData(role, names.region(), names.bucket(), ClusterNames.JAR_KEY, ClusterNames.configKey(role),
        ClusterNames.TOKEN_KEY, cfg.javaPackage(), SERVER_JVM_OPTIONS, env, dataVolumeId, storePasswordKey, storeCaUrl)
        .withLogGroup(names.logGroup())
        .renderBase64(UserData.template(""));
  }

  /**
   * Endpoints configured for the current balancers, spread over the subnets; one configured for
   * another set of balancers (one was replaced, or balancerCount changed) is replaced, since it
   * would forward to a balancer that is gone or leave one out.
   */
  private Future<Void> ensureEndpoints(ClusterNames names, ClusterInstances instances, String ami, Site site,
                                       List<String> balancerIps) {
    String tagged = String.join(" ", balancerIps);
    return instances.find(ClusterNames.ENDPOINT, ClusterInstances.LIVE).compose(found -> {
      List<Instance> current = new ArrayList<>();
      List<String> stale = new ArrayList<>();
      for (Instance i : found) {
        if (tagged.equals(ClusterInstances.tag(i, ClusterInstances.TAG_BALANCER_IP))) {
          current.add(i);
          progress.exists("endpoint " + i.instanceId());
        } else {
          stale.add(i.instanceId());
        }
      }
      Future<Void> f = instances.terminate(stale).onSuccess(v -> stale.forEach(id -> progress.deleted("endpoint " + id
          + " (configured for other balancers)")));
      String urls = String.join(",", balancerIps.stream().map(Deployment::balancerUrl).toList());
      String ud = userData(names, ClusterNames.ENDPOINT, Map.of("SWELL_BALANCER_URLS", urls), "");
      for (int n = current.size(); n < cfg.endpointCount(); n++) {
        Subnet subnet = site.subnet(n);
        f = f.compose(v -> instances.launch(new ClusterInstances.Launch(ClusterNames.ENDPOINT,
                cfg.endpointInstanceType(), ami, subnet.subnetId(), site.groups().endpoints(), cfg.keyName(), ud,
                Map.of(ClusterInstances.TAG_BALANCER_IP, tagged), ShutdownBehavior.TERMINATE), profileDeadline())
            .onSuccess(i -> progress.created("endpoint " + i.instanceId() + " (" + subnet.availabilityZone() + ")"))
            .mapEmpty());
      }
      return f;
    });
  }

  private Deadline profileDeadline() {
    return new Deadline(vertx, 120_000, Math.min(cfg.pollIntervalMs(), 5_000), progress);
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

  private void printSummary(ClusterNames names, List<String> balancerIps, List<String> urls, boolean waited) {
    progress.say("");
    progress.say(progress.changes().isEmpty() ? "everything was already in place" : progress.changes().size()
        + " change(s)");
    balancerIps.forEach(ip -> progress.say("balancer (private): " + balancerUrl(ip)));
    urls.forEach(u -> progress.say("endpoint: " + u));
    progress.say("logs: CloudWatch Logs group " + names.logGroup() + ", one stream per instance id");
    progress.say("dashboard: " + ClusterDashboard.url(names));
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
    Database database = new Database(aws, names, progress);
    return Future.all(List.of(bucket.exists(), groups.find(), roles.existing(),
            instances.find(null, ClusterInstances.NOT_GONE), bucket.clientKeyNames(),
            new DataVolume(aws, names, progress).find(), rdsOrNone(database::statusLines, List.of()),
            rdsOrNone(database::finalSnapshots, List.of()), new ClusterLogs(aws, names, progress).statusLines(),
            new ClusterDashboard(aws, names, progress).statusLines()))
        .map(all -> {
          List<software.amazon.awssdk.services.ec2.model.SecurityGroup> g = all.resultAt(1);
          List<Instance> found = all.resultAt(3);
          List<software.amazon.awssdk.services.ec2.model.Volume> volumes = all.resultAt(5);
          List<ClusterInstances.View> views = found.stream().map(ClusterInstances.View::of)
              .sorted(Comparator.comparing(ClusterInstances.View::role).thenComparing(ClusterInstances.View::instanceId))
              .toList();
          return new DeployStatus(names.cluster(), names.region(), names.bucket(), all.resultAt(0),
              g.stream().map(x -> x.groupName() + " (" + x.groupId() + ")").toList(), all.resultAt(2), views,
              all.resultAt(4), volumes.stream().map(DataVolume::describe).toList(), all.resultAt(6),
              all.resultAt(7), all.resultAt(8), all.resultAt(9));
        });
  }

  /**
   * An RDS call made whatever deploy.json's store says, so a cluster deployed with postgres shows
   * and goes even after the file changed. A deployer of a sqlite cluster need not hold RDS rights,
   * and one without them made no database: with store sqlite, being refused reads as "none".
   */
  private <T> Future<T> rdsOrNone(Supplier<Future<T>> call, T none) {
    return call.get().recover(e -> !cfg.postgres() && (AwsErrors.status(e) == 403
        || AwsErrors.code(e).startsWith("AccessDenied")) ? Future.succeededFuture(none) : Future.failedFuture(e));
  }

  // ---- down

  /** How long one step of down waits for EC2 (instances to terminate, a volume or group to come free). */
  private Deadline downDeadline() {
    return new Deadline(vertx, 15 * 60_000, cfg.pollIntervalMs(), progress);
  }

  /**
   * Terminates every instance and waits until they are gone (so the database's final snapshot
   * holds the queue as the balancers left it), then deletes the database and its subnet group,
   * the data volume, the groups (the database's frees its group only once it is gone), the roles
   * and the bucket with everything in it, the database password included.
   */
  private Future<List<String>> down(ClusterNames names) {
    progress.say("deploy down: cluster " + names.cluster() + " in " + names.region());
    ClusterInstances instances = new ClusterInstances(aws, names);
    return instances.find(null, ClusterInstances.NOT_GONE)
        .compose(found -> {
          List<String> ids = found.stream().map(Instance::instanceId).toList();
          return instances.terminate(ids).onSuccess(v -> found.forEach(i -> progress.deleted(
              ClusterInstances.tag(i, swell.fleet.Ec2Fleet.TAG_ROLE) + " instance " + i.instanceId())));
        })
        .compose(v -> instances.awaitGone(downDeadline(), progress))
        .compose(v -> rdsOrNone(() -> new Database(aws, names, progress).delete(cfg.dbFinalSnapshot(),
            new Deadline(vertx, Database.DELETE_TIMEOUT_MS, cfg.pollIntervalMs(), progress)), null))
        // Each step its own time: the database's deletion before them may take a quarter of an hour.
        .compose(v -> new DataVolume(aws, names, progress).delete(downDeadline()))
        .compose(v -> new SecurityGroups(aws, names, progress).delete(downDeadline()))
        .compose(v -> new InstanceRoles(aws, names, cfg.workerInstanceType(), progress).delete())
        .compose(v -> new ArtifactBucket(aws, names, progress).delete())
        .compose(v -> new ClusterDashboard(aws, names, progress).delete())
        // Last: the instances' final lines are in by now, for whoever keeps them.
        .compose(v -> new ClusterLogs(aws, names, progress).delete(cfg.keepLogs()))
        .map(v -> {
          progress.say(progress.changes().isEmpty() ? "nothing to remove" : "cluster " + names.cluster() + " removed");
          return progress.changes();
        });
  }
}
