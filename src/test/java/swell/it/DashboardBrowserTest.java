package swell.it;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The dashboard in a real browser: {@code local} starts as a child process, with no fleet so that
 * works wait, and the test opens the link it prints in Debian's headless Chromium, driven through
 * Debian's chromedriver by Selenium. The numbers on the page must follow the queue, and a worker
 * started by the test must appear with its state. A screenshot is left in target/.
 */
@ExtendWith(VertxExtension.class)
class DashboardBrowserTest {
  /** Debian's packages, named explicitly so that Selenium never looks for (or downloads) a browser of its own. */
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path SCREENSHOT = Path.of("target", "dashboard.png");
  private static final int WORKS = 5;
  private static final Duration PAGE_WAIT = Duration.ofSeconds(15);

  private RoleProcess local;
  private ChromeDriver browser;
  private InProcessSwell workers;

  @AfterEach
  void stopAll() throws Exception {
    if (browser != null) {
      browser.quit();
    }
    if (workers != null) {
      workers.close();
    }
    if (local != null) {
      local.close();
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void thePageFollowsTheQueueAndShowsTheWorkerThatDrainsIt(Vertx vertx,
      @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir) throws Exception {
    requireBrowser();
    int endpointPort = Ports.free();
    int balancerPort = Ports.free();
    Path dataDir = dir.resolve("data");
    Path log = dir.resolve("local.log");
    local = RoleProcess.start(new JsonObject()
        .put("role", "local")
        .put("endpointPorts", new JsonArray().add(endpointPort))
        .put("balancerPort", balancerPort)
        .put("dataDir", dataDir.toString())
        .put("store", new JsonObject().put("type", "sqlite").put("durability", "os"))
        .put("fleet", new JsonObject().put("type", "none"))
        .put("tickMs", 100), log);
    String url = printedDashboardUrl(log);
    String token = Files.readString(dataDir.resolve("cluster-token")).strip();
    assertThat(url).isEqualTo("http://127.0.0.1:" + balancerPort + "/dashboard#token=" + token);
    SwellHttp admin = new SwellHttp("http://127.0.0.1:" + balancerPort, token);
    SwellHttp client = new SwellHttp("http://127.0.0.1:" + endpointPort, null);

    browser = chromium(dir.resolve("chromium-profile"));
    try {
      browser.get(url);
      awaitText("pending", "0");
      assertThat(browser.getCurrentUrl()).as("the token leaves the address bar").doesNotContain("token")
          .endsWith("/dashboard/");
      assertThat(browser.findElements(By.cssSelector(".uplot canvas"))).as("uPlot drew three charts").hasSize(3);

      for (int i = 0; i < WORKS; i++) {
        client.enqueue(("dashboard " + i).getBytes(), 1000);
      }
      awaitText("pending", String.valueOf(WORKS));
      assertThat(admin.json("GET", "/status").getLong("pending")).isEqualTo(WORKS);
      awaitText("enqueued-total", WORKS + " since start");

      workers = new InProcessSwell(vertx);
      workers.startWorker(new JsonObject()
          .put("workerId", "w-browser")
          .put("clusterToken", token)
          .put("balancerUrls", new JsonArray().add("http://127.0.0.1:" + balancerPort)));
      awaitText("pending", "0");
      awaitText("completed-unpulled", String.valueOf(WORKS));
      assertThat(admin.json("GET", "/status").getLong("completedUnpulled")).isEqualTo(WORKS);
      awaitTrue("the worker's row says it is active and completed " + WORKS, () -> {
        List<WebElement> row = browser.findElements(By.cssSelector("#workers tr[data-worker-id='w-browser'] td"));
        return row.size() > 5 && row.get(1).getText().equals("active")
            && row.get(5).getText().equals(String.valueOf(WORKS));
      });
      awaitTrue("a latency for the results", () -> !text("latency").equals("–"));
      assertThat(text("failed")).isEqualTo("0");
    } finally {
      Files.createDirectories(SCREENSHOT.getParent());
      Files.write(SCREENSHOT, browser.getScreenshotAs(OutputType.BYTES));
    }
  }

  /** Without Debian's browser the test cannot say anything: it fails and names what to install. */
  private static void requireBrowser() {
    for (Path p : List.of(CHROMIUM, CHROMEDRIVER)) {
      if (!Files.isExecutable(p)) {
        fail(p + " is missing: the dashboard's test needs Debian's packages 'chromium' and 'chromium-driver'"
            + " (apt-get install -y chromium chromium-driver; .ci/run installs them)");
      }
    }
  }

  private static ChromeDriver chromium(Path profile) throws IOException {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + profile,
        "--window-size=1280,1500");
    // A driver executable given here is used as is: Selenium Manager, whose downloads fail here, never runs.
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort()
        .withLogFile(profile.resolveSibling("chromedriver.log").toFile())
        .build();
    return new ChromeDriver(service, options);
  }

  /** The link local prints when it has started. */
  private static String printedDashboardUrl(Path log) {
    String[] url = new String[1];
    SwellHttp.await("local to print its dashboard link", Duration.ofSeconds(30), () -> {
      url[0] = read(log).lines().filter(l -> l.startsWith("Swell dashboard: ")).findFirst()
          .map(l -> l.substring("Swell dashboard: ".length()).strip()).orElse(null);
      return url[0] != null;
    });
    return url[0];
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private String text(String id) {
    return Optional.of(browser.findElement(By.id(id))).map(WebElement::getText).orElse("");
  }

  private void awaitText(String id, String expected) {
    awaitTrue("#" + id + " to show " + expected, () -> text(id).equals(expected));
  }

  private void awaitTrue(String what, Supplier<Boolean> condition) {
    try {
      SwellHttp.await(what, PAGE_WAIT, condition::get);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; the page says:\n" + browser.findElement(By.tagName("body")).getText(), e);
    }
  }
}
