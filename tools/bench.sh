#!/usr/bin/env bash
# Holdfast benchmark (make bench): what a relay hop costs in latency, and
# what relaying one stream costs in CPU as viewers are added.  Prints tables
# for a human.
#
#   tools/bench.sh [BUILD_DIR]
#   HF_BENCH_ONLY=latency|cpu tools/bench.sh [BUILD_DIR]   one part only
#
# Latency: hf-bench-latency encodes a live picture, sends it over SRT and
# times every frame until a viewer has demuxed it.  Paths: direct (sender ->
# receiver), 1 hop (-> holdfast ->) and 2 hops (-> origin -> edge ->), SRT
# latency 120 ms on every leg.  5 runs of 8 s per path, the paths taken in
# turn within each run so machine noise hits them alike; the relays are
# started once for all runs.
#
# CPU: ffmpeg pushes a pre-encoded 4 Mbit/s H.264+AAC MPEG-TS file in a loop
# (-c copy, so the pusher costs next to nothing) into a fresh holdfast;
# srt-live-transmit viewers pull it.  For idle, 1, 10 and 50 viewers the
# holdfast process's utime+stime over 10 s, median of 3 samples (idle: 1).
#
# Loopback only, ports picked free at run time, every process bounded by
# timeout and killed on exit.  About 4 minutes on 2 cores.  Exit status is
# non-zero if any measurement failed.
set -u
cd "$(dirname "$0")/.." || exit 1

BUILD=${1:-build}
HOLDFAST=$BUILD/holdfast
LATENCY=$BUILD/hf-bench-latency

LAT_RUNS=5
LAT_SECONDS=8
LAT_BITRATE=4000
CPU_SAMPLES=3
CPU_SECONDS=10
CPU_VIEWERS="1 10 50"
# Upper bounds on every process this script starts.
RELAY_TIMEOUT=600
PUSH_TIMEOUT=300
VIEWER_TIMEOUT=200
LAT_TIMEOUT=40

BENCH_NAME=bench
CLEANUP_STEPS=60
KILL_AFTER=2
# shellcheck source=tools/bench-lib.sh
. tools/bench-lib.sh

# ---- processes -------------------------------------------------------------

# start_stream_relay NAME HTTP INPUT OUTPUT: a holdfast relaying one stream
# from INPUT to OUTPUT (start_relay); its RELAY_PID is set, and its name and
# timeout's pid are remembered for relay_alive.
declare -A RELAY_TPIDS
start_stream_relay () {
  local rc=0
  relay_conf "$1" "$2" "$3" "$4"
  start_relay "$1" "$2" || rc=1
  RELAY_TPIDS[$1]=$RELAY_TPID
  return $rc
}

# relay_alive NAME: true while that holdfast runs; otherwise says how it
# ended (a signal from outside this script shows as "killed by signal").
relay_alive () {
  local name=$1 tpid=${RELAY_TPIDS[$1]} rc
  kill -0 "$tpid" 2>/dev/null && return 0
  wait "$tpid" 2>/dev/null
  rc=$?
  if [ $rc -gt 128 ]; then
    fail "holdfast ($name) is gone: killed by signal $((rc - 128))" \
      "$(kill -l $((rc - 128)) 2>/dev/null)"
  else
    fail "holdfast ($name) is gone: exit status $rc"
  fi
  tail -n 3 "$WORK/$name.log" | sed 's/^/       /' >&2
  return 1
}

