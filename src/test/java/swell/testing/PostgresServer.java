package swell.testing;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real PostgreSQL for tests, from this machine's own binaries (Debian's {@code postgresql}
 * package: {@code initdb}, {@code pg_ctl}, {@code psql}): a fresh cluster in a temporary directory,
 * on a free loopback port, with fsync on, a database {@code swell} owned by the password user
 * {@code swell}, and {@code pg_stat_statements} loaded. initdb refuses to run as root, so as root
 * the cluster is made and run by the {@code postgres} system user. {@link #shared()} gives one
 * server for every test class of the JVM; {@link #launch()} one of a test's own, for tests that stop
 * it ({@link #stopImmediate()}, {@link #start()}). Everything is removed at {@link #close()}, and at
 * the JVM's exit if a test forgot.
 *
 * <p>Missing binaries fail the test, naming the package to install; they never skip it.
 */
public final class PostgresServer implements AutoCloseable {
  public static final String USER = "swell";
  public static final String DATABASE = "swell";
  private static final String SUPERUSER = "postgres";
  private static final String SERVER_ACCOUNT = "postgres";
  private static final long START_TIMEOUT_S = 60;

  private static PostgresServer shared;

  private final Path bin;
  private final Path dir;
  private final Path data;
  private final Path log;
  private final int port;
  private final boolean asServerAccount;
  private final String password = "pw-" + UUID.randomUUID();
  private final String superPassword = "su-" + UUID.randomUUID();
  private final AtomicInteger names = new AtomicInteger();
  private final Thread cleanup = new Thread(this::remove, "postgres-server-cleanup");
  private boolean removed;

  private PostgresServer(Path bin, Path dir, int port, boolean asServerAccount) {
    this.bin = bin;
    this.dir = dir;
    this.data = dir.resolve("data");
    this.log = dir.resolve("server.log");
    this.port = port;
    this.asServerAccount = asServerAccount;
  }

  /** One server for the whole JVM, started on first use and removed when the JVM exits. */
  public static synchronized PostgresServer shared() {
    if (shared == null) {
      shared = launch();
    }
    return shared;
  }

  /** A server of the caller's own; {@link #close()} it. */
  public static PostgresServer launch() {
    Path bin = binaries();
    boolean root = "root".equals(System.getProperty("user.name"));
    Path dir = null;
    try {
      dir = Files.createTempDirectory("swell-pg-");
      PostgresServer s = new PostgresServer(bin, dir, freePort(), root);
      Runtime.getRuntime().addShutdownHook(s.cleanup);
      try {
        s.init();
        s.start();
        s.createUserAndDatabase();
      } catch (RuntimeException | Error e) {
        s.close();
        throw e;
      }
      return s;
    } catch (IOException e) {
      throw new IllegalStateException("cannot make a temporary directory for PostgreSQL", e);
    }
  }

  /** Where {@code initdb} and friends live: {@code pg_config --bindir}, Debian's directory, or the PATH. */
  private static Path binaries() {
    List<Path> candidates = new ArrayList<>();
    try {
      Process p = new ProcessBuilder("pg_config", "--bindir").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) {
        candidates.add(Path.of(out));
      }
    } catch (IOException e) {
      // no pg_config: look elsewhere
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      versions.sorted(Comparator.reverseOrder()).forEach(v -> candidates.add(v.resolve("bin")));
    } catch (IOException e) {
      // not Debian's layout
    }
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!d.isEmpty()) {
        candidates.add(Path.of(d));
      }
    }
    for (Path c : candidates) {
      if (Files.isExecutable(c.resolve("initdb")) && Files.isExecutable(c.resolve("pg_ctl"))
          && Files.isExecutable(c.resolve("psql"))) {
        return c;
      }
    }
    throw new IllegalStateException("PostgreSQL's server binaries (initdb, pg_ctl, psql) were not found in "
        + "pg_config --bindir, /usr/lib/postgresql/*/bin or the PATH; the PostgreSQL store's tests need them: "
        + "apt-get install -y postgresql");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private void init() throws IOException {
    Path pwfile = dir.resolve("superuser-password");
    Files.writeString(pwfile, superPassword + "\n");
    if (asServerAccount) {
      run(List.of("chown", "-R", SERVER_ACCOUNT + ":" + SERVER_ACCOUNT, dir.toString()), false);
    }
    // --no-sync: the cluster is new and temporary; the server itself runs with fsync on.
    run(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", SUPERUSER, "--auth=scram-sha-256",
        "--pwfile=" + pwfile, "-E", "UTF8", "--no-locale", "--no-sync"), true);
    Files.writeString(data.resolve("postgresql.conf"), String.join("\n",
        "",
        "listen_addresses = '127.0.0.1'",
        "port = " + port,
        "unix_socket_directories = ''",
        "fsync = on",
        "synchronous_commit = on",
        "max_connections = 200",
        "shared_preload_libraries = 'pg_stat_statements'",
        "pg_stat_statements.track = top",
        ""), java.nio.file.StandardOpenOption.APPEND);
  }

  private void createUserAndDatabase() {
    admin("postgres", "CREATE ROLE " + USER + " LOGIN CREATEDB PASSWORD '" + password + "'");
    admin("postgres", "CREATE DATABASE " + DATABASE + " OWNER " + USER);
    admin(DATABASE, "CREATE EXTENSION pg_stat_statements");
  }

  /** Starts the server (again, after {@link #stopImmediate()}); returns once it accepts connections. */
  public void start() {
    run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", log.toString(), "-w",
        "-t", Long.toString(START_TIMEOUT_S), "start"), true);
  }

  /** Stops the server the hard way, as a crash would: {@code pg_ctl stop -m immediate}. */
  public void stopImmediate() {
    run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop"), true);
  }

  /** {@code postgresql://swell:<password>@127.0.0.1:<port>/swell} */
  public String url() {
    return url(DATABASE);
  }

  public String url(String database) {
    return "postgresql://" + USER + ":" + password + "@127.0.0.1:" + port + "/" + database;
  }

  public String password() {
    return password;
  }

  public int port() {
    return port;
  }

  /** A new empty database owned by {@link #USER}, with pg_stat_statements; returns its name. */
  public String createDatabase() {
    String name = "swell_" + names.incrementAndGet();
    admin("postgres", "CREATE DATABASE " + name + " OWNER " + USER);
    admin(name, "CREATE EXTENSION pg_stat_statements");
    return name;
  }

  /**
   * A new empty schema in {@link #DATABASE}, and the URL whose connections use it: a fresh store for
   * each test at the cost of one statement instead of a database.
   */
  public String freshSchemaUrl() {
    String name = "test_" + names.incrementAndGet();
    admin(DATABASE, "CREATE SCHEMA " + name + " AUTHORIZATION " + USER);
    return url() + "?search_path=" + name;
  }

  /** Runs SQL as the superuser in a database and returns psql's unaligned output, one line per row. */
  public List<String> admin(String database, String sql) {
    List<String> cmd = List.of(bin.resolve("psql").toString(), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
        "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", SUPERUSER, "-d", database, "-c", sql);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("PGPASSWORD", superPassword);
    String out = exec(pb, "psql " + sql);
    return out.isEmpty() ? List.of() : List.of(out.split("\n"));
  }

  private void run(List<String> cmd, boolean asServer) {
    List<String> full = new ArrayList<>();
    if (asServer && asServerAccount) {
      full.addAll(List.of("runuser", "-u", SERVER_ACCOUNT, "--"));
    }
    full.addAll(cmd);
    exec(new ProcessBuilder(full).redirectErrorStream(true).directory(dir.toFile()), String.join(" ", cmd));
  }

  private String exec(ProcessBuilder pb, String what) {
    try {
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!p.waitFor(START_TIMEOUT_S + 30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(what + " did not finish");
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(what + " failed (" + p.exitValue() + "): " + out + serverLog());
      }
      return out;
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + what, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + what, e);
    }
  }

  private String serverLog() {
    try {
      return Files.exists(log) ? "\nserver log:\n" + Files.readString(log) : "";
    } catch (IOException e) {
      return "";
    }
  }

  /** Stops the server and removes its directory. */
  @Override
  public void close() {
    remove();
    try {
      Runtime.getRuntime().removeShutdownHook(cleanup);
    } catch (IllegalStateException e) {
      // the JVM is exiting: the hook is what called us
    }
  }

  private synchronized void remove() {
    if (removed) {
      return;
    }
    removed = true;
    if (Files.exists(data.resolve("postmaster.pid"))) {
      try {
        stopImmediate();
      } catch (RuntimeException e) {
        System.err.println("could not stop the test PostgreSQL in " + dir + ": " + e.getMessage());
      }
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      System.err.println("could not remove " + dir + ": " + e.getMessage());
    }
  }
}
