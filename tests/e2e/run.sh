#!/usr/bin/env bash
# End-to-end tests: real holdfast, real ffmpeg pushers and viewers, on
# loopback, ports picked free at run time.  Each test bounds its own time.
#
#   tests/e2e/run.sh [BUILD_DIR]          all tests
#   HF_E2E_ONLY="a b" tests/e2e/run.sh    some of them
#
# Prints one line per test and, last, "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
HF_BUILD=${1:-build}
. tests/e2e/lib.sh
export ASAN_OPTIONS=${ASAN_OPTIONS:-fast_unwind_on_malloc=0:detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}
export G_DEBUG=fatal-criticals

ARTIFACTS=${HF_E2E_ARTIFACTS:-$PWD/$HF_BUILD/e2e}
rm -rf "$ARTIFACTS"; mkdir -p "$ARTIFACTS"

# 150 frames are pushed per 5 s; at least 95% must decode.
MIN_FRAMES=143

# check_viewer LOG MIN "MESSAGE with %n": prints MESSAGE with the number of
# frames the viewer decoded; fails unless at least MIN, with no decode error.
check_viewer () {
  local n rc=0; n=$(frames_in "$1")
  echo "  ${3//%n/$n}"
  [ "$n" -ge "$2" ] || { fail "$(basename "$1"): only $n frames"; rc=1; }
  ! decode_errors "$1" || { fail "$(basename "$1"): decode errors"; rc=1; }
  return $rc
}

relay_conf () {  # relay_conf FILE HTTP INPUTS OUTPUTS [more stream keys]
  cat > "$1" <<EOC
[server]
http = 127.0.0.1:$2

[stream main]
inputs = $3
outputs = $4
$(printf '%s\n' "${@:5}")
EOC
}

# ---- tests -----------------------------------------------------------------

# ffmpeg pushes SRT -> holdfast -> ffmpeg pulls SRT, decodes >= 95%, no error.
test_srt_push_pull () {
  local p; p=$(free_ports 3)
  relay_conf "$T/r.ini" "$p" "srt://127.0.0.1:$((p+1))?mode=listener" \
    "srt://127.0.0.1:$((p+2))?mode=listener"
  start_relay "$T/r.ini" "$p" || return 1
  ff_view "$T/view" "srt://127.0.0.1:$((p+2))" 5
  sleep 0.3
  ff_push "$T/push" mpegts "srt://127.0.0.1:$((p+1))?pkt_size=1316" 7
  wait_pid "${HF_PIDS[-2]}" 20 || fail "viewer did not finish"
  check_viewer "$T/view" $MIN_FRAMES "viewer decoded %n/150 frames" || return 1
  api "$p" /api/v1/streams/main > "$T/stats.json"
  [ "$(json .on_air < "$T/stats.json")" = primary ] || fail "on_air is not primary"
  [ "$(json .inputs[0].packets < "$T/stats.json")" -gt 500 ] || fail "input packets not counted"
}

# A pusher without audio: the program is built video-only (an audio track
# that never gets data would stall the mux).
test_video_only_input () {
  local p; p=$(free_ports 3)
  relay_conf "$T/r.ini" "$p" "srt://127.0.0.1:$((p+1))?mode=listener" \
    "srt://127.0.0.1:$((p+2))?mode=listener"
  start_relay "$T/r.ini" "$p" || return 1
  ff_view "$T/view" "srt://127.0.0.1:$((p+2))" 5
  sleep 0.3
  ff_push "$T/push" mpegts "srt://127.0.0.1:$((p+1))?pkt_size=1316" 7 -an
  wait_pid "${HF_PIDS[-2]}" 20 || fail "viewer did not finish"
  check_viewer "$T/view" $MIN_FRAMES "viewer decoded %n/150 frames of a video-only stream" || return 1
}

# ffmpeg -f rtp_mpegts -> holdfast (RTCP on port+1) -> SRT viewer.
test_rtp_ts () {
  local p; p=$(free_ports 4)
  relay_conf "$T/r.ini" "$p" "rtp://127.0.0.1:$((p+2))" \
    "srt://127.0.0.1:$((p+1))?mode=listener"
  start_relay "$T/r.ini" "$p" || return 1
  ff_view "$T/view" "srt://127.0.0.1:$((p+1))" 5
  sleep 0.3
  ff_push "$T/push" rtp_mpegts "rtp://127.0.0.1:$((p+2))" 7
  wait_pid "${HF_PIDS[-2]}" 20 || fail "viewer did not finish"
  check_viewer "$T/view" $MIN_FRAMES "viewer decoded %n/150 frames" || return 1
  api "$p" /api/v1/streams/main > "$T/stats.json"
  jq -e ".inputs[0].loss_ratio == 0 and .inputs[0].packets_lost == 0" "$T/stats.json" > /dev/null || fail "loss on loopback"
}

