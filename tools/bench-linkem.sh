#!/usr/bin/env bash
# hf-linkem benchmark (make bench-linkem): how fast one link forwards and
# what it costs.  hf-udpgen sends 1316-byte datagrams (an SRT/TS payload) at
# 60 Mbit/s for 10 s through one hf-linkem link to an hf-udpgen receiver;
# the receiver measures the rate and the loss, /proc/PID/stat gives
# hf-linkem's utime+stime over the sending time, as % of one core.  Three
# runs on a clean link, three with "delay 20ms jitter 2ms loss 1%" and three
# with "delay 40ms" (every packet through the delay heap and the timer); the
# median of each figure.
#
#   tools/bench-linkem.sh [BUILD_DIR]
#   HF_BENCH_LINKEM_KBPS=80000 tools/bench-linkem.sh    another offered rate
#
# Pass: the clean link forwards >= 50 Mbit/s with < 20% of one core and
# no loss.  Loopback only, ports picked free at run time, every process
# bounded by timeout and killed on exit.  About 100 s.
set -u
cd "$(dirname "$0")/.." || exit 1

BUILD=${1:-build}
LINKEM=$BUILD/hf-linkem
UDPGEN=$BUILD/hf-udpgen
RUNS=3
RUN_SECONDS=10
RATE_KBPS=${HF_BENCH_LINKEM_KBPS:-60000}
SIZE=1316
# The configurations measured ("" is a clean link): a typical impairment,
# and a fixed delay, the worst case for the loop (every packet has a
# release time of its own: one timer wake-up and one send per packet).
CONFIGS=("" "delay 20ms jitter 2ms loss 1%" "delay 40ms")
MIN_MBPS=50
MAX_CPU_PCT=20

BENCH_NAME=bench-linkem
CLEANUP_STEPS=40
KILL_AFTER=2
# shellcheck source=tools/bench-lib.sh
. tools/bench-lib.sh

require_built bench-linkem "$LINKEM" "$UDPGEN"
require_commands jq awk ss getconf

HZ=$(getconf CLK_TCK)
COUNT=$(( RATE_KBPS * 1000 / (SIZE * 8) * RUN_SECONDS ))

