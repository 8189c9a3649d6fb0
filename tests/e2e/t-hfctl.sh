# shellcheck shell=bash
# End-to-end tests of hfctl (sourced by tests/e2e/run.sh) against a real
# relay whose primary (SRT) and backup (RTP) are pushed by hf-push:
# status, the relay's address from --url and $HOLDFAST_URL, switch (done,
# auto, refusals), events, watch through a pipe, alerts (an input-lost alert
# when the backup's pusher dies), an unreachable relay and usage errors;
# and events -f, which prints a switch within 2 s of it, never prints an
# event twice, misses none, and follows the relay across restarts.

# shellcheck disable=SC2016  # hfctl_until's conditions are single-quoted

ALL+=(hfctl_commands hfctl_events_follow)

# hfctl_relay: a relay with stream "main" on port HFCTL_PORT (primary SRT
# on +1, backup RTP on +2, SRT output on +4), both inputs pushed and
# healthy; the backup's pusher is HFCTL_BACKUP_PID.  An alert rule "jit"
# fires for each input as soon as it has a jitter figure (in seconds).
hfctl_relay () {
  local p; p=$(free_ports 5)
  HFCTL_PORT=$p
  HFCTL_URL=http://127.0.0.1:$p
  relay_conf "$T/r.ini" "$p" \
    "srt://127.0.0.1:$((p+1))?mode=listener;rtp://127.0.0.1:$((p+2))" \
    "srt://127.0.0.1:$((p+4))?mode=listener" "input-names = primary;backup" \
    "revert-after-s = 1" "" "[alert jit]" "expr = input.jitter_seconds >= 0ms"
  start_relay "$T/r.ini" "$p" || return 1
  bg "$T/push-primary.log" "$HF_BUILD/hf-push" --width 320 --height 180 \
    --bitrate 300 --duration 80 --label PRIMARY "srt://127.0.0.1:$((p+1))"
  bg "$T/push-backup.log" "$HF_BUILD/hf-push" --width 320 --height 180 \
    --bitrate 300 --duration 80 --label BACKUP "rtp://127.0.0.1:$((p+2))"
  HFCTL_BACKUP_PID=${HF_PIDS[-1]}
  hfctl_until 15 "both inputs healthy, primary on air" \
    "[ \"\$(api $p /api/v1/streams/main | jq -r '[.on_air, .inputs[].health] | join(\" \")')\" = 'primary healthy healthy' ]"
}

# hfctl_until SECONDS WHAT CONDITION: evaluates CONDITION (a string, so
# single-quoted) every 0.1 s until it holds; fails naming WHAT after
# SECONDS.
hfctl_until () {
  for _ in $(seq 1 $(($1 * 10))); do
    eval "$3" && return 0
    sleep 0.1
  done
  fail "not within $1 s: $2"
}

# hfctl_run NAME ARGS...: runs hfctl, stdout in $T/NAME.out, stderr in
# $T/NAME.err; sets HFCTL_RC.
hfctl_run () {
  local name=$1; shift
  timeout 20 "$HF_BUILD/hfctl" "$@" > "$T/$name.out" 2> "$T/$name.err"
  HFCTL_RC=$?
}

# hfctl_expect NAME RC [PATTERN [FILE]]: the last run exited RC and FILE
# (default NAME.out) has a line matching the extended regex PATTERN.
hfctl_expect () {
  local file=$T/$1.${4:-out}
  [ "$HFCTL_RC" = "$2" ] ||
    { fail "hfctl $1: exit $HFCTL_RC, want $2: $(head -3 "$T/$1.err")"; return 1; }
  [ -z "${3:-}" ] || grep -qE -- "$3" "$file" ||
    { fail "hfctl $1: no line matching '$3' in $(basename "$file")"; sed 's/^/    /' "$file" | head -20; return 1; }
}

hfctl_on_air () { api "$HFCTL_PORT" /api/v1/streams/main | jq -r .on_air; }

# hfctl_notifs ALERT STATE [INPUT]: how many such notifications the relay
# has (this run of it).
hfctl_notifs () {
  api "$HFCTL_PORT" /api/v1/alerts | jq --arg a "$1" --arg s "$2" --arg i "${3:-}" \
    '[.recent[] | select(.alert == $a and .state == $s and ($i == "" or .input == $i))] | length'
}

