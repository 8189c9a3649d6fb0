# shellcheck shell=bash
# End-to-end tests of what engineers watch (sourced by tests/e2e/run.sh):
# /metrics passes Prometheus's own checker (promtool) before and after a
# failover and names the failover's cause; the Grafana dashboard only asks
# for metrics the relay has; a webhook receiver is told when the primary
# dies, even though its first answer is an error (the relay retries), and
# again when the primary is back; the live event stream (SSE) delivers a
# failover within a second, replays from Last-Event-ID and refuses a bad
# id; the dashboard's files are served with their types.

ALL+=(metrics_promtool alerts_webhook_primary_dies event_stream_live)

# obs_relay PORT [server lines...]: a relay on PORT with stream "main":
# primary SRT on PORT+1, backup RTP on PORT+2 (RTCP PORT+3), an SRT
# output on PORT+4; pushed by hf-push (obs_push).
obs_relay () {
  local p=$1; shift
  cat > "$T/r.ini" <<EOC
[server]
http = 127.0.0.1:$p
$(printf '%s\n' "$@")

[stream main]
inputs = srt://127.0.0.1:$((p+1))?mode=listener;rtp://127.0.0.1:$((p+2))
input-names = primary;backup
outputs = srt://127.0.0.1:$((p+4))?mode=listener
revert-after-s = 2
EOC
  start_relay "$T/r.ini" "$p"
}

# obs_push NAME URL: a small hf-push in the background; its pid in
# OBS_PUSH_PID.
obs_push () {
  bg "$T/push-$1.log" "$HF_BUILD/hf-push" --width 320 --height 180 \
    --bitrate 300 --duration 80 --label "$1" "$2"
  OBS_PUSH_PID=${HF_PIDS[-1]}
}

# obs_wait_on_air PORT INPUT SECONDS
obs_wait_on_air () {
  local i
  for i in $(seq 1 $(($3 * 10))); do
    [ "$(api "$1" /api/v1/streams/main | jq -r .on_air)" = "$2" ] && return 0
    sleep 0.1
  done
  fail "$2 not on air within $3 s"
}

# obs_wait_grep FILE PATTERN SECONDS: until a line of FILE matches.
obs_wait_grep () {
  local i
  for i in $(seq 1 $(($3 * 20))); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  fail "$(basename "$1"): no line matching $2 within $3 s"
}

now_ms () { echo $(( $(date +%s%N) / 1000000 )); }

# promtool_clean FILE: promtool check metrics says nothing and exits 0.
promtool_clean () {
  local out
  out=$(promtool check metrics < "$1" 2>&1) ||
    { fail "promtool check metrics failed on $(basename "$1"):"; echo "$out" | head -20; return 1; }
  [ -z "$out" ] || { fail "promtool lint on $(basename "$1"):"; echo "$out" | head -20; return 1; }
  echo "  promtool check metrics $(basename "$1"): clean ($(grep -c '^# TYPE' "$1") families, $(grep -vc '^#' "$1") samples)"
}

