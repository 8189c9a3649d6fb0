/* Holdfast failover module: which input is on air, and the one place where
 * the program's timeline is made.
 *
 *   hf-health.c  per-input health (IDLE/HEALTHY/DEGRADED/LOST, hysteresis,
 *                anti-flap hold-down); plain C, time passed in
 *   hf-select.c  the on-air decision from the inputs' health; pure function
 *   hf-slate.c   the "stream paused" clip, encoded once to match the live
 *                format (runs a GStreamer pipeline; a worker thread calls it)
 *   hf-mark.c    picture marks (LIVE/SLATE, counter, clock) drawn into and
 *                read from a luma plane; plain C (hf-mark.h)
 *   hf-merge.c   first-copy-wins merge of duplicate RTP paths (ST 2022-7
 *                style); plain C, time passed in
 *   hf-switch.c  the selection point every access unit goes through: health,
 *                decision, per-input GOP cache, keyframe-gated takes, one
 *                continuous output timeline, slate playout, events; plain C
 *                with time passed in (no clock, no pads)
 *   gsthfswitch.c, gsthfmerge.c  thin elements ("hfswitch", "hfmerge") that
 *                wrap the switch and the merge; the element's clock is "now"
 */
#ifndef HF_FAILOVER_H
#define HF_FAILOVER_H

#include <gio/gio.h>
#include <gst/gst.h>
#include "ingest/hf-ingest.h"

G_BEGIN_DECLS

/* Registers "hfswitch" and "hfmerge" with GStreamer (idempotent).  Any
 * thread, after gst_init(). */
gboolean hf_failover_register_elements (void);

/* ---- Health -------------------------------------------------------------- */

typedef enum
{
  HF_HEALTH_IDLE,               /* never received anything */
  HF_HEALTH_HEALTHY,
  HF_HEALTH_DEGRADED,           /* delivering, but loss or jitter too high */
  HF_HEALTH_LOST                /* nothing for input-timeout-ms */
} HfHealthState;

const gchar *hf_health_state_to_string (HfHealthState state);

typedef struct
{
  gint64 timeout_us;            /* LOST after this long without a packet */
  gdouble degraded_loss_ratio;  /* DEGRADED above this loss over window_us */
  gdouble degraded_jitter_ms;   /* DEGRADED above this interarrival jitter */
  gint64 window_us;             /* loss window, and the time a DEGRADED input
                                 * must stay clean to become HEALTHY again */
} HfHealthConfig;

/* Defaults: 250 ms, 5 %, 50 ms, 2 s. */
void hf_health_config_init (HfHealthConfig * config);

#define HF_HEALTH_MAX_SAMPLES 64
#define HF_HEALTH_MAX_DEATHS 16

/* One input's health.  A plain struct so the switch can keep an array of
 * them; the fields are private to hf-health.c: use the functions.  Not
 * thread-safe: its owner serialises calls (the switch's lock). */
typedef struct
{
  HfHealthConfig config;
  HfHealthState state;
  gint64 state_since_us;
  gint64 last_packet_us;        /* 0 = never */
  gint64 healthy_since_us;      /* start of the current HEALTHY run */
  gint64 clean_since_us;        /* DEGRADED: conditions good since; 0 = not */
  /* cumulative counters sampled by hf_health_counters () */
  struct
  {
    gint64 t_us;
    guint64 received;
    guint64 lost;
  } samples[HF_HEALTH_MAX_SAMPLES];
  guint n_samples, first_sample;
  gdouble jitter_ms;
  gdouble window_loss;          /* last computed window loss ratio */
  /* anti-flap: times of the last deaths (HEALTHY/DEGRADED -> LOST) */
  gint64 deaths[HF_HEALTH_MAX_DEATHS];
  guint n_deaths;
} HfHealth;

/* An input keeps its death record for this long: hold-down shrinks again
 * once it has stopped flapping. */
#define HF_HEALTH_FLAP_PERIOD_US (60 * G_USEC_PER_SEC)
/* Hold-down after the second death in a flap period, doubling with each
 * further death, capped. */
#define HF_HEALTH_HOLDDOWN_BASE_US (2 * G_USEC_PER_SEC)
#define HF_HEALTH_HOLDDOWN_MAX_US (60 * G_USEC_PER_SEC)

void hf_health_init (HfHealth * health, const HfHealthConfig * config);
/* A packet (or access unit) of this input arrived at @now_us. */
void hf_health_packet (HfHealth * health, gint64 now_us);
/* The input's cumulative reception figures at @now_us: packets received,
 * packets lost (RTP sequence gaps, SRT loss), current interarrival jitter.
 * Call at any rate from 1 Hz up; counters that go backwards (the input was
 * rebuilt) start the window again. */
