/* hf-bench-failover: what a viewer sees when a relay's inputs die, for
 * `make bench-failover`.
 *
 *   hf-bench-failover --primary URL --backup URL --viewer URL [--api URL]
 *                     [--cycles N] [--slate-cycles N] [--max-seconds S]
 *                     [--seed S]
 *   hf-bench-failover --merge --primary rtp://H:A --backup rtp://H:B
 *                     --viewer URL [--api URL] [--merge-seconds S]
 *
 * One process runs two independent live encoders (primary and backup:
 * x264 with a 1 s GOP and an AAC tone, MPEG-TS over SRT to the relay's two
 * inputs) and one viewer (SRT from the relay's output, demuxed and parsed
 * into access units).  As in hf-bench-latency, frames are paired by the
 * FNV-1a hash of their first coded slice (hf-bench-common.c, which also
 * builds the encoders and the viewer): each sender records hash ->
 * (sender, frame number, send time), and the viewer classifies every
 * access unit as primary, backup or unknown (after the start: the relay's
 * slate).  Killing a sender drops every buffer in front of its srtsink, the
 * way a dead uplink looks to the relay (the SRT connection is not closed);
 * restoring lets them through again.  A sender whose srtsink fails (the
 * relay dropped the connection meanwhile) is rebuilt, as hf-push does.
 *
 * The scenario: N failover cycles (kill the input on air, the primary
 * unless the relay still holds it down, at a random moment in its GOP;
 * measure the viewer's longest gap and the frames missing from the output
 * timeline; restore it; time the revert), then slate cycles (kill both,
 * time the slate, restore one, time the live picture).  With --merge
 * one RTP/MPEG-TS sender feeds two paths with the same packets and the
 * paths are severed in turn; the relay's packets_lost after the merge and
 * the viewer's frames tell whether a packet was lost.  Human lines and one
 * JSON line per scenario go to stdout.
 *
 * What the times mean: an access unit "arrives" when tsdemux hands it
 * out, which is when the first packet of the next one comes in (video PES
 * have no length), as in any player; so the last frame before a pause shows
 * up at its end, and the first frame after it one frame interval late.
 * tsdemux ignores the PCR (ignore-pcr) so that PTS are the relay's own
 * timeline, not rescaled to arrival times: gaps in it are lost frames.
 * The relay's events carry mono_ms from the same monotonic clock as
 * g_get_monotonic_time () here, which gives the relay's own decision time
 * next to the viewer's.
 *
 * Threads: main () and the bus, signal and rebuild callbacks run on the
 * default GMainContext (the control thread).  The scenario runs on its own
 * thread (hf_bench_scenario), which sleeps, flips the senders' drop flags
 * (atomics) and reads the API with its own libsoup session.
 * hf_bench_on_sent () runs on each sender's encoder streaming thread,
 * hf_bench_on_drop () on its mux or payloader thread, hf_bench_on_received ()
 * on the viewer's demuxer streaming thread.
 * The sent-frame table and the senders' counters are under sent_lock, the
 * viewer's records under results_lock.
 */

#include "tools/hf-bench-common.h"

#include <glib-unix.h>
#include <string.h>

/* Small pictures: two encoders and the relay share two cores. */
#define HF_BENCH_WIDTH 640
#define HF_BENCH_HEIGHT 360
/* The gap window around a kill, by the viewer's arrival times. */
#define HF_BENCH_BEFORE_US (1 * G_USEC_PER_SEC)
#define HF_BENCH_AFTER_US (2 * G_USEC_PER_SEC)
/* Bounds on every wait; one that runs out fails the cycle (but for the
 * revert's). */
#define HF_BENCH_START_TIMEOUT_US (20 * G_USEC_PER_SEC)
#define HF_BENCH_STEADY_TIMEOUT_US (10 * G_USEC_PER_SEC)
/* revert-after-s 2, a GOP and some slack: a primary not back by then is
 * held down by the relay's anti-flap rule (see hf_bench_failover). */
#define HF_BENCH_REVERT_WAIT_US (5 * G_USEC_PER_SEC)
#define HF_BENCH_SLATE_TIMEOUT_US (5 * G_USEC_PER_SEC)
#define HF_BENCH_LIVE_TIMEOUT_US (8 * G_USEC_PER_SEC)
/* "Steadily": this many access units in a row from one sender, the last
 * no older than two frame intervals. */
#define HF_BENCH_STEADY_FRAMES 15
#define HF_BENCH_SLATE_HOLD_US (1500 * HF_BENCH_MS)
/* With --max-seconds, a cycle is started only if this much time is left
 * (a slow revert makes cycles longer); the failover cycles leave
 * HF_BENCH_SLATE_CYCLE_US per slate cycle for the slate. */
#define HF_BENCH_CYCLE_US (10 * G_USEC_PER_SEC)
#define HF_BENCH_SLATE_CYCLE_US (12 * G_USEC_PER_SEC)
#define HF_BENCH_REBUILD_MS 300
#define HF_BENCH_POLL_US (5 * HF_BENCH_MS)
/* A relay event this close after one of our actions is taken as its
 * consequence. */
#define HF_BENCH_EVENT_SLACK_MS 5000

typedef enum
{
  HF_BENCH_PRIMARY = 0,
  HF_BENCH_BACKUP = 1,
  HF_BENCH_UNKNOWN = 2,
  HF_BENCH_N_CLASSES = 3
} HfBenchClass;

static const gchar *const hf_bench_class_names[] =
    { "primary", "backup", "unknown" };

typedef struct _HfBench HfBench;

/* One entry of the sent-frame table. */
typedef struct
{
  guint64 hash;                 /* the key of the table points here */
  gint sender;
  guint64 number;
  gint64 sent_us;
} HfBenchFrame;

/* One access unit the viewer received. */
typedef struct
{
  gint64 arrival_us;
  GstClockTime pts;
  gint cls;                     /* HfBenchClass */
  guint64 number;               /* the sender's frame number, if known */
  gint64 sent_us;
} HfBenchRecord;

typedef struct
{
  HfBench *bench;
  gint index;                   /* HF_BENCH_PRIMARY or HF_BENCH_BACKUP */
  gchar *url;                   /* (owned) as given */
  gchar *uri;                   /* (owned) srt URI with latency; with
                                 * --merge udpsink's host and port */

  /* Control thread. */
  GstElement *pipeline;
  guint watch_id;
  guint rebuild_id;
  gboolean warned;

  /* Set by the scenario thread, read by the streaming threads: 1 while
   * the link (or, with --merge, path 0 or 1) is cut. */
  gint dropping[2];

  /* Under bench->sent_lock. */
  guint64 frames;               /* access units encoded */
  gint64 last_keyframe_us;
  guint rebuilds;
} HfBenchSender;

struct _HfBench
{
  /* Options (read-only once the pipelines exist). */
  gchar *viewer_url;
  gchar *viewer_uri;
  gint cycles;
  gint slate_cycles;
  gint merge_seconds;
  gint max_seconds;
  gboolean merge;
  gint64 seed;
  gint bitrate;
  gboolean trace;               /* HF_BENCH_TRACE=1: every frame to stderr */

  /* Control thread. */
  GMainLoop *loop;
  GstElement *viewer;
  guint viewer_watch_id;
  gint exit_code;
  GThread *scenario;

  /* Any thread. */
  gint stopping;                /* atomic */

  HfBenchSender senders[2];

  GMutex sent_lock;
  GHashTable *sent;             /* guint64 hash -> HfBenchFrame */
  guint cross_collisions;       /* a hash both senders produced */

