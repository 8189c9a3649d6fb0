/* hffecenc and hffecdec: the FEC codec (hf-fec.c) as two RTP elements.
 *
 * hffecenc: the sink pad's streaming thread feeds each protected packet to
 * the encoder and pushes the packet, then the parity of any block that
 * closed.  A block closes when full, at a sequence break or SSRC change,
 * when a packet arrives after block-ms, and -- so that a stream that
 * stalls still gets the parity of its last block -- on a single-shot
 * GstClockID set at the open block's deadline (the element clock is the
 * encoder's "now"; a GstTestClock under GstHarness).  The clock callback
 * runs on the clock's thread: it only TRIES the sink pad's stream lock
 * (never blocks the shared clock thread behind a streaming thread that
 * waits downstream) and re-arms itself 10 ms later when the chain
 * function holds it.  Parity packets carry the PTS/DTS of their block's
 * last media packet.
 *
 * hffecdec: the streaming thread passes every non-FEC packet on at once
 * and unchanged, then lets the decoder look at it; FEC packets (payload
 * type "pt") are consumed.  Packets the decoder rebuilds are pushed right
 * after the packet that completed their block, with that packet's PTS.
 *
 * Both keep the codec under `lock` and push only after releasing it.
 */
#include "ingest/hf-fec.h"

GST_DEBUG_CATEGORY_STATIC (gst_hf_fec_debug);
#define GST_CAT_DEFAULT gst_hf_fec_debug

static GstStaticPadTemplate hf_fec_sink_template =
GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtp"));
static GstStaticPadTemplate hf_fec_src_template =
GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("application/x-rtp"));

/* ---- hffecenc ---------------------------------------------------------- */

#define GST_TYPE_HF_FEC_ENC (gst_hf_fec_enc_get_type ())
G_DECLARE_FINAL_TYPE (GstHfFecEnc, gst_hf_fec_enc, GST, HF_FEC_ENC, GstElement);

struct _GstHfFecEnc
{
  GstElement parent;
  GstPad *sinkpad, *srcpad;

  GMutex lock;                  /* guards everything below */
  HfFecEncoder *enc;
  guint percent, pt, block_packets, block_ms;
  gint protect_pt;
  guint64 media_packets;
  /* Parity made during one encoder call: before the current packet (the
   * previous block) and after it (the block the packet completed). */
  GList *before, *after;
  GstClockTime cur_pts, cur_dts, last_pts, last_dts;
  GstClockID timer;
  gint64 timer_at_us;
};

enum
{
  PROP_ENC_0,
  PROP_ENC_PERCENT,
  PROP_ENC_PT,
  PROP_ENC_BLOCK_PACKETS,
  PROP_ENC_BLOCK_MS,
  PROP_ENC_PROTECT_PT,
  PROP_ENC_MEDIA_PACKETS,
  PROP_ENC_PARITY_PACKETS,
};

G_DEFINE_TYPE (GstHfFecEnc, gst_hf_fec_enc, GST_TYPE_ELEMENT);

static gboolean gst_hf_fec_enc_timer_cb (GstClock * clock, GstClockTime time,
    GstClockID id, gpointer user_data);

/* The encoder's callback (streaming or clock thread, lock held). */
static void
gst_hf_fec_enc_on_parity (GBytes * packet, gpointer user_data)
{
  GstHfFecEnc *self = user_data;
  gsize size;
  const guint8 *p = g_bytes_get_data (packet, &size);
  GstBuffer *buf;
  /* A block that closes as full contains the packet being pushed; one
   * that closes for any other reason ended with the previous packet. */
  gboolean full = size > 13 && p[13] == MIN (self->block_packets,
      HF_FEC_MAX_K);

  buf = gst_buffer_new_wrapped_bytes (packet);
  g_bytes_unref (packet);
  GST_BUFFER_PTS (buf) = full ? self->cur_pts : self->last_pts;
  GST_BUFFER_DTS (buf) = full ? self->cur_dts : self->last_dts;
  if (full)
    self->after = g_list_append (self->after, buf);
  else
    self->before = g_list_append (self->before, buf);
}

