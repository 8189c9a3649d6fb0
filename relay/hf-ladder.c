/* The rendition ladder of a stream (`ladder = 2500k,1200k,500k`).
 *
 * The program's video is decoded once and encoded once per rung, with
 * identical GOP settings on every encoder (a fixed key-int-max, no
 * scene-cut keyframes, no B-frames), so that every rung has its keyframes
 * at the same frames; each rung is muxed with the program's audio
 * (passed through) into its own MPEG-TS.  The branches live inside the
 * program pipeline, fed by tees after the program's appsrcs:
 *
 *   video ! tee ! (program mux)
 *           tee ! queue ! avdec_h264 ! queue(leaky) ! tee ! [per rung]
 *     queue ! x264enc ! h264parse ! mux_r ! appsink_r
 *   audio ! tee ! (program mux)
 *           tee ! [per rung] queue ! mux_r
 *
 * A late decoder drops raw frames before the rungs' tee, never one rung's
 * frame alone: the rungs stay frame-aligned.
 *
 * An output changes rung only at keyframes (HfRungGate): the old rung up
 * to just before its keyframe, then the new one from its keyframe (the
 * same frame: the keyframes are matched by their PES PTS, which every
 * rung's mux derives from the same raw frames) on, and nothing of the new
 * rung before it.  Whichever rung's thread picks the request up, and
 * whichever rung runs ahead, every frame goes out once.
 *
 * Threads: hf_ladder_build () on the thread that builds the program (an
 * input's streaming thread, program_lock held); the rung callback on each
 * rung's appsink streaming thread; the gate's filter on those threads
 * under the caller's lock, its request from any thread.
 */
#include "relay/relay-private.h"
#include "relay/hf-tsgop.h"

#include <gst/app/gstappsink.h>

GST_DEBUG_CATEGORY_STATIC (hf_ladder_debug);
#define GST_CAT_DEFAULT hf_ladder_debug

/* Every rung's GOP, in frames: short enough to switch within about a
 * second at 30 frames per second. */
#define HF_LADDER_KEY_INT 30

/* PTS are 33-bit, 90 kHz.  Rungs' PTS of one frame are equal; the slack
 * only absorbs rounding (a frame at 60 fps is 1500 ticks). */
#define HF_PTS_WRAP (G_GINT64_CONSTANT (1) << 33)
#define HF_RUNG_GATE_PTS_SLACK 700

void
hf_rung_gate_init (HfRungGate * g, guint rung)
{
  g->current = rung;
  g->want = -1;
  g->switches = 0;
  g->forced = 0;
  g->target = -1;
  g->old_closed = FALSE;
  g->new_started = FALSE;
  g->held = g_byte_array_new ();
  g->close_pts = -1;
  g->new_last_pts = -1;
  g->old_held = g_byte_array_new ();
}

void
hf_rung_gate_clear (HfRungGate * g)
{
  if (g->held)
    g_byte_array_unref (g->held);
  g->held = NULL;
  if (g->old_held)
    g_byte_array_unref (g->old_held);
  g->old_held = NULL;
}

void
hf_rung_gate_request (HfRungGate * g, guint rung)
{
  g_atomic_int_set (&g->want, (gint) rung);
}

guint
hf_rung_gate_pending (HfRungGate * g)
{
  gint want = g_atomic_int_get (&g->want);

  return want < 0 ? g->current : (guint) want;
}

/* The PTS of the PES that starts in @pkt, or -1 (no PES start, no PTS, or
 * a header that does not fit the packet). */
static gint64
hf_rung_gate_pes_pts (const guint8 * pkt)
{
  gsize off = 4;
  const guint8 *p;

  if (pkt[0] != 0x47 || !(pkt[1] & 0x40) || !(pkt[3] & 0x10))
    return -1;
  if (pkt[3] & 0x20)
    off += 1 + (gsize) pkt[4];
  if (off + 14 > HF_TS_PACKET)
    return -1;
  p = pkt + off;
  /* 00 00 01 stream_id len(2) flags(2) header_len, then the PTS. */
  if (p[0] != 0 || p[1] != 0 || p[2] != 1 || !(p[7] & 0x80) || p[8] < 5)
    return -1;
  return ((gint64) (p[9] & 0x0e) << 29) | ((gint64) p[10] << 22) |
      ((gint64) (p[11] & 0xfe) << 14) | ((gint64) p[12] << 7) |
      ((gint64) p[13] >> 1);
}

