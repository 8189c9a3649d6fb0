/* The "hfmerge" element: first-copy-wins merge of duplicate RTP paths
 * (ST 2022-7 style), a thin wrapper of HfMerge (hf-merge.c).
 *
 *   udpsrc (path A) ! hfmerge.sink_0   hfmerge ! rtpjitterbuffer ! ...
 *   udpsrc (path B) ! hfmerge.sink_1
 *
 * Request sink pads "sink_%u" (one per path, at most HF_MERGE_MAX_PATHS),
 * one always src pad.  Every RTP packet is offered to the merge with its
 * path and the element clock's time; first copies go out on the src pad,
 * the rest are dropped.  Like funnel, stream-start, caps and segment go out
 * once (from the first pad that sends them), EOS once every sink pad has
 * had it, flushes from any pad.
 *
 * Threads: each sink pad's streaming thread enters the chain and event
 * functions, and several of them push on the one src pad, serialised by
 * the src pad's stream lock as in funnel (the merge decision and the push
 * are one step under it).  The element's own lock is held only around the
 * merge decision and the bookkeeping, never while pushing.  Properties and pad requests come from the application's
 * thread.
 */
#include "failover/failover-private.h"

#include <gst/rtp/gstrtpbuffer.h>

GST_DEBUG_CATEGORY_STATIC (hf_merge_debug);
#define GST_CAT_DEFAULT hf_merge_debug

#define GST_TYPE_HF_MERGE (gst_hf_merge_get_type ())
#define GST_HF_MERGE(obj) \
  (G_TYPE_CHECK_INSTANCE_CAST ((obj), GST_TYPE_HF_MERGE, GstHfMerge))

#define HF_MERGE_DEFAULT_WINDOW_MS 200
#define HF_MERGE_MAX_WINDOW_MS 10000

typedef struct
{
  GstElement parent;
  GstPad *srcpad;

  GMutex lock;                  /* guards everything below */
  HfMerge *merge;
  guint window_ms;
  GstPad *sinkpads[HF_MERGE_MAX_PATHS];
  gboolean eos[HF_MERGE_MAX_PATHS];
  /* Counters of merges replaced by a window change, so that "stats" stays
   * cumulative. */
  HfMergePathStats base[HF_MERGE_MAX_PATHS];
  guint64 invalid;
  gboolean stream_start_sent;
  gboolean segment_sent;
  gboolean eos_sent;
  GstCaps *last_caps;
} GstHfMerge;

typedef struct
{
  GstElementClass parent_class;
} GstHfMergeClass;

enum
{
  PROP_0,
  PROP_WINDOW_MS,
  PROP_STATS
};

static GstStaticPadTemplate gst_hf_merge_sink_template =
GST_STATIC_PAD_TEMPLATE ("sink_%u", GST_PAD_SINK, GST_PAD_REQUEST,
    GST_STATIC_CAPS ("application/x-rtp"));

static GstStaticPadTemplate gst_hf_merge_src_template =
GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtp"));

G_DEFINE_TYPE (GstHfMerge, gst_hf_merge, GST_TYPE_ELEMENT);

static guint
gst_hf_merge_pad_path (GstPad * pad)
{
  return GPOINTER_TO_UINT (gst_pad_get_element_private (pad));
}

/* "now" for the merge: the element clock (the pipeline's; a GstTestClock
 * under GstHarness), else the monotonic clock.  Called with the lock held
 * so that the times the merge sees never go backwards between threads. */
static gint64
gst_hf_merge_now_us_locked (GstHfMerge * self)
{
  GstClock *clock = gst_element_get_clock (GST_ELEMENT (self));
  GstClockTime t;

  if (!clock)
    return g_get_monotonic_time ();
  t = gst_clock_get_time (clock);
  gst_object_unref (clock);
  return GST_CLOCK_TIME_IS_VALID (t) ? (gint64) (t / GST_USECOND) :
      g_get_monotonic_time ();
}