test_metrics_promtool () {
  local p pri m name missing=0
  command -v promtool > /dev/null || { fail "promtool is not installed (tools/install-deps.sh installs prometheus)"; return 1; }
  p=$(free_ports 5)
  obs_relay "$p" || return 1
  obs_push primary "srt://127.0.0.1:$((p+1))"; pri=$OBS_PUSH_PID
  obs_push backup "rtp://127.0.0.1:$((p+2))"
  obs_wait_on_air "$p" primary 10 || return 1
  sleep 1.5
  curl -sf --max-time 3 "http://127.0.0.1:$p/metrics" > "$T/metrics-before.txt" || { fail "no /metrics"; return 1; }
  promtool_clean "$T/metrics-before.txt" || return 1
  m="$T/metrics-before.txt"
  grep -q '^holdfast_build_info{version="[^"]*",gstreamer="[^"]*"} 1$' "$m" || fail "no holdfast_build_info"
  for name in primary backup; do
    awk -v n="$name" '$1 == "holdfast_input_packets_total{stream=\"main\",input=\"" n "\"}" && $2 > 20 {ok=1} END {exit !ok}' "$m" ||
      fail "holdfast_input_packets_total of $name is not > 20"
    grep -q "^holdfast_input_health{stream=\"main\",input=\"$name\",state=\"healthy\"} 1$" "$m" ||
      fail "$name is not healthy in holdfast_input_health"
    grep -q "^holdfast_input_receive_bytes_per_second{stream=\"main\",input=\"$name\"} [1-9]" "$m" ||
      fail "no receive rate for $name"
  done
  grep -q '^holdfast_input_on_air{stream="main",input="primary"} 1$' "$m" || fail "primary not on air in the metrics"
  grep -q '^holdfast_input_rtt_seconds{stream="main",input="primary"} ' "$m" || fail "no RTT for the SRT input"
  ! grep -q '^holdfast_input_rtt_seconds{stream="main",input="backup"}' "$m" || fail "an RTT for the RTP input, which has none"
  grep -q '^holdfast_output_viewers{stream="main",output="out0",kind="srt-listener"} 0$' "$m" || fail "no viewers gauge for the output"
  ! grep -q '^holdfast_stream_failovers_total' "$m" || fail "a failover counted before any happened"

  # The primary's pusher dies: the failover is counted with its cause.
  kill "$pri"
  for _ in $(seq 1 50); do
    curl -sf --max-time 3 "http://127.0.0.1:$p/metrics" > "$T/metrics-after.txt"
    grep -q '^holdfast_stream_failovers_total{stream="main",from="primary",to="backup",reason="input_lost"} 1$' "$T/metrics-after.txt" &&
      grep -q '^holdfast_alerts_firing{alert="input-lost",severity="critical"} 1$' "$T/metrics-after.txt" && break
    sleep 0.1
  done
  m="$T/metrics-after.txt"
  grep '^holdfast_stream_failovers_total\|^holdfast_alerts_firing{alert="input-lost"\|health{stream="main",input="primary",state="lost"}' "$m" | sed 's/^/  /'
  grep -q '^holdfast_stream_failovers_total{stream="main",from="primary",to="backup",reason="input_lost"} 1$' "$m" ||
    fail "the failover is not counted as primary -> backup, input_lost"
  grep -q '^holdfast_input_health{stream="main",input="primary",state="lost"} 1$' "$m" || fail "primary not lost in the metrics"
  grep -q '^holdfast_alerts_firing{alert="input-lost",severity="critical"} 1$' "$m" || fail "input-lost is not firing in the metrics"
  promtool_clean "$m" || return 1

  # The Grafana dashboard asks only for metrics that exist.
  jq -e '.panels | length > 0' tools/grafana/holdfast.json > /dev/null || { fail "tools/grafana/holdfast.json is not a dashboard"; return 1; }
  for name in $(jq -r '.. | .expr? // empty' tools/grafana/holdfast.json | grep -o 'holdfast_[a-z_]*' | sort -u); do
    grep -q "^# TYPE $name " "$m" || { fail "the Grafana dashboard uses $name, which /metrics does not have"; missing=1; }
  done
  [ $missing = 0 ] && echo "  tools/grafana/holdfast.json: $(jq '[.. | .expr? // empty] | length' tools/grafana/holdfast.json) queries, every metric they name exists"
  # ... and its queries are valid PromQL: promtool checks them as recording
  # rules, with Grafana's variables given values.
  { echo "groups:"; echo "- name: grafana"; echo "  rules:"
    jq -r '.. | .expr? // empty' tools/grafana/holdfast.json |
      sed 's/\$__rate_interval/1m/g; s/\$stream/.*/g' |
      jq -R '.' | nl -ba | while read -r i e; do
        printf '  - record: grafana:query%d\n    expr: %s\n' "$i" "$e"; done
  } > "$T/grafana-rules.yml"
  promtool check rules "$T/grafana-rules.yml" > "$T/grafana-rules.out" 2>&1 ||
    { fail "the Grafana dashboard's queries are not valid PromQL:"; cat "$T/grafana-rules.out"; }
  grep SUCCESS "$T/grafana-rules.out" | sed 's/^ */  promtool check rules (dashboard queries): /'
}

