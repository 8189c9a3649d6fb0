#!/usr/bin/env bash
# `make run`: starts the demo relay (tools/demo.ini) and two hf-push test
# streams, a primary over SRT and a backup over RTP, each through its own
# hf-linkem link (so that a drill can sever or degrade it), and a webhook
# receiver (hf-hooksink) for the relay's alerts; then says how to watch.
# Ctrl-C stops everything it started.
set -u
B=${1:-build}
cd "$(dirname "$0")/.."

for port in 8080/tcp 8090/tcp 9000/udp 9001/udp 9011/udp 5004/udp 5005/udp \
    5014/udp 5015/udp; do
  p=${port%/*}
  if [ "${port#*/}" = tcp ] && ss -Hltn "sport = :$p" | grep -q . ||
     [ "${port#*/}" = udp ] && ss -Hlun "sport = :$p" | grep -q .; then
    echo "make run: port $port is in use (another demo still running?)" >&2
    exit 1
  fi
done

pids=()
stop () {
  trap - INT TERM EXIT
  echo
  echo "make run: stopping the demo"
  kill "${pids[@]}" 2>/dev/null
  wait 2>/dev/null
  exit 0
}
trap stop INT TERM EXIT

"$B/holdfast" --config tools/demo.ini &
pids+=($!)
for _ in $(seq 1 100); do
  curl -sf http://127.0.0.1:8080/api/v1/server > /dev/null && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "make run: holdfast failed to start" >&2; exit 1; }
  sleep 0.1
done

# The pushers reach the relay through hf-linkem: primary 9011 -> 9001,
# backup 5014 -> 5004 (and its RTCP, 5015 -> 5005).
SOCK=$PWD/$B/demo-linkem.sock
"$B/hf-linkem" --ctl "$SOCK" run 'primary=127.0.0.1:9011>127.0.0.1:9001' \
  'backup=127.0.0.1:5014>127.0.0.1:5004*2' > "$B/demo-linkem.log" 2>&1 &
pids+=($!)
"$B/hf-hooksink" --port 8090 > "$B/demo-webhooks.jsonl" 2> "$B/demo-hooksink.log" &
pids+=($!)
for _ in $(seq 1 50); do
  grep -q ready "$B/demo-linkem.log" 2>/dev/null && break
  sleep 0.1
done

"$B/hf-push" 'srt://127.0.0.1:9011' --label PRIMARY --pattern smpte &
pids+=($!)
"$B/hf-push" 'rtp://127.0.0.1:5014' --label BACKUP --pattern ball --fec auto \
  --rtx on --max-bitrate 2000 &
pids+=($!)

cat <<MSG

  Holdfast demo is running: stream "demo", primary over SRT, backup over RTP,
  each pushed through an hf-linkem link.

  Dashboard:  http://127.0.0.1:8080/
  Watch:      ffplay -fflags nobuffer 'srt://127.0.0.1:9000'
  Status:     $B/hfctl watch          (or status, events -f, alerts)
  Metrics:    curl http://127.0.0.1:8080/metrics
  Webhooks:   tail -f $B/demo-webhooks.jsonl    (alerts the relay POSTs)

  Try a failover: sever the primary's link and the backup is on air 250 ms
  later (and the webhook tells you):
                         $B/hf-linkem --ctl $SOCK ctl primary sever
                         $B/hf-linkem --ctl $SOCK ctl primary restore
  Or kill the pushers:   kill -9 ${pids[3]}   (primary)   kill -9 ${pids[4]}   (backup)
  Run a drill against the demo and watch it on the dashboard:
                         HF_LINKEM_CTL=$SOCK HF_DRILL_ORIGIN_API=http://127.0.0.1:8080 \\
                         HF_DRILL_ORIGIN_VIEW=srt://127.0.0.1:9000 \\
                           $B/hf-drill run tools/drills/kill-primary.ini
  Switch by hand:        $B/hfctl switch demo backup     ($B/hfctl switch demo auto)
  Make the backup's link lossy and narrow, and watch FEC, retransmissions
  and the bitrate follow (fec_recovered, rtx_received, target_bitrate_bps):
                         $B/hf-linkem --ctl $SOCK ctl backup fwd loss 5% rate 800kbit
                         $B/hf-linkem --ctl $SOCK ctl backup restore

  Ctrl-C stops the demo.

MSG
wait "${pids[0]}"