# wait_json HTTP FILTER SECONDS: until jq -e FILTER holds for the stream.
wait_json () {
  local http=$1 filter=$2 secs=$3
  for _ in $(seq 1 $((secs * 10))); do
    api "$http" | jq -e "$filter" > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# ---- arithmetic --------------------------------------------------------------

median () {  # median NUMBER...: prints the median with one decimal, or -
  [ $# -gt 0 ] || { echo -; return; }
  printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 }
    END { if (NR % 2) printf "%.1f\n", a[(NR + 1) / 2];
          else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

delta () {  # delta A B: B - A signed with one decimal, or - if one is missing
  if [ "$1" = - ] || [ "$2" = - ]; then echo -; return; fi
  awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f\n", b - a }'
}

# cpu_ticks PID: utime + stime from /proc/PID/stat (fields after the comm).
cpu_ticks () {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  awk '{ print $12 + $13 }' <<< "$stat"
}

# machine_ticks: "busy total" clock ticks of all cores from /proc/stat
# (user to steal; guest time is already in user).
machine_ticks () {
  awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i;
                 print t - $5 - $6, t; exit }' /proc/stat
}

# ---- checks ------------------------------------------------------------------

require_built "$LATENCY" "$HOLDFAST" "$LATENCY"
require_commands ffmpeg ffprobe srt-live-transmit curl jq ss pgrep timeout
CLK_TCK=$(getconf CLK_TCK)


# ---- a. latency --------------------------------------------------------------

# lat_run RUN PATH SEND RECV: one hf-bench-latency run; prints its table row
# and adds its median and p95 to MEDIANS and P95S.
lat_run () {
  local run=$1 path=$2 send=$3 recv=$4 out rc err
  local frames unmatched med p95 min max

  err=$WORK/latency-$run-$path.err
  out=$(timeout -k 2 "$LAT_TIMEOUT" "$LATENCY" --send "$send" --recv "$recv" \
    --seconds "$LAT_SECONDS" --bitrate "$LAT_BITRATE" 2> "$err")
  rc=$?
  if [ $rc != 0 ] ||
     ! jq -e '.median_ms != null' <<< "$out" > /dev/null 2>&1; then
    printf '%-4s %-7s %s\n' "$run" "${LABEL[$path]}" "FAILED (exit $rc)"
    tail -4 "$err" | sed 's/^/       /'
    fail "latency run $run, ${LABEL[$path]}"
    return
  fi
  read -r frames unmatched med p95 min max < <(jq -r \
    '[.frames, .unmatched, .median_ms, .p95_ms, .min_ms, .max_ms] | @tsv' \
    <<< "$out")
  MEDIANS[$path]+=" $med"
  P95S[$path]+=" $p95"
  OK[$path]=$(( ${OK[$path]:-0} + 1 ))
  printf '%-4s %-7s %7s %10s %10.1f %8.1f %8.1f %8.1f\n' "$run" \
    "${LABEL[$path]}" "$frames" "$unmatched" "$med" "$p95" "$min" "$max"
  if [ "$unmatched" != 0 ]; then
    echo "     ($unmatched frames matched no sent frame: lost or changed)"
  fi
}

bench_latency () {
  local run path send recv med p95 dmed dp95 direct_med direct_p95
  local o_http o_in o_out e_http e_out d_port

  echo
  echo "== Latency: encoder output -> viewer's demuxed frame =="
  cat <<EOT
Sender: x264 ultrafast/zerolatency 1280x720 30 fps, $LAT_BITRATE kbit/s, + AAC;
MPEG-TS over SRT, latency 120 ms on every leg.  $LAT_RUNS runs of $LAT_SECONDS s
per path (first 2 s of each not counted), the paths in turn within a run.
EOT
  echo

  free_port o_http; free_port o_in; free_port o_out
  free_port e_http; free_port e_out
  start_stream_relay origin "$o_http" "srt://127.0.0.1:$o_in?mode=listener" \
    "srt://127.0.0.1:$o_out?mode=listener" || { fail "origin"; return; }
  start_stream_relay edge "$e_http" "srt://127.0.0.1:$o_out?mode=caller" \
    "srt://127.0.0.1:$e_out?mode=listener" || { fail "edge"; return; }

  printf '%-4s %-7s %7s %10s %10s %8s %8s %8s\n' run path frames unmatched \
    "median ms" "p95 ms" "min ms" "max ms"
  for run in $(seq 1 "$LAT_RUNS"); do
    for path in "${PATHS[@]}"; do
      if ! relay_alive origin || ! relay_alive edge; then
        echo "Latency runs stopped: a relay is gone."
        break 2
      fi
      case $path in
        direct)
          free_port d_port
          send="srt://127.0.0.1:$d_port?mode=caller"
          recv="srt://127.0.0.1:$d_port?mode=listener" ;;
        1hop)
          send="srt://127.0.0.1:$o_in?mode=caller"
          recv="srt://127.0.0.1:$o_out?mode=caller" ;;
        2hops)
          send="srt://127.0.0.1:$o_in?mode=caller"
          recv="srt://127.0.0.1:$e_out?mode=caller" ;;
      esac
      # The origin's input restarts when the previous sender leaves, and
      # the edge must be a viewer of the origin before it can relay.
      if [ "$path" != direct ] &&
         ! wait_json "$o_http" '.inputs[0].state == "idle"' 5; then
        echo "bench: the origin's input is not idle; trying anyway" >&2
      fi
      if [ "$path" = 2hops ] &&
         ! wait_json "$o_http" '.outputs[0].viewers >= 1' 5; then
        echo "bench: the edge is not connected to the origin; trying anyway" >&2
      fi
      lat_run "$run" "$path" "$send" "$recv"
    done
  done

  cleanup

  echo
  echo "Per path, median over the runs:"
  printf '%-7s %5s %10s %10s %16s %14s\n' path runs "median ms" "p95 ms" \
    "median - direct" "p95 - direct"
  # shellcheck disable=SC2086  # the lists are space-separated numbers
  direct_med=$(median ${MEDIANS[direct]:-})
  # shellcheck disable=SC2086
  direct_p95=$(median ${P95S[direct]:-})
  for path in "${PATHS[@]}"; do
    # shellcheck disable=SC2086
    med=$(median ${MEDIANS[$path]:-})
    # shellcheck disable=SC2086
    p95=$(median ${P95S[$path]:-})
    if [ "$path" = direct ]; then
      dmed=-; dp95=-
    else
      dmed=$(delta "$direct_med" "$med"); dp95=$(delta "$direct_p95" "$p95")
    fi
    printf '%-7s %5s %10s %10s %16s %14s\n' "${LABEL[$path]}" \
      "${OK[$path]:-0}/$LAT_RUNS" "$med" "$p95" "$dmed" "$dp95"
  done
}

