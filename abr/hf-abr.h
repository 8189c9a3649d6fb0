/* Holdfast ABR module: rate measurement, RTCP feedback and rate control.
 *
 * The sliding-window rate meter that every input and output uses for its
 * `bitrate_bps` figure; the RTCP feedback a receiver sends its RTP sender
 * (receiver reports, NACK, REMB, TMMBR) and its parser; the receiver-side
 * rate controller that decides the target bitrate, and the sender-side one
 * hf-push uses over SRT.  Plain C, time passed in, no locking: the owner
 * serialises calls.
 */
#ifndef HF_ABR_H
#define HF_ABR_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define HF_RATE_WINDOW_BUCKETS 10

/* A rate meter over a sliding window of HF_RATE_WINDOW_BUCKETS buckets. */
typedef struct
{
  gint64 window_us;             /* whole window, e.g. 1 s */
  gint64 bucket_us;
  gint64 head_start_us;         /* start time of the newest bucket */
  guint head;                   /* index of the newest bucket */
  guint64 bytes[HF_RATE_WINDOW_BUCKETS];
  guint64 packets[HF_RATE_WINDOW_BUCKETS];
  gint64 started_us;            /* time of the first add */
  gboolean started;
} HfRateWindow;

void hf_rate_window_init (HfRateWindow * w, gint64 window_us);
void hf_rate_window_add (HfRateWindow * w, guint64 bytes, gint64 now_us);
/* Bits per second over the window that ends at @now_us; 0 when nothing was
 * added during it.  A window that has not yet been running for its whole
 * length is measured over the time it has run. */
guint64 hf_rate_window_bps (HfRateWindow * w, gint64 now_us);
guint64 hf_rate_window_packets (HfRateWindow * w, gint64 now_us);


/* ---- RTCP feedback (abr/hf-rtcpfb.c) ------------------------------------
 *
 * What a receiver of ours tells an RTP sender, and what a sender of ours
 * reads back: receiver reports (RFC 3550), generic NACK (RFC 4585 RTPFB
 * FMT 1), TMMBR (RFC 5104 RTPFB FMT 3) and REMB (draft-alvestrand-rmcat-
 * remb, PSFB FMT 15 "REMB").  Plain C over bytes; the parser takes
 * untrusted input (fuzzed: fuzz-rtcpfb) and never reads past @size.
 */

#define HF_RTCP_MAX_NACKS 256

typedef struct
{
  guint32 media_ssrc;           /* the sender's SSRC the report is about */
  /* Receiver report block (RFC 3550 6.4.2), has_rr when present. */
  gboolean has_rr;
  guint8 fraction_lost;         /* of 256, since the previous report */
  guint32 cumulative_lost;
  guint32 highest_seq;          /* extended */
  guint32 jitter;               /* timestamp units */
  guint32 lsr, dlsr;
  /* REMB / TMMBR: 0 when absent. */
  guint64 remb_bps;
  guint64 tmmbr_bps;
  /* Sequence numbers asked for by generic NACKs, in packet order. */
  guint16 nacks[HF_RTCP_MAX_NACKS];
  guint n_nacks;
} HfRtcpFeedback;

typedef enum
{
  HF_RTCP_OK = 0,
  HF_RTCP_MALFORMED,            /* not a valid compound RTCP packet */
} HfRtcpResult;

/* Parses a compound RTCP packet; fields about other SSRCs than
 * @media_ssrc (0: any) are ignored.  @fb is cleared first. */
HfRtcpResult hf_rtcp_parse_feedback (const guint8 * data, gsize size,
    guint32 media_ssrc, HfRtcpFeedback * fb);

/* Builders append one RTCP packet each to @out (a compound packet starts
 * with an RR: call hf_rtcp_build_rr first).  @sender_ssrc is the receiver's
 * own SSRC. */
void hf_rtcp_build_rr (GByteArray * out, guint32 sender_ssrc,
    guint32 media_ssrc, guint8 fraction_lost, guint32 cumulative_lost,
    guint32 highest_seq, guint32 jitter);