test_hfctl_commands () {
  local nobody; nobody=$(free_ports 1)
  hfctl_relay || return 1

  # status: both inputs with their health, the primary on air, units.
  hfctl_run status --url "$HFCTL_URL" status
  hfctl_expect status 0 '^main +primary +healthy +\* ' &&
  hfctl_expect status 0 '^main +backup +healthy +[0-9]' &&
  hfctl_expect status 0 'LOSS\(%\) +JITTER\(ms\) +BITRATE\(kbit/s\)' &&
  hfctl_expect status 0 '^STREAM +OUTPUT +URL +VIEWERS' &&
  sed 's/^/  status: /' "$T/status.out"

  # The address: $HOLDFAST_URL, and --url (before or after the command)
  # over it.
  HOLDFAST_URL=$HFCTL_URL hfctl_run env status
  hfctl_expect env 0 '^main +primary +healthy'
  HOLDFAST_URL=http://127.0.0.1:$nobody hfctl_run override --url "$HFCTL_URL" status
  hfctl_expect override 0 '^main +primary +healthy'
  HOLDFAST_URL=http://127.0.0.1:$nobody hfctl_run override2 status --url "$HFCTL_URL"
  hfctl_expect override2 0 '^main +primary +healthy'
  HOLDFAST_URL=http://127.0.0.1:$nobody hfctl_run envdown status
  hfctl_expect envdown 1 "^hfctl: cannot reach the relay at http://127.0.0.1:$nobody: " err

  # switch: the backup on air (the API agrees), back with auto; refusals.
  hfctl_run switch --url "$HFCTL_URL" switch main backup
  hfctl_expect switch 0 '^main: done; on air: backup' && sed 's/^/  /' "$T/switch.out"
  [ "$(hfctl_on_air)" = backup ] || fail "switch main backup: the API says $(hfctl_on_air) is on air"
  hfctl_run status2 --url "$HFCTL_URL" status
  hfctl_expect status2 0 '^main +backup +healthy +\* '
  hfctl_run auto --url "$HFCTL_URL" switch main auto
  hfctl_expect auto 0 '^main: auto; ' && sed 's/^/  /' "$T/auto.out"
  hfctl_until 10 "primary back on air after switch main auto" '[ "$(hfctl_on_air)" = primary ]'
  hfctl_run nosuch --url "$HFCTL_URL" switch main nosuch
  hfctl_expect nosuch 1 '^hfctl: main: refused.*no such input' err && sed 's/^/  /' "$T/nosuch.err"
  hfctl_run nostream --url "$HFCTL_URL" switch nosuch backup
  hfctl_expect nostream 1 "no stream named 'nosuch'" err && sed 's/^/  /' "$T/nostream.err"

  # events: the operator's switch and the revert, one line each.
  hfctl_run events --url "$HFCTL_URL" events
  hfctl_expect events 0 '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} +main +manual +- +primary -> backup +the operator' &&
  hfctl_expect events 0 ' main +revert +- +backup -> primary ' &&
  grep -E ' (manual|revert) ' "$T/events.out" | sed 's/^/  event: /'
  hfctl_run events_since --url "$HFCTL_URL" events --since 1000000 --stream main
  hfctl_expect events_since 0
  [ ! -s "$T/events_since.out" ] || fail "events --since past the last one printed something"

  # watch through a pipe: two refreshes, a separator between them.
  timeout 20 "$HF_BUILD/hfctl" --url "$HFCTL_URL" watch --count 2 --interval 0.5 \
    2> "$T/watch.err" | cat > "$T/watch.out"
  [ "${PIPESTATUS[0]}" = 0 ] || fail "watch --count 2: exit ${PIPESTATUS[0]}"
  [ "$(grep -c '^Holdfast relay ' "$T/watch.out")" = 2 ] || fail "watch --count 2: not 2 refreshes"
  [ "$(grep -c '^-----' "$T/watch.out")" = 1 ] || fail "watch --count 2: not 1 separator"
  grep -q $'\033' "$T/watch.out" && fail "watch through a pipe cleared the screen"
  grep -qE '^main +primary +healthy' "$T/watch.out" || fail "watch: no status table"
  { grep -qE '^Last events:' "$T/watch.out" && grep -qE ' main +manual ' "$T/watch.out"; } ||
    fail "watch: no last events"
  echo "  watch --count 2: $(wc -l < "$T/watch.out") lines, 2 refreshes"

  # alerts: none critical yet; jit's value is in ms, as in status (the
  # relay sends seconds); the backup's pusher dies: input-lost fires for
  # the backup.
  hfctl_until 10 "hfctl alerts shows jit firing" \
    "timeout 10 $HF_BUILD/hfctl --url $HFCTL_URL alerts > $T/alerts.out 2>&1 &&
     grep -qE '^jit +' $T/alerts.out"
  HFCTL_RC=0
  hfctl_expect alerts 0 '^ALERT +SEVERITY +STREAM +INPUT +SINCE +VALUE +SUMMARY$' &&
  hfctl_expect alerts 0 '^jit +[a-z]+ +main +(primary|backup) +.* [0-9.e+-]+ ms +' &&
  grep -E '^jit ' "$T/alerts.out" | sed 's/^/  alerts: /'
  grep -q 'critical' "$T/alerts.out" && fail "a critical alert with both inputs healthy"
  kill_tree "$HFCTL_BACKUP_PID"
  hfctl_until 15 "hfctl alerts shows input-lost for the backup" \
    "timeout 10 $HF_BUILD/hfctl --url $HFCTL_URL alerts > $T/alerts2.out 2>&1 &&
     grep -qE '^input-lost +critical +main +backup ' $T/alerts2.out"
  sed 's/^/  alerts: /' "$T/alerts2.out"
  hfctl_run alerts_all --url "$HFCTL_URL" alerts --all
  hfctl_expect alerts_all 0 '^Recent notifications' &&
  hfctl_expect alerts_all 0 '^[0-9:]{8} +input-lost +firing +critical +main +backup '

  # An unreachable relay: every command says so and exits 1.
  local cmd
  for cmd in "watch --count 1" events alerts "switch main auto" status; do
    # shellcheck disable=SC2086
    hfctl_run down --url "http://127.0.0.1:$nobody" $cmd
    if [ "$cmd" = "watch --count 1" ]; then
      hfctl_expect down 1 "^hfctl: cannot reach the relay at http://127.0.0.1:$nobody: "
    else
      hfctl_expect down 1 "^hfctl: cannot reach the relay at http://127.0.0.1:$nobody: " err
    fi
  done
  echo "  unreachable: $(head -1 "$T/down.err")"

  # Usage errors exit 2 with a usage text; --help lists the commands.
  hfctl_run bad --url "$HFCTL_URL" frobnicate
  hfctl_expect bad 2 'unknown command "frobnicate"' err && hfctl_expect bad 2 '^Commands:' err
  hfctl_run bad2 --url "$HFCTL_URL" switch main
  hfctl_expect bad2 2 '^Usage:' err
  hfctl_run bad3 --url "$HFCTL_URL" events --since nope
  hfctl_expect bad3 2 '^Usage:' err
  hfctl_run bad4 --url "not a url" status
  hfctl_expect bad4 2 'bad relay URL' err
  hfctl_run help --help
  hfctl_expect help 0 '^  status ' && hfctl_expect help 0 '^  watch ' &&
  hfctl_expect help 0 '^  events ' && hfctl_expect help 0 '^  alerts ' &&
  hfctl_expect help 0 '^  switch '
}

