package swell.deploy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import swell.fleet.AwsSettings;
import swell.fleet.MotoServer;
import swell.fleet.TcpProxy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Shipping a jar of the real size over a network slower than the one the tests usually have. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ArtifactUploadTest {
  private static final ClusterNames NAMES = ClusterNames.of("slow", "123456789012", MotoServer.REGION, "");

  private MotoServer moto;
  private Vertx vertx;
  private Path jar;

  @BeforeAll
  void start() throws Exception {
    moto = MotoServer.start();
    vertx = Vertx.vertx();
    jar = Files.createTempFile("swell-fake", ".jar");
    DeployTest.writeJar(jar, 7);
  }

  @AfterAll
  void stop() throws Exception {
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    if (moto != null) {
      moto.close();
    }
    Files.deleteIfExists(jar);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(100, TimeUnit.SECONDS);
  }

  /**
   * 70 MiB over an 8 MiB/s line take about 9 s, while each attempt may take 4 s and each call 5 s:
   * one PUT of the whole jar cannot make it however often it is retried; 8 MiB parts, one at a
   * time, each take about a second.
   */
  @Test
  void theJarArrivesWholeOverAnUplinkTooSlowToCarryItWithinOneAttempt() throws Exception {
    try (TcpProxy slowLine = TcpProxy.throttlingUplink(moto.port(), 8L * 1024 * 1024);
         AwsClients aws = new AwsClients(vertx, new AwsSettings(MotoServer.REGION, slowLine.url(),
             MotoServer.CREDENTIALS, Duration.ofSeconds(5), Duration.ofSeconds(4)))) {
      ArtifactBucket bucket = new ArtifactBucket(aws, NAMES,
          new Progress(new PrintStream(new ByteArrayOutputStream(), true)));

      await(bucket.ensure().compose(v -> bucket.putJar(jar)));

      byte[] stored = aws.s3.getObject(b -> b.bucket(NAMES.bucket()).key(ClusterNames.JAR_KEY),
          AsyncResponseTransformer.toBytes()).join().asByteArray();
      assertThat(stored).hasSize(DeployTest.JAR_BYTES);
      assertThat(ArtifactBucket.sha256(stored)).isEqualTo(ArtifactBucket.sha256(jar));
    }
  }
}