void hf_health_counters (HfHealth * health, gint64 now_us, guint64 received,
    guint64 lost, gdouble jitter_ms);
/* Re-evaluates the state at @now_us.  Returns TRUE when it changed; then
 * @old (may be NULL) is the state before and @reason (may be NULL) a static
 * or internal string saying why, valid until the next call on @health.
 *  - IDLE until the first packet;
 *  - LOST when now - last packet > timeout;
 *  - back from IDLE/LOST to HEALTHY at the first packet (loss window
 *    restarted);
 *  - DEGRADED as soon as the window loss ratio (with at least 20 packets
 *    expected in the window) or the jitter exceeds its threshold;
 *  - DEGRADED -> HEALTHY only after loss < threshold / 2 and jitter <
 *    0.8 x threshold for a whole window (hysteresis). */
gboolean hf_health_update (HfHealth * health, gint64 now_us,
    HfHealthState * old, const gchar ** reason);
HfHealthState hf_health_get_state (const HfHealth * health);
/* How long the input has been HEALTHY without a break (0 if it is not). */
gint64 hf_health_stable_us (const HfHealth * health, gint64 now_us);
/* Anti-flap hold-down at @now_us: 0 with at most one death in the last
 * HF_HEALTH_FLAP_PERIOD_US, else BASE << (deaths - 2), capped at MAX.  The
 * input is not preferred over a live one until it has been HEALTHY for this
 * long. */
gint64 hf_health_holddown_us (const HfHealth * health, gint64 now_us);
gdouble hf_health_window_loss (const HfHealth * health);
/* Age of the last packet (-1 when never). */
gint64 hf_health_packet_age_us (const HfHealth * health, gint64 now_us);

/* ---- Decision ------------------------------------------------------------ */

typedef enum
{
  HF_FAILOVER_AUTO,
  HF_FAILOVER_MANUAL
} HfFailoverMode;

/* What the decision knows of one input. */
typedef struct
{
  HfHealthState state;
  gint64 stable_us;             /* hf_health_stable_us () */
  gint64 holddown_us;           /* hf_health_holddown_us () */
} HfSelectInput;

typedef struct
{
  HfFailoverMode mode;
  gint64 revert_after_us;
  gint pinned;                  /* the operator's choice, -1 = none */
} HfSelectPolicy;

typedef enum
{
  HF_SELECT_STAY,               /* keep what is on air */
  HF_SELECT_FAILOVER,           /* the on-air input is gone or degraded, or
                                 * nothing is on air: take at once */
  HF_SELECT_REVERT,             /* a higher-priority input is back and
                                 * stable: take at its next live keyframe */
  HF_SELECT_MANUAL,             /* the operator's pinned input */
  HF_SELECT_NONE                /* nothing alive: slate (or hold) */
} HfSelectWhy;

const gchar *hf_select_why_to_string (HfSelectWhy why);

/* The input that should be on air: an index, or -1 when none is alive.
 * @on_air is what is on air now (-1 = none or slate).  Pure function.
 *
 * Auto mode (an input is alive when HEALTHY or DEGRADED; stable when
 * HEALTHY for at least its hold-down):
 *  - a pinned input that is alive stays on air (MANUAL);
 *  - on air and HEALTHY: REVERT to the highest-priority input above it that
 *    has been HEALTHY for max (revert_after, its hold-down); else STAY;
 *  - on air and DEGRADED: FAILOVER to the highest-priority stable input, if
 *    any; else STAY;
 *  - on air LOST/IDLE, or nothing on air: FAILOVER to the highest-priority
 *    stable input, else the highest-priority HEALTHY, else DEGRADED one;
 *    NONE if nothing is alive.
 * Manual mode: the pinned input (0 when none) while it is alive, else NONE.
 * @reason: a static sentence for the event log. */
gint hf_select_decide (const HfSelectInput * inputs, guint n_inputs,
    gint on_air, const HfSelectPolicy * policy, HfSelectWhy * why,
    const gchar ** reason);

/* ---- Slate --------------------------------------------------------------- */

/* The live format a slate is encoded to match. */
typedef struct
{
  gint width, height;
  gint fps_n, fps_d;
  const gchar *audio_codec;     /* interned "audio/mpeg" (AAC) or
                                 * "audio/x-opus"; NULL = no audio track */
  gint audio_rate, audio_channels;
} HfSlateFormat;

/* 1280x720, 30/1, AAC 48 kHz stereo: what the slate is before any live
 * input has been seen. */
void hf_slate_format_init (HfSlateFormat * format);
/* Fills @format from an h264parse video caps and (optional) audio caps;
 * fields the caps lack keep their value.  Returns TRUE when @format
 * changed. */