  GMutex results_lock;
  GArray *records;              /* (element-type HfBenchRecord) */

  /* Scenario thread (but api.url, an option). */
  gint64 deadline_us;           /* G_MAXINT64 without --max-seconds */
  GRand *rand;
  HfBenchApi api;
  gboolean failed;              /* a measurement could not be made */
};

/* ---------------------------------------------------------------------- */
/* Streaming-thread callbacks                                              */

/* Buffer probe on a sender's recording branch: one access unit from
 * h264parse, before any drop.  A later frame with the same hash (the test
 * picture repeats) replaces the entry: it was received long ago.  Sender's
 * encoder streaming thread. */
static GstPadProbeReturn
hf_bench_on_sent (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  HfBenchSender *sender = user_data;
  HfBench *bench = sender->bench;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gint64 now_us = g_get_monotonic_time ();
  HfBenchFrame *f;
  guint64 hash;
  gboolean hashed = hf_bench_hash_buffer (buf, &hash);

  g_mutex_lock (&bench->sent_lock);
  if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
    sender->last_keyframe_us = now_us;
  if (hashed) {
    f = g_hash_table_lookup (bench->sent, &hash);
    if (f == NULL) {
      f = g_new0 (HfBenchFrame, 1);
      f->hash = hash;
      g_hash_table_insert (bench->sent, &f->hash, f);
    } else if (f->sender != sender->index) {
      bench->cross_collisions++;
    }
    f->sender = sender->index;
    f->number = sender->frames;
    f->sent_us = now_us;
  }
  sender->frames++;
  g_mutex_unlock (&bench->sent_lock);
  return GST_PAD_PROBE_OK;
}

/* Probe in front of srtsink (or of one path's udpsink with --merge): the
 * cut link.  user_data is the sender's drop flag for this link.  Mux or
 * payloader streaming thread. */
static GstPadProbeReturn
hf_bench_on_drop (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  gint *dropping = user_data;

  if (g_atomic_int_get (dropping))
    return GST_PAD_PROBE_DROP;
  return GST_PAD_PROBE_OK;
}

/* appsink new-sample: one access unit at the viewer.  Viewer's demuxer
 * streaming thread. */
static GstFlowReturn
hf_bench_on_received (GstAppSink * sink, gpointer user_data)
{
  HfBench *bench = user_data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  HfBenchRecord rec = { 0, };
  GstBuffer *buf;
  guint64 hash;

  if (sample == NULL)
    return GST_FLOW_EOS;
  rec.arrival_us = g_get_monotonic_time ();
  rec.cls = HF_BENCH_UNKNOWN;
  buf = gst_sample_get_buffer (sample);
  rec.pts = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) :
      GST_BUFFER_DTS (buf);
  if (hf_bench_hash_buffer (buf, &hash)) {
    HfBenchFrame *f;

    g_mutex_lock (&bench->sent_lock);
    f = g_hash_table_lookup (bench->sent, &hash);
    if (f != NULL) {
      rec.cls = f->sender;
      rec.number = f->number;
      rec.sent_us = f->sent_us;
    }
    g_mutex_unlock (&bench->sent_lock);
  }
  if (bench->trace)
    g_printerr ("hf-bench-failover: trace: %" G_GINT64_FORMAT ".%03d %s "
        "pts %" GST_TIME_FORMAT " frame %" G_GUINT64_FORMAT " latency %"
        G_GINT64_FORMAT " ms%s\n", rec.arrival_us / 1000,
        (gint) (rec.arrival_us % 1000), hf_bench_class_names[rec.cls],
        GST_TIME_ARGS (rec.pts), rec.number,
        rec.sent_us ? (rec.arrival_us - rec.sent_us) / 1000 : -1,
        GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT) ? "" : " key");
  gst_sample_unref (sample);

  g_mutex_lock (&bench->results_lock);
  g_array_append_val (bench->records, rec);
  g_mutex_unlock (&bench->results_lock);
  return GST_FLOW_OK;
}

/* ---------------------------------------------------------------------- */
/* Pipelines (control thread)                                              */

/* Builds a sender's pipeline (not started).  srtsink does not reconnect
 * by itself (auto-reconnect=false): a failed link posts an error and the
 * whole pipeline is rebuilt (hf_bench_on_sender_bus), which also starts a
 * fresh mux, as a restarted encoder would. */
static GstElement *
hf_bench_build_sender (HfBenchSender * sender, GError ** error)
{
  HfBench *bench = sender->bench;
  gboolean primary = sender->index == HF_BENCH_PRIMARY;
  /* The two senders draw different pictures and tones so that no slice of
   * one equals a slice of the other. */
  HfBenchEncoder enc = {.width = HF_BENCH_WIDTH,.height = HF_BENCH_HEIGHT,
    .bitrate = bench->bitrate,.picture = primary ? "" : "motion=sweep "
        "foreground-color=0xffff8000 background-color=0xff203040",
    .audio_freq = primary ? 440 : 880,.audio_bitrate = 96000
  };
  gchar *encoder = hf_bench_encoder_description (&enc);
  GstElement *pipeline;
  gchar *desc;

  if (!bench->merge) {
    desc = g_strdup_printf ("%s ! srtsink name=link0 sync=false "
        "auto-reconnect=false uri=\"%s\"", encoder, sender->uri);
  } else {
    /* Both paths get the very same RTP packets (one tee, no queues), as
     * an ST 2022-7 sender would send them. */
    desc = g_strdup_printf ("%s ! rtpmp2tpay ! tee name=paths "
        "paths. ! udpsink name=link0 %s sync=false async=false "
        "paths. ! udpsink name=link1 %s sync=false async=false",
        encoder, bench->senders[0].uri, bench->senders[1].uri);
  }
  g_free (encoder);
  pipeline = gst_parse_launch_full (desc, NULL, GST_PARSE_FLAG_FATAL_ERRORS,
      error);
  g_free (desc);
  if (pipeline == NULL)
    return NULL;

  hf_bench_add_probe (pipeline, "stamp", GST_PAD_PROBE_TYPE_BUFFER,
      hf_bench_on_sent, sender);
  hf_bench_add_probe (pipeline, "link0", GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_BUFFER_LIST, hf_bench_on_drop, &sender->dropping[0]);
  if (bench->merge)
    hf_bench_add_probe (pipeline, "link1", GST_PAD_PROBE_TYPE_BUFFER |
        GST_PAD_PROBE_TYPE_BUFFER_LIST, hf_bench_on_drop, &sender->dropping[1]);
  return pipeline;
}

static void hf_bench_stop (HfBench * bench, gint exit_code);
static gboolean hf_bench_start_sender (HfBenchSender * sender, GError ** error);

/* Timeout after a sender failed: builds and starts it again.  Control
 * thread. */
static gboolean
hf_bench_on_rebuild (gpointer user_data)
{
  HfBenchSender *sender = user_data;
  GError *error = NULL;

  sender->rebuild_id = 0;
  if (g_atomic_int_get (&sender->bench->stopping))
    return G_SOURCE_REMOVE;
  if (!hf_bench_start_sender (sender, &error)) {
    g_printerr ("hf-bench-failover: %s sender: %s\n",
        hf_bench_class_names[sender->index], error->message);
    g_clear_error (&error);
    sender->rebuild_id = g_timeout_add (HF_BENCH_REBUILD_MS,
        hf_bench_on_rebuild, sender);
  }
  return G_SOURCE_REMOVE;
}

