/* hfswitch: the failover switch (hf-switch.c) as a GStreamer element.
 *
 *   video_%u, audio_%u (request sinks): input N's H.264 access units and
 *       its audio frames (priority order: input 0 is the primary)
 *   video_src, audio_src (always): the program, restamped onto one
 *       timeline, with the slate when no input is alive
 *
 * The element's clock is the switch's "now" (a GstTestClock under
 * GstHarness, so tests drive time to the millisecond without sleeping):
 * a task on video_src wakes every `tick-ms` on that clock to run
 * hf_switch_tick (), which declares inputs LOST on time and plays the
 * slate.  Sink pads' streaming threads call hf_switch_push ().
 *
 * The switch hands units out with its lock held; the element queues them
 * there and pushes them after the lock is released, in order, under
 * push_lock (never a lock of the switch while pushing downstream).
 *
 * Properties: timeout-ms, revert-after-ms, manual, tick-ms, slate (an
 * HfSlate pointer, referenced), stats (GstStructure, read-only).
 */
#include "failover/failover-private.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_hf_switch_debug);
#define GST_CAT_DEFAULT gst_hf_switch_debug

#define GST_TYPE_HF_SWITCH (gst_hf_switch_get_type ())
G_DECLARE_FINAL_TYPE (GstHfSwitch, gst_hf_switch, GST, HF_SWITCH, GstElement)

#define HF_SWITCH_MAX_INPUTS 8

typedef struct
{
  guint index;
  HfMediaKind kind;
  guint epoch;
  GstSegment segment;
  GstCaps *caps;
} GstHfSwitchPadData;

typedef struct
{
  HfMediaKind kind;
  GstBuffer *buffer;
  GstCaps *caps;
} GstHfSwitchOut;

struct _GstHfSwitch
{
  GstElement parent;

  GstPad *vsrc, *asrc;
  GstPad *sinks[2][HF_SWITCH_MAX_INPUTS];       /* [kind][input] */

  /* properties (object lock); applied when the switch is made at
   * READY -> PAUSED */
  guint timeout_ms, revert_after_ms, tick_ms;
  gboolean manual;
  HfSlate *slate;
  gboolean slate_changed;       /* object lock */

  HfSwitch *sw;
  GMutex out_lock;              /* guards out */
  GQueue out;                   /* (element-type GstHfSwitchOut) */
  GMutex push_lock;             /* serialises pushes, in queue order */
  gboolean started[2];
  GstCaps *src_caps[2];

  GstClockID tick_id;           /* object lock */
  gboolean ticking;             /* object lock */
  GstClockTime next_tick;
};

G_DEFINE_TYPE (GstHfSwitch, gst_hf_switch, GST_TYPE_ELEMENT);

enum
{
  PROP_0,
  PROP_TIMEOUT_MS,
  PROP_REVERT_AFTER_MS,
  PROP_MANUAL,
  PROP_TICK_MS,
  PROP_SLATE,
  PROP_STATS
};