void hf_rtcp_build_remb (GByteArray * out, guint32 sender_ssrc,
    guint32 media_ssrc, guint64 bps);
void hf_rtcp_build_tmmbr (GByteArray * out, guint32 sender_ssrc,
    guint32 media_ssrc, guint64 bps, guint overhead_bytes);
/* One or more generic NACK FCIs covering @seqs (any order, duplicates
 * allowed). */
void hf_rtcp_build_nack (GByteArray * out, guint32 sender_ssrc,
    guint32 media_ssrc, const guint16 * seqs, guint n_seqs);

/* ---- Receiver-side rate control (abr/hf-ratectl.c) ---------------------
 *
 * Estimates what an RTP link can carry from what arrives: the receive rate,
 * the loss, and the growth of the one-way delay (arrival time against the
 * RTP timestamp: a queue building up in front of a bottleneck shows there
 * before any loss).  Decides a target bitrate for the sender, WebRTC-style:
 *   - overuse (queueing delay above a threshold and growing, or loss above
 *     10 %): cut to 0.85 x the receive rate, at once;
 *   - loss between 2 % and 10 %: hold (no increase; random loss is for
 *     FEC and RTX to repair, not a sign of congestion);
 *   - otherwise hold for a moment after a cut, then probe upward,
 *     multiplicatively, faster when far below the last rate that failed;
 *   - always within [min_bps, max_bps].
 * Feedback is due every HF_RATECTL_FEEDBACK_US, and at once after a cut.
 * Plain C, time passed in, no locking. */

#define HF_RATECTL_FEEDBACK_US (200 * 1000)

typedef enum
{
  HF_RATECTL_HOLD,
  HF_RATECTL_INCREASE,
  HF_RATECTL_DECREASE
} HfRatectlState;

const gchar *hf_ratectl_state_to_string (HfRatectlState state);

typedef struct _HfRatectl HfRatectl;

HfRatectl *hf_ratectl_new (guint64 start_bps, guint64 min_bps,
    guint64 max_bps);
void hf_ratectl_free (HfRatectl * rc);
/* One media packet: @size bytes, RTP timestamp @rtp_ts (@clock_rate Hz),
 * extended sequence number @ext_seq, arrived at @now_us. */
void hf_ratectl_on_packet (HfRatectl * rc, gsize size, guint32 rtp_ts,
    guint clock_rate, guint64 ext_seq, gint64 now_us);
/* Re-evaluates at @now_us; returns TRUE when feedback is due now (the
 * period passed, or the target was just cut), and then @target_bps holds
 * the target to send. */
gboolean hf_ratectl_update (HfRatectl * rc, gint64 now_us,
    guint64 * target_bps);
guint64 hf_ratectl_get_target (HfRatectl * rc);
HfRatectlState hf_ratectl_get_state (HfRatectl * rc);
/* Figures the estimator works from (for stats and logs). */
guint64 hf_ratectl_get_receive_bps (HfRatectl * rc);
gdouble hf_ratectl_get_queue_delay_ms (HfRatectl * rc);
gdouble hf_ratectl_get_loss_ratio (HfRatectl * rc);

/* ---- Sender-side rate control over SRT (abr/hf-ratectl.c) -------------
 *
 * hf-push over SRT has no receiver feedback to obey: it adapts from its own
 * srtsink statistics, sampled every ~200 ms: packets sent and retransmitted
 * or lost since the last sample, the RTT, and the send buffer (how much
 * waits unacknowledged, in ms).  A send buffer growing beyond ~RTT + the
 * latency budget, or sustained loss, cuts the bitrate; a clean link probes
 * upward like the receiver-side controller. */

typedef struct
{
  guint64 pkt_sent;             /* cumulative */
  guint64 pkt_lost;             /* cumulative: reported lost by the peer */
  guint64 pkt_retrans;          /* cumulative */
  gdouble rtt_ms;
  gdouble send_buffer_ms;       /* msSndBuf */
  guint64 send_rate_bps;        /* mbpsSendRate * 1e6, or measured */
} HfSrtSample;

