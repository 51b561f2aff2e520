package swell.deploy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatch.CloudWatchAsyncClient;
import software.amazon.awssdk.services.cloudwatchlogs.CloudWatchLogsAsyncClient;
import software.amazon.awssdk.services.ec2.Ec2AsyncClient;
import software.amazon.awssdk.services.iam.IamAsyncClient;
import software.amazon.awssdk.services.rds.RdsAsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.multipart.MultipartConfiguration;
import software.amazon.awssdk.services.ssm.SsmAsyncClient;
import software.amazon.awssdk.services.sts.StsAsyncClient;
import swell.fleet.AwsSettings;

import java.util.concurrent.CompletableFuture;

/**
 * The async AWS clients one deploy command uses, sharing one Netty HTTP client, and the bridge
 * that brings each SDK result back onto the command's Vert.x context.
 */
public final class AwsClients implements AutoCloseable {
  /**
   * Uploads go up in parts of this size, one part at a time. Each part then has to arrive within
   * one {@code apiCallAttemptTimeoutMs} (30 s by default), not the whole jar: a single PUT of the
   * 62 MB jar needs 17 Mbit/s of uplink, one part 2.3. A part that fails is sent again on its own,
   * and parts in parallel would only share a slow uplink and each miss the timeout.
   */
  static final long UPLOAD_PART_BYTES = 8L * 1024 * 1024;

  private final Vertx vertx;
  private final SdkAsyncHttpClient http;
  final Ec2AsyncClient ec2;
  final IamAsyncClient iam;
  final RdsAsyncClient rds;
  final S3AsyncClient s3;
  final SsmAsyncClient ssm;
  final StsAsyncClient sts;
  final CloudWatchLogsAsyncClient logs;
  final CloudWatchAsyncClient cloudwatch;

  public AwsClients(Vertx vertx, AwsSettings aws) {
    this(vertx, aws, aws);
  }

  /**
   * @param cloudwatchAt where the CloudWatch client goes: the same as every other client, except in
   *     tests, where moto needs a translator for the protocol the SDK speaks to CloudWatch
   */
  AwsClients(Vertx vertx, AwsSettings aws, AwsSettings cloudwatchAt) {
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
    this.rds = aws.configure(RdsAsyncClient.builder()).httpClient(http).build();
    // Emulators serve buckets under the path, not as host names.
    this.s3 = aws.configure(S3AsyncClient.builder()).httpClient(http).forcePathStyle(aws.emulated())
        // The SDK sends "Expect: 100-continue" with every upload over 1 MiB. moto (Werkzeug on
        // Python's http.server) answers it with two interim 100 responses, and the SDK's Netty
        // client takes the second for the final answer: the call fails with "Status Code: 100" and
        // the body is cut off (moto logs a 400). Without it the body follows the headers at once;
        // all the header could save is sending a part S3 would refuse, and up has just looked at
        // this bucket with the same credentials.
        .serviceConfiguration(S3Configuration.builder().expectContinueEnabled(false).build())
        .multipartEnabled(true)
        .multipartConfiguration(MultipartConfiguration.builder()
            .thresholdInBytes(UPLOAD_PART_BYTES)
            .minimumPartSizeInBytes(UPLOAD_PART_BYTES)
            .parallelConfiguration(p -> p.maxInFlightParts(1))
            .build())
        .build();
    this.ssm = aws.configure(SsmAsyncClient.builder()).httpClient(http).build();
    this.sts = aws.configure(StsAsyncClient.builder()).httpClient(http).build();
    this.logs = aws.configure(CloudWatchLogsAsyncClient.builder()).httpClient(http).build();
    this.cloudwatch = cloudwatchAt.configure(CloudWatchAsyncClient.builder()).httpClient(http).build();
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
    rds.close();
    s3.close();
    ssm.close();
    sts.close();
    logs.close();
    cloudwatch.close();
    http.close();
  }
}