/* TRUE when every sink pad has had EOS (and there is at least one). */
static gboolean
gst_hf_merge_all_eos_locked (GstHfMerge * self)
{
  guint i, n = 0;

  for (i = 0; i < HF_MERGE_MAX_PATHS; i++) {
    if (!self->sinkpads[i])
      continue;
    if (!self->eos[i])
      return FALSE;
    n++;
  }
  return n > 0;
}

/* Pushes @pad's own sticky event of @type when the src pad has none yet.
 * The first pad's stream-start, caps and segment normally go out from its
 * event function, but another path's thread may get a packet (or a later
 * sticky event) through before that push has happened: downstream must
 * still see stream-start, caps and segment, in that order, before data.  A
 * concurrent push of the same type only replaces an equal event. */
static void
gst_hf_merge_ensure_sticky (GstHfMerge * self, GstPad * pad, GstEventType type)
{
  GstEvent *have = gst_pad_get_sticky_event (self->srcpad, type, 0);
  GstEvent *own;

  if (have) {
    gst_event_unref (have);
    return;
  }
  own = gst_pad_get_sticky_event (pad, type, 0);
  if (own) {
    GST_DEBUG_OBJECT (pad, "forwarding its %s first",
        GST_EVENT_TYPE_NAME (own));
    gst_pad_push_event (self->srcpad, own);
  }
}

/* Sink pads' streaming threads. */
static GstFlowReturn
gst_hf_merge_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstHfMerge *self = GST_HF_MERGE (parent);
  guint path = gst_hf_merge_pad_path (pad);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint32 ssrc;
  guint16 seq;
  gboolean forward;
  GstFlowReturn ret;

  /* Whatever the network hands us is untrusted: a packet that is not RTP
   * is counted and dropped, and the stream goes on. */
  if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp)) {
    g_mutex_lock (&self->lock);
    self->invalid++;
    g_mutex_unlock (&self->lock);
    GST_DEBUG_OBJECT (pad, "dropped an invalid RTP packet of %" G_GSIZE_FORMAT
        " bytes", gst_buffer_get_size (buf));
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
  ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  seq = gst_rtp_buffer_get_seq (&rtp);
  gst_rtp_buffer_unmap (&rtp);

  /* The decision and the push are one step under the src pad's stream
   * lock (as funnel does): the first copies leave in the order they were
   * chosen, and sticky events go out once, before the first buffer. */
  GST_PAD_STREAM_LOCK (self->srcpad);
  g_mutex_lock (&self->lock);
  forward = hf_merge_accept (self->merge, path, ssrc, seq,
      gst_hf_merge_now_us_locked (self));
  g_mutex_unlock (&self->lock);

  if (!forward) {
    GST_PAD_STREAM_UNLOCK (self->srcpad);
    GST_LOG_OBJECT (pad, "dropped a copy of seq %u", seq);
    gst_buffer_unref (buf);
    return GST_FLOW_OK;
  }
  gst_hf_merge_ensure_sticky (self, pad, GST_EVENT_STREAM_START);
  gst_hf_merge_ensure_sticky (self, pad, GST_EVENT_CAPS);
  gst_hf_merge_ensure_sticky (self, pad, GST_EVENT_SEGMENT);
  ret = gst_pad_push (self->srcpad, buf);
  GST_PAD_STREAM_UNLOCK (self->srcpad);
  return ret;
}