# H.264 and AAC as separate RTP streams described by ffmpeg's SDP file.
test_rtp_sdp () {
  local p; p=$(free_ports 6)
  # The SDP must exist before the relay reads it: write it with a short push.
  ( ff_rtp_sdp 0.1 $((p+2)) $((p+4)) aac "$T/in.sdp" ) > /dev/null 2>&1
  relay_conf "$T/r.ini" "$p" "rtp://127.0.0.1:$((p+2))?sdp=$T/in.sdp" \
    "srt://127.0.0.1:$((p+1))?mode=listener"
  start_relay "$T/r.ini" "$p" || return 1
  ff_view "$T/view" "srt://127.0.0.1:$((p+1))" 5
  sleep 0.3
  bg "$T/push" ff_rtp_sdp 7 $((p+2)) $((p+4)) aac "$T/in.sdp"
  wait_pid "${HF_PIDS[-2]}" 20 || fail "viewer did not finish"
  check_viewer "$T/view" $MIN_FRAMES "viewer decoded %n/150 frames" || return 1
  api "$p" /api/v1/streams/main > "$T/stats.json"
  [ "$(json .audio_frames_out < "$T/stats.json")" -gt 200 ] || fail "no audio relayed"
}

# pusher -> origin -> edge (SRT caller) -> viewer; and origin -> edge over RTP.
test_origin_edge () {
  local p; p=$(free_ports 10)
  relay_conf "$T/origin.ini" "$p" "srt://127.0.0.1:$((p+1))?mode=listener" \
    "srt://127.0.0.1:$((p+2))?mode=listener;rtp://127.0.0.1:$((p+6))"
  relay_conf "$T/edge.ini" "$((p+3))" "srt://127.0.0.1:$((p+2))?mode=caller" \
    "srt://127.0.0.1:$((p+4))?mode=listener"
  relay_conf "$T/edge2.ini" "$((p+5))" "rtp://127.0.0.1:$((p+6))" \
    "srt://127.0.0.1:$((p+8))?mode=listener"
  # The SRT edge starts first: its caller input must keep retrying (with
  # backoff) until the origin is there.
  # (An SRT call gives up after libsrt's 3 s handshake time-out.)
  start_relay "$T/edge.ini" "$((p+3))" edge || return 1
  local retried=0
  for _ in $(seq 1 60); do
    [ "$(api "$((p+3))" /api/v1/streams/main | json .inputs[0].restarts)" -ge 1 ] &&
      { retried=1; break; }
    sleep 0.1
  done
  [ $retried = 1 ] || fail "the edge's caller did not retry while the origin was down"
  echo "  edge: $(api "$((p+3))" /api/v1/streams/main | jq -c '.inputs[0] | {state, restarts}') before the origin started"
  start_relay "$T/origin.ini" "$p" origin || return 1
  start_relay "$T/edge2.ini" "$((p+5))" edge2 || return 1
  for _ in $(seq 1 60); do
    [ "$(api "$p" /api/v1/streams/main | json .outputs[0].viewers)" = 1 ] && break
    sleep 0.1
  done
  ff_view "$T/view" "srt://127.0.0.1:$((p+4))" 5
  local v1=${HF_PIDS[-1]}
  ff_view "$T/view2" "srt://127.0.0.1:$((p+8))" 5
  local v2=${HF_PIDS[-1]}
  sleep 0.3
  ff_push "$T/push" mpegts "srt://127.0.0.1:$((p+1))?pkt_size=1316" 7
  wait_pid "$v1" 20 && wait_pid "$v2" 20 || fail "viewers did not finish"
  api "$((p+5))" /api/v1/streams/main > "$T/edge2.json"
  local n n2; n=$(frames_in "$T/view"); n2=$(frames_in "$T/view2")
  echo "  viewer via SRT edge decoded $n/150, via RTP edge $n2/150"
  [ "$n" -ge $MIN_FRAMES ] || fail "SRT edge: only $n frames"
  [ "$n2" -ge $MIN_FRAMES ] || fail "RTP edge: only $n2 frames"
  ! decode_errors "$T/view" || fail "decode errors (SRT edge)"
  ! decode_errors "$T/view2" || fail "decode errors (RTP edge)"
  [ "$(api "$p" /api/v1/streams/main | json .outputs[0].viewers)" = 1 ] || fail "origin should see the edge as its one viewer"
}