static void
hf_bench_stop_sender (HfBenchSender * sender)
{
  if (sender->watch_id != 0)
    g_source_remove (sender->watch_id);
  sender->watch_id = 0;
  if (sender->pipeline != NULL) {
    gst_element_set_state (sender->pipeline, GST_STATE_NULL);
    gst_object_unref (sender->pipeline);
    sender->pipeline = NULL;
  }
}

/* Bus watch of a sender.  An error is what an SRT caller sees when the
 * relay dropped its connection (or is not listening yet): the sender is
 * rebuilt after a short pause, like a real encoder reconnecting.  Control
 * thread. */
static gboolean
hf_bench_on_sender_bus (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  HfBenchSender *sender = user_data;
  GError *err = NULL;

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ERROR &&
      GST_MESSAGE_TYPE (msg) != GST_MESSAGE_EOS)
    return G_SOURCE_CONTINUE;
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    gst_message_parse_error (msg, &err, NULL);
  if (!g_atomic_int_get (&sender->bench->stopping) && !sender->warned) {
    g_print ("# %s sender (%s): %s; rebuilding it (reported once)\n",
        hf_bench_class_names[sender->index], sender->url,
        err ? err->message : "end of stream");
    sender->warned = TRUE;
  }
  g_clear_error (&err);
  sender->watch_id = 0;
  hf_bench_stop_sender (sender);
  g_mutex_lock (&sender->bench->sent_lock);
  sender->rebuilds++;
  g_mutex_unlock (&sender->bench->sent_lock);
  if (sender->rebuild_id == 0)
    sender->rebuild_id = g_timeout_add (HF_BENCH_REBUILD_MS,
        hf_bench_on_rebuild, sender);
  return G_SOURCE_REMOVE;
}

static gboolean
hf_bench_start_sender (HfBenchSender * sender, GError ** error)
{
  sender->pipeline = hf_bench_build_sender (sender, error);
  if (sender->pipeline == NULL)
    return FALSE;
  sender->watch_id = hf_bench_add_bus_watch (sender->pipeline,
      hf_bench_on_sender_bus, sender);
  /* A refusal to start (the relay not listening yet) posts an error, and
   * the bus watch rebuilds the sender: no check here. */
  gst_element_set_state (sender->pipeline, GST_STATE_PLAYING);
  return TRUE;
}

/* Bus watch of the viewer.  The viewer does not reconnect: a viewer
 * dropped by the relay is exactly what the relay must not do, and the
 * figures after it would mean nothing.  Control thread. */
