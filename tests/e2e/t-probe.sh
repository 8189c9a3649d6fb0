# shellcheck shell=bash
# End-to-end tests of hf-probe (sourced by tests/e2e/run.sh): real streams
# over real sockets.  An injected 500 ms freeze is measured to within a
# frame interval and is the only freeze; a PTS that goes back is reported;
# live -> slate -> live through a real relay is seen as screen changes
# from the pictures' marks; a relay restart is a disconnect and a
# reconnect, and the probe goes on.

ALL+=(probe_freeze probe_backwards probe_live_slate_live probe_reconnects)

# probe_bg NAME ARGS...: starts hf-probe in the background, its JSON lines
# in $T/NAME.jsonl and its messages in $T/NAME.log; HF_PROBE_PID is its pid.
probe_bg () {
  local name=$1; shift
  bg "$T/$name.log" bash -c 'out=$1; shift; exec "$@" > "$out"' _ \
    "$T/$name.jsonl" "$HF_BUILD/hf-probe" "$@"
  HF_PROBE_PID=${HF_PIDS[-1]}
}

# probe_wait NAME PATTERN SECONDS: waits until a line of the probe's
# matches the grep PATTERN; fails after SECONDS.
probe_wait () {
  local i
  for i in $(seq 1 $(($3 * 10))); do
    grep -q "$2" "$T/$1.jsonl" 2>/dev/null && return 0
    sleep 0.1
  done
  fail "$1: no line matching $2 within $3 s"
}

# probe_summary NAME: the summary line, compact; fails without one.
probe_summary () {
  grep '"type":"summary"' "$T/$1.jsonl" | jq -c . | grep . ||
    { fail "$1: no summary line"; tail -3 "$T/$1.log"; return 1; }
}

# probe_lines NAME TYPE: the lines of TYPE, compact, one per line.
probe_lines () { grep "\"type\":\"$2\"" "$T/$1.jsonl" | jq -c 'del(.mono_ms)'; }

# 500 ms of pictures (15 frames at 30 fps) are missing from a stream sent
# in real time over UDP; their timestamps keep the gap, as a relay that
# lost them would.  One freeze of 500 ms +- one interval, 15 frames lost,
# and no other freeze (none open at the end either: the probe stops first).
test_probe_freeze () {
  local p s; p=$(free_ports 1)
  ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=640x360:rate=30 -t 7 \
    -vf "select='not(between(n\,60\,74))'" -fps_mode passthrough \
    -c:v libx264 -g 30 -tune zerolatency -preset ultrafast -b:v 1000k \
    -f mpegts "$T/gap.ts" || { fail "cannot make the stream"; return 1; }
  probe_bg probe --duration 6 --label gap "udp://127.0.0.1:$p"
  sleep 0.3
  bg "$T/send.log" timeout 15 ffmpeg -nostdin -v error -re -i "$T/gap.ts" \
    -c copy -f mpegts "udp://127.0.0.1:$p?pkt_size=1316"
  wait_pid "$HF_PROBE_PID" 15 || fail "the probe did not stop"
  s=$(probe_summary probe) || return 1
  echo "  summary: $(echo "$s" | jq -c '{frames_decoded, freezes, max_freeze_ms, open_freeze_ms, decode_errors, screen}')"
  probe_lines probe freeze | sed 's/^/  /'
  [ "$(grep -c '"type":"freeze"' "$T/probe.jsonl")" = 1 ] || fail "not exactly one freeze"
  echo "$s" | jq -e '.freezes == 1 and .max_freeze_ms >= 467 and .max_freeze_ms <= 533' > /dev/null ||
    fail "the freeze is not 500 ms +- 33"
  probe_lines probe freeze | jq -e '.frames_lost == 15 and .open == false and .label == "gap"' > /dev/null ||
    fail "the freeze does not say 15 frames lost"
  echo "$s" | jq -e '.frames_decoded >= 100 and .decode_errors == 0 and .screen == "other"' > /dev/null ||
    fail "frames or decode errors off"
}

# The PTS goes back 20 s in the middle of a stream (two recordings spliced,
# sent over SRT paced by their PCR): reported as "backwards".
test_probe_backwards () {
  local p s; p=$(free_ports 1)
  ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=640x360:rate=30 -t 2 \
    -c:v libx264 -g 30 -tune zerolatency -preset ultrafast -b:v 1000k \
    -output_ts_offset 20 -f mpegts "$T/a.ts" &&
  ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=640x360:rate=30 -t 2 \
    -c:v libx264 -g 30 -tune zerolatency -preset ultrafast -b:v 1000k \
    -f mpegts "$T/b.ts" || { fail "cannot make the stream"; return 1; }
  cat "$T/a.ts" "$T/b.ts" > "$T/ab.ts"
  bg "$T/send.log" timeout 15 gst-launch-1.0 -q filesrc location="$T/ab.ts" \
    ! tsparse set-timestamps=true alignment=7 \
    ! srtsink uri="srt://127.0.0.1:$p?mode=listener" sync=true
  sleep 0.3
  probe_bg probe --duration 6 "srt://127.0.0.1:$p"
  wait_pid "$HF_PROBE_PID" 15 || fail "the probe did not stop"
  s=$(probe_summary probe) || return 1
  echo "  summary: $(echo "$s" | jq -c '{frames_decoded, backwards, freezes, decode_errors, disconnects}')"
  probe_lines probe backwards | sed 's/^/  /'
  probe_lines probe backwards | jq -e '.pts_delta_ms < 0' > /dev/null || fail "no backwards line"
  echo "$s" | jq -e '.backwards == 1 and .frames_decoded >= 90' > /dev/null ||
    fail "the summary does not count one backwards step"
  # The player carries on across the step: it is not a freeze.
  echo "$s" | jq -e '.freezes == 0' > /dev/null || fail "the backwards step read as a freeze"
  grep -q '"type":"connected"' "$T/probe.jsonl" || fail "no connected line"
}