# The origin restarts mid-show: hf-push and the edge's SRT caller reconnect
# on their own, and the edge's viewer stays connected and sees pictures again.
test_edge_survives_origin_restart () {
  local p; p=$(free_ports 6)
  relay_conf "$T/origin.ini" "$p" "srt://127.0.0.1:$((p+1))?mode=listener" \
    "srt://127.0.0.1:$((p+2))?mode=listener"
  relay_conf "$T/edge.ini" "$((p+3))" "srt://127.0.0.1:$((p+2))?mode=caller" \
    "srt://127.0.0.1:$((p+4))?mode=listener"
  start_relay "$T/origin.ini" "$p" origin || return 1
  local origin=$HF_RELAY_PID
  start_relay "$T/edge.ini" "$((p+3))" edge || return 1
  ff_view "$T/view" "srt://127.0.0.1:$((p+4))" 9
  local viewer=${HF_PIDS[-1]}
  bg "$T/push" "$HF_BUILD/hf-push" "srt://127.0.0.1:$((p+1))" --width 640 \
    --height 360 --duration 20 --label ORIGIN
  sleep 3
  kill -TERM "$origin"; wait_pid "$origin" 10
  start_relay "$T/origin.ini" "$p" origin2 || return 1
  wait_pid "$viewer" 30 || fail "viewer did not finish"
  local n; n=$(frames_in "$T/view")
  api "$((p+3))" /api/v1/streams/main > "$T/edge.json"
  echo "  edge viewer decoded $n frames over 9 s of output across the origin restart;" \
    "edge input $(jq -c '.inputs[0] | {restarts, state}' "$T/edge.json")," \
    "switches $(jq .switches_total "$T/edge.json")"
  # ~3 s before the restart, and at least 2 s after it.
  [ "$n" -ge 150 ] || fail "only $n frames: the edge did not resume"
  ! decode_errors "$T/view" || fail "decode errors"
  local gap; gap=$(largest_gap_frames "$T/view")
  echo "  largest gap in the viewer's pictures: $gap frames ($((gap * 1000 / 30)) ms)"
  [ "$gap" -le 60 ] || fail "a gap of $gap frames"
  [ "$(jq .outputs[0].connections_total "$T/edge.json")" = 1 ] || fail "the viewer reconnected"
  [ "$(jq .inputs[0].restarts "$T/edge.json")" -ge 1 ] || fail "no caller restart counted"
}

# The primary carries AAC, the backup Opus (RTP + SDP): MPEG-TS cannot change
# a stream's type, so the program is replaced at the keyframe that takes the
# backup (new PAT/PMT version), without a mux error and without waiting for
# another GOP.  Connected and joining viewers' video goes on without error.
# (Audio is not checked: ffmpeg never changes the codec of an audio stream
# it has opened, and it fails to parse Opus that came in over ffmpeg's own
# RTP through GStreamer's depayloader and mux; see the README.)
test_codec_change_across_switch () {
  local p; p=$(free_ports 8)
  ( ff_rtp_sdp 0.1 $((p+3)) $((p+5)) libopus "$T/backup.sdp" ) > /dev/null 2>&1
  relay_conf "$T/r.ini" "$p" \
    "srt://127.0.0.1:$((p+1))?mode=listener;rtp://127.0.0.1:$((p+3))?sdp=$T/backup.sdp" \
    "srt://127.0.0.1:$((p+2))?mode=listener"
  start_relay "$T/r.ini" "$p" || return 1
  ff_view "$T/view" "srt://127.0.0.1:$((p+2))" 7
  local viewer=${HF_PIDS[-1]}
  sleep 0.3
  ff_push "$T/primary" mpegts "srt://127.0.0.1:$((p+1))?pkt_size=1316" 3
  sleep 1.5
  bg "$T/backup" ff_rtp_sdp 14 $((p+3)) $((p+5)) libopus "$T/backup.sdp"
  wait_pid "$viewer" 20 || fail "viewer did not finish"
  ff_view "$T/late" "srt://127.0.0.1:$((p+2))" 2
  wait_pid "${HF_PIDS[-1]}" 15 || fail "late viewer did not finish"
  api "$p" /api/v1/streams/main > "$T/stats.json"
  echo "  $(jq -c '{on_air, switches_total, program_restarts, program_error}' "$T/stats.json")"
  [ "$(json .on_air < "$T/stats.json")" = backup ] || fail "backup not on air"
  [ "$(json .program_restarts < "$T/stats.json")" -ge 1 ] || fail "no program rebuild"
  [ "$(json .program_error < "$T/stats.json")" = null ] || fail "the mux failed instead"
  check_viewer "$T/view" 150 "the connected viewer decoded %n video frames over 7 s across the AAC -> Opus switch" || return 1
  echo "  its largest gap: $(largest_gap_frames "$T/view") frames"
  check_viewer "$T/late" 57 "a viewer joining after it decoded %n/60 frames" || return 1
}

# A pusher that leaves and comes back is accepted again; the viewer stays.
test_pusher_reconnects () {
  local p; p=$(free_ports 3)
  relay_conf "$T/r.ini" "$p" "srt://127.0.0.1:$((p+1))?mode=listener" \
    "srt://127.0.0.1:$((p+2))?mode=listener"
  start_relay "$T/r.ini" "$p" || return 1
  ff_view "$T/view" "srt://127.0.0.1:$((p+2))" 7
  local viewer=${HF_PIDS[-1]}
  sleep 0.3
  ff_push "$T/push1" mpegts "srt://127.0.0.1:$((p+1))?pkt_size=1316" 3
  wait_pid "${HF_PIDS[-1]}" 15
  sleep 0.5
  ff_push "$T/push2" mpegts "srt://127.0.0.1:$((p+1))?pkt_size=1316" 6
  wait_pid "$viewer" 25 || fail "viewer did not finish"
  local n; n=$(frames_in "$T/view")
  echo "  one viewer decoded $n frames across two pusher sessions"
  # 3 s of the first pusher, then at least 2 s of the second.
  [ "$n" -ge 150 ] || fail "only $n frames: the second pusher was not relayed"
  ! decode_errors "$T/view" || fail "decode errors"
  api "$p" /api/v1/streams/main > "$T/stats.json"
  [ "$(json .inputs[0].restarts < "$T/stats.json")" -ge 1 ] || fail "no restart counted"
  [ "$(json .outputs[0].connections_total < "$T/stats.json")" = 1 ] || fail "the viewer reconnected"
}

