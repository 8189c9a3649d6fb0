/* A stream: its inputs, the switch, the slate, the program mux and the
 * outputs.
 *
 *   input pipelines --(access units)--> HfSwitch --(restamped)-->
 *   program: appsrc(video) + appsrc(audio) ! mpegtsmux ! appsink
 *   --(TS)--> GOP cache + outputs
 *
 * Two threads of its own: the ticker wakes every 10 ms to run the switch's
 * clock (health, failover decisions, slate pacing) and, every 100 ms,
 * feeds it the inputs' loss and jitter; the slate worker encodes the slate
 * (at start, then again whenever the live format changes) so that no
 * encoding ever runs while the slate is on air.
 *
 * The program pipeline is live on the system clock; the switch stamps units
 * with the program's running time, so the mux interleaves them as they come
 * and never waits for a stream that is missing for longer than its latency.
 * One mux for the life of the stream means one continuous TS for viewers:
 * continuity counters, PCR and PIDs never jump, whatever input is on air.
 *
 * Threads: new/start/stop/free/tick/to_json on the control thread; the
 * switch on the inputs' streaming threads; the TS fan-out on the program's
 * appsink streaming thread, under fanout_lock (data plane only: the control
 * thread takes it just to copy the GOP figures).
 */
#include "relay/relay-private.h"
#include "relay/hf-tsgop.h"
#include "failover/hf-failover.h"

#include <gst/app/gstappsrc.h>
#include <gst/app/gstappsink.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (hf_stream_debug);
#define GST_CAT_DEFAULT hf_stream_debug

#define HF_STREAM_TICK_US (10 * 1000)
#define HF_STREAM_COUNTERS_EVERY 10     /* ticks: 100 ms */

/* Longest GOP we replay to a joiner: 8 MB is 16 s at 4 Mbit/s. */
#define HF_STREAM_MAX_GOP_BYTES (8 * 1024 * 1024)
/* How long the mux waits for a stream that has nothing (e.g. no audio). */
#define HF_STREAM_MUX_LATENCY (100 * GST_MSECOND)

/* Failovers within this long count as recent (the failover alert). */
#define HF_STREAM_RECENT_US (60 * G_USEC_PER_SEC)
#define HF_STREAM_RECENT_MAX 64
/* Seconds of history kept for the dashboard's charts. */
#define HF_STREAM_HISTORY 300

typedef struct
{
  gint64 mono_us;
  gint64 wall_us;
  gint on_air;                  /* input, -1 none, HF_SNAPSHOT_SLATE */
} HfHistoryHead;

typedef struct
{
  HfHealthState health;
  gdouble loss_ratio;
  gdouble jitter_ms;
  gdouble rtt_ms;               /* < 0: unknown */
  guint64 bitrate_bps;
} HfHistoryInput;

struct _HfStream
{
  const HfStreamConfig *config;
  HfEvents *events;
  GPtrArray *inputs;            /* (element-type HfInput); one merged input
                                 * when config->merge */
  GPtrArray *outputs;           /* (element-type HfOutput) */
  HfSwitch *sw;

  /* The program pipeline.  It is built when the switch takes an input at a
   * keyframe, with an audio track only if that input carries audio (an
   * audio pad that never gets data would stall the mux), and torn down to
   * be built again when the mux fails or audio turns up later.
   * program_lock guards the fields below; it is taken under the switch's
   * lock, so never take the switch's lock while holding it. */
  GMutex program_lock;
  GstElement *program;
  GstElement *vsrc;
  GstElement *asrc;             /* NULL in a video-only program */
  const gchar *audio_codec;     /* interned media type fed to asrc, or NULL */
  GSource *program_watch;
  gint rebuild_requested;       /* atomic */
  guint generation;             /* programs built so far (program_lock) */
  gint psi_version;             /* atomic: PAT/PMT version of this program */
  /* Fixed at start: every program runs on the system clock with this base
   * time, so the program's running time is one timeline for the life of
   * the stream and the switch can stamp units before a program exists. */
  GstClock *clock;
  GstClockTime base_time;
  GMutex rebuild_lock;          /* guards rebuild_source */
  GSource *rebuild_source;      /* idle on the control context, or NULL */
  gint program_restarts;        /* atomic: bumped on streaming threads */
  gchar *program_error;
  GMainContext *context;

  GMutex fanout_lock;           /* guards gop, rung_gop and ts_* */
  HfTsGop gop;
  guint64 ts_bytes;
  /* Rendition ladder (config->n_rungs > 0): the encoding branches of the
   * current program (program_lock), and each rung's TS cache (fanout_lock):
   * with a ladder, outputs are fed from the rungs, not the program. */
  HfLadder *ladder;
  HfTsGop rung_gop[HF_LADDER_MAX_RUNGS];

  gint64 started_us;

  /* The ticker thread. */
  GThread *ticker;
  GMutex ticker_lock;           /* guards ticker_stop */
  GCond ticker_cond;
  gboolean ticker_stop;

  /* The slate worker.  slate_lock guards everything below. */
  GThread *slate_worker;
  GMutex slate_lock;
  GCond slate_cond;
  gboolean slate_stop;
  GCancellable *slate_cancel;   /* stops an encode when the stream stops */
  HfSlateFormat slate_wanted;   /* the live format to match */
  HfSlateFormat slate_made;     /* the format of `slate` */
  HfSlateFormat slate_tried;    /* the last format an encode was tried for */
  HfSlate *slate;               /* the slate handed to the switch */
  GstCaps *live_video_caps;     /* last caps seen on air (pointers only
                                 * compared; program_lock) */
  GstCaps *live_audio_caps;
  gchar *slate_error;
  gint64 slate_encode_ms;
  guint slate_encodes;

  /* Failovers by label, and when the last ones were, for metrics and
   * alerts: written by the switch's event callback (any thread),
   * read on the control thread.  counts_lock guards them. */
  GMutex counts_lock;
  GArray *failovers;            /* (element-type HfFailoverCount) */
  HfHealthState *health;        /* per input, as its events told it: the
                                 * event callback must not ask the switch
                                 * (its event lock is held there, and the
                                 * switch takes that lock under its own) */
  gint64 failover_times[HF_STREAM_RECENT_MAX];
  guint n_failover_times;       /* ever: the ring index is this % max */

  /* The last HF_STREAM_HISTORY seconds of figures (GET /api/v1/history):
   * control thread only. */
  HfHistoryHead history[HF_STREAM_HISTORY];
  HfHistoryInput *history_inputs;       /* HF_STREAM_HISTORY x inputs */
  guint history_len;
  guint history_next;
};

/* Input streaming thread: one access unit from input @input. */
static void
hf_stream_on_sample (HfInput * input, HfMediaKind kind, GstSample * sample,
    gpointer user_data)
{
  HfStream *stream = user_data;
  GstClockTime now = gst_clock_get_time (stream->clock);
  GstClockTime out_now = now > stream->base_time ? now - stream->base_time : 0;

  GST_LOG ("stream %s: input %u %s unit, pts %" GST_TIME_FORMAT,
      stream->config->name, hf_input_get_index (input),
      kind == HF_MEDIA_VIDEO ? "video" : "audio",
      GST_TIME_ARGS (GST_BUFFER_PTS (gst_sample_get_buffer (sample))));
  hf_switch_push (stream->sw, hf_input_get_index (input),
      hf_input_get_epoch (input), kind, sample, g_get_monotonic_time (),
      out_now);
}

static gboolean hf_stream_build_program_locked (HfStream * stream,
    gboolean with_audio, GError ** error);
static void hf_stream_drop_program_locked (HfStream * stream);
static void hf_stream_request_rebuild (HfStream * stream, const gchar * why);

/* Switch lock held, program_lock held: the live format on air changed
 * (a take, or new caps mid-stream); have the slate re-encoded to match.
 * Never encodes here: the slate worker does. */
