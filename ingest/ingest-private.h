/* Declarations shared by the files of the ingest module only (never
 * included from another folder): the HfInput structure, which
 * hf-input.c (pipelines, lifecycle, statistics) and hf-input-repair.c
 * (RTP repair and rate feedback) both work on, and the functions the
 * second lends the first.  The threads that enter each function are
 * those its comment names; the fields say which lock or thread guards
 * them.
 */
#ifndef HF_INGEST_PRIVATE_H
#define HF_INGEST_PRIVATE_H

#include "ingest/hf-ingest.h"
#include "ingest/hf-rtpstats.h"
#include "abr/hf-abr.h"

#include <gst/gst.h>
#include <gio/gio.h>

G_BEGIN_DECLS

/* One category for the whole module ("hf-ingest"), made by
 * hf_input_new (). */
GST_DEBUG_CATEGORY_EXTERN (hf_ingest_debug);

#define HF_INPUT_MAX_MEDIA 2

/* Feedback and repair state of one media slot (an RTP session). */
typedef struct
{
  /* Under stats_lock: set when the pipeline is built, cleared at teardown
   * (the elements and sockets are references). */
  gboolean used;                /* this slot sends feedback */
  gboolean want_rc;             /* ... and runs rate control */
  GstElement *rtp_src, *rtcp_src;
  GstElement *jb, *fecdec;
  GSocket *rtp_socket, *rtcp_socket;
  GSocketAddress *rtp_peer, *rtcp_peer;
  gint64 rtp_peer_us;
  guint32 media_ssrc;
  gboolean have_ssrc;
  /* Under stats_lock: the receiver report's state. */
  guint64 rr_expected, rr_lost;
  guint8 fraction_lost;
  /* The slot's RTP streaming thread only (freed at teardown, when that
   * thread has stopped). */
  HfRatectl *rc;
  HfRateWindow warmup_rate;
  gint64 first_us;
  gint64 next_eval_us;
  gint64 next_rr_us;
  guint64 last_target;
  guint64 ext_seq;
  gboolean have_seq;
} HfInputFb;

struct _HfInput
{
  HfInputSpec spec;
  gchar *name;
  guint index;
  HfInputSampleFunc func;
  gpointer user_data;

  /* Control thread only (backoff_ms: under stats_lock). */
  GMainContext *context;
  GstElement *pipeline;
  guint bus_watch;
  GSource *restart_source;
  guint backoff_ms;
  gboolean running;
  gint generation;              /* bumped per pipeline; read atomically */
  gint draining;                /* atomic: the demuxer is flushing at EOS */
  gint has_audio;               /* atomic: this session relays audio */
  const gchar *audio_codec;     /* atomic, interned */

  GMutex stats_lock;            /* guards the figures below */
  HfRateWindow rate;
  guint64 packets;
  guint64 bytes;
  guint64 malformed;
  guint64 restarts;
  guint64 access_units;
  gint64 first_packet_us;
  gint64 last_packet_us;        /* 0 = none yet */
  gint64 last_media_us;         /* last packet that was media (not RTCP) */
  HfRtpStats rtp[HF_INPUT_MAX_MEDIA];
  gboolean rtp_used[HF_INPUT_MAX_MEDIA];
  /* SRT figures, refreshed by hf_input_tick(). */
  guint64 srt_received;
  guint64 srt_lost;
  guint64 srt_received_base;    /* totals of earlier connections */
  guint64 srt_lost_base;
  gdouble rtt_ms;
  /* Interval loss, refreshed by hf_input_tick(). */
  guint64 tick_expected;
  guint64 tick_lost;
  gdouble loss_ratio;
  HfInputState state;

  /* Merged inputs only (n_paths 0 otherwise); paths and window_us are
   * fixed at creation. */
  HfInputSpec *paths;
  guint n_paths;
  gint64 window_us;
  /* Under stats_lock: the running pipeline's hfmerge (a reference), for
   * its "stats" from any thread; per-path figures before the merge; the
   * merge counters of earlier pipelines. */
  GstElement *merge;
  guint64 path_received[HF_INPUT_MAX_PATHS];
  gint64 path_last_us[HF_INPUT_MAX_PATHS];
  guint64 path_forwarded_base[HF_INPUT_MAX_PATHS];
  guint64 path_duplicates_base[HF_INPUT_MAX_PATHS];

