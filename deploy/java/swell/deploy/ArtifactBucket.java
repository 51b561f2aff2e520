package swell.deploy;

import io.vertx.core.Future;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.model.BucketLocationConstraint;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PublicAccessBlockConfiguration;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.Tag;
import swell.fleet.AwsErrors;
import swell.fleet.Ec2Fleet;
import swell.keys.ClientKey;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The cluster's private S3 bucket: the fat jar, one config per role and the cluster token, read
 * by the instances with their roles at boot, and the client keys, read only by the deployer.
 * Objects are uploaded only when their SHA-256 changed; the token and the keys are generated once
 * and kept, so a second {@code up} locks out neither running workers nor clients.
 */
final class ArtifactBucket {
  /** User metadata holding an object's SHA-256, compared before uploading again. */
  private static final String SHA256 = "sha256";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final AwsClients aws;
  private final ClusterNames names;
  private final Progress progress;

  ArtifactBucket(AwsClients aws, ClusterNames names, Progress progress) {
    this.aws = aws;
    this.names = names;
    this.progress = progress;
  }

  /**
   * The bucket, created and tagged {@code swell:cluster=<cluster>} when missing. An existing one is
   * used only if the tag says it is this cluster's, or if it is untagged and empty (one an
   * interrupted {@code up} created, or one made for Swell by hand): that one is tagged and from then
   * on this cluster's, so {@code down} deletes it. Another cluster's bucket, or an untagged one
   * holding objects, is refused: {@code down} would delete what this cluster never put there.
   */
  Future<Void> ensure() {
    String bucket = names.bucket();
    return existsHere()
        .compose(exists -> exists ? adopt() : create())
        // Always (again): a bucket whose creation was interrupted must not stay public-capable.
        .compose(v -> aws.call(aws.s3.putPublicAccessBlock(b -> b.bucket(bucket).publicAccessBlockConfiguration(
            PublicAccessBlockConfiguration.builder().blockPublicAcls(true).ignorePublicAcls(true)
                .blockPublicPolicy(true).restrictPublicBuckets(true).build()))))
        .mapEmpty();
  }

  private Future<Boolean> existsHere() {
    String bucket = names.bucket();
    return aws.call(aws.s3.headBucket(b -> b.bucket(bucket))).<Boolean>map(r -> true)
        .recover(e -> switch (AwsErrors.status(e)) {
          case 404 -> Future.succeededFuture(false);
          case 403 -> Future.failedFuture(new IllegalStateException("bucket " + bucket
              + " exists but belongs to another account; set \"bucket\" in deploy.json to a name of your own"));
          default -> Future.failedFuture(e);
        });
  }

  private Future<Void> create() {
    String bucket = names.bucket();
    return aws.call(aws.s3.createBucket(b -> {
          b.bucket(bucket);
          // us-east-1 is the one region that refuses its own name as a location constraint.
          if (!Region.US_EAST_1.id().equals(names.region())) {
            b.createBucketConfiguration(c -> c.locationConstraint(BucketLocationConstraint.fromValue(names.region())));
          }
        }))
        .onSuccess(r -> progress.created("bucket " + bucket))
        .compose(r -> tag(List.of()));
  }

  private Future<Void> adopt() {
    String bucket = names.bucket();
    return tags().compose(tags -> {
      String owner = owner(tags);
      if (owner.equals(names.cluster())) {
        progress.exists("bucket " + bucket);
        return Future.succeededFuture();
      }
      if (!owner.isEmpty()) {
        return Future.failedFuture(new IllegalStateException("bucket " + bucket + " belongs to Swell cluster "
            + owner + " (its " + Ec2Fleet.TAG_CLUSTER + " tag), not to " + names.cluster()
            + "; set \"bucket\" in deploy.json to another name"));
      }
      return aws.call(aws.s3.listObjectsV2(b -> b.bucket(bucket).maxKeys(1))).compose(page -> {
        if (!page.contents().isEmpty()) {
          return Future.failedFuture(new IllegalStateException("bucket " + bucket + " holds objects and has no "
              + Ec2Fleet.TAG_CLUSTER + " tag: deploy up uses only a bucket it created or an empty one, which "
              + "deploy down deletes again; set \"bucket\" in deploy.json to a new name or an empty bucket"));
        }
        return tag(tags).onSuccess(v -> progress.changed("took over empty bucket " + bucket + " (tagged "
            + Ec2Fleet.TAG_CLUSTER + "=" + names.cluster() + "; deploy down deletes it)"));
      });
    });
  }

  /** Adds this cluster's tag to the bucket's {@code others}. */
  private Future<Void> tag(List<Tag> others) {
    List<Tag> tags = new ArrayList<>(others);
    tags.add(Tag.builder().key(Ec2Fleet.TAG_CLUSTER).value(names.cluster()).build());
    return aws.call(aws.s3.putBucketTagging(b -> b.bucket(names.bucket()).tagging(t -> t.tagSet(tags)))).mapEmpty();
  }

