package swell.deploy;

import io.vertx.core.Future;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.Volume;
import software.amazon.awssdk.services.ec2.model.VolumeAttachment;
import software.amazon.awssdk.services.ec2.model.VolumeType;
import swell.fleet.AwsErrors;
import swell.fleet.Ec2Fleet;

import java.util.List;
import java.util.UUID;

/**
 * The EBS volume the balancer keeps {@code dataDir} on, so that no acknowledged work dies with an
 * instance: created once in the balancer subnet's zone (gp3, encrypted, tagged with the cluster and
 * {@code swell:role=balancer-data}), attached by {@code up} to whichever balancer runs, left alone
 * when a balancer goes (an attached volume is not deleted on termination), deleted only by
 * {@code down}.
 */
final class DataVolume {
  /** The role tag that tells this volume from the instances' root volumes. */
  static final String ROLE = "balancer-data";
  /** The name it is attached under; Nitro instances show it as an NVMe device, found by volume id. */
  static final String DEVICE = "/dev/sdf";
  private static final List<String> GONE = List.of("deleting", "deleted", "error");

  private final AwsClients aws;
  private final ClusterNames names;
  private final Progress progress;

  DataVolume(AwsClients aws, ClusterNames names, Progress progress) {
    this.aws = aws;
    this.names = names;
    this.progress = progress;
  }

  /** The cluster's data volumes that are not being deleted: one, or none before the first up. */
  Future<List<Volume>> find() {
    return aws.call(aws.ec2.describeVolumes(b -> b.filters(
            Filter.builder().name("tag:" + Ec2Fleet.TAG_CLUSTER).values(names.cluster()).build(),
            Filter.builder().name("tag:" + Ec2Fleet.TAG_ROLE).values(ROLE).build())))
        .map(r -> r.volumes().stream().filter(v -> !GONE.contains(v.stateAsString())).toList());
  }

  /** The volume, created in {@code zone} when there is none; one elsewhere cannot serve this balancer. */
  Future<Volume> ensure(String zone, int sizeGb) {
    return find().compose(found -> {
      if (found.size() > 1) {
        return Future.failedFuture(new IllegalStateException("cluster " + names.cluster() + " has "
            + found.size() + " balancer data volumes (" + String.join(", ", found.stream().map(Volume::volumeId)
            .toList()) + "); keep the one with the queue, delete the others, and run up again"));
      }
      if (found.isEmpty()) {
        return create(zone, sizeGb);
      }
      Volume v = found.get(0);
      if (!zone.equals(v.availabilityZone())) {
        return Future.failedFuture(new IllegalStateException("the balancer's data volume " + v.volumeId()
            + " is in zone " + v.availabilityZone() + " but its subnet is in " + zone + ", and a volume attaches "
            + "only in its own zone: set subnetId to a subnet in " + v.availabilityZone()));
      }
      progress.exists("balancer data volume " + v.volumeId() + " (" + v.size() + " GiB, " + zone + ")");
      return Future.succeededFuture(v);
    });
  }

  private Future<Volume> create(String zone, int sizeGb) {
    List<Tag> tags = List.of(tag(Ec2Fleet.TAG_CLUSTER, names.cluster()), tag(Ec2Fleet.TAG_ROLE, ROLE),
        tag("Name", names.prefix() + "-" + ROLE));
    return aws.call(aws.ec2.createVolume(b -> b.availabilityZone(zone).size(sizeGb).volumeType(VolumeType.GP3)
            .encrypted(true)
            // The SDK retries a CreateVolume whose answer timed out: the token makes it one volume.
            .clientToken(UUID.randomUUID().toString())
            .tagSpecifications(t -> t.resourceType(ResourceType.VOLUME).tags(tags))))
        .compose(r -> describe(r.volumeId()))
        .onSuccess(v -> progress.created("balancer data volume " + v.volumeId() + " (" + sizeGb + " GiB gp3, "
            + zone + ")"));
  }

  /**
   * Attaches the volume to {@code balancer} (running: EC2 attaches to nothing else), after
   * waiting for it to come free of an instance that is going away. Nothing to do when it is
   * attached there already.
   */
  Future<Void> attach(String volumeId, Instance balancer, Deadline deadline) {
    return describe(volumeId).compose(v -> {
      if (attachedTo(v, balancer.instanceId())) {
        progress.exists("balancer data volume " + volumeId + " attached to " + balancer.instanceId());
        return Future.succeededFuture();
      }
      return available(volumeId, "balancer " + balancer.instanceId(), deadline)
          .compose(x -> aws.call(aws.ec2.attachVolume(b -> b.volumeId(volumeId).instanceId(balancer.instanceId())
              .device(DEVICE))))
          .<Void>mapEmpty()
          .onSuccess(x -> progress.changed("attached balancer data volume " + volumeId + " to "
              + balancer.instanceId()));
    });
  }

  /** Deletes the volume once no instance holds it; {@code down} calls this after the instances are gone. */
  Future<Void> delete(Deadline deadline) {
    return find().compose(found -> {
      Future<Void> f = Future.succeededFuture();
      for (Volume v : found) {
        f = f.compose(x -> available(v.volumeId(), "deletion", deadline))
            .compose(x -> aws.call(aws.ec2.deleteVolume(b -> b.volumeId(v.volumeId()))))
            .<Void>mapEmpty()
            .onSuccess(x -> progress.deleted("balancer data volume " + v.volumeId()))
            .recover(e -> AwsErrors.notFound(e) ? Future.succeededFuture() : Future.failedFuture(e));
      }
      return f;
    });
  }

  /** Polls until the volume is attached to nothing (one detaching from a terminated instance takes a while). */
  private Future<Volume> available(String volumeId, String wantedFor, Deadline deadline) {
    return describe(volumeId).compose(v -> {
      if ("available".equals(v.stateAsString())) {
        return Future.succeededFuture(v);
      }
      if (deadline.passed()) {
        return Future.failedFuture(new IllegalStateException("the balancer's data volume " + volumeId + " is "
            + v.stateAsString() + v.attachments().stream().map(a -> ", attached to " + a.instanceId()).findFirst()
            .orElse("") + ", not available for " + wantedFor + " after " + deadline.elapsedSeconds() + " s"));
      }
      return deadline.sleep("waiting for data volume " + volumeId + " to come free for " + wantedFor + " ("
          + v.stateAsString() + ")").compose(x -> available(volumeId, wantedFor, deadline));
    });
  }

  private Future<Volume> describe(String volumeId) {
    return aws.call(aws.ec2.describeVolumes(b -> b.volumeIds(volumeId))).map(r -> r.volumes().get(0));
  }

  /** One line for {@code status}: {@code vol-… (20 GiB, in-use by i-…)}. */
  static String describe(Volume v) {
    return v.volumeId() + " (" + v.size() + " GiB, " + v.stateAsString()
        + v.attachments().stream().map(a -> " by " + a.instanceId()).findFirst().orElse("") + ")";
  }

  static boolean attachedTo(Volume v, String instanceId) {
    return v.attachments().stream().map(VolumeAttachment::instanceId).anyMatch(instanceId::equals);
  }

  private static Tag tag(String key, String value) {
    return Tag.builder().key(key).value(value).build();
  }
}