static void
gst_hf_fec_enc_make_locked (GstHfFecEnc * self)
{
  g_clear_pointer (&self->enc, hf_fec_encoder_free);
  self->enc = hf_fec_encoder_new (self->pt, self->block_packets,
      self->block_ms, gst_hf_fec_enc_on_parity, self);
  hf_fec_encoder_set_percent (self->enc, self->percent);
}

/* The encoder's "now": the element clock, else the monotonic clock. */
static gint64
gst_hf_fec_enc_now (GstHfFecEnc * self, GstClock ** clock)
{
  GstClock *c = gst_element_get_clock (GST_ELEMENT (self));
  gint64 now;

  if (!c) {
    *clock = NULL;
    return g_get_monotonic_time ();
  }
  now = (gint64) (gst_clock_get_time (c) / GST_USECOND);
  *clock = c;
  return now;
}

/* Arms the timer at the open block's deadline (lock held). */
static void
gst_hf_fec_enc_arm_locked (GstHfFecEnc * self, GstClock * clock, gint64 at_us)
{
  if (!clock || at_us < 0 || (self->timer && self->timer_at_us == at_us))
    return;
  if (self->timer) {
    gst_clock_id_unschedule (self->timer);
    gst_clock_id_unref (self->timer);
    self->timer = NULL;
  }
  self->timer = gst_clock_new_single_shot_id (clock,
      (GstClockTime) at_us * GST_USECOND);
  self->timer_at_us = at_us;
  if (gst_clock_id_wait_async (self->timer, gst_hf_fec_enc_timer_cb,
          gst_object_ref (self), gst_object_unref) != GST_CLOCK_OK) {
    gst_clock_id_unref (self->timer);
    self->timer = NULL;
  }
}

static void
gst_hf_fec_enc_disarm_locked (GstHfFecEnc * self)
{
  if (self->timer) {
    gst_clock_id_unschedule (self->timer);
    gst_clock_id_unref (self->timer);
    self->timer = NULL;
  }
}

static GstFlowReturn
gst_hf_fec_enc_push_list (GstHfFecEnc * self, GList * list)
{
  GstFlowReturn ret = GST_FLOW_OK;
  GList *l;

  for (l = list; l; l = l->next) {
    GstFlowReturn r = gst_pad_push (self->srcpad, l->data);

    if (r != GST_FLOW_OK && ret == GST_FLOW_OK)
      ret = r;
  }
  g_list_free (list);
  return ret;
}

/* Clock thread: closes a block whose deadline passed while no packet came. */
static gboolean
gst_hf_fec_enc_timer_cb (GstClock * clock, GstClockTime time, GstClockID id,
    gpointer user_data)
{
  GstHfFecEnc *self = user_data;
  GList *before;
  GstClock *c;
  gint64 now;

  if (!g_rec_mutex_trylock (GST_PAD_GET_STREAM_LOCK (self->sinkpad))) {
    /* The chain function runs: it closes an old block itself. */
    g_mutex_lock (&self->lock);
    if (self->timer == id) {
      self->timer_at_us = -1;
      gst_hf_fec_enc_arm_locked (self, clock,
          (gint64) (time / GST_USECOND) + 10000);
    }
    g_mutex_unlock (&self->lock);
    return TRUE;
  }
  g_mutex_lock (&self->lock);
  if (self->timer != id || !self->enc) {
    g_mutex_unlock (&self->lock);
    GST_PAD_STREAM_UNLOCK (self->sinkpad);
    return TRUE;
  }
  gst_clock_id_unref (self->timer);
  self->timer = NULL;
  now = gst_hf_fec_enc_now (self, &c);
  hf_fec_encoder_tick (self->enc, MAX (now, (gint64) (time / GST_USECOND)));
  gst_hf_fec_enc_arm_locked (self, c, hf_fec_encoder_deadline (self->enc));
  if (c)
    gst_object_unref (c);
  before = g_list_concat (self->before, self->after);
  self->before = self->after = NULL;
  g_mutex_unlock (&self->lock);
  if (before)
    GST_LOG_OBJECT (self, "timer closed a block");
  gst_hf_fec_enc_push_list (self, before);
  GST_PAD_STREAM_UNLOCK (self->sinkpad);
  return TRUE;
}

