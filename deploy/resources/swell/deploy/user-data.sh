#!/bin/bash
# Boots one Swell instance: installs Java (with retries: package mirrors fail at random on boot),
# fetches the jar, the role's config and the cluster token from S3 with the instance role, and
# runs the role under systemd. Rendered by swell.fleet.UserData; the upper-case words in double braces are its placeholders.
# A failed boot leaves /var/lib/swell/BOOT_FAILED and a "SWELL_BOOT_FAILED:" line on the console
# (EC2 console output), so nobody has to guess why an instance never answered.
set -uo pipefail

ROLE='{{ROLE}}'
REGION='{{REGION}}'
BUCKET='{{BUCKET}}'
JAR_KEY='{{JAR_KEY}}'
CONFIG_KEY='{{CONFIG_KEY}}'
TOKEN_KEY='{{TOKEN_KEY}}'
JAVA_PACKAGE='{{JAVA_PACKAGE}}'
JAVA_OPTS='{{JAVA_OPTS}}'
# The balancer's EBS volume for $STATE/data; empty: the data stays on the root volume.
DATA_VOLUME='{{DATA_VOLUME}}'
# A balancer on RDS: the bucket object with the database password, and the URL of the CA bundle
# the database's certificate chains to; both empty for every other instance.
STORE_PASSWORD_KEY='{{STORE_PASSWORD_KEY}}'
STORE_CA_URL='{{STORE_CA_URL}}'
# The CloudWatch Logs group this boot log and the role's log go to, one stream per instance; empty:
# no agent, and the role logs to the journal.
LOG_GROUP='{{LOG_GROUP}}'

STATE=/var/lib/swell
mkdir -p "$STATE/data" /opt/swell /etc/swell
exec > >(tee -a /var/log/swell-boot.log) 2>&1
echo "swell boot: role $ROLE, bucket $BUCKET"

fail() {
  echo "SWELL_BOOT_FAILED: $*" | tee "$STATE/BOOT_FAILED" > /dev/console
  # A failed boot's log is the one most worth reading: ship it if the agent can still be had.
  [ -n "$LOG_GROUP" ] && start_log_agent 3
  exit 1
}

# retry TRIES COMMAND...: waits 5 s, 10 s, 15 s ... between tries.
retry() {
  local tries=$1 n=1
  shift
  until "$@"; do
    [ "$n" -ge "$tries" ] && return 1
    echo "swell boot: '$*' failed (try $n of $tries), trying again" >&2
    sleep $((n * 5))
    n=$((n + 1))
  done
}

# The CloudWatch agent (amazon-cloudwatch-agent from dnf, with retries like Java) tails the boot log
# and the role's log from their first line into the cluster's log group, both in the stream named
# after this instance; the instance role may write to that group alone. Logs are not the queue: an
# agent that cannot be installed leaves a warning, not a failed boot.
SWELL_LOG=/var/log/swell/swell.log
CW_AGENT=/opt/aws/amazon-cloudwatch-agent
start_log_agent() {
  retry "$1" dnf install -y amazon-cloudwatch-agent || return 1
  cat > "$CW_AGENT/etc/amazon-cloudwatch-agent.json" <<AGENT
{
  "logs": {
    "force_flush_interval": 5,
    "logs_collected": {
      "files": {
        "collect_list": [
          {"file_path": "$SWELL_LOG", "log_group_name": "$LOG_GROUP", "log_stream_name": "{instance_id}", "timezone": "UTC"},
          {"file_path": "/var/log/swell-boot.log", "log_group_name": "$LOG_GROUP", "log_stream_name": "{instance_id}", "timezone": "UTC"}
        ]
      }
    }
  }
}
AGENT
  "$CW_AGENT/bin/amazon-cloudwatch-agent-ctl" -a fetch-config -m ec2 -s -c "file:$CW_AGENT/etc/amazon-cloudwatch-agent.json"
}

IMDS=http://169.254.169.254/latest
imds_token() {
  curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 21600' "$IMDS/api/token"
}
IMDS_TOKEN=$(retry 10 imds_token) || fail "instance metadata service did not answer"
imds() {
  curl -sf -H "X-aws-ec2-metadata-token: $IMDS_TOKEN" "$IMDS/$1"
}
INSTANCE_ID=$(retry 5 imds meta-data/instance-id) || fail "no instance id from instance metadata"
PRIVATE_IP=$(retry 5 imds meta-data/local-ipv4) || fail "no private address from instance metadata"
[ -n "$REGION" ] || REGION=$(retry 5 imds meta-data/placement/region) || fail "no region from instance metadata"

