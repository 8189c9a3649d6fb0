#!/usr/bin/env bash
# `make run`: starts the demo relay (tools/demo.ini) and two hf-push test
# streams, a primary over SRT and a backup over RTP, then says how to watch.
# Ctrl-C stops everything it started.
set -u
B=${1:-build}
cd "$(dirname "$0")/.."

for port in 8080/tcp 9000/udp 9001/udp 5004/udp 5005/udp; do
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

"$B/hf-push" 'srt://127.0.0.1:9001' --label PRIMARY --pattern smpte &
pids+=($!)
"$B/hf-push" 'rtp://127.0.0.1:5004' --label BACKUP --pattern ball &
pids+=($!)

cat <<MSG

  Holdfast demo is running: stream "demo", primary over SRT, backup over RTP.

  Watch:      ffplay -fflags nobuffer 'srt://127.0.0.1:9000'
              vlc 'srt://127.0.0.1:9000'
  Status:     $B/hfctl status
  API:        curl http://127.0.0.1:8080/api/v1/streams/demo

  Try a failover: kill the primary pusher and the backup is on air 250 ms
  later:                 kill -9 ${pids[1]}
  Then the backup too, and the "Stream paused" slate comes on:
                         kill -9 ${pids[2]}
  Switch by hand:        curl -X POST -d '{"input": "backup"}' \
                           http://127.0.0.1:8080/api/v1/streams/demo/switch
  What happened:         curl -s http://127.0.0.1:8080/api/v1/events

  Ctrl-C stops the demo.

MSG
wait "${pids[0]}"
