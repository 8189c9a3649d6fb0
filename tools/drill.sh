#!/usr/bin/env bash
# tools/drill.sh: runs drill scenarios (tools/drills/*.ini) against the demo
# topology and prints one table: scenario, each SLO, its limit, the
# measured value, pass or FAIL.  `make drill` runs them all; `make check`
# runs the short set (kill-primary, both-down).
#
#   tools/drill.sh [--netns] [--keep DIR] BUILD_DIR [SCENARIO...]
#
# The topology, started afresh for every scenario (so one drill's broken
# SRT sessions cannot leak into the next):
#
#   hf-push PRIMARY (SRT) --> linkem "primary" --> origin  --> viewer probe
#   hf-push BACKUP (RTP)  --> linkem "backup"  -->  |  SRT out
#                                   linkem "origin-a" --+--> edge --> probe
#                                   linkem "origin-b" --+
#
# The origin's stream "demo" has inputs primary and backup; the edge's has
# origin-a and origin-b, two SRT callers to the origin's output.  Both relays
# revert after 5 s of health (revert-after-s = 5) to keep the drills short.
#
# --netns (root only): the same, but the pushers, the origin and the edge
# run in network namespaces of their own, joined to the root namespace (the
# "internet", where hf-linkem runs) by veth pairs; sever/restore of a link
# also sets its veth down/up (`ip link`), so the relay sees a real link
# going away.  Without root it says so and exits 0 (skipped).
#
# The scenarios read their addresses from the environment this script sets:
# HF_DRILL_ORIGIN_API, HF_DRILL_EDGE_API, HF_DRILL_ORIGIN_VIEW,
# HF_DRILL_EDGE_VIEW, HF_LINKEM_CTL, HF_DRILL_PRIMARY_DEV and the like.
# Exit status: 0 when every SLO of every scenario held.
set -u
cd "$(dirname "$0")/.."

NETNS=0
KEEP=
while [ $# -gt 0 ]; do
  case $1 in
    --netns) NETNS=1; shift ;;
    --keep) [ $# -ge 2 ] || { echo "drill: --keep DIR" >&2; exit 2; }
            KEEP=$2; shift 2 ;;
    *) break ;;
  esac
done
B=${1:-build}; shift || true
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(kill-primary flap-primary
  degrade-primary brownout both-down composite origin-loss)

BENCH_NAME=drill
CLEANUP_STEPS=60
KILL_AFTER=5
HOLDFAST=$B/holdfast
RELAY_TIMEOUT=300
. tools/bench-lib.sh

require_built drill "$B/holdfast" "$B/hf-push" "$B/hf-linkem" "$B/hf-probe" \
  "$B/hf-drill"
require_commands curl jq

if [ $NETNS = 1 ] && [ "$(id -u)" != 0 ]; then
  echo "drill: --netns needs root (network namespaces and veth pairs);" \
    "skipped"
  exit 0
fi

# ---- topology ----------------------------------------------------------------

NS_PUSH=hfd-push; NS_ORIGIN=hfd-origin; NS_EDGE=hfd-edge
NETNS_UP=0

# nsx NS: the words that run a command in namespace NS (netns mode), or
# nothing; used unquoted before a command.
nsx () { [ $NETNS = 1 ] && echo "ip netns exec $1"; }

netns_down () {
  [ $NETNS_UP = 1 ] || return 0
  local ns
  for ns in $NS_PUSH $NS_ORIGIN $NS_EDGE; do ip netns del "$ns" 2>/dev/null; done
  ip link del hfd-pri-r 2>/dev/null; ip link del hfd-bak-r 2>/dev/null
  ip link del hfd-org-r 2>/dev/null; ip link del hfd-edg-r 2>/dev/null
  NETNS_UP=0
}

# veth NAME NS ROOT_IP NS_IP: a veth pair NAME-r (root) / NAME (in NS).
veth () {
  local name=$1 ns=$2 rip=$3 nip=$4
  ip link add "$name-r" type veth peer name "$name" netns "$ns" || return 1
  ip addr add "$rip/30" dev "$name-r" && ip link set "$name-r" up &&
  ip -n "$ns" addr add "$nip/30" dev "$name" &&
  ip -n "$ns" link set "$name" up &&
  ip -n "$ns" link set lo up &&
  ip -n "$ns" route replace default via "$rip" dev "$name"
}

