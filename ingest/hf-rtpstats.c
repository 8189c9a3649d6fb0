/* RTP reception statistics (see hf-rtpstats.h).
 *
 * Sequence accounting follows RFC 3550 appendix A.1: a 16-bit sequence
 * number extended with a wrap counter, expected = highest - base + 1.  Two
 * departures from the RFC's sketch: duplicates are recognised over a
 * history bitmap so that lost = expected - received never goes negative,
 * and a jump beyond MAX_DROPOUT restarts the count at once (the RFC waits
 * for a second packet), carrying the loss so far so that a pusher restart
 * does not erase history.
 */
#include "ingest/hf-rtpstats.h"

#include <string.h>

static guint64
hf_rtp_stats_ext_max (const HfRtpStats * s)
{
  return (guint64) s->cycles + s->max_seq;
}

static gboolean
hf_rtp_stats_test_and_set (HfRtpStats * s, guint64 ext)
{
  guint bit = ext % HF_RTP_STATS_HISTORY;
  guint8 mask = 1u << (bit % 8);
  gboolean was = (s->seen[bit / 8] & mask) != 0;

  s->seen[bit / 8] |= mask;
  return was;
}

static void
hf_rtp_stats_clear_bit (HfRtpStats * s, guint64 ext)
{
  guint bit = ext % HF_RTP_STATS_HISTORY;

  s->seen[bit / 8] &= ~(1u << (bit % 8));
}

void
hf_rtp_stats_init (HfRtpStats * s, guint clock_rate)
{
  memset (s, 0, sizeof (*s));
  s->clock_rate = clock_rate ? clock_rate : 90000;
  s->bad_seq = G_MAXUINT32;     /* no 16-bit sequence number matches */
}

static void
hf_rtp_stats_start (HfRtpStats * s, guint16 seq)
{
  memset (s->seen, 0, sizeof (s->seen));
  s->started = TRUE;
  s->max_seq = seq;
  s->cycles = 0;
  s->base_seq = seq;
  hf_rtp_stats_test_and_set (s, seq);
}

static void
hf_rtp_stats_update_jitter (HfRtpStats * s, guint32 rtp_ts, gint64 arrival_us)
{
  /* Arrival time in timestamp units; only differences matter, so the
   * 32-bit wrap of both terms cancels out. */
  guint32 arrival_ts = (guint32) ((guint64) arrival_us * s->clock_rate /
      G_USEC_PER_SEC);
  gint64 transit = (gint32) (arrival_ts - rtp_ts);

  if (s->have_transit) {
    gint64 d = transit - s->last_transit;

    if (d < 0)
      d = -d;
    /* J += (|D| - J) / 16, kept scaled by 16 as in RFC 3550 A.8. */
    s->jitter_q4 += d - ((s->jitter_q4 + 8) >> 4);
  }
  s->last_transit = transit;
  s->have_transit = TRUE;
}

void
hf_rtp_stats_update (HfRtpStats * s, guint16 seq, guint32 rtp_ts,
    gint64 arrival_us)
{
  guint16 udelta;

  if (!s->started) {
    hf_rtp_stats_start (s, seq);
    s->received = 1;
    hf_rtp_stats_update_jitter (s, rtp_ts, arrival_us);
    return;
  }

  udelta = seq - s->max_seq;
  if (udelta == 0) {
    s->duplicates++;
    return;
  }

  if (udelta < HF_RTP_STATS_MAX_DROPOUT) {
    /* In order, possibly with a gap: clear the history bits we skip over so
     * that an old packet with the same slot is not taken for a duplicate. */
    guint64 ext_old = hf_rtp_stats_ext_max (s);
    guint64 k;

    if (udelta >= HF_RTP_STATS_HISTORY)
      memset (s->seen, 0, sizeof (s->seen));
    else
      for (k = 1; k < udelta; k++)
        hf_rtp_stats_clear_bit (s, ext_old + k);
    if (seq < s->max_seq)
      s->cycles += 1u << 16;
    s->max_seq = seq;
    hf_rtp_stats_clear_bit (s, hf_rtp_stats_ext_max (s));
    hf_rtp_stats_test_and_set (s, hf_rtp_stats_ext_max (s));
    s->received++;
    hf_rtp_stats_update_jitter (s, rtp_ts, arrival_us);
  } else if (udelta > 65536 - HF_RTP_STATS_MAX_MISORDER) {
    /* Late (reordered) or duplicate packet behind the highest one. */
    guint16 back = s->max_seq - seq;
    guint64 ext_max = hf_rtp_stats_ext_max (s);
    guint64 ext;

    if (back > ext_max - s->base_seq || back >= HF_RTP_STATS_HISTORY) {
      /* Before the start of the count: nothing to account. */
      s->duplicates++;
      return;
    }
    ext = ext_max - back;
    if (hf_rtp_stats_test_and_set (s, ext)) {
      s->duplicates++;
      return;
    }
    s->received++;
    s->reordered++;
    hf_rtp_stats_update_jitter (s, rtp_ts, arrival_us);
  } else if (seq != s->bad_seq) {
    /* A big jump, or a packet far behind: ignore it unless the next packet
     * follows it (RFC 3550 A.1), so one stale packet does not restart the
     * count. */
    s->bad_seq = (guint16) (seq + 1);
    s->stale++;
  } else {
    /* Two packets in sequence after a jump: the sender restarted.  Keep
     * what was lost so far; the new run starts at the first of the two,
     * which was set aside as stale and now counts as received. */
    s->expected_before_restart = hf_rtp_stats_expected (s);
    s->restarts++;
    s->stale--;
    hf_rtp_stats_start (s, (guint16) (seq - 1));
    s->max_seq = seq;
    s->cycles = (seq == 0) ? (1u << 16) : 0;
    hf_rtp_stats_test_and_set (s, hf_rtp_stats_ext_max (s));
    s->received += 2;
    s->bad_seq = G_MAXUINT32;
    s->have_transit = FALSE;
    hf_rtp_stats_update_jitter (s, rtp_ts, arrival_us);
  }
}

guint64
hf_rtp_stats_expected (const HfRtpStats * s)
{
  if (!s->started)
    return 0;
  return s->expected_before_restart +
      (hf_rtp_stats_ext_max (s) - s->base_seq + 1);
}

guint64
hf_rtp_stats_lost (const HfRtpStats * s)
{
  guint64 expected = hf_rtp_stats_expected (s);

  return expected > s->received ? expected - s->received : 0;
}

gdouble
hf_rtp_stats_jitter_ms (const HfRtpStats * s)
{
  return (gdouble) s->jitter_q4 / 16.0 * 1000.0 / s->clock_rate;
}
