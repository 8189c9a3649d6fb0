#!/usr/bin/env bash
# Holdfast failover benchmark (make bench-failover): what a viewer sees
# when the relay's inputs die.  Prints figures for a human, targets next to
# them, and the tool's JSON lines.
#
#   tools/bench-failover.sh [BUILD_DIR]
#   HF_BENCH_CYCLES=N HF_BENCH_SLATE_CYCLES=N HF_BENCH_MERGE_SECONDS=S \
#   HF_BENCH_FAILOVER_SECONDS=S HF_BENCH_SEED=S tools/bench-failover.sh [BUILD]
#   HF_BENCH_KEEP=1 ...   keep the configs and logs (the path is printed)
#
# 1. Failover and slate: a holdfast with two SRT listener inputs (primary,
#    backup; input-timeout-ms 250, revert-after-s 2, builtin slate) and an
#    SRT listener output.  hf-bench-failover runs two independent x264
#    senders and a viewer; it cuts the primary's link (20 cycles, at a
#    random moment in the GOP), then both links (5 cycles), and times what
#    the viewer gets.
# 2. Merge: a fresh holdfast with two RTP inputs and merge = true; one
#    sender sends the same RTP packets on both paths and the tool severs
#    one path at a time for 30 s.
#
# Loopback only, ports picked free at run time, every process bounded by
# timeout and ended on exit.  About 4 minutes on 2 cores.  Exit status is
# non-zero if a measurement could not be made; a figure worse than its
# target is reported, not failed (this is a benchmark).
set -u
cd "$(dirname "$0")/.." || exit 1

BUILD=${1:-build}
HOLDFAST=$BUILD/holdfast
TOOL=$BUILD/hf-bench-failover

CYCLES=${HF_BENCH_CYCLES:-20}
SLATE_CYCLES=${HF_BENCH_SLATE_CYCLES:-5}
MERGE_SECONDS=${HF_BENCH_MERGE_SECONDS:-30}
SEED=${HF_BENCH_SEED:-$(( (RANDOM * 32768 + RANDOM) % 1000000 ))}
# The tool starts no cycle it cannot finish within FAILOVER_SECONDS (a
# relay that reverts slowly makes cycles longer: fewer are run, and the
# summary says so); the timeouts are upper bounds on every process.
FAILOVER_SECONDS=${HF_BENCH_FAILOVER_SECONDS:-200}
FAILOVER_TIMEOUT=$((FAILOVER_SECONDS + 60))
MERGE_TIMEOUT=$((MERGE_SECONDS + 60))
RELAY_TIMEOUT=$((FAILOVER_TIMEOUT + 30))

BENCH_NAME=bench-failover
CLEANUP_STEPS=100
KILL_AFTER=5
# shellcheck source=tools/bench-lib.sh
. tools/bench-lib.sh
if [ "${HF_BENCH_KEEP:-0}" = 1 ]; then
  trap 'cleanup; echo "bench-failover: configs and logs kept in $WORK"' EXIT
fi

# ---- processes -------------------------------------------------------------

# stop_relay NAME HTTP: prints the stream's summary fields, then SIGTERM
# (timeout passes it on) and waits up to 10 s; a relay that does not stop
# is killed and reported.
stop_relay () {
  local name=$1 http=$2 st
  st=$(api "$http")
  if [ -n "$st" ]; then
    echo "relay ($name) at the end: $(jq -c '{on_air, failovers_total,
      slate_seconds_total, switches_total}' <<< "$st")"
  else
    fail "holdfast ($name): no API answer at the end"
    tail -n 5 "$WORK/$name.log" | sed 's/^/       /' >&2
  fi
  kill -TERM "$RELAY_TPID" 2>/dev/null
  for _ in $(seq 1 200); do
    kill -0 "$RELAY_TPID" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$RELAY_TPID" 2>/dev/null; then
    fail "holdfast ($name) did not stop within 10 s of SIGTERM"
    pkill -9 -P "$RELAY_TPID" 2>/dev/null
    kill -9 "$RELAY_TPID" 2>/dev/null
  fi
  wait "$RELAY_TPID" 2>/dev/null
}

# run_tool NAME ARGS...: runs hf-bench-failover under timeout, its output to
# the terminal and to $WORK/NAME.out; non-zero exit is a failed measurement.
run_tool () {
  local name=$1 secs=$2 rc; shift 2
  timeout -k 5 "$secs" "$TOOL" "$@" 2> "$WORK/$name.err" |
    tee "$WORK/$name.out"
  rc=${PIPESTATUS[0]}
  if [ "$rc" != 0 ]; then
    [ "$rc" = 124 ] && echo "(hf-bench-failover ran out of $secs s)" >&2
    tail -n 6 "$WORK/$name.err" | sed 's/^/       /' >&2
    fail "hf-bench-failover $name (exit $rc)"
  fi
}

# ---- checks ------------------------------------------------------------------

require_built "$TOOL" "$HOLDFAST" "$TOOL"
require_commands curl jq ss pgrep timeout

START=$(now)
echo "Holdfast failover benchmark: $("$HOLDFAST" --version 2>/dev/null |
  head -1)"
