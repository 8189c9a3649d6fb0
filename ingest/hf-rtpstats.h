/* RTP reception statistics: sequence-number loss accounting and RFC 3550
 * interarrival jitter, for one RTP source.
 *
 * Plain C, time passed in, no locking: the owner serialises calls (the
 * input's streaming thread updates, the control thread reads under the
 * input's stats lock).
 */
#ifndef HF_RTPSTATS_H
#define HF_RTPSTATS_H

#include <glib.h>

G_BEGIN_DECLS

/* How far back duplicates are recognised, in sequence numbers. */
#define HF_RTP_STATS_HISTORY 1024
/* A jump larger than this ahead, or more than MAX_MISORDER behind, is not
 * in sequence: it restarts the count when the next packet follows it (the
 * sender restarted), else it is ignored as stale (RFC 3550 A.1). */
#define HF_RTP_STATS_MAX_DROPOUT 3000
#define HF_RTP_STATS_MAX_MISORDER 100

typedef struct
{
  guint clock_rate;
  gboolean started;
  guint16 max_seq;              /* highest sequence number seen */
  guint32 cycles;               /* wraps of the sequence number, << 16 */
  guint32 base_seq;             /* first extended sequence number */
  guint64 received;             /* distinct packets received */
  guint64 duplicates;
  guint64 reordered;            /* arrived after a higher sequence number */
  guint64 restarts;             /* sequence restarts (big jumps) */
  guint64 stale;                /* far out of order, ignored */
  guint32 bad_seq;              /* RFC 3550 A.1: a jump confirmed by seq+1 */
  guint64 expected_before_restart;      /* expected in earlier runs */
  /* Bitmap of the last HF_RTP_STATS_HISTORY extended sequence numbers. */
  guint8 seen[HF_RTP_STATS_HISTORY / 8];
  /* Jitter, RFC 3550 6.4.1 / A.8, in timestamp units, scaled by 16. */
  gint64 last_transit;
  gboolean have_transit;
  guint64 jitter_q4;
} HfRtpStats;

void hf_rtp_stats_init (HfRtpStats * s, guint clock_rate);
/* Accounts one packet with sequence number @seq and RTP timestamp @rtp_ts
 * that arrived at @arrival_us (any monotonic microsecond clock). */
void hf_rtp_stats_update (HfRtpStats * s, guint16 seq, guint32 rtp_ts,
    gint64 arrival_us);
/* Packets the sender sent in the sequence range seen so far. */
guint64 hf_rtp_stats_expected (const HfRtpStats * s);
/* expected - received, never negative (duplicates are not counted twice). */
guint64 hf_rtp_stats_lost (const HfRtpStats * s);
gdouble hf_rtp_stats_jitter_ms (const HfRtpStats * s);

G_END_DECLS
#endif