# ---- b. CPU ------------------------------------------------------------------

# cpu_sample: one CPU_SECONDS sample of the relay; adds holdfast's and the
# machine's CPU % to SAMPLES and MACHINE, the output bytes and the time to
# OUT_BYTES and OUT_TIME.
cpu_sample () {
  local t0 t1 c0 c1 b0 b1 m0 m1
  b0=$(api "$C_HTTP" | jq -r '.outputs[0].bytes_sent')
  c0=$(cpu_ticks "$CPU_PID") || return 1
  m0=$(machine_ticks)
  t0=$(now)
  sleep "$CPU_SECONDS"
  c1=$(cpu_ticks "$CPU_PID") || return 1
  m1=$(machine_ticks)
  t1=$(now)
  b1=$(api "$C_HTTP" | jq -r '.outputs[0].bytes_sent')
  SAMPLES+=" $(awk -v c="$((c1 - c0))" -v hz="$CLK_TCK" -v t0="$t0" \
    -v t1="$t1" 'BEGIN { printf "%.1f", 100 * c / hz / (t1 - t0) }')"
  MACHINE+=" $(awk -v a="$m0" -v b="$m1" 'BEGIN { split(a, x, " ");
    split(b, y, " "); printf "%.0f", 100 * (y[1] - x[1]) / (y[2] - x[2]) }')"
  if [[ $b0 =~ ^[0-9]+$ && $b1 =~ ^[0-9]+$ ]]; then
    OUT_BYTES=$((OUT_BYTES + b1 - b0))
  else
    OUT_OK=0
  fi
  OUT_TIME=$(awk -v a="$OUT_TIME" -v t0="$t0" -v t1="$t1" \
    'BEGIN { print a + t1 - t0 }')
}

