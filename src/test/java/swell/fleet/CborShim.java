package swell.fleet;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import software.amazon.awssdk.thirdparty.jackson.core.JsonFactory;
import software.amazon.awssdk.thirdparty.jackson.core.JsonGenerator;
import software.amazon.awssdk.thirdparty.jackson.core.JsonParser;
import software.amazon.awssdk.thirdparty.jackson.dataformat.cbor.CBORFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lets the SDK's CloudWatch client talk to moto. The SDK (2.57) speaks Smithy RPC v2 CBOR to
 * CloudWatch ({@code POST /service/<target>/operation/<Op>}, CBOR bodies); moto 5.2 knows the same
 * operations over AWS JSON 1.0 ({@code X-Amz-Target}) but has no route for the CBOR one (404). This
 * translates each call, request and answer, value for value, and nothing else: the operations and
 * what they store are moto's.
 */
public final class CborShim implements AutoCloseable {
  private static final Pattern OPERATION = Pattern.compile("/service/([^/]+)/operation/([^/]+)");
  /** Request headers moto reads to know the account and region (it does not check the signature). */
  private static final Set<String> FORWARDED = Set.of("authorization", "x-amz-date", "x-amz-security-token");

  private static final CBORFactory CBOR = new CBORFactory();
  private static final JsonFactory JSON = new JsonFactory();

  private final HttpServer server;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String moto;

  private CborShim(String motoUrl) throws IOException {
    this.moto = motoUrl;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext("/", this::handle);
    server.start();
  }

  public static CborShim inFrontOf(MotoServer moto) throws IOException {
    return new CborShim(moto.url());
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Settings for a CloudWatch client: the emulator's, through this shim. */
  public AwsSettings settings(MotoServer moto) {
    AwsSettings s = moto.settings();
    return new AwsSettings(s.region(), url(), s.credentials(), s.apiCallTimeout(), s.apiCallAttemptTimeout());
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      Matcher m = OPERATION.matcher(exchange.getRequestURI().getPath());
      if (!m.matches()) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      byte[] body = exchange.getRequestBody().readAllBytes();
      HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(moto + "/"))
          .timeout(Duration.ofSeconds(30))
          .header("Content-Type", "application/x-amz-json-1.0")
          .header("X-Amz-Target", m.group(1) + "." + m.group(2))
          .POST(HttpRequest.BodyPublishers.ofByteArray(body.length == 0 ? "{}".getBytes() : copy(CBOR, JSON, body)));
      exchange.getRequestHeaders().forEach((name, values) -> {
        if (FORWARDED.contains(name.toLowerCase())) {
          values.forEach(v -> req.header(name, v));
        }
      });
      HttpResponse<byte[]> answer = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
      byte[] json = answer.body();
      byte[] cbor = copy(JSON, CBOR, json.length == 0 ? "{}".getBytes() : json);
      exchange.getResponseHeaders().set("Content-Type", "application/cbor");
      exchange.getResponseHeaders().set("smithy-protocol", "rpc-v2-cbor");
      answer.headers().firstValue("x-amzn-requestid").ifPresent(v -> exchange.getResponseHeaders().set("x-amzn-RequestId", v));
      exchange.sendResponseHeaders(answer.statusCode(), cbor.length);
      exchange.getResponseBody().write(cbor);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** One document re-encoded: CBOR to JSON or back, every value as it was. */
  private static byte[] copy(JsonFactory from, JsonFactory to, byte[] in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonParser p = from.createParser(in); JsonGenerator g = to.createGenerator(out)) {
      while (p.nextToken() != null) {
        g.copyCurrentStructure(p);
      }
    }
    return out.toByteArray();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