static void
hf_stream_note_live_format_locked (HfStream * stream, HfMediaKind kind,
    HfInput * in, GstCaps * caps, gboolean take)
{
  gboolean changed = FALSE;

  if (stream->config->fallback == HF_FALLBACK_NONE)
    return;
  if (kind == HF_MEDIA_VIDEO && caps != stream->live_video_caps) {
    gst_caps_replace (&stream->live_video_caps, caps);
    changed = TRUE;
  } else if (kind == HF_MEDIA_AUDIO && caps != stream->live_audio_caps) {
    gst_caps_replace (&stream->live_audio_caps, caps);
    changed = TRUE;
  }
  if (!changed && !take)
    return;
  g_mutex_lock (&stream->slate_lock);
  if (hf_slate_format_update (&stream->slate_wanted, stream->live_video_caps,
          hf_input_has_audio (in) ? stream->live_audio_caps : NULL))
    changed = TRUE;
  if (!hf_input_has_audio (in) && stream->slate_wanted.audio_codec) {
    /* A video-only program: a slate with audio would make a new mux. */
    stream->slate_wanted.audio_codec = NULL;
    changed = TRUE;
  }
  if (changed)
    g_cond_signal (&stream->slate_cond);
  g_mutex_unlock (&stream->slate_lock);
}

/* Input streaming thread or the ticker, switch lock held: queue into the
 * program, which is built at the first keyframe after start or after a
 * teardown (the switch only ever starts a source at a keyframe).
 * @input: the input on air, or HF_SWITCH_SLATE. */
static void
hf_stream_on_switch_output (HfMediaKind kind, gint input, GstBuffer * buffer,
    GstCaps * caps, gpointer user_data)
{
  HfStream *stream = user_data;
  HfInput *in = input >= 0 ? g_ptr_array_index (stream->inputs, input) : NULL;
  GstElement *src = NULL;
  GstSample *sample;
  gboolean rebuild = FALSE, has_audio;
  const gchar *codec;

  if (in) {
    has_audio = hf_input_has_audio (in);
    codec = hf_input_get_audio_codec (in);
  } else {
    /* The slate's audio matches what was on air (see the slate worker). */
    g_mutex_lock (&stream->slate_lock);
    codec = stream->slate_made.audio_codec;
    g_mutex_unlock (&stream->slate_lock);
    has_audio = codec != NULL;
  }

  g_mutex_lock (&stream->program_lock);
  if (in && (kind == HF_MEDIA_VIDEO || stream->live_audio_caps != caps))
    hf_stream_note_live_format_locked (stream, kind, in, caps,
        GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DISCONT));
  if (stream->program && kind == HF_MEDIA_VIDEO &&
      GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DISCONT)) {
    /* A take.  MPEG-TS cannot change a stream's type: if the new source's
     * audio codec differs from the program's, start a new program right at
     * this keyframe rather than let the mux fail on the first audio frame
     * (which would cost a whole GOP). */
    if (codec && stream->audio_codec && codec != stream->audio_codec) {
      GST_INFO ("stream %s: audio changes from %s to %s: new program",
          stream->config->name, stream->audio_codec, codec);
      hf_stream_drop_program_locked (stream);
      g_atomic_int_inc (&stream->program_restarts);
    }
  }
  if (!stream->program && kind == HF_MEDIA_VIDEO &&
      !g_atomic_int_get (&stream->rebuild_requested)) {
    g_autoptr (GError) error = NULL;

    if (!hf_stream_build_program_locked (stream, has_audio, &error))
      GST_ERROR ("stream %s: cannot build the program: %s",
          stream->config->name, error->message);
  }
  if (stream->program) {
    src = kind == HF_MEDIA_VIDEO ? stream->vsrc : stream->asrc;
    if (src)
      gst_object_ref (src);
    else
      rebuild = TRUE;           /* audio, and the program has no track */
    if (src && kind == HF_MEDIA_AUDIO && caps)
      stream->audio_codec = g_intern_string (gst_structure_get_name
          (gst_caps_get_structure (caps, 0)));
  }
  g_mutex_unlock (&stream->program_lock);
  if (rebuild)
    hf_stream_request_rebuild (stream, "the source on air now has audio");
  if (!src)
    return;
  sample = gst_sample_new (buffer, caps, NULL, NULL);
  gst_app_src_push_sample (GST_APP_SRC (src), sample);
  gst_sample_unref (sample);
  gst_object_unref (src);
}

static const gchar *
hf_stream_source_name (HfStream * stream, gint idx)
{
  if (idx < 0 || (guint) idx >= stream->inputs->len)
    return NULL;
  return hf_input_get_name (g_ptr_array_index (stream->inputs, idx));
}

/* An automatic take away from an input that was on air: a failover,
 * counted by where from, where to and why (the health of the input it
 * left).  Any thread (the switch's event callback), switch lock not held. */
static void
hf_stream_count_failover (HfStream * stream, const HfSwitchEvent * ev,
    const gchar * from, const gchar * to)
{
  const gchar *ifrom = g_intern_string (from ? from : "none");
  const gchar *ito = g_intern_string (to ? to : "none");
  const gchar *reason;
  HfFailoverCount *c = NULL;
  HfHealthState h;
  guint i;

  g_mutex_lock (&stream->counts_lock);
  h = (guint) ev->from < stream->inputs->len ? stream->health[ev->from] :
      HF_HEALTH_IDLE;
  reason = h == HF_HEALTH_LOST ? "input_lost" :
      h == HF_HEALTH_DEGRADED ? "input_degraded" : "other";
  for (i = 0; i < stream->failovers->len && !c; i++) {
    HfFailoverCount *f = &g_array_index (stream->failovers, HfFailoverCount,
        i);

    if (f->from == ifrom && f->to == ito && f->reason == reason)
      c = f;
  }
  if (!c) {
    HfFailoverCount fresh = { ifrom, ito, reason, 0 };

    g_array_append_val (stream->failovers, fresh);
    c = &g_array_index (stream->failovers, HfFailoverCount,
        stream->failovers->len - 1);
  }
  c->count++;
  stream->failover_times[stream->n_failover_times++ % HF_STREAM_RECENT_MAX] =
      ev->mono_us;
  g_mutex_unlock (&stream->counts_lock);
}

/* After the switch's lock is released, on the thread that drove it: the
 * transition goes to the relay's event log (which logs it at INFO). */
static void
hf_stream_on_switch_event (const HfSwitchEvent * ev, gpointer user_data)
{
  HfStream *stream = user_data;
  const gchar *input = NULL, *from = NULL, *to = NULL;

  switch (ev->kind) {
    case HF_EVENT_INPUT_STATE:
      input = hf_stream_source_name (stream, ev->input);
      if (ev->input >= 0 && (guint) ev->input < stream->inputs->len) {
        /* Events come in order: a failover's INPUT_STATE before its take. */
        g_mutex_lock (&stream->counts_lock);
        stream->health[ev->input] = ev->to;
        g_mutex_unlock (&stream->counts_lock);
      }
      from = hf_health_state_to_string (ev->from);
      to = hf_health_state_to_string (ev->to);
      break;
    case HF_EVENT_SLATE_ON:
      from = ev->from >= 0 ? hf_stream_source_name (stream, ev->from) : "none";
      to = "slate";
      break;
    case HF_EVENT_SLATE_OFF:
      from = "slate";
      to = hf_stream_source_name (stream, ev->to);
      break;
    default:
      from = ev->from >= 0 ? hf_stream_source_name (stream, ev->from) : "none";
      to = ev->to >= 0 ? hf_stream_source_name (stream, ev->to) : "none";
      break;
  }
  if ((ev->kind == HF_EVENT_SWITCH || ev->kind == HF_EVENT_SLATE_ON) &&
      ev->from >= 0 && ev->from != ev->to)
    hf_stream_count_failover (stream, ev, from, to);
  hf_events_add (stream->events, stream->config->name,
      hf_event_kind_to_string (ev->kind), input, from, to, ev->reason,
      ev->mono_us, g_get_real_time ());
}

/* ---- Ticker and slate worker ---------------------------------------------- */

static GstClockTime
hf_stream_out_now (HfStream * stream)
{
  GstClockTime now = gst_clock_get_time (stream->clock);

  return now > stream->base_time ? now - stream->base_time : 0;
}