  private Future<List<Tag>> tags() {
    return aws.call(aws.s3.getBucketTagging(b -> b.bucket(names.bucket()))).map(r -> r.tagSet())
        .recover(e -> "NoSuchTagSet".equals(AwsErrors.code(e))
            ? Future.succeededFuture(List.of()) : Future.failedFuture(e));
  }

  /** The cluster a bucket's tag names, {@code ""} when it has none. */
  private static String owner(List<Tag> tags) {
    return tags.stream().filter(t -> Ec2Fleet.TAG_CLUSTER.equals(t.key())).map(Tag::value).findFirst().orElse("");
  }

  /** Uploads the jar unless the bucket already holds one with the same SHA-256. */
  Future<Void> putJar(Path jar) {
    if (!Files.isRegularFile(jar)) {
      return Future.failedFuture(new IllegalStateException("no jar at " + jar.toAbsolutePath()
          + ": run mvn -B package first, or set \"jar\" in deploy.json"));
    }
    // Hashing tens of megabytes is blocking work: off the event loop.
    return aws.blocking(() -> sha256(jar)).compose(sha -> storedSha(ClusterNames.JAR_KEY).compose(stored -> {
      if (sha.equals(stored)) {
        progress.exists("jar s3://" + names.bucket() + "/" + ClusterNames.JAR_KEY + " (unchanged)");
        return Future.succeededFuture();
      }
      return aws.call(aws.s3.putObject(b -> b.bucket(names.bucket()).key(ClusterNames.JAR_KEY)
              .contentType("application/java-archive").metadata(Map.of(SHA256, sha)), AsyncRequestBody.fromFile(jar)))
          .onSuccess(r -> progress.created("jar s3://" + names.bucket() + "/" + ClusterNames.JAR_KEY))
          .mapEmpty();
    }));
  }

  /** Writes one object unless it holds these bytes already. */
  Future<Void> putIfChanged(String key, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    String sha = sha256(bytes);
    return storedSha(key).compose(stored -> {
      if (sha.equals(stored)) {
        progress.exists("s3://" + names.bucket() + "/" + key + " (unchanged)");
        return Future.succeededFuture();
      }
      return put(key, "application/json", bytes).onSuccess(v -> progress.created("s3://" + names.bucket() + "/" + key));
    });
  }

  /** A fresh random token the first time; afterwards the one already there, untouched. */
  Future<Void> ensureToken() {
    return storedSha(ClusterNames.TOKEN_KEY).compose(stored -> {
      if (stored != null) {
        progress.exists("cluster token (kept)");
        return Future.succeededFuture();
      }
      byte[] raw = new byte[32];
      RANDOM.nextBytes(raw);
      byte[] token = HexFormat.of().formatHex(raw).getBytes(StandardCharsets.US_ASCII);
      return put(ClusterNames.TOKEN_KEY, "text/plain", token)
          .onSuccess(v -> progress.created("cluster token s3://" + names.bucket() + "/" + ClusterNames.TOKEN_KEY));
    });
  }

  /** The database's password, and whether this {@code up} made it (the database may predate it). */
  record DatabasePassword(String value, boolean created) {
  }

  /**
   * RDS takes any printable ASCII in a master password but {@code /}, {@code @}, {@code "} and the
   * space; letters and digits alone also pass untouched through the boot script and systemd's
   * environment file. 32 of them carry 190 bits.
   */
  private static final String PASSWORD_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  private static final int PASSWORD_LENGTH = 32;

  /**
   * The RDS database's master password: the one the bucket holds, or the first time a fresh one.
   * It is never printed; only the deployer and the balancers' role read it.
   */
  Future<DatabasePassword> ensureDatabasePassword() {
    String key = ClusterNames.DB_PASSWORD_KEY;
    return aws.call(aws.s3.getObject(b -> b.bucket(names.bucket()).key(key), AsyncResponseTransformer.toBytes()))
        .map(r -> {
          progress.exists("database password s3://" + names.bucket() + "/" + key + " (kept)");
          return new DatabasePassword(r.asUtf8String().strip(), false);
        })
        .recover(e -> {
          if (AwsErrors.status(e) != 404) {
            return Future.failedFuture(e);
          }
          String fresh = newDatabasePassword();
          return put(key, "text/plain", fresh.getBytes(StandardCharsets.US_ASCII)).map(v -> {
            progress.created("database password s3://" + names.bucket() + "/" + key);
            return new DatabasePassword(fresh, true);
          });
        });
  }

  static String newDatabasePassword() {
    StringBuilder out = new StringBuilder(PASSWORD_LENGTH);
    for (int i = 0; i < PASSWORD_LENGTH; i++) {
      out.append(PASSWORD_CHARS.charAt(RANDOM.nextInt(PASSWORD_CHARS.length())));
    }
    return out.toString();
  }

