/* Stream outputs (see relay-private.h).
 *
 * SRT outputs are handled by hf-srt.c (our libsrt wrapper).  An RTP output
 * is a small pipeline, appsrc ! hfrtpsink, fed with RTP packets we make
 * here so that SSRC and sequence numbers stay continuous for the life of
 * the output whatever happens upstream; hfrtpsink (abr/) reads the
 * receiver's RTCP feedback and repairs the link with RTX and FEC as the
 * output's URL asks.
 *
 * Why not rtpmp2tpay: it holds each buffer until the next one arrives (it
 * flushes a packet only when the next would overflow it), so the last
 * packet of every burst the program hands over left one burst late (20-70
 * ms measured) with its old timestamp, which the edge's rate controller
 * took for a queue building up.  Here every packet leaves at once,
 * stamped with the time it leaves.
 *
 * With a rendition ladder, each output sends one rung at a time: a
 * rung-choice controller (abr/hf-rung.c) reads the output's link figures
 * once a tick (RTP: receiver reports and REMB from hfrtpsink; SRT:
 * libsrt's statistics) and asks the output's gate for another rung, which
 * it takes at that rung's next keyframe.  RTP feedback with no new RTCP
 * for HF_OUTPUT_FEEDBACK_STALE_US is unknown, not the last figures again.
 *
 * Threads: new/free/tick/stats on the control thread; send on the
 * program's streaming thread, or (ladder) on the rungs' streaming threads
 * under the stream's ladder fan-out lock: one sender at a time.
 */
#include "relay/relay-private.h"
#include "relay/hf-srt.h"
#include "relay/hf-tsgop.h"
#include "abr/hf-abr.h"

#include <gst/app/gstappsrc.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <string.h>

/* 7 TS packets per RTP packet, as SRT and ffmpeg's rtp_mpegts send them. */
#define HF_OUTPUT_RTP_PAYLOAD (7 * 188)

/* The config's limit and the rung controller's are one. */
G_STATIC_ASSERT (HF_LADDER_MAX_RUNGS == HF_RUNG_MAX_RUNGS);

GST_DEBUG_CATEGORY_STATIC (hf_output_debug);
#define GST_CAT_DEFAULT hf_output_debug

struct _HfOutput
{
  HfOutputSpec spec;
  gchar *name;
  HfSrtOutput *srt;
  GstElement *pipeline;         /* RTP */
  GstElement *appsrc;
  GstElement *rtpsink;          /* hfrtpsink, or NULL (plain udpsink) */
  gint rtp_started;             /* atomic: first keyframe seen */
  guint64 rtp_bytes;            /* atomic-ish: program thread writes */
  guint64 rtp_packets;
  /* The RTP packets' header fields (sender's thread). */
  guint32 rtp_ssrc;
  guint16 rtp_seq;
  guint32 rtp_ts_base;

  /* Ladder: the rung choice (control thread) and the gate (senders). */
  HfRung *rung;                 /* NULL: no ladder */
  HfRungGate gate;
  /* Each rung's PAT and PMT as last seen (senders, under the ladder lock):
   * a switch finished on the old rung's thread sends the new rung's. */
  guint8 rung_psi[HF_LADDER_MAX_RUNGS][2 * HF_TS_PACKET];
  gsize rung_psi_size[HF_LADDER_MAX_RUNGS];
  /* RTP feedback freshness (control thread): hfrtpsink keeps the last
   * RR/REMB figures; an unchanged feedback-packets count means none new. */
  guint64 feedback_packets;
  gint64 feedback_changed_us;   /* -1: never */
};

/* RR/REMB figures with no new feedback for longer are unknown. */
#define HF_OUTPUT_FEEDBACK_STALE_US (2 * G_USEC_PER_SEC)

/* RTP output: appsrc ! hfrtpsink (or udpsink when hfrtpsink is not
 * registered: no feedback, no repair). */
