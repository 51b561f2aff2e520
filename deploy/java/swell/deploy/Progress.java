package swell.deploy;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * What a deploy command tells the person running it, line by line, and what it changed: a second
 * {@code up} that finds everything in place reports nothing created.
 */
final class Progress {
  private final PrintStream out;
  private final List<String> changes = new ArrayList<>();

  Progress(PrintStream out) {
    this.out = out;
  }

  synchronized void created(String what) {
    changes.add("created " + what);
    out.println("  + " + what);
  }

  synchronized void changed(String what) {
    changes.add(what);
    out.println("  ~ " + what);
  }

  synchronized void deleted(String what) {
    changes.add("deleted " + what);
    out.println("  - " + what);
  }

  synchronized void exists(String what) {
    out.println("  = " + what);
  }

  synchronized void say(String line) {
    out.println(line);
  }

  synchronized List<String> changes() {
    return List.copyOf(changes);
  }
}