# Java first: everything after depends on it, and it is what failed at random before.
retry 10 dnf install -y "$JAVA_PACKAGE" || fail "could not install $JAVA_PACKAGE after 10 tries"
java -version || fail "$JAVA_PACKAGE installed but java does not run"

# S3 with the instance role's temporary credentials, signed by curl itself (SigV4): no AWS CLI.
role_credentials() {
  local role
  role=$(imds meta-data/iam/security-credentials/) || return 1
  imds "meta-data/iam/security-credentials/$role" > "$STATE/credentials.json" || return 1
  chmod 600 "$STATE/credentials.json"
}
credential() {
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$STATE/credentials.json" "$1"
}
s3_get() {
  role_credentials || return 1
  curl -sfS --aws-sigv4 "aws:amz:$REGION:s3" \
    --user "$(credential AccessKeyId):$(credential SecretAccessKey)" \
    -H "x-amz-security-token: $(credential Token)" \
    -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
    -o "$2" "https://$BUCKET.s3.$REGION.amazonaws.com/$1"
}
retry 10 s3_get "$JAR_KEY" /opt/swell/swell.jar || fail "could not fetch s3://$BUCKET/$JAR_KEY"
retry 10 s3_get "$CONFIG_KEY" /etc/swell/swell.json || fail "could not fetch s3://$BUCKET/$CONFIG_KEY"
retry 10 s3_get "$TOKEN_KEY" "$STATE/token" || fail "could not fetch s3://$BUCKET/$TOKEN_KEY"
# The database password, like the token, reaches only the service's environment file below:
# never user-data, which anyone allowed to describe instances can read.
if [ -n "$STORE_PASSWORD_KEY" ]; then
  (umask 077 && retry 10 s3_get "$STORE_PASSWORD_KEY" "$STATE/store-password") \
    || fail "could not fetch s3://$BUCKET/$STORE_PASSWORD_KEY"
fi
rm -f "$STATE/credentials.json"
# RDS refuses unencrypted clients, and its CA is in no JVM's trust store: the balancer verifies the
# database against this bundle (store.sslRootCert).
if [ -n "$STORE_CA_URL" ]; then
  retry 10 curl -sfS -o /etc/swell/store-ca.pem "$STORE_CA_URL" || fail "could not fetch $STORE_CA_URL"
fi

# The balancer's queue lives on its own volume, which outlives the instance. Nitro instances show
# it as an NVMe device named after the volume id; Xen ones under the attach name. A filesystem is
# made only where blkid finds none at all (a new volume): on any other volume it holds the queue,
# and a probe that fails for another reason stops the boot. fstab mounts it by UUID at every boot
# (nofail: the instance still boots without it; the service below does not start on the bare
# directory).
data_device() {
  local d
  for d in "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${DATA_VOLUME/-/}" /dev/xvdf /dev/sdf; do
    [ -b "$d" ] && readlink -f "$d" && return 0
  done
  return 1
}
# up attaches the volume right after the instance runs; 10 minutes is ample.
wait_for_data_device() {
  local n
  for n in $(seq 1 120); do
    data_device && return 0
    sleep 5
  done
  return 1
}
mount_data_volume() {
  local dev uuid
  dev=$(wait_for_data_device) || return 1
  blkid -p "$dev" > /dev/null
  case $? in
    0) ;;
    2) echo "swell boot: $DATA_VOLUME ($dev) has no filesystem: making one"
       mkfs.xfs -q "$dev" || return 1 ;;
    *) return 1 ;;
  esac
  uuid=$(blkid -p -s UUID -o value "$dev") && [ -n "$uuid" ] || return 1
  grep -q "^UUID=$uuid " /etc/fstab || echo "UUID=$uuid $STATE/data xfs defaults,nofail 0 2" >> /etc/fstab
  mountpoint -q "$STATE/data" || mount "$STATE/data"
}
DATA_MOUNT=""
if [ -n "$DATA_VOLUME" ]; then
  mount_data_volume || fail "data volume $DATA_VOLUME did not appear or could not be mounted on $STATE/data"
  DATA_MOUNT="RequiresMountsFor=$STATE/data"
  echo "swell boot: $DATA_VOLUME mounted on $STATE/data"
fi