static gboolean
hf_output_build_rtp (HfOutput * out, const HfOutputSpec * spec, GError ** error)
{
  GstElementFactory *f = gst_element_factory_find ("hfrtpsink");
  g_autofree gchar *sink = NULL;
  g_autofree gchar *desc = NULL;

  if (f) {
    g_autofree gchar *fec = spec->fec_mode == HF_FEC_FIXED ?
        g_strdup_printf ("%d", spec->fec_percent) :
        g_strdup (spec->fec_mode == HF_FEC_AUTO ? "auto" : "off");

    gst_object_unref (f);
    sink = g_strdup_printf ("hfrtpsink name=rtpsink host=%s port=%u "
        "rtx=%s fec-mode=%s sync=false", spec->host, spec->port,
        spec->rtx ? "true" : "false", fec);
  } else {
    if (spec->rtx || spec->fec_mode != HF_FEC_OFF) {
      g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
          "%s: fec/rtx need the hfrtpsink element, which is not registered",
          spec->url);
      return FALSE;
    }
    GST_WARNING ("hfrtpsink not registered: %s sends without feedback",
        spec->url);
    sink = g_strdup_printf ("udpsink host=%s port=%u sync=false async=false",
        spec->host, spec->port);
  }
  out->rtp_ssrc = g_random_int ();
  out->rtp_seq = (guint16) g_random_int ();
  out->rtp_ts_base = g_random_int ();
  desc = g_strdup_printf ("appsrc name=src is-live=true format=time "
      "do-timestamp=true block=false max-bytes=8000000 "
      "caps=\"application/x-rtp,media=video,clock-rate=90000,"
      "encoding-name=MP2T,payload=33\" ! %s", sink);

  out->pipeline = gst_parse_launch (desc, error);
  if (!out->pipeline)
    return FALSE;
  out->appsrc = gst_bin_get_by_name (GST_BIN (out->pipeline), "src");
  out->rtpsink = gst_bin_get_by_name (GST_BIN (out->pipeline), "rtpsink");
  if (gst_element_set_state (out->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
        "cannot start the RTP output to %s:%u", spec->host, spec->port);
    return FALSE;
  }
  return TRUE;
}

HfOutput *
hf_output_new (const HfOutputSpec * spec, const gchar * name, GError ** error)
{
  HfOutput *out = g_new0 (HfOutput, 1);

  if (!hf_output_debug)
    GST_DEBUG_CATEGORY_INIT (hf_output_debug, "hf-output", 0,
        "Holdfast outputs");
  out->spec = *spec;
  out->spec.url = g_strdup (spec->url);
  out->spec.host = g_strdup (spec->host);
  out->spec.passphrase = g_strdup (spec->passphrase);
  out->spec.streamid = g_strdup (spec->streamid);
  out->name = g_strdup (name);
  hf_rung_gate_init (&out->gate, 0);

  switch (spec->kind) {
    case HF_OUTPUT_SRT_LISTENER:
      out->srt = hf_srt_output_new_listener (spec->host, spec->port,
          spec->latency_ms, spec->passphrase, error);
      if (!out->srt)
        goto fail;
      break;
    case HF_OUTPUT_SRT_CALLER:
      out->srt = hf_srt_output_new_caller (spec->host, spec->port,
          spec->latency_ms, spec->passphrase, spec->streamid, error);
      if (!out->srt)
        goto fail;
      break;
    case HF_OUTPUT_RTP:
      if (!hf_output_build_rtp (out, spec, error))
        goto fail;
      break;
  }
  return out;

fail:
  hf_output_free (out);
  return NULL;
}

void
hf_output_free (HfOutput * out)
{
  if (!out)
    return;
  if (out->srt)
    hf_srt_output_free (out->srt);
  if (out->pipeline) {
    gst_element_set_state (out->pipeline, GST_STATE_NULL);
    if (out->appsrc)
      gst_object_unref (out->appsrc);
    if (out->rtpsink)
      gst_object_unref (out->rtpsink);
    gst_object_unref (out->pipeline);
  }
  if (out->rung)
    hf_rung_free (out->rung);
  hf_rung_gate_clear (&out->gate);
  hf_output_spec_clear (&out->spec);
  g_free (out->name);
  g_free (out);
}

void
hf_output_set_ladder (HfOutput * out, const guint64 * ladder_bps,
    guint n_rungs, gint64 now_us)
{
  g_return_if_fail (out->rung == NULL);
  out->rung = hf_rung_new (ladder_bps, n_rungs, now_us);
  /* RTP: the loss reported is before FEC/RTX repair, and the estimate is
   * the receiver's REMB, which probes at most 1.5 x what it receives. */
  if (out->spec.kind == HF_OUTPUT_RTP)
    hf_rung_set_link (out->rung, out->spec.rtx ||
        out->spec.fec_mode != HF_FEC_OFF, TRUE);
  out->feedback_changed_us = -1;
}

gboolean
hf_output_wants_gop (HfOutput * out)
{
  if (out->srt)
    return hf_srt_output_wants_gop (out->srt);
  return !g_atomic_int_get (&out->rtp_started);
}