static gboolean
hf_bench_on_viewer_bus (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  HfBench *bench = user_data;

  if (g_atomic_int_get (&bench->stopping))
    return G_SOURCE_CONTINUE;
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:
      hf_bench_print_error ("hf-bench-failover", "viewer", bench->viewer_url,
          msg);
      hf_bench_stop (bench, HF_BENCH_EXIT_FAILURE);
      break;
    case GST_MESSAGE_EOS:
      g_printerr ("hf-bench-failover: viewer (%s): the stream ended (the "
          "relay dropped the viewer?)\n", bench->viewer_url);
      hf_bench_stop (bench, HF_BENCH_EXIT_FAILURE);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------------- */
/* Scenario helpers (scenario thread)                                      */

/* Sleeps until the monotonic time until_us; FALSE if the run is being
 * stopped. */
static gboolean
hf_bench_sleep_until (HfBench * bench, gint64 until_us)
{
  gint64 now_us;

  while ((now_us = g_get_monotonic_time ()) < until_us) {
    if (g_atomic_int_get (&bench->stopping))
      return FALSE;
    g_usleep (MIN (until_us - now_us, 20 * HF_BENCH_MS));
  }
  return !g_atomic_int_get (&bench->stopping);
}

static void
hf_bench_set_dropping (HfBenchSender * sender, gint link, gboolean drop)
{
  g_atomic_int_set (&sender->dropping[link], drop ? 1 : 0);
}

/* TRUE if the run may go on for another need_us. */
static gboolean
hf_bench_time_left (HfBench * bench, gint64 need_us)
{
  return g_get_monotonic_time () + need_us <= bench->deadline_us;
}

/* Finds the first record at or after after_us whose class is in mask
 * (1 << HfBenchClass); its arrival in *arrival_us. */
static gboolean
hf_bench_find_first (HfBench * bench, guint mask, gint64 after_us,
    gint64 * arrival_us)
{
  gboolean found = FALSE;
  gint i;

  g_mutex_lock (&bench->results_lock);
  for (i = (gint) bench->records->len - 1; i >= 0; i--) {
    HfBenchRecord *r = &g_array_index (bench->records, HfBenchRecord, i);

    if (r->arrival_us < after_us)
      break;
    if (mask & (1u << r->cls)) {
      *arrival_us = r->arrival_us;
      found = TRUE;
    }
  }
  g_mutex_unlock (&bench->results_lock);
  return found;
}

/* The class of the last frame that arrived before before_us, or -1. */
static gint
hf_bench_class_before (HfBench * bench, gint64 before_us)
{
  gint i, cls = -1;

  g_mutex_lock (&bench->results_lock);
  for (i = (gint) bench->records->len - 1; i >= 0 && cls < 0; i--) {
    HfBenchRecord *r = &g_array_index (bench->records, HfBenchRecord, i);

    if (r->arrival_us < before_us)
      cls = r->cls;
  }
  g_mutex_unlock (&bench->results_lock);
  return cls;
}

/* Waits for the first frame of a class in mask arriving after after_us;
 * returns its delay from after_us, or -1 after timeout_us (or when
 * stopping). */
static gint64
hf_bench_wait_first (HfBench * bench, guint mask, gint64 after_us,
    gint64 timeout_us)
{
  gint64 arrival_us;

  while (g_get_monotonic_time () < after_us + timeout_us) {
    if (hf_bench_find_first (bench, mask, after_us, &arrival_us))
      return arrival_us - after_us;
    if (!hf_bench_sleep_until (bench, g_get_monotonic_time () +
            HF_BENCH_POLL_US))
      return -1;
  }
  return -1;
}

/* TRUE when the last HF_BENCH_STEADY_FRAMES records are all of class cls
 * and the newest is recent. */
static gboolean
hf_bench_is_steady (HfBench * bench, gint cls)
{
  gint64 now_us = g_get_monotonic_time ();
  gboolean steady;
  guint i, len;

  g_mutex_lock (&bench->results_lock);
  len = bench->records->len;
  steady = len >= HF_BENCH_STEADY_FRAMES &&
      now_us - g_array_index (bench->records, HfBenchRecord,
      len - 1).arrival_us < 3 * G_USEC_PER_SEC / HF_BENCH_FPS;
  for (i = len - MIN (len, HF_BENCH_STEADY_FRAMES); steady && i < len; i++)
    steady = g_array_index (bench->records, HfBenchRecord, i).cls == cls;
  g_mutex_unlock (&bench->results_lock);
  return steady;
}

/* Waits until the viewer steadily gets one of the classes in mask;
 * returns that class, or -1 after timeout_us (or when stopping). */
static gint
hf_bench_wait_steady (HfBench * bench, guint mask, gint64 timeout_us)
{
  gint64 end_us = g_get_monotonic_time () + timeout_us;
  gint cls;

  for (;;) {
    for (cls = 0; cls < HF_BENCH_N_CLASSES; cls++) {
      if ((mask & (1u << cls)) && hf_bench_is_steady (bench, cls))
        return cls;
    }
    if (g_get_monotonic_time () > end_us ||
        !hf_bench_sleep_until (bench, g_get_monotonic_time () +
            HF_BENCH_POLL_US))
      return -1;
  }
}

/* Waits for the sender's next keyframe, then a random part of a GOP; so a
 * cut lands anywhere in the GOP with equal chance.  Returns the phase
 * (time since that keyframe left the encoder) in us, or -1. */
static gint64
hf_bench_wait_random_phase (HfBench * bench, HfBenchSender * sender)
{
  gint64 start_us = g_get_monotonic_time ();
  gint64 gop_us = (gint64) HF_BENCH_GOP * G_USEC_PER_SEC / HF_BENCH_FPS;
  gint64 phase_us = g_rand_int_range (bench->rand, 0, (gint32) gop_us);
  gint64 keyframe_us = 0;

  while (keyframe_us < start_us) {
    g_mutex_lock (&bench->sent_lock);
    keyframe_us = sender->last_keyframe_us;
    g_mutex_unlock (&bench->sent_lock);
    if (keyframe_us >= start_us)
      break;
    if (g_get_monotonic_time () - start_us > 3 * gop_us ||
        !hf_bench_sleep_until (bench, g_get_monotonic_time () +
            HF_BENCH_POLL_US))
      return -1;
  }
  if (!hf_bench_sleep_until (bench, keyframe_us + phase_us))
    return -1;
  return g_get_monotonic_time () - keyframe_us;
}

typedef struct
{
  gint64 gap_us;                /* longest interval between arrivals */
  gint64 lost_frames;           /* most frame intervals missing at once */
  guint counts[HF_BENCH_N_CLASSES];
  guint pts_backwards;
} HfBenchWindow;

/* Looks at the records that arrived within [from_us, to_us].  The gap
 * counts the open end too: a viewer that got nothing after the last frame
 * has a gap at least to the end of the window. */
static void
hf_bench_analyse (HfBench * bench, gint64 from_us, gint64 to_us,
    HfBenchWindow * w)
{
  gint64 prev_us = from_us;
  GstClockTime prev_pts = GST_CLOCK_TIME_NONE;
  guint i;

  memset (w, 0, sizeof (*w));
  g_mutex_lock (&bench->results_lock);
  for (i = 0; i < bench->records->len; i++) {
    HfBenchRecord *r = &g_array_index (bench->records, HfBenchRecord, i);

    if (r->arrival_us < from_us)
      continue;
    if (r->arrival_us > to_us)
      break;
    w->counts[r->cls]++;
    w->gap_us = MAX (w->gap_us, r->arrival_us - prev_us);
    prev_us = r->arrival_us;
    if (GST_CLOCK_TIME_IS_VALID (r->pts) &&
        GST_CLOCK_TIME_IS_VALID (prev_pts)) {
      if (r->pts <= prev_pts) {
        w->pts_backwards++;
      } else {
        gint64 intervals = (gint64) gst_util_uint64_scale_round (r->pts -
            prev_pts, HF_BENCH_FPS, GST_SECOND);

        w->lost_frames = MAX (w->lost_frames, intervals - 1);
      }
    }
    prev_pts = r->pts;
  }
  g_mutex_unlock (&bench->results_lock);
  w->gap_us = MAX (w->gap_us, to_us - prev_us);
}

/* ---------------------------------------------------------------------- */
/* Relay events (scenario thread)                                          */

/* The relay's mono_ms of the first event of type (and, if to is not NULL,
 * with that "to") at or after after_us; -1 if none.  The relay and this
 * tool read the same monotonic clock. */
static gint64
hf_bench_event_after (GPtrArray * events, const gchar * type,
    const gchar * to, gint64 after_us)
{
  guint i;

  if (events == NULL)
    return -1;
  for (i = 0; i < events->len; i++) {
    JsonObject *e = g_ptr_array_index (events, i);
    gdouble mono_ms = hf_bench_json_number (e, "mono_ms", -1);

    if (mono_ms < after_us / 1000.0 ||
        mono_ms > after_us / 1000.0 + HF_BENCH_EVENT_SLACK_MS)
      continue;
    if (g_strcmp0 (hf_bench_json_string (e, "type"), type) != 0)
      continue;
    if (to != NULL && g_strcmp0 (hf_bench_json_string (e, "to"), to) != 0)
      continue;
    return (gint64) (mono_ms * 1000);
  }
  return -1;
}

/* ---------------------------------------------------------------------- */
/* Scenarios (scenario thread)                                             */

#define HF_BENCH_LIVE_MASK ((1u << HF_BENCH_PRIMARY) | (1u << HF_BENCH_BACKUP))

/* Step 2: cut the input on air at a random moment in its GOP, measure the
 * viewer's gap, restore it; after a primary's restore, time the revert.
 * Every cycle would cut the primary if the relay always reverted in time,
 * but the relay holds a primary that keeps dying down (anti-flap: 2 s,
 * doubling with each death within a minute, up to 60 s), so after a few
 * cycles the backup is still on air: then the backup is cut, which is a
 * failover just the same (to the primary), and the revert not seen within
 * HF_BENCH_REVERT_WAIT_US is counted as held down. */
static void
hf_bench_failover (HfBench * bench)
{
  GArray *gaps = g_array_new (FALSE, FALSE, sizeof (gint64));
  GArray *lost = g_array_new (FALSE, FALSE, sizeof (gint64));
  GArray *to_other = g_array_new (FALSE, FALSE, sizeof (gint64));
  GArray *reverts = g_array_new (FALSE, FALSE, sizeof (gint64));
  GArray *relay = g_array_new (FALSE, FALSE, sizeof (gint64));
  GArray *kills = g_array_new (FALSE, FALSE, sizeof (gint64));
  GArray *victims = g_array_new (FALSE, FALSE, sizeof (gint));
  gint64 slate_frames = 0, backwards = 0, held = 0, cut[2] = { 0, 0 };
  HfBenchReport report;
  GPtrArray *events;
  gchar b[3][16];
  guint c;

  g_print ("== Failover: the on-air input's link dies at a random moment in "
      "its GOP; %d cycles ==\n", bench->cycles);
  for (c = 1; c <= (guint) bench->cycles; c++) {
    gint64 phase_us, kill_us, restore_us, arrival_us, other_us;
    gint64 revert_us = -1;
    HfBenchSender *victim;
    gint on, other;
    HfBenchWindow w;

    if (!hf_bench_time_left (bench, HF_BENCH_CYCLE_US +
            bench->slate_cycles * HF_BENCH_SLATE_CYCLE_US)) {
      g_print ("failover: out of time (--max-seconds %d) after %u cycles\n",
          bench->max_seconds, c - 1);
      break;
    }
    on = hf_bench_wait_steady (bench, HF_BENCH_LIVE_MASK,
        HF_BENCH_STEADY_TIMEOUT_US);
    if (on < 0) {
      if (!g_atomic_int_get (&bench->stopping))
        g_print ("failover %2u/%d: FAILED: the viewer gets no input "
            "steadily; cycle skipped\n", c, bench->cycles);
      bench->failed = TRUE;
      continue;
    }
    victim = &bench->senders[on];
    other = on == HF_BENCH_PRIMARY ? HF_BENCH_BACKUP : HF_BENCH_PRIMARY;
    phase_us = hf_bench_wait_random_phase (bench, victim);
    if (phase_us < 0)
      break;
    kill_us = g_get_monotonic_time ();
    hf_bench_set_dropping (victim, 0, TRUE);
    if (hf_bench_class_before (bench, kill_us) != on) {
      /* The relay reverted while the cut was being timed: this cut is no
       * failover. */
      hf_bench_set_dropping (victim, 0, FALSE);
      g_print ("failover %2u/%d: the relay switched just before the cut; "
          "cycle repeated\n", c, bench->cycles);
      c--;
      continue;
    }
    g_array_append_val (kills, kill_us);
    g_array_append_val (victims, on);
    cut[on]++;
    if (!hf_bench_sleep_until (bench, kill_us + HF_BENCH_AFTER_US +
            50 * HF_BENCH_MS))
      break;
    hf_bench_analyse (bench, kill_us - HF_BENCH_BEFORE_US,
        kill_us + HF_BENCH_AFTER_US, &w);
    /* Switched: the other input's frames came, and the viewer gets them
     * now. */
    other_us = hf_bench_find_first (bench, 1u << other, kill_us,
        &arrival_us) && hf_bench_is_steady (bench, other) ?
        arrival_us - kill_us : -1;
    slate_frames += w.counts[HF_BENCH_UNKNOWN];
    backwards += w.pts_backwards;

    restore_us = g_get_monotonic_time ();
    hf_bench_set_dropping (victim, 0, FALSE);
    if (on == HF_BENCH_PRIMARY) {
      revert_us = hf_bench_wait_first (bench, 1u << HF_BENCH_PRIMARY,
          restore_us, HF_BENCH_REVERT_WAIT_US);
      if (revert_us < 0)
        held++;
    }

    if (other_us >= 0) {
      hf_bench_append (gaps, w.gap_us);
      hf_bench_append (lost, w.lost_frames);
      hf_bench_append (to_other, other_us);
    }
    hf_bench_append (reverts, revert_us);
    g_print ("failover %2u/%d: %s cut %3.0f ms into its GOP: gap %s ms, "
        "%" G_GINT64_FORMAT " frames lost, first %s frame after %s ms%s",
        c, bench->cycles, hf_bench_class_names[on], phase_us / 1000.0,
        hf_bench_ms (b[0], 16, w.gap_us), w.lost_frames,
        hf_bench_class_names[other], hf_bench_ms (b[1], 16, other_us),
        w.counts[HF_BENCH_UNKNOWN] ? " (slate frames seen!)" : "");
    if (on == HF_BENCH_PRIMARY && revert_us >= 0)
      g_print ("; primary back %s ms after restore\n",
          hf_bench_ms (b[2], 16, revert_us));
    else if (on == HF_BENCH_PRIMARY)
      g_print ("; primary not back within %d s (held down)\n",
          (gint) (HF_BENCH_REVERT_WAIT_US / G_USEC_PER_SEC));
    else
      g_print ("\n");
    if (other_us < 0) {
      g_print ("failover %2u/%d: FAILED: the viewer does not get the %s "
          "%d s after the cut\n", c, bench->cycles,
          hf_bench_class_names[other],
          (gint) (HF_BENCH_AFTER_US / G_USEC_PER_SEC));
      bench->failed = TRUE;
    }
  }
  if (cut[HF_BENCH_PRIMARY] > 0 && reverts->len == 0) {
    g_print ("failover: FAILED: the primary never came back on air within "
        "%d s of its restore\n",
        (gint) (HF_BENCH_REVERT_WAIT_US / G_USEC_PER_SEC));
    bench->failed = TRUE;
  }

  /* The relay's own decision times, from its events (same clock). */
  events = hf_bench_api_events (&bench->api);
  for (c = 0; c < kills->len; c++) {
    gint64 kill_us = g_array_index (kills, gint64, c);
    gint on = g_array_index (victims, gint, c);
    gint64 at_us = hf_bench_event_after (events, "switch",
        hf_bench_class_names[on == HF_BENCH_PRIMARY ? HF_BENCH_BACKUP :
            HF_BENCH_PRIMARY], kill_us);

    if (at_us >= 0)
      hf_bench_append (relay, at_us - kill_us);
  }
  g_ptr_array_unref (events);

  hf_bench_report_begin (&report, "failover");
  hf_bench_report_int (&report, "seed", bench->seed);
  hf_bench_report_int (&report, "cycles", kills->len);
  hf_bench_report_int (&report, "primary_cut", cut[HF_BENCH_PRIMARY]);
  hf_bench_report_int (&report, "backup_cut", cut[HF_BENCH_BACKUP]);
  hf_bench_report_int (&report, "switched", gaps->len);
  hf_bench_report_stat (&report, "gap_ms", gaps, TRUE, TRUE, 300);
  hf_bench_report_stat (&report, "frames_lost", lost, FALSE, FALSE, -1);
  hf_bench_report_stat (&report, "to_other_ms", to_other, TRUE, FALSE, -1);
  hf_bench_report_stat (&report, "relay_switch_ms", relay, TRUE, FALSE, -1);
  hf_bench_report_stat (&report, "revert_ms", reverts, TRUE, FALSE, -1);
  hf_bench_report_int (&report, "reverted", reverts->len);
  hf_bench_report_int (&report, "revert_held", held);
  hf_bench_report_int (&report, "slate_frames", slate_frames);
  hf_bench_report_int (&report, "pts_backwards", backwards);
  hf_bench_report_end (&report);

  g_array_unref (gaps);
  g_array_unref (lost);
  g_array_unref (to_other);
  g_array_unref (reverts);
  g_array_unref (relay);
  g_array_unref (kills);
  g_array_unref (victims);
}

/* Step 3: cut the input on air, then the other one (the last input's
 * death), time the slate, bring one back (odd cycles the backup, even ones
 * the primary), time the live picture; then the other link is restored. */
static void
hf_bench_slate (HfBench * bench)
{
  GArray *on = g_array_new (FALSE, FALSE, sizeof (gint64));
  GArray *live = g_array_new (FALSE, FALSE, sizeof (gint64));
  GArray *relay = g_array_new (FALSE, FALSE, sizeof (gint64));
  GArray *kills = g_array_new (FALSE, FALSE, sizeof (gint64));
  HfBenchReport report;
  GPtrArray *events;
  gchar b[2][16];
  guint c;

  g_print ("== Slate: both links die; one comes back; %d cycles ==\n",
      bench->slate_cycles);
  for (c = 1; c <= (guint) bench->slate_cycles; c++) {
    gint returning = c % 2 ? HF_BENCH_BACKUP : HF_BENCH_PRIMARY;
    gint64 kill_us, restore_us, on_us, live_us;
    gint first, last;

    if (!hf_bench_time_left (bench, HF_BENCH_SLATE_CYCLE_US)) {
      g_print ("slate: out of time (--max-seconds %d) after %u cycles\n",
          bench->max_seconds, c - 1);
      break;
    }
    first = hf_bench_wait_steady (bench, HF_BENCH_LIVE_MASK,
        HF_BENCH_STEADY_TIMEOUT_US);
    last = first == HF_BENCH_PRIMARY ? HF_BENCH_BACKUP : HF_BENCH_PRIMARY;
    if (first >= 0)
      hf_bench_set_dropping (&bench->senders[first], 0, TRUE);
    if (first < 0 || hf_bench_wait_steady (bench, 1u << last,
            HF_BENCH_STEADY_TIMEOUT_US) < 0) {
      hf_bench_set_dropping (&bench->senders[0], 0, FALSE);
      hf_bench_set_dropping (&bench->senders[1], 0, FALSE);
      if (!g_atomic_int_get (&bench->stopping))
        g_print ("slate %u/%d: FAILED: %s; cycle skipped\n", c,
            bench->slate_cycles, first < 0 ? "the viewer gets no input "
            "steadily" : "no switch to the other input");
      bench->failed = TRUE;
      continue;
    }
    if (hf_bench_wait_random_phase (bench, &bench->senders[last]) < 0)
      break;
    kill_us = g_get_monotonic_time ();
    hf_bench_set_dropping (&bench->senders[last], 0, TRUE);
    g_array_append_val (kills, kill_us);
    on_us = hf_bench_wait_first (bench, 1u << HF_BENCH_UNKNOWN, kill_us,
        HF_BENCH_SLATE_TIMEOUT_US);
    if (!hf_bench_sleep_until (bench, kill_us + MAX (on_us, 0) +
            HF_BENCH_SLATE_HOLD_US))
      break;

    restore_us = g_get_monotonic_time ();
    hf_bench_set_dropping (&bench->senders[returning], 0, FALSE);
    live_us = hf_bench_wait_first (bench, 1u << returning, restore_us,
        HF_BENCH_LIVE_TIMEOUT_US);
    hf_bench_set_dropping (&bench->senders[0], 0, FALSE);
    hf_bench_set_dropping (&bench->senders[1], 0, FALSE);

    hf_bench_append (on, on_us);
    hf_bench_append (live, live_us);
    g_print ("slate %u/%d: %s cut, then %s: slate %s ms after the last "
        "input died; %s back on the viewer %s ms after its restore\n", c,
        bench->slate_cycles, hf_bench_class_names[first],
        hf_bench_class_names[last], hf_bench_ms (b[0], 16, on_us),
        hf_bench_class_names[returning], hf_bench_ms (b[1], 16, live_us));
    if (on_us < 0 || live_us < 0) {
      g_print ("slate %u/%d: FAILED: %s\n", c, bench->slate_cycles,
          on_us < 0 ? "no slate" : "no live picture after the restore");
      bench->failed = TRUE;
    }
  }

  events = hf_bench_api_events (&bench->api);
  for (c = 0; c < kills->len; c++) {
    gint64 kill_us = g_array_index (kills, gint64, c);
    gint64 at_us = hf_bench_event_after (events, "slate_on", NULL, kill_us);

    if (at_us >= 0)
      hf_bench_append (relay, at_us - kill_us);
  }
  g_ptr_array_unref (events);

  hf_bench_report_begin (&report, "slate");
  hf_bench_report_int (&report, "cycles", kills->len);
  hf_bench_report_stat (&report, "on_ms", on, TRUE, FALSE, 500);
  hf_bench_report_stat (&report, "relay_slate_on_ms", relay, TRUE, FALSE, -1);
  hf_bench_report_stat (&report, "live_again_ms", live, TRUE, FALSE, -1);
  hf_bench_report_int (&report, "slate_seen", on->len);
  hf_bench_report_int (&report, "live_again", live->len);
  hf_bench_report_end (&report);

  g_array_unref (on);
  g_array_unref (live);
  g_array_unref (relay);
  g_array_unref (kills);
}

/* inputs[input].packets_lost of the stream, -1 if unknown. */
static gint64
hf_bench_packets_lost (HfBench * bench, guint input)
{
  JsonNode *root = hf_bench_api_get (&bench->api, "/api/v1/streams/main");
  JsonObject *o;
  JsonArray *inputs;
  gint64 lost = -1;

  if (root == NULL)
    return -1;
  o = JSON_NODE_TYPE (root) == JSON_NODE_OBJECT ?
      json_node_get_object (root) : NULL;
  inputs = o && json_object_has_member (o, "inputs") ?
      json_object_get_array_member (o, "inputs") : NULL;
  if (inputs != NULL && input < json_array_get_length (inputs))
    lost = (gint64) hf_bench_json_number (json_array_get_object_element
        (inputs, input), "packets_lost", -1);
  json_node_unref (root);
  return lost;
}

/* Frames numbered first..last-1 that the viewer got at least once, and
 * slate frames after start_us.  Scenario thread. */
static guint64
hf_bench_count_received (HfBench * bench, guint64 first, guint64 last,
    gint64 start_us, guint * unknown)
{
  GArray *numbers = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint64 received = 0;
  guint i;

  *unknown = 0;
  g_mutex_lock (&bench->results_lock);
  for (i = 0; i < bench->records->len; i++) {
    HfBenchRecord *r = &g_array_index (bench->records, HfBenchRecord, i);
    gint64 n = (gint64) r->number;

    if (r->cls == HF_BENCH_PRIMARY && r->number >= first && r->number < last)
      g_array_append_val (numbers, n);
    else if (r->cls == HF_BENCH_UNKNOWN && r->arrival_us >= start_us)
      (*unknown)++;
  }
  g_mutex_unlock (&bench->results_lock);
  /* A frame the relay sent twice counts once. */
  g_array_sort (numbers, hf_bench_compare_int64);
  for (i = 0; i < numbers->len; i++) {
    if (i == 0 || g_array_index (numbers, gint64, i) !=
        g_array_index (numbers, gint64, i - 1))
      received++;
  }
  g_array_unref (numbers);
  return received;
}

/* Step 4 (--merge): sever one path at a time, never both, for random
 * lengths with random pauses between. */
static void
hf_bench_merge (HfBench * bench)
{
  HfBenchSender *sender = &bench->senders[0];
  gint64 lost[2][2], start_us, end_us, now_us;
  gint64 severed_ms[2] = { 0, 0 };
  guint64 first, last, received;
  guint severs = 0, unknown, i;
  HfBenchReport report;
  HfBenchWindow w;

  g_print ("== Merge: one RTP sender, two paths with the same packets; "
      "one path at a time severed for %d s ==\n", bench->merge_seconds);
  if (hf_bench_wait_steady (bench, 1u << HF_BENCH_PRIMARY,
          HF_BENCH_STEADY_TIMEOUT_US) < 0) {
    if (!g_atomic_int_get (&bench->stopping))
      g_print ("merge: FAILED: the viewer does not get the sender's "
          "frames steadily\n");
    bench->failed = TRUE;
    return;
  }
  for (i = 0; i < 2; i++)
    lost[0][i] = hf_bench_packets_lost (bench, i);
  g_mutex_lock (&bench->sent_lock);
  first = sender->frames;
  g_mutex_unlock (&bench->sent_lock);

  start_us = g_get_monotonic_time ();
  end_us = start_us + (gint64) bench->merge_seconds * G_USEC_PER_SEC;
  while ((now_us = g_get_monotonic_time ()) < end_us) {
    gint path = g_rand_int_range (bench->rand, 0, 2);
    gint64 dur_ms = g_rand_int_range (bench->rand, 100, 2000);
    gint64 pause_ms = g_rand_int_range (bench->rand, 20, 800);
    gboolean running;

    dur_ms = MIN (dur_ms, (end_us - now_us) / HF_BENCH_MS);
    hf_bench_set_dropping (sender, path, TRUE);
    severs++;
    running = hf_bench_sleep_until (bench, now_us + dur_ms * HF_BENCH_MS);
    hf_bench_set_dropping (sender, path, FALSE);
    severed_ms[path] += dur_ms;
    if (!running || !hf_bench_sleep_until (bench, MIN (end_us, now_us +
                (dur_ms + pause_ms) * HF_BENCH_MS)))
      break;
  }
  g_mutex_lock (&bench->sent_lock);
  last = sender->frames;        /* one past the last frame counted */
  g_mutex_unlock (&bench->sent_lock);
  /* Let the last frames reach the viewer and the relay count its loss. */
  hf_bench_sleep_until (bench, g_get_monotonic_time () + G_USEC_PER_SEC);
  for (i = 0; i < 2; i++)
    lost[1][i] = hf_bench_packets_lost (bench, i);
  received = hf_bench_count_received (bench, first, last, start_us, &unknown);
  hf_bench_analyse (bench, start_us, end_us, &w);

  hf_bench_report_begin (&report, "merge");
  hf_bench_report_int (&report, "seconds", bench->merge_seconds);
  hf_bench_report_int (&report, "severs", severs);
  hf_bench_report_int (&report, "severed_ms_a", severed_ms[0]);
  hf_bench_report_int (&report, "severed_ms_b", severed_ms[1]);
  hf_bench_report_int (&report, "packets_lost", lost[0][0] >= 0 &&
      lost[1][0] >= 0 ? lost[1][0] - lost[0][0] : -1);
  g_string_append (report.text, " (target 0)");
  hf_bench_report_int (&report, "packets_lost_input1", lost[0][1] >= 0 &&
      lost[1][1] >= 0 ? lost[1][1] - lost[0][1] : -1);
  hf_bench_report_int (&report, "frames_sent", last - first);
  hf_bench_report_int (&report, "frames_received", received);
  hf_bench_report_int (&report, "longest_gap_ms", w.gap_us / HF_BENCH_MS);
  hf_bench_report_int (&report, "slate_frames", unknown);
  hf_bench_report_end (&report);
  if (received == 0)
    bench->failed = TRUE;
}

/* How many events of each type the relay logged in the whole run: the
 * proof that the transitions measured above happened in the relay too. */
static void
hf_bench_print_event_counts (HfBench * bench)
{
  static const gchar *const types[] = { "input_state", "switch", "revert",
    "manual", "slate_on", "slate_off", NULL
  };
  gint64 counts[G_N_ELEMENTS (types)] = { 0, };
  HfBenchReport report;
  GPtrArray *events;
  guint i, j;

  if (bench->api.url == NULL) {
    g_print ("events: not read (no --api)\n");
    return;
  }
  events = hf_bench_api_events (&bench->api);
  for (i = 0; i < events->len; i++) {
    const gchar *type = hf_bench_json_string (g_ptr_array_index (events, i),
        "type");

    for (j = 0; types[j] != NULL && g_strcmp0 (type, types[j]) != 0; j++);
    counts[j]++;
  }
  hf_bench_report_begin (&report, "events");
  hf_bench_report_int (&report, "total", events->len);
  for (j = 0; j < G_N_ELEMENTS (types); j++)
    hf_bench_report_int (&report, types[j] ? types[j] : "other", counts[j]);
  hf_bench_report_end (&report);
  g_ptr_array_unref (events);
}

/* Quits the main loop from the scenario thread. */
static gboolean
hf_bench_on_scenario_done (gpointer user_data)
{
  HfBench *bench = user_data;

  hf_bench_stop (bench, bench->failed ? HF_BENCH_EXIT_FAILURE :
      HF_BENCH_EXIT_OK);
  return G_SOURCE_REMOVE;
}

/* The scenario thread's body. */
static gpointer
hf_bench_scenario (gpointer user_data)
{
  HfBench *bench = user_data;
  gint64 first_us;
  guint cross;

  first_us = hf_bench_wait_first (bench, 1u << HF_BENCH_PRIMARY,
      g_get_monotonic_time () - G_USEC_PER_SEC, HF_BENCH_START_TIMEOUT_US);
  if (first_us < 0 || hf_bench_wait_steady (bench, 1u << HF_BENCH_PRIMARY,
          HF_BENCH_START_TIMEOUT_US) < 0) {
    if (!g_atomic_int_get (&bench->stopping))
      g_printerr ("hf-bench-failover: the viewer (%s) did not get the "
          "primary's frames steadily within %d s\n", bench->viewer_url,
          (gint) (HF_BENCH_START_TIMEOUT_US / G_USEC_PER_SEC));
    bench->failed = TRUE;
    g_idle_add (hf_bench_on_scenario_done, bench);
    return NULL;
  }

  /* Each scenario reads the events its figures need when it is done; the
   * counts are of every event of the run. */
  if (bench->merge) {
    hf_bench_merge (bench);
  } else {
    if (bench->cycles > 0)
      hf_bench_failover (bench);
    if (bench->slate_cycles > 0 && !g_atomic_int_get (&bench->stopping))
      hf_bench_slate (bench);
  }
  hf_bench_print_event_counts (bench);

  g_mutex_lock (&bench->sent_lock);
  cross = bench->cross_collisions;
  g_print ("senders: primary rebuilt %u times, backup %u times; %u slices "
      "hashed alike by both\n", bench->senders[0].rebuilds,
      bench->senders[1].rebuilds, cross);
  g_mutex_unlock (&bench->sent_lock);
  g_idle_add (hf_bench_on_scenario_done, bench);
  return NULL;
}

/* ---------------------------------------------------------------------- */
/* Run (control thread)                                                    */

/* Ends the run; a failure code is kept.  The scenario thread sees
 * stopping and returns. */
static void
hf_bench_stop (HfBench * bench, gint exit_code)
{
  if (bench->exit_code == HF_BENCH_EXIT_OK)
    bench->exit_code = exit_code;
  g_atomic_int_set (&bench->stopping, 1);
  g_main_loop_quit (bench->loop);
}

static gboolean
hf_bench_on_signal (gpointer user_data)
{
  HfBench *bench = user_data;

  g_printerr ("hf-bench-failover: interrupted\n");
  hf_bench_stop (bench, HF_BENCH_EXIT_FAILURE);
  return G_SOURCE_CONTINUE;
}

static void
hf_bench_clear (HfBench * bench)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bench->senders); i++) {
    g_free (bench->senders[i].url);
    g_free (bench->senders[i].uri);
  }
  if (bench->loop)
    g_main_loop_unref (bench->loop);
  if (bench->sent)
    g_hash_table_unref (bench->sent);
  if (bench->records)
    g_array_unref (bench->records);
  if (bench->rand)
    g_rand_free (bench->rand);
  hf_bench_api_clear (&bench->api);
  g_mutex_clear (&bench->sent_lock);
  g_mutex_clear (&bench->results_lock);
  g_free (bench->viewer_url);
  g_free (bench->viewer_uri);
}

