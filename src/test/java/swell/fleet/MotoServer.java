package swell.fleet;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An AWS emulator for one test class: {@code moto_server} on a free loopback port, with the dummy
 * credentials and region every client under test is built with (never the global environment).
 */
public final class MotoServer implements AutoCloseable {
  public static final String REGION = "us-east-1";
  public static final StaticCredentialsProvider CREDENTIALS =
      StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing"));

  private final Process process;
  private final int port;
  private final Path log;

  private MotoServer(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  public static MotoServer start() throws IOException, InterruptedException {
    String exe = find();
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path log = Files.createTempFile("moto-", ".log");
    Process p = new ProcessBuilder(exe, "-H", "127.0.0.1", "-p", Integer.toString(port))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    MotoServer moto = new MotoServer(p, port, log);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IllegalStateException("moto_server exited at start: " + Files.readString(log));
      }
      if (moto.answers()) {
        return moto;
      }
      Thread.sleep(100);
    }
    moto.close();
    throw new IllegalStateException("moto_server did not answer on port " + port + " within 30 s: "
        + Files.readString(log));
  }

  /** On PATH, or where pyenv puts it; the test fails saying how to install it otherwise. */
  private static String find() {
    List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
    dirs.add(System.getProperty("user.home") + "/.pyenv/shims");
    dirs.add("/root/.pyenv/shims");
    dirs.add("/usr/local/bin");
    for (String d : dirs) {
      Path p = Path.of(d.isEmpty() ? "." : d, "moto_server");
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    throw new IllegalStateException("moto_server is not installed (the AWS tests need it): "
        + "pip install 'moto[server]'");
  }

  private boolean answers() {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create(url() + "/moto-api/").toURL().openConnection();
      c.setConnectTimeout(500);
      c.setReadTimeout(2000);
      int code = c.getResponseCode();
      c.disconnect();
      return code > 0;
    } catch (IOException e) {
      return false;
    }
  }

  /** A {@code fleet.ec2} config section pointing at this emulator, for tests to add their keys to. */
  public io.vertx.core.json.JsonObject ec2Section(String cluster) {
    return new io.vertx.core.json.JsonObject()
        .put("region", REGION)
        .put("endpointUrl", url())
        .put("clusterName", cluster)
        .put("amiId", "ami-12c6146b")
        .put("instanceType", "t3.micro");
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  /** For a {@link TcpProxy} to stand between a client and the emulator. */
  public int port() {
    return port;
  }

  public AwsSettings settings() {
    return new AwsSettings(REGION, url(), CREDENTIALS, Duration.ofSeconds(30), Duration.ofSeconds(20));
  }

  /** Forgets every resource, so each test starts from an empty account. */
  public void reset() throws IOException {
    HttpURLConnection c = (HttpURLConnection) URI.create(url() + "/moto-api/reset").toURL().openConnection();
    c.setRequestMethod("POST");
    c.setDoOutput(true);
    c.getOutputStream().close();
    if (c.getResponseCode() != 200) {
      throw new IOException("moto reset answered " + c.getResponseCode());
    }
    c.disconnect();
  }

  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      Files.deleteIfExists(log);
    } catch (IOException ignored) {
      // a temp file left behind is harmless
    }
  }
}
