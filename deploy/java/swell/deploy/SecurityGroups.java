package swell.deploy;

import io.vertx.core.Future;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.IpRange;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;
import software.amazon.awssdk.services.ec2.model.UserIdGroupPair;
import swell.fleet.AwsErrors;
import swell.fleet.Ec2Fleet;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The prototype's two security groups. Endpoints: tcp:5000 from {@code publicCidr}. Balancer and
 * workers: tcp:5000 only from the endpoint group and from their own group. SSH on both only when
 * a key pair and a CIDR are configured. With store {@code postgres} a third, the database's:
 * tcp:5432 only from the internal group. {@code up} makes the rules exactly these, adding what is
 * missing and revoking what is not wanted.
 */
final class SecurityGroups {

  /** The two group ids of one cluster. */
  record Ids(String endpoints, String internal) {
  }

  /** One ingress rule: tcp {@code port} from a CIDR or from a group. */
  record Rule(int port, String cidr, String groupId) {
    IpPermission permission() {
      IpPermission.Builder p = IpPermission.builder().ipProtocol("tcp").fromPort(port).toPort(port);
      return cidr != null
          ? p.ipRanges(IpRange.builder().cidrIp(cidr).build()).build()
          : p.userIdGroupPairs(UserIdGroupPair.builder().groupId(groupId).build()).build();
    }
  }

  private final AwsClients aws;
  private final ClusterNames names;
  private final Progress progress;

  SecurityGroups(AwsClients aws, ClusterNames names, Progress progress) {
    this.aws = aws;
    this.names = names;
    this.progress = progress;
  }

  Future<Ids> ensure(String vpcId, DeployConfig cfg) {
    return Future.all(
            ensureGroup(names.endpointGroup(), "Swell endpoints: the public surface, tcp:5000", vpcId),
            ensureGroup(names.internalGroup(), "Swell balancer and workers: tcp:5000 from endpoints and each other",
                vpcId))
        .compose(all -> {
          Ids ids = new Ids(all.resultAt(0), all.resultAt(1));
          Set<Rule> endpointRules = new LinkedHashSet<>();
          endpointRules.add(new Rule(DeployConfig.PORT, cfg.publicCidr(), null));
          Set<Rule> internalRules = new LinkedHashSet<>();
          internalRules.add(new Rule(DeployConfig.PORT, null, ids.endpoints()));
          internalRules.add(new Rule(DeployConfig.PORT, null, ids.internal()));
          if (cfg.ssh()) {
            endpointRules.add(new Rule(22, cfg.sshCidr(), null));
            internalRules.add(new Rule(22, cfg.sshCidr(), null));
          }
          return Future.all(
                  reconcile(names.endpointGroup(), ids.endpoints(), endpointRules),
                  reconcile(names.internalGroup(), ids.internal(), internalRules))
              .map(ids);
        });
  }

  /** The database's group: tcp:5432 from the balancers' (internal) group, nothing else. */
  Future<String> ensureDatabase(String vpcId, String internalGroupId) {
    return ensureGroup(names.database(), "Swell database: tcp:5432 from the balancers only", vpcId)
        .compose(id -> reconcile(names.database(), id, Set.of(new Rule(Database.PORT, null, internalGroupId))).map(id));
  }

