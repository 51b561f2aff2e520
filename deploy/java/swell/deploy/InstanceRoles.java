package swell.deploy;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import software.amazon.awssdk.services.iam.model.Tag;
import swell.fleet.AwsErrors;
import swell.fleet.Ec2Fleet;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One IAM role, instance profile and inline policy per role (balancer, endpoint, worker), the
 * policies rendered from {@code policies/*.json}. The balancer's is the only one with EC2 rights,
 * and only over instances carrying this cluster's tags.
 */
final class InstanceRoles {
  private static final String POLICIES = "/swell/deploy/policies/";
  /** The trust policy of every role up creates: instances of EC2 may assume it, nobody else. */
  private static final String ASSUME_ROLE = "assume-role.json";

  /** The statement of the balancer's policy that lists the bucket objects it may read. */
  private static final String BALANCER_OBJECTS = "ReadOnlyTheBalancersArtifacts";

  private final AwsClients aws;
  private final ClusterNames names;
  private final String workerInstanceType;
  private final boolean databasePassword;
  private final Progress progress;

  /** @param workerInstanceType the one type the balancer's role may launch */
  InstanceRoles(AwsClients aws, ClusterNames names, String workerInstanceType, Progress progress) {
    this(aws, names, workerInstanceType, false, progress);
  }

  /**
   * @param databasePassword the balancers read the RDS database's password from the bucket (store
   *     {@code postgres}): their policy names that one object too, and no other role's does
   */
  InstanceRoles(AwsClients aws, ClusterNames names, String workerInstanceType, boolean databasePassword,
                Progress progress) {
    this.aws = aws;
    this.names = names;
    this.workerInstanceType = workerInstanceType;
    this.databasePassword = databasePassword;
    this.progress = progress;
  }

  /**
   * The policy a role's instances get, with this cluster's account, region, bucket, tags and
   * worker type filled in (each checked by {@link DeployConfig} to hold nothing that breaks JSON).
   */
  String policy(String role) {
    String rendered = resource(role + ".json")
        .replace("{{partition}}", names.partition())
        .replace("{{region}}", names.region())
        .replace("{{account}}", names.account())
        .replace("{{cluster}}", names.cluster())
        .replace("{{bucket}}", names.bucket())
        .replace("{{workerRoleArn}}", names.roleArn(ClusterNames.WORKER))
        .replace("{{workerInstanceType}}", workerInstanceType)
        .replace("{{logGroupArn}}", names.logGroupArn())
        .replace("{{metricsNamespace}}", names.metricsNamespace());
    if (!databasePassword || !ClusterNames.BALANCER.equals(role)) {
      return rendered;
    }
    JsonObject policy = new JsonObject(rendered);
    for (Object o : policy.getJsonArray("Statement")) {
      JsonObject st = (JsonObject) o;
      if (BALANCER_OBJECTS.equals(st.getString("Sid"))) {
        st.getJsonArray("Resource").add("arn:" + names.partition() + ":s3:::" + names.bucket() + "/"
            + ClusterNames.DB_PASSWORD_KEY);
        return policy.encodePrettily();
      }
    }
    throw new IllegalStateException("the balancer's policy has no statement " + BALANCER_OBJECTS);
  }

  static String resource(String name) {
    try (InputStream in = InstanceRoles.class.getResourceAsStream(POLICIES + name)) {
      if (in == null) {
        throw new IllegalStateException("IAM policy " + POLICIES + name + " is missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Roles first (the worker's ARN goes into the balancer's policy), then the policies and profiles. */
  Future<Void> ensure() {
    Future<Void> f = Future.succeededFuture();
    for (String role : ClusterNames.ROLES) {
      f = f.compose(v -> ensureRole(role)).compose(v -> ensurePolicy(role)).compose(v -> ensureProfile(role));
    }
    return f;
  }

  /**
   * The role, created when missing. An existing one is reused only if its trust policy is Swell's
   * (EC2 may assume it, nobody else): a role of that name that trusts anyone else was not made by
   * {@code up}, and giving its permissions to instances, or its trust to this cluster's
   * policies, would be wrong either way.
   */
  private Future<Void> ensureRole(String role) {
    String name = names.iamName(role);
    return aws.call(aws.iam.getRole(b -> b.roleName(name))).<Void>compose(r -> {
      if (!swellTrust(r.role().assumeRolePolicyDocument())) {
        return Future.failedFuture(new IllegalStateException("IAM role " + name + " exists with a trust policy "
            + "other than Swell's (" + ASSUME_ROLE + ": EC2 may assume it, nobody else), so deploy up did not create "
            + "it; delete or rename that role, or set another clusterName"));
      }
      progress.exists("IAM role " + name);
      return Future.succeededFuture();
    }).recover(e -> {
      if (!AwsErrors.notFound(e)) {
        return Future.failedFuture(e);
      }
      return aws.call(aws.iam.createRole(b -> b.roleName(name)
              .assumeRolePolicyDocument(resource(ASSUME_ROLE))
              .description("Swell " + role + " instances of cluster " + names.cluster())
              .tags(Tag.builder().key(Ec2Fleet.TAG_CLUSTER).value(names.cluster()).build())))
          .map(r -> {
            progress.created("IAM role " + name);
            return null;
          });
    });
  }

  private Future<Void> ensurePolicy(String role) {
    String name = names.iamName(role);
    String wanted = policy(role);
    return aws.call(aws.iam.getRolePolicy(b -> b.roleName(name).policyName(name)))
        .map(r -> sameJson(URLDecoder.decode(r.policyDocument(), StandardCharsets.UTF_8), wanted))
        .recover(e -> AwsErrors.notFound(e) ? Future.succeededFuture(false) : Future.failedFuture(e))
        .compose(same -> {
          if (same) {
            progress.exists("IAM policy " + name);
            return Future.succeededFuture();
          }
          return aws.call(aws.iam.putRolePolicy(b -> b.roleName(name).policyName(name).policyDocument(wanted)))
              .map(r -> {
                progress.created("IAM policy " + name);
                return null;
              });
        });
  }

  private Future<Void> ensureProfile(String role) {
    String name = names.iamName(role);
    return aws.call(aws.iam.getInstanceProfile(b -> b.instanceProfileName(name)))
        .map(r -> r.instanceProfile().roles().stream().anyMatch(x -> x.roleName().equals(name)))
        .recover(e -> {
          if (!AwsErrors.notFound(e)) {
            return Future.failedFuture(e);
          }
          return aws.call(aws.iam.createInstanceProfile(b -> b.instanceProfileName(name)))
              .map(r -> {
                progress.created("instance profile " + name);
                return false;
              });
        })
        .compose(hasRole -> {
          if (hasRole) {
            progress.exists("instance profile " + name);
            return Future.succeededFuture();
          }
          return aws.call(aws.iam.addRoleToInstanceProfile(b -> b.instanceProfileName(name).roleName(name)))
              .<Void>mapEmpty();
        });
  }

  /**
   * Removes profiles, policies and roles; each step that finds nothing to remove moves on. A role
   * of this cluster's name that {@code up} would not have reused (another trust policy) is left,
   * with its profile.
   */
  Future<Void> delete() {
    Future<Void> f = Future.succeededFuture();
    for (String role : ClusterNames.ROLES) {
      String name = names.iamName(role);
      f = f.compose(v -> foreign(name)).compose(foreign -> {
        if (foreign) {
          progress.exists("IAM role " + name + " kept: its trust policy is not Swell's, so deploy up did not "
              + "create it");
          return Future.succeededFuture();
        }
        return deleteProfile(name).compose(v -> deleteRole(name));
      });
    }
    return f;
  }

  private Future<Boolean> foreign(String name) {
    return aws.call(aws.iam.getRole(b -> b.roleName(name)))
        .map(r -> !swellTrust(r.role().assumeRolePolicyDocument()))
        .recover(e -> AwsErrors.notFound(e) ? Future.succeededFuture(false) : Future.failedFuture(e));
  }

  /** Whether a trust policy (as IAM returns it, URL-encoded) says what {@code assume-role.json} says. */
  static boolean swellTrust(String document) {
    try {
      Object actual = comparable(new JsonObject(URLDecoder.decode(document, StandardCharsets.UTF_8)));
      return actual.equals(comparable(new JsonObject(resource(ASSUME_ROLE))));
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * A policy document as what it means: statement ids dropped and one-element lists as their one
   * value, the two spellings IAM and consoles use for the same policy.
   */
  private static Object comparable(Object value) {
    if (value instanceof JsonObject o) {
      JsonObject out = new JsonObject();
      o.forEach(e -> {
        if (!"Sid".equals(e.getKey())) {
          out.put(e.getKey(), comparable(e.getValue()));
        }
      });
      return out;
    }
    if (value instanceof JsonArray a) {
      if (a.size() == 1) {
        return comparable(a.getValue(0));
      }
      JsonArray out = new JsonArray();
      a.forEach(x -> out.add(comparable(x)));
      return out;
    }
    return value;
  }

  private Future<Void> deleteProfile(String name) {
    return aws.call(aws.iam.getInstanceProfile(b -> b.instanceProfileName(name)))
        .compose(r -> {
          Future<Void> f = Future.succeededFuture();
          for (var role : r.instanceProfile().roles()) {
            f = f.compose(v -> aws.call(aws.iam.removeRoleFromInstanceProfile(b -> b.instanceProfileName(name)
                .roleName(role.roleName()))).mapEmpty());
          }
          return f.compose(v -> aws.call(aws.iam.deleteInstanceProfile(b -> b.instanceProfileName(name))))
              .<Void>map(x -> {
                progress.deleted("instance profile " + name);
                return null;
              });
        })
        .recover(InstanceRoles::ignoreNotFound);
  }

  private Future<Void> deleteRole(String name) {
    return aws.call(aws.iam.listRolePolicies(b -> b.roleName(name)))
        .compose(inline -> {
          Future<Void> f = Future.succeededFuture();
          for (String policy : inline.policyNames()) {
            f = f.compose(v -> aws.call(aws.iam.deleteRolePolicy(b -> b.roleName(name).policyName(policy)))
                .<Void>map(x -> {
                  progress.deleted("IAM policy " + policy);
                  return null;
                }));
          }
          return f;
        })
        .compose(v -> aws.call(aws.iam.listAttachedRolePolicies(b -> b.roleName(name))))
        .compose(attached -> {
          // Not ours, but a role with a managed policy attached cannot be deleted.
          Future<Void> f = Future.succeededFuture();
          for (var p : attached.attachedPolicies()) {
            f = f.compose(v -> aws.call(aws.iam.detachRolePolicy(b -> b.roleName(name).policyArn(p.policyArn())))
                .mapEmpty());
          }
          return f;
        })
        .compose(v -> aws.call(aws.iam.deleteRole(b -> b.roleName(name))))
        .<Void>map(x -> {
          progress.deleted("IAM role " + name);
          return null;
        })
        .recover(InstanceRoles::ignoreNotFound);
  }

  /** Which of the three roles and profiles exist, for {@code status}. */
  Future<List<String>> existing() {
    List<Future<String>> checks = ClusterNames.ROLES.stream()
        .map(role -> aws.call(aws.iam.getRole(b -> b.roleName(names.iamName(role)))).map(r -> names.iamName(role))
            .recover(e -> AwsErrors.notFound(e) ? Future.succeededFuture(null) : Future.failedFuture(e)))
        .toList();
    return Future.all(checks).map(all -> checks.stream().map(Future::result).filter(n -> n != null).toList());
  }

  private static boolean sameJson(String a, String b) {
    try {
      return new JsonObject(a).equals(new JsonObject(b));
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static Future<Void> ignoreNotFound(Throwable e) {
    return AwsErrors.notFound(e) ? Future.succeededFuture() : Future.failedFuture(e);
  }
}