static GstStaticPadTemplate video_sink_template =
GST_STATIC_PAD_TEMPLATE ("video_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("video/x-h264"));
static GstStaticPadTemplate audio_sink_template =
GST_STATIC_PAD_TEMPLATE ("audio_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("audio/mpeg; audio/x-opus"));
static GstStaticPadTemplate video_src_template =
GST_STATIC_PAD_TEMPLATE ("video_src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-h264"));
static GstStaticPadTemplate audio_src_template =
GST_STATIC_PAD_TEMPLATE ("audio_src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("audio/mpeg; audio/x-opus"));

/* "now" on the element's clock: (monotonic µs, running time). */
static gboolean
gst_hf_switch_now (GstHfSwitch * self, gint64 * now_us, GstClockTime * out_now)
{
  GstClock *clock = gst_element_get_clock (GST_ELEMENT (self));
  GstClockTime now, base;

  if (!clock)
    return FALSE;
  now = gst_clock_get_time (clock);
  gst_object_unref (clock);
  base = gst_element_get_base_time (GST_ELEMENT (self));
  *now_us = (gint64) (now / GST_USECOND);
  *out_now = now > base ? now - base : 0;
  return TRUE;
}

/* Switch lock held (any streaming thread or the tick task): queue only. */
static void
gst_hf_switch_on_output (HfMediaKind kind, gint input, GstBuffer * buffer,
    GstCaps * caps, gpointer user_data)
{
  GstHfSwitch *self = user_data;
  GstHfSwitchOut *o = g_new0 (GstHfSwitchOut, 1);

  o->kind = kind;
  o->buffer = gst_buffer_ref (buffer);
  o->caps = caps ? gst_caps_ref (caps) : NULL;
  g_mutex_lock (&self->out_lock);
  g_queue_push_tail (&self->out, o);
  g_mutex_unlock (&self->out_lock);
}

/* After the switch's lock is released. */
static void
gst_hf_switch_on_event (const HfSwitchEvent * ev, gpointer user_data)
{
  GstHfSwitch *self = user_data;

  /* Logged only: posting a message would take the element's object lock
   * while the switch holds its event lock (a lock-order cycle with the
   * property setters).  Applications read the "stats" property. */
  GST_INFO_OBJECT (self, "%s: input %d, %d -> %d (%s)",
      hf_event_kind_to_string (ev->kind), ev->input, ev->from, ev->to,
      ev->reason);
}

/* Pushes what the switch handed out, in order.  Any streaming thread. */
static GstFlowReturn
gst_hf_switch_drain (GstHfSwitch * self)
{
  GstFlowReturn ret = GST_FLOW_OK;
  GstHfSwitchOut *o;

  g_mutex_lock (&self->push_lock);
  for (;;) {
    GstPad *pad;
    GstFlowReturn r;

    g_mutex_lock (&self->out_lock);
    o = g_queue_pop_head (&self->out);
    g_mutex_unlock (&self->out_lock);
    if (!o)
      break;
    pad = o->kind == HF_MEDIA_VIDEO ? self->vsrc : self->asrc;
    if (!self->started[o->kind]) {
      g_autofree gchar *id = g_strdup_printf ("hfswitch-%s",
          o->kind == HF_MEDIA_VIDEO ? "video" : "audio");
      GstSegment seg;

      gst_pad_push_event (pad, gst_event_new_stream_start (id));
      if (o->caps) {
        gst_pad_push_event (pad, gst_event_new_caps (o->caps));
        gst_caps_replace (&self->src_caps[o->kind], o->caps);
      }
      gst_segment_init (&seg, GST_FORMAT_TIME);
      gst_pad_push_event (pad, gst_event_new_segment (&seg));
      self->started[o->kind] = TRUE;
    } else if (o->caps && (!self->src_caps[o->kind] ||
            !gst_caps_is_equal (o->caps, self->src_caps[o->kind]))) {
      gst_pad_push_event (pad, gst_event_new_caps (o->caps));
      gst_caps_replace (&self->src_caps[o->kind], o->caps);
    }
    r = gst_pad_push (pad, o->buffer);
    if (r != GST_FLOW_OK && r != GST_FLOW_NOT_LINKED && o->kind ==
        HF_MEDIA_VIDEO)
      ret = r;
    if (o->caps)
      gst_caps_unref (o->caps);
    g_free (o);
  }
  g_mutex_unlock (&self->push_lock);
  return ret;
}

static GstFlowReturn
gst_hf_switch_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  GstHfSwitch *self = GST_HF_SWITCH (parent);
  GstHfSwitchPadData *pd = gst_pad_get_element_private (pad);
  GstSample *sample;
  gint64 now_us;
  GstClockTime out_now;

  if (!self->sw || !gst_hf_switch_now (self, &now_us, &out_now)) {
    gst_buffer_unref (buffer);
    return GST_FLOW_OK;
  }
  sample = gst_sample_new (buffer, pd->caps, &pd->segment, NULL);
  hf_switch_push (self->sw, pd->index, pd->epoch, pd->kind, sample, now_us,
      out_now);
  gst_sample_unref (sample);
  gst_buffer_unref (buffer);
  return gst_hf_switch_drain (self);
}

static gboolean
gst_hf_switch_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstHfSwitchPadData *pd = gst_pad_get_element_private (pad);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      gst_caps_replace (&pd->caps, caps);
      break;
    }
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &pd->segment);
      break;
    case GST_EVENT_STREAM_START:
    case GST_EVENT_FLUSH_STOP:
      /* A new session of this input: a new timeline. */
      pd->epoch++;
      break;
    default:
      break;
  }
  /* The program's own events are made by the element; an input's EOS is
   * just an input going quiet. */
  gst_event_unref (event);
  return TRUE;
}