gboolean hf_slate_format_update (HfSlateFormat * format,
    const GstCaps * video, const GstCaps * audio);
gboolean hf_slate_format_equal (const HfSlateFormat * a,
    const HfSlateFormat * b);

/* An encoded slate loop.  Immutable once made; refcounted, shareable across
 * threads. */
typedef struct
{
  HfSlateFormat format;
  GPtrArray *video;             /* (element-type GstBuffer): H.264 AUs in
                                 * decode order, PTS/DTS from 0, DURATION
                                 * set; [0] is an IDR with SPS/PPS; an IDR
                                 * at least every second */
  GstCaps *video_caps;          /* video/x-h264, byte-stream, au */
  GPtrArray *audio;             /* (element-type GstBuffer), may be empty:
                                 * PTS from 0, all < duration */
  GstCaps *audio_caps;          /* NULL when no audio */
  GstClockTime duration;        /* loop period = video frames x frame time */
  gint refcount;
} HfSlate;

/* Encodes the slate synchronously (runs a pipeline; about a second for the
 * builtin one): @path NULL is the builtin still "Stream paused — we'll be
 * right back" with silence; else the operator's clip (MP4 or MPEG-TS),
 * decoded, scaled and re-encoded (at most its first 30 s).  Blocks: call
 * it from a worker thread; @cancellable (may be NULL) stops it within
 * 100 ms with G_IO_ERROR_CANCELLED.  (transfer full) */
HfSlate *hf_slate_encode (const HfSlateFormat * format, const gchar * path,
    GCancellable * cancellable, GError ** error);
HfSlate *hf_slate_ref (HfSlate * slate);
void hf_slate_unref (HfSlate * slate);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HfSlate, hf_slate_unref)

/* ---- Merge --------------------------------------------------------------- */

/* First copy wins: of the packets with one RTP sequence number that arrive
 * over several paths within the window, the first is forwarded and the
 * rest dropped.  Not thread-safe: its owner serialises calls. */
typedef struct _HfMerge HfMerge;

#define HF_MERGE_MAX_PATHS 8

typedef struct
{
  guint64 received;             /* valid packets that came in on the path */
  guint64 forwarded;            /* of those, first copies */
  guint64 duplicates;           /* of those, already forwarded from another
                                 * path (or twice on this one) */
  gint64 last_packet_us;        /* 0 = never */
} HfMergePathStats;

/* (transfer full).  @window_us: how long a sequence number is remembered. */
HfMerge *hf_merge_new (guint n_paths, gint64 window_us);
void hf_merge_free (HfMerge * merge);
/* TRUE: forward this packet (first copy); FALSE: drop it.  A new SSRC
 * starts afresh (the pusher restarted). */
gboolean hf_merge_accept (HfMerge * merge, guint path, guint32 ssrc,
    guint16 seq, gint64 now_us);
void hf_merge_get_path_stats (HfMerge * merge, guint path,
    HfMergePathStats * stats);

/* ---- Switch -------------------------------------------------------------- */

typedef struct _HfSwitch HfSwitch;

/* The slate's index in outputs and events. */
#define HF_SWITCH_SLATE (-1)

typedef struct
{
  guint n_inputs;
  HfHealthConfig health;
  HfFailoverMode mode;
  gint64 revert_after_us;
  gboolean use_slate;           /* FALSE: hold the last frame when nothing
                                 * is alive (fallback = none) */
} HfSwitchConfig;

void hf_switch_config_init (HfSwitchConfig * config, guint n_inputs);

typedef enum
{
  HF_EVENT_INPUT_STATE,         /* @input changed health: @from/@to are
                                 * HfHealthState values */
  HF_EVENT_SWITCH,              /* automatic: @from/@to inputs, -1 = none */
  HF_EVENT_REVERT,              /* back to a higher-priority input */
  HF_EVENT_MANUAL,              /* an operator's switch (API) */
  HF_EVENT_SLATE_ON,            /* @from: the input that was on air */
  HF_EVENT_SLATE_OFF            /* @to: the input that replaced it */
} HfEventKind;

const gchar *hf_event_kind_to_string (HfEventKind kind);

typedef struct
{
  HfEventKind kind;
  gint input;                   /* INPUT_STATE: the input; else -1 */
  gint from, to;
  gchar reason[160];
  gint64 mono_us;               /* the switch's "now" when it happened */
} HfSwitchEvent;

/* Receives every unit of the program, in order: restamped live access
 * units and slate frames (@input = HF_SWITCH_SLATE).  @buffer and @caps
 * are (transfer none).  Called with the switch's lock held from whichever
 * thread drives the switch (an input's streaming thread, the ticker): it
 * must not block on anything that waits for the switch, and never call
 * back into it. */