# Three viewers at once, one joining mid-stream (it must start at once, from
# the cached GOP), and one leaving early without disturbing the others.
test_three_viewers () {
  local p; p=$(free_ports 3)
  relay_conf "$T/r.ini" "$p" "srt://127.0.0.1:$((p+1))?mode=listener" \
    "srt://127.0.0.1:$((p+2))?mode=listener"
  start_relay "$T/r.ini" "$p" || return 1
  ff_view "$T/v1" "srt://127.0.0.1:$((p+2))" 5; local a=${HF_PIDS[-1]}
  ff_view "$T/v2" "srt://127.0.0.1:$((p+2))" 5; local b=${HF_PIDS[-1]}
  ff_view "$T/leaver" "srt://127.0.0.1:$((p+2))" 1; local l=${HF_PIDS[-1]}
  sleep 0.3
  ff_push "$T/push" mpegts "srt://127.0.0.1:$((p+1))?pkt_size=1316" 9
  sleep 2.5
  local replayed; replayed=$(api "$p" /api/v1/streams/main | json .outputs[0].gop_bytes_replayed)
  local joined; joined=$(date +%s%N)
  # Short probing: ffmpeg's default 5 s analysis would hide what we measure.
  bg "$T/late" bash -c "timeout 10 ffmpeg -nostdin -v error -analyzeduration 500000 \
    -probesize 200000 -i 'srt://127.0.0.1:$((p+2))' \
    -map 0:v:0 -frames:v 1 -f framecrc - > '$T/late.frames'"
  local late=${HF_PIDS[-1]}
  ff_view "$T/v3" "srt://127.0.0.1:$((p+2))" 5; local c=${HF_PIDS[-1]}
  wait_pid "$late" 10
  local first_ms=$(( ($(date +%s%N) - joined) / 1000000 ))
  echo "  a late joiner decoded its first frame ${first_ms} ms after connecting"
  [ "$(frames_in "$T/late")" = 1 ] || fail "late joiner decoded nothing"
  [ "$first_ms" -lt 1500 ] || fail "late joiner waited $first_ms ms"
  local now_replayed; now_replayed=$(api "$p" /api/v1/streams/main | json .outputs[0].gop_bytes_replayed)
  echo "  it was sent $((now_replayed - replayed)) bytes of cached GOP on joining"
  [ "$now_replayed" -gt "$replayed" ] || fail "no GOP replayed to the late joiner"
  wait_pid "$a" 20 && wait_pid "$b" 20 && wait_pid "$c" 20 || fail "viewers did not finish"
  local v
  for v in v1 v2 v3; do
    check_viewer "$T/$v" $MIN_FRAMES "$v decoded %n/150 frames"
  done
  [ "$(frames_in "$T/leaver")" -ge 25 ] || fail "the early leaver got nothing"
  api "$p" /api/v1/streams/main > "$T/stats.json"
  echo "  output: $(jq -c '.outputs[0] | {viewers, connections_total, dropped_packets}' "$T/stats.json")"
  [ "$(json .outputs[0].connections_total < "$T/stats.json")" = 5 ] || fail "expected 5 connections"
  [ "$(json .outputs[0].dropped_packets < "$T/stats.json")" = 0 ] || fail "packets dropped"
}

# SRT with encryption and a stream id on both sides of the relay.
test_srt_passphrase () {
  local p; p=$(free_ports 3) pass=holdfast-secret-1
  relay_conf "$T/r.ini" "$p" \
    "srt://127.0.0.1:$((p+1))?mode=listener&passphrase=$pass&latency=200" \
    "srt://127.0.0.1:$((p+2))?mode=listener&passphrase=$pass"
  start_relay "$T/r.ini" "$p" || return 1
  # A viewer without the passphrase is refused; one with it decodes.
  timeout 5 ffmpeg -nostdin -v error -i "srt://127.0.0.1:$((p+2))" -t 1 -f null - \
    > "$T/nopass.log" 2>&1 && fail "a viewer without the passphrase got in"
  ff_view "$T/view" "srt://127.0.0.1:$((p+2))?passphrase=$pass" 5
  sleep 0.3
  ff_push "$T/push" mpegts "srt://127.0.0.1:$((p+1))?pkt_size=1316&passphrase=$pass&streamid=cam1" 7
  wait_pid "${HF_PIDS[-2]}" 20 || fail "viewer did not finish"
  check_viewer "$T/view" $MIN_FRAMES "encrypted viewer decoded %n/150 frames" || return 1
}