  /**
   * The client key {@code name}: the one the bucket holds, or, the first time, a fresh one, which
   * is printed then and only then. Only the deployer reads it again: no instance role may read
   * {@code client-keys/}, and the endpoints get its SHA-256 alone.
   */
  Future<String> ensureClientKey(String name) {
    String key = ClusterNames.clientKeyKey(name);
    return clientKey(name).compose(stored -> {
      if (stored != null) {
        progress.exists("client key " + name + " (kept; deploy key " + name + " prints it)");
        return Future.succeededFuture(stored);
      }
      String fresh = newClientKey();
      return put(key, "text/plain", fresh.getBytes(StandardCharsets.UTF_8)).map(v -> {
        progress.created("client key " + name + " s3://" + names.bucket() + "/" + key);
        progress.say("    " + fresh);
        progress.say("    clients send it as 'Authorization: Bearer <key>'; deploy key " + name + " prints it again");
        return fresh;
      });
    });
  }

  /** The client key {@code name} as the bucket holds it, {@code null} when there is none. */
  Future<String> clientKey(String name) {
    return aws.call(aws.s3.getObject(b -> b.bucket(names.bucket()).key(ClusterNames.clientKeyKey(name)),
            AsyncResponseTransformer.toBytes()))
        .map(r -> r.asUtf8String().strip())
        .recover(e -> AwsErrors.status(e) == 404 ? Future.succeededFuture(null) : Future.failedFuture(e));
  }

  /** The names of the client keys the bucket holds; none when there is no bucket. */
  Future<List<String>> clientKeyNames() {
    return aws.call(aws.s3.listObjectsV2(b -> b.bucket(names.bucket()).prefix(ClusterNames.CLIENT_KEYS)))
        .map(r -> r.contents().stream().map(o -> o.key().substring(ClusterNames.CLIENT_KEYS.length())).toList())
        .recover(e -> AwsErrors.status(e) == 404 ? Future.succeededFuture(List.of()) : Future.failedFuture(e));
  }

  /** A fresh client key, in the one format {@code swell keys new} makes too. */
  static String newClientKey() {
    return ClientKey.generate(RANDOM);
  }

  /** Writes one object with the SHA-256 of its bytes in its metadata. */
  private Future<Void> put(String key, String contentType, byte[] bytes) {
    return aws.call(aws.s3.putObject(b -> b.bucket(names.bucket()).key(key).contentType(contentType)
        .metadata(Map.of(SHA256, sha256(bytes))), AsyncRequestBody.fromBytes(bytes))).mapEmpty();
  }

  /** The SHA-256 an object was uploaded with, {@code null} if there is no such object. */
  private Future<String> storedSha(String key) {
    return aws.call(aws.s3.headObject(b -> b.bucket(names.bucket()).key(key)))
        .map(r -> r.metadata().getOrDefault(SHA256, ""))
        .recover(e -> AwsErrors.status(e) == 404 ? Future.succeededFuture(null) : Future.failedFuture(e));
  }

  Future<Boolean> exists() {
    return aws.call(aws.s3.headBucket(b -> b.bucket(names.bucket()))).map(r -> true)
        .recover(e -> AwsErrors.status(e) == 404 ? Future.succeededFuture(false) : Future.failedFuture(e));
  }

  /**
   * Empties the bucket a page at a time and deletes it, if it is this cluster's by its tag; a
   * bucket already gone is fine, and one the tag does not give to this cluster is left as it is.
   */
  Future<Void> delete() {
    String bucket = names.bucket();
    return tags()
        .compose(tags -> {
          String owner = owner(tags);
          if (!owner.equals(names.cluster())) {
            progress.exists("bucket " + bucket + " kept: its " + Ec2Fleet.TAG_CLUSTER + " tag is "
                + (owner.isEmpty() ? "missing" : "\"" + owner + "\"") + ", so cluster " + names.cluster()
                + " did not create it");
            return Future.succeededFuture();
          }
          return emptyPage().compose(v -> aws.call(aws.s3.deleteBucket(b -> b.bucket(bucket))))
              .<Void>map(r -> {
                progress.deleted("bucket " + bucket);
                return null;
              });
        })
        .recover(e -> AwsErrors.status(e) == 404 || AwsErrors.notFound(e)
            ? Future.succeededFuture() : Future.failedFuture(e));
  }

  private Future<Void> emptyPage() {
    return aws.call(aws.s3.listObjectsV2(b -> b.bucket(names.bucket()))).compose(page -> {
      List<S3Object> objects = page.contents();
      if (objects.isEmpty()) {
        return Future.succeededFuture();
      }
      List<ObjectIdentifier> ids = objects.stream().map(o -> ObjectIdentifier.builder().key(o.key()).build()).toList();
      return aws.call(aws.s3.deleteObjects(b -> b.bucket(names.bucket()).delete(d -> d.objects(ids).quiet(true))))
          .compose(r -> page.isTruncated() ? emptyPage() : Future.succeededFuture());
    });
  }

  static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
