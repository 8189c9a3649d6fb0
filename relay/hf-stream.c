/* A stream: its inputs, the switch, the program mux and the outputs.
 *
 *   input pipelines --(access units)--> HfSwitch --(restamped)-->
 *   program: appsrc(video) + appsrc(audio) ! mpegtsmux ! appsink
 *   --(TS)--> GOP cache + outputs
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

GST_DEBUG_CATEGORY_STATIC (hf_stream_debug);
#define GST_CAT_DEFAULT hf_stream_debug

/* Longest GOP we replay to a joiner: 8 MB is 16 s at 4 Mbit/s. */
#define HF_STREAM_MAX_GOP_BYTES (8 * 1024 * 1024)
/* How long the mux waits for a stream that has nothing (e.g. no audio). */
#define HF_STREAM_MUX_LATENCY (100 * GST_MSECOND)

struct _HfStream
{
  const HfStreamConfig *config;
  GPtrArray *inputs;            /* (element-type HfInput) */
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
  GSource *rebuild_source;      /* control thread */
  guint64 program_restarts;
  gchar *program_error;
  GMainContext *context;

  GMutex fanout_lock;           /* guards gop and ts_* */
  HfTsGop gop;
  guint64 ts_bytes;

  gint64 started_us;
};

/* Input streaming thread: one access unit from input @input. */
static void
hf_stream_on_sample (HfInput * input, HfMediaKind kind, GstSample * sample,
    gpointer user_data)
{
  HfStream *stream = user_data;
  GstClockTime now = gst_clock_get_time (stream->clock);
  GstClockTime out_now = now > stream->base_time ? now - stream->base_time : 0;

  hf_switch_push (stream->sw, hf_input_get_index (input),
      hf_input_get_epoch (input), kind, sample, g_get_monotonic_time (),
      out_now);
}

static gboolean hf_stream_build_program_locked (HfStream * stream,
    gboolean with_audio, GError ** error);
static void hf_stream_drop_program_locked (HfStream * stream);
static void hf_stream_request_rebuild (HfStream * stream, const gchar * why);

/* Input streaming thread, switch lock held: queue into the program, which
 * is built at the first keyframe after start or after a teardown (the
 * switch only ever starts an input at a keyframe). */
static void
hf_stream_on_switch_output (HfMediaKind kind, guint input, GstBuffer * buffer,
    GstCaps * caps, gpointer user_data)
{
  HfStream *stream = user_data;
  GstElement *src = NULL;
  GstSample *sample;
  gboolean rebuild = FALSE;

  g_mutex_lock (&stream->program_lock);
  if (stream->program && kind == HF_MEDIA_VIDEO &&
      GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DISCONT)) {
    /* A take.  MPEG-TS cannot change a stream's type: if the new input's
     * audio codec differs from the program's, start a new program right at
     * this keyframe rather than let the mux fail on the first audio frame
     * (which would cost a whole GOP). */
    HfInput *in = g_ptr_array_index (stream->inputs, input);
    const gchar *codec = hf_input_get_audio_codec (in);

    if (codec && stream->audio_codec && codec != stream->audio_codec) {
      GST_INFO ("stream %s: audio changes from %s to %s: new program",
          stream->config->name, stream->audio_codec, codec);
      hf_stream_drop_program_locked (stream);
      stream->program_restarts++;
    }
  }
  if (!stream->program && kind == HF_MEDIA_VIDEO &&
      !g_atomic_int_get (&stream->rebuild_requested)) {
    g_autoptr (GError) error = NULL;
    HfInput *in = g_ptr_array_index (stream->inputs, input);

    if (!hf_stream_build_program_locked (stream, hf_input_has_audio (in),
            &error))
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
    hf_stream_request_rebuild (stream, "the on-air input now has audio");
  if (!src)
    return;
  sample = gst_sample_new (buffer, caps, NULL, NULL);
  gst_app_src_push_sample (GST_APP_SRC (src), sample);
  gst_sample_unref (sample);
  gst_object_unref (src);
}