test_alerts_webhook_primary_dies () {
  local p pri hp t0 t1 first second
  p=$(free_ports 5)
  bg "$T/hooksink.log" bash -c 'exec "$1" --port-file "$2" --fail-first 1 --timeout 80 > "$3"' _ \
    "$HF_BUILD/hf-hooksink" "$T/hook.port" "$T/hooks.jsonl"
  for _ in $(seq 1 50); do [ -s "$T/hook.port" ] && break; sleep 0.1; done
  hp=$(cat "$T/hook.port" 2>/dev/null) || { fail "hf-hooksink did not start"; return 1; }
  obs_relay "$p" "webhook = http://127.0.0.1:$hp/hook" "webhook-backoff-ms = 200" || return 1
  obs_push primary "srt://127.0.0.1:$((p+1))"; pri=$OBS_PUSH_PID
  obs_push backup "rtp://127.0.0.1:$((p+2))"
  obs_wait_on_air "$p" primary 10 || return 1
  sleep 1
  [ "$(api "$p" /api/v1/alerts | jq '.firing | length')" = 0 ] ||
    { fail "alerts firing before anything happened:"; api "$p" /api/v1/alerts | jq -c '.firing[]'; }

  t0=$(now_ms)
  kill "$pri"
  obs_wait_grep "$T/hooks.jsonl" '"status":204.*"alert":"input-lost".*"state":"firing"' 5 || return 1
  t1=$(now_ms)
  jq -c '{n, status, alert: .body.alert, state: .body.state, input: .body.input, id: .body.id}' "$T/hooks.jsonl" | sed 's/^/  /'
  echo "  the primary's pusher was killed; the webhook had input-lost (after one refused attempt and a retry) $((t1 - t0)) ms later"
  first=$(jq -c 'select(.n == 1) | {status, id: .body.id, alert: .body.alert}' "$T/hooks.jsonl")
  second=$(jq -c 'select(.n == 2) | {status, id: .body.id, alert: .body.alert}' "$T/hooks.jsonl")
  [ "$(echo "$first" | jq .status)" = 500 ] || fail "the first attempt was not the refused one: $first"
  [ "$(echo "$first" | jq -c '{id, alert}')" = "$(echo "$second" | jq -c '{id, alert}')" ] ||
    fail "the retry is not the same notification: $first vs $second"
  jq -s -e 'map(select(.body.alert == "input-lost")) | length > 0 and all(.content_type | startswith("application/json"))' "$T/hooks.jsonl" > /dev/null ||
    fail "not posted as application/json"
  jq -s -e '.[] | select(.n == 2) | .body | .severity == "critical" and .stream == "main" and .input == "primary" and (.summary | length > 0) and (.started_at | test("Z$"))' \
    "$T/hooks.jsonl" > /dev/null || fail "the notification lacks severity, stream, input, summary or time"
  obs_wait_grep "$T/hooks.jsonl" '"alert":"failover".*"state":"firing"' 3 || true
  api "$p" /api/v1/alerts > "$T/alerts.json"
  jq -c '.webhooks[0] | {delivered, attempts, failed_attempts, given_up, waiting}' "$T/alerts.json" | sed 's/^/  webhook: /'
  jq -e '.webhooks[0].failed_attempts == 1 and .webhooks[0].given_up == 0' "$T/alerts.json" > /dev/null ||
    fail "webhook stats do not show exactly one failed attempt"
  jq -e '[.firing[] | select(.alert == "input-lost" and .input == "primary")] | length == 1' "$T/alerts.json" > /dev/null ||
    fail "GET /api/v1/alerts does not list input-lost for primary"
  curl -sf --max-time 3 "http://127.0.0.1:$p/metrics" |
    grep -q "^holdfast_webhook_failed_attempts_total{url=\"http://127.0.0.1:$hp/hook\"} 1$" ||
    fail "the failed attempt is not counted in /metrics"

  # The primary comes back: input-lost resolves, once.
  obs_push primary "srt://127.0.0.1:$((p+1))"
  obs_wait_grep "$T/hooks.jsonl" '"alert":"input-lost".*"state":"resolved"' 10 || return 1
  sleep 1
  [ "$(jq -c 'select(.status == 204 and .body.alert == "input-lost" and .body.state == "firing")' "$T/hooks.jsonl" | wc -l)" = 1 ] ||
    fail "input-lost firing was delivered more than once"
  [ "$(jq -c 'select(.status == 204 and .body.alert == "input-lost" and .body.state == "resolved")' "$T/hooks.jsonl" | wc -l)" = 1 ] ||
    fail "input-lost resolved was not delivered exactly once"
  jq -c 'select(.body.state == "resolved") | {alert: .body.alert, duration_s: .body.duration_s}' "$T/hooks.jsonl" | sed 's/^/  resolved: /'
}