/* Streaming thread. */
static GstFlowReturn
gst_hf_fec_enc_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstHfFecEnc *self = GST_HF_FEC_ENC (parent);
  GList *before, *after;
  GstFlowReturn ret, r;
  GstMapInfo map;
  GstClock *clock;
  gint64 now;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return gst_pad_push (self->srcpad, buf);
  g_mutex_lock (&self->lock);
  if (map.size >= 12 && (map.data[1] & 0x7f) != self->pt
      && (self->protect_pt < 0 || (map.data[1] & 0x7f) == self->protect_pt)) {
    now = gst_hf_fec_enc_now (self, &clock);
    self->cur_pts = GST_BUFFER_PTS (buf);
    self->cur_dts = GST_BUFFER_DTS (buf);
    self->media_packets++;
    hf_fec_encoder_push (self->enc, map.data, map.size, now);
    self->last_pts = self->cur_pts;
    self->last_dts = self->cur_dts;
    gst_hf_fec_enc_arm_locked (self, clock,
        hf_fec_encoder_deadline (self->enc));
    if (clock)
      gst_object_unref (clock);
  }
  before = self->before;
  after = self->after;
  self->before = self->after = NULL;
  g_mutex_unlock (&self->lock);
  gst_buffer_unmap (buf, &map);

  ret = gst_hf_fec_enc_push_list (self, before);
  r = gst_pad_push (self->srcpad, buf);
  if (r != GST_FLOW_OK)
    ret = r;
  r = gst_hf_fec_enc_push_list (self, after);
  return ret != GST_FLOW_OK ? ret : r;
}

/* Streaming thread: at EOS the open block's parity goes out first. */
static gboolean
gst_hf_fec_enc_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstHfFecEnc *self = GST_HF_FEC_ENC (parent);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    GList *list;
    gint64 deadline;

    g_mutex_lock (&self->lock);
    deadline = hf_fec_encoder_deadline (self->enc);
    if (deadline >= 0)
      hf_fec_encoder_tick (self->enc, deadline);
    gst_hf_fec_enc_disarm_locked (self);
    list = g_list_concat (self->before, self->after);
    self->before = self->after = NULL;
    g_mutex_unlock (&self->lock);
    gst_hf_fec_enc_push_list (self, list);
  }
  return gst_pad_event_default (pad, parent, event);
}

static GstStateChangeReturn
gst_hf_fec_enc_change_state (GstElement * element, GstStateChange transition)
{
  GstHfFecEnc *self = GST_HF_FEC_ENC (element);
  GstStateChangeReturn ret;

  ret = GST_ELEMENT_CLASS (gst_hf_fec_enc_parent_class)->change_state
      (element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    g_mutex_lock (&self->lock);
    gst_hf_fec_enc_disarm_locked (self);
    gst_hf_fec_enc_make_locked (self);
    g_list_free_full (self->before, (GDestroyNotify) gst_buffer_unref);
    g_list_free_full (self->after, (GDestroyNotify) gst_buffer_unref);
    self->before = self->after = NULL;
    g_mutex_unlock (&self->lock);
  }
  return ret;
}

