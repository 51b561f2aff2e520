package swell.deploy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.model.Tag;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static swell.deploy.MotoDeploy.await;

/**
 * {@code up} and {@code down} against buckets and roles of the same name that the cluster did not
 * create: up refuses to use them, down leaves them as they were.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OwnershipTest {
  @RegisterExtension
  static final MotoDeploy env = new MotoDeploy();

  private void bucketWith(String bucket, List<Tag> tags, String key) {
    env.aws.s3.createBucket(b -> b.bucket(bucket)).join();
    if (!tags.isEmpty()) {
      env.aws.s3.putBucketTagging(b -> b.bucket(bucket).tagging(t -> t.tagSet(tags))).join();
    }
    if (key != null) {
      env.aws.s3.putObject(b -> b.bucket(bucket).key(key), AsyncRequestBody.fromString("someone's data")).join();
    }
  }

  private List<Tag> tagsOf(String bucket) {
    return env.aws.s3.getBucketTagging(b -> b.bucket(bucket)).join().tagSet();
  }

  private List<String> keysOf(String bucket) {
    return env.aws.s3.listObjectsV2(b -> b.bucket(bucket)).join().contents().stream().map(o -> o.key()).toList();
  }

  private static Tag tag(String key, String value) {
    return Tag.builder().key(key).value(value).build();
  }

  @Test
  void upRefusesABucketOfAnotherClusterAndDownLeavesIt() throws Exception {
    bucketWith("shared-artifacts", List.of(tag("swell:cluster", "prod")), "swell.jar");
    JsonObject overrides = new JsonObject().put("bucket", "shared-artifacts");

    assertThatThrownBy(() -> await(env.deployment("staging", overrides).up(false)))
        .hasMessageContaining("shared-artifacts").hasMessageContaining("cluster prod");
    assertThat(await(env.deployment("staging", overrides).status()).instances()).isEmpty();
    await(env.deployment("staging", overrides).down());

    assertThat(env.output()).contains("bucket shared-artifacts kept");
    assertThat(tagsOf("shared-artifacts")).containsExactly(tag("swell:cluster", "prod"));
    assertThat(keysOf("shared-artifacts")).containsExactly("swell.jar");
    assertThat(new String(env.object("shared-artifacts", "swell.jar"), StandardCharsets.UTF_8))
        .isEqualTo("someone's data");
  }

  @Test
  void upRefusesAnUntaggedBucketThatHoldsObjectsAndDownLeavesIt() throws Exception {
    bucketWith("team-data", List.of(tag("team", "analytics")), "reports/2026.csv");
    JsonObject overrides = new JsonObject().put("bucket", "team-data");

    assertThatThrownBy(() -> await(env.deployment("mine", overrides).up(false)))
        .hasMessageContaining("team-data").hasMessageContaining("holds objects");
    await(env.deployment("mine", overrides).down());

    assertThat(tagsOf("team-data")).containsExactly(tag("team", "analytics"));
    assertThat(keysOf("team-data")).containsExactly("reports/2026.csv");
  }

  @Test
  void anEmptyUntaggedBucketIsTakenOverKeepingItsTagsAndDownDeletesIt() throws Exception {
    bucketWith("made-for-swell", List.of(tag("costcentre", "42")), null);
    JsonObject overrides = new JsonObject().put("bucket", "made-for-swell");

    await(env.deployment("adopter", overrides).up(false));

    assertThat(env.output()).contains("took over empty bucket made-for-swell");
    assertThat(tagsOf("made-for-swell")).containsExactlyInAnyOrder(tag("costcentre", "42"),
        tag("swell:cluster", "adopter"));
    assertThat(keysOf("made-for-swell")).contains("swell.jar", "cluster-token");

    await(env.deployment("adopter", overrides).down());

    assertThat(env.aws.s3.listBuckets().join().buckets()).extracting(b -> b.name()).doesNotContain("made-for-swell");
  }

  @Test
  void upRefusesARoleOfTheClustersNameThatTrustsSomeoneElseAndDownLeavesIt() throws Exception {
    String lambdaTrust = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
        + "\"Principal\":{\"Service\":\"lambda.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}";
    env.aws.iam.createRole(b -> b.roleName("swell-lent-endpoint").assumeRolePolicyDocument(lambdaTrust)).join();

    assertThatThrownBy(() -> await(env.deployment("lent", new JsonObject()).up(false)))
        .hasMessageContaining("IAM role swell-lent-endpoint").hasMessageContaining("trust policy");
    assertThat(await(env.deployment("lent", new JsonObject()).status()).instances()).isEmpty();
    await(env.deployment("lent", new JsonObject()).down());

    assertThat(env.output()).contains("IAM role swell-lent-endpoint kept");
    assertThat(env.aws.iam.getRole(b -> b.roleName("swell-lent-endpoint")).join().role().roleName())
        .isEqualTo("swell-lent-endpoint");
    assertThat(await(env.deployment("lent", new JsonObject()).status()).roles())
        .containsExactly("swell-lent-endpoint");
  }

  @Test
  void aRoleWhoseTrustPolicyIsSwellsIsReusedHoweverItIsSpelt() {
    String sameMeaning = "{\"Version\":\"2012-10-17\",\"Statement\":{\"Sid\":\"ec2\",\"Effect\":\"Allow\","
        + "\"Principal\":{\"Service\":[\"ec2.amazonaws.com\"]},\"Action\":[\"sts:AssumeRole\"]}}";
    assertThat(InstanceRoles.swellTrust(sameMeaning)).isTrue();
    assertThat(InstanceRoles.swellTrust(java.net.URLEncoder.encode(sameMeaning, StandardCharsets.UTF_8))).isTrue();
    assertThat(InstanceRoles.swellTrust(sameMeaning.replace("ec2.amazonaws.com", "ecs-tasks.amazonaws.com")))
        .isFalse();
    assertThat(InstanceRoles.swellTrust(sameMeaning.replace("[\"ec2.amazonaws.com\"]",
        "[\"ec2.amazonaws.com\",\"lambda.amazonaws.com\"]"))).isFalse();
  }
}
