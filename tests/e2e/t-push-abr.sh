# shellcheck shell=bash
# End-to-end test of hf-push's adaptive bitrate over RTP: a real receiver
# (a few lines of Python on loopback, ports picked free at run time)
# answers hf-push's RTP with RTCP REMB, the way a Holdfast input does, and
# measures what arrives.  Sourced by tests/e2e/run.sh; takes about 12 s.
#
#   HF_E2E_ONLY="push_obeys_remb" tests/e2e/run.sh

ALL+=(push_obeys_remb)

# The receiver: binds PORT (RTP) and PORT+1, and once RTP flows sends, at
# each SECONDS:BPS of PLAN (seconds after the first RTP packet), an RR +
# REMB compound packet about the RTP's SSRC to the address the RTP comes
# from (SECONDS:tBPS: RR + TMMBR).  Prints "remb BPS t=MONOTONIC_US" (or
# "tmmbr ...") per packet and, at the end, "rate A-B N kbit/s": RTP bytes
# received between A and B seconds.
#   push_abr_receiver PORT PLAN WINDOWS
push_abr_receiver () {
  python3 - "$@" <<'EOP'
import select, socket, struct, sys, time

port = int(sys.argv[1])
plan = [(float(a), b) for a, b in
        (x.split(':') for x in sys.argv[2].split(','))]
windows = [tuple(float(v) for v in w.split('-')) for w in sys.argv[3].split(',')]
end = max(plan[-1][0], max(b for a, b in windows)) + 0.5


def remb(sender, media, bps):
    exp, m = 0, bps
    while m >= (1 << 18):
        m >>= 1
        exp += 1
    body = struct.pack('!II', sender, 0) + b'REMB' + \
        struct.pack('!II', (1 << 24) | (exp << 18) | m, media)
    psfb = struct.pack('!BBH', 0x80 | 15, 206, len(body) // 4) + body
    rr = struct.pack('!BBHI', 0x80, 201, 1, sender)
    return rr + psfb


def tmmbr(sender, media, bps):
    exp, m = 0, bps
    while m >= (1 << 17):
        m >>= 1
        exp += 1
    body = struct.pack('!III', sender, 0, media) + \
        struct.pack('!I', (exp << 26) | (m << 9) | 40)
    rtpfb = struct.pack('!BBH', 0x80 | 3, 205, len(body) // 4) + body
    rr = struct.pack('!BBHI', 0x80, 201, 1, sender)
    return rr + rtpfb


socks = []
for p in (port, port + 1):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', p))
    socks.append(s)
print('ready', flush=True)
start = time.monotonic()
t0 = None
arrivals = []
ssrc = src = None
while t0 is None or time.monotonic() - t0 < end:
    if time.monotonic() - start > 15:
        print('no RTP within 15 s', flush=True)
        sys.exit(1)
    ready, _, _ = select.select(socks, [], [], 0.005)
    for s in ready:
        data, addr = s.recvfrom(65536)
        now = time.monotonic()
        if s is socks[0] and len(data) >= 12 and data[0] >> 6 == 2:
            if t0 is None:
                t0 = now
            ssrc = struct.unpack('!I', data[8:12])[0]
            src = addr
            arrivals.append((now - t0, len(data)))
    while t0 is not None and plan and time.monotonic() - t0 >= plan[0][0]:
        what = plan.pop(0)[1]
        kind, build = ('tmmbr', tmmbr) if what[0] == 't' else ('remb', remb)
        bps = int(what.lstrip('t'))
        socks[0].sendto(build(0x12345678, ssrc, bps), src)
        print('%s %d t=%d' % (kind, bps, time.monotonic_ns() // 1000),
              flush=True)
for a, b in windows:
    n = sum(size for t, size in arrivals if a <= t < b)
    print('rate %g-%g %d kbit/s' % (a, b, n * 8 / (b - a) / 1000), flush=True)
EOP
}

# push_abr_delay_ms LOG BPS KBPS: ms from the receiver's REMB of BPS to
# hf-push's "bitrate KBPS kbit/s (remb ...)" line (both CLOCK_MONOTONIC);
# empty if either is missing.
push_abr_delay_ms () {
  local sent applied
  sent=$(sed -n "s/^[a-z]* $2 t=\([0-9]*\)$/\1/p" "$T/receiver.log" | head -1)
  applied=$(sed -n "s/^hf-push: bitrate $3 kbit\/s (remb [0-9]*) t=\([0-9]*\)$/\1/p" "$1" | head -1)
  [ -n "$sent" ] && [ -n "$applied" ] && echo $(( (applied - sent) / 1000 ))
}

# hf-push (3000 kbit/s of snow, --min-bitrate 400) is sent REMB 1000 kbit/s
# at 3 s, 100 kbit/s at 4 s (below the minimum), 50 Mbit/s at 7 s (above
# the maximum) and a TMMBR of 800 kbit/s at 7.5 s.  Each change must be
# printed within 1 s of the packet, clamped to the range, and the RTP rate
# measured by the receiver over 2 s before (1-3 s) and after (5-7 s) must
# fall with it.  A clean stop afterwards.
test_push_obeys_remb () {
  local p rx push d1 d2 d3 d4 before after
  p=$(free_ports 2)
  bg "$T/receiver.log" timeout 20 bash -c "$(declare -f push_abr_receiver); \
    push_abr_receiver $p 3:1000000,4:100000,7:50000000,7.5:t800000 1-3,5-7"
  rx=${HF_PIDS[-1]}
  for _ in $(seq 1 100); do
    grep -q '^ready$' "$T/receiver.log" && break
    sleep 0.05
  done
  bg "$T/push.log" "$HF_BUILD/hf-push" "rtp://127.0.0.1:$p" --width 640 \
    --height 360 --pattern snow --bitrate 3000 --min-bitrate 400 --duration 15
  push=${HF_PIDS[-1]}
  wait_pid "$rx" 20 || fail "receiver did not finish"
  kill -TERM "$push" 2>/dev/null
  wait_pid "$push" 5 || fail "hf-push did not stop within 5 s of SIGTERM"
  wait "$push"; local rc=$?
  sed 's/^/  receiver: /' "$T/receiver.log"
  grep '^hf-push: bitrate' "$T/push.log" | sed 's/^/  /'

  d1=$(push_abr_delay_ms "$T/push.log" 1000000 1000)
  d2=$(push_abr_delay_ms "$T/push.log" 100000 400)
  d3=$(push_abr_delay_ms "$T/push.log" 50000000 3000)
  d4=$(push_abr_delay_ms "$T/push.log" 800000 800)
  echo "  REMB to new encoder bitrate: ${d1:-none} ms (1000k)," \
    "${d2:-none} ms (100k -> min 400k), ${d3:-none} ms (50M -> max 3000k)," \
    "TMMBR: ${d4:-none} ms (800k)"
  [ -n "$d1" ] && [ "$d1" -ge 0 ] && [ "$d1" -le 1000 ] ||
    fail "REMB 1000 kbit/s not obeyed within 1 s"
  [ -n "$d2" ] && [ "$d2" -ge 0 ] && [ "$d2" -le 1000 ] ||
    fail "REMB 100 kbit/s not clamped to --min-bitrate 400 within 1 s"
  [ -n "$d3" ] && [ "$d3" -ge 0 ] && [ "$d3" -le 1000 ] ||
    fail "REMB 50 Mbit/s not clamped to --bitrate 3000 within 1 s"
  [ -n "$d4" ] && [ "$d4" -ge 0 ] && [ "$d4" -le 1000 ] ||
    fail "TMMBR 800 kbit/s not obeyed within 1 s"
  [ "$(grep -c '^hf-push: bitrate' "$T/push.log")" = 4 ] ||
    fail "expected exactly 4 bitrate changes"

  before=$(sed -n 's/^rate 1-3 \([0-9]*\) kbit\/s$/\1/p' "$T/receiver.log")
  after=$(sed -n 's/^rate 5-7 \([0-9]*\) kbit\/s$/\1/p' "$T/receiver.log")
  echo "  RTP rate: ${before:-?} kbit/s before, ${after:-?} kbit/s at 400 kbit/s video"
  [ -n "$before" ] && [ -n "$after" ] || { fail "no rate measured"; return 1; }
  [ "$before" -ge 2500 ] || fail "3000 kbit/s of snow arrived as only $before kbit/s"
  [ "$after" -le 900 ] || fail "the rate did not fall to about 400 kbit/s + audio ($after)"
  [ $((after * 3)) -le "$before" ] || fail "the rate did not fall: $before -> $after"
  [ "$rc" = 0 ] || fail "hf-push exited with $rc"
}