/* Sink pads' streaming threads (flush-start: any thread). */
static gboolean
gst_hf_merge_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstHfMerge *self = GST_HF_MERGE (parent);
  guint path = gst_hf_merge_pad_path (pad);
  gboolean forward = TRUE;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_STREAM_START:
      g_mutex_lock (&self->lock);
      forward = !self->stream_start_sent;
      self->stream_start_sent = TRUE;
      g_mutex_unlock (&self->lock);
      break;
    case GST_EVENT_CAPS:{
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      g_mutex_lock (&self->lock);
      forward = !self->last_caps || !gst_caps_is_equal (self->last_caps, caps);
      if (forward)
        gst_caps_replace (&self->last_caps, caps);
      g_mutex_unlock (&self->lock);
      if (forward)
        gst_hf_merge_ensure_sticky (self, pad, GST_EVENT_STREAM_START);
      break;
    }
    case GST_EVENT_SEGMENT:
      g_mutex_lock (&self->lock);
      forward = !self->segment_sent;
      self->segment_sent = TRUE;
      g_mutex_unlock (&self->lock);
      if (forward) {
        gst_hf_merge_ensure_sticky (self, pad, GST_EVENT_STREAM_START);
        gst_hf_merge_ensure_sticky (self, pad, GST_EVENT_CAPS);
      }
      break;
    case GST_EVENT_EOS:
      g_mutex_lock (&self->lock);
      self->eos[path] = TRUE;
      forward = !self->eos_sent && gst_hf_merge_all_eos_locked (self);
      if (forward)
        self->eos_sent = TRUE;
      g_mutex_unlock (&self->lock);
      GST_DEBUG_OBJECT (pad, "EOS%s", forward ? ", the last path: forwarded" :
          "");
      break;
    case GST_EVENT_FLUSH_STOP:
      /* After a flush downstream needs a segment again, and the path is
       * live again. */
      g_mutex_lock (&self->lock);
      self->eos[path] = FALSE;
      self->eos_sent = FALSE;
      self->segment_sent = FALSE;
      g_mutex_unlock (&self->lock);
      break;
    default:
      break;
  }
  if (!forward) {
    gst_event_unref (event);
    return TRUE;
  }
  if (GST_EVENT_IS_SERIALIZED (event)) {
    gboolean ok;

    /* In order with the buffers other paths push. */
    GST_PAD_STREAM_LOCK (self->srcpad);
    ok = gst_pad_push_event (self->srcpad, event);
    GST_PAD_STREAM_UNLOCK (self->srcpad);
    return ok;
  }
  return gst_pad_push_event (self->srcpad, event);
}

/* Parses "sink_N"; G_MAXUINT when @name is not one. */
static guint
gst_hf_merge_parse_pad_name (const gchar * name)
{
  const gchar *digits;
  gchar *end = NULL;
  guint64 v;

  if (!name || !g_str_has_prefix (name, "sink_"))
    return G_MAXUINT;
  digits = name + 5;
  if (!g_ascii_isdigit (*digits))
    return G_MAXUINT;
  v = g_ascii_strtoull (digits, &end, 10);
  if (*end || v >= G_MAXUINT)
    return G_MAXUINT;
  return (guint) v;
}

/* Application thread. */
static GstPad *
gst_hf_merge_request_new_pad (GstElement * element, GstPadTemplate * templ,
    const gchar * name, const GstCaps * caps)
{
  GstHfMerge *self = GST_HF_MERGE (element);
  guint path = G_MAXUINT;
  gchar *padname;
  GstPad *pad;

  if (name) {
    path = gst_hf_merge_parse_pad_name (name);
    if (path == G_MAXUINT)
      goto bad_name;
  }
  g_mutex_lock (&self->lock);
  if (path == G_MAXUINT) {
    for (path = 0; path < HF_MERGE_MAX_PATHS; path++)
      if (!self->sinkpads[path])
        break;
  }
  if (path >= HF_MERGE_MAX_PATHS || self->sinkpads[path]) {
    g_mutex_unlock (&self->lock);
    goto no_slot;
  }
  padname = g_strdup_printf ("sink_%u", path);
  pad = gst_pad_new_from_template (templ, padname);
  g_free (padname);
  gst_pad_set_element_private (pad, GUINT_TO_POINTER (path));
  gst_pad_set_chain_function (pad, gst_hf_merge_chain);
  gst_pad_set_event_function (pad, gst_hf_merge_sink_event);
  GST_PAD_SET_PROXY_CAPS (pad);
  GST_PAD_SET_PROXY_ALLOCATION (pad);
  self->sinkpads[path] = pad;
  self->eos[path] = FALSE;
  g_mutex_unlock (&self->lock);

  if (!gst_element_add_pad (element, pad)) {
    g_mutex_lock (&self->lock);
    self->sinkpads[path] = NULL;
    g_mutex_unlock (&self->lock);
    return NULL;
  }
  GST_DEBUG_OBJECT (self, "path %u: %" GST_PTR_FORMAT, path, pad);
  return pad;

  /* ERRORS */
bad_name:
  {
    GST_WARNING_OBJECT (self, "pad name %s is not sink_N", name);
    return NULL;
  }
no_slot:
  {
    GST_WARNING_OBJECT (self, "no free path (at most %u, or %s in use)",
        HF_MERGE_MAX_PATHS, name ? name : "all");
    return NULL;
  }
}

