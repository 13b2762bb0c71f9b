#!/usr/bin/env bash
# The reference scenario (README, "What the demo does") against three containers of
# the image raftvec:0.1.0 (scripts/image-build.sh), with the CLI run from the image too:
#
#   bash scripts/image-scenario.sh [--dns] [--keep]   # start the cluster, run the scenario
#   bash scripts/image-scenario.sh down               # remove what --keep left
#
# Three containers raftvec-n1..3 on the podman network raftvec-net. Peers by container
# name: --peers n1=raftvec-n1:7000,..., each node advertises its container name. Each
# has its own named volume (raftvec-nX-data) at /var/lib/raftvec, and the cluster secret
# as a read-only file (a directory mounted at /run/secrets/raftvec, as a Kubernetes
# Secret volume is). They run as the image's user raftvec (10001) with a read-only root
# filesystem, no capabilities and no-new-privileges, as the StatefulSet runs them. The
# CLI runs in one more container of the image on the same network (raftvec-client), so
# the leader hints (container names) resolve there too.
#
# Container names resolve through /etc/hosts entries (--add-host, fixed IPs) by default.
# With --dns they resolve through podman's DNS server (aardvark-dns) instead, as a
# Kubernetes headless Service resolves pod names, and a restarted container gets a new
# IP as a pod does; but Debian bookworm's aardvark-dns 1.4 stops answering for up to a
# minute around a container's stop or start (docs/image.md, "Name resolution"), which
# this mode then measures rather than raftvec.
#
# Steps: create a collection; upsert vec1 under write concern majority; search; kill -9
# (podman kill -s KILL) the leader's container; a new leader; read vec1 back and search
# again; write vec2 on the two survivors; restart the killed container on its volume and
# watch it catch up; status of all three.
#
# Environment: RAFTVEC_IMAGE (default raftvec:0.1.0); RAFTVEC_SCENARIO_SUBNET_PREFIX
# (default 10.89.77: the network is 10.89.77.0/24); RAFTVEC_SCENARIO_NODE_OPTS (more
# `podman run` options for the nodes, split on spaces, e.g. "-e GRPC_TRACE=dns_resolver
# -e GRPC_VERBOSITY=DEBUG"); RAFTVEC_SCENARIO_DIR (default /var/tmp/raftvec-image-scenario).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/image-common.sh

NET=raftvec-net
SUBNET_PREFIX=${RAFTVEC_SCENARIO_SUBNET_PREFIX:-10.89.77}
GATEWAY=$SUBNET_PREFIX.1
NODES=(n1 n2 n3)
PORT=7000
ctr() { echo "raftvec-$1"; }
STATE_DIR=${RAFTVEC_SCENARIO_DIR:-/var/tmp/raftvec-image-scenario}
ADDRS=$(for n in "${NODES[@]}"; do printf '%s:%s,' "$(ctr "$n")" "$PORT"; done)
ADDRS=${ADDRS%,}
PEERS=$(for n in "${NODES[@]}"; do printf '%s=%s:%s,' "$n" "$(ctr "$n")" "$PORT"; done)
PEERS=${PEERS%,}

say() { echo "$*"; }
step() { printf '\n[%s] %s\n' "$1" "$2"; }
die() {
  echo "image-scenario: $*" >&2
  exit 1
}

down() {
  pm rm -f -v -t 0 raftvec-client >/dev/null 2>&1 || true
  for n in "${NODES[@]}"; do
    pm rm -f -t 10 "$(ctr "$n")" >/dev/null 2>&1 || true
    pm volume rm -f "$(ctr "$n")-data" >/dev/null 2>&1 || true
  done
  pm network rm -f "$NET" >/dev/null 2>&1 || true
  rm -rf "$STATE_DIR"
}

HARDENING=(--read-only --cap-drop=ALL --security-opt no-new-privileges)
dns_mode=0
# How containers find each other by name (set in main, from --dns):
#   /etc/hosts: fixed IPs .11, .12, .13 (client .10) and --add-host for every node;
#   --dns: the network's aardvark-dns only (as a pod has only the cluster DNS: no
#   fallback to the host's server, which answers NXDOMAIN for container names), retried
#   every second (glibc waits 5 s by default).
NAME_OPTS=()
ip_opts() {
  [ $dns_mode -eq 1 ] || echo "--ip $SUBNET_PREFIX.$1"
}

