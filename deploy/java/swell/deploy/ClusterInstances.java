package swell.deploy;

import io.vertx.core.Future;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.RunInstancesRequest;
import software.amazon.awssdk.services.ec2.model.ShutdownBehavior;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;
import swell.fleet.AwsErrors;
import swell.fleet.Ec2Fleet;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The cluster's EC2 instances, found by the {@code swell:cluster} tag: the balancer and the
 * endpoints that {@code up} launches, and the workers the balancer launched, which {@code down}
 * terminates with the rest.
 */
final class ClusterInstances {
  /** Tag on an endpoint naming the balancer addresses it was configured with, space-separated. */
  static final String TAG_BALANCER_IP = "swell:balancer-ip";
  /** Tag on a balancer: its place among {@code balancerCount}, which picks its subnet (none: 0). */
  static final String TAG_BALANCER_INDEX = "swell:balancer-index";
  /** Tag on a balancer: the store it was made for, {@code sqlite} or {@code postgres} (none: sqlite). */
  static final String TAG_STORE = "swell:store";
  static final List<String> LIVE = List.of("pending", "running");
  static final List<String> NOT_GONE = List.of("pending", "running", "stopping", "stopped", "shutting-down");
  /** States an instance comes back from (a balancer stops when it powers itself off). */
  static final List<String> STARTABLE = List.of("pending", "running", "stopping", "stopped");

  /** What one instance looks like to a person reading {@code status}. */
  record View(String role, String instanceId, String state, String privateIp, String publicIp, String workerId,
              String zone) {
    static View of(Instance i) {
      return new View(tag(i, Ec2Fleet.TAG_ROLE), i.instanceId(), i.state().nameAsString(), i.privateIpAddress(),
          i.publicIpAddress(), tag(i, Ec2Fleet.TAG_WORKER_ID),
          i.placement() == null || i.placement().availabilityZone() == null ? "" : i.placement().availabilityZone());
    }
  }

  /**
   * What {@code up} launches for one role.
   *
   * @param shutdown what an in-guest power-off does: terminate a stateless instance, stop one
   *     whose disk matters
   */
  record Launch(String role, String instanceType, String amiId, String subnetId, String groupId, String keyName,
                String userDataBase64, Map<String, String> extraTags, ShutdownBehavior shutdown) {
  }

  private final AwsClients aws;
  private final ClusterNames names;

  ClusterInstances(AwsClients aws, ClusterNames names) {
    this.aws = aws;
    this.names = names;
  }

  /** This cluster's instances in {@code states}, of {@code role} or of every role when it is null. */
  Future<List<Instance>> find(String role, List<String> states) {
    List<Filter> filters = new ArrayList<>();
    filters.add(Filter.builder().name("tag:" + Ec2Fleet.TAG_CLUSTER).values(names.cluster()).build());
    filters.add(Filter.builder().name("instance-state-name").values(states).build());
    if (role != null) {
      filters.add(Filter.builder().name("tag:" + Ec2Fleet.TAG_ROLE).values(role).build());
    }
    return page(filters, null, new ArrayList<>());
  }

  private Future<List<Instance>> page(List<Filter> filters, String token, List<Instance> found) {
    return aws.call(aws.ec2.describeInstances(b -> b.filters(filters).nextToken(token))).compose(r -> {
      r.reservations().forEach(res -> found.addAll(res.instances()));
      return r.nextToken() == null || r.nextToken().isEmpty()
          ? Future.succeededFuture(found) : page(filters, r.nextToken(), found);
    });
  }

