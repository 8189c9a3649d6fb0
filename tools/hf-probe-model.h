/* hf-probe's analysis: what a viewer sees, from the decoded frames alone.
 *
 * The model is a low-latency player with a playout buffer: it keeps
 * buffer_us behind the live edge.  The live edge is the smallest lag
 * (arrival - PTS) seen over the last 5 to 10 s (HF_PROBE_EDGE_WINDOW_US):
 * how late the most timely frames come.  Frame i is due at pts_i + edge +
 * buffer_us and shown at max (due_i, arrival_i), never before the frame
 * before it.  A frame that arrives after its due time is shown when it
 * arrives, and the frames after it catch up (shown as they come until
 * they are due again), as a player that drops no frame does.  The edge
 * falls at once, and rises by at most a tenth of an interval per frame.
 *
 * Why the live edge and not the first frame: a viewer joining the relay
 * gets its GOP cache, up to a second of older frames, in a burst.
 * Anchored on that first frame, the buffer would be the GOP's age deeper
 * than asked, depending on when the probe joined, and a 300 ms stall would
 * vanish in it.
 *
 * The first frame, the first after a reconnection and a timestamp
 * discontinuity (PTS going backwards, or jumping forward more than
 * HF_PROBE_MAX_PTS_JUMP_NS) start a new timeline: that frame is the edge,
 * due buffer_us after it came.
 *
 * A freeze is a picture that stays on screen more than two frame intervals
 * (the interval is the median of the recent PTS deltas; 33.3 ms until
 * there are enough).  It is known when the next picture goes up: its
 * start is when the stuck picture should have been replaced (shown + one
 * interval), its duration how long after that the next one came, so 15
 * missing frames at 30 fps are a 500 ms freeze.  It is reported one
 * picture later still: when that picture is stuck too, it was no
 * recovery, and the two make one freeze (the durations added).
 *
 * The picture marks (failover/hf-mark.h) say what is on screen: live,
 * slate, or other (no mark).  A screen change is reported once two
 * frames in a row agree on it, at the first one's shown time.  Gaps in the
 * LIVE counter are live frames lost (less the pictures shown meanwhile
 * whose mark could not be read, while the screen stayed live); a counter
 * that goes back, or forward by more than the time since the last live
 * frame allows (plus HF_PROBE_SOURCE_SLACK_FRAMES), is another pusher: a
 * source change, not a loss.  After a reconnection the relay replays its
 * GOP cache: counters up to HF_PROBE_REPLAY_FRAMES behind the last one
 * seen are a replay, not a new source.  The LIVE mark's clock against the
 * arrival time is the latency (same machine only: a difference below 0 or
 * above HF_PROBE_LATENCY_MAX_MS is another clock, and ignored).
 *
 * Plain C + GLib, time passed in (monotonic microseconds), no locking: the
 * owner serialises calls (hf-probe calls it on its control thread only).
 */
#ifndef HF_PROBE_MODEL_H
#define HF_PROBE_MODEL_H

#include <glib.h>

#include "failover/hf-mark.h"

G_BEGIN_DECLS

/* The default playout buffer, measured at a viewer of holdfast's SRT output
 * on this 2-core machine (hf-push -> relay -> probe, 60 s runs, --frames,
 * how late pictures come against the live edge after the join burst):
 * 720p30, one probe: p99 59 ms, max 71 ms; 1080p30, one probe: p99 36 ms,
 * max 43 ms; 720p30 with three probes decoding at once: p99 ~60 ms, max
 * 127-131 ms.  A freeze needs a picture more than buffer + one interval
 * late, so 150 ms leaves a frame's margin above the worst seen, while a
 * 300 ms stall of the path still shows (the probe stopped for 300 ms: a
 * 162 ms freeze; the buffer covers the rest, as it would for a viewer).  A
 * stall the relay turns into missing frames shows in full whatever the
 * buffer (the relay stopped for 300 ms: 288 ms, 9 frames lost). */