netns_up () {
  netns_down
  local ns
  NETNS_UP=1  # from here on, netns_down removes whatever was made
  for ns in $NS_PUSH $NS_ORIGIN $NS_EDGE; do
    ip netns del "$ns" 2>/dev/null
    ip netns add "$ns" || { fail "ip netns add $ns"; return 1; }
  done
  # The pusher has two links (primary, backup); origin and edge one each.
  # Routes: the pushers reach the root namespace through their own veth.
  veth hfd-pri $NS_PUSH 10.77.1.1 10.77.1.2 &&
  ip link add hfd-bak-r type veth peer name hfd-bak netns $NS_PUSH &&
  ip addr add 10.77.2.1/30 dev hfd-bak-r && ip link set hfd-bak-r up &&
  ip -n $NS_PUSH addr add 10.77.2.2/30 dev hfd-bak &&
  ip -n $NS_PUSH link set hfd-bak up &&
  veth hfd-org $NS_ORIGIN 10.77.3.1 10.77.3.2 &&
  veth hfd-edg $NS_EDGE 10.77.4.1 10.77.4.2 || { fail "veth set-up"; return 1; }
}

# topology_up: addresses, configs, processes; exports the scenario variables.
topology_up () {
  local p lo_push_pri lo_push_bak lo_origin lo_edge linkem_lo origin_in
  p=$(free_ports 30) || return 1
  SOCK=$WORK/linkem.sock
  if [ $NETNS = 1 ]; then
    netns_up || return 1
    lo_push_pri=10.77.1.1; lo_push_bak=10.77.2.1  # where pushers send
    lo_origin=10.77.3.2; lo_edge=10.77.4.2         # the relays' addresses
    linkem_lo=10.77.4.1                             # edge-facing side
    origin_in=0.0.0.0
  else
    lo_push_pri=127.0.0.1; lo_push_bak=127.0.0.1
    lo_origin=127.0.0.1; lo_edge=127.0.0.1; linkem_lo=127.0.0.1
    origin_in=127.0.0.1
  fi
  cat > "$WORK/origin.ini" <<EOC
[server]
http = $origin_in:$p

[stream demo]
inputs = srt://$origin_in:$((p + 1))?mode=listener;rtp://$origin_in:$((p + 2))
input-names = primary;backup
outputs = srt://$origin_in:$((p + 4))?mode=listener
revert-after-s = 5
EOC
  cat > "$WORK/edge.ini" <<EOC
[server]
http = $origin_in:$((p + 20))

[stream demo]
inputs = srt://$linkem_lo:$((p + 14))?mode=caller;srt://$linkem_lo:$((p + 15))?mode=caller
input-names = origin-a;origin-b
outputs = srt://$origin_in:$((p + 21))?mode=listener
revert-after-s = 5
EOC
  bg "$WORK/linkem.log" "$RELAY_TIMEOUT" "$B/hf-linkem" --ctl "$SOCK" run \
    "primary=$lo_push_pri:$((p + 10))>$lo_origin:$((p + 1))" \
    "backup=$lo_push_bak:$((p + 12))>$lo_origin:$((p + 2))*2" \
    "origin-a=$linkem_lo:$((p + 14))>$lo_origin:$((p + 4))" \
    "origin-b=$linkem_lo:$((p + 15))>$lo_origin:$((p + 4))"
  for _ in $(seq 1 100); do
    grep -q 'ready' "$WORK/linkem.log" && break
    sleep 0.05
  done
  grep -q 'ready' "$WORK/linkem.log" ||
    { fail "hf-linkem did not start: $(tail -3 "$WORK/linkem.log")"; return 1; }
  bg "$WORK/origin.log" "$RELAY_TIMEOUT" $(nsx $NS_ORIGIN) "$HOLDFAST" \
    --config "$WORK/origin.ini"
  bg "$WORK/edge.log" "$RELAY_TIMEOUT" $(nsx $NS_EDGE) "$HOLDFAST" \
    --config "$WORK/edge.ini"
  for _ in $(seq 1 100); do
    curl -sf --max-time 1 "http://$lo_origin:$p/api/v1/server" >/dev/null &&
      curl -sf --max-time 1 "http://$lo_edge:$((p + 20))/api/v1/server" \
        >/dev/null && break
    sleep 0.1
  done
  bg "$WORK/push-primary.log" "$RELAY_TIMEOUT" $(nsx $NS_PUSH) "$B/hf-push" \
    "srt://$lo_push_pri:$((p + 10))" --label PRIMARY --pattern smpte \
    --width 640 --height 360 --bitrate 1500
  bg "$WORK/push-backup.log" "$RELAY_TIMEOUT" $(nsx $NS_PUSH) "$B/hf-push" \
    "rtp://$lo_push_bak:$((p + 12))" --label BACKUP --pattern ball \
    --width 640 --height 360 --bitrate 1500
  export HF_LINKEM_CTL=$SOCK
  export HF_DRILL_STATE=$WORK/drill.state
  export HF_DRILL_ORIGIN_API=http://$lo_origin:$p
  export HF_DRILL_EDGE_API=http://$lo_edge:$((p + 20))
  export HF_DRILL_ORIGIN_VIEW=srt://$lo_origin:$((p + 4))
  export HF_DRILL_EDGE_VIEW=srt://$lo_edge:$((p + 21))
  if [ $NETNS = 1 ]; then
    export HF_DRILL_PRIMARY_DEV="netdev:hfd-pri@$NS_PUSH"
    export HF_DRILL_BACKUP_DEV="netdev:hfd-bak@$NS_PUSH"
    export HF_DRILL_EDGE_DEV="netdev:hfd-edg@$NS_EDGE"
  else
    export HF_DRILL_PRIMARY_DEV= HF_DRILL_BACKUP_DEV= HF_DRILL_EDGE_DEV=
  fi
}