# The role's environment: SWELL_<KEY> variables override keys of the config file.
umask 077
{
  cat <<'SWELL_ENV'
{{ENVIRONMENT}}
SWELL_ENV
  echo "SWELL_CLUSTER_TOKEN=$(cat "$STATE/token")"
  echo "SWELL_INSTANCE_ID=$INSTANCE_ID"
  [ -n "$STORE_PASSWORD_KEY" ] && echo "SWELL_STORE_PASSWORD=$(cat "$STATE/store-password")"
  echo "JAVA_OPTS=$JAVA_OPTS"
  # Workers reach the balancer at its private address; it tells the EC2 fleet so, and the other
  # balancers of its cluster, which name it to every worker (it listens on 0.0.0.0, which they cannot).
  [ "$ROLE" = balancer ] && echo "SWELL_FLEET_EC2_BALANCER_URL=http://$PRIVATE_IP:5000"
  [ "$ROLE" = balancer ] && echo "SWELL_ADVERTISED_URL=http://$PRIVATE_IP:5000"
} > /etc/swell/env
rm -f "$STATE/token" "$STATE/store-password"
umask 022

id swell > /dev/null 2>&1 || useradd --system --home-dir "$STATE" --shell /sbin/nologin swell
chown -R swell:swell "$STATE"
chown root:swell /etc/swell/env /etc/swell/swell.json
chmod 640 /etc/swell/env /etc/swell/swell.json

# With a log group the role writes its log to a file the agent tails (it cannot read the journal),
# rotated by size; at shutdown systemd stops the role before the agent, which sends what it holds.
LOG_OUTPUT=""
if [ -n "$LOG_GROUP" ]; then
  mkdir -p /var/log/swell
  LOG_OUTPUT="StandardOutput=append:$SWELL_LOG
StandardError=append:$SWELL_LOG"
  printf '%s {\n  size 100M\n  rotate 2\n  copytruncate\n  missingok\n}\n' "$SWELL_LOG" > /etc/logrotate.d/swell
fi
# Waits until the agent has sent both logs to their last byte (its state file per log holds the offset
# CloudWatch acknowledged), at most 60 s: a retired worker's last lines must leave before it powers off.
cat > /usr/local/sbin/swell-logs-sent <<'FLUSH'
#!/bin/sh
systemctl is-active -q amazon-cloudwatch-agent || exit 0
for n in $(seq 1 60); do
  pending=0
  for f in /var/log/swell/swell.log /var/log/swell-boot.log; do
    size=$(stat -c %s "$f" 2>/dev/null || echo 0)
    sent=$(head -n 1 "/opt/aws/amazon-cloudwatch-agent/logs/state/$(echo "$f" | tr / _)" 2>/dev/null)
    [ "${sent:-0}" -ge "$size" ] || pending=1
  done
  [ "$pending" = 0 ] && exit 0
  sleep 1
done
echo "swell: the CloudWatch agent had not sent every log line after 60 s" >&2
FLUSH
chmod 755 /usr/local/sbin/swell-logs-sent

# A worker that exits cleanly was told to retire: it waits for its logs to be sent, then powers off,
# and the instance terminates (launched with InstanceInitiatedShutdownBehavior=terminate). Any other
# exit restarts it. The '+' runs that one command as root: the service itself runs as the
# unprivileged swell user.
WORKER_EXIT=""
if [ "$ROLE" = worker ]; then
  WORKER_EXIT='RestartPreventExitStatus=0
ExecStopPost=+/bin/sh -c '"'"'[ "$$EXIT_STATUS" = 0 ] && [ "$$SERVICE_RESULT" = success ] && { /usr/local/sbin/swell-logs-sent; systemctl poweroff; } || true'"'"''
fi

cat > /etc/systemd/system/swell.service <<UNIT
[Unit]
Description=Swell $ROLE
Wants=network-online.target
After=network-online.target amazon-cloudwatch-agent.service
$DATA_MOUNT

[Service]
User=swell
WorkingDirectory=$STATE
EnvironmentFile=/etc/swell/env
ExecStart=/usr/bin/java \$JAVA_OPTS -jar /opt/swell/swell.jar -conf /etc/swell/swell.json
Restart=always
RestartSec=3
LimitNOFILE=65536
$LOG_OUTPUT
$WORKER_EXIT

[Install]
WantedBy=multi-user.target
UNIT

systemctl daemon-reload
systemctl enable --now swell.service || fail "systemd could not start swell.service"
echo "swell boot: $ROLE started"
# After the role: a worker serves sooner, and the agent reads both logs from their first line anyway.
if [ -n "$LOG_GROUP" ]; then
  if start_log_agent 10; then
    echo "swell boot: logs go to CloudWatch Logs group $LOG_GROUP, stream $INSTANCE_ID"
  else
    echo "SWELL_BOOT_WARNING: could not install the CloudWatch agent; logs stay on the instance" | tee /dev/console
  fi
fi
