package swell.deploy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2AsyncClient;
import software.amazon.awssdk.services.iam.IamAsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.ssm.SsmAsyncClient;
import software.amazon.awssdk.services.sts.StsAsyncClient;
import swell.fleet.AwsSettings;

import java.util.concurrent.CompletableFuture;

/**
 * The async AWS clients one deploy command uses, sharing one Netty HTTP client, and the bridge
 * that brings each SDK result back onto the command's Vert.x context.
 */
public final class AwsClients implements AutoCloseable {
  private final Vertx vertx;
  private final SdkAsyncHttpClient http;
  final Ec2AsyncClient ec2;
  final IamAsyncClient iam;
  final S3AsyncClient s3;
  final SsmAsyncClient ssm;
  final StsAsyncClient sts;

  public AwsClients(Vertx vertx, AwsSettings aws) {
    this.vertx = vertx;
    this.http = NettyNioAsyncHttpClient.builder().maxConcurrency(32).build();
    this.ec2 = aws.configure(Ec2AsyncClient.builder()).httpClient(http).build();
    // IAM is global: the real service answers only in its own partition region.
    var iamBuilder = aws.configure(IamAsyncClient.builder()).httpClient(http);
    if (!aws.emulated()) {
      iamBuilder.region(aws.region().startsWith("cn-") ? Region.AWS_CN_GLOBAL
          : aws.region().startsWith("us-gov-") ? Region.AWS_US_GOV_GLOBAL : Region.AWS_GLOBAL);
    }
    this.iam = iamBuilder.build();
    // Emulators serve buckets under the path, not as host names.
    this.s3 = aws.configure(S3AsyncClient.builder()).httpClient(http).forcePathStyle(aws.emulated()).build();
    this.ssm = aws.configure(SsmAsyncClient.builder()).httpClient(http).build();
    this.sts = aws.configure(StsAsyncClient.builder()).httpClient(http).build();
  }

  /** An SDK call's result, completed on the caller's Vert.x context. */
  <T> Future<T> call(CompletableFuture<T> cf) {
    return Future.fromCompletionStage(cf, vertx.getOrCreateContext());
  }

  /** Blocking work (hashing the jar) on a worker thread, its result back on the caller's context. */
  <T> Future<T> blocking(java.util.concurrent.Callable<T> work) {
    return vertx.executeBlocking(work, false);
  }

  @Override
  public void close() {
    ec2.close();
    iam.close();
    s3.close();
    ssm.close();
    sts.close();
    http.close();
  }
}