/* @a - @b across the 33-bit wrap. */
static gint64
hf_rung_gate_pts_diff (gint64 a, gint64 b)
{
  gint64 d = (a - b) & (HF_PTS_WRAP - 1);

  return d >= HF_PTS_WRAP / 2 ? d - HF_PTS_WRAP : d;
}

/* The same frame, or no way to tell (a PTS unknown: then any keyframe
 * matches, as before PTS were read). */
static gboolean
hf_rung_gate_same_pts (gint64 a, gint64 b)
{
  gint64 d;

  if (a < 0 || b < 0)
    return TRUE;
  d = hf_rung_gate_pts_diff (a, b);
  return d >= -HF_RUNG_GATE_PTS_SLACK && d <= HF_RUNG_GATE_PTS_SLACK;
}

/* Offset of the first packet at or after @from in @data that starts a
 * keyframe, or -1; *@pts: that keyframe's PTS (-1 unknown). */
static gssize
hf_rung_gate_find_key (const guint8 * data, gsize size, gsize from,
    gint video_pid, gint64 * pts)
{
  gsize i;

  for (i = from; i + HF_TS_PACKET <= size; i += HF_TS_PACKET)
    if (hf_ts_packet_is_keyframe_start (data + i, video_pid)) {
      *pts = hf_rung_gate_pes_pts (data + i);
      return i;
    }
  *pts = -1;
  return -1;
}

/* Notes the new rung's latest video PTS in @data. */
static void
hf_rung_gate_track_new (HfRungGate * g, const guint8 * data, gsize size,
    gint video_pid)
{
  gsize i;

  if (video_pid < 0)
    return;
  for (i = 0; i + HF_TS_PACKET <= size; i += HF_TS_PACKET) {
    const guint8 *pkt = data + i;
    gint64 pts;

    if (pkt[0] != 0x47 || !(pkt[1] & 0x40) ||
        (((pkt[1] & 0x1f) << 8) | pkt[2]) != video_pid)
      continue;
    pts = hf_rung_gate_pes_pts (pkt);
    if (pts >= 0)
      g->new_last_pts = pts;
  }
}

/* Has the new rung come to (or gone past) PTS @pts?  FALSE when unknown. */
static gboolean
hf_rung_gate_new_reached (HfRungGate * g, gint64 pts)
{
  return g->new_last_pts >= 0 && pts >= 0 &&
      hf_rung_gate_pts_diff (g->new_last_pts, pts) >= -HF_RUNG_GATE_PTS_SLACK;
}

/* The new rung is on: what was held of it goes first. */
static void
hf_rung_gate_finish (HfRungGate * g, HfRungGateEmit emit, gpointer user_data)
{
  GST_DEBUG ("rung %u -> %d at a keyframe (%u bytes held)", g->current,
      g->target, g->held->len);
  g->current = g->target;
  g->switches++;
  g->target = -1;
  g->old_closed = FALSE;
  g->new_started = FALSE;
  g_atomic_int_compare_and_exchange (&g->want, (gint) g->current, -1);
  g_byte_array_set_size (g->old_held, 0);
  if (g->held->len > 0)
    emit (g->held->data, g->held->len, TRUE, user_data);
  g_byte_array_set_size (g->held, 0);
}

/* The new rung's keyframe P went by before the switch began: the old
 * rung goes on from P (what was held of it first); the switch waits for
 * the next keyframe. */
static void
hf_rung_gate_reopen (HfRungGate * g, HfRungGateEmit emit, gpointer user_data)
{
  GST_DEBUG ("rung %d is past the keyframe rung %u stopped at: rung %u goes "
      "on to its next keyframe", g->target, g->current, g->current);
  g->old_closed = FALSE;
  g->close_pts = -1;
  if (g->old_held->len > 0)
    emit (g->old_held->data, g->old_held->len, FALSE, user_data);
  g_byte_array_set_size (g->old_held, 0);
}