/* Application thread. */
static void
gst_hf_merge_release_pad (GstElement * element, GstPad * pad)
{
  GstHfMerge *self = GST_HF_MERGE (element);
  guint path = gst_hf_merge_pad_path (pad);
  gboolean send_eos;

  g_mutex_lock (&self->lock);
  if (path < HF_MERGE_MAX_PATHS && self->sinkpads[path] == pad) {
    self->sinkpads[path] = NULL;
    self->eos[path] = FALSE;
  }
  /* The paths left may all be finished already: this was the one that
   * held EOS back. */
  send_eos = !self->eos_sent && gst_hf_merge_all_eos_locked (self);
  if (send_eos)
    self->eos_sent = TRUE;
  g_mutex_unlock (&self->lock);

  gst_pad_set_active (pad, FALSE);
  gst_element_remove_pad (element, pad);
  if (send_eos)
    gst_pad_push_event (self->srcpad, gst_event_new_eos ());
}

static GstStateChangeReturn
gst_hf_merge_change_state (GstElement * element, GstStateChange transition)
{
  GstHfMerge *self = GST_HF_MERGE (element);
  GstStateChangeReturn ret;
  guint i;

  ret = GST_ELEMENT_CLASS (gst_hf_merge_parent_class)->change_state (element,
      transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    /* A new run starts its events afresh; the merge's history ages out by
     * itself and its counters stay cumulative. */
    g_mutex_lock (&self->lock);
    self->stream_start_sent = FALSE;
    self->segment_sent = FALSE;
    self->eos_sent = FALSE;
    gst_caps_replace (&self->last_caps, NULL);
    for (i = 0; i < HF_MERGE_MAX_PATHS; i++)
      self->eos[i] = FALSE;
    g_mutex_unlock (&self->lock);
  }
  return ret;
}

static GstStructure *
gst_hf_merge_stats_locked (GstHfMerge * self)
{
  GstStructure *s = gst_structure_new ("hfmerge-stats",
      "window-ms", G_TYPE_UINT, self->window_ms,
      "invalid", G_TYPE_UINT64, self->invalid, NULL);
  GValue paths = G_VALUE_INIT;
  guint i;

  gst_value_array_init (&paths, HF_MERGE_MAX_PATHS);
  for (i = 0; i < HF_MERGE_MAX_PATHS; i++) {
    HfMergePathStats st;
    GValue v = G_VALUE_INIT;

    hf_merge_get_path_stats (self->merge, i, &st);
    /* Paths that exist now, or that carried something. */
    if (!self->sinkpads[i] && st.received == 0 && self->base[i].received == 0)
      continue;
    g_value_init (&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&v, gst_structure_new ("hfmerge-path",
            "path", G_TYPE_UINT, i,
            "received", G_TYPE_UINT64, st.received + self->base[i].received,
            "forwarded", G_TYPE_UINT64, st.forwarded + self->base[i].forwarded,
            "duplicates", G_TYPE_UINT64,
            st.duplicates + self->base[i].duplicates,
            "last-packet-us", G_TYPE_INT64,
            st.last_packet_us ? st.last_packet_us :
            self->base[i].last_packet_us, NULL));
    gst_value_array_append_and_take_value (&paths, &v);
  }
  gst_structure_take_value (s, "paths", &paths);
  return s;
}