static gboolean
gst_hf_switch_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_CAPS:{
      GstCaps *filter, *caps = gst_pad_get_pad_template_caps (pad);

      gst_query_parse_caps (query, &filter);
      if (filter) {
        GstCaps *tmp = gst_caps_intersect (filter, caps);

        gst_caps_unref (caps);
        caps = tmp;
      }
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      return TRUE;
    }
    case GST_QUERY_ACCEPT_CAPS:{
      GstCaps *caps, *tmpl = gst_pad_get_pad_template_caps (pad);

      gst_query_parse_accept_caps (query, &caps);
      gst_query_set_accept_caps_result (query,
          gst_caps_can_intersect (caps, tmpl));
      gst_caps_unref (tmpl);
      return TRUE;
    }
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}

static void
gst_hf_switch_pad_data_free (gpointer data)
{
  GstHfSwitchPadData *pd = data;

  gst_caps_replace (&pd->caps, NULL);
  g_free (pd);
}

static GstPad *
gst_hf_switch_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  GstHfSwitch *self = GST_HF_SWITCH (element);
  HfMediaKind kind = g_str_has_prefix (templ->name_template, "video") ?
      HF_MEDIA_VIDEO : HF_MEDIA_AUDIO;
  GstHfSwitchPadData *pd;
  GstPad *pad;
  guint index = 0;

  if (name) {
    const gchar *digits = strchr (name, '_');
    guint64 v;

    if (!digits || !g_ascii_string_to_unsigned (digits + 1, 10, 0,
            HF_SWITCH_MAX_INPUTS - 1, &v, NULL))
      return NULL;
    index = (guint) v;
  } else {
    while (index < HF_SWITCH_MAX_INPUTS && self->sinks[kind][index])
      index++;
  }
  if (index >= HF_SWITCH_MAX_INPUTS || self->sinks[kind][index]) {
    GST_WARNING_OBJECT (self, "no free %s input pad", kind == HF_MEDIA_VIDEO
        ? "video" : "audio");
    return NULL;
  }
  {
    g_autofree gchar *pad_name = g_strdup_printf ("%s_%u",
        kind == HF_MEDIA_VIDEO ? "video" : "audio", index);

    pad = gst_pad_new_from_template (templ, pad_name);
  }
  pd = g_new0 (GstHfSwitchPadData, 1);
  pd->index = index;
  pd->kind = kind;
  gst_segment_init (&pd->segment, GST_FORMAT_TIME);
  gst_pad_set_element_private (pad, pd);
  g_object_set_data_full (G_OBJECT (pad), "hf-pad-data", pd,
      gst_hf_switch_pad_data_free);
  gst_pad_set_chain_function (pad, gst_hf_switch_chain);
  gst_pad_set_event_function (pad, gst_hf_switch_sink_event);
  gst_pad_set_query_function (pad, gst_hf_switch_sink_query);
  self->sinks[kind][index] = pad;
  gst_pad_set_active (pad, TRUE);
  gst_element_add_pad (element, pad);
  return pad;
}

