package swell.fleet;

import swell.common.ConfigReader;

import java.util.List;

/**
 * The {@code fleet} section. {@code process} runs workers as child JVMs of this jar, each with
 * {@code workerThreads} compute threads; {@code none} leaves workers to people.
 */
public record FleetConfig(String type, int workerThreads, List<String> jvmOptions) {

  public static FleetConfig read(ConfigReader r, String defaultType) {
    String type = r.oneOf("type", defaultType, "process", "ec2", "none");
    int threads = r.integer("workerThreads", 1, 0, 1024);
    List<String> jvm = r.strings("jvmOptions", List.of("-Xmx256m", "-XX:+UseSerialGC"));
    return new FleetConfig(type, threads, jvm);
  }
}