# hfctl_restart_relay NAME: stops the relay and starts it again on the same
# port (hf-push reconnects on its own); waits for its primary on air.
hfctl_restart_relay () {
  kill -TERM "$HF_RELAY_PID"; wait_pid "$HF_RELAY_PID" 15
  start_relay "$T/r.ini" "$HFCTL_PORT" "$1" || return 1
  hfctl_until 15 "the new relay's primary on air" '[ "$(hfctl_on_air)" = primary ]' || return 1
  # Switches to the backup are refused until it is back too.
  hfctl_until 15 "the new relay's backup healthy" \
    '[ "$(api "$HFCTL_PORT" /api/v1/streams/main | jq -r ".inputs[1].health")" = healthy ]'
}

# hfctl_block_in EVENTS: the lines of $T/EVENTS.out (what a relay logged)
# are in $T/follow-events.out one after another, from where its first
# line is.
hfctl_block_in () {
  local at n
  n=$(wc -l < "$T/$1.out")
  at=$(grep -nxF -- "$(head -1 "$T/$1.out")" "$T/follow-events.out" | head -1 | cut -d: -f1)
  [ -n "$at" ] || { fail "events -f never printed the first event of $1"; return 1; }
  tail -n "+$at" "$T/follow-events.out" | head -n "$n" | diff "$T/$1.out" - > "$T/$1.diff" ||
    { fail "events -f missed or changed events of $1"; head -10 "$T/$1.diff"; }
}