static void
gst_hf_switch_release_pad (GstElement * element, GstPad * pad)
{
  GstHfSwitch *self = GST_HF_SWITCH (element);
  GstHfSwitchPadData *pd = gst_pad_get_element_private (pad);

  if (pd)
    self->sinks[pd->kind][pd->index] = NULL;
  gst_pad_set_active (pad, FALSE);
  gst_element_remove_pad (element, pad);
}

/* The tick task on video_src: sleeps on the element's clock. */
static void
gst_hf_switch_loop (gpointer user_data)
{
  GstHfSwitch *self = user_data;
  GstClock *clock = gst_element_get_clock (GST_ELEMENT (self));
  GstClockID id;
  GstClockReturn cr;
  gint64 now_us;
  GstClockTime out_now, period;

  if (!clock) {
    gst_pad_pause_task (self->vsrc);
    return;
  }
  GST_OBJECT_LOCK (self);
  period = (GstClockTime) self->tick_ms * GST_MSECOND;
  if (!self->ticking) {
    /* Paused: the task sleeps until PLAYING starts it again (not stopped
     * here: a push of ours may be blocked in a sink that prerolls). */
    GST_OBJECT_UNLOCK (self);
    gst_object_unref (clock);
    gst_pad_pause_task (self->vsrc);
    return;
  }
  if (!GST_CLOCK_TIME_IS_VALID (self->next_tick))
    self->next_tick = gst_clock_get_time (clock) + period;
  id = self->tick_id = gst_clock_new_single_shot_id (clock, self->next_tick);
  GST_OBJECT_UNLOCK (self);

  cr = gst_clock_id_wait (id, NULL);

  GST_OBJECT_LOCK (self);
  gst_clock_id_unref (id);
  self->tick_id = NULL;
  if (!self->ticking || cr == GST_CLOCK_UNSCHEDULED) {
    GST_OBJECT_UNLOCK (self);
    gst_object_unref (clock);
    gst_pad_pause_task (self->vsrc);
    return;
  }
  self->next_tick += period;
  GST_OBJECT_UNLOCK (self);
  gst_object_unref (clock);

  if (gst_hf_switch_now (self, &now_us, &out_now)) {
    hf_switch_tick (self->sw, now_us, out_now);
    gst_hf_switch_drain (self);
  }
}

/* Stops the tick without waiting for the task: in PLAYING -> PAUSED a push
 * of ours may be blocked in a sink that is prerolling; the task pauses
 * itself when it sees `ticking` cleared. */
static void
gst_hf_switch_stop_ticking (GstHfSwitch * self)
{
  GST_OBJECT_LOCK (self);
  self->ticking = FALSE;
  if (self->tick_id)
    gst_clock_id_unschedule (self->tick_id);
  GST_OBJECT_UNLOCK (self);
}