  /* RTP repair and rate control (under stats_lock). */
  HfInputFb fb[HF_INPUT_MAX_MEDIA];
  guint32 own_ssrc;             /* fixed at creation */
  guint64 media_packets;        /* media RTP packets, before repair */
  guint64 fec_packets;
  guint64 rtx_requested;
  guint64 rtx_received;
  /* Counters of the running pipeline's elements (refreshed by tick) and
   * of earlier pipelines. */
  guint64 fec_recovered_live, fec_recovered_base;
  guint64 residual_lost_live, residual_lost_base;
  /* A new pusher (a new SSRC, a random first sequence number) on the same
   * pipeline: the jitter buffer may count the jump between the two
   * sessions' numbers as lost.  What it counts in the moment after the
   * change is set aside (residual_ignored), not reported as loss. */
  gint64 ssrc_changed_us;
  guint64 residual_ignored;
  guint64 residual_pushed_live, residual_pushed_base;
  /* Interval figures, refreshed by hf_input_tick(). */
  guint64 tick_fec_packets, tick_media_packets;
  guint64 tick_residual_lost, tick_residual_total;
  gdouble fec_overhead_ratio;
  gdouble residual_loss_ratio;
  guint64 target_bps;
  gdouble queue_delay_ms;
};

/* Per-probe context: which RTP statistics slot a pad feeds. */
typedef struct
{
  HfInput *input;
  gint slot;                    /* -1: not RTP (SRT bytes); 0/1: media slot */
  gboolean rtcp;
  gint fb_slot;                 /* feedback slot whose peer this pad
                                 * reveals, else -1 */
  gint media_pt;                /* the media payload type, -1: any */
  gint path;                    /* a merged input's path before the merge,
                                 * else -1 */
  gint generation;
} HfInputProbe;

/* ---- hf-input-repair.c: RTP repair and rate feedback ------------------- */

/* Control thread, while the pipeline is built: an rtpjitterbuffer for
 * @input (transfer floating), set up for retransmission requests when
 * the input asks for rtx and is not merged. */
GstElement *hf_input_make_jitterbuffer (HfInput * input);

/* Control thread, while the pipeline is built: links "@src ! hffecdec !
 * rtprtxreceive ! @jb" for feedback slot @slot (@src and @jb already in
 * the pipeline, transfer none) and records the slot's elements (references
 * under stats_lock).  FALSE when rtprtxreceive is missing or a link
 * fails. */
gboolean hf_input_link_repair (HfInput * input, guint slot, GstElement * src,
    GstElement * jb);

/* Control thread, after the pipeline went to PLAYING: takes the sockets
 * feedback is sent from from the slots' udpsrcs. */
void hf_input_fb_fetch_sockets (HfInput * input);

/* Control thread, the pipeline stopped (no streaming thread left): folds
 * the repair counters into the totals and forgets the slots. */
void hf_input_release_fb (HfInput * input);

/* Any thread, no lock held: the running pipeline's repair counters summed
 * over its slots (0 when no slot is set up). */
void hf_input_read_repair (HfInput * input, guint64 * recovered,
    guint64 * lost, guint64 * pushed);

/* stats_lock held, the streaming thread of @probe's pad: notes the address
 * the sender's packet @buf (transfer none) came from, for feedback. */
void hf_input_fb_note_peer_locked (HfInput * input,
    const HfInputProbe * probe, GstBuffer * buf, gint64 now);

/* The slot's RTP streaming thread, no lock held: one media packet for the
 * rate controller, and the feedback that falls due. */
void hf_input_fb_on_media (HfInput * input, guint slot, gsize size,
    guint16 seq, guint32 rtp_ts, guint clock_rate, gint64 now);

/* stats_lock held, from hf_input_tick (): the interval repair figures.
 * @live: the counters @recovered, @lost, @pushed (read by
 * hf_input_read_repair () before the lock was taken) are still those of
 * the running pipeline. */
void hf_input_repair_tick_locked (HfInput * input, gboolean live,
    guint64 recovered, guint64 lost, guint64 pushed, gint64 now_us);

/* stats_lock held: copies the repair and rate figures into @st. */
void hf_input_repair_get_stats_locked (HfInput * input, HfInputStats * st);

G_END_DECLS

#endif /* HF_INGEST_PRIVATE_H */
