package swell.keys;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code swell keys new NAME}: a fresh 256-bit key and the config entry that matches it. */
class KeysCommandTest {
  record Outcome(int exitCode, String out, String err) {
  }

  private static Outcome keys(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int rc = new CommandLine(new KeysCommand()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
        .execute(args);
    return new Outcome(rc, out.toString(), err.toString());
  }

  @Test
  void newPrintsAKeyAndTheEntryHoldingItsHash() throws Exception {
    Outcome o = keys("new", "alice");

    assertThat(o.exitCode()).as(o.err()).isZero();
    String[] lines = o.out().split("\\R");
    assertThat(lines).hasSize(2);
    String key = lines[0];
    assertThat(key).matches("swk_[A-Za-z0-9_-]{43}");
    assertThat(Base64.getUrlDecoder().decode(key.substring(4))).hasSize(32);
    JsonObject entry = new JsonObject(lines[1]);
    assertThat(entry.fieldNames()).containsExactlyInAnyOrder("name", "sha256");
    assertThat(entry.getString("name")).isEqualTo("alice");
    assertThat(entry.getString("sha256")).isEqualTo(HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8))));
    assertThat(o.err()).contains("apiKeys").doesNotContain(key);
  }

  @Test
  void everyKeyIsNew() {
    assertThat(keys("new", "a").out().split("\\R")[0]).isNotEqualTo(keys("new", "a").out().split("\\R")[0]);
  }

  @Test
  void aBadNameExitsWithTwoAndSaysWhy() {
    for (String bad : new String[] {"two words", "", "x".repeat(65), "semi;colon"}) {
      Outcome o = keys("new", bad);
      assertThat(o.exitCode()).as(bad).isEqualTo(2);
      assertThat(o.err()).as(bad).contains("NAME").contains("1 to 64");
      assertThat(o.out()).as(bad).isEmpty();
    }
    assertThat(keys("new").exitCode()).isEqualTo(2);
    assertThat(keys().exitCode()).isEqualTo(2);
  }
}