/* The ticker thread: the switch's clock. */
static gpointer
hf_stream_ticker (gpointer user_data)
{
  HfStream *stream = user_data;
  gint64 next = g_get_monotonic_time ();
  guint n = 0;

  g_mutex_lock (&stream->ticker_lock);
  while (!stream->ticker_stop) {
    gint64 now_us;
    guint i;

    next += HF_STREAM_TICK_US;
    while (!stream->ticker_stop &&
        g_cond_wait_until (&stream->ticker_cond, &stream->ticker_lock, next));
    if (stream->ticker_stop)
      break;
    g_mutex_unlock (&stream->ticker_lock);

    now_us = g_get_monotonic_time ();
    if (next < now_us - 10 * HF_STREAM_TICK_US)
      next = now_us;            /* overslept (a loaded machine): no burst */
    if (++n % HF_STREAM_COUNTERS_EVERY == 0) {
      for (i = 0; i < stream->inputs->len; i++) {
        HfInput *input = g_ptr_array_index (stream->inputs, i);
        HfInputStats st;
        const HfInputSpec *spec;
        guint64 lost;

        hf_input_get_stats (input, now_us, &st);
        /* A link configured for repair (fec or rtx in its URL) is judged
         * by what the repair leaves: 5 % loss that FEC and RTX make whole
         * is no reason to leave an input.  The choice is the URL's, fixed
         * for the input's life: health keeps a running counter, which
         * must not change meaning mid-stream. */
        spec = hf_input_get_spec (input);
        lost = spec->rtx || spec->fec_mode != HF_FEC_OFF ?
            st.residual_lost : st.packets_lost;
        hf_switch_counters (stream->sw, i, now_us, st.packets, lost,
            st.jitter_ms);
      }
    }
    hf_switch_tick (stream->sw, now_us, hf_stream_out_now (stream));
    g_mutex_lock (&stream->ticker_lock);
  }
  g_mutex_unlock (&stream->ticker_lock);
  return NULL;
}

/* The slate worker: encodes the slate whenever the wanted format differs
 * from the one made, and hands it to the switch.  Encoding takes about a
 * second of CPU; it never runs on a streaming thread. */
static gpointer
hf_stream_slate_worker (gpointer user_data)
{
  HfStream *stream = user_data;
  const gchar *path = stream->config->fallback == HF_FALLBACK_FILE ?
      stream->config->fallback_path : NULL;
  gboolean made_one = FALSE;

  g_mutex_lock (&stream->slate_lock);
  while (!stream->slate_stop) {
    HfSlateFormat want;
    g_autoptr (GError) error = NULL;
    HfSlate *slate;
    gint64 t0;

    if (made_one && hf_slate_format_equal (&stream->slate_wanted,
            &stream->slate_tried)) {
      g_cond_wait (&stream->slate_cond, &stream->slate_lock);
      continue;
    }
    want = stream->slate_wanted;
    g_mutex_unlock (&stream->slate_lock);

    t0 = g_get_monotonic_time ();
    slate = hf_slate_encode (&want, path, stream->slate_cancel, &error);
    g_mutex_lock (&stream->slate_lock);
    made_one = TRUE;
    /* A failed encode is not retried until the format changes again; the
     * slate handed to the switch (and its format) stays what it was. */
    stream->slate_tried = want;
    if (!slate && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      break;                    /* the stream is stopping */
    if (!slate) {
      GST_ERROR ("stream %s: cannot make the slate: %s", stream->config->name,
          error->message);
      g_free (stream->slate_error);
      stream->slate_error = g_strdup (error->message);
      continue;
    }
    stream->slate_made = want;
    stream->slate_encode_ms = (g_get_monotonic_time () - t0) / 1000;
    stream->slate_encodes++;
    g_clear_pointer (&stream->slate_error, g_free);
    if (stream->slate)
      hf_slate_unref (stream->slate);
    stream->slate = slate;
    GST_INFO ("stream %s: slate ready: %dx%d at %d/%d, audio %s, %"
        G_GINT64_FORMAT " ms to encode", stream->config->name, want.width,
        want.height, want.fps_n, want.fps_d,
        want.audio_codec ? want.audio_codec : "none", stream->slate_encode_ms);
    /* Lock order: the switch's lock is taken before slate_lock, never
     * after. */
    hf_slate_ref (slate);
    g_mutex_unlock (&stream->slate_lock);
    hf_switch_set_slate (stream->sw, slate);
    hf_slate_unref (slate);
    g_mutex_lock (&stream->slate_lock);
  }
  g_mutex_unlock (&stream->slate_lock);
  return NULL;
}

/* Program streaming thread: TS out of the mux. */
static GstFlowReturn
hf_stream_on_ts (GstAppSink * sink, gpointer user_data)
{
  HfStream *stream = user_data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buf;
  GstMapInfo map;
  GBytes *gop = NULL;
  gboolean wants = FALSE;
  const guint8 *data;
  guint8 *copy = NULL;
  guint i;

  if (!sample)
    return GST_FLOW_FLUSHING;
  buf = gst_sample_get_buffer (sample);
  if (!buf || !gst_buffer_map (buf, &map, GST_MAP_READ)) {
    gst_sample_unref (sample);
    return GST_FLOW_OK;
  }
  data = map.data;
  GST_LOG ("stream %s: %" G_GSIZE_FORMAT " bytes of TS out of the program",
      stream->config->name, map.size);

  g_mutex_lock (&stream->fanout_lock);
  /* With a ladder the outputs take the rungs (hf_stream_on_rung_ts). */
  for (i = 0; i < stream->outputs->len && !stream->config->n_rungs; i++)
    wants |= hf_output_wants_gop (g_ptr_array_index (stream->outputs, i));
  /* The snapshot is taken before this buffer joins the cache: a new viewer
   * gets the GOP so far, then this buffer, and nothing twice.  (Before the
   * first keyframe there is no snapshot: viewers wait for the next buffer,
   * by which time the keyframe is in the cache.) */
  if (wants)
    gop = hf_ts_gop_snapshot (&stream->gop);
  /* The program's PAT/PMT version is stamped in place; only a buffer that
   * holds a table (about ten a second) is copied for that. */
  stream->gop.psi_version = g_atomic_int_get (&stream->psi_version);
  if (hf_ts_gop_needs_rewrite (&stream->gop, map.data, map.size)) {
    copy = g_memdup2 (map.data, map.size);
    data = copy;
    hf_ts_gop_push_rewrite (&stream->gop, copy, map.size);
  } else {
    hf_ts_gop_push (&stream->gop, map.data, map.size);
  }
  stream->ts_bytes += map.size;
  for (i = 0; i < stream->outputs->len && !stream->config->n_rungs; i++)
    hf_output_send (g_ptr_array_index (stream->outputs, i), data, map.size,
        gop);
  g_mutex_unlock (&stream->fanout_lock);

  if (gop)
    g_bytes_unref (gop);
  g_free (copy);
  gst_buffer_unmap (buf, &map);
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

/* Rung @rung's streaming thread: TS of one rung of the ladder.  Each
 * output takes it if that is its rung, or from the rung's keyframe if it
 * is switching to it. */
static void
hf_stream_on_rung_ts (guint rung, const guint8 * data, gsize size,
    gpointer user_data)
{
  HfStream *stream = user_data;
  HfTsGop *g = &stream->rung_gop[rung];
  GBytes *gop = NULL;
  gboolean wants = FALSE;
  guint8 *copy = NULL;
  guint8 psi[2 * HF_TS_PACKET];
  gsize psi_size = 0;
  guint i;

  g_mutex_lock (&stream->fanout_lock);
  for (i = 0; i < stream->outputs->len; i++) {
    HfOutput *out = g_ptr_array_index (stream->outputs, i);

    wants |= hf_output_get_rung (out) == rung && hf_output_wants_gop (out);
  }
  if (wants)
    gop = hf_ts_gop_snapshot (g);
  g->psi_version = g_atomic_int_get (&stream->psi_version);
  if (hf_ts_gop_needs_rewrite (g, data, size)) {
    copy = g_memdup2 (data, size);
    hf_ts_gop_push_rewrite (g, copy, size);
    data = copy;
  } else {
    hf_ts_gop_push (g, data, size);
  }
  if (g->have_pat && g->have_pmt) {
    memcpy (psi, g->pat, HF_TS_PACKET);
    memcpy (psi + HF_TS_PACKET, g->pmt, HF_TS_PACKET);
    psi_size = sizeof (psi);
  }
  for (i = 0; i < stream->outputs->len; i++)
    hf_output_send_rung (g_ptr_array_index (stream->outputs, i), rung, data,
        size, gop, psi, psi_size, g->video_pid);
  g_mutex_unlock (&stream->fanout_lock);
  if (gop)
    g_bytes_unref (gop);
  g_free (copy);
}

HfStream *
hf_stream_new (const HfStreamConfig * config, HfEvents * events)
{
  HfStream *stream = g_new0 (HfStream, 1);
  HfSwitchConfig sc;
  guint i;

  if (!hf_stream_debug)
    GST_DEBUG_CATEGORY_INIT (hf_stream_debug, "hf-relay", 0,
        "Holdfast streams");
  stream->config = config;
  stream->events = events;
  stream->inputs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      hf_input_free);
  stream->outputs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      hf_output_free);
  g_mutex_init (&stream->fanout_lock);
  g_mutex_init (&stream->program_lock);
  g_mutex_init (&stream->ticker_lock);
  g_cond_init (&stream->ticker_cond);
  g_mutex_init (&stream->rebuild_lock);
  g_mutex_init (&stream->slate_lock);
  g_cond_init (&stream->slate_cond);
  g_mutex_init (&stream->counts_lock);
  stream->failovers = g_array_new (FALSE, TRUE, sizeof (HfFailoverCount));
  hf_slate_format_init (&stream->slate_wanted);
  hf_ts_gop_init (&stream->gop, HF_STREAM_MAX_GOP_BYTES);
  for (i = 0; i < config->n_rungs; i++)
    hf_ts_gop_init (&stream->rung_gop[i], HF_STREAM_MAX_GOP_BYTES);
  if (config->merge) {
    /* Copies of one RTP stream over several networks: one input, whose
     * packets are merged (first copy wins) before the jitter buffer. */
    g_autofree gchar *name = g_strjoinv ("+", config->input_names);

    g_ptr_array_add (stream->inputs, hf_input_new_merged (config->inputs,
            config->n_inputs, (gint64) config->merge_window_ms * 1000, name,
            0, hf_stream_on_sample, stream));
  } else {
    for (i = 0; i < config->n_inputs; i++)
      g_ptr_array_add (stream->inputs, hf_input_new (&config->inputs[i],
              config->input_names[i], i, hf_stream_on_sample, stream));
  }
  stream->history_inputs = g_new0 (HfHistoryInput, HF_STREAM_HISTORY *
      stream->inputs->len);
  stream->health = g_new0 (HfHealthState, stream->inputs->len);
  hf_switch_config_init (&sc, stream->inputs->len);
  sc.health.timeout_us = (gint64) config->input_timeout_ms * 1000;
  sc.health.degraded_loss_ratio = config->degraded_loss_ratio;
  sc.health.degraded_jitter_ms = config->degraded_jitter_ms;
  sc.mode = config->failover;
  sc.revert_after_us = (gint64) config->revert_after_s * G_USEC_PER_SEC;
  sc.use_slate = config->fallback != HF_FALLBACK_NONE;
  stream->sw = hf_switch_new (&sc, hf_stream_on_switch_output,
      hf_stream_on_switch_event, stream);
  return stream;
}

