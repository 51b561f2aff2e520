package swell.it;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** The shared reference vectors, read from ../shared/vectors (or SWELL_VECTORS). */
public final class Vectors {
  public record Case(byte[] body, int iterations, String resultHex) {
    @Override
    public String toString() {
      return body.length + " bytes x " + iterations;
    }
  }

  private Vectors() {
  }

  public static Path file() {
    String override = System.getenv("SWELL_VECTORS");
    if (override != null) {
      return Path.of(override);
    }
    for (Path p : List.of(Path.of("../shared/vectors/sha512-chain.json"), Path.of("shared/vectors/sha512-chain.json"))) {
      if (Files.exists(p)) {
        return p;
      }
    }
    throw new IllegalStateException("reference vectors not found: expected ../shared/vectors/sha512-chain.json "
        + "beside the repository, or SWELL_VECTORS naming the file");
  }

  public static List<Case> all() {
    try {
      JsonArray cases = new JsonObject(Files.readString(file())).getJsonArray("cases");
      List<Case> out = new ArrayList<>();
      for (Object o : cases) {
        JsonObject c = (JsonObject) o;
        out.add(new Case(Base64.getDecoder().decode(c.getString("body_base64")), c.getInteger("iterations"),
            c.getString("result_hex")));
      }
      return out;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
