package swell.fleet;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The boot script of one Swell instance, rendered from the user-data template: which role it
 * runs, where in S3 its jar, config and token are, and the {@code SWELL_*} environment that
 * completes its config (balancer address, worker id). The token itself is never in user-data:
 * anyone allowed to describe instances can read that.
 *
 * @param dataVolumeId the EBS volume to keep {@code /var/lib/swell/data} on (the balancer's), or
 *     {@code ""} to keep it on the root volume
 * @param storePasswordKey the bucket object holding the database password, read at boot into
 *     {@code SWELL_STORE_PASSWORD} like the token (a balancer on RDS), or {@code ""} for none
 * @param storeCaUrl where the boot script fetches the CA bundle the database's certificate chains
 *     to, into {@link #STORE_CA_FILE} (a balancer on RDS), or {@code ""} for none
 * @param logGroup the CloudWatch Logs group the instance's CloudWatch agent ships its Swell log and
 *     its boot log to, or {@code ""} for no agent (the Swell log then stays in the journal)
 */
public record UserData(String role, String region, String bucket, String jarKey, String configKey, String tokenKey,
                       String javaPackage, List<String> jvmOptions, Map<String, String> environment,
                       String dataVolumeId, String storePasswordKey, String storeCaUrl, String logGroup) {

  /** The template in the jar; {@code deploy/resources/swell/deploy/user-data.sh} in the source tree. */
  public static final String BUNDLED_TEMPLATE = "/swell/deploy/user-data.sh";

  /**
   * Values land inside a shell script between single quotes and in a systemd environment file:
   * no quotes, spaces, dollars or newlines can reach either.
   */
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._:/@=,+%~-]*");

  private static final Pattern LEFT_OVER = Pattern.compile("\\{\\{[A-Z_]+}}");

  /** Where the boot script puts the database's CA bundle when {@code storeCaUrl} is set. */
  public static final String STORE_CA_FILE = "/etc/swell/store-ca.pem";

  /** An instance without a database of its own to reach: endpoints, workers, a balancer on SQLite. */
  public UserData(String role, String region, String bucket, String jarKey, String configKey, String tokenKey,
                  String javaPackage, List<String> jvmOptions, Map<String, String> environment, String dataVolumeId) {
    this(role, region, bucket, jarKey, configKey, tokenKey, javaPackage, jvmOptions, environment, dataVolumeId, "",
        "", "");
  }

  /** An instance that ships no logs to CloudWatch. */
  public UserData(String role, String region, String bucket, String jarKey, String configKey, String tokenKey,
                  String javaPackage, List<String> jvmOptions, Map<String, String> environment, String dataVolumeId,
                  String storePasswordKey, String storeCaUrl) {
    this(role, region, bucket, jarKey, configKey, tokenKey, javaPackage, jvmOptions, environment, dataVolumeId,
        storePasswordKey, storeCaUrl, "");
  }

  /** The same instance, shipping its logs to {@code group}. */
  public UserData withLogGroup(String group) {
    return new UserData(role, region, bucket, jarKey, configKey, tokenKey, javaPackage, jvmOptions, environment,
        dataVolumeId, storePasswordKey, storeCaUrl, group);
  }

  public UserData {
    environment = Map.copyOf(new LinkedHashMap<>(environment));
    check("role", role);
    check("region", region);
    check("bucket", bucket);
    check("jarKey", jarKey);
    check("configKey", configKey);
    check("tokenKey", tokenKey);
    check("javaPackage", javaPackage);
    check("storePasswordKey", storePasswordKey);
    check("storeCaUrl", storeCaUrl);
    check("logGroup", logGroup);
    if (!dataVolumeId.isEmpty() && !dataVolumeId.matches("vol-[0-9a-f]{8,32}")) {
      throw new IllegalArgumentException("dataVolumeId \"" + dataVolumeId + "\" is not an EBS volume id");
    }
    jvmOptions.forEach(o -> check("jvmOptions", o));
    environment.forEach((k, v) -> {
      if (!k.matches("SWELL_[A-Z0-9_]+")) {
        throw new IllegalArgumentException("user-data environment name " + k + " is not a SWELL_ variable");
      }
      check(k, v);
    });
  }

  private static void check(String what, String value) {
    if (!SAFE.matcher(value).matches()) {
      throw new IllegalArgumentException(what + " \"" + value + "\" has characters a boot script cannot carry");
    }
  }

  /** The template from {@code file}, or the bundled one when {@code file} is empty. */
  public static String template(String file) {
    try {
      if (!file.isEmpty()) {
        return Files.readString(Path.of(file));
      }
      try (InputStream in = UserData.class.getResourceAsStream(BUNDLED_TEMPLATE)) {
        if (in == null) {
          throw new IllegalStateException("user-data template " + BUNDLED_TEMPLATE + " is missing from the jar");
        }
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read user-data template " + file, e);
    }
  }

  public String render(String template) {
    StringBuilder env = new StringBuilder();
    environment.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(e -> env.append(e.getKey()).append('=').append(e.getValue()).append('\n'));
    String out = template
        .replace("{{ROLE}}", role)
        .replace("{{REGION}}", region)
        .replace("{{BUCKET}}", bucket)
        .replace("{{JAR_KEY}}", jarKey)
        .replace("{{CONFIG_KEY}}", configKey)
        .replace("{{TOKEN_KEY}}", tokenKey)
        .replace("{{JAVA_PACKAGE}}", javaPackage)
        .replace("{{JAVA_OPTS}}", String.join(" ", jvmOptions))
        .replace("{{DATA_VOLUME}}", dataVolumeId)
        .replace("{{STORE_PASSWORD_KEY}}", storePasswordKey)
        .replace("{{STORE_CA_URL}}", storeCaUrl)
        .replace("{{LOG_GROUP}}", logGroup)
        .replace("{{ENVIRONMENT}}", env.toString().strip());
    java.util.regex.Matcher left = LEFT_OVER.matcher(out);
    if (left.find()) {
      throw new IllegalArgumentException("user-data template has a placeholder nobody fills: " + left.group());
    }
    return out;
  }

  /** What RunInstances wants: the script, base64. EC2 caps it at 16 KiB before encoding. */
  public String renderBase64(String template) {
    byte[] script = render(template).getBytes(StandardCharsets.UTF_8);
    if (script.length > 16 * 1024) {
      throw new IllegalArgumentException("user-data is " + script.length + " bytes; EC2 takes at most 16384");
    }
    return Base64.getEncoder().encodeToString(script);
  }
}