#define HF_PROBE_DEFAULT_BUFFER_MS 150

/* Until this many PTS deltas were seen, the interval is the fallback. */
#define HF_PROBE_FALLBACK_INTERVAL_US 33333
#define HF_PROBE_CADENCE_SAMPLES 31
#define HF_PROBE_CADENCE_MIN_SAMPLES 5
/* A forward PTS jump longer than this is a discontinuity, not a wait. */
#define HF_PROBE_MAX_PTS_JUMP_NS (5 * G_GINT64_CONSTANT (1000000000))
#define HF_PROBE_EDGE_WINDOW_US (5 * G_USEC_PER_SEC)
/* Stays this close to two intervals are timestamp rounding and the live
 * edge's slow rise, not a freeze. */
#define HF_PROBE_FREEZE_TOLERANCE_US 5000
#define HF_PROBE_SOURCE_SLACK_FRAMES 90
#define HF_PROBE_REPLAY_FRAMES 300
#define HF_PROBE_SCREEN_CONFIRM 2
#define HF_PROBE_LATENCY_MAX_MS 60000

typedef enum
{
  HF_PROBE_SCREEN_NONE,         /* nothing shown yet */
  HF_PROBE_SCREEN_LIVE,         /* a LIVE mark */
  HF_PROBE_SCREEN_SLATE,        /* a SLATE mark */
  HF_PROBE_SCREEN_OTHER,        /* a picture without a (readable) mark */
  HF_PROBE_N_SCREENS
} HfProbeScreen;

const gchar *hf_probe_screen_to_string (HfProbeScreen screen);

/* One decoded frame, as the model is told about it. */
typedef struct
{
  gint64 arrival_us;            /* monotonic: its data was all at the probe */
  gint64 pts_ns;                /* presentation time; < 0 when unknown */
  gint width;
  gint height;
  HfMark mark;                  /* kind HF_MARK_NONE when there is none */
  gboolean reconnected;         /* the first frame of a new connection */
  gboolean flushed;             /* pushed out by the stream's end: its
                                 * arrival is taken as at most an interval
                                 * after the frame before it */
} HfProbeFrame;

typedef enum
{
  HF_PROBE_EVENT_FRAME,         /* every frame: shown_us, latency_ms */
  HF_PROBE_EVENT_FREEZE,        /* start_us, duration_us, count, open */
  HF_PROBE_EVENT_BACKWARDS,     /* pts_delta_ns (< 0) */
  HF_PROBE_EVENT_PTS_JUMP,      /* pts_delta_ns (> HF_PROBE_MAX_PTS_JUMP_NS) */
  HF_PROBE_EVENT_RESOLUTION,    /* old_width, old_height -> the frame's */
  HF_PROBE_EVENT_SCREEN,        /* from, to, start_us */
  HF_PROBE_EVENT_FRAMES_LOST,   /* count, old_counter (the last one seen) */
  HF_PROBE_EVENT_SOURCE_CHANGE  /* old_counter -> the frame's counter */
} HfProbeEventType;

/* What the model reports.  Only the fields its type names are set. */
typedef struct
{
  HfProbeEventType type;
  /* (transfer none) the frame that revealed it; NULL for FREEZE (reported
   * a picture later) */
  const HfProbeFrame *frame;
  gint64 shown_us;              /* FRAME: when it goes on screen */
  gint latency_ms;              /* FRAME: LIVE mark's age at arrival, or -1 */
  gint64 start_us;              /* FREEZE: when the next picture was due;
                                 * SCREEN: when the new screen went up */
  gint64 duration_us;           /* FREEZE */
  gint64 count;                 /* FREEZE: frames lost, -1 unknown;
                                 * FRAMES_LOST: how many */
  gboolean open;                /* FREEZE: still frozen at the end */
  gint64 pts_delta_ns;          /* BACKWARDS, PTS_JUMP */
  gint old_width;               /* RESOLUTION */
  gint old_height;
  HfProbeScreen from;           /* SCREEN */
  HfProbeScreen to;
  guint32 old_counter;          /* FRAMES_LOST, SOURCE_CHANGE */
} HfProbeEvent;