# The CLI runs in one long-lived client container of the image (a container per
# command would join and leave the network each time).
start_client() {
  # shellcheck disable=SC2046
  pm run -d --name raftvec-client "${PODMAN_LIMITS[@]}" --network "$NET" $(ip_opts 10) "${NAME_OPTS[@]}" \
    "${HARDENING[@]}" -v "$STATE_DIR/points:/points:ro" \
    --entrypoint sleep "$IMAGE" infinity >/dev/null
}
# The addresses the CLI is given: all three, except while a node is down. A CLI process
# given the address of a killed container prints its answer within --timeout, but then
# stays until its TCP connect to that address gives up (~130 s: the SYNs go to a MAC
# that is gone, tcp_syn_retries=6), as `raftvec status` showed here.
CLI_ADDRS=$ADDRS
cli() { pm exec raftvec-client node /app/bin/raftvec.js --address "$CLI_ADDRS" --timeout 15000 "$@"; }

read -r -a NODE_OPTS <<<"${RAFTVEC_SCENARIO_NODE_OPTS:-}"
start_node() {
  local n=$1
  # shellcheck disable=SC2046
  pm run -d --name "$(ctr "$n")" --hostname "$(ctr "$n")" "${PODMAN_LIMITS[@]}" \
    --network "$NET" $(ip_opts "1${n#n}") "${NAME_OPTS[@]}" "${HARDENING[@]}" "${NODE_OPTS[@]}" \
    -v "$(ctr "$n")-data:/var/lib/raftvec" \
    -v "$STATE_DIR/secret:/run/secrets/raftvec:ro" \
    "$IMAGE" \
    --data /var/lib/raftvec --listen "0.0.0.0:$PORT" \
    --id "$n" --peers "$PEERS" --advertise "$(ctr "$n"):$PORT" \
    --cluster-secret-file /run/secrets/raftvec/cluster-secret >/dev/null
}

ip_of() { pm inspect --format "{{(index .NetworkSettings.Networks \"$NET\").IPAddress}}" "$(ctr "$1")"; }

# status --json of every node, one line per node: id role term commit applied health
# address (status exits non-zero while a node is unreachable: its line has "-"s).
status_lines() {
  { cli status --json 2>/dev/null || true; } | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      for (const n of JSON.parse(s).nodes)
        console.log([n.id ?? "-", n.role ?? "-", n.term ?? "-", n.commitIndex ?? "-",
          n.appliedIndex ?? "-", n.health ?? "-", n.address].join(" "));
    });'
}

# Waits for a leader among the reachable nodes; prints "id address term".
wait_leader() {
  local deadline=$((SECONDS + $1)) line
  while [ $SECONDS -lt $deadline ]; do
    line=$(status_lines | awk '$2 == "leader" && $6 == "SERVING" {print $1, $7, $3; exit}')
    if [ -n "$line" ]; then
      echo "$line"
      return 0
    fi
    sleep 0.5
  done
  return 1
}

keep=0
for arg in "$@"; do
  case "$arg" in
    down)
      down
      say "removed the scenario's containers, volumes and network"
      exit 0
      ;;
    --keep) keep=1 ;;
    --dns) dns_mode=1 ;;
    *) die "usage: bash scripts/image-scenario.sh [--dns] [--keep] | down" ;;
  esac
done
if [ $dns_mode -eq 1 ]; then
  NAME_OPTS=(--dns "$GATEWAY" --dns-option timeout:1 --dns-option attempts:5)
  names="podman's DNS server (aardvark-dns) at $GATEWAY"
else
  for n in "${NODES[@]}"; do NAME_OPTS+=(--add-host "$(ctr "$n"):$SUBNET_PREFIX.1${n#n}"); done
  names="/etc/hosts (--add-host)"
fi

command -v podman >/dev/null || die "podman is missing: apt-get install -y podman"
pm image exists "$IMAGE" || die "$IMAGE is not built: bash scripts/image-build.sh"
command -v node >/dev/null || die "node is needed on this machine to read the CLI's JSON"

