package swell.fleet;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

/** Error codes the emulator never returns (capacity, throttling, permissions), classified as EC2 sends them. */
class AwsErrorsTest {

  private static CompletionException ec2Error(String code, int status, String message) {
    return new CompletionException(AwsServiceException.builder()
        .statusCode(status)
        .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(message).serviceName("Ec2").build())
        .build());
  }

  @Test
  void capacityThrottlingAndAwsFaultsAreRetried() {
    assertThat(AwsErrors.classify("RunInstances", ec2Error("InsufficientInstanceCapacity", 500,
        "We currently do not have sufficient c7i.large capacity")).retryable()).isTrue();
    assertThat(AwsErrors.classify("RunInstances", ec2Error("RequestLimitExceeded", 503, "Request limit exceeded."))
        .retryable()).isTrue();
    assertThat(AwsErrors.classify("RunInstances", ec2Error("Unavailable", 503, "down")).retryable()).isTrue();
    assertThat(AwsErrors.classify("RunInstances", ec2Error("InternalError", 500, "oops")).retryable()).isTrue();
  }

  @Test
  void permissionAndParameterErrorsStopLaunchingAndKeepTheAwsMessage() {
    LaunchException denied = AwsErrors.classify("RunInstances", ec2Error("UnauthorizedOperation", 403,
        "You are not authorized to perform this operation."));
    assertThat(denied.retryable()).isFalse();
    assertThat(denied.code()).isEqualTo("UnauthorizedOperation");
    assertThat(denied.getMessage()).isEqualTo(
        "RunInstances failed: UnauthorizedOperation: You are not authorized to perform this operation.");
    assertThat(AwsErrors.classify("RunInstances", ec2Error("InvalidParameterValue", 400, "bad")).retryable()).isFalse();
    assertThat(AwsErrors.classify("RunInstances", ec2Error("InvalidAMIID.NotFound", 400, "no ami")).retryable())
        .isFalse();
  }
}
