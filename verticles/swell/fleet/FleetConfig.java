package swell.fleet;

import swell.common.ConfigReader;

import java.util.List;

/**
 * The {@code fleet} section. {@code process} runs workers as child JVMs of this jar, each with
 * {@code workerThreads} compute threads; {@code ec2} launches EC2 instances as its {@code ec2}
 * section says; {@code none} leaves workers to people.
 *
 * @param ec2 set only when {@code type} is {@code ec2}
 */
public record FleetConfig(String type, int workerThreads, List<String> jvmOptions, Ec2FleetConfig ec2) {

  public FleetConfig(String type, int workerThreads, List<String> jvmOptions) {
    this(type, workerThreads, jvmOptions, null);
  }

  public static FleetConfig read(ConfigReader r, String defaultType) {
    String type = r.oneOf("type", defaultType, "process", "ec2", "none");
    int threads = r.integer("workerThreads", 1, 0, 1024);
    List<String> jvm = r.strings("jvmOptions", List.of("-Xmx256m", "-XX:+UseSerialGC"));
    // An ec2 section left in a file switched to another type is ignored, not a startup failure.
    Ec2FleetConfig ec2 = "ec2".equals(type) ? Ec2FleetConfig.read(r.section("ec2")) : null;
    if (ec2 == null) {
      r.allow("ec2");
    }
    return new FleetConfig(type, threads, jvm, ec2);
  }
}