/* Checks the options and prepares the URIs; FALSE with error set. */
static gboolean
hf_bench_prepare (HfBench * bench, gint argc, GError ** error)
{
  guint i;

  if (bench->senders[0].url == NULL || bench->senders[1].url == NULL ||
      bench->viewer_url == NULL || argc > 1) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "--primary, --backup and --viewer are required");
    return FALSE;
  }
  if (bench->cycles < 0 || bench->cycles > 1000 || bench->slate_cycles < 0
      || bench->slate_cycles > 100 || bench->merge_seconds < 1 ||
      bench->merge_seconds > 3600 || bench->max_seconds < 0 ||
      bench->bitrate <= 0) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--cycles must be 0..1000, --slate-cycles 0..100, --merge-seconds "
        "1..3600, --max-seconds not negative, --bitrate positive");
    return FALSE;
  }
  bench->viewer_uri = hf_bench_srt_uri (bench->viewer_url, error);
  if (bench->viewer_uri == NULL)
    return FALSE;
  for (i = 0; i < G_N_ELEMENTS (bench->senders); i++) {
    HfBenchSender *s = &bench->senders[i];

    s->bench = bench;
    s->index = i;
    s->uri = bench->merge ? hf_bench_udp_properties (s->url, error) :
        hf_bench_srt_uri (s->url, error);
    if (s->uri == NULL)
      return FALSE;
  }
  return TRUE;
}