  private Future<String> ensureGroup(String name, String description, String vpcId) {
    return describe(List.of(filter("group-name", name), filter("vpc-id", vpcId))).compose(found -> {
      if (!found.isEmpty()) {
        progress.exists("security group " + name + " (" + found.get(0).groupId() + ")");
        return Future.succeededFuture(found.get(0).groupId());
      }
      return aws.call(aws.ec2.createSecurityGroup(b -> b.groupName(name).description(description).vpcId(vpcId)
              .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.SECURITY_GROUP).tags(
                  Tag.builder().key(Ec2Fleet.TAG_CLUSTER).value(names.cluster()).build(),
                  Tag.builder().key("Name").value(name).build()).build())))
          .map(resp -> {
            progress.created("security group " + name + " (" + resp.groupId() + ")");
            return resp.groupId();
          });
    });
  }

  /** Makes a group's tcp ingress exactly {@code wanted}. */
  private Future<Void> reconcile(String name, String groupId, Set<Rule> wanted) {
    return describe(List.of(filter("group-id", groupId))).compose(groups -> {
      Set<Rule> have = rules(groups.get(0));
      List<IpPermission> add = new ArrayList<>();
      List<IpPermission> revoke = new ArrayList<>();
      wanted.stream().filter(r -> !have.contains(r)).forEach(r -> add.add(r.permission()));
      have.stream().filter(r -> !wanted.contains(r)).forEach(r -> revoke.add(r.permission()));
      Future<Void> f = Future.succeededFuture();
      if (!add.isEmpty()) {
        f = f.compose(v -> aws.call(aws.ec2.authorizeSecurityGroupIngress(b -> b.groupId(groupId).ipPermissions(add)))
            .onSuccess(r -> progress.created(add.size() + " ingress rule(s) on " + name)).mapEmpty());
      }
      if (!revoke.isEmpty()) {
        f = f.compose(v -> aws.call(aws.ec2.revokeSecurityGroupIngress(b -> b.groupId(groupId).ipPermissions(revoke)))
            .onSuccess(r -> progress.changed("revoked " + revoke.size() + " unwanted ingress rule(s) on " + name))
            .mapEmpty());
      }
      return f;
    });
  }

  /** A group's ingress as single rules; anything but tcp to one port is unwanted by definition. */
  static Set<Rule> rules(SecurityGroup g) {
    Set<Rule> out = new LinkedHashSet<>();
    for (IpPermission p : g.ipPermissions()) {
      boolean single = "tcp".equals(p.ipProtocol()) && p.fromPort() != null && p.fromPort().equals(p.toPort());
      int port = single ? p.fromPort() : -1;
      p.ipRanges().forEach(r -> out.add(new Rule(port, r.cidrIp(), null)));
      p.userIdGroupPairs().forEach(u -> out.add(new Rule(port, null, u.groupId())));
    }
    return out;
  }

  /** This cluster's groups in any VPC, found by tag and by name (a half-made one may lack its tag). */
  Future<List<SecurityGroup>> find() {
    List<String> ours = List.of(names.endpointGroup(), names.internalGroup(), names.database());
    return Future.all(
            describe(List.of(filter("tag:" + Ec2Fleet.TAG_CLUSTER, names.cluster()))),
            describe(List.of(filter("group-name", ours.toArray(String[]::new)))))
        .map(all -> {
          List<SecurityGroup> out = new ArrayList<>();
          Set<String> seen = new LinkedHashSet<>();
          for (int i = 0; i < 2; i++) {
            List<SecurityGroup> groups = all.resultAt(i);
            groups.stream().filter(g -> ours.contains(g.groupName()))
                .filter(g -> seen.add(g.groupId())).forEach(out::add);
          }
          return out;
        });
  }

  /**
   * Deletes the groups: first every ingress rule (they name each other), then the groups, again
   * while EC2 still says an interface of a just-terminated instance (or of the deleted database)
   * uses them.
   */
  Future<Void> delete(Deadline deadline) {
    return find().compose(groups -> {
      Future<Void> f = Future.succeededFuture();
      for (SecurityGroup g : groups) {
        if (!g.ipPermissions().isEmpty()) {
          f = f.compose(v -> aws.call(aws.ec2.revokeSecurityGroupIngress(b -> b.groupId(g.groupId())
              .ipPermissions(g.ipPermissions()))).<Void>mapEmpty().recover(e -> ignoreNotFound(e)));
        }
      }
      for (SecurityGroup g : groups) {
        f = f.compose(v -> deleteGroup(g, deadline));
      }
      return f;
    });
  }

  private Future<Void> deleteGroup(SecurityGroup g, Deadline deadline) {
    return aws.call(aws.ec2.deleteSecurityGroup(b -> b.groupId(g.groupId())))
        .<Void>map(r -> {
          progress.deleted("security group " + g.groupName() + " (" + g.groupId() + ")");
          return null;
        })
        .recover(e -> {
          if (AwsErrors.notFound(e)) {
            return Future.succeededFuture();
          }
          if ("DependencyViolation".equals(AwsErrors.code(e)) && !deadline.passed()) {
            return deadline.sleep("waiting for EC2 to release security group " + g.groupName()
                + " (still used by a network interface)").compose(v -> deleteGroup(g, deadline));
          }
          return Future.failedFuture(e);
        });
  }

  private Future<List<SecurityGroup>> describe(List<Filter> filters) {
    return aws.call(aws.ec2.describeSecurityGroups(b -> b.filters(filters))).map(r -> r.securityGroups());
  }

  private static Future<Void> ignoreNotFound(Throwable e) {
    return AwsErrors.notFound(e) ? Future.succeededFuture() : Future.failedFuture(e);
  }

  private static Filter filter(String name, String... values) {
    return Filter.builder().name(name).values(values).build();
  }
}