  /**
   * Launches one instance. A just-created instance profile takes a few seconds to be usable by
   * EC2 ("Invalid IAM Instance Profile"), so that one error is retried until {@code deadline}.
   */
  Future<Instance> launch(Launch l, Deadline deadline) {
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put(Ec2Fleet.TAG_CLUSTER, names.cluster());
    tags.put(Ec2Fleet.TAG_ROLE, l.role());
    tags.put("Name", names.prefix() + "-" + l.role());
    tags.putAll(l.extraTags());
    List<Tag> tagList = tags.entrySet().stream()
        .map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList();
    RunInstancesRequest.Builder req = RunInstancesRequest.builder()
        .imageId(l.amiId())
        .instanceType(l.instanceType())
        .minCount(1)
        .maxCount(1)
        .subnetId(l.subnetId())
        .securityGroupIds(l.groupId())
        .iamInstanceProfile(p -> p.name(names.iamName(l.role())))
        .instanceInitiatedShutdownBehavior(l.shutdown())
        .userData(l.userDataBase64())
        // The SDK retries a RunInstances whose answer timed out; with one token per launch EC2
        // starts the instance once however often the request arrives.
        .clientToken(UUID.randomUUID().toString())
        .metadataOptions(m -> m.httpTokens("required"))
        .tagSpecifications(
            TagSpecification.builder().resourceType(ResourceType.INSTANCE).tags(tagList).build(),
            TagSpecification.builder().resourceType(ResourceType.VOLUME).tags(tagList).build());
    if (!l.keyName().isEmpty()) {
      req.keyName(l.keyName());
    }
    return run(req.build(), deadline);
  }

  private Future<Instance> run(RunInstancesRequest req, Deadline deadline) {
    return aws.call(aws.ec2.runInstances(req)).map(r -> r.instances().get(0)).recover(e -> {
      boolean profileNotYetVisible = "InvalidParameterValue".equals(AwsErrors.code(e))
          && AwsErrors.message(e).toLowerCase(java.util.Locale.ROOT).contains("instance profile");
      if (profileNotYetVisible && !deadline.passed()) {
        return deadline.sleep("waiting for IAM to make the new instance profile usable")
            .compose(v -> run(req, deadline));
      }
      return Future.failedFuture(AwsErrors.classify("RunInstances " + tag(req, Ec2Fleet.TAG_ROLE), e));
    });
  }

  /** Polls until the instance is in {@code state}; one just launched may not be visible at first. */
  Future<Instance> awaitState(String instanceId, String state, Deadline deadline) {
    return aws.call(aws.ec2.describeInstances(b -> b.instanceIds(instanceId)))
        .map(r -> r.reservations().get(0).instances().get(0))
        .compose(i -> state.equals(i.state().nameAsString()) ? Future.succeededFuture(i)
            : again(instanceId, state, deadline, i.state().nameAsString()))
        .recover(e -> AwsErrors.notFound(e) ? again(instanceId, state, deadline, "not visible yet")
            : Future.failedFuture(e));
  }

  private Future<Instance> again(String instanceId, String state, Deadline deadline, String now) {
    if (deadline.passed()) {
      return Future.failedFuture(new IllegalStateException("instance " + instanceId + " is " + now + ", not "
          + state + ", after " + deadline.elapsedSeconds() + " s"));
    }
    return deadline.sleep("waiting for instance " + instanceId + " to be " + state + " (" + now + ")")
        .compose(v -> awaitState(instanceId, state, deadline));
  }

  /** Starts a stopped (or stopping) instance and answers it once it runs. */
  Future<Instance> start(Instance i, Deadline deadline) {
    return awaitState(i.instanceId(), "stopped", deadline)
        .compose(stopped -> aws.call(aws.ec2.startInstances(b -> b.instanceIds(i.instanceId()))))
        .compose(r -> awaitState(i.instanceId(), "running", deadline));
  }

  Future<Void> terminate(List<String> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture();
    }
    return aws.call(aws.ec2.terminateInstances(b -> b.instanceIds(ids))).mapEmpty();
  }

  /** Polls until no instance of the cluster is left but terminated ones. */
  Future<Void> awaitGone(Deadline deadline, Progress progress) {
    return find(null, NOT_GONE).compose(left -> {
      if (left.isEmpty()) {
        return Future.succeededFuture();
      }
      if (deadline.passed()) {
        return Future.failedFuture(new IllegalStateException(left.size()
            + " instance(s) still not terminated; run deploy down again"));
      }
      return deadline.sleep("waiting for " + left.size() + " instance(s) to terminate")
          .compose(v -> awaitGone(deadline, progress));
    });
  }

  static String tag(Instance i, String key) {
    return i.tags().stream().filter(t -> key.equals(t.key())).map(Tag::value).findFirst().orElse("");
  }

  private static String tag(RunInstancesRequest req, String key) {
    return req.tagSpecifications().get(0).tags().stream().filter(t -> key.equals(t.key())).map(Tag::value)
        .findFirst().orElse("");
  }
}
