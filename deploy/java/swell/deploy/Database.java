package swell.deploy;

import io.vertx.core.Future;
import software.amazon.awssdk.services.ec2.model.Subnet;
import software.amazon.awssdk.services.rds.model.DBInstance;
import software.amazon.awssdk.services.rds.model.DBSnapshot;
import software.amazon.awssdk.services.rds.model.DBSubnetGroup;
import software.amazon.awssdk.services.rds.model.DbInstanceAlreadyExistsException;
import software.amazon.awssdk.services.rds.model.DbInstanceNotFoundException;
import software.amazon.awssdk.services.rds.model.DbSubnetGroupNotFoundException;
import software.amazon.awssdk.services.rds.model.InvalidDbInstanceStateException;
import software.amazon.awssdk.services.rds.model.InvalidDbSubnetGroupStateException;
import software.amazon.awssdk.services.rds.model.Tag;
import swell.fleet.AwsErrors;
import swell.fleet.Ec2Fleet;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The RDS PostgreSQL database the balancers share with store {@code postgres}: a DB subnet group
 * over two zones and one encrypted instance in it, private, behind the database's security group,
 * Multi-AZ as deploy.json says. {@code up} creates what is missing and waits until RDS calls the
 * instance available; {@code down} deletes it (with a final snapshot unless deploy.json says
 * otherwise), waits until it is gone and deletes the subnet group. RDS takes minutes for each, so
 * every wait polls with a Vert.x timer and prints what RDS says as it changes.
 */
final class Database {
  static final int PORT = 5432;
  /** The master user Swell connects as, and the database the balancers create their tables in. */
  static final String USER = "swell";
  static final String NAME = "swell";
  /**
   * Automated backups (point-in-time recovery) kept this many days: RDS's console default, and free
   * up to the database's own size.
   */
  static final int BACKUP_RETENTION_DAYS = 7;
  /** Creating a Multi-AZ instance takes 10 to 30 minutes; deleting one with a final snapshot about 10. */
  static final long CREATE_TIMEOUT_MS = 60 * 60_000;
  static final long DELETE_TIMEOUT_MS = 45 * 60_000;
  /**
   * The CA bundle every RDS certificate of the commercial regions chains to: the balancers verify
   * the database against it (RDS refuses unencrypted clients, and no JVM trusts its CA by default).
   */
  static final String CA_BUNDLE_URL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem";
  /** With no change to report, a waiting line this often, so a long wait shows it is alive. */
  private static final long QUIET_LINE_SECONDS = 60;
  /** States RDS does not leave by itself: waiting for {@code available} would only time out. */
  private static final Set<String> STUCK = Set.of("failed", "deleting", "incompatible-network",
      "incompatible-option-group", "incompatible-parameters", "incompatible-restore",
      "inaccessible-encryption-credentials", "restore-error", "storage-full");
  private static final DateTimeFormatter SNAPSHOT_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

  private final AwsClients aws;
  private final ClusterNames names;
  private final Progress progress;

  Database(AwsClients aws, ClusterNames names, Progress progress) {
    this.aws = aws;
    this.names = names;
    this.progress = progress;
  }

  /** What the balancers connect to: verified TLS, the password from their environment, never the URL. */
  static String url(DBInstance db) {
    return "postgresql://" + USER + "@" + db.endpoint().address() + ":" + db.endpoint().port() + "/" + NAME
        + "?sslmode=verify-full";
  }

  // ---- up

  /** The DB subnet group over {@code subnets} (two zones at least: RDS refuses fewer). */
  Future<Void> ensureSubnetGroup(List<Subnet> subnets) {
    String name = names.database();
    return subnetGroup().compose(found -> {
      if (found != null) {
        progress.exists("DB subnet group " + name + " (" + zones(found) + ")");
        return Future.succeededFuture();
      }
      return aws.call(aws.rds.createDBSubnetGroup(b -> b.dbSubnetGroupName(name)
              .dbSubnetGroupDescription("Swell cluster " + names.cluster() + ": its database's subnets")
              .subnetIds(subnets.stream().map(Subnet::subnetId).toList())
              .tags(tags())))
          .onSuccess(r -> progress.created("DB subnet group " + name + " (" + zones(r.dbSubnetGroup()) + ")"))
          .mapEmpty();
    });
  }

