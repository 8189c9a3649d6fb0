# shellcheck shell=bash
# shellcheck disable=SC2154  # HOLDFAST and the like come from the script
# tools/bench-lib.sh: what the benchmark scripts (tools/bench.sh,
# tools/bench-failover.sh) share: a scratch folder, the processes they start
# and end, free loopback ports, holdfast started on a config and its API,
# the checks before a run and its last lines.  Sourced, not run, from the
# top of the tree, under `set -u`.
#
# The script sets before sourcing:
#   BENCH_NAME     prefix of every message ("bench"); the scratch folder is
#                  hf-$BENCH_NAME.XXXXXX
#   CLEANUP_STEPS  how many 50 ms steps cleanup waits for its processes to
#                  end after TERM before it kills them
#   KILL_AFTER     timeout -k: seconds from a timeout's TERM to its KILL
#   HOLDFAST, RELAY_TIMEOUT  the relay binary and the bound on its run
# Sourcing exports GST_DEBUG (HF_BENCH_GST_DEBUG, default hf-*:3), sets
# FAILED=0, PIDS=() and WORK (a new folder), and traps EXIT (cleanup, WORK
# removed; the script may trap EXIT again) and INT/TERM (exit 130).

export GST_DEBUG=${HF_BENCH_GST_DEBUG:-hf-*:3}
export GST_DEBUG_NO_COLOR=1

FAILED=0
PIDS=()
USED_PORTS=" "
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hf-$BENCH_NAME.XXXXXX") || exit 1

# ---- processes ---------------------------------------------------------------

# cleanup: ends every process started so far (timeout passes TERM on to its
# command), then kills what is left.
cleanup () {
  local p alive
  [ ${#PIDS[@]} -gt 0 ] || return 0
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for _ in $(seq 1 "$CLEANUP_STEPS"); do
    alive=0
    for p in "${PIDS[@]}"; do
      kill -0 "$p" 2>/dev/null && { alive=1; break; }
    done
    [ $alive = 0 ] && break
    sleep 0.05
  done
  for p in "${PIDS[@]}"; do
    if kill -0 "$p" 2>/dev/null; then
      pkill -9 -P "$p" 2>/dev/null
      kill -9 "$p" 2>/dev/null
    fi
  done
  wait 2>/dev/null
  PIDS=()
}
trap 'cleanup; rm -rf "$WORK"' EXIT
trap 'echo "$BENCH_NAME: interrupted" >&2; exit 130' INT TERM

# bg LOG SECONDS CMD...: runs CMD in the background under timeout; its pid
# (of timeout) in BG_PID.
bg () {
  local log=$1 secs=$2; shift 2
  timeout -k "$KILL_AFTER" "$secs" "$@" > "$log" 2>&1 &
  BG_PID=$!
  PIDS+=("$BG_PID")
}

fail () {
  echo "$BENCH_NAME: FAILED: $*" >&2
  FAILED=1
}

# ---- ports -------------------------------------------------------------------

# Ports are picked below the ephemeral range (SRT callers bind there), as in
# tests/e2e.

# port_in_use PORT: true if a UDP or TCP socket has it.
port_in_use () {
  ss -Haun "sport = :$1" | grep -q . || ss -Hatn "sport = :$1" | grep -q .
}

# free_port VAR: a UDP and TCP port nobody uses and this script has not
# handed out yet, in VAR.
free_port () {
  local p
  for _ in $(seq 1 500); do
    p=$(( (RANDOM * 32768 + RANDOM) % 12000 + 20000 ))
    case $USED_PORTS in *" $p "*) continue ;; esac
    if ! port_in_use "$p"; then
      USED_PORTS+="$p "
      printf -v "$1" '%s' "$p"
      return 0
    fi
  done
  echo "$BENCH_NAME: no free port" >&2
  exit 1
}

# free_ports N: prints the first of N consecutive free ports.
free_ports () {
  local n=$1 base p ok
  for _ in $(seq 1 200); do
    base=$(( (RANDOM * 32768 + RANDOM) % 12000 + 20000 ))
    ok=1
    for p in $(seq "$base" $((base + n - 1))); do
      if port_in_use "$p"; then
        ok=0; break
      fi
    done
    if [ $ok = 1 ]; then echo "$base"; return 0; fi
  done
  echo "$BENCH_NAME: no free ports" >&2
  return 1
}

# ---- the relay ---------------------------------------------------------------

# api HTTP: the stream's JSON, or nothing.
api () { curl -sf --max-time 2 "http://127.0.0.1:$1/api/v1/streams/main"; }

# relay_conf NAME HTTP INPUTS OUTPUTS [LINE...]: writes $WORK/NAME.ini, a
# relay with its API on 127.0.0.1:HTTP and one stream "main"; each LINE is
# one more key of the stream.
relay_conf () {
  local name=$1 http=$2 inputs=$3 outputs=$4; shift 4
  {
    printf '[server]\nhttp = 127.0.0.1:%s\n\n[stream main]\n' "$http"
    printf 'inputs = %s\noutputs = %s\n' "$inputs" "$outputs"
    [ $# = 0 ] || printf '%s\n' "$@"
  } > "$WORK/$name.ini"
}

# start_relay NAME HTTP: starts holdfast on $WORK/NAME.ini (log NAME.log)
# under timeout and waits for its API; timeout's pid in RELAY_TPID, the
# holdfast process's own in RELAY_PID.
start_relay () {
  local name=$1 http=$2
  bg "$WORK/$name.log" "$RELAY_TIMEOUT" "$HOLDFAST" --config "$WORK/$name.ini"
  RELAY_TPID=$BG_PID
  RELAY_PID=
  for _ in $(seq 1 100); do
    [ -n "$RELAY_PID" ] || RELAY_PID=$(pgrep -P "$RELAY_TPID" | head -1)
    if [ -n "$RELAY_PID" ] && api "$http" > /dev/null; then
      return 0
    fi
    kill -0 "$RELAY_TPID" 2>/dev/null || break
    sleep 0.05
  done
  echo "$BENCH_NAME: holdfast ($name) did not come up:" >&2
  tail -5 "$WORK/$name.log" >&2
  return 1
}

# ---- start and end -----------------------------------------------------------

# require_built TARGET FILE...: exits unless every FILE is built; the
# message says to make TARGET.
require_built () {
  local target=$1 f; shift
  for f in "$@"; do
    if [ ! -x "$f" ]; then
      echo "$BENCH_NAME: $f is missing (make all $target)" >&2
      exit 1
    fi
  done
}

# require_commands CMD...: exits unless every CMD is installed.
require_commands () {
  local t
  for t in "$@"; do
    command -v "$t" > /dev/null ||
      { echo "$BENCH_NAME: $t is missing" >&2; exit 1; }
  done
}

now () { date +%s.%N; }

# bench_end START: how long the run took since START (now), and exit 1 if a
# measurement failed.
bench_end () {
  awk -v s="$1" -v e="$(now)" \
    'BEGIN { printf "\nBenchmark took %.0f s.\n", e - s }'
  if [ "$FAILED" != 0 ]; then
    echo "Some measurements FAILED (see above)."
    exit 1
  fi
}