# cpu_ticks PID: utime + stime of PID, in clock ticks (the fields after the
# command name, which may hold spaces).
cpu_ticks () { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# wait_bound PORT: until a UDP socket has PORT (bounded).
wait_bound () {
  for _ in $(seq 1 100); do
    ss -Haun "sport = :$1" | grep -q . && return 0
    sleep 0.02
  done
  return 1
}

# one_run NAME IMPAIRMENT...: one measured run; sets RESULT to "recv_mbps
# loss_pct cpu_pct sent_mbps", or to nothing if it failed.  Runs in this
# shell (not in $(...)) so that its processes are in PIDS for cleanup.
one_run () {
  local name=$1; shift
  local p lk rx c0 c1 t0 t1 ready=0
  RESULT=
  p=$(free_ports 2) || return 1
  bg "$WORK/$name-rx.json" 60 "$UDPGEN" recv "127.0.0.1:$((p + 1))" \
    --count "$COUNT" --timeout 40 --idle 1
  rx=$BG_PID
  wait_bound $((p + 1)) || { fail "$name: receiver did not bind"; return 1; }
  bg "$WORK/$name-linkem.log" 60 "$LINKEM" --ctl "$WORK/$name.sock" --seed 1 \
    run "bench=127.0.0.1:$p>127.0.0.1:$((p + 1))"
  for _ in $(seq 1 100); do
    grep -q '^hf-linkem: ready$' "$WORK/$name-linkem.log" && { ready=1; break; }
    sleep 0.05
  done
  lk=$(pgrep -P "$BG_PID" -x hf-linkem | head -1)
  if [ $ready = 0 ] || [ -z "$lk" ]; then
    fail "$name: hf-linkem did not come up"; return 1
  fi
  if [ $# -gt 0 ] && ! "$LINKEM" --ctl "$WORK/$name.sock" ctl bench "$@" > /dev/null; then
    fail "$name: ctl $* refused"; return 1
  fi
  c0=$(cpu_ticks "$lk"); t0=$(now)
  timeout $((RUN_SECONDS + 20)) "$UDPGEN" send "127.0.0.1:$p" \
    --rate-kbps "$RATE_KBPS" --size $SIZE --count "$COUNT" > "$WORK/$name-tx.json"
  c1=$(cpu_ticks "$lk"); t1=$(now)
  "$LINKEM" --ctl "$WORK/$name.sock" status --json > "$WORK/$name-status.json"
  for _ in $(seq 1 200); do kill -0 "$rx" 2>/dev/null || break; sleep 0.05; done
  kill "$BG_PID" 2>/dev/null
  wait "$BG_PID" 2>/dev/null
  jq -e .rate_kbps "$WORK/$name-rx.json" > /dev/null 2>&1 ||
    { fail "$name: no receiver summary"; return 1; }
  RESULT=$(awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v hz="$HZ" \
    -v kbps="$(jq .rate_kbps "$WORK/$name-rx.json")" \
    -v loss="$(jq .loss_pct "$WORK/$name-rx.json")" \
    -v sent="$(jq .send_rate_kbps "$WORK/$name-tx.json")" \
    'BEGIN { printf "%.1f %.3f %.1f %.1f\n", kbps / 1000, loss,
             100 * (c1 - c0) / hz / (t1 - t0), sent / 1000 }')
}

# median: the middle of the numbers on stdin.
median () { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

START=$(now)
echo "hf-linkem: $RUNS runs of ${RUN_SECONDS} s per configuration, $SIZE-byte datagrams offered at $((RATE_KBPS / 1000)) Mbit/s"
echo
printf '%-32s %4s %10s %10s %10s %10s\n' configuration run "sent Mb/s" "recv Mb/s" "loss %" "CPU %"
for c in "${!CONFIGS[@]}"; do
  : > "$WORK/config-$c.results"
  for run in $(seq 1 $RUNS); do
    # shellcheck disable=SC2086  # an impairment is several words
    one_run "config-$c-$run" ${CONFIGS[$c]}
    [ -n "$RESULT" ] || continue
    read -r mbps loss cpu sent <<< "$RESULT"
    printf '%-32s %4d %10s %10s %10s %10s\n' "${CONFIGS[$c]:-clean}" "$run" \
      "$sent" "$mbps" "$loss" "$cpu"
    echo "$RESULT" >> "$WORK/config-$c.results"
  done
done

echo
for c in "${!CONFIGS[@]}"; do
  label=${CONFIGS[$c]:-clean}
  [ -s "$WORK/config-$c.results" ] || { fail "$label: no run succeeded"; continue; }
  mbps=$(awk '{ print $1 }' "$WORK/config-$c.results" | median)
  loss=$(awk '{ print $2 }' "$WORK/config-$c.results" | median)
  cpu=$(awk '{ print $3 }' "$WORK/config-$c.results" | median)
  printf 'median, %-32s %5s Mbit/s forwarded, loss %s%%, hf-linkem CPU %s%% of one core\n' \
    "$label:" "$mbps" "$loss" "$cpu"
  # The pass criteria are the issue's, on the clean link; the others must
  # keep the rate and lose what they are told to.
  awk -v m="$mbps" -v min=$MIN_MBPS 'BEGIN { exit !(m >= min) }' ||
    fail "$label: forwarded $mbps Mbit/s (< $MIN_MBPS)"
  case $label in
    clean)
      awk -v c="$cpu" -v max=$MAX_CPU_PCT 'BEGIN { exit !(c < max) }' ||
        fail "hf-linkem used $cpu% of a core (>= $MAX_CPU_PCT%)"
      awk -v l="$loss" 'BEGIN { exit !(l < 0.1) }' || fail "clean link lost $loss%" ;;
    *"loss 1%"*)
      awk -v l="$loss" 'BEGIN { exit !(l > 0.5 && l < 1.5) }' ||
        fail "$label: measured $loss% loss" ;;
    *)
      awk -v l="$loss" 'BEGIN { exit !(l < 0.1) }' || fail "$label: lost $loss%" ;;
  esac
done
bench_end "$START"