/* Offset in g->held of the new rung's keyframe with PTS @pts, or -1. */
static gssize
hf_rung_gate_held_key (HfRungGate * g, gint64 pts, gint video_pid)
{
  gsize from = 0;
  gssize k;
  gint64 q;

  while ((k = hf_rung_gate_find_key (g->held->data, g->held->len, from,
              video_pid, &q)) >= 0) {
    if (hf_rung_gate_same_pts (q, pts))
      return k;
    from = k + HF_TS_PACKET;
  }
  return -1;
}

/* Data of the old rung during a switch. */
static void
hf_rung_gate_old (HfRungGate * g, const guint8 * data, gsize size,
    gint video_pid, HfRungGateEmit emit, gpointer user_data)
{
  gsize from = 0;
  gssize k, m;
  gint64 p;

  if (g->old_closed) {
    /* Waiting to see whether the new rung has its keyframe P. */
    g_byte_array_append (g->old_held, data, size);
    if (g->old_held->len > HF_RUNG_GATE_MAX_HELD) {
      GST_WARNING ("rung %d shows nothing at rung %u's keyframe: rung %u "
          "goes on", g->target, g->current, g->current);
      hf_rung_gate_reopen (g, emit, user_data);
    }
    return;
  }
  while ((k = hf_rung_gate_find_key (data, size, from, video_pid, &p)) >= 0) {
    m = g->new_started ? hf_rung_gate_held_key (g, p, video_pid) : -1;
    if (m >= 0) {
      /* The new rung's keyframe P came first: the old ends here. */
      if (k > 0)
        emit (data, k, FALSE, user_data);
      g_byte_array_remove_range (g->held, 0, m);
      hf_rung_gate_finish (g, emit, user_data);
      return;
    }
    if (hf_rung_gate_new_reached (g, p)) {
      /* The new rung is past P without its keyframe P held: this
       * keyframe cannot be the switch; try the next. */
      from = k + HF_TS_PACKET;
      continue;
    }
    /* The new rung has not come to P yet: the old ends here, its rest is
     * kept until the new rung shows where it is; the new rung's data
     * before P is of no use. */
    if (k > 0)
      emit (data, k, FALSE, user_data);
    g->old_closed = TRUE;
    g->close_pts = p;
    g->new_started = FALSE;
    g_byte_array_set_size (g->held, 0);
    g_byte_array_append (g->old_held, data + k, size - k);
    return;
  }
  emit (data, size, FALSE, user_data);
}

/* Data of the new rung during a switch. */
static void
hf_rung_gate_new (HfRungGate * g, const guint8 * data, gsize size,
    gint video_pid, HfRungGateEmit emit, gpointer user_data)
{
  gsize from = 0;
  gssize k;
  gint64 q;

  if (g->old_closed) {
    /* The old rung stopped at its keyframe P: find the new one's P. */
    while ((k = hf_rung_gate_find_key (data, size, from, video_pid,
                &q)) >= 0) {
      if (hf_rung_gate_same_pts (q, g->close_pts)) {
        g_byte_array_append (g->held, data + k, size - k);
        hf_rung_gate_finish (g, emit, user_data);
        return;
      }
      if (hf_rung_gate_pts_diff (q, g->close_pts) > 0)
        break;                  /* past P: P went by before the switch */
      from = k + HF_TS_PACKET;  /* before P: older than the old rung */
    }
    hf_rung_gate_track_new (g, data, size, video_pid);
    if (k < 0 && !(g->close_pts >= 0 && g->new_last_pts >= 0 &&
            hf_rung_gate_pts_diff (g->new_last_pts, g->close_pts) >
            HF_RUNG_GATE_PTS_SLACK))
      return;                   /* still before P (or unknown): no use */
    hf_rung_gate_reopen (g, emit, user_data);
    if (k < 0)
      return;
    /* Its later keyframe is where the switch can happen now. */
    g->new_started = TRUE;
    g_byte_array_append (g->held, data + k, size - k);
    return;
  }

  hf_rung_gate_track_new (g, data, size, video_pid);
  if (!g->new_started) {
    k = hf_rung_gate_find_key (data, size, 0, video_pid, &q);
    if (k < 0)
      return;
    g->new_started = TRUE;
    data += k;
    size -= k;
  }
  g_byte_array_append (g->held, data, size);
  if (g->held->len > HF_RUNG_GATE_MAX_HELD) {
    /* The old rung's keyframe never came (its encoder stalled?): cut it. */
    GST_WARNING ("rung %u ended without its keyframe: switching to %d "
        "anyway", g->current, g->target);
    g->forced++;
    hf_rung_gate_finish (g, emit, user_data);
  }
}