static GstStateChangeReturn
gst_hf_switch_change_state (GstElement * element, GstStateChange transition)
{
  GstHfSwitch *self = GST_HF_SWITCH (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:{
      HfSwitchConfig config;
      HfSwitch *sw;
      HfSlate *slate;

      /* Room for every input a pad can name: pads may be requested while
       * running (an input added later), and an input that never delivers
       * stays IDLE, which the decision ignores. */
      hf_switch_config_init (&config, HF_SWITCH_MAX_INPUTS);
      GST_OBJECT_LOCK (self);
      config.health.timeout_us = (gint64) self->timeout_ms * 1000;
      config.revert_after_us = (gint64) self->revert_after_ms * 1000;
      config.mode = self->manual ? HF_FAILOVER_MANUAL : HF_FAILOVER_AUTO;
      slate = self->slate ? hf_slate_ref (self->slate) : NULL;
      self->slate_changed = FALSE;
      GST_OBJECT_UNLOCK (self);
      sw = hf_switch_new (&config, gst_hf_switch_on_output,
          gst_hf_switch_on_event, self);
      if (slate) {
        hf_switch_set_slate (sw, slate);
        hf_slate_unref (slate);
      }
      GST_OBJECT_LOCK (self);
      self->sw = sw;
      GST_OBJECT_UNLOCK (self);
      self->started[0] = self->started[1] = FALSE;
      break;
    }
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      gst_hf_switch_stop_ticking (self);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (gst_hf_switch_parent_class)->change_state (element,
      transition);

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      GST_OBJECT_LOCK (self);
      self->ticking = TRUE;
      self->next_tick = GST_CLOCK_TIME_NONE;
      GST_OBJECT_UNLOCK (self);
      gst_pad_start_task (self->vsrc, gst_hf_switch_loop, self, NULL);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:{
      GstHfSwitchOut *o;
      HfSwitch *sw;

      /* The pads are inactive now (flushing): the task can be joined. */
      gst_hf_switch_stop_ticking (self);
      gst_pad_stop_task (self->vsrc);
      GST_OBJECT_LOCK (self);
      sw = self->sw;
      self->sw = NULL;
      GST_OBJECT_UNLOCK (self);
      hf_switch_free (sw);
      while ((o = g_queue_pop_head (&self->out))) {
        gst_buffer_unref (o->buffer);
        if (o->caps)
          gst_caps_unref (o->caps);
        g_free (o);
      }
      gst_caps_replace (&self->src_caps[0], NULL);
      gst_caps_replace (&self->src_caps[1], NULL);
      break;
    }
    default:
      break;
  }
  return ret;
}

static GstStructure *
gst_hf_switch_stats (GstHfSwitch * self)
{
  HfSwitchStats st = { 0 };

  /* Object lock, then the switch's: the only order the two are taken in
   * (it keeps sw from being freed under us by PAUSED -> READY). */
  GST_OBJECT_LOCK (self);
  if (self->sw)
    hf_switch_get_stats (self->sw, &st);
  GST_OBJECT_UNLOCK (self);
  return gst_structure_new ("hf-switch-stats",
      "on-air", G_TYPE_INT, st.on_air,
      "slate-on-air", G_TYPE_BOOLEAN, st.slate_on_air,
      "switches", G_TYPE_UINT64, st.switches,
      "failovers", G_TYPE_UINT64, st.failovers,
      "reverts", G_TYPE_UINT64, st.reverts,
      "gop-takes", G_TYPE_UINT64, st.gop_takes,
      "slate-frames", G_TYPE_UINT64, st.slate_frames_out,
      "video-out", G_TYPE_UINT64, st.video_out,
      "audio-out", G_TYPE_UINT64, st.audio_out, NULL);
}