down
mkdir -p "$STATE_DIR/secret" "$STATE_DIR/points"
echo '{"id":"vec1","values":[0.1,0.2,0.3],"metadata":{"source":"docA"}}' >"$STATE_DIR/points/vec1.jsonl"
echo '{"id":"vec2","values":[0.9,0.1,0.0],"metadata":{"source":"docB"}}' >"$STATE_DIR/points/vec2.jsonl"
chmod 0755 "$STATE_DIR/points"
chmod 0644 "$STATE_DIR/points"/*.jsonl
# The cluster secret: one random line, readable by the image's user only.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$STATE_DIR/secret/cluster-secret"
chown -R 10001:10001 "$STATE_DIR/secret"
chmod 0500 "$STATE_DIR/secret"
chmod 0400 "$STATE_DIR/secret/cluster-secret"
[ $keep -eq 1 ] || trap down EXIT

started=$SECONDS
step 0 "starting three containers of $IMAGE on the podman network $NET"
if [ $dns_mode -eq 1 ]; then
  pm network create --subnet "$SUBNET_PREFIX.0/24" --gateway "$GATEWAY" "$NET" >/dev/null
else
  pm network create --subnet "$SUBNET_PREFIX.0/24" --gateway "$GATEWAY" --disable-dns "$NET" >/dev/null
fi
for n in "${NODES[@]}"; do
  pm volume create "$(ctr "$n")-data" >/dev/null
  start_node "$n"
  say "    $(ctr "$n"): serve --id $n --advertise $(ctr "$n"):$PORT, volume $(ctr "$n")-data, uid $(pm exec "$(ctr "$n")" id -u), IP $(ip_of "$n")"
done
say "    peers: $PEERS (names resolved by $names)"
start_client
say "    the CLI runs in raftvec-client: raftvec --address $ADDRS"
leader=$(wait_leader 120) || die "no leader within 120 s; logs: $(for n in "${NODES[@]}"; do pm logs --tail 5 "$(ctr "$n")" 2>&1; done)"
read -r leader_id leader_addr leader_term <<<"$leader"
say "    leader: $leader_id at $leader_addr (term $leader_term), $((SECONDS - started)) s after the first start"

step 1 'create collection docs (dimension 3); insert vec1 under write concern "majority"'
cli create-collection docs --dim 3 --metric l2 --write-concern majority
cli upsert docs --file /points/vec1.jsonl --write-concern majority 2>/dev/null

step 2 'search for [0.1, 0.2, 0.3]'
cli search docs --vector '[0.1,0.2,0.3]' -k 1

step 3 "kill -9 the leader's container $(ctr "$leader_id")"
old_ip=$(ip_of "$leader_id")
killed_at=$(date +%s%N)
pm kill --signal KILL "$(ctr "$leader_id")" >/dev/null
CLI_ADDRS=$(tr ',' '\n' <<<"$ADDRS" | grep -v "^$(ctr "$leader_id"):" | paste -sd,)
say "    $(ctr "$leader_id"): $(pm inspect --format '{{.State.Status}} (exit code {{.State.ExitCode}})' "$(ctr "$leader_id")")"
new=$(wait_leader 120) || die "no new leader within 120 s after the kill"
read -r new_id new_addr new_term <<<"$new"
say "    new leader: $new_id at $new_addr (term $new_term), seen $((($(date +%s%N) - killed_at) / 1000000)) ms after the kill (polling status every 0.5 s)"
say "    (the CLI now gets the survivors' addresses: $CLI_ADDRS)"

step 4 'read vec1 back from the new leader, and search again'
got=$(cli get docs vec1)
say "$got"
again=$(cli search docs --vector '[0.1,0.2,0.3]' -k 1)
say "$again"
[[ "$got" == *'"docA"'* && "$again" == *vec1* ]] || die "vec1 or its metadata is missing after the failover"

step 5 'write vec2 through the new leader (two of three nodes up)'
second=$(cli upsert docs --file /points/vec2.jsonl --write-concern majority 2>/dev/null)
say "$second"
commit=$(node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).logIndex' <<<"$second")
say "    count: $(cli count docs | tr -d ' \n')"

step 6 "restart $(ctr "$leader_id") on its volume"
restarted_at=$SECONDS
pm start "$(ctr "$leader_id")" >/dev/null
CLI_ADDRS=$ADDRS
say "    $(ctr "$leader_id") is back, at IP $(ip_of "$leader_id") (was $old_ip)"
deadline=$((SECONDS + 120))
until status_lines | awk -v id="$leader_id" -v c="$commit" '$1 == id && $5 >= c && $6 == "SERVING" {ok = 1} END {exit !ok}'; do
  [ $SECONDS -lt $deadline ] || die "$(ctr "$leader_id") did not catch up within 120 s"
  sleep 0.5
done
say "    $leader_id rejoined and applied everything up to log index $commit, $((SECONDS - restarted_at)) s after the restart"

step 7 'cluster status'
cli status | sed 's/^/    /'

say ""
say "scenario passed in $((SECONDS - started)) s"
if [ $keep -eq 1 ]; then
  say "The cluster keeps running. Try:"
  say "    podman exec raftvec-client node /app/bin/raftvec.js --address $ADDRS status"
  say "    (podman needs ${PODMAN_GLOBAL[*]} ${PODMAN_LIMITS[*]} on this machine: see scripts/image-common.sh)"
  say "Remove it with: bash scripts/image-scenario.sh down"
fi
