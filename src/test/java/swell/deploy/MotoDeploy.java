package swell.deploy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import swell.common.ConfigReader;
import swell.fleet.CborShim;
import swell.fleet.MotoServer;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * What every deploy test class stands on: its own moto_server, a Vert.x, the deploy's AWS
 * clients pointed at the emulator, and a jar of the real size to ship. Registered as a static
 * {@code @RegisterExtension} field, it starts before the class's tests and stops after them.
 */
final class MotoDeploy implements BeforeAllCallback, AfterAllCallback {
  static final String ACCOUNT = "123456789012";
  /**
   * As large as the real jar: uploads over 1 MiB take other paths in the SDK (Expect: 100-continue,
   * multipart) than the few bytes these tests shipped before, and those paths once failed. The
   * real jar is 76 MiB; {@link #writeJar} refuses to write a stand-in smaller than a built one.
   */
  static final int JAR_BYTES = 80 * 1024 * 1024;

  MotoServer moto;
  /** moto answers the SDK's CloudWatch client only through this (see {@link CborShim}). */
  CborShim cloudwatch;
  Vertx vertx;
  AwsClients aws;
  Path jar;
  private ByteArrayOutputStream output = new ByteArrayOutputStream();

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    jar = Files.createTempFile("swell-fake", ".jar");
    writeJar(jar, 1);
    moto = MotoServer.start();
    cloudwatch = CborShim.inFrontOf(moto);
    vertx = Vertx.vertx();
    aws = new AwsClients(vertx, moto.settings(), cloudwatch.settings(moto));
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (aws != null) {
      aws.close();
    }
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    if (cloudwatch != null) {
      cloudwatch.close();
    }
    if (moto != null) {
      moto.close();
    }
    Files.deleteIfExists(jar);
  }

  /** A stand-in of the real jar's size, its bytes decided by {@code build}. */
  static void writeJar(Path file, long build) throws Exception {
    Path built = Path.of("target", "swell.jar");
    if (Files.exists(built) && Files.size(built) > JAR_BYTES) {
      throw new AssertionError("target/swell.jar is " + Files.size(built) + " bytes, more than the "
          + JAR_BYTES + " of the deploy tests' stand-in: raise MotoDeploy.JAR_BYTES");
    }
    byte[] bytes = new byte[JAR_BYTES];
    new Random(build).nextBytes(bytes);
    Files.write(file, bytes);
  }

  static String bucket(String cluster) {
    return "swell-" + cluster + "-" + ACCOUNT + "-" + MotoServer.REGION;
  }

  /** A deployment of {@code cluster} against the emulator; {@code overrides} are deploy.json keys. */
  Deployment deployment(String cluster, JsonObject overrides) {
    JsonObject json = new JsonObject()
        .put("clusterName", cluster)
        .put("region", MotoServer.REGION)
        .put("endpointUrl", moto.url())
        .put("jar", jar.toString())
        .put("pollIntervalMs", 20)
        .put("balancer", new JsonObject().put("maxWorkers", 3))
        .mergeIn(overrides);
    ConfigReader r = new ConfigReader(json, Map.of());
    DeployConfig cfg = DeployConfig.from(r, json);
    r.rejectUnknown();
    output = new ByteArrayOutputStream();
    return new Deployment(vertx, aws, cfg, new PrintStream(output, true, StandardCharsets.UTF_8));
  }

  /** What the last deployment printed. */
  String output() {
    return output.toString(StandardCharsets.UTF_8);
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(50, TimeUnit.SECONDS);
  }

  /** The cluster's instances in {@code states}, as a person would list them in the console. */
  List<Instance> instances(String cluster, String... states) {
    return aws.ec2.describeInstances(b -> b.filters(
            Filter.builder().name("tag:swell:cluster").values(cluster).build(),
            Filter.builder().name("instance-state-name").values(states).build())).join()
        .reservations().stream().flatMap(r -> r.instances().stream()).toList();
  }

  byte[] object(String bucket, String key) {
    return aws.s3.getObject(b -> b.bucket(bucket).key(key), AsyncResponseTransformer.toBytes()).join()
        .asByteArray();
  }
}