/* Sends @data (whole TS packets) as RTP/MPEG-TS, up to 7 TS packets per
 * RTP packet, each stamped (90 kHz) with the time it is sent: RFC 2250
 * leaves the timestamp to the sender, and the send time is what the
 * receiver's jitter and delay figures are measured against. */
static void
hf_output_push_rtp (HfOutput * out, const guint8 * data, gsize size)
{
  guint32 ts = out->rtp_ts_base +
      (guint32) (g_get_monotonic_time () * 9 / 100);
  gsize off;

  out->rtp_bytes += size;
  for (off = 0; off < size; off += HF_OUTPUT_RTP_PAYLOAD) {
    gsize len = MIN (size - off, HF_OUTPUT_RTP_PAYLOAD);
    GstBuffer *buf = gst_rtp_buffer_new_allocate (len, 0, 0);
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

    gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp);
    gst_rtp_buffer_set_payload_type (&rtp, 33);
    gst_rtp_buffer_set_seq (&rtp, out->rtp_seq++);
    gst_rtp_buffer_set_timestamp (&rtp, ts);
    gst_rtp_buffer_set_ssrc (&rtp, out->rtp_ssrc);
    memcpy (gst_rtp_buffer_get_payload (&rtp), data + off, len);
    gst_rtp_buffer_unmap (&rtp);
    out->rtp_packets++;
    gst_app_src_push_buffer (GST_APP_SRC (out->appsrc), buf);
  }
}

void
hf_output_send (HfOutput * out, const guint8 * data, gsize size, GBytes * gop)
{
  if (out->srt) {
    hf_srt_output_send (out->srt, data, size, gop);
    return;
  }
  if (!g_atomic_int_get (&out->rtp_started)) {
    if (!gop)
      return;
    g_atomic_int_set (&out->rtp_started, 1);
    hf_output_push_rtp (out, g_bytes_get_data (gop, NULL),
        g_bytes_get_size (gop));
  }
  hf_output_push_rtp (out, data, size);
}

guint
hf_output_get_rung (HfOutput * out)
{
  return out->gate.current;
}

typedef struct
{
  HfOutput *out;
  GBytes *gop;
  const guint8 *psi;
  gsize psi_size;
  guint rung;
} HfOutputRungSend;

/* What the gate lets through (sender's thread). */
static void
hf_output_rung_emit (const guint8 * data, gsize size, gboolean first,
    gpointer user_data)
{
  HfOutputRungSend *rs = user_data;
  HfOutput *out = rs->out;

  if (!first) {
    /* Joiners get the cache of the rung this buffer belongs to, and only
     * when it is the output's rung throughout. */
    hf_output_send (out, data, size, rs->rung == out->gate.current &&
        out->gate.target < 0 ? rs->gop : NULL);
    return;
  }
  /* The new rung (now gate.current) from its keyframe on, its tables
   * first: this may run on the old rung's thread.  Joiners wait for the
   * next buffer. */
  GST_INFO ("output %s: now rung %u (switch %" G_GUINT64_FORMAT ")",
      out->name, out->gate.current, out->gate.switches);
  if (out->gate.current < HF_LADDER_MAX_RUNGS &&
      out->rung_psi_size[out->gate.current] > 0) {
    gsize psi_size = out->rung_psi_size[out->gate.current];
    g_autofree guint8 *joined = g_malloc (psi_size + size);

    memcpy (joined, out->rung_psi[out->gate.current], psi_size);
    memcpy (joined + psi_size, data, size);
    hf_output_send (out, joined, psi_size + size, NULL);
  } else {
    hf_output_send (out, data, size, NULL);
  }
}

void
hf_output_send_rung (HfOutput * out, guint rung, const guint8 * data,
    gsize size, GBytes * gop, const guint8 * psi, gsize psi_size,
    gint video_pid)
{
  HfOutputRungSend rs = { out, gop, psi, psi_size, rung };

  if (rung < HF_LADDER_MAX_RUNGS && psi && psi_size > 0 &&
      psi_size <= sizeof (out->rung_psi[rung])) {
    memcpy (out->rung_psi[rung], psi, psi_size);
    out->rung_psi_size[rung] = psi_size;
  }

  hf_rung_gate_filter (&out->gate, rung, data, size, video_pid,
      hf_output_rung_emit, &rs);
}