typedef struct _HfSrtRatectl HfSrtRatectl;

HfSrtRatectl *hf_srt_ratectl_new (guint64 start_bps, guint64 min_bps,
    guint64 max_bps);
void hf_srt_ratectl_free (HfSrtRatectl * rc);
/* Returns TRUE when the target changed; @target_bps then holds it. */
gboolean hf_srt_ratectl_update (HfSrtRatectl * rc, const HfSrtSample * s,
    gint64 now_us, guint64 * target_bps);
guint64 hf_srt_ratectl_get_target (HfSrtRatectl * rc);

/* ---- The sending end of a repaired RTP link (abr/gsthfrtpsink.c) --------
 *
 * "hfrtpsink": a bin that sends RTP to host:port (RTCP to port+1) and reads
 * the receiver's feedback, used by hf-push and by the relay's RTP outputs:
 *
 *   sink (RTP) ! rtprtxsend ! hffecenc ! udpsink          (RTP socket)
 *   rtcp_sink (optional, e.g. rtpbin's SR) ! udpsink      (RTCP socket)
 *   udpsrc (RTP socket) + udpsrc (RTCP socket) ! feedback probe ! fakesink
 *
 * Feedback is read on both sockets (a receiver of ours answers the address
 * RTCP came from, or the RTP source address before any RTCP came, RFC 5761
 * style).  NACKs become retransmission requests to rtprtxsend (RFC 4588,
 * HF_RTX_PT_* payload types); receiver reports drive `fec=auto`; REMB and
 * TMMBR are announced with the "bitrate-request" signal.
 *
 * Properties: "host" (string), "port" (int), "rtx" (bool, default FALSE),
 * "fec-mode" (string "off" | "auto" | "N" percent, default "off"),
 * "bind-address" (string, default any), "sync" (bool, default TRUE: send
 * each packet at its running time like udpsink; FALSE for a pass-through
 * hop), read-only "stats" (GstStructure:
 * packets-sent, bytes-sent, rtx-requested, rtx-sent, fec-packets,
 * fec-percent, rr-fraction-lost (double 0..1), remb-bps, tmmbr-bps,
 * feedback-packets, bad-feedback-packets, rtx-dropped, all guint64 except
 * as said).
 * Signal "bitrate-request" (guint64 bps): a REMB or TMMBR arrived, emitted
 * on the feedback udpsrc's streaming thread with no lock held; the
 * smaller of the two current values is passed (a value is current for 2 s
 * after it arrived).
 *
 * Feedback is accepted only from the IP address the bin sends to (any
 * port); other datagrams count in bad-feedback-packets.  Retransmissions
 * are bounded: a sequence number is resent at most once per 30 ms, and
 * all of them by a budget of 25 % of the last second's media packets plus
 * a burst of 50; NACKed sequence numbers not resent for either reason
 * count in "rtx-dropped". */

/* Registers "hfrtpsink".  Any thread, after gst_init (); needs the
 * ingest module's FEC elements registered too (hf_fec_register_elements). */
gboolean hf_abr_register_elements (void);