  /**
   * The instance, available: the one there is (started if it was stopped; its password set to
   * {@code password} when that is new, since whatever it had went with an earlier bucket), or a
   * new one. Refuses an instance of this name that is not this cluster's.
   */
  Future<DBInstance> ensure(DeployConfig cfg, String groupId, ArtifactBucket.DatabasePassword password,
                            Deadline deadline) {
    String id = names.database();
    return find().compose(db -> {
      if (db == null) {
        return create(cfg, groupId, password.value())
            .recover(e -> AwsErrors.unwrap(e) instanceof DbInstanceAlreadyExistsException
                ? Future.succeededFuture() : Future.failedFuture(e))
            .compose(v -> awaitAvailable(deadline));
      }
      if (!ours(db)) {
        return Future.failedFuture(new IllegalStateException("RDS instance " + id + " exists and is not cluster "
            + names.cluster() + "'s (its " + Ec2Fleet.TAG_CLUSTER + " tag is " + owner(db) + "); rename or delete it, "
            + "or set another clusterName"));
      }
      progress.exists("database " + id + " (" + describe(db) + ")");
      differences(cfg, db).forEach(d -> progress.say("  ! database " + id + ": " + d + "; up does not change an "
          + "existing database (modify it in the RDS console, or run down and up)"));
      Future<Void> f = Future.succeededFuture();
      if (password.created()) {
        f = aws.call(aws.rds.modifyDBInstance(b -> b.dbInstanceIdentifier(id).masterUserPassword(password.value())
                .applyImmediately(true)))
            .onSuccess(r -> progress.changed("set database " + id + "'s master password to the new one in the bucket "
                + "(the bucket held none)"))
            .mapEmpty();
      }
      return f.compose(v -> awaitAvailable(deadline));
    });
  }

  private Future<Void> create(DeployConfig cfg, String groupId, String password) {
    String id = names.database();
    return aws.call(aws.rds.createDBInstance(b -> b.dbInstanceIdentifier(id)
            .engine("postgres")
            .engineVersion(cfg.dbEngineVersion())
            .dbInstanceClass(cfg.dbInstanceClass())
            .allocatedStorage(cfg.dbAllocatedStorageGb())
            .storageType("gp3")
            .storageEncrypted(true)
            .multiAZ(cfg.dbMultiAz())
            .publiclyAccessible(false)
            .vpcSecurityGroupIds(groupId)
            .dbSubnetGroupName(names.database())
            .dbName(NAME)
            .masterUsername(USER)
            .masterUserPassword(password)
            .backupRetentionPeriod(BACKUP_RETENTION_DAYS)
            // down must be able to delete it; the final snapshot is what keeps the data.
            .deletionProtection(false)
            .copyTagsToSnapshot(true)
            .tags(tags())))
        .onSuccess(r -> progress.created("database " + id + " (" + cfg.dbInstanceClass() + ", PostgreSQL "
            + cfg.dbEngineVersion() + ", " + (cfg.dbMultiAz() ? "Multi-AZ" : "single-AZ") + ", "
            + cfg.dbAllocatedStorageGb() + " GiB gp3, encrypted)"))
        .mapEmpty();
  }

  /** Settings deploy.json asks for that the existing instance does not have. */
  private static List<String> differences(DeployConfig cfg, DBInstance db) {
    List<String> out = new ArrayList<>();
    if (!cfg.dbInstanceClass().equals(db.dbInstanceClass())) {
      out.add("its class is " + db.dbInstanceClass() + ", deploy.json says " + cfg.dbInstanceClass());
    }
    if (db.multiAZ() != null && cfg.dbMultiAz() != db.multiAZ()) {
      out.add("it is " + (db.multiAZ() ? "" : "not ") + "Multi-AZ, deploy.json says dbMultiAz " + cfg.dbMultiAz());
    }
    if (db.allocatedStorage() != null && db.allocatedStorage() < cfg.dbAllocatedStorageGb()) {
      out.add("it has " + db.allocatedStorage() + " GiB, deploy.json says " + cfg.dbAllocatedStorageGb());
    }
    return out;
  }

  /**
   * Polls until RDS calls the instance available and gives its address, printing each state it
   * passes through; starts it if it is stopped. A real RDS takes 10 to 30 minutes to create one.
   */
  private Future<DBInstance> awaitAvailable(Deadline deadline) {
    return pollAvailable(deadline, new Watch());
  }

  private Future<DBInstance> pollAvailable(Deadline deadline, Watch watch) {
    return find().compose(db -> {
      if (db == null) {
        return Future.failedFuture(new IllegalStateException("database " + names.database()
            + " disappeared while up waited for it (did a deploy down run?)"));
      }
      String state = db.dbInstanceStatus();
      if ("available".equals(state) && db.endpoint() != null && db.endpoint().address() != null) {
        if (watch.waited()) {
          watch.report(state, deadline);
        }
        return Future.succeededFuture(db);
      }
      if (!watch.waited()) {
        progress.say("waiting for database " + names.database() + " to be available (RDS takes 10 to 30 minutes to "
            + "create one; --no-wait does not skip this: the balancers' config names its address)");
      }
      if (STUCK.contains(state)) {
        return Future.failedFuture(new IllegalStateException("database " + names.database() + " is " + state
            + ", which RDS does not leave by itself; see its events in the RDS console, then run deploy up again "
            + "(or deploy down)"));
      }
      Future<Void> next = Future.succeededFuture();
      if ("stopped".equals(state) && !watch.started) {
        watch.started = true;
        next = aws.call(aws.rds.startDBInstance(b -> b.dbInstanceIdentifier(names.database())))
            .onSuccess(r -> progress.changed("started database " + names.database() + " (it was stopped)"))
            .mapEmpty();
      }
      watch.report(state, deadline);
      if (deadline.passed()) {
        return Future.failedFuture(new IllegalStateException("database " + names.database() + " is still " + state
            + " after " + deadline.elapsedSeconds() + " s; run deploy up again to go on waiting"));
      }
      return next.compose(v -> deadline.sleep()).compose(v -> pollAvailable(deadline, watch));
    });
  }