/* (transfer full) hfrtpsink's "stats", or NULL. */
static GstStructure *
hf_output_rtp_stats (HfOutput * out)
{
  GstStructure *st = NULL;

  if (!out->rtpsink ||
      !g_object_class_find_property (G_OBJECT_GET_CLASS (out->rtpsink),
          "stats"))
    return NULL;
  g_object_get (out->rtpsink, "stats", &st, NULL);
  return st;
}

static guint64
hf_output_stat_u64 (const GstStructure * st, const gchar * field)
{
  guint64 v = 0;

  if (st && !gst_structure_get_uint64 (st, field, &v))
    v = 0;
  return v;
}

static gdouble
hf_output_stat_double (const GstStructure * st, const gchar * field)
{
  gdouble v = 0;

  if (st && !gst_structure_get_double (st, field, &v))
    v = 0;
  return v;
}

const gchar *
hf_output_get_name (HfOutput * out)
{
  return out->name;
}

gboolean
hf_output_tick (HfOutput * out, gint64 now_us, guint * from, guint * to,
    const gchar ** reason)
{
  HfRungReport rep = { -1, 0, -1, -1 };
  const gchar *why = NULL;
  guint before;

  if (!out->rung)
    return FALSE;
  before = hf_rung_get (out->rung);
  hf_rung_applied (out->rung, out->gate.current, now_us);
  if (out->srt) {
    HfSrtLinkSample ls;

    hf_srt_output_sample_link (out->srt, &ls);
    if (ls.connections == 0)
      return FALSE;
    rep.loss_ratio = ls.loss_ratio;
    rep.send_buffer_ms = ls.send_buffer_ms;
    rep.estimate_bps = ls.bandwidth_bps;
    rep.rtt_ms = ls.rtt_ms;
  } else {
    GstStructure *st = hf_output_rtp_stats (out);
    guint64 remb, tmmbr, fb;

    if (!st)
      return FALSE;
    fb = hf_output_stat_u64 (st, "feedback-packets");
    if (fb != out->feedback_packets) {
      out->feedback_packets = fb;
      out->feedback_changed_us = now_us;
    }
    /* No feedback lately: what hfrtpsink still shows is old news. */
    if (out->feedback_changed_us >= 0 &&
        now_us - out->feedback_changed_us <= HF_OUTPUT_FEEDBACK_STALE_US) {
      rep.loss_ratio = hf_output_stat_double (st, "rr-fraction-lost");
      remb = hf_output_stat_u64 (st, "remb-bps");
      tmmbr = hf_output_stat_u64 (st, "tmmbr-bps");
      rep.estimate_bps = remb && tmmbr ? MIN (remb, tmmbr) :
          MAX (remb, tmmbr);
    }
    gst_structure_free (st);
  }
  GST_LOG ("output %s: loss %.3f, estimate %" G_GUINT64_FORMAT
      ", send buffer %.0f ms", out->name, rep.loss_ratio, rep.estimate_bps,
      rep.send_buffer_ms);
  if (hf_rung_update (out->rung, &rep, now_us, &why)) {
    guint r = hf_rung_get (out->rung);

    GST_INFO ("output %s: rung %u (%" G_GUINT64_FORMAT " bit/s) wanted: %s "
        "(loss %.3f, estimate %" G_GUINT64_FORMAT ", send buffer %.0f ms)",
        out->name, r, hf_rung_get_bitrate (out->rung, r), why,
        rep.loss_ratio, rep.estimate_bps, rep.send_buffer_ms);
    hf_rung_gate_request (&out->gate, r);
    *from = before;
    *to = r;
    *reason = why;
    return TRUE;
  }
  return FALSE;
}

static void
hf_output_json_int (JsonBuilder * b, const gchar * name, gint64 v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, v);
}