test_event_stream_live () {
  local p pri t0 t1 first last ids
  p=$(free_ports 5)
  obs_relay "$p" || return 1
  obs_push primary "srt://127.0.0.1:$((p+1))"; pri=$OBS_PUSH_PID
  obs_push backup "rtp://127.0.0.1:$((p+2))"
  obs_wait_on_air "$p" primary 10 || return 1
  bg "$T/sse.log" curl -sN --max-time 20 "http://127.0.0.1:$p/api/v1/events/stream"
  obs_wait_grep "$T/sse.log" '^event: hello' 3 || return 1
  [ "$(curl -s -o /dev/null -w '%{content_type}' --max-time 1 "http://127.0.0.1:$p/api/v1/events/stream")" = text/event-stream ] ||
    fail "the event stream is not text/event-stream"
  obs_wait_grep "$T/sse.log" '^event: stats' 3 || return 1

  t0=$(now_ms)
  kill "$pri"
  obs_wait_grep "$T/sse.log" '"type":"switch".*"from":"primary","to":"backup"' 3 || return 1
  t1=$(now_ms)
  echo "  the primary's pusher was killed; the stream carried the failover $((t1 - t0)) ms later (detection ~250 ms included)"
  [ $((t1 - t0)) -lt 1500 ] || fail "the failover took $((t1 - t0)) ms to reach the event stream"
  obs_wait_grep "$T/sse.log" '^event: alert' 3 || fail "no alert frame on the stream"
  ids=$(grep '^id: ' "$T/sse.log" | cut -d' ' -f2)
  [ "$(echo "$ids" | sort -n | uniq | tr '\n' ' ')" = "$(echo "$ids" | tr '\n' ' ')" ] || fail "event ids repeat or go back: $ids"
  echo "  $(grep -c '^event: stats' "$T/sse.log") stats frames, $(echo "$ids" | wc -w) events, $(grep -c '^event: alert' "$T/sse.log") alerts so far"

  # A client that reconnects with Last-Event-ID gets what came after it.
  first=$(echo "$ids" | head -1); last=$(api "$p" /api/v1/events | jq .last_id)
  curl -sN --max-time 1.5 -H "Last-Event-ID: $first" "http://127.0.0.1:$p/api/v1/events/stream" > "$T/sse-replay.log"
  [ "$(grep '^id: ' "$T/sse-replay.log" | cut -d' ' -f2 | tr '\n' ' ')" = "$(seq $((first + 1)) "$last" | tr '\n' ' ')" ] ||
    fail "replay after $first is not $((first + 1))..$last: $(grep '^id: ' "$T/sse-replay.log" | cut -d' ' -f2 | tr '\n' ' ')"
  # The id the client saw last wins over the URL's since (an EventSource
  # reconnects to the URL it was opened with); an id from an earlier run
  # of the relay gets everything, after a gap frame.
  curl -sN --max-time 1.5 -H "Last-Event-ID: $((last - 1))" "http://127.0.0.1:$p/api/v1/events/stream?since=$first" > "$T/sse-reconnect.log"
  [ "$(grep '^id: ' "$T/sse-reconnect.log" | cut -d' ' -f2 | tr '\n' ' ')" = "$last " ] ||
    fail "Last-Event-ID $((last - 1)) with since=$first replayed: $(grep '^id: ' "$T/sse-reconnect.log" | cut -d' ' -f2 | tr '\n' ' ')"
  curl -sN --max-time 1.5 "http://127.0.0.1:$p/api/v1/events/stream?since=99999999" > "$T/sse-future.log"
  grep -q '^event: gap' "$T/sse-future.log" || fail "an id from another run gets no gap frame"
  [ "$(grep -m1 '^id: ' "$T/sse-future.log")" = "id: 1" ] || fail "an id from another run does not replay from 1"
  # Bad requests are refused and counted; unknown paths are JSON 404s.
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$p/api/v1/events/stream?since=abc")" = 400 ] ||
    fail "since=abc is not refused with 400"
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$p/api/v1/events/stream?stream=nosuch")" = 404 ] ||
    fail "an unknown stream is not a 404"
  [ "$(api "$p" /api/v1/server | jq .http_bad_requests)" -ge 1 ] || fail "the bad request is not counted"
  # The dashboard's files.
  curl -s -D "$T/index.h" -o "$T/index.html" --max-time 2 "http://127.0.0.1:$p/"
  grep -qi '^content-type: text/html' "$T/index.h" || fail "/ is not text/html"
  grep -qi '^content-security-policy: ' "$T/index.h" || fail "/ has no Content-Security-Policy"
  grep -qi '<script' "$T/index.html" || fail "/ has no script"
  [ "$(curl -s -o /dev/null -w '%{content_type}' --max-time 2 "http://127.0.0.1:$p/app.js")" = "text/javascript; charset=utf-8" ] ||
    fail "/app.js is not JavaScript"
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$p/nosuch.js")" = 404 ] || fail "/nosuch.js is not a 404"
  # Clients that come and go leave nothing behind: no descriptor in
  # CLOSE-WAIT (libsoup 3.2 kept one per keep-alive client that hung up).
  local fds0 fds1 i
  fds0=$(ls "/proc/$HF_RELAY_PID/fd" | wc -l)
  for i in $(seq 1 100); do curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$p/api/v1/server"; done
  for i in $(seq 1 10); do curl -sN -o /dev/null --max-time 0.3 "http://127.0.0.1:$p/api/v1/events/stream"; done
  for i in $(seq 1 10); do printf 'GARBAGE\r\n\r\n' | timeout 1 bash -c "cat > /dev/tcp/127.0.0.1/$p" 2>/dev/null; done
  sleep 1.5
  fds1=$(ls "/proc/$HF_RELAY_PID/fd" | wc -l)
  echo "  relay descriptors: $fds0 before, $fds1 after 100 requests, 10 event-stream clients and 10 garbage requests"
  [ "$fds1" -le $((fds0 + 2)) ] || fail "the relay kept $((fds1 - fds0)) descriptors: $(ss -tan "sport = :$p" | awk 'NR>1{print $1}' | sort | uniq -c | tr '\n' ' ')"
  curl -sf --max-time 2 "http://127.0.0.1:$p/api/v1/history?stream=main" |
    jq -e '.interval_ms == 1000 and (.streams[0].samples | length) >= 2 and (.streams[0].samples[-1].inputs | length) == 2' > /dev/null ||
    fail "GET /api/v1/history has no samples of both inputs"
}