static void
gst_hf_switch_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstHfSwitch *self = GST_HF_SWITCH (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_TIMEOUT_MS:
      self->timeout_ms = g_value_get_uint (value);
      break;
    case PROP_REVERT_AFTER_MS:
      self->revert_after_ms = g_value_get_uint (value);
      break;
    case PROP_MANUAL:
      self->manual = g_value_get_boolean (value);
      break;
    case PROP_TICK_MS:
      self->tick_ms = g_value_get_uint (value);
      break;
    case PROP_SLATE:{
      HfSlate *slate = g_value_get_pointer (value);

      if (self->slate)
        hf_slate_unref (self->slate);
      self->slate = slate ? hf_slate_ref (slate) : NULL;
      /* Handed to a running switch after the object lock is released. */
      self->slate_changed = TRUE;
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  if (prop_id == PROP_SLATE && self->slate_changed && self->sw) {
    HfSlate *slate = self->slate ? hf_slate_ref (self->slate) : NULL;
    HfSwitch *sw = self->sw;

    /* Lock order: the switch's lock is never taken under the object lock.
     * sw cannot go away meanwhile: only a state change frees it, and an
     * application does not set properties from a state change. */
    self->slate_changed = FALSE;
    GST_OBJECT_UNLOCK (self);
    hf_switch_set_slate (sw, slate);
    if (slate)
      hf_slate_unref (slate);
    return;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_hf_switch_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstHfSwitch *self = GST_HF_SWITCH (object);

  switch (prop_id) {
    case PROP_TIMEOUT_MS:
      g_value_set_uint (value, self->timeout_ms);
      break;
    case PROP_REVERT_AFTER_MS:
      g_value_set_uint (value, self->revert_after_ms);
      break;
    case PROP_MANUAL:
      g_value_set_boolean (value, self->manual);
      break;
    case PROP_TICK_MS:
      g_value_set_uint (value, self->tick_ms);
      break;
    case PROP_SLATE:
      g_value_set_pointer (value, self->slate);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, gst_hf_switch_stats (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_hf_switch_finalize (GObject * object)
{
  GstHfSwitch *self = GST_HF_SWITCH (object);

  g_clear_pointer (&self->sw, hf_switch_free);
  if (self->slate)
    hf_slate_unref (self->slate);
  g_mutex_clear (&self->out_lock);
  g_mutex_clear (&self->push_lock);
  G_OBJECT_CLASS (gst_hf_switch_parent_class)->finalize (object);
}

static void
gst_hf_switch_class_init (GstHfSwitchClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  HfHealthConfig defaults;

  GST_DEBUG_CATEGORY_INIT (gst_hf_switch_debug, "hf-switch", 0,
      "Holdfast failover switch element");
  hf_health_config_init (&defaults);
  gobject_class->set_property = gst_hf_switch_set_property;
  gobject_class->get_property = gst_hf_switch_get_property;
  gobject_class->finalize = gst_hf_switch_finalize;

  g_object_class_install_property (gobject_class, PROP_TIMEOUT_MS,
      g_param_spec_uint ("timeout-ms", "Input timeout",
          "An input is lost after this long without data", 10, 600000,
          (guint) (defaults.timeout_us / 1000),
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_REVERT_AFTER_MS,
      g_param_spec_uint ("revert-after-ms", "Revert after",
          "Back to a higher-priority input after it was healthy this long",
          0, 3600000, 10000, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_MANUAL,
      g_param_spec_boolean ("manual", "Manual",
          "Only an operator switches (input 0 until told otherwise)", FALSE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_TICK_MS,
      g_param_spec_uint ("tick-ms", "Tick",
          "How often health is re-evaluated and the slate paced", 1, 1000,
          10, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_SLATE,
      g_param_spec_pointer ("slate", "Slate",
          "HfSlate played when no input is alive (referenced)",
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics", "The switch's figures",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class,
      &video_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &audio_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &video_src_template);
  gst_element_class_add_static_pad_template (element_class,
      &audio_src_template);
  gst_element_class_set_static_metadata (element_class,
      "Holdfast failover switch", "Generic",
      "Keeps one continuous program from prioritised inputs, with a slate",
      "Holdfast");
  element_class->request_new_pad = gst_hf_switch_request_new_pad;
  element_class->release_pad = gst_hf_switch_release_pad;
  element_class->change_state = gst_hf_switch_change_state;
}

static void
gst_hf_switch_init (GstHfSwitch * self)
{
  HfHealthConfig defaults;

  hf_health_config_init (&defaults);
  self->timeout_ms = (guint) (defaults.timeout_us / 1000);
  self->revert_after_ms = 10000;
  self->tick_ms = 10;
  self->next_tick = GST_CLOCK_TIME_NONE;
  g_mutex_init (&self->out_lock);
  g_mutex_init (&self->push_lock);
  g_queue_init (&self->out);
  self->vsrc = gst_pad_new_from_static_template (&video_src_template,
      "video_src");
  self->asrc = gst_pad_new_from_static_template (&audio_src_template,
      "audio_src");
  gst_pad_use_fixed_caps (self->vsrc);
  gst_pad_use_fixed_caps (self->asrc);
  gst_element_add_pad (GST_ELEMENT (self), self->vsrc);
  gst_element_add_pad (GST_ELEMENT (self), self->asrc);
}
