package swell.fleet;

import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;

import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * What an AWS SDK failure means for Swell. The async clients wrap the service's answer in
 * {@link CompletionException}s, so every decision starts by unwrapping to the real cause.
 */
public final class AwsErrors {
  private AwsErrors() {
  }

  /**
   * Codes that say "not now": capacity, throttling, a fault on AWS's side. Trying again after a
   * back-off can succeed. Quotas are here too: they free up as other instances terminate.
   */
  static final Set<String> RETRYABLE = Set.of(
      "InsufficientInstanceCapacity", "InsufficientAddressCapacity", "InsufficientHostCapacity",
      "InsufficientReservedInstanceCapacity", "InsufficientCapacity", "InstanceLimitExceeded",
      "VcpuLimitExceeded", "RequestLimitExceeded", "Throttling", "ThrottlingException",
      "TooManyRequestsException", "RequestThrottled", "Unavailable", "ServiceUnavailable",
      "InternalError", "InternalFailure", "RequestTimeout", "RequestTimeoutException");

  public static Throwable unwrap(Throwable t) {
    Throwable e = t;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  /** The service's error code ({@code InvalidSubnetID.NotFound}), or {@code ""} when no service answered. */
  public static String code(Throwable t) {
    Throwable e = unwrap(t);
    if (e instanceof AwsServiceException ase && ase.awsErrorDetails() != null
        && ase.awsErrorDetails().errorCode() != null) {
      return ase.awsErrorDetails().errorCode();
    }
    return "";
  }

  /** The service's own sentence, without the SDK's request-id decoration. */
  public static String message(Throwable t) {
    Throwable e = unwrap(t);
    if (e instanceof AwsServiceException ase && ase.awsErrorDetails() != null
        && ase.awsErrorDetails().errorMessage() != null) {
      return ase.awsErrorDetails().errorMessage();
    }
    return String.valueOf(e.getMessage());
  }

  public static int status(Throwable t) {
    return unwrap(t) instanceof AwsServiceException ase ? ase.statusCode() : 0;
  }

  /** Something that does not exist: deleting or terminating it has already happened. */
  public static boolean notFound(Throwable t) {
    String code = code(t);
    return code.endsWith(".NotFound") || code.endsWith("NotFound") || code.equals("NoSuchEntity")
        || code.equals("NoSuchBucket") || code.equals("NoSuchKey") || code.equals("ParameterNotFound")
        || (code.isEmpty() && status(t) == 404);
  }

  /** Decides whether a failed {@code call} may be tried again, keeping AWS's code and message. */
  public static LaunchException classify(String call, Throwable t) {
    Throwable e = unwrap(t);
    if (e instanceof LaunchException le) {
      return le;
    }
    String code = code(e);
    if (code.isEmpty()) {
      // No answer from the service: a timeout or a broken connection is worth another try; a
      // client-side mistake (no region, no credentials) is not.
      boolean transientFault = e instanceof ApiCallTimeoutException || e instanceof ApiCallAttemptTimeoutException
          || (e instanceof SdkClientException && e.getCause() instanceof java.io.IOException)
          || e instanceof java.io.IOException || e instanceof java.util.concurrent.TimeoutException;
      String name = e instanceof SdkClientException ? "ClientError" : e.getClass().getSimpleName();
      return new LaunchException(name, call + " failed: " + e.getMessage(), transientFault, e);
    }
    boolean retryable = RETRYABLE.contains(code) || (status(e) >= 500 && !code.startsWith("Invalid"));
    return new LaunchException(code, call + " failed: " + code + ": " + message(e), retryable, e);
  }
}
