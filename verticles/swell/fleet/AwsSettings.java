package swell.fleet;

import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.core.client.builder.SdkAsyncClientBuilder;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.regions.Region;

import java.net.URI;
import java.time.Duration;

/**
 * How every Swell AWS client is built, in one place: explicit timeouts (an SDK call must never
 * hang a scaler tick or a deploy), the region and credentials, and an endpoint override so the
 * same code runs against an AWS emulator in tests.
 *
 * @param region empty: the SDK's default region chain (environment, profile, instance metadata)
 * @param endpointUrl empty: the real AWS endpoints
 */
public record AwsSettings(String region, String endpointUrl, AwsCredentialsProvider credentials,
                          Duration apiCallTimeout, Duration apiCallAttemptTimeout) {

  /** Applies these settings to any async client builder (EC2, IAM, S3, SSM, STS). */
  public <B extends AwsClientBuilder<B, ?> & SdkAsyncClientBuilder<B, ?>> B configure(B builder) {
    builder.credentialsProvider(credentials);
    if (!region.isEmpty()) {
      builder.region(Region.of(region));
    }
    if (!endpointUrl.isEmpty()) {
      builder.endpointOverride(URI.create(endpointUrl));
    }
    builder.overrideConfiguration(ClientOverrideConfiguration.builder()
        .apiCallTimeout(apiCallTimeout)
        .apiCallAttemptTimeout(apiCallAttemptTimeout)
        .build());
    return builder;
  }

  public boolean emulated() {
    return !endpointUrl.isEmpty();
  }
}