/* --help */
static const gchar hf_bench_summary[] =
    "Measures what a viewer of a relay sees when its inputs die: the gap "
    "and lost frames at a failover, the revert, the slate, and (with "
    "--merge) loss through a merge of two paths.";

static const gchar hf_bench_description[] =
    "Failover mode: the relay has two SRT listener inputs (primary, "
    "backup)\nand an SRT listener output.  Merge mode: two RTP inputs "
    "with merge = true.\nPrints human lines and one JSON line per "
    "scenario.  Exit status: 0 when\nevery measurement was made (whatever "
    "the figures), 1 if one could not be\nmade (no switch, no slate, no "
    "revert, viewer dropped), 2 on bad arguments.\n";

int
main (int argc, char **argv)
{
  HfBench bench = { 0, };
  GError *error = NULL;
  guint sigint_id, sigterm_id, i;
  gint code;
  GOptionEntry entries[] = {
    {"primary", 0, 0, G_OPTION_ARG_STRING, &bench.senders[0].url,
        "The relay's primary input (srt://HOST:PORT, the sender calls); "
          "with --merge path A (rtp://HOST:PORT)", "URL"},
    {"backup", 0, 0, G_OPTION_ARG_STRING, &bench.senders[1].url,
          "The relay's backup input; with --merge path B (rtp://HOST:PORT)",
        "URL"},
    {"viewer", 0, 0, G_OPTION_ARG_STRING, &bench.viewer_url,
        "The relay's output (srt://HOST:PORT, the viewer calls)", "URL"},
    {"api", 0, 0, G_OPTION_ARG_STRING, &bench.api.url,
        "The relay's HTTP API (http://HOST:PORT) for events and loss "
          "counters", "URL"},
    {"cycles", 0, 0, G_OPTION_ARG_INT, &bench.cycles,
        "Kill-primary cycles (default 20)", "N"},
    {"slate-cycles", 0, 0, G_OPTION_ARG_INT, &bench.slate_cycles,
        "Kill-both cycles (default 5)", "N"},
    {"merge", 0, 0, G_OPTION_ARG_NONE, &bench.merge,
          "Merge mode: one RTP/MPEG-TS sender on two paths, severed in turn",
        NULL},
    {"merge-seconds", 0, 0, G_OPTION_ARG_INT, &bench.merge_seconds,
        "How long paths are severed in merge mode (default 30)", "S"},
    {"max-seconds", 0, 0, G_OPTION_ARG_INT, &bench.max_seconds,
        "Start no cycle that might end later than this after the start; "
          "the summary covers the cycles done (default: no limit)", "S"},
    {"seed", 0, 0, G_OPTION_ARG_INT64, &bench.seed,
        "Seed of the random cut times (default: from the clock)", "S"},
    {"bitrate", 0, 0, G_OPTION_ARG_INT, &bench.bitrate,
        "Video bitrate of each sender in kbit/s (default 1000)", "KBPS"},
    G_OPTION_ENTRY_NULL
  };

  bench.cycles = 20;
  bench.slate_cycles = 5;
  bench.merge_seconds = 30;
  bench.seed = -1;
  bench.bitrate = 1000;
  bench.api.tool = "hf-bench-failover";
  g_mutex_init (&bench.sent_lock);
  g_mutex_init (&bench.results_lock);

  if (!hf_bench_parse_args ("hf-bench-failover", hf_bench_summary,
          hf_bench_description, entries, TRUE, &argc, &argv, &code)) {
    hf_bench_clear (&bench);
    return code;
  }
  if (!hf_bench_prepare (&bench, argc, &error)) {
    g_printerr ("hf-bench-failover: %s\n", error->message);
    g_printerr ("Try \"hf-bench-failover --help\" for usage.\n");
    g_clear_error (&error);
    hf_bench_clear (&bench);
    return HF_BENCH_EXIT_USAGE;
  }

  gst_init (NULL, NULL);
  bench.trace = g_strcmp0 (g_getenv ("HF_BENCH_TRACE"), "1") == 0;
  if (bench.seed < 0)
    bench.seed = g_get_real_time () % 1000000;
  bench.rand = g_rand_new_with_seed ((guint32) bench.seed);
  bench.deadline_us = bench.max_seconds > 0 ? g_get_monotonic_time () +
      (gint64) bench.max_seconds * G_USEC_PER_SEC : G_MAXINT64;
  bench.sent = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
      g_free);
  bench.records = g_array_new (FALSE, FALSE, sizeof (HfBenchRecord));
  bench.loop = g_main_loop_new (NULL, FALSE);
  g_print ("# hf-bench-failover %s: %s, seed %" G_GINT64_FORMAT "\n",
      HF_VERSION, bench.merge ? "merge" : "failover and slate", bench.seed);

  bench.viewer = hf_bench_receiver_new ("hf-bench-failover", bench.viewer_uri,
      HF_BENCH_RECEIVER_IGNORE_PCR | HF_BENCH_RECEIVER_RELINK,
      hf_bench_on_received, &bench, &error);
  if (bench.viewer == NULL) {
    g_printerr ("hf-bench-failover: viewer: %s\n", error->message);
    g_clear_error (&error);
    hf_bench_clear (&bench);
    return HF_BENCH_EXIT_FAILURE;
  }
  bench.viewer_watch_id = hf_bench_add_bus_watch (bench.viewer,
      hf_bench_on_viewer_bus, &bench);
  sigint_id = g_unix_signal_add (SIGINT, hf_bench_on_signal, &bench);
  sigterm_id = g_unix_signal_add (SIGTERM, hf_bench_on_signal, &bench);

  /* Senders first, so that the relay has a primary when the viewer
   * joins; in merge mode one sender feeds both paths. */
  for (i = 0; i < (bench.merge ? 1u : 2u); i++) {
    if (!hf_bench_start_sender (&bench.senders[i], &error)) {
      g_printerr ("hf-bench-failover: %s sender: %s\n",
          hf_bench_class_names[i], error->message);
      g_clear_error (&error);
      bench.exit_code = HF_BENCH_EXIT_FAILURE;
    }
  }
  if (bench.exit_code == HF_BENCH_EXIT_OK) {
    if (gst_element_set_state (bench.viewer, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE) {
      g_printerr ("hf-bench-failover: viewer (%s) could not start\n",
          bench.viewer_url);
      bench.exit_code = HF_BENCH_EXIT_FAILURE;
    } else {
      bench.scenario = g_thread_new ("hf-bench-scenario", hf_bench_scenario,
          &bench);
      g_main_loop_run (bench.loop);
    }
  }

  g_atomic_int_set (&bench.stopping, 1);
  if (bench.scenario)
    g_thread_join (bench.scenario);
  /* The viewer first, so that tearing the senders down is not measured. */
  g_source_remove (bench.viewer_watch_id);
  gst_element_set_state (bench.viewer, GST_STATE_NULL);
  gst_object_unref (bench.viewer);
  for (i = 0; i < G_N_ELEMENTS (bench.senders); i++) {
    if (bench.senders[i].rebuild_id != 0)
      g_source_remove (bench.senders[i].rebuild_id);
    hf_bench_stop_sender (&bench.senders[i]);
  }
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  code = bench.exit_code;
  hf_bench_clear (&bench);
  return code;
}
