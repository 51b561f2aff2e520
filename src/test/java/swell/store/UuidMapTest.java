package swell.store;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The flat id map against java.util.HashMap, through random puts, removals and growth. */
class UuidMapTest {

  @Test
  void behavesLikeAHashMapThroughRandomPutsRemovalsAndGrowth() {
    Random random = new Random(42);
    UuidMap<String> map = new UuidMap<>();
    Map<UUID, String> model = new HashMap<>();
    List<UUID> known = new ArrayList<>();
    for (int step = 0; step < 200_000; step++) {
      int op = random.nextInt(10);
      if (op < 5 || known.isEmpty()) {
        // Ids with few distinct bits collide in the table's low bits: the probing and the deletion must cope.
        UUID id = random.nextInt(4) == 0 ? new UUID(0, random.nextInt(64)) : UUID.randomUUID();
        String v = "v" + step;
        assertThat(map.put(id.getMostSignificantBits(), id.getLeastSignificantBits(), v)).isEqualTo(model.put(id, v));
        known.add(id);
      } else if (op < 8) {
        UUID id = known.get(random.nextInt(known.size()));
        assertThat(map.remove(id.getMostSignificantBits(), id.getLeastSignificantBits())).isEqualTo(model.remove(id));
      } else {
        UUID id = known.get(random.nextInt(known.size()));
        assertThat(map.get(id)).isEqualTo(model.get(id));
      }
      assertThat(map.size()).isEqualTo(model.size());
    }
    for (UUID id : known) {
      assertThat(map.get(id)).isEqualTo(model.get(id));
    }
    assertThat(map.valuesWhere(v -> true)).containsExactlyInAnyOrderElementsOf(model.values());
  }

  @Test
  void valuesWhereAnswersTheMatchesAndAnEmptyListForNone() {
    UuidMap<String> map = new UuidMap<>();
    map.put(1, 1, "a");
    map.put(2, 2, "b");
    assertThat(map.valuesWhere("b"::equals)).containsExactly("b");
    assertThat(map.valuesWhere("c"::equals)).isEmpty();
  }

  @Test
  void putIfAbsentKeepsTheFirstValue() {
    UuidMap<String> map = new UuidMap<>();
    assertThat(map.putIfAbsent(1, 2, "first")).isNull();
    assertThat(map.putIfAbsent(1, 2, "second")).isEqualTo("first");
    assertThat(map.get(1, 2)).isEqualTo("first");
    assertThat(map.containsKey(1, 2)).isTrue();
    assertThat(map.containsKey(2, 1)).isFalse();
  }
}