topology_down () {
  cleanup
  netns_down
}

# ---- drills ------------------------------------------------------------------

trap 'topology_down; rm -rf "$WORK"' EXIT
START=$(now)
OUT=${KEEP:-$WORK/out}
mkdir -p "$OUT"
RESULTS=()
for s in "${SCENARIOS[@]}"; do
  f=tools/drills/$s.ini
  [ -f "$f" ] || { fail "no scenario $f"; continue; }
  echo "== drill $s$([ $NETNS = 1 ] && echo ' (network namespaces)')"
  if ! topology_up; then
    topology_down; RESULTS+=("$s"); continue
  fi
  # Bounded, and tracked like the topology: a stuck drill must not hang
  # make drill (hf-drill restores its links on the TERM).
  bg "$OUT/$s.txt" 300 "$B/hf-drill" run "$f" --json "$OUT/$s.json"
  wait "$BG_PID"
  rc=$?
  # The report, without the per-event trace.
  sed -n '/^drill .*(primary .*): [a-z]*$/,$p' "$OUT/$s.txt"
  [ $rc -le 1 ] || { fail "$s: hf-drill exit $rc"; grep -m3 -i 'error\|not ready' "$OUT/$s.txt"; }
  [ $rc = 0 ] || FAILED=1
  for log in "$WORK"/*.log; do cp "$log" "$OUT/$s-$(basename "$log")"; done
  topology_down
  RESULTS+=("$s")
done

echo
echo "Drill results$([ $NETNS = 1 ] && echo ' (network namespaces)'):"
printf '%-16s %-16s %10s %10s  %s\n' scenario SLO limit measured result
for s in "${RESULTS[@]}"; do
  j=$OUT/$s.json
  if [ ! -s "$j" ]; then
    printf '%-16s %-16s %10s %10s  %s\n' "$s" - - - "ERROR (no report)"
    continue
  fi
  jq -r --arg s "$s" '.slos[] | [$s, .slo,
      (.limit | tostring) + " " + .unit,
      (if .measured == null then "none" else (.measured | tostring) + " " + .unit end),
      (if .pass then "pass" else "FAIL" end)] | @tsv' "$j" |
    while IFS=$'\t' read -r a b c d e; do
      printf '%-16s %-16s %10s %10s  %s\n' "$a" "$b" "$c" "$d" "$e"
    done
  r=$(jq -r .result "$j")
  [ "$r" = pass ] || printf '%-16s %-16s %10s %10s  %s\n' "$s" "(drill)" - - "$r"
done
bench_end "$START"