/* ---- Rendition ladder: the rung an output sends (abr/hf-rung.c) --------
 *
 * Each RTP/SRT output of a stream with a ladder picks a rung from its own
 * link's reports: RTP from the receiver's RTCP (fraction lost, REMB), SRT
 * from libsrt's per-connection statistics (loss, send buffer, bandwidth
 * estimate, RTT).  Down fast: one bad report (loss above HF_RUNG_BAD_LOSS,
 * or a send buffer more than HF_RUNG_SNDBUF_MS above the lowest RTT seen
 * and growing: a queue building up in front of the link, or an estimate
 * below the current rung) steps down at once, to the highest rung that fits 0.85 x
 * the estimate when one is known, else one rung; the next step down waits
 * until the output has taken the rung (at its next keyframe, told by
 * hf_rung_applied ()) and HF_RUNG_SETTLE_US more for the queue to drain,
 * or HF_RUNG_DOWN_HOLD_US at most.  Up carefully: one rung after HF_RUNG_CLEAN_US of clean reports
 * (loss below HF_RUNG_CLEAN_LOSS, send buffer not growing) with an
 * estimate >= 1.3 x that rung's bitrate; with no estimate known at all,
 * after three clean periods.  A step up followed by a step down within a
 * clean period doubles the clean period the next step up needs (up to
 * HF_RUNG_MAX_BACKOFF times); a rung held clean that long resets it.
 * Never outside the ladder.  Rung 0 is the top
 * (the highest bitrate).  Plain C, time passed in, no locking.
 *
 * hf_rung_set_link () says what the reports mean.  @repaired (FEC or RTX
 * on): the loss reported is before repair, so loss up to
 * HF_RUNG_REPAIRED_LOSS neither steps down nor spoils a clean period.
 * @estimate_capped: the estimate is a receiver's (REMB) that probes at
 * most ~1.5 x what it receives: an estimate >= HF_RUNG_CAP_FRACTION x the
 * current rung is that cap (no upper bound known), so a step up needs one
 * clean period; after a step up, until the estimate reaches the new rung
 * (or HF_RUNG_CLEAN_US after the rung was taken), only a cut (below 0.85 x
 * the highest estimate since the rung was taken) counts as "below the
 * rung": the receiver's estimate climbs after the rung is taken.  A report
 * with nothing known (no loss, estimate nor send buffer: feedback gone
 * stale) neither steps nor counts as clean. */

#define HF_RUNG_MAX_RUNGS 6
#define HF_RUNG_BAD_LOSS 0.03
#define HF_RUNG_CLEAN_LOSS 0.01
#define HF_RUNG_SNDBUF_MS 120.0
#define HF_RUNG_CLEAN_US (10 * G_USEC_PER_SEC)
#define HF_RUNG_DOWN_HOLD_US (3 * G_USEC_PER_SEC)
#define HF_RUNG_SETTLE_US (500 * 1000)
#define HF_RUNG_UP_MARGIN 1.3
#define HF_RUNG_MAX_BACKOFF 8
#define HF_RUNG_REPAIRED_LOSS 0.10
#define HF_RUNG_CAP_FRACTION 1.4

typedef struct
{
  gdouble loss_ratio;           /* 0..1 since the previous report; < 0:
                                 * unknown */
  guint64 estimate_bps;         /* what the link can carry (REMB, SRT's
                                 * bandwidth estimate); 0: unknown */
  gdouble send_buffer_ms;       /* SRT: data waiting unacknowledged; < 0:
                                 * unknown */
  gdouble rtt_ms;               /* < 0: unknown */
} HfRungReport;

typedef struct _HfRung HfRung;

/* (transfer full).  @ladder_bps: @n_rungs (1..6) bitrates, highest first
 * (copied); starts on rung 0 at @now_us. */
HfRung *hf_rung_new (const guint64 * ladder_bps, guint n_rungs,
    gint64 now_us);
void hf_rung_free (HfRung * r);
/* One link report at @now_us.  Returns TRUE when the chosen rung changed;
 * @reason (nullable, static string) then says why. */
gboolean hf_rung_update (HfRung * r, const HfRungReport * report,
    gint64 now_us, const gchar ** reason);
/* The output now sends @rung (it switched at a keyframe) at @now_us. */
void hf_rung_applied (HfRung * r, guint rung, gint64 now_us);
guint hf_rung_get (HfRung * r);
guint hf_rung_get_n_rungs (HfRung * r);
guint64 hf_rung_get_bitrate (HfRung * r, guint rung);
/* Before the first report (see above); both FALSE by default. */
void hf_rung_set_link (HfRung * r, gboolean repaired,
    gboolean estimate_capped);

G_END_DECLS
#endif
