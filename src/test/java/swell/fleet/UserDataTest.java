package swell.fleet;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The boot script every instance runs: valid shell, its values filled in, nothing injectable. */
class UserDataTest {
  private static UserData worker(Map<String, String> env) {
    return new UserData("worker", "eu-west-1", "swell-x-1-eu-west-1", "swell.jar", "config/worker.json",
        "cluster-token", "java-17-amazon-corretto-headless", List.of("-XX:MaxRAMPercentage=75"), env, "");
  }

  private static void assertValidBash(String script) throws Exception {
    Path file = Files.createTempFile("user-data", ".sh");
    try {
      Files.writeString(file, script);
      Process bash = new ProcessBuilder("bash", "-n", file.toString()).redirectErrorStream(true).start();
      assertThat(bash.waitFor(10, TimeUnit.SECONDS)).isTrue();
      assertThat(bash.exitValue()).as(new String(bash.getInputStream().readAllBytes())).isZero();
    } finally {
      Files.delete(file);
    }
  }

  @Test
  void withALogGroupTheAgentShipsBothLogsToOneStreamPerInstanceAndARetiredWorkerWaitsForIt() throws Exception {
    String script = worker(Map.of("SWELL_WORKER_ID", "w-1")).withLogGroup("/swell/x").render(UserData.template(""));
    assertValidBash(script);
    assertThat(script).contains("LOG_GROUP='/swell/x'",
        // installed with retries like Java, after the role starts, and tried again on a failed boot
        "retry \"$1\" dnf install -y amazon-cloudwatch-agent", "if start_log_agent 10; then",
        "[ -n \"$LOG_GROUP\" ] && start_log_agent 3",
        "amazon-cloudwatch-agent-ctl\" -a fetch-config -m ec2 -s",
        // the role's output goes to the file the agent tails, rotated by size
        "StandardOutput=append:$SWELL_LOG", "StandardError=append:$SWELL_LOG", "copytruncate",
        // at shutdown the role stops before the agent
        "After=network-online.target amazon-cloudwatch-agent.service",
        // a retired worker waits for both logs to be sent, then powers off
        "{ /usr/local/sbin/swell-logs-sent; systemctl poweroff; }",
        "/opt/aws/amazon-cloudwatch-agent/logs/state/$(echo \"$f\" | tr / _)");
    assertThat(script.indexOf("start_log_agent() {")).isLessThan(script.indexOf("IMDS_TOKEN=$(retry"));
    assertThat(script.indexOf("systemctl enable --now swell.service")).isLessThan(script.indexOf("start_log_agent 10"));

    String agentConfig = script.substring(script.indexOf("<<AGENT\n") + "<<AGENT\n".length(),
        script.indexOf("\nAGENT\n")).replace("$SWELL_LOG", "/var/log/swell/swell.log").replace("$LOG_GROUP", "/swell/x");
    io.vertx.core.json.JsonObject config = new io.vertx.core.json.JsonObject(agentConfig);
    io.vertx.core.json.JsonArray files = config.getJsonObject("logs").getJsonObject("logs_collected")
        .getJsonObject("files").getJsonArray("collect_list");
    assertThat(files).hasSize(2);
    assertThat(files.stream().map(f -> ((io.vertx.core.json.JsonObject) f).getString("file_path")))
        .containsExactly("/var/log/swell/swell.log", "/var/log/swell-boot.log");
    for (Object f : files) {
      assertThat(((io.vertx.core.json.JsonObject) f).getString("log_group_name")).isEqualTo("/swell/x");
      assertThat(((io.vertx.core.json.JsonObject) f).getString("log_stream_name")).isEqualTo("{instance_id}");
    }
  }

  @Test
  void withoutALogGroupNoAgentRunsAndTheRoleLogsToTheJournal() throws Exception {
    String script = worker(Map.of("SWELL_WORKER_ID", "w-1")).render(UserData.template(""));
    assertValidBash(script);
    assertThat(script).contains("LOG_GROUP=''", "if [ -n \"$LOG_GROUP\" ]; then");
  }