const gchar *
hf_stream_get_name (HfStream * stream)
{
  return stream->config->name;
}

static gboolean hf_stream_program_bus_cb (GstBus * bus, GstMessage * msg,
    gpointer user_data);

/* @src ! @tee ! @mux: a tee's request pad to the mux's request pad
 * (gst_element_link () cannot pair two request templates). */
static gboolean
hf_stream_link_tee (GstElement * src, GstElement * tee, GstElement * mux)
{
  GstPad *tpad, *mpad;
  gboolean ok;

  if (!gst_element_link (src, tee))
    return FALSE;
  tpad = gst_element_request_pad_simple (tee, "src_%u");
  mpad = gst_element_request_pad_simple (mux, "sink_%d");
  ok = tpad && mpad && gst_pad_link (tpad, mpad) == GST_PAD_LINK_OK;
  if (tpad)
    gst_object_unref (tpad);
  if (mpad)
    gst_object_unref (mpad);
  return ok;
}

/* Streaming thread of the input being taken, program_lock held.  Builds and
 * starts the program pipeline. */
static gboolean
hf_stream_build_program_locked (HfStream * stream, gboolean with_audio,
    GError ** error)
{
  GstElement *mux, *sink, *program, *vsrc, *asrc = NULL;
  GstElement *vtee = NULL, *atee = NULL;
  HfLadder *ladder = NULL;
  GstAppSinkCallbacks cb = { 0 };
  GstBus *bus;
  GSource *watch;
  g_autofree gchar *name = g_strdup_printf ("program-%s",
      stream->config->name);

  program = gst_pipeline_new (name);
  vsrc = gst_element_factory_make ("appsrc", "video");
  if (with_audio)
    asrc = gst_element_factory_make ("appsrc", "audio");
  mux = hf_program_mux_new ("mux");
  sink = gst_element_factory_make ("appsink", "ts");
  if (!vsrc || (with_audio && !asrc) || !mux || !sink) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "mpegtsmux or appsrc/appsink missing (gstreamer1.0-plugins-bad/base)");
    gst_object_unref (program);
    return FALSE;
  }
  g_object_set (vsrc, "is-live", TRUE, "format", GST_FORMAT_TIME,
      "do-timestamp", FALSE, "block", FALSE, "max-bytes",
      (guint64) 64 * 1024 * 1024, "min-latency", (gint64) 0, NULL);
  if (asrc)
    g_object_set (asrc, "is-live", TRUE, "format", GST_FORMAT_TIME,
        "do-timestamp", FALSE, "block", FALSE, "max-bytes",
        (guint64) 16 * 1024 * 1024, "min-latency", (gint64) 0, NULL);
  /* alignment=0: emit every packet at once.  With 7 the mux holds a partial
   * group back until more data comes, which cuts the last frame short when
   * the input stops.  The SRT sender makes 1316-byte messages itself. */
  g_object_set (mux, "alignment", 0, "latency",
      (guint64) HF_STREAM_MUX_LATENCY, NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, "max-buffers", 0,
      "enable-last-sample", FALSE, NULL);
  cb.new_sample = hf_stream_on_ts;
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &cb, stream, NULL);

  gst_bin_add_many (GST_BIN (program), vsrc, mux, sink, NULL);
  if (asrc)
    gst_bin_add (GST_BIN (program), asrc);
  if (stream->config->n_rungs > 0) {
    /* The ladder's branches take the program's units from tees. */
    vtee = gst_element_factory_make ("tee", "video-tee");
    gst_bin_add (GST_BIN (program), vtee);
    if (asrc) {
      atee = gst_element_factory_make ("tee", "audio-tee");
      gst_bin_add (GST_BIN (program), atee);
    }
  }
  if ((vtee ? !hf_stream_link_tee (vsrc, vtee, mux) :
          !gst_element_link (vsrc, mux)) ||
      (asrc && (atee ? !hf_stream_link_tee (asrc, atee, mux) :
              !gst_element_link (asrc, mux))) ||
      !gst_element_link (mux, sink)) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "cannot link the program mux");
    gst_object_unref (program);
    return FALSE;
  }
  if (vtee) {
    ladder = hf_ladder_build (GST_BIN (program), vtee, atee,
        stream->config->ladder_bps, stream->config->n_rungs,
        hf_stream_on_rung_ts, stream, error);
    if (!ladder) {
      gst_object_unref (program);
      return FALSE;
    }
  }

  /* The program runs on the system clock with a base time fixed here, so
   * the switch can compute the program's "now" from any thread. */
  gst_pipeline_use_clock (GST_PIPELINE (program), stream->clock);
  gst_element_set_base_time (program, stream->base_time);
  gst_element_set_start_time (program, GST_CLOCK_TIME_NONE);

  bus = gst_pipeline_get_bus (GST_PIPELINE (program));
  watch = gst_bus_create_watch (bus);
  g_source_set_callback (watch, (GSourceFunc) (void (*)(void))
      hf_stream_program_bus_cb, stream, NULL);
  g_source_attach (watch, stream->context);
  gst_object_unref (bus);

  if (gst_element_set_state (program, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "the program pipeline would not start");
    g_source_destroy (watch);
    g_source_unref (watch);
    gst_element_set_state (program, GST_STATE_NULL);
    gst_object_unref (program);
    if (ladder)
      hf_ladder_free (ladder);
    return FALSE;
  }
  stream->program = program;
  stream->ladder = ladder;
  stream->vsrc = vsrc;
  stream->asrc = asrc;
  stream->program_watch = watch;
  /* Every rebuilt mux starts its tables at version 0; players that keep the
   * old PMT would never see a new audio codec.  The fan-out stamps each
   * program's own version instead. */
  g_atomic_int_set (&stream->psi_version, stream->generation++ % 32);
  GST_INFO ("stream %s: program started (%s)", stream->config->name,
      asrc ? "video and audio" : "video only");
  return TRUE;
}

