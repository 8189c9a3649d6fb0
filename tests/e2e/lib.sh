# Shared helpers for the end-to-end tests: free ports, starting holdfast,
# real ffmpeg pushers and viewers, and assertions.  Every process a test
# starts is recorded and killed when the test ends; every wait is bounded.
# Loopback only.

HF_BUILD=${HF_BUILD:-build}
HF_PIDS=()
HF_RELAYS=()

# free_ports N: prints the first of N consecutive UDP+TCP ports that are free.
free_ports () {
  local n=$1 base p ok
  for _ in $(seq 1 200); do
    base=$(( (RANDOM * 32768 + RANDOM) % 30000 + 20000 ))
    ok=1
    for p in $(seq "$base" $((base + n - 1))); do
      if ss -Haun "sport = :$p" | grep -q . || ss -Hatn "sport = :$p" | grep -q .; then
        ok=0; break
      fi
    done
    if [ $ok = 1 ]; then echo "$base"; return 0; fi
  done
  return 1
}

bg () {  # bg LOGFILE CMD...: start in the background, remember the pid
  local log=$1; shift
  "$@" > "$log" 2>&1 &
  HF_PIDS+=($!)
}

cleanup_pids () {
  local p
  # Relays first, gracefully: a sanitizer build reports leaks at exit.
  for p in "${HF_RELAYS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${HF_RELAYS[@]}"; do wait_pid "$p" 15; done
  for p in "${HF_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.2
  for p in "${HF_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  HF_PIDS=()
HF_RELAYS=()
}

# start_relay CONFIG HTTP_PORT [NAME]: starts holdfast, waits for its API.
start_relay () {
  local conf=$1 port=$2 name=${3:-relay}
  bg "$T/$name.log" env GST_DEBUG="${GST_DEBUG:-hf-*:4}" GST_DEBUG_NO_COLOR=1 \
    "$HF_BUILD/holdfast" --config "$conf"
  HF_RELAY_PID=${HF_PIDS[-1]}
  HF_RELAYS+=("$HF_RELAY_PID")
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/api/v1/server" > /dev/null && return 0
    kill -0 "$HF_RELAY_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "holdfast did not come up:"; tail -5 "$T/$name.log"
  return 1
}

# api PORT PATH: prints the JSON
api () { curl -sf --max-time 3 "http://127.0.0.1:$1$2"; }

# json FILTER: reads JSON on stdin, prints a jq filter's result.
json () { jq -r "$1"; }

# ff_push LOG FORMAT URL SECONDS [extra output args]: ffmpeg test pattern
# and tone, H.264 (GOP 1 s) + AAC, paced in real time.
ff_push () {
  local log=$1 fmt=$2 url=$3 secs=$4; shift 4
  bg "$log" timeout $((secs + 10)) ffmpeg -nostdin -v error -re \
    -f lavfi -t "$secs" -i testsrc2=size=640x360:rate=30 \
    -f lavfi -t "$secs" -i sine=frequency=440 \
    -c:v libx264 -g 30 -tune zerolatency -preset ultrafast -b:v 1500k \
    -c:a aac "$@" -f "$fmt" "$url"
}

# ff_push_src LOG URL SECONDS SOURCE: like ff_push over SRT with another
# lavfi picture (primary and backup must not show the same frames).
ff_push_src () {
  local log=$1 url=$2 secs=$3 src=$4
  bg "$log" timeout $((secs + 10)) ffmpeg -nostdin -v error -re \
    -f lavfi -t "$secs" -i "$src=size=640x360:rate=30" \
    -f lavfi -t "$secs" -i sine=frequency=660 \
    -c:v libx264 -g 30 -tune zerolatency -preset ultrafast -b:v 1500k \
    -c:a aac -f mpegts "$url"
}

