# shellcheck shell=bash
# End-to-end test of the rendition ladder (sourced by tests/e2e/run.sh): an
# origin with `ladder = 1200k,600k,300k` serves an SRT viewer through
# hf-linkem; once the viewer is watching, the link's rate is capped below
# the top rung (with a deep queue, as a real bottleneck has): the output
# must step down (its JSON shows the rung changed, rung_switches >= 1) and
# the viewer must keep decoding, with no decode error, across the switch.
#
#   HF_E2E_ONLY=ladder_steps_down_on_capped_link tests/e2e/run.sh

ALL+=(ladder_steps_down_on_capped_link)

# ladder_linkem LINKSPEC: hf-linkem with a control socket in $T.
ladder_linkem () {
  LADDER_CTL=$T/linkem.sock
  bg "$T/linkem.log" "$HF_BUILD/hf-linkem" --ctl "$LADDER_CTL" --seed 7 run "$@"
  HF_RELAYS+=("${HF_PIDS[-1]}")
  for _ in $(seq 1 100); do
    grep -q '^hf-linkem: ready$' "$T/linkem.log" && return 0
    sleep 0.05
  done
  fail "hf-linkem did not come up"; return 1
}

test_ladder_steps_down_on_capped_link () {
  local p; p=$(free_ports 4)
  # SRT latency 3 s (the URL's is in ms; ffmpeg's in us): room to repair
  # what the cap costs before the output has stepped down.
  relay_conf "$T/r.ini" "$p" "srt://127.0.0.1:$((p+1))?mode=listener" \
    "srt://127.0.0.1:$((p+2))?mode=listener&latency=3000" \
    "ladder = 1200k,600k,300k"
  start_relay "$T/r.ini" "$p" || return 1
  ladder_linkem "view=127.0.0.1:$((p+3))>127.0.0.1:$((p+2))" || return 1
  ff_push "$T/push" mpegts "srt://127.0.0.1:$((p+1))?pkt_size=1316" 17
  sleep 1.5
  ff_view "$T/view" "srt://127.0.0.1:$((p+3))?latency=3000000" 13
  local viewer=${HF_PIDS[-1]}
  sleep 3
  api "$p" /api/v1/streams/main > "$T/before.json"
  [ "$(json '.outputs[0].rung' < "$T/before.json")" = 0 ] ||
    fail "the output did not start on the top rung"
  # 1 Mbit/s: the top rung (1.2 Mbit/s of video, plus audio) does not fit.
  "$HF_BUILD/hf-linkem" --ctl "$LADDER_CTL" ctl view rev rate 1000kbit \
    queue 1000ms > /dev/null || fail "hf-linkem ctl failed"
  local switched=0
  for _ in $(seq 1 50); do
    api "$p" /api/v1/streams/main > "$T/after.json"
    [ "$(json '.outputs[0].rung_switches' < "$T/after.json")" -ge 1 ] &&
      { switched=1; break; }
    sleep 0.1
  done
  echo "  output after the cap: $(jq -c '.outputs[0] | {rung, rung_bitrate_bps, rung_switches}' "$T/after.json")"
  [ $switched = 1 ] || fail "the output did not change rung within 5 s of the cap"
  [ "$(json '.outputs[0].rung' < "$T/after.json")" -ge 1 ] ||
    fail "the output is not below the top rung"
  api "$p" /api/v1/events > "$T/events.json"
  echo "  event: $(jq -c '[.events[] | select(.type == "rung_change")][0] | {type, input, from, to, reason}' "$T/events.json")"
  [ "$(jq '[.events[] | select(.type == "rung_change")] | length' "$T/events.json")" -ge 1 ] ||
    fail "no rung_change event"
  wait_pid "$viewer" 25 || fail "viewer did not finish"
  api "$p" /metrics > "$T/metrics.txt"
  grep -E '^holdfast_output_rung(_switches_total)?\{' "$T/metrics.txt" | sed 's/^/  /'
  grep -qE '^holdfast_output_rung_switches_total\{.*\} [1-9]' "$T/metrics.txt" ||
    fail "/metrics shows no rung switch"
  # 13 s at 30 frames/s: 390; at least 95% must decode, without error.
  check_viewer "$T/view" 370 "viewer decoded %n/390 frames across the switch"
}
