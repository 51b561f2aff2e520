package swell.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;

/**
 * The ceiling for {@code bench/enqueue.sh}: one HTTP hop that reads a {@code PUT /enqueue} body and
 * answers a constant id, with no forward and no store, so the endpoint's numbers can be read as a
 * fraction of what this machine's HTTP stack can do at all.
 */
public final class BareServer extends VerticleBase {
  /** The same shape and length as a real answer, so both sides move the same bytes. */
  private static final Buffer ANSWER = Buffer.buffer("{\"id\":\"0190c1f2-7a3b-7c4d-8e5f-60718293a4b5\"}");

  private final int port;
  private HttpServer server;

  public BareServer(int port) {
    this.port = port;
  }

  @Override
  public Future<?> start() {
    server = vertx.createHttpServer().requestHandler(this::handle);
    return server.listen(port, "127.0.0.1");
  }

  private void handle(HttpServerRequest req) {
    if (!"/enqueue".equals(req.path())) {
      req.response().setStatusCode(404).end();
      return;
    }
    // Read the whole body, as the endpoint must before it can forward it.
    req.body().onSuccess(body -> req.response().putHeader("Content-Type", "application/json").end(ANSWER));
  }

  /** {@code BareServer PORT [INSTANCES]}: instances default to one per core, as an endpoint's event loops. */
  public static void main(String[] args) {
    if (args.length < 1) {
      System.err.println("usage: java -cp swell.jar swell.bench.BareServer PORT [INSTANCES]");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    int instances = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
    Vertx vertx = Vertx.vertx(new io.vertx.core.VertxOptions().setPreferNativeTransport(true));
    vertx.deployVerticle(() -> new BareServer(port), new DeploymentOptions().setInstances(instances))
        .onSuccess(id -> System.out.println("bare server listening on 127.0.0.1:" + port))
        .onFailure(err -> {
          System.err.println("bare server failed: " + err.getMessage());
          System.exit(1);
        });
  }
}
