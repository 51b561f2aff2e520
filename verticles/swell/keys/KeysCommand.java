package swell.keys;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.security.SecureRandom;

/**
 * {@code swell keys new NAME}: makes a client key. The key goes to the client; the endpoint's config
 * gets only its name and hash, so a leaked config opens nothing.
 */
@Command(name = "keys", mixinStandardHelpOptions = true, version = "swell keys 0.1.0",
    description = "Client keys for the endpoints' apiKeys.")
public final class KeysCommand implements Runnable {
  @Spec
  CommandSpec spec;

  /** {@code swell keys} alone: there is only something to do with a subcommand. */
  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing a subcommand: swell keys new NAME");
  }

  @Command(name = "new", mixinStandardHelpOptions = true,
      description = {"Prints a fresh random client key on the first line of standard output and its apiKeys "
          + "entry (its name and SHA-256) on the second.",
          "Exit code: 0 done; 2 a bad NAME."})
  int newKey(@Parameters(paramLabel = "NAME", description = "the key's name, which owns the works enqueued with "
      + "it: 1 to 64 letters, digits, '.', '_' or '-'") String name) {
    String problem = ClientKey.nameProblem(name);
    if (problem != null) {
      throw new ParameterException(spec.commandLine().getSubcommands().get("new"), "NAME \"" + name + "\": " + problem);
    }
    String key = ClientKey.generate(new SecureRandom());
    PrintWriter out = spec.commandLine().getOut();
    out.println(key);
    out.println(ClientKey.configEntry(name, key).encode());
    out.flush();
    PrintWriter err = spec.commandLine().getErr();
    err.println("The first line is the client key: give it to the client, who sends it as "
        + "Authorization: Bearer <key>. It is shown only this once; Swell keeps only its hash.");
    err.println("Add the second line to \"apiKeys\" in the endpoint's (or local's) config and restart the endpoint.");
    err.flush();
    return 0;
  }
}