/* A new window takes a new merge: fold the old one's counters into the
 * base first.  Its history goes: a copy in flight right now may get
 * through once. */
static void
gst_hf_merge_set_window_locked (GstHfMerge * self, guint window_ms)
{
  guint i;

  if (self->merge && window_ms == self->window_ms)
    return;
  if (self->merge) {
    for (i = 0; i < HF_MERGE_MAX_PATHS; i++) {
      HfMergePathStats st;

      hf_merge_get_path_stats (self->merge, i, &st);
      self->base[i].received += st.received;
      self->base[i].forwarded += st.forwarded;
      self->base[i].duplicates += st.duplicates;
      if (st.last_packet_us)
        self->base[i].last_packet_us = st.last_packet_us;
    }
    hf_merge_free (self->merge);
  }
  self->window_ms = window_ms;
  self->merge = hf_merge_new (HF_MERGE_MAX_PATHS,
      (gint64) window_ms * G_GINT64_CONSTANT (1000));
}

static void
gst_hf_merge_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstHfMerge *self = GST_HF_MERGE (object);

  switch (prop_id) {
    case PROP_WINDOW_MS:
      g_mutex_lock (&self->lock);
      gst_hf_merge_set_window_locked (self, g_value_get_uint (value));
      g_mutex_unlock (&self->lock);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_hf_merge_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstHfMerge *self = GST_HF_MERGE (object);

  switch (prop_id) {
    case PROP_WINDOW_MS:
      g_mutex_lock (&self->lock);
      g_value_set_uint (value, self->window_ms);
      g_mutex_unlock (&self->lock);
      break;
    case PROP_STATS:
      g_mutex_lock (&self->lock);
      g_value_take_boxed (value, gst_hf_merge_stats_locked (self));
      g_mutex_unlock (&self->lock);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_hf_merge_finalize (GObject * object)
{
  GstHfMerge *self = GST_HF_MERGE (object);

  hf_merge_free (self->merge);
  gst_caps_replace (&self->last_caps, NULL);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (gst_hf_merge_parent_class)->finalize (object);
}

static void
gst_hf_merge_class_init (GstHfMergeClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (hf_merge_debug, "hf-merge", 0,
      "Holdfast first-copy-wins RTP merge");

  gobject_class->set_property = gst_hf_merge_set_property;
  gobject_class->get_property = gst_hf_merge_get_property;
  gobject_class->finalize = gst_hf_merge_finalize;

  g_object_class_install_property (gobject_class, PROP_WINDOW_MS,
      g_param_spec_uint ("window-ms", "Window (ms)",
          "How long a forwarded sequence number is remembered: a copy that "
          "arrives later is forwarded again (changing it forgets the "
          "history)", 1, HF_MERGE_MAX_WINDOW_MS, HF_MERGE_DEFAULT_WINDOW_MS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "hfmerge-stats: window-ms, invalid (packets that were not RTP), "
          "paths (array of hfmerge-path: path, received, forwarded, "
          "duplicates, last-packet-us in element clock time, 0 = never)",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class,
      &gst_hf_merge_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &gst_hf_merge_src_template);
  gst_element_class_set_static_metadata (element_class,
      "Holdfast RTP path merge", "Filter/Network/RTP",
      "Merges duplicate RTP streams received over several paths: the first "
      "copy of each sequence number wins (SMPTE ST 2022-7 style)", "Holdfast");

  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_hf_merge_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (gst_hf_merge_release_pad);
  element_class->change_state = GST_DEBUG_FUNCPTR (gst_hf_merge_change_state);
}

static void
gst_hf_merge_init (GstHfMerge * self)
{
  g_mutex_init (&self->lock);
  gst_hf_merge_set_window_locked (self, HF_MERGE_DEFAULT_WINDOW_MS);
  self->srcpad = gst_pad_new_from_static_template (&gst_hf_merge_src_template,
      "src");
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
}