/* Called synchronously from the model's functions, once per event, in the
 * order they happened.  @event is valid during the call only. */
typedef void (*HfProbeEventFunc) (const HfProbeEvent * event,
    gpointer user_data);

/* Totals; hf_probe_model_get_summary () fills one in. */
typedef struct
{
  guint64 frames;
  guint64 freezes;              /* ended ones */
  gint64 total_freeze_us;
  gint64 max_freeze_us;
  gint64 open_freeze_us;        /* still frozen at the end (finish) */
  guint64 backwards;
  guint64 pts_jumps;
  guint64 resolution_changes;
  guint64 screen_frames[HF_PROBE_N_SCREENS];
  gint64 screen_us[HF_PROBE_N_SCREENS]; /* time on screen by picture kind */
  HfProbeScreen screen;         /* what is on screen now */
  guint64 live_frames_lost;
  guint64 source_changes;
  guint64 latency_samples;
  gint latency_median_ms;       /* -1 without samples */
  gint latency_p95_ms;
  gint latency_max_ms;
  gint64 first_arrival_us;      /* -1 before the first frame */
  gint64 last_arrival_us;
  gint64 interval_us;
} HfProbeSummary;

/* The model.  A plain struct for its owner to embed; the fields are private
 * to hf-probe-model.c. */
typedef struct
{
  gint64 buffer_us;
  gint64 deltas[HF_PROBE_CADENCE_SAMPLES];
  guint n_deltas;
  guint next_delta;
  gint64 interval_us;

  gboolean have_frame;
  gint64 edge_us;               /* the live edge's lag in use */
  gint64 edge_min[2];           /* smallest lag: previous, current window */
  gint64 edge_since_us;         /* when the current window began */
  gint64 last_pts_ns;
  gint64 last_shown_us;
  gint width;
  gint height;
  HfProbeScreen last_kind;
  guint32 last_counter;         /* of the last frame, when it was LIVE */

  HfProbeScreen screen;
  HfProbeScreen pending;
  guint pending_frames;
  gint64 pending_since_us;

  gboolean have_live;
  gboolean replay;
  guint damaged;                /* unreadable pictures amid live ones since
                                 * the last live one */
  guint32 live_counter;
  guint8 live_source;           /* the mark's source of live_counter */
  gint64 live_arrival_us;

  guint32 *latency_hist;        /* HF_PROBE_LATENCY_MAX_MS + 1 bins of 1 ms */
  gint latency_max_ms;

  gboolean have_freeze;         /* one held back for a picture */
  HfProbeEvent freeze;

  HfProbeSummary totals;
} HfProbeModel;

void hf_probe_model_init (HfProbeModel * model, gint64 buffer_us);
void hf_probe_model_clear (HfProbeModel * model);

/* Feeds one decoded frame, in presentation order; reports what it showed
 * through @func (the events carry a copy of @frame, (transfer none), valid
 * during the call). */
void hf_probe_model_push (HfProbeModel * model, const HfProbeFrame * frame,
    HfProbeEventFunc func, gpointer user_data);

/* How long the picture on screen at @now_us has been overdue (0 when it is
 * not, or nothing was shown yet). */
gint64 hf_probe_model_overdue_us (const HfProbeModel * model, gint64 now_us);

/* The end of the run at @now_us: a picture stuck since more than two
 * intervals is reported as an open FREEZE (counted in open_freeze_us, not
 * in freezes), and the last picture's time on screen is counted.  Call
 * once; pushing afterwards is a mistake. */
void hf_probe_model_finish (HfProbeModel * model, gint64 now_us,
    HfProbeEventFunc func, gpointer user_data);

void hf_probe_model_get_summary (const HfProbeModel * model,
    HfProbeSummary * summary);

G_END_DECLS
#endif