cpu_row () {  # cpu_row VIEWERS OUT_MBS PER_VIEWER DROPPED LEFT
  # shellcheck disable=SC2086  # the lists are space-separated numbers
  printf '%-8s %10s  %-16s %9s %9s %13s %7s %6s\n' "$1" "$(median $SAMPLES)" \
    "${SAMPLES# }" "$(median $MACHINE)" "$2" "$3" "$4" "$5"
}

# wait_steady N: until the relay has N viewers and an input bitrate within
# 25% of the file's for two readings in a row; at most 20 s.
wait_steady () {
  local n=$1 steady=0
  for _ in $(seq 1 40); do
    if api "$C_HTTP" | jq -e --argjson n "$n" --argjson b "$FILE_BPS" \
        '.outputs[0].viewers == $n and .inputs[0].bitrate_bps > 0.75 * $b
         and .inputs[0].bitrate_bps < 1.25 * $b' > /dev/null 2>&1; then
      steady=$((steady + 1))
      [ $steady -ge 2 ] && return 0
    else
      steady=0
    fi
    sleep 0.5
  done
  return 1
}

bench_cpu () {
  local file file_mbps n i p st drops0 drops1 viewers_now alive rate per
  local push_pid
  local viewer_pids=()

  echo
  echo "== CPU: holdfast relaying one stream to SRT viewers =="

  file=$WORK/in.ts
  if ! timeout 120 ffmpeg -nostdin -v error -y \
      -f lavfi -i testsrc2=size=1280x720:rate=30 \
      -f lavfi -i sine=frequency=440:sample_rate=48000 -t 20 \
      -c:v libx264 -preset veryfast -tune zerolatency -g 30 \
      -b:v 4M -maxrate 4M -bufsize 2M -pix_fmt yuv420p \
      -c:a aac -b:a 128k -f mpegts "$file" 2> "$WORK/encode.log"; then
    tail -3 "$WORK/encode.log" >&2
    fail "could not pre-encode the test file"
    return
  fi
  FILE_BPS=$(ffprobe -v error -show_entries format=bit_rate -of csv=p=0 "$file")
  file_mbps=$(awk -v b="$FILE_BPS" 'BEGIN { printf "%.2f", b / 1e6 }')
  cat <<EOT
Input: 20 s of 1280x720 30 fps H.264 (4 Mbit/s, GOP 30) + AAC in MPEG-TS,
$file_mbps Mbit/s in all, pushed in a loop by ffmpeg -re -c copy.
Viewers: srt-live-transmit to /dev/null.  "holdfast %": its utime+stime over
$CPU_SECONDS s in % of one core, median of $CPU_SAMPLES samples.  "machine %": all $(nproc) cores
busy (pusher and viewers included), in % of the whole machine.
EOT
  echo

  free_port C_HTTP; free_port C_IN; free_port C_OUT
  start_stream_relay cpu "$C_HTTP" "srt://127.0.0.1:$C_IN?mode=listener" \
    "srt://127.0.0.1:$C_OUT?mode=listener" || { fail "relay"; return; }
  CPU_PID=$RELAY_PID

  printf '%-8s %10s  %-16s %9s %9s %13s %7s %6s\n' viewers "holdfast %" \
    samples "machine %" "out MB/s" "Mbit/s/viewer" dropped left
  SAMPLES=; MACHINE=; OUT_BYTES=0; OUT_TIME=0; OUT_OK=1
  if cpu_sample; then
    cpu_row "idle" - - - -
  else
    relay_alive cpu || return
  fi

  bg "$WORK/push.log" "$PUSH_TIMEOUT" ffmpeg -nostdin -v error -re \
    -stream_loop -1 -i "$file" -c copy -f mpegts \
    "srt://127.0.0.1:$C_IN?pkt_size=1316"
  push_pid=$BG_PID

  for n in $CPU_VIEWERS; do
    if ! relay_alive cpu; then
      echo "CPU measurements stopped: the relay is gone."
      break
    fi
    while [ ${#viewer_pids[@]} -lt "$n" ]; do
      i=${#viewer_pids[@]}
      # The stream goes to stdout, which is /dev/null; messages to a log.
      timeout -k 2 "$VIEWER_TIMEOUT" srt-live-transmit -q \
        "srt://127.0.0.1:$C_OUT" file://con \
        > /dev/null 2> "$WORK/viewer-$i.log" &
      viewer_pids+=($!)
      PIDS+=($!)
    done
    if ! wait_steady "$n"; then
      printf '%-8s %s %s\n' "$n" "FAILED: not steady after 20 s:" \
        "$(api "$C_HTTP" | jq -c '{viewers: .outputs[0].viewers,
          input_bps: .inputs[0].bitrate_bps, state: .inputs[0].state}')"
      tail -n 2 "$WORK/push.log" "$WORK/viewer-0.log" 2>/dev/null |
        sed 's/^/       /'
      fail "$n viewers"
      continue
    fi
    # Let the start-up GOPs sent to the new viewers pass.
    sleep 2
    drops0=$(api "$C_HTTP" | jq -r '.outputs[0].dropped_packets')
    SAMPLES=; MACHINE=; OUT_BYTES=0; OUT_TIME=0; OUT_OK=1
    for _ in $(seq 1 "$CPU_SAMPLES"); do
      cpu_sample || break
    done
    if ! relay_alive cpu; then
      echo "CPU measurements stopped: the relay is gone."
      break
    fi
    st=$(api "$C_HTTP")
    drops1=$(jq -r '.outputs[0].dropped_packets' <<< "$st")
    viewers_now=$(jq -r '.outputs[0].viewers' <<< "$st")
    alive=0
    for p in "${viewer_pids[@]}"; do
      kill -0 "$p" 2>/dev/null && alive=$((alive + 1))
    done
    if [ $OUT_OK = 1 ]; then
      rate=$(awk -v b="$OUT_BYTES" -v t="$OUT_TIME" \
        'BEGIN { printf "%.2f", b / t / 1e6 }')
      per=$(awk -v b="$OUT_BYTES" -v t="$OUT_TIME" -v n="$n" \
        'BEGIN { printf "%.2f", 8 * b / t / n / 1e6 }')
    else
      rate=-; per=-
      fail "no output byte counts from the API with $n viewers"
    fi
    cpu_row "$n" "$rate" "$per" "$((drops1 - drops0))" "$viewers_now/$n"
    if [ "$viewers_now" != "$n" ] || [ "$alive" != "$n" ]; then
      fail "$n viewers: $viewers_now connected and $alive running at the end"
    fi
  done

  kill -0 "$push_pid" 2>/dev/null ||
    fail "the ffmpeg pusher died: $(tail -3 "$WORK/push.log")"
  cleanup

  echo
  cat <<EOT
"dropped": SRT messages holdfast could not queue for a viewer during the
samples; "left": viewers still connected at the end / viewers started.
EOT
}

# ---- main --------------------------------------------------------------------

PATHS=(direct 1hop 2hops)
declare -A LABEL=([direct]="direct" [1hop]="1 hop" [2hops]="2 hops")
declare -A MEDIANS P95S OK

START=$(now)
echo "Holdfast benchmark: $("$HOLDFAST" --version 2>/dev/null | head -1)"
echo "Machine: $(nproc) cores, $(uname -sr)," \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
case ${HF_BENCH_ONLY:-all} in
  latency) bench_latency ;;
  cpu) bench_cpu ;;
  *) bench_latency; bench_cpu ;;
esac

bench_end "$START"