  // ---- down

  /**
   * Deletes the instance (a final snapshot named {@code swell-<cluster>-final-<UTC time>} first
   * when {@code finalSnapshot}), waits until RDS has removed it, then deletes the subnet group.
   * An instance of this name that is not this cluster's is left, with the subnet group it uses.
   */
  Future<Void> delete(boolean finalSnapshot, Deadline deadline) {
    String id = names.database();
    return find().compose(db -> {
      if (db != null && !ours(db)) {
        progress.exists("RDS instance " + id + " kept: its " + Ec2Fleet.TAG_CLUSTER + " tag is " + owner(db)
            + ", so cluster " + names.cluster() + " did not create it");
        return Future.succeededFuture();
      }
      Future<Void> gone = Future.succeededFuture();
      if (db != null) {
        String snapshot = finalSnapshot ? names.finalSnapshotPrefix()
            + ZonedDateTime.now(ZoneOffset.UTC).format(SNAPSHOT_TIME) : null;
        gone = ("deleting".equals(db.dbInstanceStatus()) ? Future.<Void>succeededFuture()
            : requestDeletion(snapshot, deadline))
            .compose(v -> awaitGone(deadline, new Watch()));
      }
      return gone.compose(v -> deleteSubnetGroup(deadline));
    });
  }

  /** DeleteDBInstance, again while RDS says the instance cannot be deleted (or snapshotted) yet. */
  private Future<Void> requestDeletion(String snapshot, Deadline deadline) {
    String id = names.database();
    return aws.call(aws.rds.deleteDBInstance(b -> {
          b.dbInstanceIdentifier(id).deleteAutomatedBackups(true).skipFinalSnapshot(snapshot == null);
          if (snapshot != null) {
            b.finalDBSnapshotIdentifier(snapshot);
          }
        }))
        .<Void>map(r -> {
          progress.deleted("database " + id + (snapshot == null ? " (no final snapshot: dbFinalSnapshot is false)"
              : " (final snapshot " + snapshot + " kept; aws rds delete-db-snapshot --db-snapshot-identifier "
                  + snapshot + " deletes it)"));
          return null;
        })
        .recover(e -> {
          Throwable cause = AwsErrors.unwrap(e);
          if (cause instanceof DbInstanceNotFoundException) {
            return Future.succeededFuture();
          }
          if (cause instanceof InvalidDbInstanceStateException && !deadline.passed()) {
            progress.say("  ... database " + id + " cannot be deleted yet (" + AwsErrors.message(cause) + "); trying "
                + "again (" + deadline.elapsedSeconds() + " s)");
            return deadline.sleep().compose(v -> requestDeletion(snapshot, deadline));
          }
          return Future.failedFuture(e);
        });
  }

  private Future<Void> awaitGone(Deadline deadline, Watch watch) {
    return find().compose(db -> {
      if (db == null) {
        watch.report("deleted", deadline);
        return Future.succeededFuture();
      }
      watch.report(db.dbInstanceStatus(), deadline);
      if (deadline.passed()) {
        return Future.failedFuture(new IllegalStateException("database " + names.database() + " is still "
            + db.dbInstanceStatus() + " after " + deadline.elapsedSeconds() + " s; run deploy down again"));
      }
      return deadline.sleep().compose(v -> awaitGone(deadline, watch));
    });
  }

  /** The subnet group, once no instance uses it: RDS frees it a little after the instance is gone. */
  private Future<Void> deleteSubnetGroup(Deadline deadline) {
    String name = names.database();
    return aws.call(aws.rds.deleteDBSubnetGroup(b -> b.dbSubnetGroupName(name)))
        .<Void>map(r -> {
          progress.deleted("DB subnet group " + name);
          return null;
        })
        .recover(e -> {
          Throwable cause = AwsErrors.unwrap(e);
          if (cause instanceof DbSubnetGroupNotFoundException) {
            return Future.succeededFuture();
          }
          if (cause instanceof InvalidDbSubnetGroupStateException && !deadline.passed()) {
            return deadline.sleep("waiting for RDS to release DB subnet group " + name)
                .compose(v -> deleteSubnetGroup(deadline));
          }
          return Future.failedFuture(e);
        });
  }

