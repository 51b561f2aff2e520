package swell.deploy;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import swell.fleet.AwsErrors;

import java.util.List;

/**
 * The CloudWatch dashboard {@code swell-<cluster>}: the queue, the workers by state, throughput and
 * enqueue-to-completion latency, drawn from what the balancers publish to namespace
 * {@code Swell/<cluster>} ({@code cloudwatchNamespace}) under the names {@code /metrics} shows.
 *
 * <p>Every graph is a SEARCH over the namespace, so it finds a metric whatever dimensions it
 * carries (the owner of a counter, a balancer's scope): counters are summed over all of them and
 * divided by the minute they cover (a rate per second); the queue gauges, which every balancer of a
 * shared store reports for the whole cluster, take the highest, not the sum.
 */
final class ClusterDashboard {
  /** The metric names (as {@code swell.metrics.CloudWatchMetrics} publishes them) the widgets draw. */
  static final String PENDING = "swell_works_pending";
  static final String UNPULLED = "swell_results_unpulled";
  static final String WORKERS = "swell_workers";
  static final String ENQUEUED = "swell_works_enqueued_total";
  static final String COMPLETED = "swell_works_completed_total";
  static final String LATENCY = "swell_enqueue_to_completion_seconds_percentile";
  /** One data point a minute: the resolution the roles publish at. */
  private static final int PERIOD = 60;

  private final AwsClients aws;
  private final ClusterNames names;
  private final Progress progress;

  ClusterDashboard(AwsClients aws, ClusterNames names, Progress progress) {
    this.aws = aws;
    this.names = names;
    this.progress = progress;
  }

  /** The dashboard's body: its widgets, in the JSON PutDashboard takes. */
  static JsonObject body(ClusterNames names) {
    return new JsonObject().put("widgets", new JsonArray()
        .add(widget(names, 0, 0, "Queue: pending and completed-unpulled (works)", new JsonArray()
            .add(expression("pending", "MAX(" + search(names, PENDING, "Maximum") + ")", "pending"))
            .add(expression("unpulled", "MAX(" + search(names, UNPULLED, "Maximum") + ")", "completed, not pulled"))))
        .add(widget(names, 12, 0, "Workers by state", new JsonArray()
            .add(expression("workers", search(names, WORKERS, "Maximum"), ""))))
        .add(widget(names, 0, 6, "Throughput (works per second)", new JsonArray()
            .add(expression("enqueued", "SUM(" + search(names, ENQUEUED, "Sum") + ")/" + PERIOD, "enqueued"))
            .add(expression("completed", "SUM(" + search(names, COMPLETED, "Sum") + ")/" + PERIOD, "completed"))))
        .add(widget(names, 12, 6, "Enqueue to completion (seconds; p50, p90, p99)", new JsonArray()
            .add(expression("latency", search(names, LATENCY, "Maximum"), "")))));
  }

  /** A search over the cluster's namespace for one metric, with any dimensions. */
  static String search(ClusterNames names, String metric, String stat) {
    return "SEARCH('Namespace=\"" + names.metricsNamespace() + "\" MetricName=\"" + metric + "\"', '" + stat + "', "
        + PERIOD + ")";
  }

  private static JsonObject widget(ClusterNames names, int x, int y, String title, JsonArray metrics) {
    return new JsonObject()
        .put("type", "metric").put("x", x).put("y", y).put("width", 12).put("height", 6)
        .put("properties", new JsonObject()
            .put("title", title)
            .put("region", names.region())
            .put("view", "timeSeries")
            .put("stacked", false)
            .put("period", PERIOD)
            .put("metrics", metrics));
  }

  private static JsonArray expression(String id, String expression, String label) {
    return new JsonArray().add(new JsonObject().put("expression", expression).put("id", id).put("label", label));
  }

  /** Where a person opens it: the CloudWatch console of the cluster's region and partition. */
  static String url(ClusterNames names) {
    String host = switch (names.partition()) {
      case "aws-cn" -> names.region() + ".console.amazonaws.cn";
      case "aws-us-gov" -> "console.amazonaws-us-gov.com";
      default -> names.region() + ".console.aws.amazon.com";
    };
    return "https://" + host + "/cloudwatch/home?region=" + names.region() + "#dashboards/dashboard/"
        + names.dashboard();
  }

  /** Puts the body; says whether it was new, changed or already so. */
  Future<Void> ensure() {
    String body = body(names).encode();
    return find().compose(existing -> {
      if (existing != null && new JsonObject(existing).equals(new JsonObject(body))) {
        progress.exists("dashboard " + names.dashboard());
        return Future.succeededFuture();
      }
      return aws.call(aws.cloudwatch.putDashboard(b -> b.dashboardName(names.dashboard()).dashboardBody(body)))
          .compose(r -> r.dashboardValidationMessages().isEmpty() ? Future.<Void>succeededFuture()
              : Future.failedFuture(new IllegalStateException("CloudWatch took dashboard " + names.dashboard()
                  + " with warnings: " + r.dashboardValidationMessages())))
          .onSuccess(v -> {
            if (existing == null) {
              progress.created("dashboard " + names.dashboard());
            } else {
              progress.changed("dashboard " + names.dashboard() + " redrawn");
            }
          });
    });
  }

  /** The body CloudWatch holds, or null when there is no such dashboard. */
  Future<String> find() {
    return aws.call(aws.cloudwatch.getDashboard(b -> b.dashboardName(names.dashboard())))
        .map(r -> r.dashboardBody())
        .recover(e -> notFound(e) ? Future.succeededFuture(null) : Future.failedFuture(e));
  }

  Future<Void> delete() {
    return find().compose(existing -> existing == null ? Future.succeededFuture()
        : aws.call(aws.cloudwatch.deleteDashboards(b -> b.dashboardNames(names.dashboard())))
            .<Void>mapEmpty()
            .recover(e -> notFound(e) ? Future.succeededFuture() : Future.failedFuture(e))
            .onSuccess(v -> progress.deleted("dashboard " + names.dashboard())));
  }

  /** What {@code status} prints: the dashboard's console URL, when it exists. */
  Future<List<String>> statusLines() {
    return find().map(existing -> existing == null ? List.of() : List.of(names.dashboard() + " " + url(names)));
  }

  private static boolean notFound(Throwable e) {
    String code = AwsErrors.code(e);
    return code.startsWith("ResourceNotFound") || code.equals("DashboardNotFoundError") || AwsErrors.status(e) == 404;
  }
}
