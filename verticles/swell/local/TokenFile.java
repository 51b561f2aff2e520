package swell.local;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import swell.common.ClusterToken;
import swell.common.ConfigException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;

/**
 * The cluster token the {@code local} role makes when none is configured, kept in
 * {@code dataDir/cluster-token} (mode 0600) and reused: the workers a killed {@code local} left
 * running hold it, and its restart adopts them only if it presents the same one.
 */
final class TokenFile {
  private static final Logger log = LoggerFactory.getLogger(TokenFile.class);
  static final String NAME = "cluster-token";
  /** 256 bits, as 64 hex characters. */
  private static final int SECRET_BYTES = 32;
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

  private TokenFile() {
  }

  /** The token kept in {@code dataDir}, or a new one written there first. Blocking file IO. */
  static String readOrCreate(Path dataDir) throws IOException {
    Path file = dataDir.resolve(NAME);
    String kept = read(file);
    if (kept != null) {
      return kept;
    }
    byte[] secret = new byte[SECRET_BYTES];
    new SecureRandom().nextBytes(secret);
    String token = HexFormat.of().formatHex(secret);
    Files.createDirectories(dataDir);
    Path tmp = Files.createTempFile(dataDir, "." + NAME + "-", ".tmp", ownerOnly(dataDir));
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap((token + "\n").getBytes(StandardCharsets.US_ASCII)));
        ch.force(true);
      }
      // Whole or not at all, and never over a token another start just wrote.
      try {
        Files.createLink(file, tmp);
      } catch (FileAlreadyExistsException e) {
        String theirs = read(file);
        if (theirs != null) {
          return theirs;
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (UnsupportedOperationException e) {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    log.info("made a cluster token and kept it in {} for later starts", file);
    return token;
  }

  /** The kept token, or null when there is none, or it breaks the token rules (it is then replaced). */
  private static String read(Path file) throws IOException {
    if (!Files.exists(file)) {
      return null;
    }
    String token = Files.readString(file, StandardCharsets.US_ASCII).strip();
    try {
      ClusterToken.check("clusterToken", token, "");
    } catch (ConfigException e) {
      log.warn("{} holds no usable token, so a new one replaces it: {}", file, e.getMessage());
      return null;
    }
    tightenPermissions(file);
    return token;
  }

  /** A token others could read is still used (workers hold it) but no longer left readable. */
  private static void tightenPermissions(Path file) throws IOException {
    if (!Files.getFileStore(file).supportsFileAttributeView("posix")) {
      return;
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    if (!OWNER_ONLY.containsAll(perms)) {
      Files.setPosixFilePermissions(file, OWNER_ONLY);
      log.warn("{} was readable by others ({}); it is owner-only now", file, PosixFilePermissions.toString(perms));
    }
  }

  private static FileAttribute<?>[] ownerOnly(Path dir) throws IOException {
    return Files.getFileStore(dir).supportsFileAttributeView("posix")
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)}
        : new FileAttribute<?>[0];
  }
}