echo "Machine: $(nproc) cores, $(uname -sr); seed $SEED"

# ---- 1. failover and slate ---------------------------------------------------

echo
echo "== 1. Failover and slate: SRT primary + backup -> holdfast -> viewer =="
BASE=$(free_ports 4) || exit 1
F_HTTP=$BASE; F_P1=$((BASE + 1)); F_P2=$((BASE + 2)); F_OUT=$((BASE + 3))
relay_conf failover "$F_HTTP" \
  "srt://127.0.0.1:$F_P1?mode=listener;srt://127.0.0.1:$F_P2?mode=listener" \
  "srt://127.0.0.1:$F_OUT?mode=listener" "input-names = primary;backup" \
  "input-timeout-ms = 250" "revert-after-s = 2" "fallback = builtin"
if start_relay failover "$F_HTTP"; then
  run_tool failover "$FAILOVER_TIMEOUT" \
    --primary "srt://127.0.0.1:$F_P1?mode=caller" \
    --backup "srt://127.0.0.1:$F_P2?mode=caller" \
    --viewer "srt://127.0.0.1:$F_OUT?mode=caller" \
    --api "http://127.0.0.1:$F_HTTP" --cycles "$CYCLES" \
    --slate-cycles "$SLATE_CYCLES" --max-seconds "$FAILOVER_SECONDS" \
    --seed "$SEED"
  stop_relay failover "$F_HTTP"
else
  fail "holdfast (failover) did not start"
fi

# ---- 2. merge ----------------------------------------------------------------

echo
echo "== 2. Merge: one RTP sender, two paths -> holdfast (merge) -> viewer =="
# HTTP, path A and its RTCP port, path B and its RTCP port, the output.
BASE=$(free_ports 6) || exit 1
M_HTTP=$BASE; M_A=$((BASE + 1)); M_B=$((BASE + 3)); M_OUT=$((BASE + 5))
relay_conf merge "$M_HTTP" "rtp://127.0.0.1:$M_A;rtp://127.0.0.1:$M_B" \
  "srt://127.0.0.1:$M_OUT?mode=listener" "merge = true"
if start_relay merge "$M_HTTP"; then
  run_tool merge "$MERGE_TIMEOUT" --merge \
    --primary "rtp://127.0.0.1:$M_A" --backup "rtp://127.0.0.1:$M_B" \
    --viewer "srt://127.0.0.1:$M_OUT?mode=caller" \
    --api "http://127.0.0.1:$M_HTTP" --merge-seconds "$MERGE_SECONDS" \
    --seed "$SEED"
  stop_relay merge "$M_HTTP"
else
  fail "holdfast (merge) did not start"
fi

# ---- summary -----------------------------------------------------------------

# pick NAME SCENARIO FILTER: a figure from the tool's JSON line, or -.
pick () {
  local v
  v=$(grep -h "^{\"scenario\":\"$2\"" "$WORK/$1.out" 2>/dev/null | tail -1 |
    jq -r "$3 // \"-\"" 2>/dev/null)
  echo "${v:--}"
}

echo
echo "== Summary (targets are goals, not pass/fail) =="
printf '%-34s %10s %10s %10s   %s\n' figure p50 p95 max target
printf '%-34s %10s %10s %10s   %s\n' "failover gap at the viewer (ms)" \
  "$(pick failover failover .gap_ms.p50)" \
  "$(pick failover failover .gap_ms.p95)" \
  "$(pick failover failover .gap_ms.max)" "<= 300"
printf '%-34s %10s %10s %10s   %s\n' "failover frames lost" \
  "$(pick failover failover .frames_lost.p50)" - \
  "$(pick failover failover .frames_lost.max)" ""
printf '%-34s %10s %10s %10s   %s\n' "revert after restore (ms)" \
  "$(pick failover failover .revert_ms.p50)" - \
  "$(pick failover failover .revert_ms.max)" "~2000 + GOP"
printf '%-34s %10s %10s %10s   %s\n' "slate after last input died (ms)" \
  "$(pick failover slate .on_ms.p50)" - \
  "$(pick failover slate .on_ms.max)" "<= 500"
printf '%-34s %10s %10s %10s   %s\n' "live again after restore (ms)" \
  "$(pick failover slate .live_again_ms.p50)" - \
  "$(pick failover slate .live_again_ms.max)" ""
printf '%-34s %10s %10s %10s   %s\n' "merge: packets lost" \
  "$(pick merge merge .packets_lost)" - - "0"
printf '%-34s %10s\n' "merge: frames received / sent" \
  "$(pick merge merge .frames_received)/$(pick merge merge .frames_sent)"
printf '%-34s %10s\n' "failover cycles / switched" \
  "$(pick failover failover .cycles)/$(pick failover failover .switched)"
printf '%-34s %10s\n' "primary restores: reverted / held" \
  "$(pick failover failover .reverted)/$(pick failover failover .revert_held)"
printf '%-34s %10s\n' "slate cycles / slate seen" \
  "$(pick failover slate .cycles)/$(pick failover slate .slate_seen)"

bench_end "$START"
