/* Fuzz target: RTP reception statistics (ingest/hf-rtpstats.c).  The bytes
 * are a clock-rate choice, then 8-byte records (sequence number 16 bits,
 * RTP timestamp 32 bits, arrival delta 16 bits in units of 10 us) fed to
 * hf_rtp_stats_update() in order.  After every packet the figures must
 * hold together; abort() if they do not:
 *  - every packet counts once: received + duplicates + stale = packets
 *    fed (stale: far out of sequence and not confirmed, RFC 3550 A.1);
 *  - received <= expected, so lost = expected - received exactly;
 *  - expected never decreases; reordered <= received;
 *  - jitter is finite and >= 0.
 * Single-threaded.
 */
#include "tests/fuzz/fuzz.h"
#include "ingest/hf-rtpstats.h"

#include <math.h>
#include <stdlib.h>

#define HF_FUZZ_RECORD 8

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static const guint rates[] = { 90000, 48000, 8000, 0 };
  HfRtpStats s;
  gint64 arrival_us = G_GINT64_CONSTANT (1000000000000);
  guint64 fed = 0, prev_expected = 0;
  size_t i;

  if (size < 1)
    return 0;
  hf_rtp_stats_init (&s, rates[data[0] & 3]);
  for (i = 1; i + HF_FUZZ_RECORD <= size; i += HF_FUZZ_RECORD) {
    const uint8_t *r = data + i;
    guint16 seq = (r[0] << 8) | r[1];
    guint32 ts = ((guint32) r[2] << 24) | (r[3] << 16) | (r[4] << 8) | r[5];
    guint64 expected, lost;
    gdouble jitter;

    arrival_us += ((r[6] << 8) | r[7]) * 10;
    hf_rtp_stats_update (&s, seq, ts, arrival_us);
    fed++;

    expected = hf_rtp_stats_expected (&s);
    lost = hf_rtp_stats_lost (&s);
    jitter = hf_rtp_stats_jitter_ms (&s);
    if (s.received + s.duplicates + s.stale != fed)
      abort ();
    if (s.received > expected || lost != expected - s.received)
      abort ();
    if (expected < prev_expected || s.reordered > s.received)
      abort ();
    if (s.restarts >= fed)
      abort ();
    if (!isfinite (jitter) || jitter < 0)
      abort ();
    prev_expected = expected;
  }
  return 0;
}