# Garbage to every input port and to the HTTP port: no crash, counted, and
# the stream keeps flowing.
test_garbage_does_not_hurt () {
  local p; p=$(free_ports 8)
  relay_conf "$T/r.ini" "$p" \
    "srt://127.0.0.1:$((p+1))?mode=listener;rtp://127.0.0.1:$((p+3));rtp://127.0.0.1:$((p+5))?sdp=$T/none.sdp" \
    "srt://127.0.0.1:$((p+2))?mode=listener"
  start_relay "$T/r.ini" "$p" || return 1
  ff_view "$T/view" "srt://127.0.0.1:$((p+2))" 5
  local viewer=${HF_PIDS[-1]}
  sleep 0.3
  ff_push "$T/push" mpegts "srt://127.0.0.1:$((p+1))?pkt_size=1316" 7
  sleep 1
  local i port
  for i in $(seq 1 300); do
    for port in $((p+1)) $((p+2)) $((p+3)) $((p+4)) $((p+5)) $((p+6)); do
      head -c $((RANDOM % 1400 + 1)) /dev/urandom > /dev/udp/127.0.0.1/$port 2>/dev/null
    done
    # RTP-looking packets (version 2, PT 33) with a payload that is not TS.
    { printf '\x80\x21\x00\x01\x00\x00\x00\x01\x00\x00\x00\x01'; head -c 200 /dev/urandom; } \
      > /dev/udp/127.0.0.1/$((p+3)) 2>/dev/null
  done
  for i in $(seq 1 20); do
    head -c 3000 /dev/urandom > /dev/tcp/127.0.0.1/$p 2>/dev/null
    printf 'BLAH /\x01\x02 HTTP/9.9\r\nHost\r\n\r\n' > /dev/tcp/127.0.0.1/$p 2>/dev/null
  done
  curl -s --max-time 2 -X POST "http://127.0.0.1:$p/api/v1/streams" > /dev/null
  wait_pid "$viewer" 20 || fail "viewer did not finish"
  kill -0 "$HF_RELAY_PID" || fail "holdfast died"
  check_viewer "$T/view" $MIN_FRAMES "viewer decoded %n/150 frames through the garbage" || return 1
  api "$p" /api/v1/streams/main > "$T/stats.json"
  local bad; bad=$(json .inputs[1].malformed_packets < "$T/stats.json")
  echo "  rtp input counted $bad malformed packets; server: $(api "$p" /api/v1/server | tr -d '\n ')"
  [ "$bad" -gt 0 ] || fail "malformed RTP not counted"
  [ "$(api "$p" /api/v1/server | json .http_bad_requests)" -gt 0 ] || fail "bad HTTP not counted"
}

# The API: stream list, one stream, 404 and 405 with JSON errors.
test_api () {
  local p; p=$(free_ports 3)
  relay_conf "$T/r.ini" "$p" "srt://127.0.0.1:$((p+1))?mode=listener" \
    "srt://127.0.0.1:$((p+2))?mode=listener"
  start_relay "$T/r.ini" "$p" || return 1
  [ "$(api "$p" /api/v1/streams | json .streams[0].name)" = main ] || fail "list"
  [ "$(api "$p" /api/v1/streams/main | json .inputs[0].state)" = idle ] || fail "idle input"
  local code
  code=$(curl -s -o "$T/404.json" -w '%{http_code}' "http://127.0.0.1:$p/api/v1/streams/nope")
  [ "$code" = 404 ] || fail "unknown stream gave $code"
  [ "$(json .error < "$T/404.json")" = "no stream named 'nope'" ] || fail "404 body"
  code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "http://127.0.0.1:$p/api/v1/streams/main")
  [ "$code" = 405 ] || fail "DELETE gave $code"
  # hfctl against the running relay, and against nothing.
  "$HF_BUILD/hfctl" --url "http://127.0.0.1:$p" status > "$T/hfctl.txt" 2>&1 ||
    fail "hfctl status failed: $(cat "$T/hfctl.txt")"
  grep -qE '^main +primary +idle' "$T/hfctl.txt" || fail "hfctl table: $(cat "$T/hfctl.txt")"
  local closed; closed=$(free_ports 1)
  HOLDFAST_URL="http://127.0.0.1:$closed" "$HF_BUILD/hfctl" status > "$T/hfctl-down.txt" 2>&1
  code=$?
  [ "$code" = 1 ] && grep -q 'cannot reach the relay' "$T/hfctl-down.txt" ||
    fail "hfctl against nothing: exit $code: $(cat "$T/hfctl-down.txt")"
}