/* Any thread, program_lock held.  Stops and drops the program pipeline and
 * the GOP kept for joiners (a new mux must not be preceded by the old
 * one's packets).  Lock order: switch, program, fanout. */
static void
hf_stream_drop_program_locked (HfStream * stream)
{
  GstElement *program = stream->program;
  GSource *watch = stream->program_watch;
  guint i;

  stream->program = stream->vsrc = stream->asrc = NULL;
  stream->program_watch = NULL;
  stream->audio_codec = NULL;
  if (watch) {
    g_source_destroy (watch);
    g_source_unref (watch);
  }
  if (program) {
    gst_element_set_state (program, GST_STATE_NULL);
    gst_object_unref (program);
  }
  /* The rungs' appsinks are stopped: nothing calls the ladder now. */
  if (stream->ladder) {
    hf_ladder_free (stream->ladder);
    stream->ladder = NULL;
  }
  g_mutex_lock (&stream->fanout_lock);
  hf_ts_gop_clear (&stream->gop);
  hf_ts_gop_init (&stream->gop, HF_STREAM_MAX_GOP_BYTES);
  for (i = 0; i < stream->config->n_rungs; i++) {
    hf_ts_gop_clear (&stream->rung_gop[i]);
    hf_ts_gop_init (&stream->rung_gop[i], HF_STREAM_MAX_GOP_BYTES);
  }
  g_mutex_unlock (&stream->fanout_lock);
}

/* Destroys a pending rebuild (it must not run after the stream stops).
 * Any thread. */
static void
hf_stream_cancel_rebuild (HfStream * stream)
{
  GSource *source;

  g_mutex_lock (&stream->rebuild_lock);
  source = stream->rebuild_source;
  stream->rebuild_source = NULL;
  g_mutex_unlock (&stream->rebuild_lock);
  if (source) {
    g_source_destroy (source);
    g_source_unref (source);
  }
}

/* Control thread.  Stops and drops the program pipeline; streaming threads
 * stop feeding it at once. */
static void
hf_stream_teardown_program (HfStream * stream)
{
  hf_stream_cancel_rebuild (stream);
  g_mutex_lock (&stream->program_lock);
  hf_stream_drop_program_locked (stream);
  g_mutex_unlock (&stream->program_lock);
}

/* Control thread: drop the program; the switch takes the on-air input
 * again at its next keyframe and a new program is built then. */
static gboolean
hf_stream_rebuild_cb (gpointer user_data)
{
  HfStream *stream = user_data;

  hf_stream_teardown_program (stream);
  hf_switch_restart (stream->sw);
  g_atomic_int_set (&stream->rebuild_requested, 0);
  GST_INFO ("stream %s: program torn down; rebuilt at the next keyframe",
      stream->config->name);
  return G_SOURCE_REMOVE;
}

/* Any thread: ask the control thread to rebuild the program (once).  The
 * idle source is kept so that stopping the stream can destroy it. */
static void
hf_stream_request_rebuild (HfStream * stream, const gchar * why)
{
  if (!g_atomic_int_compare_and_exchange (&stream->rebuild_requested, 0, 1))
    return;
  GST_INFO ("stream %s: program rebuild requested: %s", stream->config->name,
      why);
  g_atomic_int_inc (&stream->program_restarts);
  g_mutex_lock (&stream->rebuild_lock);
  if (!stream->rebuild_source && stream->context) {
    stream->rebuild_source = g_idle_source_new ();
    g_source_set_callback (stream->rebuild_source, hf_stream_rebuild_cb,
        stream, NULL);
    g_source_attach (stream->rebuild_source, stream->context);
  }
  g_mutex_unlock (&stream->rebuild_lock);
}

/* Control thread.  The mux refuses what it is given (e.g. the backup's audio
 * is Opus where the primary's was AAC: MPEG-TS cannot change a stream's
 * type): the program is rebuilt rather than left dead. */
static gboolean
hf_stream_program_bus_cb (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  HfStream *stream = user_data;
  g_autoptr (GError) err = NULL;
  g_autofree gchar *dbg = NULL;

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ERROR)
    return G_SOURCE_CONTINUE;
  gst_message_parse_error (msg, &err, &dbg);
  GST_ERROR ("stream %s: program error from %s: %s (%s); rebuilding",
      stream->config->name, GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
      err->message, dbg ? dbg : "");
  g_free (stream->program_error);
  stream->program_error = g_strdup (err->message);
  hf_stream_request_rebuild (stream, err->message);
  return G_SOURCE_CONTINUE;
}



gboolean
hf_stream_start (HfStream * stream, GError ** error)
{
  guint i;

  stream->started_us = g_get_monotonic_time ();
  if (stream->config->n_rungs > 0) {
    static const gchar *const needed[] = { "avdec_h264", "x264enc",
      "h264parse", "tee", "queue", NULL
    };
    guint k;

    /* Refused now, not at every keyframe once the stream is live. */
    for (k = 0; needed[k]; k++) {
      GstElementFactory *f = gst_element_factory_find (needed[k]);

      if (!f) {
        g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
            "stream %s: the ladder needs the %s element (is its GStreamer "
            "plugin installed?)", stream->config->name, needed[k]);
        return FALSE;
      }
      gst_object_unref (f);
    }
  }
  stream->context = g_main_context_ref_thread_default ();
  stream->clock = gst_system_clock_obtain ();
  stream->base_time = gst_clock_get_time (stream->clock);
  for (i = 0; i < stream->config->n_outputs; i++) {
    g_autofree gchar *name = g_strdup_printf ("out%u", i);
    HfOutput *out = hf_output_new (&stream->config->outputs[i], name, error);

    if (!out)
      goto fail_output;
    if (stream->config->n_rungs > 0)
      hf_output_set_ladder (out, stream->config->ladder_bps,
          stream->config->n_rungs, stream->started_us);
    g_mutex_lock (&stream->fanout_lock);
    g_ptr_array_add (stream->outputs, out);
    g_mutex_unlock (&stream->fanout_lock);
  }
  for (i = 0; i < stream->inputs->len; i++) {
    HfInput *in = g_ptr_array_index (stream->inputs, i);

    if (!hf_input_start (in, error)) {
      g_prefix_error (error, "input %s (%s): ", hf_input_get_name (in),
          hf_input_get_spec (in)->url);
      goto fail;
    }
  }
  stream->ticker_stop = FALSE;
  stream->ticker = g_thread_new ("hf-ticker", hf_stream_ticker, stream);
  if (stream->config->fallback != HF_FALLBACK_NONE) {
    stream->slate_stop = FALSE;
    g_clear_object (&stream->slate_cancel);
    stream->slate_cancel = g_cancellable_new ();
    stream->slate_worker = g_thread_new ("hf-slate", hf_stream_slate_worker,
        stream);
  }
  GST_INFO ("stream %s: started with %u inputs, %u outputs",
      stream->config->name, stream->config->n_inputs,
      stream->config->n_outputs);
  return TRUE;

