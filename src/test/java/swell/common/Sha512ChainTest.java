package swell.common;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import swell.it.Vectors;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Sha512ChainTest {

  static List<Vectors.Case> cases() {
    return Vectors.all();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void chainReproducesReferenceVector(Vectors.Case c) {
    assertThat(new Sha512Chain().computeHex(c.body(), c.iterations())).isEqualTo(c.resultHex());
  }

  @Test
  void oneInstanceGivesTheSameResultsWhenReused() {
    Sha512Chain chain = new Sha512Chain();
    for (Vectors.Case c : cases()) {
      assertThat(chain.computeHex(c.body(), c.iterations())).as(c.toString()).isEqualTo(c.resultHex());
    }
  }

  @Test
  void vectorFileHasTheThirtyCases() {
    assertThat(cases()).hasSize(30);
  }

  @Test
  void zeroIterationsIsRefused() {
    assertThatThrownBy(() -> new Sha512Chain().compute(new byte[0], 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