static void
hf_stream_on_switch_notify (gint from, gint to, const gchar * reason,
    gpointer user_data)
{
  HfStream *stream = user_data;
  const gchar *f = from >= 0 ? stream->config->input_names[from] : "none";
  const gchar *t = to >= 0 ? stream->config->input_names[to] : "none";

  GST_INFO ("stream %s: on air %s -> %s (%s)", stream->config->name, f, t,
      reason);
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

  g_mutex_lock (&stream->fanout_lock);
  for (i = 0; i < stream->outputs->len; i++)
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
  for (i = 0; i < stream->outputs->len; i++)
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

HfStream *
hf_stream_new (const HfStreamConfig * config)
{
  HfStream *stream = g_new0 (HfStream, 1);
  guint i;

  if (!hf_stream_debug)
    GST_DEBUG_CATEGORY_INIT (hf_stream_debug, "hf-relay", 0,
        "Holdfast streams");
  stream->config = config;
  stream->inputs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      hf_input_free);
  stream->outputs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      hf_output_free);
  g_mutex_init (&stream->fanout_lock);
  g_mutex_init (&stream->program_lock);
  hf_ts_gop_init (&stream->gop, HF_STREAM_MAX_GOP_BYTES);
  stream->sw = hf_switch_new (config->n_inputs,
      (gint64) config->input_timeout_ms * 1000, hf_stream_on_switch_output,
      hf_stream_on_switch_notify, stream);
  for (i = 0; i < config->n_inputs; i++)
    g_ptr_array_add (stream->inputs, hf_input_new (&config->inputs[i],
            config->input_names[i], i, hf_stream_on_sample, stream));
  return stream;
}

const gchar *
hf_stream_get_name (HfStream * stream)
{
  return stream->config->name;
}

static gboolean hf_stream_program_bus_cb (GstBus * bus, GstMessage * msg,
    gpointer user_data);

/* Streaming thread of the input being taken, program_lock held.  Builds and
 * starts the program pipeline. */
static gboolean
hf_stream_build_program_locked (HfStream * stream, gboolean with_audio,
    GError ** error)
{
  GstElement *mux, *sink, *program, *vsrc, *asrc = NULL;
  GstAppSinkCallbacks cb = { 0 };
  GstBus *bus;
  GSource *watch;
  g_autofree gchar *name = g_strdup_printf ("program-%s",
      stream->config->name);

  program = gst_pipeline_new (name);
  vsrc = gst_element_factory_make ("appsrc", "video");
  if (with_audio)
    asrc = gst_element_factory_make ("appsrc", "audio");
  mux = gst_element_factory_make ("mpegtsmux", "mux");
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
  if (!gst_element_link (vsrc, mux) ||
      (asrc && !gst_element_link (asrc, mux)) ||
      !gst_element_link (mux, sink)) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "cannot link the program mux");
    gst_object_unref (program);
    return FALSE;
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
    return FALSE;
  }
  stream->program = program;
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
  g_mutex_lock (&stream->fanout_lock);
  hf_ts_gop_clear (&stream->gop);
  hf_ts_gop_init (&stream->gop, HF_STREAM_MAX_GOP_BYTES);
  g_mutex_unlock (&stream->fanout_lock);
}

/* Control thread.  Stops and drops the program pipeline; streaming threads
 * stop feeding it at once. */
static void
hf_stream_teardown_program (HfStream * stream)
{
  if (stream->rebuild_source) {
    g_source_destroy (stream->rebuild_source);
    g_source_unref (stream->rebuild_source);
    stream->rebuild_source = NULL;
  }
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

  g_source_unref (stream->rebuild_source);
  stream->rebuild_source = NULL;
  hf_stream_teardown_program (stream);
  hf_switch_restart (stream->sw);
  g_atomic_int_set (&stream->rebuild_requested, 0);
  GST_INFO ("stream %s: program torn down; rebuilt at the next keyframe",
      stream->config->name);
  return G_SOURCE_REMOVE;
}

/* Control thread. */
static void
hf_stream_schedule_rebuild (HfStream * stream)
{
  if (stream->rebuild_source)
    return;
  stream->rebuild_source = g_idle_source_new ();
  g_source_set_callback (stream->rebuild_source, hf_stream_rebuild_cb, stream,
      NULL);
  g_source_attach (stream->rebuild_source, stream->context);
}