void
hf_rung_gate_filter (HfRungGate * g, guint rung, const guint8 * data,
    gsize size, gint video_pid, HfRungGateEmit emit, gpointer user_data)
{
  gint want = g_atomic_int_get (&g->want);

  if (want >= 0 && g->target < 0) {
    if ((guint) want == g->current) {
      g_atomic_int_compare_and_exchange (&g->want, want, -1);
    } else {
      g->target = want;
      g->old_closed = FALSE;
      g->new_started = FALSE;
      g->close_pts = -1;
      g->new_last_pts = -1;
      g_byte_array_set_size (g->held, 0);
      g_byte_array_set_size (g->old_held, 0);
    }
  } else if (want >= 0 && want != g->target && !g->old_closed &&
      !g->new_started) {
    /* Asked for another rung before anything of the switch happened. */
    g->new_last_pts = -1;
    if ((guint) want == g->current) {
      g->target = -1;
      g_atomic_int_compare_and_exchange (&g->want, want, -1);
    } else {
      g->target = want;
    }
  }

  if (g->target < 0) {
    if (rung == g->current)
      emit (data, size, FALSE, user_data);
    return;
  }
  if (rung == g->current)
    hf_rung_gate_old (g, data, size, video_pid, emit, user_data);
  else if (rung == (guint) g->target)
    hf_rung_gate_new (g, data, size, video_pid, emit, user_data);
}

/* ---- The encoding branches ---------------------------------------------- */

struct _HfLadder
{
  guint n_rungs;
  HfLadderTsFunc func;
  gpointer user_data;
  guint index[HF_LADDER_MAX_RUNGS];     /* the appsinks' user data */
};

static GstFlowReturn
hf_ladder_on_sample (GstAppSink * sink, gpointer user_data)
{
  guint *index = user_data;
  HfLadder *ladder = g_object_get_data (G_OBJECT (sink), "hf-ladder");
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buf;
  GstMapInfo map;

  if (!sample)
    return GST_FLOW_FLUSHING;
  buf = gst_sample_get_buffer (sample);
  if (buf && gst_buffer_map (buf, &map, GST_MAP_READ)) {
    ladder->func (*index, map.data, map.size, ladder->user_data);
    gst_buffer_unmap (buf, &map);
  }
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

static GstElement *
hf_ladder_make (GstBin * bin, const gchar * factory, const gchar * name,
    GError ** error)
{
  GstElement *e = gst_element_factory_make (factory, name);

  if (!e) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "the rendition ladder needs the %s element (is its GStreamer "
        "plugin installed?)", factory);
    return NULL;
  }
  gst_bin_add (bin, e);
  return e;
}

static GstElement *
hf_ladder_queue (GstBin * bin, const gchar * name, gboolean leaky,
    guint max_buffers)
{
  GstElement *q = gst_element_factory_make ("queue", name);

  g_object_set (q, "max-size-buffers", max_buffers, "max-size-bytes", 0,
      "max-size-time", (guint64) 0, NULL);
  if (leaky)
    g_object_set (q, "leaky", 2 /* downstream: drop the oldest */ , NULL);
  gst_bin_add (bin, q);
  return q;
}