void
hf_output_add_json (HfOutput * out, JsonBuilder * b)
{
  HfOutputFigures f;

  hf_output_get_figures (out, &f);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, out->name);
  json_builder_set_member_name (b, "url");
  json_builder_add_string_value (b, out->spec.url);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, hf_output_kind_to_string (out->spec.kind));
  if (out->srt) {
    HfSrtStats st;

    hf_srt_output_get_stats (out->srt, &st);
    hf_output_json_int (b, "viewers", st.viewers);
    hf_output_json_int (b, "connections_total", st.connections);
    hf_output_json_int (b, "bytes_sent", st.bytes_sent);
    hf_output_json_int (b, "packets_sent", st.packets_sent);
    hf_output_json_int (b, "dropped_packets", st.dropped_packets);
    hf_output_json_int (b, "dropped_viewers", st.dropped_peers);
    hf_output_json_int (b, "gop_replays", st.gop_replays);
    hf_output_json_int (b, "gop_bytes_replayed", st.gop_bytes_replayed);
  } else {
    GstStructure *st = hf_output_rtp_stats (out);

    hf_output_json_int (b, "viewers", g_atomic_int_get (&out->rtp_started));
    hf_output_json_int (b, "bytes_sent", out->rtp_bytes);
    hf_output_json_int (b, "packets_sent", out->rtp_packets);
    hf_output_json_int (b, "dropped_packets", 0);
    /* Repair and feedback, as hfrtpsink counts them. */
    json_builder_set_member_name (b, "fec");
    if (out->spec.fec_mode == HF_FEC_FIXED) {
      g_autofree gchar *pct = g_strdup_printf ("%d", out->spec.fec_percent);

      json_builder_add_string_value (b, pct);
    } else {
      json_builder_add_string_value (b,
          out->spec.fec_mode == HF_FEC_AUTO ? "auto" : "off");
    }
    json_builder_set_member_name (b, "rtx");
    json_builder_add_boolean_value (b, out->spec.rtx);
    hf_output_json_int (b, "rtx_requested",
        hf_output_stat_u64 (st, "rtx-requested"));
    hf_output_json_int (b, "rtx_sent", hf_output_stat_u64 (st, "rtx-sent"));
    hf_output_json_int (b, "fec_packets",
        hf_output_stat_u64 (st, "fec-packets"));
    json_builder_set_member_name (b, "fec_overhead_percent");
    json_builder_add_double_value (b, f.fec_percent);
    json_builder_set_member_name (b, "rr_fraction_lost");
    json_builder_add_double_value (b,
        hf_output_stat_double (st, "rr-fraction-lost"));
    json_builder_set_member_name (b, "remb_bps");
    if (hf_output_stat_u64 (st, "remb-bps") > 0)
      json_builder_add_int_value (b, hf_output_stat_u64 (st, "remb-bps"));
    else
      json_builder_add_null_value (b);
    hf_output_json_int (b, "feedback_packets",
        hf_output_stat_u64 (st, "feedback-packets"));
    hf_output_json_int (b, "bad_feedback_packets",
        hf_output_stat_u64 (st, "bad-feedback-packets"));
    if (st)
      gst_structure_free (st);
  }
  hf_output_json_int (b, "rung", f.rung);
  json_builder_set_member_name (b, "rung_bitrate_bps");
  if (f.rung_bitrate_bps > 0)
    json_builder_add_int_value (b, f.rung_bitrate_bps);
  else
    json_builder_add_null_value (b);
  hf_output_json_int (b, "rung_switches", f.rung_switches);
  json_builder_end_object (b);
}

void
hf_output_get_figures (HfOutput * out, HfOutputFigures * figures)
{
  memset (figures, 0, sizeof (*figures));
  figures->name = out->name;
  figures->kind = out->spec.kind;
  if (out->srt) {
    HfSrtStats st;

    hf_srt_output_get_stats (out->srt, &st);
    figures->viewers = st.viewers;
    figures->connections = st.connections;
    figures->bytes_sent = st.bytes_sent;
    figures->packets_sent = st.packets_sent;
    figures->dropped_packets = st.dropped_packets;
  } else {
    GstStructure *st = hf_output_rtp_stats (out);

    figures->viewers = g_atomic_int_get (&out->rtp_started) ? 1 : 0;
    figures->connections = figures->viewers;
    figures->bytes_sent = out->rtp_bytes;
    figures->packets_sent = out->rtp_packets;
    figures->rtx_sent = hf_output_stat_u64 (st, "rtx-sent");
    figures->fec_packets = hf_output_stat_u64 (st, "fec-packets");
    /* fec-percent: a double per the contract; accept an integer too. */
    if (st && !gst_structure_get_double (st, "fec-percent",
            &figures->fec_percent)) {
      guint64 pct = 0;

      if (gst_structure_get_uint64 (st, "fec-percent", &pct))
        figures->fec_percent = pct;
    }
    if (st)
      gst_structure_free (st);
  }
  /* The gate's fields are written by the sender under the ladder lock;
   * a torn read here is at worst one tick stale. */
  figures->rung = out->gate.current;
  figures->rung_switches = out->gate.switches;
  if (out->rung)
    figures->rung_bitrate_bps = hf_rung_get_bitrate (out->rung,
        out->gate.current);
}
