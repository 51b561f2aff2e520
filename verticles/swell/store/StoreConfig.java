package swell.store;

import io.vertx.core.Vertx;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import swell.common.ConfigReader;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code store} section: which store, how hard an acknowledged enqueue is kept and, for
 * {@code postgres}, the database. Its password may come from {@code passwordFile} or from
 * {@code SWELL_STORE_PASSWORD} rather than the URL, so that it sits in no config file; either one
 * replaces a password in the URL. {@link #toString()} shows no password.
 *
 * @param sslRootCert a PEM file of the CA certificates the database's certificate must chain to,
 *     with {@code sslmode=verify-full} (or {@code verify-ca}) in the URL: RDS refuses unencrypted
 *     clients, and its CA (the RDS CA bundle) is in no JVM's default trust store
 */
public record StoreConfig(String type, String durability, Path dataDir, String url, int poolSize,
                          String passwordFile, String password, boolean signals, String sslRootCert) {

  /** Connections per balancer to the database: enough for a balancer's concurrent statements, few enough for many balancers. */
  public static final int DEFAULT_POOL_SIZE = 8;

  /** A store with no database: {@code sqlite} or {@code memory}. */
  public StoreConfig(String type, String durability, Path dataDir) {
    this(type, durability, dataDir, "", DEFAULT_POOL_SIZE, "", "", true, "");
  }

  public static StoreConfig read(ConfigReader r, Path dataDir) {
    StoreConfig c = new StoreConfig(
        r.oneOf("type", "sqlite", "sqlite", "memory", "postgres"),
        r.oneOf("durability", "fsync", "fsync", "os"),
        dataDir,
        r.string("url", ""),
        r.integer("poolSize", DEFAULT_POOL_SIZE, 1, 100),
        r.string("passwordFile", ""),
        r.secret("password"),
        // LISTEN/NOTIFY wake-ups; off behind poolers (RDS Proxy, PgBouncer in transaction mode), which break LISTEN.
        Boolean.parseBoolean(r.oneOf("notify", "true", "true", "false")),
        r.string("sslRootCert", ""));
    if ("postgres".equals(c.type)) {
      checkUrl(r, c.url);
      if (!c.passwordFile.isEmpty() && !Files.isReadable(Path.of(c.passwordFile))) {
        throw r.bad("passwordFile", "names no readable file: " + c.passwordFile);
      }
      // Not checked for a file here: a deploy writes the config before the instance fetches the bundle.
      SslMode mode = PgConnectOptions.fromUri(c.url).getSslMode();
      if (!c.sslRootCert.isEmpty() && mode != SslMode.VERIFY_FULL && mode != SslMode.VERIFY_CA) {
        throw r.bad("sslRootCert", "verifies the database's certificate only with ?sslmode=verify-full (or "
            + "verify-ca) in store.url");
      }
    }
    return c;
  }

  /** The URL is checked without ever repeating it in a message: it may hold a password. */
  private static void checkUrl(ConfigReader r, String url) {
    if (url.isBlank()) {
      throw r.bad("url", "is required with store type postgres (postgresql://user@host:5432/database)");
    }
    URI u;
    try {
      u = new URI(url);
    } catch (URISyntaxException e) {
      throw r.bad("url", "is not a URL: " + e.getReason());
    }
    if (!"postgresql".equals(u.getScheme()) && !"postgres".equals(u.getScheme())) {
      throw r.bad("url", "must start with postgresql:// or postgres://");
    }
    if (u.getHost() == null || u.getHost().isEmpty()) {
      throw r.bad("url", "must name the database's host (postgresql://user@host:5432/database)");
    }
    try {
      PgConnectOptions.fromUri(url);
    } catch (IllegalArgumentException e) {
      throw r.bad("url", "is not a PostgreSQL connection URL (postgresql://user@host:5432/database?param=value)");
    }
  }

  /** The database to connect to, with the password from the environment or the file when one is given. */
  public PgConnectOptions connectOptions() {
    PgConnectOptions options = PgConnectOptions.fromUri(url);
    if (!password.isEmpty()) {
      options.setPassword(password);
    } else if (!passwordFile.isEmpty()) {
      try {
        options.setPassword(Files.readString(Path.of(passwordFile)).strip());
      } catch (IOException e) {
        throw new IllegalStateException("cannot read store.passwordFile " + passwordFile + ": " + e.getMessage(), e);
      }
    }
    if (!sslRootCert.isEmpty()) {
      if (!Files.isReadable(Path.of(sslRootCert))) {
        throw new IllegalStateException("cannot read store.sslRootCert " + sslRootCert);
      }
      ClientSSLOptions ssl = new ClientSSLOptions().setTrustOptions(new PemTrustOptions().addCertPath(sslRootCert));
      if (options.getSslMode() == SslMode.VERIFY_FULL) {
        ssl.setHostnameVerificationAlgorithm("HTTPS");
      }
      options.setSslOptions(ssl);
    }
    return options;
  }

  /** The store this section describes; {@code vertx} runs the PostgreSQL client. Unopened. */
  public WorkStore create(Vertx vertx, StoreLimits limits) {
    return create(vertx, limits, StoreTimings.NONE);
  }

  /** As {@link #create(Vertx, StoreLimits)}, telling {@code timings} of its commits or statements. */
  public WorkStore create(Vertx vertx, StoreLimits limits, StoreTimings timings) {
    return switch (type) {
      case "memory" -> new MemoryWorkStore(limits);
      case "sqlite" -> new SqliteWorkStore(dataDir.resolve("swell.db"), "fsync".equals(durability), limits,
          WriteFaults.NONE, timings);
      case "postgres" -> new PgWorkStore(vertx, connectOptions(), poolSize, PgClock.DATABASE, limits, timings);
      default -> throw new IllegalStateException("unknown store type " + type);
    };
  }

  @Override
  public String toString() {
    String shown = url.replaceFirst("^(\\w+://[^:/@]+):[^@/]*@", "$1:***@");
    return "StoreConfig[type=" + type + ", durability=" + durability + ", dataDir=" + dataDir + ", url=" + shown
        + ", poolSize=" + poolSize + ", passwordFile=" + passwordFile + ", password=" + (password.isEmpty() ? "" : "***")
        + ", sslRootCert=" + sslRootCert + "]";
  }
}