# kill_tree PID: SIGKILL a process started with bg and its children (a
# pusher whose uplink dies: no goodbye on the wire).
kill_tree () { kill -9 $(pgrep -P "$1") "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# ff_view_corner LOG URL SECONDS: like ff_view, and also the mean colour of
# each picture's top-left 16x16 corner in LOG.meta (to tell slate pictures
# from live ones).  ffmpeg rebuilds its filters when the stream's format
# changes (live -> slate), reopening the metadata file: it goes through a
# pipe so that nothing is truncated.
ff_view_corner () {
  local log=$1 url=$2 secs=$3
  bg "$log" bash -c "timeout $((secs + 15)) ffmpeg -nostdin -v error \
    -i '$url' -map 0:v:0 -t $secs \
    -vf 'crop=16:16:0:0,signalstats,metadata=print:file=/dev/fd/3' \
    -f framecrc - > '$log.frames' 3> >(cat > '$log.meta')"
}

# slate_runs LOG: reads LOG.meta and prints "first_slate last_live_before
# first_live_after slate_frames" (PTS in ms; -1 when there is none).  A
# slate picture has the builtin slate's background in its corner: RGB
# 0x102040, about Y 42, U 144, V 119.
slate_runs () {
  awk -F'[:= ]+' '
    /^frame:/ {for (i = 1; i < NF; i++) if ($i == "pts_time") t = int($(i + 1) * 1000)}
    /YAVG/ {y = $NF} /UAVG/ {u = $NF}
    /VAVG/ {v = $NF
      s = (y > 36 && y < 48 && u > 138 && u < 150 && v > 113 && v < 125)
      if (s && fs < 0) {fs = t; lb = last_live}
      if (s) n++
      if (!s && fs >= 0 && fa < 0) fa = t
      if (!s) last_live = t}
    BEGIN {fs = -1; fa = -1; lb = -1; last_live = -1; n = 0}
    END {print fs, lb, fa, n}' "$1.meta"
}

# events PORT: the relay's events, one "type input from to" line each
events () { api "$1" /api/v1/events | jq -r '.events[] | "\(.type) \(.input) \(.from) \(.to) \(.mono_ms)"'; }

# ff_rtp_sdp SECONDS VIDEO_PORT AUDIO_PORT AUDIO_CODEC SDP_FILE: ffmpeg
# sending H.264 and audio as two RTP streams and writing the SDP that
# describes them.  It execs ffmpeg: run it with bg, or in ( ) to wait.
ff_rtp_sdp () {
  exec timeout 20 ffmpeg -nostdin -v error -re \
    -f lavfi -t "$1" -i testsrc2=size=640x360:rate=30 -f lavfi -t "$1" -i sine \
    -map 0:v -c:v libx264 -g 30 -tune zerolatency -preset ultrafast -b:v 1500k \
    -f rtp "rtp://127.0.0.1:$2" -map 1:a -c:a "$4" -f rtp "rtp://127.0.0.1:$3" \
    -sdp_file "$5"
}

# ff_view LOG URL SECONDS: decodes SECONDS of the video, one framecrc line a
# frame in LOG.frames, errors in LOG.
ff_view () {
  local log=$1 url=$2 secs=$3
  bg "$log" bash -c "timeout $((secs + 15)) ffmpeg -nostdin -v error \
    -i '$url' -map 0:v:0 -t $secs -f framecrc - > '$log.frames'"
}

# ff_view_timed LOG URL SECONDS: like ff_view, and the wall-clock time at
# which each frame came out of the decoder in LOG.times (one line a frame:
# framecrc flushes every frame, a shell loop stamps it; one decoder thread,
# so no frame waits in the decoder for the next one to arrive).
ff_view_timed () {
  local log=$1 url=$2 secs=$3
  bg "$log" bash -c "timeout $((secs + 15)) ffmpeg -nostdin -v error \
    -threads 1 -i '$url' -map 0:v:0 -t $secs -f framecrc -flush_packets 1 - |
    while IFS= read -r line; do
      printf '%s\n' \"\$line\" >> '$log.frames'
      case \$line in '#'*) ;; *) echo \$EPOCHREALTIME >> '$log.times' ;; esac
    done"
}

# largest_wall_gap_ms LOG: the longest wait between two decoded frames, in
# ms, after the first 15 (a joining viewer gets its first GOP in a burst).
largest_wall_gap_ms () {
  awk 'NR > 15 && $1 - p > g {g = $1 - p} {p = $1} END {printf "%d\n", g * 1000}' "$1.times"
}

# largest_gap_frames LOG: the longest run of missing frame timestamps (in
# frame intervals) in a framecrc output.
largest_gap_frames () {
  grep -v '^#' "$1.frames" | awk -F, '{gsub(/ /, "", $2); t = $2 + 0}
    NR > 1 && t - p > g {g = t - p} {p = t} END {print (g > 1 ? g - 1 : 0)}'
}

frames_in () { local n; n=$(grep -vc '^#' "$1.frames" 2>/dev/null); echo "${n:-0}"; }

# decode_errors LOG: decoder complaints (connection time-outs are not ours)
decode_errors () { grep -vE 'Connection timed out|Immediate exit' "$1" 2>/dev/null | grep -E '\[(h264|aac|mpegts)|rror|orrupt|nvalid' ; }

wait_pid () {  # wait_pid PID SECONDS
  local pid=$1 secs=$2
  for _ in $(seq 1 $((secs * 20))); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
  return 1
}

fail () { echo "FAIL: $*"; return 1; }
