# shellcheck shell=bash
# End-to-end tests of hf-drill (sourced by tests/e2e/run.sh): the short
# drill set that `make check` runs (kill-primary and both-down against the
# demo topology of tools/drill.sh), abort from another shell, and refusals.

# drill_run SCENARIO: runs one shipped scenario with tools/drill.sh, keeping
# its report and logs in $T; passes when every SLO held.
drill_run () {
  local rc
  tools/drill.sh --keep "$T" "$HF_BUILD" "$1" > "$T/drill.txt" 2>&1
  rc=$?
  sed -n '/^drill /,/^Benchmark/p' "$T/drill.txt" | grep -v '^Benchmark'
  [ -s "$T/$1.json" ] || { fail "no JSON report"; tail -5 "$T/drill.txt"; return 1; }
  [ "$(jq -r .result "$T/$1.json")" = pass ] ||
    fail "$1: $(jq -r '[.slos[] | select(.pass | not) | .slo] | join(", ")' "$T/$1.json") failed"
  [ $rc = 0 ] || fail "tools/drill.sh exit $rc"
}

test_drill_kill_primary () {
  drill_run kill-primary || return 1
  # The report's figures come from the relay's events and the probe.
  jq -e '.steps[0].detect_ms > 0 and .steps[0].switch_ms >= .steps[0].detect_ms
         and .steps[1].revert_ms > 0' "$T/kill-primary.json" > /dev/null ||
    fail "kill-primary report lacks detect/switch/revert figures"
}

test_drill_both_down () {
  drill_run both-down || return 1
  jq -e '.steps[2].recover_ms > 0 and .steps[0].slate_ms > 3000' \
    "$T/both-down.json" > /dev/null ||
    fail "both-down report: no slate or no recovery measured"
}

# A drill severs a link; `hf-drill abort` from another shell restores it at
# once and the drill ends with exit 3 and an "aborted" report.
test_drill_abort_restores_links () {
  local p sock rc
  p=$(free_ports 4)
  sock=$T/linkem.sock
  export HF_DRILL_STATE=$T/drill.state
  relay_conf "$T/r.ini" "$p" "srt://127.0.0.1:$((p+1))?mode=listener" \
    "srt://127.0.0.1:$((p+2))?mode=listener"
  start_relay "$T/r.ini" "$p" || return 1
  bg "$T/linkem.log" "$HF_BUILD/hf-linkem" --ctl "$sock" run \
    "main-in=127.0.0.1:$((p+3))>127.0.0.1:$((p+1))"
  for _ in $(seq 1 100); do grep -q ready "$T/linkem.log" && break; sleep 0.05; done
  ff_push "$T/push" mpegts "srt://127.0.0.1:$((p+3))?pkt_size=1316" 60
  cat > "$T/abort.ini" <<EOS
[drill]
name = abort-me
relay = http://127.0.0.1:$p
stream = main
duration = 60s
settle = 15s
linkem = $sock
[links]
primary = linkem:main-in
[timeline]
at 1s: sever primary
at 2s: loss primary 20%
EOS
  "$HF_BUILD/hf-drill" run "$T/abort.ini" --json "$T/abort.json" > "$T/drill.txt" 2>&1 &
  local drill=$!
  for _ in $(seq 1 200); do grep -q 'step 2' "$T/drill.txt" && break; sleep 0.05; done
  grep -q 'step 2' "$T/drill.txt" || { fail "the drill never ran its steps"; cat "$T/drill.txt"; kill $drill; return 1; }
  "$HF_BUILD/hf-linkem" --ctl "$sock" status --json > "$T/before.json"
  jq -e '.links[0].severed == true' "$T/before.json" > /dev/null ||
    fail "the link was not severed by the drill"
  "$HF_BUILD/hf-drill" abort > "$T/abort.txt" 2>&1 || fail "hf-drill abort failed: $(cat "$T/abort.txt")"
  "$HF_BUILD/hf-linkem" --ctl "$sock" status --json > "$T/after.json"
  jq -e '.links[0].severed == false and .links[0].fwd.loss_pct == 0' \
    "$T/after.json" > /dev/null || fail "abort did not restore the link: $(cat "$T/after.json")"
  wait_pid $drill 10 || fail "the drill did not stop within 10 s of abort"
  wait $drill; rc=$?
  [ $rc = 3 ] || fail "hf-drill exit $rc after abort (want 3)"
  [ "$(jq -r .result "$T/abort.json")" = aborted ] || fail "report result is not aborted"
  [ ! -e "$T/drill.state" ] || fail "the drill's state file was left behind"
  echo "  aborted drill: exit $rc, link restored ($(jq -c '.links[0] | {severed, loss: .fwd.loss_pct}' "$T/after.json"))"
  # The relay sees its input again.
  for _ in $(seq 1 60); do
    [ "$(api "$p" /api/v1/streams/main | jq -r '.inputs[0].health')" = healthy ] && break
    sleep 0.1
  done
  [ "$(api "$p" /api/v1/streams/main | jq -r '.inputs[0].health')" = healthy ] ||
    fail "the relay's input did not come back after abort"
}

# Broken scenarios are refused with the line at fault, exit 2, nothing run.
test_drill_bad_scenario_refused () {
  printf '[drill]\nname = x\nrelay = http://127.0.0.1:1\nstream = s\nduration = 5s\n[timeline]\nat 9s: sever a\n' > "$T/bad.ini"
  local rc
  "$HF_BUILD/hf-drill" run "$T/bad.ini" > "$T/out.txt" 2>&1
  rc=$?
  [ $rc = 2 ] || fail "exit $rc for a step past the duration (want 2)"
  grep -q 'line 7: step at or after' "$T/out.txt" || fail "no line number: $(cat "$T/out.txt")"
  "$HF_BUILD/hf-drill" run tools/drills/kill-primary.ini > "$T/out2.txt" 2>&1
  [ $? = 2 ] || fail "a scenario with unset variables ran"
  grep -q 'is not set' "$T/out2.txt" || fail "unset variable not named: $(cat "$T/out2.txt")"
  env HF_DRILL_ORIGIN_API=http://127.0.0.1:1 HF_DRILL_ORIGIN_VIEW=srt://127.0.0.1:2 \
    "$HF_BUILD/hf-drill" check tools/drills/kill-primary.ini > "$T/plan.txt" 2>&1 ||
    fail "check failed: $(cat "$T/plan.txt")"
  grep -q 'at    5.0s: sever primary (expect lost)' "$T/plan.txt" || fail "plan: $(cat "$T/plan.txt")"
  echo "  refused: $(head -1 "$T/out.txt")"
}

ALL+=(drill_bad_scenario_refused drill_abort_restores_links drill_kill_primary
      drill_both_down)
