package swell.deploy;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line a person types: every subcommand explains itself, and a bad config stops before AWS. */
class DeployCommandTest {

  @Test
  void everySubcommandHasHelpWithTheSharedOptions() {
    CommandLine cli = new CommandLine(new DeployCommand());
    assertThat(cli.getSubcommands()).containsOnlyKeys("up", "status", "key", "down");
    for (String sub : cli.getSubcommands().keySet()) {
      String usage = cli.getSubcommands().get(sub).getUsageMessage();
      assertThat(usage).contains("--help", "-conf", "--region", "--profile");
    }
    assertThat(cli.getSubcommands().get("up").getUsageMessage()).contains("--no-wait");
    assertThat(cli.getSubcommands().get("key").getUsageMessage()).contains("[NAME]", "default");
  }

  @Test
  void aTypoInDeployJsonExitsWithTwoBeforeCallingAws() throws Exception {
    Path conf = Files.createTempFile("deploy", ".json");
    try {
      Files.writeString(conf, "{\"clusterNam\": \"x\", \"region\": \"us-east-1\"}");
      int rc = new CommandLine(new DeployCommand()).execute("status", "-conf", conf.toString());
      assertThat(rc).isEqualTo(2);
    } finally {
      Files.delete(conf);
    }
  }

  @Test
  void theShippedDeployJsonReadsCleanly() {
    DeployConfig cfg = DeployCommand.readConfig(Path.of("config/deploy.json"));
    assertThat(cfg.endpointCount()).isEqualTo(2);
    assertThat(cfg.publicCidr()).isEqualTo("0.0.0.0/0");
  }
}