static void
gst_hf_fec_enc_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstHfFecEnc *self = GST_HF_FEC_ENC (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_ENC_PERCENT:
      self->percent = g_value_get_uint (value);
      hf_fec_encoder_set_percent (self->enc, self->percent);
      break;
    case PROP_ENC_PT:
      self->pt = g_value_get_uint (value);
      gst_hf_fec_enc_make_locked (self);
      break;
    case PROP_ENC_BLOCK_PACKETS:
      self->block_packets = g_value_get_uint (value);
      gst_hf_fec_enc_make_locked (self);
      break;
    case PROP_ENC_BLOCK_MS:
      self->block_ms = g_value_get_uint (value);
      gst_hf_fec_enc_make_locked (self);
      break;
    case PROP_ENC_PROTECT_PT:
      self->protect_pt = g_value_get_int (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

static void
gst_hf_fec_enc_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstHfFecEnc *self = GST_HF_FEC_ENC (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_ENC_PERCENT:
      g_value_set_uint (value, self->percent);
      break;
    case PROP_ENC_PT:
      g_value_set_uint (value, self->pt);
      break;
    case PROP_ENC_BLOCK_PACKETS:
      g_value_set_uint (value, self->block_packets);
      break;
    case PROP_ENC_BLOCK_MS:
      g_value_set_uint (value, self->block_ms);
      break;
    case PROP_ENC_PROTECT_PT:
      g_value_set_int (value, self->protect_pt);
      break;
    case PROP_ENC_MEDIA_PACKETS:
      g_value_set_uint64 (value, self->media_packets);
      break;
    case PROP_ENC_PARITY_PACKETS:
      g_value_set_uint64 (value, hf_fec_encoder_parity_sent (self->enc));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

static void
gst_hf_fec_enc_finalize (GObject * object)
{
  GstHfFecEnc *self = GST_HF_FEC_ENC (object);

  gst_hf_fec_enc_disarm_locked (self);
  g_clear_pointer (&self->enc, hf_fec_encoder_free);
  g_list_free_full (self->before, (GDestroyNotify) gst_buffer_unref);
  g_list_free_full (self->after, (GDestroyNotify) gst_buffer_unref);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (gst_hf_fec_enc_parent_class)->finalize (object);
}

static void
gst_hf_fec_enc_class_init (GstHfFecEncClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  gobject_class->set_property = gst_hf_fec_enc_set_property;
  gobject_class->get_property = gst_hf_fec_enc_get_property;
  gobject_class->finalize = gst_hf_fec_enc_finalize;
  g_object_class_install_property (gobject_class, PROP_ENC_PERCENT,
      g_param_spec_uint ("percent", "Percent",
          "Parity overhead in percent of the media packets (0 = off)",
          0, 100, 0, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_ENC_PT,
      g_param_spec_uint ("pt", "Payload type", "Payload type of FEC packets",
          0, 127, HF_FEC_PT, rw));
  g_object_class_install_property (gobject_class, PROP_ENC_BLOCK_PACKETS,
      g_param_spec_uint ("block-packets", "Block packets",
          "Media packets per block at most", 1, HF_FEC_MAX_K,
          HF_FEC_DEFAULT_BLOCK_PACKETS, rw));
  g_object_class_install_property (gobject_class, PROP_ENC_BLOCK_MS,
      g_param_spec_uint ("block-ms", "Block ms",
          "A block closes this long after its first packet at the latest",
          1, 10000, HF_FEC_DEFAULT_BLOCK_MS, rw));
  g_object_class_install_property (gobject_class, PROP_ENC_PROTECT_PT,
      g_param_spec_int ("protect-pt", "Protected payload type",
          "Only this payload type is protected (-1: every one)", -1, 127,
          -1, rw));
  g_object_class_install_property (gobject_class, PROP_ENC_MEDIA_PACKETS,
      g_param_spec_uint64 ("media-packets", "Media packets",
          "Media packets protected", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property (gobject_class, PROP_ENC_PARITY_PACKETS,
      g_param_spec_uint64 ("parity-packets", "Parity packets",
          "Parity packets sent", 0, G_MAXUINT64, 0, ro));
  gst_element_class_add_static_pad_template (element_class,
      &hf_fec_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &hf_fec_src_template);
  gst_element_class_set_static_metadata (element_class,
      "Holdfast FEC encoder", "Codec/Encoder/Network/RTP",
      "Adds Reed-Solomon parity packets to an RTP stream", "Holdfast");
  element_class->change_state = gst_hf_fec_enc_change_state;
}

static void
gst_hf_fec_enc_init (GstHfFecEnc * self)
{
  g_mutex_init (&self->lock);
  self->pt = HF_FEC_PT;
  self->block_packets = HF_FEC_DEFAULT_BLOCK_PACKETS;
  self->block_ms = HF_FEC_DEFAULT_BLOCK_MS;
  self->protect_pt = -1;
  self->cur_pts = self->cur_dts = GST_CLOCK_TIME_NONE;
  self->last_pts = self->last_dts = GST_CLOCK_TIME_NONE;
  self->timer_at_us = -1;
  gst_hf_fec_enc_make_locked (self);

  self->sinkpad = gst_pad_new_from_static_template (&hf_fec_sink_template,
      "sink");
  gst_pad_set_chain_function (self->sinkpad, gst_hf_fec_enc_chain);
  gst_pad_set_event_function (self->sinkpad, gst_hf_fec_enc_sink_event);
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template (&hf_fec_src_template, "src");
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
}

/* ---- hffecdec ---------------------------------------------------------- */

#define GST_TYPE_HF_FEC_DEC (gst_hf_fec_dec_get_type ())
G_DECLARE_FINAL_TYPE (GstHfFecDec, gst_hf_fec_dec, GST, HF_FEC_DEC, GstElement);

struct _GstHfFecDec
{
  GstElement parent;
  GstPad *sinkpad, *srcpad;

  GMutex lock;                  /* guards dec, pt, recovered */
  HfFecDecoder *dec;
  guint pt;
  GstClockTime pts;             /* of the packet being decoded */
  GList *recovered;
};

enum
{
  PROP_DEC_0,
  PROP_DEC_PT,
  PROP_DEC_STATS,
};

G_DEFINE_TYPE (GstHfFecDec, gst_hf_fec_dec, GST_TYPE_ELEMENT);

/* The decoder's callback (streaming thread, lock held). */
static void
gst_hf_fec_dec_on_recovered (GBytes * packet, gpointer user_data)
{
  GstHfFecDec *self = user_data;
  GstBuffer *buf = gst_buffer_new_wrapped_bytes (packet);

  g_bytes_unref (packet);
  GST_BUFFER_PTS (buf) = self->pts;
  self->recovered = g_list_append (self->recovered, buf);
}

static gint64
gst_hf_fec_dec_now (GstHfFecDec * self)
{
  GstClock *c = gst_element_get_clock (GST_ELEMENT (self));
  gint64 now;

  if (!c)
    return g_get_monotonic_time ();
  now = (gint64) (gst_clock_get_time (c) / GST_USECOND);
  gst_object_unref (c);
  return now;
}

/* Streaming thread. */
static GstFlowReturn
gst_hf_fec_dec_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  GstHfFecDec *self = GST_HF_FEC_DEC (parent);
  GstFlowReturn ret = GST_FLOW_OK;
  GList *recovered, *l;
  GstMapInfo map;
  gboolean is_fec;
  gint64 now;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return gst_pad_push (self->srcpad, buf);
  now = gst_hf_fec_dec_now (self);
  g_mutex_lock (&self->lock);
  is_fec = map.size >= 12 && (map.data[0] >> 6) == 2
      && (map.data[1] & 0x7f) == self->pt;
  self->pts = GST_BUFFER_PTS (buf);
  if (is_fec) {
    HfFecResult res = hf_fec_decoder_push_fec (self->dec, map.data, map.size,
        now);

    if (res != HF_FEC_OK)
      GST_LOG_OBJECT (self, "bad FEC packet (%d)", res);
  } else {
    hf_fec_decoder_push_media (self->dec, map.data, map.size, now);
  }
  recovered = self->recovered;
  self->recovered = NULL;
  g_mutex_unlock (&self->lock);
  gst_buffer_unmap (buf, &map);

  if (is_fec)
    gst_buffer_unref (buf);
  else
    ret = gst_pad_push (self->srcpad, buf);
  for (l = recovered; l; l = l->next) {
    GstFlowReturn r = gst_pad_push (self->srcpad, l->data);

    if (r != GST_FLOW_OK && ret == GST_FLOW_OK)
      ret = r;
  }
  g_list_free (recovered);
  return ret;
}

static GstStructure *
gst_hf_fec_dec_stats_locked (GstHfFecDec * self)
{
  HfFecDecoderStats s;

  hf_fec_decoder_get_stats (self->dec, &s);
  return gst_structure_new ("hffecdec-stats",
      "media_packets", G_TYPE_UINT64, s.media_packets,
      "fec_packets", G_TYPE_UINT64, s.fec_packets,
      "bad_packets", G_TYPE_UINT64, s.bad_packets,
      "recovered", G_TYPE_UINT64, s.recovered,
      "unrecoverable", G_TYPE_UINT64, s.unrecoverable, NULL);
}

static void
gst_hf_fec_dec_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstHfFecDec *self = GST_HF_FEC_DEC (object);

  switch (prop_id) {
    case PROP_DEC_PT:
      g_mutex_lock (&self->lock);
      self->pt = g_value_get_uint (value);
      g_mutex_unlock (&self->lock);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_hf_fec_dec_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstHfFecDec *self = GST_HF_FEC_DEC (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
    case PROP_DEC_PT:
      g_value_set_uint (value, self->pt);
      break;
    case PROP_DEC_STATS:
      g_value_take_boxed (value, gst_hf_fec_dec_stats_locked (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  g_mutex_unlock (&self->lock);
}

static void
gst_hf_fec_dec_finalize (GObject * object)
{
  GstHfFecDec *self = GST_HF_FEC_DEC (object);

  g_clear_pointer (&self->dec, hf_fec_decoder_free);
  g_list_free_full (self->recovered, (GDestroyNotify) gst_buffer_unref);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (gst_hf_fec_dec_parent_class)->finalize (object);
}

static void
gst_hf_fec_dec_class_init (GstHfFecDecClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = gst_hf_fec_dec_set_property;
  gobject_class->get_property = gst_hf_fec_dec_get_property;
  gobject_class->finalize = gst_hf_fec_dec_finalize;
  g_object_class_install_property (gobject_class, PROP_DEC_PT,
      g_param_spec_uint ("pt", "Payload type", "Payload type of FEC packets",
          0, 127, HF_FEC_PT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_DEC_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "media_packets, fec_packets, bad_packets, recovered, unrecoverable",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  gst_element_class_add_static_pad_template (element_class,
      &hf_fec_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &hf_fec_src_template);
  gst_element_class_set_static_metadata (element_class,
      "Holdfast FEC decoder", "Codec/Decoder/Network/RTP",
      "Rebuilds lost RTP packets from Reed-Solomon parity packets", "Holdfast");
}

static void
gst_hf_fec_dec_init (GstHfFecDec * self)
{
  g_mutex_init (&self->lock);
  self->pt = HF_FEC_PT;
  self->dec = hf_fec_decoder_new (gst_hf_fec_dec_on_recovered, self);
  self->sinkpad = gst_pad_new_from_static_template (&hf_fec_sink_template,
      "sink");
  gst_pad_set_chain_function (self->sinkpad, gst_hf_fec_dec_chain);
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template (&hf_fec_src_template, "src");
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
}

/**
 * hf_fec_register_elements:
 *
 * Registers "hffecenc" and "hffecdec" (see hf-fec.h).  Any thread, after
 * gst_init ().  Returns: TRUE when both are registered.
 */
gboolean
hf_fec_register_elements (void)
{
  gboolean ok = TRUE;

  GST_DEBUG_CATEGORY_INIT (gst_hf_fec_debug, "hf-fec-element", 0,
      "Holdfast FEC elements");
  ok &= gst_element_register (NULL, "hffecenc", GST_RANK_NONE,
      GST_TYPE_HF_FEC_ENC);
  ok &= gst_element_register (NULL, "hffecdec", GST_RANK_NONE,
      GST_TYPE_HF_FEC_DEC);
  return ok;
}
