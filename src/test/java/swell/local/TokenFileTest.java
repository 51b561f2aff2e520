package swell.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

/** The local role's generated token outlives the JVM that made it, readable by its owner only. */
class TokenFileTest {

  @Test
  void aMadeTokenIsKeptOwnerOnlyAndReusedByTheNextStart(@TempDir Path dir) throws Exception {
    Path dataDir = dir.resolve("data");
    String first = TokenFile.readOrCreate(dataDir);
    assertThat(first).hasSize(64).matches("[0-9a-f]+");
    Path file = dataDir.resolve("cluster-token");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    assertThat(TokenFile.readOrCreate(dataDir)).isEqualTo(first);
    try (var left = Files.list(dataDir)) {
      assertThat(left.map(p -> p.getFileName().toString())).as("no temporary file left").containsExactly("cluster-token");
    }
  }

  @Test
  void aKeptTokenThatBreaksTheTokenRulesIsReplaced(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("cluster-token"), "short\n");
    String token = TokenFile.readOrCreate(dir);
    assertThat(token).hasSize(64);
    assertThat(Files.readString(dir.resolve("cluster-token")).strip()).isEqualTo(token);
  }

  @Test
  void aKeptTokenReadableByOthersIsReusedAndMadeOwnerOnly(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("cluster-token");
    String kept = "0123456789abcdef0123456789abcdef0123456789abcdef";
    Files.writeString(file, kept + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(TokenFile.readOrCreate(dir)).isEqualTo(kept);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
  }
}