# events -f in the background: a switch shows within 2 s.  The relay
# restarts under it twice: once with fewer events than it had (its hello
# says so), once while events -f is stopped until the new relay has as
# many (the event it replays under the last id is another one).  Each
# time events -f follows the new relay from its first event.  Nothing
# twice, nothing missed: what it printed holds what each relay logged
# (events, asked just before it stopped), in order, with nothing between.
# Alerts, which the stream does not replay: each relay's jit alerts are
# printed once, the third's (fired while events -f was stopped) too, and
# so is an input-lost that fires on the same relay while events -f is
# stopped for longer than its 10 s silence limit.
test_hfctl_events_follow () {
  local t0 ms follow n1 n2 n3
  hfctl_relay || return 1
  "$HF_BUILD/hfctl" --url "$HFCTL_URL" events -f > "$T/follow.out" 2> "$T/follow.err" &
  follow=$!
  HF_PIDS+=("$follow")
  hfctl_until 5 "events -f printed the events so far" \
    "grep -qE ' main +switch +- +none -> primary ' $T/follow.out"
  sleep 0.5

  t0=$(date +%s%N)
  hfctl_run switch --url "$HFCTL_URL" switch main backup
  hfctl_expect switch 0 '^main: done' || return 1
  hfctl_until 2 "events -f printed the manual switch" \
    "grep -qE ' main +manual +- +primary -> backup ' $T/follow.out" || return 1
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  echo "  events -f printed the switch $ms ms after hfctl switch started"
  hfctl_run auto --url "$HFCTL_URL" switch main auto
  hfctl_until 10 "events -f printed the revert" \
    "grep -qE ' main +revert +- +backup -> primary ' $T/follow.out" || return 1
  # More switches: this relay's ids run ahead of the next one's.
  for _ in 1 2 3; do
    hfctl_run more --url "$HFCTL_URL" switch main backup
    hfctl_run more --url "$HFCTL_URL" switch main primary
  done
  hfctl_run auto --url "$HFCTL_URL" switch main auto
  sleep 0.5
  "$HF_BUILD/hfctl" --url "$HFCTL_URL" events > "$T/relay1.out"
  # jit fires once the inputs' jitter is known (both inputs).
  hfctl_until 10 "jit fired on the first relay" '[ "$(hfctl_notifs jit firing)" -ge 2 ]'
  n1=$(hfctl_notifs jit firing)

  hfctl_restart_relay relay2 || return 1
  hfctl_run switch2 --url "$HFCTL_URL" switch main backup
  hfctl_until 10 "events -f printed a switch on the second relay" \
    "[ \$(grep -cE ' main +manual +- +primary -> backup ' $T/follow.out) -ge 5 ]" || return 1
  sleep 0.5
  "$HF_BUILD/hfctl" --url "$HFCTL_URL" events > "$T/relay2.out"
  # jit fires once the inputs' jitter is known (both inputs).
  hfctl_until 10 "jit fired on the second relay" '[ "$(hfctl_notifs jit firing)" -ge 2 ]'
  n2=$(hfctl_notifs jit firing)

  kill -STOP "$follow"
  hfctl_restart_relay relay3 || { kill -CONT "$follow"; return 1; }
  # Each switch done (not pending: a new relay may have no GOP of the
  # backup yet) before the next.
  for _ in 1 2 3; do
    hfctl_until 10 "switch main backup done on the third relay" \
      '"$HF_BUILD/hfctl" --url "$HFCTL_URL" switch main backup 2> /dev/null | grep -qE "^main: (done|already)"'
    hfctl_run more --url "$HFCTL_URL" switch main primary
  done
  "$HF_BUILD/hfctl" --url "$HFCTL_URL" events > "$T/relay3.out"
  [ "$(wc -l < "$T/relay3.out")" -ge "$(wc -l < "$T/relay2.out")" ] ||
    fail "the third relay has fewer events than the second: not the case meant"
  # jit fires once the inputs' jitter is known (both inputs).
  hfctl_until 10 "jit fired on the third relay" '[ "$(hfctl_notifs jit firing)" -ge 2 ]'
  n3=$(hfctl_notifs jit firing)
  [ "$n1" -ge 1 ] && [ "$n2" -ge 1 ] && [ "$n3" -ge 1 ] ||
    fail "jit did not fire on each relay ($n1, $n2, $n3): not the case meant"
  kill -CONT "$follow"
  hfctl_until 10 "events -f printed the third relay's last event" \
    'grep -qxF -- "$(tail -1 "$T/relay3.out")" "$T/follow.out"'
  hfctl_until 5 "events -f printed the $n1 + $n2 + $n3 jit alerts" \
    '[ "$(grep -cE "^ALERT .* main +firing +jit " "$T/follow.out")" = $((n1 + n2 + n3)) ]'

  # The same relay: input-lost fires while events -f is stopped past its
  # silence limit.
  kill -STOP "$follow"
  t0=$(date +%s)
  kill_tree "$HFCTL_BACKUP_PID"
  hfctl_until 15 "input-lost fired for the backup" \
    '[ "$(hfctl_notifs input-lost firing backup)" = 1 ]' || { kill -CONT "$follow"; return 1; }
  sleep $((t0 + 12 - $(date +%s))) 2> /dev/null
  kill -CONT "$follow"
  hfctl_until 10 "events -f printed the input-lost that fired while it was stopped" \
    "grep -qE '^ALERT .* main +firing +input-lost +critical +backup ' $T/follow.out"
  sleep 1.5
  kill -INT "$follow"
  wait_pid "$follow" 5 || fail "events -f did not end on SIGINT"
  wait "$follow" || fail "events -f: exit status not 0 after SIGINT"

  sed 's/^/  stderr: /' "$T/follow.err"
  [ "$(grep -c 'relay restarted' "$T/follow.err")" = 2 ] ||
    fail "events -f did not notice both restarts"
  grep -v '^ALERT' "$T/follow.out" > "$T/follow-events.out"
  echo "  events -f printed $(wc -l < "$T/follow-events.out") events and $(grep -c '^ALERT' "$T/follow.out") alerts;" \
    "the relays logged $(wc -l < "$T/relay1.out") + $(wc -l < "$T/relay2.out") + $(wc -l < "$T/relay3.out")"
  [ -z "$(sort "$T/follow-events.out" | uniq -d)" ] ||
    fail "events -f printed these twice: $(sort "$T/follow-events.out" | uniq -d | head -3)"
  grep '^ALERT' "$T/follow.out" | sed 's/^/  /'
  [ -z "$(grep '^ALERT' "$T/follow.out" | sort | uniq -d)" ] ||
    fail "events -f printed alerts twice: $(grep '^ALERT' "$T/follow.out" | sort | uniq -d | head -3)"
  [ "$(grep -cE '^ALERT .* main +firing +jit ' "$T/follow.out")" = $((n1 + n2 + n3)) ] ||
    fail "events -f did not print each relay's jit alerts once ($n1 + $n2 + $n3)"
  [ "$(grep -cE '^ALERT .* firing +input-lost ' "$T/follow.out")" = 1 ] ||
    fail "events -f did not print the input-lost alert once"
  head -n "$(wc -l < "$T/relay1.out")" "$T/follow-events.out" | diff "$T/relay1.out" - > "$T/relay1.diff" ||
    { fail "events -f missed or changed events of relay1"; head -10 "$T/relay1.diff"; }
  hfctl_block_in relay2
  hfctl_block_in relay3
}