  // ---- status

  /** The instance, or {@code null} when there is none. */
  Future<DBInstance> find() {
    return aws.call(aws.rds.describeDBInstances(b -> b.dbInstanceIdentifier(names.database())))
        .map(r -> r.dbInstances().isEmpty() ? null : r.dbInstances().get(0))
        .recover(e -> AwsErrors.unwrap(e) instanceof DbInstanceNotFoundException
            ? Future.succeededFuture(null) : Future.failedFuture(e));
  }

  /** The subnet group, or {@code null} when there is none. */
  Future<DBSubnetGroup> subnetGroup() {
    return aws.call(aws.rds.describeDBSubnetGroups(b -> b.dbSubnetGroupName(names.database())))
        .map(r -> r.dbSubnetGroups().isEmpty() ? null : r.dbSubnetGroups().get(0))
        .recover(e -> AwsErrors.unwrap(e) instanceof DbSubnetGroupNotFoundException
            ? Future.succeededFuture(null) : Future.failedFuture(e));
  }

  /** The database and its subnet group, a line each, for {@code status}; none when there are none. */
  Future<List<String>> statusLines() {
    return Future.all(find(), subnetGroup()).map(all -> {
      List<String> lines = new ArrayList<>();
      DBInstance db = all.resultAt(0);
      DBSubnetGroup group = all.resultAt(1);
      if (db != null) {
        lines.add(names.database() + ": " + describe(db));
      }
      if (group != null) {
        lines.add("subnet group " + group.dbSubnetGroupName() + " (" + zones(group) + ")");
      }
      return lines;
    });
  }

  /**
   * The final snapshots earlier {@code down}s kept, one line each: they are billed until deleted,
   * so {@code status} shows them even when nothing else is left.
   */
  Future<List<String>> finalSnapshots() {
    return aws.call(aws.rds.describeDBSnapshots(b -> b.dbInstanceIdentifier(names.database()).snapshotType("manual")))
        .map(r -> r.dbSnapshots().stream()
            .filter(s -> s.dbSnapshotIdentifier().startsWith(names.finalSnapshotPrefix()))
            .map(Database::describe).toList());
  }

  /** One line: {@code available, db.t4g.micro, PostgreSQL 16.11, Multi-AZ, 20 GiB gp3, encrypted, host:5432}. */
  static String describe(DBInstance db) {
    return db.dbInstanceStatus() + ", " + db.dbInstanceClass() + ", PostgreSQL " + db.engineVersion() + ", "
        + (Boolean.TRUE.equals(db.multiAZ()) ? "Multi-AZ" : "single-AZ") + ", " + db.allocatedStorage() + " GiB "
        + db.storageType() + (Boolean.TRUE.equals(db.storageEncrypted()) ? ", encrypted" : ", NOT encrypted")
        + (db.endpoint() == null || db.endpoint().address() == null ? ", no address yet"
            : ", " + db.endpoint().address() + ":" + db.endpoint().port());
  }

  private static String describe(DBSnapshot s) {
    return s.dbSnapshotIdentifier() + " (" + s.status() + ", " + s.allocatedStorage() + " GiB, taken "
        + s.snapshotCreateTime() + ")";
  }

  private static String zones(DBSubnetGroup group) {
    return String.join(", ", group.subnets().stream()
        .map(s -> s.subnetIdentifier() + " in " + s.subnetAvailabilityZone().name()).toList());
  }

  private boolean ours(DBInstance db) {
    return db.tagList().stream().anyMatch(t -> Ec2Fleet.TAG_CLUSTER.equals(t.key())
        && names.cluster().equals(t.value()));
  }

  private static String owner(DBInstance db) {
    return db.tagList().stream().filter(t -> Ec2Fleet.TAG_CLUSTER.equals(t.key())).map(t -> "\"" + t.value() + "\"")
        .findFirst().orElse("missing");
  }

  private List<Tag> tags() {
    return List.of(Tag.builder().key(Ec2Fleet.TAG_CLUSTER).value(names.cluster()).build(),
        Tag.builder().key("Name").value(names.database()).build());
  }

  /** What a wait last printed: a line when RDS reports a new state, and one a minute while it does not. */
  private final class Watch {
    private String last = "";
    private long lastSaidAt;
    private boolean started;

    boolean waited() {
      return !last.isEmpty();
    }

    void report(String state, Deadline deadline) {
      long now = deadline.elapsedSeconds();
      if (!state.equals(last) || now - lastSaidAt >= QUIET_LINE_SECONDS) {
        progress.say("  [" + now + " s] database " + names.database() + ": " + state);
        last = state;
        lastSaidAt = now;
      }
    }
  }
}