  @Test
  void theRenderedScriptIsValidBashWithEveryPlaceholderFilled() throws Exception {
    String script = worker(Map.of("SWELL_WORKER_ID", "w-1", "SWELL_BALANCER_URLS", "http://10.0.0.5:5000"))
        .render(UserData.template(""));
    assertThat(script).doesNotContain("{{").contains("SWELL_WORKER_ID=w-1", "Restart=always",
        "RestartPreventExitStatus=0", "SWELL_BOOT_FAILED", "retry 10 dnf install", "DATA_VOLUME=''");
    assertValidBash(script);
  }

  @Test
  void aBalancerWaitsForItsDataVolumeFormatsItOnlyWhenBlankAndMountsItByUuid() throws Exception {
    String script = new UserData("balancer", "eu-west-1", "swell-x-1-eu-west-1", "swell.jar", "config/balancer.json",
        "cluster-token", "java-17-amazon-corretto-headless", List.of("-XX:MaxRAMPercentage=75"), Map.of(),
        "vol-0123456789abcdef0").render(UserData.template(""));

    assertThat(script).doesNotContain("{{").contains(
        "DATA_VOLUME='vol-0123456789abcdef0'",
        // Nitro: the NVMe device's by-id name is the volume id without its dash (vol0123...).
        "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${DATA_VOLUME/-/}",
        "blkid -p \"$dev\"", "2) echo", "mkfs.xfs -q \"$dev\"",
        "UUID=$uuid $STATE/data xfs defaults,nofail 0 2",
        "DATA_MOUNT=\"RequiresMountsFor=$STATE/data\"",
        "After=network-online.target amazon-cloudwatch-agent.service\n$DATA_MOUNT");
    // The volume is mounted before the data directory is handed to the swell user and the service starts.
    assertThat(script.indexOf("mount_data_volume ||")).isLessThan(script.indexOf("chown -R swell:swell"))
        .isLessThan(script.indexOf("systemctl enable --now swell.service"));
    assertValidBash(script);
    assertThatThrownBy(() -> new UserData("balancer", "eu-west-1", "b", "swell.jar", "c", "t", "java", List.of(),
        Map.of(), "vol-1; reboot")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dataVolumeId");
  }

  @Test
  void aBalancerOnRdsReadsTheDatabasePasswordWithItsRoleIntoTheServiceEnvironmentOnly() throws Exception {
    String script = new UserData("balancer", "eu-west-1", "swell-x-1-eu-west-1", "swell.jar", "config/balancer.json",
        "cluster-token", "java-17-amazon-corretto-headless", List.of(), Map.of(), "", "db-password",
        "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem").render(UserData.template(""));

    assertThat(script).doesNotContain("{{").contains("STORE_PASSWORD_KEY='db-password'",
        "s3_get \"$STORE_PASSWORD_KEY\" \"$STATE/store-password\"",
        "echo \"SWELL_STORE_PASSWORD=$(cat \"$STATE/store-password\")\"",
        "rm -f \"$STATE/token\" \"$STATE/store-password\"",
        "curl -sfS -o " + UserData.STORE_CA_FILE + " \"$STORE_CA_URL\"",
        // The other balancers name it to workers by this address, not the 0.0.0.0 it listens on.
        "[ \"$ROLE\" = balancer ] && echo \"SWELL_ADVERTISED_URL=http://$PRIVATE_IP:5000\"");
    // Fetched with the role's credentials, before they are removed, and written only where umask 077 holds.
    assertThat(script.indexOf("s3_get \"$STORE_PASSWORD_KEY\""))
        .isLessThan(script.indexOf("rm -f \"$STATE/credentials.json\""));
    assertThat(script).contains("(umask 077 && retry 10 s3_get \"$STORE_PASSWORD_KEY\"");
    assertValidBash(script);
    assertThat(worker(Map.of()).render(UserData.template(""))).contains("STORE_PASSWORD_KEY=''", "STORE_CA_URL=''");
  }

  @Test
  void aValueThatCouldBreakOutOfTheScriptIsRefused() {
    assertThatThrownBy(() -> worker(Map.of("SWELL_WORKER_ID", "w'; rm -rf / #")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SWELL_WORKER_ID");
    assertThatThrownBy(() -> worker(Map.of("PATH", "/tmp"))).isInstanceOf(IllegalArgumentException.class);
  }
}
