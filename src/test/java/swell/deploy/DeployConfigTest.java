package swell.deploy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import swell.common.ConfigException;
import swell.common.ConfigReader;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** deploy.json's keys for the balancers' store and the RDS database, each refused naming the key. */
class DeployConfigTest {

  private static DeployConfig read(JsonObject json) {
    ConfigReader r = new ConfigReader(json, Map.of());
    DeployConfig cfg = DeployConfig.from(r, json);
    r.rejectUnknown();
    return cfg;
  }

  private static JsonObject postgres() {
    return new JsonObject().put("store", "postgres");
  }

  @Test
  void sqliteWithOneBalancerStaysTheDefaultAndPostgresDefaultsToTwoMultiAzBalancers() {
    DeployConfig sqlite = read(new JsonObject());
    assertThat(sqlite.store()).isEqualTo("sqlite");
    assertThat(sqlite.balancerCount()).isEqualTo(1);

    DeployConfig pg = read(postgres());
    assertThat(pg.balancerCount()).isEqualTo(2);
    assertThat(pg.dbInstanceClass()).isEqualTo("db.t4g.micro");
    assertThat(pg.dbMultiAz()).isTrue();
    assertThat(pg.dbAllocatedStorageGb()).isEqualTo(20);
    assertThat(pg.dbEngineVersion()).matches("16\\.\\d+");
    assertThat(pg.dbFinalSnapshot()).isTrue();
    assertThat(pg.subnetIds()).isEmpty();
    assertThat(read(postgres().put("dbEngineVersion", "15")).dbEngineVersion()).isEqualTo("15");
  }

  @Test
  void severalSqliteBalancersAreRefusedSinceSeparateStoresCannotShareAQueue() {
    assertThatThrownBy(() -> read(new JsonObject().put("balancerCount", 2))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("'balancerCount'").hasMessageContaining("cannot share a queue");
    assertThatThrownBy(() -> read(postgres().put("balancerCount", 0))).hasMessageContaining("'balancerCount'");
    assertThatThrownBy(() -> read(postgres().put("balancerCount", DeployConfig.MAX_BALANCERS + 1)))
        .hasMessageContaining("'balancerCount'");
  }

  @Test
  void badDatabaseKeysAreRefusedNamingTheKey() {
    assertThatThrownBy(() -> read(new JsonObject().put("store", "mysql"))).hasMessageContaining("'store'")
        .hasMessageContaining("sqlite, postgres");
    assertThatThrownBy(() -> read(postgres().put("dbInstanceClass", "t4g.micro")))
        .hasMessageContaining("'dbInstanceClass'");
    assertThatThrownBy(() -> read(postgres().put("dbEngineVersion", "14.9"))).hasMessageContaining("'dbEngineVersion'")
        .hasMessageContaining("15 or 16");
    assertThatThrownBy(() -> read(postgres().put("dbAllocatedStorageGb", 10)))
        .hasMessageContaining("'dbAllocatedStorageGb'").hasMessageContaining("from 20");
    assertThatThrownBy(() -> read(postgres().put("dbMultiAz", "yes"))).hasMessageContaining("'dbMultiAz'")
        .hasMessageContaining("true or false");
    assertThatThrownBy(() -> read(postgres().put("dbFinalSnapshot", 1))).hasMessageContaining("'dbFinalSnapshot'");
    assertThatThrownBy(() -> read(postgres().put("dbMultiAZ", true))).hasMessageContaining("'dbMultiAZ'")
        .hasMessageContaining("not a known key");
  }

  @Test
  void postgresNeedsTwoSubnetsAndANameRdsTakes() {
    assertThatThrownBy(() -> read(postgres().put("subnetId", "subnet-0123456789abcdef0")))
        .hasMessageContaining("'subnetId'").hasMessageContaining("subnetIds");
    assertThatThrownBy(() -> read(postgres().put("subnetIds", new JsonArray().add("subnet-0123456789abcdef0"))))
        .hasMessageContaining("'subnetIds'").hasMessageContaining("two");
    assertThatThrownBy(() -> read(postgres().put("subnetIds", new JsonArray().add("subnet-1").add("subnet-2"))))
        .hasMessageContaining("'subnetIds'").hasMessageContaining("subnet ids");
    assertThatThrownBy(() -> read(postgres().put("subnetIds", new JsonArray().add("subnet-0123456789abcdef0")
        .add("subnet-0123456789abcdef0")))).hasMessageContaining("'subnetIds'").hasMessageContaining("twice");
    assertThatThrownBy(() -> read(new JsonObject().put("subnetId", "subnet-0123456789abcdef0")
        .put("subnetIds", new JsonArray().add("subnet-0123456789abcdef1")))).hasMessageContaining("'subnetIds'")
        .hasMessageContaining("not both");
    assertThatThrownBy(() -> read(postgres().put("clusterName", "a--b"))).hasMessageContaining("'clusterName'")
        .hasMessageContaining("RDS");
    assertThatThrownBy(() -> read(postgres().put("clusterName", "ab-"))).hasMessageContaining("'clusterName'");
    assertThat(read(new JsonObject().put("clusterName", "ab-")).clusterName()).isEqualTo("ab-");
  }

  @Test
  void theShippedHaProfileIsPostgresWithTwoBalancersMultiAzAndTwoWarmWorkers() {
    DeployConfig ha = DeployCommand.readConfig(Path.of("config/deploy-ha.json"));
    assertThat(ha.store()).isEqualTo("postgres");
    assertThat(ha.balancerCount()).isEqualTo(2);
    assertThat(ha.dbMultiAz()).isTrue();
    assertThat(ha.dbFinalSnapshot()).isTrue();
    assertThat(ha.balancer().getInteger("minWorkers")).isEqualTo(2);
  }
}