fail_output:
  g_prefix_error (error, "output %s: ", stream->config->outputs[i].url);
fail:
  g_prefix_error (error, "stream %s: ", stream->config->name);
  hf_stream_stop (stream);
  return FALSE;
}

void
hf_stream_stop (HfStream * stream)
{
  guint i;

  if (stream->ticker) {
    g_mutex_lock (&stream->ticker_lock);
    stream->ticker_stop = TRUE;
    g_cond_signal (&stream->ticker_cond);
    g_mutex_unlock (&stream->ticker_lock);
    g_thread_join (stream->ticker);
    stream->ticker = NULL;
  }
  if (stream->slate_worker) {
    /* An encode in progress gives up within 100 ms. */
    g_cancellable_cancel (stream->slate_cancel);
    g_mutex_lock (&stream->slate_lock);
    stream->slate_stop = TRUE;
    g_cond_signal (&stream->slate_cond);
    g_mutex_unlock (&stream->slate_lock);
    g_thread_join (stream->slate_worker);
    stream->slate_worker = NULL;
  }
  for (i = 0; i < stream->inputs->len; i++)
    hf_input_stop (g_ptr_array_index (stream->inputs, i));
  hf_stream_teardown_program (stream);
  g_atomic_int_set (&stream->rebuild_requested, 0);
  g_mutex_lock (&stream->fanout_lock);
  g_ptr_array_set_size (stream->outputs, 0);
  g_mutex_unlock (&stream->fanout_lock);
  gst_clear_object (&stream->clock);
  if (stream->context) {
    g_main_context_unref (stream->context);
    stream->context = NULL;
  }
}

void
hf_stream_free (HfStream * stream)
{
  guint i;

  if (!stream)
    return;
  hf_stream_stop (stream);
  g_ptr_array_unref (stream->inputs);
  g_ptr_array_unref (stream->outputs);
  hf_switch_free (stream->sw);
  hf_ts_gop_clear (&stream->gop);
  for (i = 0; i < stream->config->n_rungs; i++)
    hf_ts_gop_clear (&stream->rung_gop[i]);
  g_mutex_clear (&stream->fanout_lock);
  g_mutex_clear (&stream->program_lock);
  g_mutex_clear (&stream->ticker_lock);
  g_cond_clear (&stream->ticker_cond);
  g_mutex_clear (&stream->rebuild_lock);
  g_mutex_clear (&stream->slate_lock);
  g_cond_clear (&stream->slate_cond);
  g_mutex_clear (&stream->counts_lock);
  g_array_unref (stream->failovers);
  g_free (stream->history_inputs);
  g_free (stream->health);
  if (stream->slate)
    hf_slate_unref (stream->slate);
  g_clear_object (&stream->slate_cancel);
  gst_caps_replace (&stream->live_video_caps, NULL);
  gst_caps_replace (&stream->live_audio_caps, NULL);
  g_free (stream->slate_error);
  g_free (stream->program_error);
  g_free (stream);
}

/* Control thread, once a second: one history sample. */
static void
hf_stream_record_history (HfStream * stream, gint64 now_us)
{
  guint slot = stream->history_next;
  HfHistoryHead *head = &stream->history[slot];
  HfSwitchStats sw;
  guint i, n = stream->inputs->len;

  hf_switch_get_stats (stream->sw, &sw);
  head->mono_us = now_us;
  head->wall_us = g_get_real_time ();
  head->on_air = sw.slate_on_air ? HF_SNAPSHOT_SLATE : sw.on_air;
  for (i = 0; i < n; i++) {
    HfHistoryInput *hi = &stream->history_inputs[slot * n + i];
    HfInputStats st;

    hf_input_get_stats (g_ptr_array_index (stream->inputs, i), now_us, &st);
    hi->health = hf_switch_get_health (stream->sw, i, now_us);
    hi->loss_ratio = st.loss_ratio;
    hi->jitter_ms = st.jitter_ms;
    hi->rtt_ms = st.rtt_ms;
    hi->bitrate_bps = st.bitrate_bps;
  }
  stream->history_next = (slot + 1) % HF_STREAM_HISTORY;
  if (stream->history_len < HF_STREAM_HISTORY)
    stream->history_len++;
}

void
hf_stream_tick (HfStream * stream, gint64 now_us)
{
  guint i;

  for (i = 0; i < stream->inputs->len; i++)
    hf_input_tick (g_ptr_array_index (stream->inputs, i), now_us);
  hf_stream_record_history (stream, now_us);
}

void
hf_stream_tick_outputs (HfStream * stream, gint64 now_us)
{
  guint i;

  /* The outputs array changes only on this thread (start, stop). */
  for (i = 0; i < stream->outputs->len; i++) {
    HfOutput *out = g_ptr_array_index (stream->outputs, i);
    const gchar *why = NULL;
    guint from, to;

    if (hf_output_tick (out, now_us, &from, &to, &why)) {
      g_autofree gchar *f = g_strdup_printf ("%" G_GUINT64_FORMAT "k",
          stream->config->ladder_bps[from] / 1000);
      g_autofree gchar *t = g_strdup_printf ("%" G_GUINT64_FORMAT "k",
          stream->config->ladder_bps[to] / 1000);

      /* The decision; the output takes the rung at its next keyframe. */
      hf_events_add (stream->events, stream->config->name, "rung_change",
          hf_output_get_name (out), f, t, why, now_us, g_get_real_time ());
    }
  }
}

static void
hf_json_add_int (JsonBuilder * b, const gchar * name, gint64 v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

static void
hf_json_add_double (JsonBuilder * b, const gchar * name, gdouble v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, v);
}

