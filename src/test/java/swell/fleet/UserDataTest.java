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
        "cluster-token", "java-17-amazon-corretto-headless", List.of("-XX:MaxRAMPercentage=75"), env);
  }

  @Test
  void theRenderedScriptIsValidBashWithEveryPlaceholderFilled() throws Exception {
    String script = worker(Map.of("SWELL_WORKER_ID", "w-1", "SWELL_BALANCER_URLS", "http://10.0.0.5:5000"))
        .render(UserData.template(""));
    assertThat(script).doesNotContain("{{").contains("SWELL_WORKER_ID=w-1", "Restart=always",
        "RestartPreventExitStatus=0", "SWELL_BOOT_FAILED", "retry 10 dnf install");
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
  void aValueThatCouldBreakOutOfTheScriptIsRefused() {
    assertThatThrownBy(() -> worker(Map.of("SWELL_WORKER_ID", "w'; rm -rf / #")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SWELL_WORKER_ID");
    assertThatThrownBy(() -> worker(Map.of("PATH", "/tmp"))).isInstanceOf(IllegalArgumentException.class);
  }
}
