package swell.store;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import swell.common.ConfigException;
import swell.common.ConfigReader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code store} section: sqlite stays the default, postgres is checked, no password is ever shown. */
class StoreConfigTest {
  static final String SECRET = "s3cr3t-Pa55";

  @TempDir
  Path dir;

  static StoreConfig read(JsonObject store, Map<String, String> env) {
    ConfigReader r = new ConfigReader(new JsonObject().put("store", store), env);
    StoreConfig c = StoreConfig.read(r.section("store"), Path.of("data"));
    r.rejectUnknown();
    return c;
  }

  static JsonObject postgres(String url) {
    return new JsonObject().put("type", "postgres").put("url", url);
  }

  @Test
  void sqliteStaysTheDefault() {
    StoreConfig c = read(new JsonObject(), Map.of());
    assertThat(c.type()).isEqualTo("sqlite");
    assertThat(c.poolSize()).isEqualTo(StoreConfig.DEFAULT_POOL_SIZE);
  }

  @Test
  void postgresTakesItsUrlPoolSizeAndPasswordFromTheUrl() {
    StoreConfig c = read(postgres("postgresql://swell:" + SECRET + "@db.example:6543/queue").put("poolSize", 20),
        Map.of());
    assertThat(c.poolSize()).isEqualTo(20);
    assertThat(c.connectOptions().getHost()).isEqualTo("db.example");
    assertThat(c.connectOptions().getPort()).isEqualTo(6543);
    assertThat(c.connectOptions().getDatabase()).isEqualTo("queue");
    assertThat(c.connectOptions().getUser()).isEqualTo("swell");
    assertThat(c.connectOptions().getPassword()).isEqualTo(SECRET);
    assertThat(c.toString()).doesNotContain(SECRET).contains("db.example");
  }

  @Test
  void theEnvironmentOverridesTheUrlAndGivesThePassword() {
    StoreConfig c = read(postgres("postgresql://a@first:5432/one"), Map.of(
        "SWELL_STORE_URL", "postgres://b@second:5432/two", "SWELL_STORE_PASSWORD", SECRET));
    assertThat(c.connectOptions().getHost()).isEqualTo("second");
    assertThat(c.connectOptions().getUser()).isEqualTo("b");
    assertThat(c.connectOptions().getPassword()).isEqualTo(SECRET);
    assertThat(c.toString()).doesNotContain(SECRET);
  }

  @Test
  void thePasswordMayComeFromAFile() throws Exception {
    Path file = dir.resolve("db-password");
    Files.writeString(file, SECRET + "\n");
    StoreConfig c = read(postgres("postgresql://swell:in-url@db:5432/swell").put("passwordFile", file.toString()),
        Map.of());
    assertThat(c.connectOptions().getPassword()).isEqualTo(SECRET);
  }

  @Test
  void aCaBundleMakesTheStoreVerifyTheDatabaseItTalksTo() throws Exception {
    Path bundle = dir.resolve("store-ca.pem");
    Files.writeString(bundle, "-----BEGIN CERTIFICATE-----\n");
    StoreConfig c = read(postgres("postgresql://swell@db.example:5432/swell?sslmode=verify-full")
        .put("sslRootCert", bundle.toString()), Map.of());

    assertThat(c.connectOptions().getSslMode()).isEqualTo(io.vertx.pgclient.SslMode.VERIFY_FULL);
    assertThat(c.connectOptions().getSslOptions().getHostnameVerificationAlgorithm()).isEqualTo("HTTPS");
    assertThat(((io.vertx.core.net.PemTrustOptions) c.connectOptions().getSslOptions().getTrustOptions())
        .getCertPaths()).containsExactly(bundle.toString());
    // A bundle with a mode that never looks at it would pass for verification and be none.
    assertThatThrownBy(() -> read(postgres("postgresql://swell@db.example:5432/swell?sslmode=require")
        .put("sslRootCert", bundle.toString()), Map.of())).hasMessageContaining("'store.sslRootCert'")
        .hasMessageContaining("verify-full");
  }

  @Test
  void badPostgresSettingsNameTheirKeyAndNeverEchoAPassword() {
    assertThatThrownBy(() -> read(new JsonObject().put("type", "postgres"), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("'store.url'").hasMessageContaining("required");
    assertThatThrownBy(() -> read(postgres("mysql://u:" + SECRET + "@db/x"), Map.of()))
        .hasMessageContaining("'store.url'").hasMessageContaining("postgresql://").hasMessageNotContaining(SECRET);
    assertThatThrownBy(() -> read(postgres("postgresql://u:" + SECRET + "@/x"), Map.of()))
        .hasMessageContaining("'store.url'").hasMessageContaining("host").hasMessageNotContaining(SECRET);
    assertThatThrownBy(() -> read(postgres("postgresql://u:" + SECRET + "@db:5432/x y"), Map.of()))
        .hasMessageContaining("'store.url'").hasMessageNotContaining(SECRET);
    assertThatThrownBy(() -> read(postgres("postgresql://db/x").put("poolSize", 0), Map.of()))
        .hasMessageContaining("'store.poolSize'").hasMessageContaining("1 to 100");
    assertThatThrownBy(() -> read(postgres("postgresql://db/x").put("poolSize", 101), Map.of()))
        .hasMessageContaining("'store.poolSize'");
    assertThatThrownBy(() -> read(postgres("postgresql://db/x").put("passwordFile", dir.resolve("none").toString()),
        Map.of())).hasMessageContaining("'store.passwordFile'");
    // A password belongs in the environment or a file, never in the config itself.
    assertThatThrownBy(() -> read(postgres("postgresql://db/x").put("password", SECRET), Map.of()))
        .hasMessageContaining("'store.password'").hasMessageContaining("not a known key");
  }
}