static void
hf_stream_add_input_json (HfStream * stream, HfInput * input, gint on_air,
    gint64 now_us, JsonBuilder * b)
{
  HfInputStats st;
  const HfInputSpec *spec = hf_input_get_spec (input);

  hf_input_get_stats (input, now_us, &st);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, hf_input_get_name (input));
  hf_json_add_int (b, "index", hf_input_get_index (input));
  json_builder_set_member_name (b, "url");
  json_builder_add_string_value (b, spec->url);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, hf_input_kind_to_string (spec->kind));
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, hf_input_state_to_string (st.state));
  json_builder_set_member_name (b, "health");
  json_builder_add_string_value (b, hf_health_state_to_string
      (hf_switch_get_health (stream->sw, hf_input_get_index (input), now_us)));
  json_builder_set_member_name (b, "on_air");
  json_builder_add_boolean_value (b,
      on_air == (gint) hf_input_get_index (input));
  hf_json_add_int (b, "packets", st.packets);
  hf_json_add_int (b, "bytes", st.bytes);
  hf_json_add_int (b, "bitrate_bps", st.bitrate_bps);
  hf_json_add_double (b, "loss_ratio", st.loss_ratio);
  hf_json_add_int (b, "packets_lost", st.packets_lost);
  hf_json_add_double (b, "jitter_ms", st.jitter_ms);
  json_builder_set_member_name (b, "rtt_ms");
  if (st.rtt_ms >= 0)
    json_builder_add_double_value (b, st.rtt_ms);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "last_packet_age_ms");
  if (st.last_packet_age_ms >= 0)
    json_builder_add_int_value (b, st.last_packet_age_ms);
  else
    json_builder_add_null_value (b);
  hf_json_add_int (b, "malformed_packets", st.malformed_packets);
  hf_json_add_int (b, "restarts", st.restarts);
  hf_json_add_int (b, "frames", st.access_units);
  /* RTP repair and rate control: what the link lost, what FEC and RTX
   * brought back, and what the pusher was asked to send. */
  hf_json_add_int (b, "fec_recovered", st.fec_recovered);
  hf_json_add_int (b, "fec_packets", st.fec_packets);
  hf_json_add_double (b, "fec_overhead_ratio", st.fec_overhead_ratio);
  hf_json_add_int (b, "rtx_requested", st.rtx_requested);
  hf_json_add_int (b, "rtx_received", st.rtx_received);
  hf_json_add_int (b, "residual_lost", st.residual_lost);
  hf_json_add_double (b, "residual_loss_ratio", st.residual_loss_ratio);
  json_builder_set_member_name (b, "target_bitrate_bps");
  if (st.target_bitrate_bps > 0)
    json_builder_add_int_value (b, st.target_bitrate_bps);
  else
    json_builder_add_null_value (b);
  hf_json_add_double (b, "queue_delay_ms", st.queue_delay_ms);
  json_builder_set_member_name (b, "fec");
  if (spec->fec_mode == HF_FEC_FIXED) {
    g_autofree gchar *pct = g_strdup_printf ("%d", spec->fec_percent);

    json_builder_add_string_value (b, pct);
  } else {
    json_builder_add_string_value (b,
        spec->fec_mode == HF_FEC_AUTO ? "auto" : "off");
  }
  json_builder_set_member_name (b, "rtx");
  json_builder_add_boolean_value (b, spec->rtx);
  if (stream->config->merge) {
    guint p, n = hf_input_get_n_paths (input);

    /* The merged input's paths: what each network delivered, and how much
     * of it was the first copy. */
    json_builder_set_member_name (b, "paths");
    json_builder_begin_array (b);
    for (p = 0; p < n; p++) {
      HfInputPathStats ps;

      if (!hf_input_get_path_stats (input, p, now_us, &ps))
        continue;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, p < stream->config->n_inputs ?
          stream->config->input_names[p] : "path");
      json_builder_set_member_name (b, "url");
      json_builder_add_string_value (b, p < stream->config->n_inputs ?
          stream->config->inputs[p].url : "");
      hf_json_add_int (b, "packets", ps.received);
      hf_json_add_int (b, "first_copies", ps.forwarded);
      hf_json_add_int (b, "duplicates", ps.duplicates);
      json_builder_set_member_name (b, "last_packet_age_ms");
      if (ps.last_packet_age_ms >= 0)
        json_builder_add_int_value (b, ps.last_packet_age_ms);
      else
        json_builder_add_null_value (b);
      json_builder_end_object (b);
    }
    json_builder_end_array (b);
  }
  json_builder_end_object (b);
}

static const gchar *
hf_fallback_to_string (HfFallbackKind kind)
{
  switch (kind) {
    case HF_FALLBACK_BUILTIN:
      return "builtin";
    case HF_FALLBACK_NONE:
      return "none";
    case HF_FALLBACK_FILE:
      return "file";
  }
  return "unknown";
}

static void
hf_stream_add_slate_json (HfStream * stream, JsonBuilder * b)
{
  json_builder_set_member_name (b, "slate");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "fallback");
  json_builder_add_string_value (b,
      hf_fallback_to_string (stream->config->fallback));
  g_mutex_lock (&stream->slate_lock);
  json_builder_set_member_name (b, "ready");
  json_builder_add_boolean_value (b, stream->slate != NULL);
  if (stream->slate) {
    const HfSlateFormat *f = &stream->slate->format;

    hf_json_add_int (b, "width", f->width);
    hf_json_add_int (b, "height", f->height);
    hf_json_add_double (b, "fps", f->fps_d ? (gdouble) f->fps_n / f->fps_d : 0);
    json_builder_set_member_name (b, "audio");
    if (f->audio_codec)
      json_builder_add_string_value (b, f->audio_codec);
    else
      json_builder_add_null_value (b);
    hf_json_add_int (b, "frames", stream->slate->video->len);
    hf_json_add_int (b, "encode_ms", stream->slate_encode_ms);
  }
  hf_json_add_int (b, "encodes", stream->slate_encodes);
  json_builder_set_member_name (b, "error");
  if (stream->slate_error)
    json_builder_add_string_value (b, stream->slate_error);
  else
    json_builder_add_null_value (b);
  g_mutex_unlock (&stream->slate_lock);
  json_builder_end_object (b);
}

JsonNode *
hf_stream_to_json (HfStream * stream, gint64 now_us)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  HfSwitchStats sw;
  gint on_air;
  guint64 ts_bytes, gop_bytes, keyframes;
  guint i;

  hf_switch_get_stats (stream->sw, &sw);
  on_air = sw.slate_on_air ? -1 : sw.on_air;
  g_mutex_lock (&stream->fanout_lock);
  ts_bytes = stream->ts_bytes;
  gop_bytes = stream->gop.have_keyframe ? stream->gop.gop->len : 0;
  keyframes = stream->gop.keyframes;
  g_mutex_unlock (&stream->fanout_lock);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, stream->config->name);
  json_builder_set_member_name (b, "on_air");
  if (sw.slate_on_air)
    json_builder_add_string_value (b, "slate");
  else if (on_air >= 0)
    json_builder_add_string_value (b, hf_stream_source_name (stream, on_air));
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "failover");
  json_builder_add_string_value (b, stream->config->failover ==
      HF_FAILOVER_MANUAL ? "manual" : "auto");
  json_builder_set_member_name (b, "merge");
  json_builder_add_boolean_value (b, stream->config->merge);
  hf_json_add_int (b, "uptime_s", (now_us - stream->started_us) /
      G_USEC_PER_SEC);
  hf_json_add_int (b, "failovers_total", sw.failovers);
  hf_json_add_double (b, "slate_seconds_total",
      (gdouble) sw.slate_us_total / G_USEC_PER_SEC);
  hf_json_add_int (b, "switches_total", sw.switches);
  hf_json_add_int (b, "reverts_total", sw.reverts);
  hf_json_add_int (b, "manual_switches_total", sw.manual_switches);
  hf_json_add_int (b, "gop_cache_takes_total", sw.gop_takes);
  hf_json_add_int (b, "slate_frames_out", sw.slate_frames_out);
  hf_json_add_int (b, "output_lead_ms", sw.output_lead_us / 1000);
  hf_json_add_int (b, "video_frames_out", sw.video_out);
  hf_json_add_int (b, "audio_frames_out", sw.audio_out);
  hf_json_add_int (b, "program_bytes", ts_bytes);
  hf_json_add_int (b, "gop_cache_bytes", gop_bytes);
  hf_json_add_int (b, "keyframes_out", keyframes);
  hf_json_add_int (b, "program_restarts",
      g_atomic_int_get (&stream->program_restarts));
  json_builder_set_member_name (b, "program_error");
  if (stream->program_error)
    json_builder_add_string_value (b, stream->program_error);
  else
    json_builder_add_null_value (b);

  hf_stream_add_slate_json (stream, b);

  json_builder_set_member_name (b, "inputs");
  json_builder_begin_array (b);
  for (i = 0; i < stream->inputs->len; i++)
    hf_stream_add_input_json (stream, g_ptr_array_index (stream->inputs, i),
        on_air, now_us, b);
  json_builder_end_array (b);

  json_builder_set_member_name (b, "outputs");
  json_builder_begin_array (b);
  for (i = 0; i < stream->outputs->len; i++)
    hf_output_add_json (g_ptr_array_index (stream->outputs, i), b);
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