static gboolean
hf_stream_schedule_rebuild_cb (gpointer user_data)
{
  hf_stream_schedule_rebuild (user_data);
  return G_SOURCE_REMOVE;
}

/* Any thread: ask the control thread to rebuild the program (once). */
static void
hf_stream_request_rebuild (HfStream * stream, const gchar * why)
{
  if (!g_atomic_int_compare_and_exchange (&stream->rebuild_requested, 0, 1))
    return;
  GST_INFO ("stream %s: program rebuild requested: %s", stream->config->name,
      why);
  stream->program_restarts++;
  g_main_context_invoke (stream->context, hf_stream_schedule_rebuild_cb,
      stream);
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
  stream->context = g_main_context_ref_thread_default ();
  stream->clock = gst_system_clock_obtain ();
  stream->base_time = gst_clock_get_time (stream->clock);
  for (i = 0; i < stream->config->n_outputs; i++) {
    g_autofree gchar *name = g_strdup_printf ("out%u", i);
    HfOutput *out = hf_output_new (&stream->config->outputs[i], name, error);

    if (!out)
      goto fail_output;
    g_mutex_lock (&stream->fanout_lock);
    g_ptr_array_add (stream->outputs, out);
    g_mutex_unlock (&stream->fanout_lock);
  }
  for (i = 0; i < stream->inputs->len; i++) {
    if (!hf_input_start (g_ptr_array_index (stream->inputs, i), error)) {
      g_prefix_error (error, "input %s (%s): ",
          stream->config->input_names[i], stream->config->inputs[i].url);
      goto fail;
    }
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

  for (i = 0; i < stream->inputs->len; i++)
    hf_input_stop (g_ptr_array_index (stream->inputs, i));
  hf_stream_teardown_program (stream);
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
  if (!stream)
    return;
  hf_stream_stop (stream);
  g_ptr_array_unref (stream->inputs);
  g_ptr_array_unref (stream->outputs);
  hf_switch_free (stream->sw);
  hf_ts_gop_clear (&stream->gop);
  g_mutex_clear (&stream->fanout_lock);
  g_mutex_clear (&stream->program_lock);
  g_free (stream->program_error);
  g_free (stream);
}

void
hf_stream_tick (HfStream * stream, gint64 now_us)
{
  guint i;

  for (i = 0; i < stream->inputs->len; i++)
    hf_input_tick (g_ptr_array_index (stream->inputs, i), now_us);
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
  json_builder_end_object (b);
}

JsonNode *
hf_stream_to_json (HfStream * stream, gint64 now_us)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  HfSwitchStats sw;
  gint on_air = hf_switch_get_on_air (stream->sw, now_us);
  guint64 ts_bytes, gop_bytes, keyframes;
  guint i;

  hf_switch_get_stats (stream->sw, &sw);
  g_mutex_lock (&stream->fanout_lock);
  ts_bytes = stream->ts_bytes;
  gop_bytes = stream->gop.have_keyframe ? stream->gop.gop->len : 0;
  keyframes = stream->gop.keyframes;
  g_mutex_unlock (&stream->fanout_lock);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, stream->config->name);
  json_builder_set_member_name (b, "on_air");
  if (on_air >= 0)
    json_builder_add_string_value (b, stream->config->input_names[on_air]);
  else
    json_builder_add_null_value (b);
  hf_json_add_int (b, "uptime_s", (now_us - stream->started_us) /
      G_USEC_PER_SEC);
  hf_json_add_int (b, "switches_total", sw.switches);
  hf_json_add_int (b, "video_frames_out", sw.video_out);
  hf_json_add_int (b, "audio_frames_out", sw.audio_out);
  hf_json_add_int (b, "program_bytes", ts_bytes);
  hf_json_add_int (b, "gop_cache_bytes", gop_bytes);
  hf_json_add_int (b, "keyframes_out", keyframes);
  hf_json_add_int (b, "program_restarts", stream->program_restarts);
  json_builder_set_member_name (b, "program_error");
  if (stream->program_error)
    json_builder_add_string_value (b, stream->program_error);
  else
    json_builder_add_null_value (b);

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