# A bad config is refused with exit code 2 and a message naming group+key.
test_bad_config_refused () {
  local p out rc; p=$(free_ports 2)
  printf '[stream a]\ninputs = srt://:%s?mode=listener\nbogus = 1\n' "$p" > "$T/bad1.ini"
  printf '[stream a]\ninputs = http://x:1\n' > "$T/bad2.ini"
  printf '[stream a]\ninputs = rtp://127.0.0.1:%s;rtp://127.0.0.1:%s\n' "$p" "$((p+1))" > "$T/bad3.ini"
  printf '[stream a]\noutputs = srt://:%s\n' "$p" > "$T/bad4.ini"
  local f want
  for f in "bad1:[stream a] bogus" "bad2:[stream a] inputs" "bad3:[stream a] inputs" "bad4:[stream a] inputs"; do
    want=${f#*:}
    out=$("$HF_BUILD/holdfast" --config "$T/${f%%:*}.ini" 2>&1); rc=$?
    echo "  ${f%%:*}: exit $rc: $out"
    [ $rc = 2 ] || fail "${f%%:*}: exit $rc, want 2"
    [[ "$out" == *"$want"* ]] || fail "${f%%:*}: message does not name '$want'"
  done
}

# hf-push (our own test streamer) -> holdfast over SRT and RTP.
test_hf_push () {
  local p; p=$(free_ports 5)
  relay_conf "$T/r.ini" "$p" "srt://127.0.0.1:$((p+1))?mode=listener;rtp://127.0.0.1:$((p+3))" \
    "srt://127.0.0.1:$((p+2))?mode=listener"
  start_relay "$T/r.ini" "$p" || return 1
  ff_view "$T/view" "srt://127.0.0.1:$((p+2))" 4
  local viewer=${HF_PIDS[-1]}
  bg "$T/push" "$HF_BUILD/hf-push" "srt://127.0.0.1:$((p+1))" --width 640 --height 360 --duration 6 --label primary
  bg "$T/push2" "$HF_BUILD/hf-push" "rtp://127.0.0.1:$((p+3))" --width 640 --height 360 --duration 6 --label backup
  wait_pid "$viewer" 20 || fail "viewer did not finish"
  check_viewer "$T/view" 114 "viewer decoded %n/120 frames from hf-push" || return 1
  api "$p" /api/v1/streams/main > "$T/stats.json"
  [ "$(json .inputs[1].state < "$T/stats.json")" = live ] || fail "RTP hf-push not live"
}

# The primary pusher's uplink dies (SIGKILL: no goodbye on the wire): the
# viewer decodes on from the backup with no error, the largest gap in its
# pictures' timeline is at most 300 ms, it stays connected, and the events
# say what happened.
test_failover_kill_primary () {
  local p; p=$(free_ports 4)
  relay_conf "$T/r.ini" "$p" \
    "srt://127.0.0.1:$((p+1))?mode=listener;srt://127.0.0.1:$((p+2))?mode=listener" \
    "srt://127.0.0.1:$((p+3))?mode=listener" "input-names = primary;backup"
  start_relay "$T/r.ini" "$p" || return 1
  ff_push "$T/primary" mpegts "srt://127.0.0.1:$((p+1))?pkt_size=1316" 12
  local primary=${HF_PIDS[-1]}
  # The backup a moment later: whichever delivers first goes on air, and a
  # primary that comes second returns only after revert-after-s.
  sleep 0.7
  ff_push_src "$T/backup" "srt://127.0.0.1:$((p+2))?pkt_size=1316" 12 testsrc
  sleep 0.5
  [ "$(api "$p" /api/v1/streams/main | json .on_air)" = primary ] || fail "the primary is not on air"
  ff_view_timed "$T/view" "srt://127.0.0.1:$((p+3))" 6
  local viewer=${HF_PIDS[-1]}
  sleep 2.3
  kill_tree "$primary"
  wait_pid "$viewer" 20 || fail "viewer did not finish"
  check_viewer "$T/view" 170 "the viewer decoded %n frames over 6 s, across the failover" || return 1
  local gap wall; gap=$(largest_gap_frames "$T/view"); wall=$(largest_wall_gap_ms "$T/view")
  echo "  largest gap: $gap frames missing from the viewer's timeline; $wall ms between two decoded frames (limit 300 ms)"
  [ "$gap" -le 9 ] || fail "gap of $gap frames"
  [ "$wall" -le 300 ] || fail "the viewer waited $wall ms for a picture"
  api "$p" /api/v1/streams/main > "$T/stats.json"
  echo "  $(jq -c '{on_air, failovers_total, gop_cache_takes_total, output_lead_ms, health: [.inputs[].health]}' "$T/stats.json")"
  [ "$(json .on_air < "$T/stats.json")" = backup ] || fail "backup not on air"
  [ "$(json .failovers_total < "$T/stats.json")" = 1 ] || fail "failovers_total != 1"
  [ "$(json '.inputs[0].health' < "$T/stats.json")" = lost ] || fail "primary not lost"
  [ "$(json '.outputs[0].connections_total' < "$T/stats.json")" = 1 ] || fail "the viewer reconnected"
  events "$p" > "$T/events.txt"
  sed 's/^/  event: /' "$T/events.txt"
  grep -q '^input_state primary healthy lost' "$T/events.txt" || fail "no lost event"
  grep -q '^switch null primary backup' "$T/events.txt" || fail "no switch event"
}

# Both pushers die: the slate is on air within 500 ms and the viewer keeps
# decoding; the primary comes back: live pictures return; one connection.
# (A pusher killed without a goodbye holds its SRT listener until the
# relay's SRT peer-idle timeout, 5 s: the new one comes after that.)
test_slate_when_all_inputs_die () {
  local p; p=$(free_ports 4)
  relay_conf "$T/r.ini" "$p" \
    "srt://127.0.0.1:$((p+1))?mode=listener;srt://127.0.0.1:$((p+2))?mode=listener" \
    "srt://127.0.0.1:$((p+3))?mode=listener" "input-names = primary;backup"
  start_relay "$T/r.ini" "$p" || return 1
  ff_push "$T/primary" mpegts "srt://127.0.0.1:$((p+1))?pkt_size=1316" 20
  local primary=${HF_PIDS[-1]}
  ff_push_src "$T/backup" "srt://127.0.0.1:$((p+2))?pkt_size=1316" 20 testsrc
  local backup=${HF_PIDS[-1]}
  sleep 1.5   # the slate is encoded to the live format meanwhile
  ff_view_corner "$T/view" "srt://127.0.0.1:$((p+3))" 11
  local viewer=${HF_PIDS[-1]}
  sleep 1.5
  kill_tree "$primary"
  sleep 1
  kill_tree "$backup"
  sleep 6
  ff_push "$T/primary2" mpegts "srt://127.0.0.1:$((p+1))?pkt_size=1316" 10
  wait_pid "$viewer" 25 || fail "viewer did not finish"
  check_viewer "$T/view" 310 "the viewer decoded %n frames over 11 s: live, slate, live" || return 1
  local r; r=($(slate_runs "$T/view"))
  echo "  viewer: ${r[3]} slate pictures; last live picture at ${r[1]} ms, slate from ${r[0]} ms, live again at ${r[2]} ms (PTS)"
  [ "${r[3]}" -ge 30 ] || { fail "no slate run in the viewer's pictures"; return 1; }
  echo "  viewer: last live picture -> slate: $((r[0] - r[1])) ms of timeline (limit 500)"
  [ $((r[0] - r[1])) -le 500 ] || fail "slate came $((r[0] - r[1])) ms after the last live picture"
  [ "${r[2]}" -gt "${r[0]}" ] || fail "live pictures did not return"
  api "$p" /api/v1/streams/main > "$T/stats.json"
  echo "  $(jq -c '{on_air, failovers_total, slate_seconds_total, slate: .slate | {ready, width, height, audio, encode_ms}}' "$T/stats.json")"
  [ "$(json .on_air < "$T/stats.json")" = primary ] || fail "primary not back on air"
  [ "$(json '.outputs[0].connections_total' < "$T/stats.json")" = 1 ] || fail "the viewer reconnected"
  events "$p" > "$T/events.txt"
  sed 's/^/  event: /' "$T/events.txt"
  local lost on; lost=$(awk '$1 == "input_state" && $2 == "backup" && $4 == "lost" {print $5; exit}' "$T/events.txt")
  on=$(awk '$1 == "slate_on" {print $5; exit}' "$T/events.txt")
  [ -n "$on" ] || { fail "no slate_on event"; return 1; }
  echo "  relay: backup lost -> slate on air: $((on - lost)) ms"
  grep -q '^slate_off null slate primary' "$T/events.txt" || fail "no slate_off to primary"
}

# An operator's switch through the API: done at once from the backup's
# GOP, pinned while it lives, "auto" releases it; bad requests are refused.
test_manual_switch_api () {
  local p; p=$(free_ports 4)
  relay_conf "$T/r.ini" "$p" \
    "srt://127.0.0.1:$((p+1))?mode=listener;srt://127.0.0.1:$((p+2))?mode=listener" \
    "srt://127.0.0.1:$((p+3))?mode=listener" "input-names = primary;backup" "revert-after-s = 1"
  start_relay "$T/r.ini" "$p" || return 1
  ff_push "$T/primary" mpegts "srt://127.0.0.1:$((p+1))?pkt_size=1316" 10
  ff_push_src "$T/backup" "srt://127.0.0.1:$((p+2))?pkt_size=1316" 10 testsrc
  sleep 1
  ff_view "$T/view" "srt://127.0.0.1:$((p+3))" 6
  local viewer=${HF_PIDS[-1]}
  sleep 1.5
  local url="http://127.0.0.1:$p/api/v1/streams/main/switch" a
  a=$(curl -s -X POST -d '{"input": "backup"}' "$url"); echo "  POST backup: $(echo "$a" | jq -c .)"
  [ "$(echo "$a" | json .result)" = done ] || fail "switch not done"
  sleep 2   # revert-after-s = 1 must not undo an operator's pin
  [ "$(api "$p" /api/v1/streams/main | json .on_air)" = backup ] || fail "the pin did not hold"
  a=$(curl -s -X POST -d '{"input": "backup"}' "$url"); echo "  POST backup again: $(echo "$a" | jq -c .)"
  [ "$(echo "$a" | json .result)" = already ] || fail "not 'already'"
  a=$(curl -s -X POST -d '{"input": "auto"}' "$url"); echo "  POST auto: $(echo "$a" | jq -c .)"
  [ "$(echo "$a" | json .result)" = auto ] || fail "not 'auto'"
  [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{"input": "nosuch"}' "$url")" = 404 ] || fail "unknown input not 404"
  [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d 'not json' "$url")" = 400 ] || fail "bad body not 400"
  wait_pid "$viewer" 20 || fail "viewer did not finish"
  check_viewer "$T/view" 170 "the viewer decoded %n frames over 6 s across two operator switches" || return 1
  local gap; gap=$(largest_gap_frames "$T/view")
  echo "  largest gap: $gap frames"
  [ "$gap" -le 9 ] || fail "gap of $gap frames"
  [ "$(api "$p" /api/v1/streams/main | json .on_air)" = primary ] || fail "auto did not go back to the primary"
  events "$p" | grep -E '^(manual|revert)' | sed 's/^/  event: /'
}

# Merge mode: one RTP/MPEG-TS stream sent over two paths (the same packets),
# one of which drops 30% at random: the merged input loses nothing, and the
# viewer decodes every frame.
test_merge_loses_nothing () {
  local p; p=$(free_ports 6)
  relay_conf "$T/r.ini" "$p" "rtp://127.0.0.1:$((p+1));rtp://127.0.0.1:$((p+3))" \
    "srt://127.0.0.1:$((p+5))?mode=listener" "input-names = lossy;clean" "merge = true"
  start_relay "$T/r.ini" "$p" || return 1
  ff_view "$T/view" "srt://127.0.0.1:$((p+5))" 5
  local viewer=${HF_PIDS[-1]}
  sleep 0.3
  bg "$T/sender.log" timeout 20 gst-launch-1.0 -q videotestsrc is-live=true \
    num-buffers=210 pattern=ball ! video/x-raw,width=640,height=360,framerate=30/1 ! \
    x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 bitrate=1500 ! \
    h264parse ! mpegtsmux alignment=7 ! rtpmp2tpay ! tee name=t \
    t. ! queue ! identity drop-probability=0.3 ! udpsink host=127.0.0.1 port=$((p+1)) \
    t. ! queue ! udpsink host=127.0.0.1 port=$((p+3))
  wait_pid "$viewer" 20 || fail "viewer did not finish"
  api "$p" /api/v1/streams/main > "$T/stats.json"
  check_viewer "$T/view" "$MIN_FRAMES" "the viewer decoded %n/150 frames" || return 1
  echo "  $(jq -c '.inputs[0] | {name, packets, packets_lost, paths: [.paths[] | {name, packets, first_copies, duplicates}]}' "$T/stats.json")"
  local lost a b
  lost=$(json '.inputs[0].packets_lost' < "$T/stats.json")
  a=$(json '.inputs[0].paths[0].packets' < "$T/stats.json")
  b=$(json '.inputs[0].paths[1].packets' < "$T/stats.json")
  [ "$lost" = 0 ] || fail "$lost packets lost after the merge"
  [ "$b" -gt 100 ] || fail "the clean path carried only $b packets"
  [ $((a * 100 / b)) -le 80 ] || fail "the lossy path was not lossy ($a of $b)"
  echo "  lossy path carried $((a * 100 / b))% of the packets; lost after the merge: $lost"
}

# ---- runner ------------------------------------------------------------------

ALL=(srt_push_pull video_only_input rtp_ts rtp_sdp origin_edge
     edge_survives_origin_restart codec_change_across_switch pusher_reconnects
     three_viewers
     srt_passphrase garbage_does_not_hurt api bad_config_refused hf_push
     failover_kill_primary slate_when_all_inputs_die manual_switch_api
     merge_loses_nothing)
# The drill tools' tests live in files of their own (t-*.sh), each adding
# its test names to ALL.
for f in tests/e2e/t-*.sh; do [ -e "$f" ] && . "$f"; done
SELECTED=(${HF_E2E_ONLY:-${ALL[@]}})
passed=0; failed=0; failures=()
for t in "${SELECTED[@]}"; do
  T="$ARTIFACTS/$t"; mkdir -p "$T"
  start=$(date +%s%N)
  echo "e2e: $t"
  # Each test runs in a subshell with a hard time limit.
  ( set +e; trap cleanup_pids EXIT; "test_$t" ) > "$T/output.txt" 2>&1 &
  tp=$!
  ( sleep 90; kill -TERM $tp 2>/dev/null; pkill -P $tp 2>/dev/null ) & wd=$!
  wait $tp; rc=$?
  kill $wd 2>/dev/null; wait $wd 2>/dev/null
  # Any sanitizer report in a relay's log fails the test.
  if grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T"/*.log > /dev/null 2>&1; then
    echo "FAIL: sanitizer report in $(grep -l -E 'Sanitizer|runtime error:' "$T"/*.log | tr '\n' ' ')" >> "$T/output.txt"
    grep -h -A12 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T"/*.log | head -40 >> "$T/output.txt"
  fi
  sed 's/^/  /' "$T/output.txt" | grep -v '^  $' | head -40
  if [ $rc = 0 ] && ! grep -q '^FAIL' "$T/output.txt"; then
    passed=$((passed + 1)); echo "  ok ($(( ($(date +%s%N) - start) / 1000000 )) ms)"
  else
    failed=$((failed + 1)); failures+=("$t"); echo "  FAILED (logs in $T)"
  fi
done
[ $failed = 0 ] || echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