JsonNode *
hf_stream_request_switch (HfStream * stream, const gchar * input,
    guint * http_status)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree gchar *message = NULL;
  HfSwitchRequestResult r;
  HfSwitchStats st;
  gint idx = -1;
  guint i;

  for (i = 0; i < stream->inputs->len; i++)
    if (g_strcmp0 (input, hf_stream_source_name (stream, i)) == 0)
      idx = i;
  if (idx < 0 && input && g_ascii_isdigit (input[0])) {
    guint64 v;

    if (g_ascii_string_to_unsigned (input, 10, 0, G_MAXINT, &v, NULL) &&
        v < stream->inputs->len)
      idx = (gint) v;
  }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "stream");
  json_builder_add_string_value (b, stream->config->name);
  json_builder_set_member_name (b, "requested");
  json_builder_add_string_value (b, input ? input : "");
  if (idx < 0 && g_strcmp0 (input, "auto") != 0) {
    json_builder_set_member_name (b, "result");
    json_builder_add_string_value (b, "refused");
    json_builder_set_member_name (b, "message");
    json_builder_add_string_value (b, "no such input (give its name, its "
        "index, or \"auto\")");
    json_builder_end_object (b);
    *http_status = 404;
    return json_builder_get_root (b);
  }
  r = hf_switch_request (stream->sw, idx, g_get_monotonic_time (),
      hf_stream_out_now (stream), &message);
  hf_switch_get_stats (stream->sw, &st);
  json_builder_set_member_name (b, "result");
  json_builder_add_string_value (b, hf_switch_request_result_to_string (r));
  json_builder_set_member_name (b, "on_air");
  if (st.slate_on_air)
    json_builder_add_string_value (b, "slate");
  else if (st.on_air >= 0)
    json_builder_add_string_value (b, hf_stream_source_name (stream,
            st.on_air));
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  *http_status = r == HF_SWITCH_REQUEST_REFUSED ? 409 :
      r == HF_SWITCH_REQUEST_PENDING ? 202 : 200;
  return json_builder_get_root (b);
}

/* ---- Snapshots, history ------------------------------------------------- */

void
hf_stream_snapshot (HfStream * stream, gint64 now_us, HfStreamSnapshot * snap)
{
  guint i;

  memset (snap, 0, sizeof (*snap));
  snap->name = stream->config->name;
  hf_switch_get_stats (stream->sw, &snap->sw);
  snap->on_air = snap->sw.slate_on_air ? HF_SNAPSHOT_SLATE : snap->sw.on_air;
  g_mutex_lock (&stream->fanout_lock);
  snap->program_bytes = stream->ts_bytes;
  g_mutex_unlock (&stream->fanout_lock);
  snap->program_restarts = g_atomic_int_get (&stream->program_restarts);

  snap->inputs = g_array_sized_new (FALSE, TRUE, sizeof (HfInputSnapshot),
      stream->inputs->len);
  for (i = 0; i < stream->inputs->len; i++) {
    HfInput *in = g_ptr_array_index (stream->inputs, i);
    HfInputSnapshot is = { 0 };

    is.name = hf_input_get_name (in);
    is.health = hf_switch_get_health (stream->sw, i, now_us);
    is.on_air = snap->on_air == (gint) i;
    hf_input_get_stats (in, now_us, &is.stats);
    g_array_append_val (snap->inputs, is);
  }
  snap->outputs = g_array_new (FALSE, TRUE, sizeof (HfOutputFigures));
  for (i = 0; i < stream->outputs->len; i++) {
    HfOutputFigures of;

    hf_output_get_figures (g_ptr_array_index (stream->outputs, i), &of);
    snap->viewers += of.viewers;
    g_array_append_val (snap->outputs, of);
  }
  g_mutex_lock (&stream->counts_lock);
  snap->failovers = g_array_copy (stream->failovers);
  for (i = 0; i < MIN (stream->n_failover_times, HF_STREAM_RECENT_MAX); i++)
    if (now_us - stream->failover_times[i] < HF_STREAM_RECENT_US)
      snap->recent_failovers++;
  g_mutex_unlock (&stream->counts_lock);
}

void
hf_stream_snapshot_clear (HfStreamSnapshot * snap)
{
  g_clear_pointer (&snap->inputs, g_array_unref);
  g_clear_pointer (&snap->outputs, g_array_unref);
  g_clear_pointer (&snap->failovers, g_array_unref);
}

void
hf_stream_snapshot_alert_samples (const HfStreamSnapshot * snap,
    GArray * samples)
{
  HfAlertSample s;
  guint i;

  hf_alert_sample_init (&s, snap->name, NULL);
  s.values[HF_FIGURE_STREAM_SLATE] = snap->on_air == HF_SNAPSHOT_SLATE;
  s.values[HF_FIGURE_STREAM_ON_AIR_DEGRADED] = 0;
  if (snap->on_air >= 0 && (guint) snap->on_air < snap->inputs->len)
    s.values[HF_FIGURE_STREAM_ON_AIR_DEGRADED] =
        g_array_index (snap->inputs, HfInputSnapshot,
        snap->on_air).health == HF_HEALTH_DEGRADED;
  s.values[HF_FIGURE_STREAM_RECENT_FAILOVERS] = snap->recent_failovers;
  s.values[HF_FIGURE_STREAM_VIEWERS] = snap->viewers;
  g_array_append_val (samples, s);

  for (i = 0; i < snap->inputs->len; i++) {
    const HfInputSnapshot *is = &g_array_index (snap->inputs,
        HfInputSnapshot, i);
    const HfInputStats *st = &is->stats;

    hf_alert_sample_init (&s, snap->name, is->name);
    s.values[HF_FIGURE_INPUT_LOST] = is->health == HF_HEALTH_LOST;
    s.values[HF_FIGURE_INPUT_DEGRADED] = is->health == HF_HEALTH_DEGRADED;
    s.values[HF_FIGURE_INPUT_ON_AIR] = is->on_air;
    /* Figures of an input that has never delivered mean nothing. */
    if (st->last_packet_age_ms >= 0) {
      s.values[HF_FIGURE_INPUT_LOSS_RATIO] = st->loss_ratio;
      s.values[HF_FIGURE_INPUT_JITTER_SECONDS] = st->jitter_ms / 1000.0;
      s.values[HF_FIGURE_INPUT_BITRATE_BPS] = st->bitrate_bps;
      s.values[HF_FIGURE_INPUT_LAST_PACKET_AGE_SECONDS] =
          st->last_packet_age_ms / 1000.0;
      if (st->rtt_ms >= 0)
        s.values[HF_FIGURE_INPUT_RTT_SECONDS] = st->rtt_ms / 1000.0;
    }
    g_array_append_val (samples, s);
  }
}

static const gchar *
hf_stream_on_air_name (HfStream * stream, gint on_air)
{
  if (on_air == HF_SNAPSHOT_SLATE)
    return "slate";
  return hf_stream_source_name (stream, on_air);
}

JsonNode *
hf_stream_history_to_json (HfStream * stream)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  guint n = stream->inputs->len, k, i;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, stream->config->name);
  json_builder_set_member_name (b, "samples");
  json_builder_begin_array (b);
  for (k = 0; k < stream->history_len; k++) {
    guint slot = (stream->history_next + HF_STREAM_HISTORY -
        stream->history_len + k) % HF_STREAM_HISTORY;
    const HfHistoryHead *head = &stream->history[slot];
    g_autofree gchar *time = hf_events_format_time (head->wall_us);
    const gchar *on_air = hf_stream_on_air_name (stream, head->on_air);

    json_builder_begin_object (b);
    hf_json_add_int (b, "mono_ms", head->mono_us / 1000);
    json_builder_set_member_name (b, "time");
    json_builder_add_string_value (b, time);
    json_builder_set_member_name (b, "on_air");
    if (on_air)
      json_builder_add_string_value (b, on_air);
    else
      json_builder_add_null_value (b);
    json_builder_set_member_name (b, "inputs");
    json_builder_begin_array (b);
    for (i = 0; i < n; i++) {
      const HfHistoryInput *hi = &stream->history_inputs[slot * n + i];

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, hf_stream_source_name (stream, i));
      json_builder_set_member_name (b, "health");
      json_builder_add_string_value (b, hf_health_state_to_string (hi->health));
      hf_json_add_double (b, "loss_ratio", hi->loss_ratio);
      hf_json_add_double (b, "jitter_ms", hi->jitter_ms);
      hf_json_add_int (b, "bitrate_bps", hi->bitrate_bps);
      json_builder_set_member_name (b, "rtt_ms");
      if (hi->rtt_ms >= 0)
        json_builder_add_double_value (b, hi->rtt_ms);
      else
        json_builder_add_null_value (b);
      json_builder_end_object (b);
    }
    json_builder_end_array (b);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
