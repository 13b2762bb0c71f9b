# Sourced by scripts/image-*.sh: the image's name and the podman options this machine
# needs. Not meant to be run.
#
# Environment: RAFTVEC_IMAGE (default raftvec:0.1.0, the name k8s/ uses),
# RAFTVEC_BASE_IMAGE (default node:20-bookworm-slim), RAFTVEC_PODMAN_RUNTIME (an OCI
# runtime for podman's --runtime; default: chosen below).

# shellcheck disable=SC2034 # used by the scripts that source this file
IMAGE=${RAFTVEC_IMAGE:-raftvec:0.1.0}
# shellcheck disable=SC2034
BASE_IMAGE=${RAFTVEC_BASE_IMAGE:-node:20-bookworm-slim}

# Options for every `podman` command (before the subcommand), and for `run`/`build`.
PODMAN_GLOBAL=()
PODMAN_LIMITS=()

# crun, podman's default runtime on Debian, refuses a "hybrid" cgroup layout (cgroup v1
# controllers plus a cgroup2 mount at /sys/fs/cgroup/unified): "crun: cgroups in hybrid
# mode not supported, drop all controllers from cgroupv2". runc (apt-get install runc)
# handles it.
if [ -n "${RAFTVEC_PODMAN_RUNTIME:-}" ]; then
  PODMAN_GLOBAL+=(--runtime "$RAFTVEC_PODMAN_RUNTIME")
elif [ -d /sys/fs/cgroup/unified ] && [ "$(stat -fc %T /sys/fs/cgroup)" = tmpfs ]; then
  command -v runc >/dev/null || {
    echo "image: this machine mounts cgroups in hybrid mode, which crun does not support: apt-get install -y runc" >&2
    exit 1
  }
  PODMAN_GLOBAL+=(--runtime runc)
fi

# Without CAP_SYS_RESOURCE (a sandboxed root) no process may raise its hard rlimits,
# yet podman asks the runtime for nofile=1048576 and a large nproc by default:
# "setrlimit `RLIMIT_NOFILE`: Operation not permitted". Ask for what we have instead
# (nproc: podman lowers its own limit to pid_max, so no more than that).
cap_eff=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
if [ -n "$cap_eff" ] && [ $((0x$cap_eff >> 24 & 1)) -eq 0 ]; then
  nproc_max=$(ulimit -Hu)
  pid_max=$(cat /proc/sys/kernel/pid_max)
  { [ "$nproc_max" = unlimited ] || [ "$nproc_max" -gt "$pid_max" ]; } && nproc_max=$pid_max
  nofile_max=$(ulimit -Hn)
  PODMAN_LIMITS+=(--ulimit "nofile=$nofile_max:$nofile_max" --ulimit "nproc=$nproc_max:$nproc_max")
fi

# podman 4.3 says "failed to connect to syslog: Initialization" on machines without a
# syslog socket (its own log hook; nothing is lost): that line is left out.
pm() { podman "${PODMAN_GLOBAL[@]}" "$@" 2> >(grep -v '^failed to connect to syslog' >&2); }