# Through a real relay: hf-push (LIVE marks) on air, it stops, the relay's
# builtin slate (SLATE marks), a new hf-push.  The probe sees live -> slate
# -> live, a new pusher (its counter starts again), the slate for seconds,
# the picture standing still at most while the relay waits to call the
# pusher lost (input-timeout-ms, 250), and its one connection never drops;
# a SIGINT ends it with a summary.
test_probe_live_slate_live () {
  local p s; p=$(free_ports 3)
  relay_conf "$T/r.ini" "$p" "srt://127.0.0.1:$((p+1))?mode=listener" \
    "srt://127.0.0.1:$((p+2))?mode=listener"
  start_relay "$T/r.ini" "$p" || return 1
  bg "$T/push1.log" "$HF_BUILD/hf-push" "srt://127.0.0.1:$((p+1))" \
    --width 640 --height 360 --label FIRST
  local push1=${HF_PIDS[-1]}
  probe_bg probe --label viewer "srt://127.0.0.1:$((p+2))"
  probe_wait probe '"to":"live"' 10 || return 1
  # The slate is encoded to the live format meanwhile.
  sleep 2
  # A clean stop: the relay's listener is free for the next pusher at once.
  kill -INT "$push1"; wait_pid "$push1" 5
  probe_wait probe '"to":"slate"' 5 || return 1
  sleep 2
  bg "$T/push2.log" "$HF_BUILD/hf-push" "srt://127.0.0.1:$((p+1))" \
    --width 640 --height 360 --label SECOND
  probe_wait probe '"from":"slate","to":"live"' 10 || return 1
  sleep 1
  kill -INT "$HF_PROBE_PID"
  wait_pid "$HF_PROBE_PID" 10 || fail "the probe did not stop on SIGINT"
  s=$(probe_summary probe) || return 1
  echo "  summary: $(echo "$s" | jq -c '{frames_decoded, live_frames, slate_frames, slate_s, freezes, max_freeze_ms, live_frames_lost, source_changes, latency_median_ms, disconnects}')"
  probe_lines probe screen | sed 's/^/  /'
  [ "$(probe_lines probe screen | jq -r .to | tr '\n' ' ')" = "live slate live " ] ||
    fail "screen changes are not live, slate, live"
  echo "$s" | jq -e '.slate_frames >= 45 and .live_frames >= 60 and .source_changes == 1
      and .disconnects == 0 and .decode_errors == 0 and .latency_median_ms > 0
      and .label == "viewer"' > /dev/null ||
    fail "summary off"
  # The relay keeps the pictures coming across both switches.
  echo "$s" | jq -e '.max_freeze_ms < 300' > /dev/null || fail "a freeze across a switch"
  events "$p" | sed 's/^/  event: /'
}

# The relay restarts under a connected probe (and its pusher): the probe
# says disconnect, then reconnect, keeps counting, and its pictures are
# live again afterwards.
test_probe_reconnects () {
  local p s relay; p=$(free_ports 3)
  relay_conf "$T/r.ini" "$p" "srt://127.0.0.1:$((p+1))?mode=listener" \
    "srt://127.0.0.1:$((p+2))?mode=listener"
  start_relay "$T/r.ini" "$p" || return 1
  relay=$HF_RELAY_PID
  bg "$T/push.log" "$HF_BUILD/hf-push" "srt://127.0.0.1:$((p+1))" \
    --width 640 --height 360
  probe_bg probe --frames "srt://127.0.0.1:$((p+2))"
  probe_wait probe '"to":"live"' 10 || return 1
  sleep 1
  kill -TERM "$relay"; wait_pid "$relay" 10
  probe_wait probe '"type":"disconnect"' 10 || return 1
  start_relay "$T/r.ini" "$p" relay2 || return 1
  probe_wait probe '"type":"reconnect"' 10 || return 1
  sleep 2
  kill -INT "$HF_PROBE_PID"
  wait_pid "$HF_PROBE_PID" 10 || fail "the probe did not stop on SIGINT"
  s=$(probe_summary probe) || return 1
  echo "  summary: $(echo "$s" | jq -c '{frames_decoded, disconnects, reconnects, freezes, max_freeze_ms, live_frames_lost, source_changes, screen}')"
  probe_lines probe disconnect | sed 's/^/  /'
  probe_lines probe reconnect | sed 's/^/  /'
  echo "$s" | jq -e '.disconnects == 1 and .reconnects == 1 and .screen == "live"
      and .freezes >= 1' > /dev/null || fail "no disconnect/reconnect, or not live after it"
  # The same pusher throughout: its pictures after the relay's restart are
  # not a new source.
  echo "$s" | jq -e '.source_changes == 0' > /dev/null ||
    fail "the relay's restart read as a new source"
  # Pictures after the reconnection.
  local last_reconnect last_frame
  last_reconnect=$(grep '"type":"reconnect"' "$T/probe.jsonl" | jq .mono_ms)
  last_frame=$(echo "$s" | jq .last_frame_mono_ms)
  [ "$last_frame" -gt "$((last_reconnect + 1000))" ] || fail "no pictures after the reconnection"
}
