package swell.deploy;

import io.vertx.core.Future;
import software.amazon.awssdk.services.cloudwatchlogs.model.LogGroup;
import swell.fleet.AwsErrors;
import swell.fleet.Ec2Fleet;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The cluster's CloudWatch Logs group, {@code /swell/<cluster>}: every instance's CloudWatch agent
 * ships its Swell log and its boot log to a stream named after the instance. {@code up} makes it
 * with {@code logRetentionDays} and the cluster's tag; {@code down} deletes it unless
 * {@code keepLogs}, and never one without the cluster's tag (someone else's group of that name).
 */
final class ClusterLogs {
  /** The retentions CloudWatch Logs accepts, in days (PutRetentionPolicy refuses any other). */
  static final Set<Integer> RETENTION_DAYS = Set.of(1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
      1096, 1827, 2192, 2557, 2922, 3288, 3653);

  private final AwsClients aws;
  private final ClusterNames names;
  private final Progress progress;

  ClusterLogs(AwsClients aws, ClusterNames names, Progress progress) {
    this.aws = aws;
    this.names = names;
    this.progress = progress;
  }

  /** The group as CloudWatch lists it, or null. */
  Future<LogGroup> find() {
    return aws.call(aws.logs.describeLogGroups(b -> b.logGroupNamePrefix(names.logGroup())))
        .map(r -> r.logGroups().stream().filter(g -> names.logGroup().equals(g.logGroupName())).findFirst()
            .orElse(null));
  }

  /** The group exists, carries the cluster's tag and keeps events {@code retentionDays}. */
  Future<Void> ensure(int retentionDays) {
    String what = "log group " + names.logGroup() + " (" + retentionDays + " days)";
    return find().compose(group -> {
      if (group == null) {
        return aws.call(aws.logs.createLogGroup(b -> b.logGroupName(names.logGroup())
                .tags(Map.of(Ec2Fleet.TAG_CLUSTER, names.cluster()))))
            .compose(r -> retention(retentionDays))
            .onSuccess(v -> progress.created(what));
      }
      Future<Void> tagged = tags(group).compose(tags -> tags.containsKey(Ec2Fleet.TAG_CLUSTER)
          ? Future.succeededFuture()
          : aws.call(aws.logs.tagResource(b -> b.resourceArn(arn(group))
              .tags(Map.of(Ec2Fleet.TAG_CLUSTER, names.cluster())))).mapEmpty());
      if (group.retentionInDays() == null || group.retentionInDays() != retentionDays) {
        return tagged.compose(v -> retention(retentionDays))
            .onSuccess(v -> progress.changed(what + ", was " + (group.retentionInDays() == null ? "never expire"
                : group.retentionInDays() + " days")));
      }
      return tagged.onSuccess(v -> progress.exists(what));
    });
  }

  private Future<Void> retention(int days) {
    return aws.call(aws.logs.putRetentionPolicy(b -> b.logGroupName(names.logGroup()).retentionInDays(days)))
        .mapEmpty();
  }

  /**
   * Deletes the group and every event in it, unless {@code keep}; a group without the cluster's
   * tag is not the cluster's and stays.
   */
  Future<Void> delete(boolean keep) {
    return find().compose(group -> {
      if (group == null) {
        return Future.succeededFuture();
      }
      if (keep) {
        progress.say("  = log group " + names.logGroup() + " kept (keepLogs): its events expire after "
            + (group.retentionInDays() == null ? "never" : group.retentionInDays() + " days"));
        return Future.succeededFuture();
      }
      return tags(group).compose(tags -> {
        if (!names.cluster().equals(tags.get(Ec2Fleet.TAG_CLUSTER))) {
          progress.say("  = log group " + names.logGroup() + " kept: it is not tagged "
              + Ec2Fleet.TAG_CLUSTER + "=" + names.cluster());
          return Future.succeededFuture();
        }
        return aws.call(aws.logs.deleteLogGroup(b -> b.logGroupName(names.logGroup())))
            .<Void>mapEmpty()
            .recover(e -> "ResourceNotFoundException".equals(AwsErrors.code(e)) ? Future.succeededFuture()
                : Future.failedFuture(e))
            .onSuccess(v -> progress.deleted("log group " + names.logGroup()));
      });
    });
  }

  /** What {@code status} prints about the group, or nothing when there is none. */
  Future<List<String>> statusLines() {
    return find().map(group -> group == null ? List.of() : List.of(names.logGroup() + " (" + (group.retentionInDays()
        == null ? "kept forever" : group.retentionInDays() + " days") + ", " + group.storedBytes() + " bytes)"));
  }

  private Future<Map<String, String>> tags(LogGroup group) {
    return aws.call(aws.logs.listTagsForResource(b -> b.resourceArn(arn(group)))).map(r -> r.tags());
  }

  /** The group's own ARN, without the {@code :*} DescribeLogGroups appends for its streams. */
  private String arn(LogGroup group) {
    if (group.logGroupArn() != null) {
      return group.logGroupArn();
    }
    String a = group.arn();
    return a != null && a.endsWith(":*") ? a.substring(0, a.length() - 2) : a;
  }
}