HfLadder *
hf_ladder_build (GstBin * program, GstElement * vtee, GstElement * atee,
    const guint64 * ladder_bps, guint n_rungs, HfLadderTsFunc func,
    gpointer user_data, GError ** error)
{
  HfLadder *ladder;
  GstElement *q, *dec, *dq, *dtee;
  guint r;

  if (!hf_ladder_debug)
    GST_DEBUG_CATEGORY_INIT (hf_ladder_debug, "hf-ladder", 0,
        "Holdfast rendition ladder");
  g_return_val_if_fail (n_rungs >= 1 && n_rungs <= HF_LADDER_MAX_RUNGS, NULL);

  q = hf_ladder_queue (program, "ladder-in", TRUE, 120);
  dec = hf_ladder_make (program, "avdec_h264", "ladder-dec", error);
  if (!dec)
    return NULL;
  /* One decoding thread: no frame waits in the decoder for the next one. */
  g_object_set (dec, "max-threads", 1, NULL);
  dq = hf_ladder_queue (program, "ladder-raw", TRUE, 3);
  dtee = hf_ladder_make (program, "tee", "ladder-tee", error);
  if (!dtee)
    return NULL;
  if (!gst_element_link_many (vtee, q, dec, dq, dtee, NULL)) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "cannot link the ladder's decoder");
    return NULL;
  }

  ladder = g_new0 (HfLadder, 1);
  ladder->n_rungs = n_rungs;
  ladder->func = func;
  ladder->user_data = user_data;
  for (r = 0; r < n_rungs; r++) {
    g_autofree gchar *qn = g_strdup_printf ("rung%u-queue", r);
    g_autofree gchar *en = g_strdup_printf ("rung%u-enc", r);
    g_autofree gchar *pn = g_strdup_printf ("rung%u-parse", r);
    g_autofree gchar *mn = g_strdup_printf ("rung%u-mux", r);
    g_autofree gchar *sn = g_strdup_printf ("rung%u-ts", r);
    GstElement *rq, *enc, *parse, *mux, *sink;
    GstAppSinkCallbacks cb = { 0 };

    ladder->index[r] = r;
    rq = hf_ladder_queue (program, qn, FALSE, 3);
    enc = hf_ladder_make (program, "x264enc", en, error);
    parse = enc ? hf_ladder_make (program, "h264parse", pn, error) : NULL;
    mux = hf_program_mux_new (mn);
    sink = gst_element_factory_make ("appsink", sn);
    if (!enc || !parse || !mux || !sink) {
      if (!mux || !sink)
        g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
            "the rendition ladder needs mpegtsmux and appsink");
      if (mux)
        gst_object_unref (gst_object_ref_sink (mux));
      if (sink)
        gst_object_unref (gst_object_ref_sink (sink));
      goto fail;
    }
    gst_bin_add_many (program, mux, sink, NULL);
    /* Identical GOPs on every rung: keyframes at the same frames. */
    gst_util_set_object_arg (G_OBJECT (enc), "speed-preset", "ultrafast");
    gst_util_set_object_arg (G_OBJECT (enc), "tune", "zerolatency");
    g_object_set (enc, "bitrate", (guint) (ladder_bps[r] / 1000),
        "key-int-max", (guint) HF_LADDER_KEY_INT, "bframes", 0,
        "threads", 1, "option-string", "scenecut=0:keyint-min="
        G_STRINGIFY (HF_LADDER_KEY_INT), NULL);
    /* SPS/PPS before every keyframe: a viewer switched in there decodes. */
    g_object_set (parse, "config-interval", -1, NULL);
    g_object_set (mux, "alignment", 0, "latency", (guint64) 100 * GST_MSECOND,
        NULL);
    g_object_set (sink, "sync", FALSE, "async", FALSE, "max-buffers", 0,
        "enable-last-sample", FALSE, NULL);
    g_object_set_data (G_OBJECT (sink), "hf-ladder", ladder);
    cb.new_sample = hf_ladder_on_sample;
    gst_app_sink_set_callbacks (GST_APP_SINK (sink), &cb, &ladder->index[r],
        NULL);
    if (!gst_element_link_many (dtee, rq, enc, parse, mux, sink, NULL)) {
      g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
          "cannot link rung %u of the ladder", r);
      goto fail;
    }
    if (atee) {
      g_autofree gchar *an = g_strdup_printf ("rung%u-audio", r);
      GstElement *aq = hf_ladder_queue (program, an, FALSE, 200);

      if (!gst_element_link_many (atee, aq, mux, NULL)) {
        g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
            "cannot link the audio of rung %u of the ladder", r);
        goto fail;
      }
    }
    GST_INFO ("rung %u: %" G_GUINT64_FORMAT " bit/s", r, ladder_bps[r]);
  }
  return ladder;

fail:
  g_free (ladder);
  return NULL;
}

void
hf_ladder_free (HfLadder * ladder)
{
  g_free (ladder);
}
