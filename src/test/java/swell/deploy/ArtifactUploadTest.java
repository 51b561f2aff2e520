package swell.deploy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import swell.fleet.AwsSettings;
import swell.fleet.MotoServer;
import swell.fleet.TcpProxy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static swell.deploy.MotoDeploy.await;

/** Shipping a jar of the real size over a network slower than the one the tests usually have. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ArtifactUploadTest {
  private static final ClusterNames NAMES = ClusterNames.of("slow", "123456789012", MotoServer.REGION, "");

  @RegisterExtension
  static final MotoDeploy env = new MotoDeploy();

  /**
   * 80 MiB over an 8 MiB/s line take about 10 s, while each attempt may take 4 s and each call 5 s:
   * one PUT of the whole jar cannot make it however often it is retried; 8 MiB parts, one at a
   * time, each take about a second.
   */
  @Test
  void theJarArrivesWholeOverAnUplinkTooSlowToCarryItWithinOneAttempt() throws Exception {
    try (TcpProxy slowLine = TcpProxy.throttlingUplink(env.moto.port(), 8L * 1024 * 1024);
         AwsClients aws = new AwsClients(env.vertx, new AwsSettings(MotoServer.REGION, slowLine.url(),
             MotoServer.CREDENTIALS, Duration.ofSeconds(5), Duration.ofSeconds(4)))) {
      ArtifactBucket bucket = new ArtifactBucket(aws, NAMES,
          new Progress(new PrintStream(new ByteArrayOutputStream(), true)));

      await(bucket.ensure().compose(v -> bucket.putJar(env.jar)));

      byte[] stored = env.object(NAMES.bucket(), ClusterNames.JAR_KEY);
      assertThat(stored).hasSize(MotoDeploy.JAR_BYTES);
      assertThat(ArtifactBucket.sha256(stored)).isEqualTo(ArtifactBucket.sha256(env.jar));
    }
  }
}
