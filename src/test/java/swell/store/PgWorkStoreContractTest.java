package swell.store;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import swell.testing.PostgresServer;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The contract against PostgreSQL, on the fake clock of the other stores' runs ({@link PgClock#CALLER}):
 * each test gets a schema of its own in the shared test server, and every store a test opens shares it.
 */
class PgWorkStoreContractTest extends WorkStoreContract {
  static Vertx vertx;
  static PostgresServer server;
  /** This test's schema; made when the test opens its first store. */
  private String url;

  @BeforeAll
  static void startVertx() {
    server = PostgresServer.shared();
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get();
  }

  @Override
  protected WorkStore create(StoreLimits limits) {
    if (url == null) {
      url = server.freshSchemaUrl();
    }
    return new PgWorkStore(vertx, PgConnectOptions.fromUri(url), 4, PgClock.CALLER, limits);
  }

  @Test
  void bodiesAreKeptApartAndDroppedOnceTheWorkIsDone() throws Exception {
    List<UUID> ids = enqueueAll(store, work(1, random64KiB(), T0), work(1, new byte[] {1}, T0 + 1));
    run(store, "w", ids.get(0), digest(1), T0 + 2);
    String schema = url.substring(url.indexOf("search_path=") + "search_path=".length());
    assertThat(server.admin(PostgresServer.DATABASE, "SELECT count(*) FROM " + schema + ".swell_bodies"))
        .containsExactly("1");
    assertThat(server.admin(PostgresServer.DATABASE,
        "SELECT state, octet_length(result) FROM " + schema + ".swell_works WHERE id = '" + ids.get(0) + "'"))
        .containsExactly("2|64");
  }
}