typedef void (*HfSwitchOutputFunc) (HfMediaKind kind, gint input,
    GstBuffer * buffer, GstCaps * caps, gpointer user_data);

/* Told of every transition, after the switch's lock is released, in order,
 * on the thread that drove the switch.  @event is (transfer none). */
typedef void (*HfSwitchEventFunc) (const HfSwitchEvent * event,
    gpointer user_data);

typedef struct
{
  gint on_air;                  /* input index, -1 = nothing / slate */
  gboolean slate_on_air;
  guint64 switches;             /* every take, the slate's included */
  guint64 failovers;            /* automatic switches away from an input
                                 * that was lost or degraded (to another
                                 * input or to the slate) */
  guint64 reverts;
  guint64 manual_switches;
  gint64 slate_us_total;        /* time the slate was on air */
  guint64 video_out;
  guint64 audio_out;
  guint64 slate_frames_out;
  guint64 dropped_waiting_keyframe;
  guint64 gop_takes;            /* takes served from a standby GOP cache */
  guint64 squeezed_takes;       /* of those, with the cached pictures
                                 * squeezed in time (they were older than
                                 * the gap they filled) */
  GstClockTime last_out_pts;
  gint64 output_lead_us;        /* how far the output timeline runs ahead of
                                 * the program clock */
} HfSwitchStats;

/* (transfer full).  @config is copied. */
HfSwitch *hf_switch_new (const HfSwitchConfig * config,
    HfSwitchOutputFunc output, HfSwitchEventFunc event, gpointer user_data);
void hf_switch_free (HfSwitch * sw);

/* Streaming thread of input @input.  @sample is (transfer none).  @epoch
 * identifies the input's session: when it changes, the input's timestamps
 * start a new timeline (its GOP cache is dropped; if on air, it is taken
 * again at its next keyframe).  @now_us: monotonic arrival time; @out_now:
 * the program's running time at @now_us. */
void hf_switch_push (HfSwitch * sw, guint input, guint epoch,
    HfMediaKind kind, GstSample * sample, gint64 now_us,
    GstClockTime out_now);

/* A packet of input @input arrived (the heartbeat; access units count too).
 * Any thread. */
void hf_switch_heartbeat (HfSwitch * sw, guint input, gint64 now_us);

/* The input's cumulative reception figures (see hf_health_counters ()). */
void hf_switch_counters (HfSwitch * sw, guint input, gint64 now_us,
    guint64 received, guint64 lost, gdouble jitter_ms);

/* Call often (every 10 ms or so) from one timer thread: re-evaluates
 * health and the decision (an input is declared LOST on time even when
 * nothing arrives) and plays the slate while it is on air. */
void hf_switch_tick (HfSwitch * sw, gint64 now_us, GstClockTime out_now);

/* Sets the slate loop played when nothing is alive (NULL: none yet / hold
 * the last frame).  Takes a reference.  A slate on air switches to the new
 * one at its next loop start.  Any thread. */
void hf_switch_set_slate (HfSwitch * sw, HfSlate * slate);

typedef enum
{
  HF_SWITCH_REQUEST_DONE,       /* on air now (from its GOP cache) */
  HF_SWITCH_REQUEST_PENDING,    /* goes on air at its next keyframe */
  HF_SWITCH_REQUEST_ALREADY,    /* it was on air already */
  HF_SWITCH_REQUEST_AUTO,       /* back to automatic choice */
  HF_SWITCH_REQUEST_REFUSED     /* the input is not alive */
} HfSwitchRequestResult;

const gchar *hf_switch_request_result_to_string (HfSwitchRequestResult r);

/* An operator's switch: pins @input (-1 = unpin, back to automatic choice;
 * in manual mode -1 is refused).  In auto mode the pin lasts until the
 * pinned input is lost.  @message: a sentence for the API's answer
 * (transfer full).  Any thread. */
HfSwitchRequestResult hf_switch_request (HfSwitch * sw, gint input,
    gint64 now_us, GstClockTime out_now, gchar ** message);

/* The program downstream was rebuilt: its timeline starts again; the
 * on-air input is taken again at once from its GOP cache.  Any thread. */
void hf_switch_restart (HfSwitch * sw);

/* The on-air input (-1 when none or the slate). */
gint hf_switch_get_on_air (HfSwitch * sw);
void hf_switch_get_stats (HfSwitch * sw, HfSwitchStats * stats);
HfHealthState hf_switch_get_health (HfSwitch * sw, guint input,
    gint64 now_us);

G_END_DECLS
#endif
