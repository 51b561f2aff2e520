package swell.common;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.classic.spi.ILoggingEvent;
import net.logstash.logback.encoder.LogstashEncoder;
import net.logstash.logback.fieldnames.LogstashFieldNames;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a role logs: {@code logFormat} (text for people, JSON lines for CloudWatch Logs and other
 * collectors), whether the per-work events of {@link WorkLog} are on, and the facts every line
 * carries (the role, its balancer or worker id, the EC2 instance), so that the lines of many
 * machines in one log group can be told apart and one work followed across them.
 *
 * @param fields put on every line as logger-context properties: set once per process, seen by every
 *     thread (an MDC is per thread, and Vert.x runs a role on many)
 */
public record LogConfig(String format, boolean workEvents, Map<String, String> fields) {
  /** The logger {@code logback.xml} writes to stderr with; replaced by a JSON one of the same name. */
  static final String APPENDER = "STDERR";

  public LogConfig {
    fields = Map.copyOf(new LinkedHashMap<>(fields));
  }

  /**
   * Reads {@code logFormat}, {@code logWorkEvents} and {@code instanceId} (the boot script sets
   * {@code SWELL_INSTANCE_ID} on EC2) for any role.
   */
  public static LogConfig read(ConfigReader r, String role) {
    String format = r.oneOf("logFormat", "text", "text", "json");
    boolean workEvents = r.bool("logWorkEvents", false);
    String instanceId = r.string("instanceId", "");
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("role", role);
    if (!instanceId.isEmpty()) {
      fields.put("instanceId", instanceId);
    }
    return new LogConfig(format, workEvents, fields);
  }

  /** The same, with one more field on every line (the balancer's or the worker's id). */
  public LogConfig with(String key, String value) {
    Map<String, String> more = new LinkedHashMap<>(fields);
    more.put(key, value);
    return new LogConfig(format, workEvents, more);
  }

  public boolean json() {
    return "json".equals(format);
  }

  /**
   * Applies this to Logback: called once, before the role starts, so every line it writes has the
   * format and the fields. Process workers inherit both through {@link #childEnvironment()}.
   */
  public void apply() {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return; // another SLF4J backend on the classpath: it keeps its own configuration
    }
    fields.forEach(context::putProperty);
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    if (json()) {
      Appender<ILoggingEvent> old = root.getAppender(APPENDER);
      ConsoleAppender<ILoggingEvent> jsonLines = new ConsoleAppender<>();
      jsonLines.setContext(context);
      jsonLines.setName(APPENDER);
      jsonLines.setTarget("System.err");
      jsonLines.setEncoder(encoder(context));
      jsonLines.start();
      root.addAppender(jsonLines);
      if (old != null) {
        root.detachAppender(old);
        old.stop();
      }
    }
    if (workEvents) {
      context.getLogger(WorkLog.LOGGER).setLevel(Level.DEBUG);
    }
    applied = this;
  }

  /**
   * One JSON object per line: {@code @timestamp}, {@code level}, {@code logger_name},
   * {@code thread_name}, {@code message}, the context fields and each event's key-values (such as
   * {@code workId}) as top-level fields, and a stack trace in {@code stack_trace}, never on lines
   * of its own.
   */
  static LogstashEncoder encoder(LoggerContext context) {
    LogstashEncoder encoder = new LogstashEncoder();
    encoder.setContext(context);
    LogstashFieldNames names = new LogstashFieldNames();
    names.setVersion("[ignore]");
    names.setLevelValue("[ignore]");
    encoder.setFieldNames(names);
    encoder.start();
    return encoder;
  }

  private static volatile LogConfig applied;

  /**
   * What a worker JVM this process starts needs in its environment to log as this one does
   * ({@code SWELL_LOG_FORMAT}, {@code SWELL_LOG_WORK_EVENTS}): its lines land in the same stream.
   */
  public static Map<String, String> childEnvironment() {
    LogConfig c = applied;
    if (c == null) {
      return Map.of();
    }
    return Map.of(ConfigReader.envName("logFormat"), c.format,
        ConfigReader.envName("logWorkEvents"), Boolean.toString(c.workEvents));
  }
}
