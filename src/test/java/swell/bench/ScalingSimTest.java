package swell.bench;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * bench/scaling-sim's scenarios as tests: the real ScalingPolicy against the oracle and the old
 * rule, on a simulated fleet and a fake clock (seeded, no wall-clock timing).
 */
class ScalingSimTest {
  private static List<SimResult> results;

  @BeforeAll
  static void runEveryScenario() {
    results = ScalingSim.runAll();
  }

  private static SimResult result(String scenario, String policy) {
    return ScalingSim.find(results, scenario, policy);
  }

  @Test
  void everyScenarioDrainsUnderEveryPolicy() {
    assertThat(results).hasSize(SimScenario.all().size() * ScalingSim.POLICIES.size());
    assertThat(results).allSatisfy(r -> assertThat(r.drained()).as(r.scenario() + " / " + r.policy()).isTrue());
    assertThat(SimScenario.all()).extracting(SimScenario::name).anyMatch(n -> n.contains("burst"));
  }

  @Test
  void thePlannerWaitsAtMost1point3TimesTheOracleAtAtMost1point2TimesItsWorkerMinutes() {
    for (SimScenario s : SimScenario.all()) {
      SimResult planner = result(s.name(), "planner");
      SimResult oracle = result(s.name(), "oracle");
      assertThat(ScalingSim.ratio(planner.p95WaitMs(), oracle.p95WaitMs())).as(s.name() + ": p95 wait")
          .isLessThanOrEqualTo(1.3);
      assertThat(planner.workerMinutes() / oracle.workerMinutes()).as(s.name() + ": worker-minutes")
          .isLessThanOrEqualTo(1.2);
    }
  }

  @Test
  void thePlannerIsFarAheadOfTheOldRuleOnTheBurst() {
    for (SimScenario s : SimScenario.all()) {
      if (!s.name().contains("burst")) {
        continue;
      }
      SimResult old = result(s.name(), "old");
      SimResult planner = result(s.name(), "planner");
      assertThat(planner.p95WaitMs()).as(s.name() + ": p95 wait").isLessThan(old.p95WaitMs() * 2 / 3);
      assertThat(planner.drainMs()).as(s.name() + ": drain").isLessThan(old.drainMs() * 2 / 3);
      assertThat(planner.workerMinutes()).as(s.name() + ": no dearer").isLessThan(old.workerMinutes() * 1.05);
    }
  }

  @Test
  void thePlannerLaunchesTheBurstsFleetInOneTickAndTheOldRuleOneAMinute() {
    SimScenario burst = SimScenario.burst();
    SimResult planner = result(burst.name(), "planner");
    // The fleet is full once the first launches registered: what drains it is the 20 workers, so the
    // planner is behind the oracle (whose workers are ready when the burst lands) by one boot, the
    // scaleOutAfterMs wait and a tick, no more.
    SimResult oracle = result(burst.name(), "oracle");
    long lag = planner.drainMs() - oracle.drainMs();
    assertThat(lag).isBetween(burst.bootMs(), burst.bootMs() + burst.config().scaleOutAfterMs() + 30_000);
    assertThat(planner.peakWorkers()).isEqualTo(burst.config().maxWorkers());
  }

  @Test
  void aScenarioRunsTheSameEveryTime() {
    assertThat(ScalingSim.run(SimScenario.onOffDaily(), "planner")).isEqualTo(result("on-off-daily", "planner"));
    assertThat(ScalingSim.run(SimScenario.burstWithFailingLaunches(), "old"))
        .isEqualTo(result("burst-2000-heavy-launches-fail-20pct", "old"));
  }

  @Test
  void launchesTheFleetRefusesAreRetriedUntilTheBurstHasItsFleet() {
    SimResult planner = result("burst-2000-heavy-launches-fail-20pct", "planner");
    assertThat(planner.refusedLaunches()).isPositive();
    assertThat(planner.launches() - planner.refusedLaunches()).isEqualTo(planner.peakWorkers());
  }

  @Test
  void eachJsonLineCarriesTheFieldsTheIssueNames() {
    JsonObject line = new JsonObject(result("steady-ramp", "oracle").json());
    assertThat(line.fieldNames()).containsExactly("scenario", "policy", "drainMs", "p95WaitMs", "workerMinutes");
    assertThat(line.getString("policy")).isEqualTo("oracle");
    assertThat(line.getLong("p95WaitMs")).isPositive();
  }
}
