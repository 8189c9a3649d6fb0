/* Input pipelines: one GstPipeline per input, rebuilt whenever its source
 * ends or fails.
 *
 *   srt      srtsrc ! [count, TS check] ! tsdemux ! parse ! appsink (x2)
 *   rtp      udpsrc ! [count, RTP check, stats] ! hffecdec ! rtprtxreceive
 *              ! [NACK] ! rtpjitterbuffer ! rtpmp2tdepay ! tsdemux ! parse
 *              ! appsink (x2)
 *            udpsrc (port+1, RTCP) ! [count, feedback address] ! fakesink
 *   rtp-sdp  per medium: udpsrc ! [..] ! hffecdec ! rtprtxreceive ! [NACK]
 *              ! rtpjitterbuffer ! depay ! parse ! appsink;  RTCP on port+1
 *              of each medium
 *   merged   per path: udpsrc ! [path count, RTP check] ! hfmerge.sink_N;
 *            hfmerge ! [count, RTP check, stats] ! rtpjitterbuffer ! ...
 *              as rtp;  RTCP on port+1 of each path
 *
 * Each input has its own pipeline so that a pusher coming and going, or a
 * source that errors, never touches another input or the program.  GStreamer's
 * srtsrc ends the stream (EOS) when its pusher disconnects; we answer EOS and
 * errors alike by tearing the pipeline down and building a new one after a
 * backoff (immediately-ish for listeners, growing for callers).
 *
 * A merged input (ST 2022-7 style) keeps the first copy of each RTP packet
 * from any of its paths ("hfmerge", made by name: the failover module
 * registers it, and ingest/ does not depend on failover/).  Its reception
 * statistics are taken after the merge, so packets_lost is what the paths
 * together failed to deliver; each path's own packets are counted before
 * it.
 *
 * RTP inputs that are not merged also repair what they receive (FEC,
 * retransmissions) and send the sender feedback (NACKs, receiver reports,
 * REMB + TMMBR from rate control): that part lives in hf-input-repair.c;
 * the stats probe here hands it each media packet and sender address.
 *
 * Threads: the bus watch and restarts run on the control context captured
 * at hf_input_start(); the pad probes and appsink callbacks on streaming
 * threads (hf-input-repair.c's NACK probe on the jitter buffer's timer
 * thread); they share
 * the counters under stats_lock (held only for a few arithmetic operations,
 * never across a call into another module or a send).  hf_input_tick() may
 * run on any one thread (the relay's ticker).
 */
#include "ingest/ingest-private.h"
#include "ingest/hf-fec.h"

#include <gst/app/gstappsink.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/rtp/gstrtcpbuffer.h>
#include <string.h>

GST_DEBUG_CATEGORY (hf_ingest_debug);
#define GST_CAT_DEFAULT hf_ingest_debug

#define HF_INPUT_STALL_US (1 * G_USEC_PER_SEC)
#define HF_INPUT_BACKOFF_MIN_MS 100
#define HF_INPUT_BACKOFF_MAX_MS 5000

/* What the stats probe makes of an RTP packet. */
typedef enum
{
  HF_INPUT_PKT_BAD = 0,
  HF_INPUT_PKT_MEDIA,
  HF_INPUT_PKT_FEC,
  HF_INPUT_PKT_RTX
} HfInputPacket;

static void hf_input_schedule_restart_locked (HfInput * input,
    const gchar * reason);

const gchar *
hf_input_state_to_string (HfInputState state)
{
  switch (state) {
    case HF_INPUT_STATE_IDLE:
      return "idle";
    case HF_INPUT_STATE_LIVE:
      return "live";
    case HF_INPUT_STATE_STALLED:
      return "stalled";
    case HF_INPUT_STATE_RESTARTING:
      return "restarting";
    case HF_INPUT_STATE_STOPPED:
      return "stopped";
  }
  return "unknown";
}

/* Called with stats_lock held; logs every change in one place. */
static void
hf_input_set_state_locked (HfInput * input, HfInputState state,
    const gchar * reason)
{
  if (input->state == state)
    return;
  GST_INFO ("input %s: %s -> %s (%s)", input->name,
      hf_input_state_to_string (input->state),
      hf_input_state_to_string (state), reason);
  input->state = state;
}

/* ---- Streaming-thread side ---------------------------------------------- */

/* Checks that @data is whole MPEG-TS packets. */
static gboolean
hf_input_is_ts (const guint8 * data, gsize size)
{
  gsize i;

  if (size == 0 || size % 188 != 0)
    return FALSE;
  for (i = 0; i < size; i += 188)
    if (data[i] != 0x47)
      return FALSE;
  return TRUE;
}

/* Sorts an RTP packet: media (of the expected payload type and, for
 * MPEG-TS, whole TS packets), FEC, RTX (whose payload is a 2-byte original
 * sequence number and then the media payload), or bad. */
static HfInputPacket
hf_input_classify (HfInput * input, const HfInputProbe * probe,
    GstRTPBuffer * rtp)
{
  guint pt = gst_rtp_buffer_get_payload_type (rtp);
  const guint8 *payload = gst_rtp_buffer_get_payload (rtp);
  guint len = gst_rtp_buffer_get_payload_len (rtp);

  if (pt == HF_FEC_PT)
    return len >= HF_FEC_HEADER_SIZE ? HF_INPUT_PKT_FEC : HF_INPUT_PKT_BAD;
  if (input->spec.kind == HF_INPUT_RTP_TS) {
    if (pt == 33)
      return hf_input_is_ts (payload, len) ? HF_INPUT_PKT_MEDIA :
          HF_INPUT_PKT_BAD;
    if (pt == HF_RTX_PT_MP2T && len > 2)
      return hf_input_is_ts (payload + 2, len - 2) ? HF_INPUT_PKT_RTX :
          HF_INPUT_PKT_BAD;
    return HF_INPUT_PKT_BAD;
  }
  /* SDP: the medium's payload type is media; any other RTP too, as it
   * always was (the depayloader judges), unless it is one of our RTX
   * payload types. */
  if ((gint) pt != probe->media_pt && (pt == HF_RTX_PT_MP2T ||
          pt == HF_RTX_PT_VIDEO || pt == HF_RTX_PT_AUDIO))
    return len >= 2 ? HF_INPUT_PKT_RTX : HF_INPUT_PKT_BAD;
  return HF_INPUT_PKT_MEDIA;
}

/* Streaming thread (udpsrc / srtsrc): counts every packet, checks that it
 * is what the input expects, drops and counts what is not. */
static GstPadProbeReturn
hf_input_src_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  HfInputProbe *probe = user_data;
  HfInput *input = probe->input;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gint64 now = g_get_monotonic_time ();
  gsize size = gst_buffer_get_size (buf);
  gboolean ok = TRUE;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint16 seq = 0;
  guint32 ts = 0, ssrc = 0;
  HfInputPacket kind = HF_INPUT_PKT_BAD;
  gboolean is_rtp = FALSE;
  gboolean feedback = FALSE;
  guint clock_rate = 90000;

  if (probe->rtcp) {
    ok = gst_rtcp_buffer_validate_reduced (buf);
  } else if (probe->slot < 0) {
    GstMapInfo map;

    if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
      ok = hf_input_is_ts (map.data, map.size);
      gst_buffer_unmap (buf, &map);
    }
  } else if (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp)) {
    seq = gst_rtp_buffer_get_seq (&rtp);
    ts = gst_rtp_buffer_get_timestamp (&rtp);
    ssrc = gst_rtp_buffer_get_ssrc (&rtp);
    kind = hf_input_classify (input, probe, &rtp);
    gst_rtp_buffer_unmap (&rtp);
    ok = kind != HF_INPUT_PKT_BAD;
    is_rtp = kind == HF_INPUT_PKT_MEDIA;
  } else {
    ok = FALSE;
  }

  g_mutex_lock (&input->stats_lock);
  if (probe->generation != g_atomic_int_get (&input->generation)) {
    g_mutex_unlock (&input->stats_lock);
    return GST_PAD_PROBE_DROP;
  }
  if (!ok) {
    input->malformed++;
    g_mutex_unlock (&input->stats_lock);
    GST_LOG ("input %s: dropped a malformed packet of %" G_GSIZE_FORMAT
        " bytes", input->name, size);
    return GST_PAD_PROBE_DROP;
  }
  input->packets++;
  input->bytes += size;
  input->last_packet_us = now;
  if (!input->first_packet_us)
    input->first_packet_us = now;
  if (!probe->rtcp) {
    input->last_media_us = now;
    hf_rate_window_add (&input->rate, size, now);
  }
  if (probe->fb_slot >= 0)
    hf_input_fb_note_peer_locked (input, probe, buf, now);
  if (kind == HF_INPUT_PKT_FEC)
    input->fec_packets++;
  else if (kind == HF_INPUT_PKT_RTX)
    input->rtx_received++;
  if (is_rtp) {
    if (!input->rtp_used[probe->slot]) {
      GstCaps *caps = gst_pad_get_current_caps (pad);
      gint rate = 90000;

      if (caps) {
        gst_structure_get_int (gst_caps_get_structure (caps, 0), "clock-rate",
            &rate);
        gst_caps_unref (caps);
      }
      hf_rtp_stats_init (&input->rtp[probe->slot], rate);
      input->rtp_used[probe->slot] = TRUE;
    }
    input->media_packets++;
    hf_rtp_stats_update (&input->rtp[probe->slot], seq, ts, now);
    clock_rate = input->rtp[probe->slot].clock_rate;
    if (probe->fb_slot >= 0 && input->fb[probe->fb_slot].used) {
      if (input->fb[probe->fb_slot].have_ssrc &&
          input->fb[probe->fb_slot].media_ssrc != ssrc)
        input->ssrc_changed_us = now;
      input->fb[probe->fb_slot].media_ssrc = ssrc;
      input->fb[probe->fb_slot].have_ssrc = TRUE;
      feedback = TRUE;
    }
  } else if (probe->slot < 0 && !probe->rtcp && GST_BUFFER_PTS_IS_VALID (buf)) {
    /* SRT: srtsrc stamps each message with the sender's time; the RFC 3550
     * jitter of arrival against it is the delivery jitter we can see. */
    if (!input->rtp_used[0]) {
      hf_rtp_stats_init (&input->rtp[0], 90000);
      input->rtp_used[0] = TRUE;
    }
    hf_rtp_stats_update (&input->rtp[0], (guint16) input->packets,
        (guint32) gst_util_uint64_scale (GST_BUFFER_PTS (buf), 90000,
            GST_SECOND), now);
  }
  if (input->state != HF_INPUT_STATE_LIVE && !probe->rtcp) {
    hf_input_set_state_locked (input, HF_INPUT_STATE_LIVE, "packets arrive");
    /* Connected again: the next loss starts the backoff from the bottom. */
    input->backoff_ms = HF_INPUT_BACKOFF_MIN_MS;
  }
  g_mutex_unlock (&input->stats_lock);

  if (feedback)
    hf_input_fb_on_media (input, probe->fb_slot, size, seq, ts, clock_rate,
        now);
  return GST_PAD_PROBE_OK;
}

/* @fb_slot: the feedback slot this pad's packets reveal the sender of
 * (-1: none); @media_pt: the media payload type (-1: any). */
static void
hf_input_add_probe_full (HfInput * input, GstElement * src, gint slot,
    gboolean rtcp, gint fb_slot, gint media_pt)
{
  HfInputProbe *probe = g_new0 (HfInputProbe, 1);
  GstPad *pad = gst_element_get_static_pad (src, "src");

  probe->input = input;
  probe->slot = slot;
  probe->rtcp = rtcp;
  probe->fb_slot = fb_slot;
  probe->media_pt = media_pt;
  probe->path = -1;
  probe->generation = g_atomic_int_get (&input->generation);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, hf_input_src_probe,
      probe, g_free);
  gst_object_unref (pad);
}

static void
hf_input_add_probe (HfInput * input, GstElement * src, gint slot, gboolean rtcp)
{
  hf_input_add_probe_full (input, src, slot, rtcp, -1, -1);
}

/* TRUE when @buf is RTP carrying whole MPEG-TS packets (payload type 33). */
static gboolean
hf_input_is_rtp_ts (GstBuffer * buf)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  gboolean ok;

  if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp))
    return FALSE;
  ok = gst_rtp_buffer_get_payload_type (&rtp) == 33 &&
      hf_input_is_ts (gst_rtp_buffer_get_payload (&rtp),
      gst_rtp_buffer_get_payload_len (&rtp));
  gst_rtp_buffer_unmap (&rtp);
  return ok;
}

/* Streaming thread (a merged input's udpsrc of one path): counts the
 * path's packets before the merge and drops what is not RTP/MPEG-TS, so
 * that garbage on one path never reaches the merge.  The merged stream's
 * figures are counted after the merge, by hf_input_src_probe (). */
static GstPadProbeReturn
hf_input_path_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  HfInputProbe *probe = user_data;
  HfInput *input = probe->input;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gint64 now = g_get_monotonic_time ();
  gboolean ok = hf_input_is_rtp_ts (buf);

  g_mutex_lock (&input->stats_lock);
  if (probe->generation != g_atomic_int_get (&input->generation)) {
    g_mutex_unlock (&input->stats_lock);
    return GST_PAD_PROBE_DROP;
  }
  if (!ok) {
    input->malformed++;
    g_mutex_unlock (&input->stats_lock);
    GST_LOG ("input %s: path %d: dropped a malformed packet of %"
        G_GSIZE_FORMAT " bytes", input->name, probe->path,
        gst_buffer_get_size (buf));
    return GST_PAD_PROBE_DROP;
  }
  input->path_received[probe->path]++;
  input->path_last_us[probe->path] = now;
  g_mutex_unlock (&input->stats_lock);
  return GST_PAD_PROBE_OK;
}

static void
hf_input_add_path_probe (HfInput * input, GstElement * src, guint path)
{
  HfInputProbe *probe = g_new0 (HfInputProbe, 1);
  GstPad *pad = gst_element_get_static_pad (src, "src");

  probe->input = input;
  probe->slot = -1;
  probe->fb_slot = -1;
  probe->media_pt = -1;
  probe->path = path;
  probe->generation = g_atomic_int_get (&input->generation);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, hf_input_path_probe,
      probe, g_free);
  gst_object_unref (pad);
}

typedef struct
{
  HfInput *input;
  HfMediaKind kind;
  gint generation;
} HfInputSink;

/* Streaming thread: one parsed access unit. */
static GstFlowReturn
hf_input_new_sample (GstAppSink * sink, gpointer user_data)
{
  HfInputSink *ctx = user_data;
  HfInput *input = ctx->input;
  GstSample *sample = gst_app_sink_pull_sample (sink);

  if (!sample)
    return GST_FLOW_FLUSHING;
  /* What the demuxer flushes at end of stream is the PES it was still
   * collecting when the pusher left: possibly cut short, so not relayed. */
  if (ctx->generation == g_atomic_int_get (&input->generation) &&
      !g_atomic_int_get (&input->draining)) {
    g_mutex_lock (&input->stats_lock);
    input->access_units++;
    g_mutex_unlock (&input->stats_lock);
    if (ctx->kind == HF_MEDIA_AUDIO && gst_sample_get_caps (sample)) {
      const gchar *codec = g_intern_string (gst_structure_get_name
          (gst_caps_get_structure (gst_sample_get_caps (sample), 0)));

      if (g_atomic_pointer_get (&input->audio_codec) != codec)
        g_atomic_pointer_set (&input->audio_codec, codec);
    }
    input->func (input, ctx->kind, sample, input->user_data);
  }
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

static GstElement *
hf_input_make_appsink (HfInput * input, HfMediaKind kind)
{
  GstElement *sink = gst_element_factory_make ("appsink", NULL);
  GstAppSinkCallbacks cb = { 0 };
  HfInputSink *ctx = g_new0 (HfInputSink, 1);

  ctx->input = input;
  ctx->kind = kind;
  ctx->generation = g_atomic_int_get (&input->generation);
  cb.new_sample = hf_input_new_sample;
  g_object_set (sink, "sync", FALSE, "async", FALSE, "max-buffers", 0,
      "enable-last-sample", FALSE, NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &cb, ctx, g_free);
  return sink;
}

/* Builds "parser ! appsink" for @caps, adds it to the pipeline and returns
 * the first element (to link into), or NULL when the format is not one we
 * relay. */
static GstElement *
hf_input_make_parse_chain (HfInput * input, const GstCaps * caps,
    HfMediaKind * kind_out)
{
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  const gchar *name = gst_structure_get_name (s);
  GstElement *parse, *sink;
  HfMediaKind kind;

  if (g_str_equal (name, "video/x-h264")) {
    kind = HF_MEDIA_VIDEO;
    parse = gst_element_factory_make ("h264parse", NULL);
    /* Parameter sets before every keyframe: a viewer or a switch can start
     * at any IDR. */
    g_object_set (parse, "config-interval", -1, NULL);
  } else if (g_str_equal (name, "audio/mpeg")) {
    kind = HF_MEDIA_AUDIO;
    parse = gst_element_factory_make ("aacparse", NULL);
  } else if (g_str_equal (name, "audio/x-opus")) {
    kind = HF_MEDIA_AUDIO;
    parse = gst_element_factory_make ("opusparse", NULL);
  } else {
    return NULL;
  }
  if (!parse)
    return NULL;
  sink = hf_input_make_appsink (input, kind);
  if (kind == HF_MEDIA_VIDEO) {
    GstCaps *want = gst_caps_from_string ("video/x-h264, "
        "stream-format=byte-stream, alignment=au");

    g_object_set (sink, "caps", want, NULL);
    gst_caps_unref (want);
  } else if (g_str_equal (name, "audio/mpeg")) {
    GstCaps *want = gst_caps_from_string ("audio/mpeg, stream-format=adts");

    g_object_set (sink, "caps", want, NULL);
    gst_caps_unref (want);
  }
  gst_bin_add_many (GST_BIN (input->pipeline), parse, sink, NULL);
  if (!gst_element_link (parse, sink)) {
    gst_bin_remove_many (GST_BIN (input->pipeline), parse, sink, NULL);
    return NULL;
  }
  gst_element_sync_state_with_parent (sink);
  gst_element_sync_state_with_parent (parse);
  *kind_out = kind;
  return parse;
}

/* Streaming thread (tsdemux): a new elementary stream appeared. */
static void
hf_input_demux_pad_added (GstElement * demux, GstPad * pad, gpointer user_data)
{
  HfInput *input = user_data;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstElement *first = NULL;
  HfMediaKind kind = HF_MEDIA_VIDEO;
  gboolean *taken = g_object_get_data (G_OBJECT (demux), "hf-taken");

  if (!caps)
    caps = gst_pad_query_caps (pad, NULL);
  if (caps && !gst_caps_is_empty (caps)) {
    const gchar *name =
        gst_structure_get_name (gst_caps_get_structure (caps, 0));
    HfMediaKind want = g_str_has_prefix (name, "video/") ? HF_MEDIA_VIDEO :
        HF_MEDIA_AUDIO;

    /* The first video and the first audio stream only. */
    if (!taken[want])
      first = hf_input_make_parse_chain (input, caps, &kind);
  }
  if (first) {
    GstPad *sinkpad = gst_element_get_static_pad (first, "sink");

    if (gst_pad_link (pad, sinkpad) == GST_PAD_LINK_OK) {
      taken[kind] = TRUE;
      if (kind == HF_MEDIA_AUDIO)
        g_atomic_int_set (&input->has_audio, 1);
      GST_INFO ("input %s: relaying %" GST_PTR_FORMAT, input->name, caps);
    }
    gst_object_unref (sinkpad);
  } else {
    /* Not relayed: sink it so it does not stall the demuxer. */
    GstElement *fake = gst_element_factory_make ("fakesink", NULL);
    GstPad *sinkpad;

    g_object_set (fake, "sync", FALSE, "async", FALSE, NULL);
    gst_bin_add (GST_BIN (input->pipeline), fake);
    gst_element_sync_state_with_parent (fake);
    sinkpad = gst_element_get_static_pad (fake, "sink");
    gst_pad_link (pad, sinkpad);
    gst_object_unref (sinkpad);
    GST_INFO ("input %s: ignoring stream %" GST_PTR_FORMAT, input->name, caps);
  }
  if (caps)
    gst_caps_unref (caps);
}

/* Streaming thread: EOS reaches the demuxer, which is about to flush. */
static GstPadProbeReturn
hf_input_demux_eos_probe (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  HfInput *input = user_data;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS)
    g_atomic_int_set (&input->draining, 1);
  return GST_PAD_PROBE_OK;
}

static GstElement *
hf_input_make_tsdemux (HfInput * input)
{
  GstElement *demux = gst_element_factory_make ("tsdemux", NULL);
  GstPad *sink = gst_element_get_static_pad (demux, "sink");

  gst_pad_add_probe (sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      hf_input_demux_eos_probe, input, NULL);
  gst_object_unref (sink);

  g_object_set_data_full (G_OBJECT (demux), "hf-taken",
      g_new0 (gboolean, 2), g_free);
  g_signal_connect (demux, "pad-added", G_CALLBACK (hf_input_demux_pad_added),
      input);
  return demux;
}

/* ---- Pipeline construction (control thread) ----------------------------- */

/* @host: the local address to bind ("" = any). */
static GstElement *
hf_input_make_udpsrc_at (const gchar * host, guint16 port, GstCaps * caps)
{
  GstElement *src = gst_element_factory_make ("udpsrc", NULL);

  g_object_set (src, "port", port, "reuse", FALSE,
      "buffer-size", 4 * 1024 * 1024, NULL);
  if (*host)
    g_object_set (src, "address", host, NULL);
  if (caps)
    g_object_set (src, "caps", caps, NULL);
  return src;
}

static GstElement *
hf_input_make_udpsrc (HfInput * input, guint16 port, GstCaps * caps)
{
  return hf_input_make_udpsrc_at (input->spec.host, port, caps);
}

/* @fb_slot: the feedback slot whose replies go out of this socket, to
 * whoever sends RTCP here (-1: none). */
static gboolean
hf_input_add_rtcp_full (HfInput * input, const gchar * host, guint16 port,
    gint fb_slot)
{
  GstElement *src = hf_input_make_udpsrc_at (host, port, NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);

  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add_many (GST_BIN (input->pipeline), src, sink, NULL);
  hf_input_add_probe_full (input, src, -1, TRUE, fb_slot, -1);
  if (fb_slot >= 0) {
    g_mutex_lock (&input->stats_lock);
    gst_object_replace ((GstObject **) & input->fb[fb_slot].rtcp_src,
        GST_OBJECT (src));
    g_mutex_unlock (&input->stats_lock);
  }
  return gst_element_link (src, sink);
}

static gboolean
hf_input_add_rtcp_at (HfInput * input, const gchar * host, guint16 port)
{
  return hf_input_add_rtcp_full (input, host, port, -1);
}

static gboolean
hf_input_build_srt (HfInput * input, GError ** error)
{
  GstElement *src = gst_element_factory_make ("srtsrc", NULL);
  GstElement *demux = hf_input_make_tsdemux (input);
  g_autofree gchar *uri = NULL;

  if (!src || !demux)
    goto no_element;
  /* srtsrc reads mode and the rest from the URI when it starts, so they
   * all go there (a property set beside the URI would be overridden). */
  {
    GString *u = g_string_new (NULL);

    g_string_append_printf (u, "srt://%s:%u?mode=%s&latency=%d",
        input->spec.host, input->spec.port,
        input->spec.srt_mode == HF_SRT_LISTENER ? "listener" : "caller",
        input->spec.latency_ms);
    if (input->spec.passphrase) {
      g_autofree gchar *p = g_uri_escape_string (input->spec.passphrase, NULL,
          FALSE);

      g_string_append_printf (u, "&passphrase=%s", p);
    }
    if (input->spec.streamid) {
      g_autofree gchar *id = g_uri_escape_string (input->spec.streamid, NULL,
          FALSE);

      g_string_append_printf (u, "&streamid=%s", id);
    }
    uri = g_string_free (u, FALSE);
  }
  /* No reconnecting inside srtsrc: a new connection may be a restarted
   * origin with a new timeline, so every loss goes through our restart
   * (backoff, new epoch, re-take at a keyframe). */
  g_object_set (src, "uri", uri, "keep-listening", FALSE,
      "auto-reconnect", FALSE, "wait-for-connection", TRUE, NULL);
  gst_bin_add_many (GST_BIN (input->pipeline), src, demux, NULL);
  hf_input_add_probe (input, src, -1, FALSE);
  if (!gst_element_link (src, demux))
    goto no_link;
  return TRUE;

  /* ERRORS */
no_element:
  {
    g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_PIPELINE,
        "srtsrc or tsdemux is missing (gstreamer1.0-plugins-bad)");
    if (src)
      gst_object_unref (src);
    if (demux)
      gst_object_unref (demux);
    return FALSE;
  }
no_link:
  {
    g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_PIPELINE,
        "cannot link srtsrc to tsdemux");
    return FALSE;
  }
}

static gboolean
hf_input_build_rtp_ts (HfInput * input, GError ** error)
{
  GstCaps *caps = gst_caps_from_string ("application/x-rtp, media=video, "
      "clock-rate=90000, encoding-name=MP2T, payload=33");
  GstElement *src = hf_input_make_udpsrc (input, input->spec.port, caps);
  GstElement *jb = hf_input_make_jitterbuffer (input);
  GstElement *depay = gst_element_factory_make ("rtpmp2tdepay", NULL);
  GstElement *demux = hf_input_make_tsdemux (input);

  gst_caps_unref (caps);
  gst_bin_add_many (GST_BIN (input->pipeline), src, jb, depay, demux, NULL);
  hf_input_add_probe_full (input, src, 0, FALSE, 0, 33);
  input->fb[0].want_rc = TRUE;
  if (!hf_input_link_repair (input, 0, src, jb) ||
      !gst_element_link_many (jb, depay, demux, NULL) ||
      !hf_input_add_rtcp_full (input, input->spec.host, input->spec.port + 1,
          0)) {
    g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_PIPELINE,
        "cannot build the RTP/MPEG-TS receiver");
    return FALSE;
  }
  return TRUE;
}

/* A merged input: one udpsrc per path into hfmerge, whose output is the
 * single RTP/MPEG-TS chain.  The stats probe sits on hfmerge's src pad:
 * loss, jitter and bitrate are those of the merged stream. */
static gboolean
hf_input_build_rtp_merged (HfInput * input, GError ** error)
{
  GstElement *merge = gst_element_factory_make ("hfmerge", NULL);
  GstElement *jb, *depay, *demux;
  GstCaps *caps;
  guint i;

  if (!merge)
    goto no_merge;
  if (input->window_us > 0)
    g_object_set (merge, "window-ms", (guint) CLAMP (input->window_us / 1000,
            1, 10000), NULL);
  jb = hf_input_make_jitterbuffer (input);
  depay = gst_element_factory_make ("rtpmp2tdepay", NULL);
  demux = hf_input_make_tsdemux (input);
  gst_bin_add_many (GST_BIN (input->pipeline), merge, jb, depay, demux, NULL);
  hf_input_add_probe (input, merge, 0, FALSE);
  if (!gst_element_link_many (merge, jb, depay, demux, NULL))
    goto no_link;

  caps = gst_caps_from_string ("application/x-rtp, media=video, "
      "clock-rate=90000, encoding-name=MP2T, payload=33");
  for (i = 0; i < input->n_paths; i++) {
    const HfInputSpec *path = &input->paths[i];
    GstElement *src = hf_input_make_udpsrc_at (path->host, path->port, caps);
    gchar pad_name[16];

    g_snprintf (pad_name, sizeof (pad_name), "sink_%u", i);
    gst_bin_add (GST_BIN (input->pipeline), src);
    hf_input_add_path_probe (input, src, i);
    if (!gst_element_link_pads (src, "src", merge, pad_name) ||
        !hf_input_add_rtcp_at (input, path->host, path->port + 1)) {
      gst_caps_unref (caps);
      goto no_link;
    }
  }
  gst_caps_unref (caps);

  /* No repair or feedback on a merged input, but its jitter buffer's
   * residual loss is reported like a single path's. */
  g_mutex_lock (&input->stats_lock);
  gst_object_replace ((GstObject **) & input->merge, GST_OBJECT (merge));
  gst_object_replace ((GstObject **) & input->fb[0].jb, GST_OBJECT (jb));
  g_mutex_unlock (&input->stats_lock);
  return TRUE;

  /* ERRORS */
no_merge:
  {
    g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_PIPELINE,
        "hfmerge element not registered (the failover module's "
        "hf_failover_register_elements () registers it)");
    return FALSE;
  }
no_link:
  {
    g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_PIPELINE,
        "cannot build the merged RTP/MPEG-TS receiver");
    return FALSE;
  }
}

static const gchar *
hf_input_depayloader_for (const gchar * encoding)
{
  if (g_str_equal (encoding, "H264"))
    return "rtph264depay";
  if (g_str_equal (encoding, "MPEG4-GENERIC"))
    return "rtpmp4gdepay";
  if (g_str_equal (encoding, "MP4A-LATM"))
    return "rtpmp4adepay";
  if (g_str_equal (encoding, "OPUS"))
    return "rtpopusdepay";
  return NULL;
}

static gboolean
hf_input_build_rtp_sdp (HfInput * input, GError ** error)
{
  g_autofree gchar *data = NULL;
  g_autoptr (GPtrArray) media = NULL;
  gsize size;
  guint i;

  if (!g_file_get_contents (input->spec.sdp_path, &data, &size, error))
    return FALSE;
  media = hf_sdp_parse_media ((const guint8 *) data, size, error);
  if (!media)
    return FALSE;

  for (i = 0; i < media->len; i++) {
    HfSdpMedia *m = g_ptr_array_index (media, i);
    const gchar *depay_name = hf_input_depayloader_for (m->encoding);
    GstElement *src = hf_input_make_udpsrc (input, m->port, m->caps);
    GstElement *jb = hf_input_make_jitterbuffer (input);
    GstElement *depay = gst_element_factory_make (depay_name, NULL);
    GstElement *first;
    GstCaps *es_caps;
    HfMediaKind kind;

    gst_bin_add_many (GST_BIN (input->pipeline), src, jb, depay, NULL);
    hf_input_add_probe_full (input, src, m->kind, FALSE, m->kind, m->payload);
    /* The target bitrate is the video encoder's: rate control follows the
     * video session only. */
    input->fb[m->kind].want_rc = m->kind == HF_MEDIA_VIDEO;
    if (m->kind == HF_MEDIA_AUDIO)
      g_atomic_int_set (&input->has_audio, 1);
    es_caps = gst_caps_from_string (m->kind == HF_MEDIA_VIDEO ? "video/x-h264"
        : g_str_equal (m->encoding, "OPUS") ? "audio/x-opus" : "audio/mpeg");
    first = hf_input_make_parse_chain (input, es_caps, &kind);
    gst_caps_unref (es_caps);
    if (!first || !hf_input_link_repair (input, m->kind, src, jb) ||
        !gst_element_link_many (jb, depay, first, NULL) ||
        !hf_input_add_rtcp_full (input, input->spec.host, m->port + 1,
            m->kind)) {
      g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_PIPELINE,
          "cannot build the RTP receiver for %s on port %u", m->encoding,
          m->port);
      return FALSE;
    }
  }
  return TRUE;
}

/* ---- Lifecycle (control thread) ----------------------------------------- */

/* Reads path @path's counters from hfmerge's "stats" (0 when absent). */
static void
hf_input_merge_path_counters (GstElement * merge, guint path,
    guint64 * forwarded, guint64 * duplicates)
{
  GstStructure *s = NULL;
  const GValue *paths;
  guint i;

  *forwarded = *duplicates = 0;
  g_object_get (merge, "stats", &s, NULL);
  if (!s)
    return;
  paths = gst_structure_get_value (s, "paths");
  for (i = 0; paths && GST_VALUE_HOLDS_ARRAY (paths) &&
      i < gst_value_array_get_size (paths); i++) {
    const GValue *v = gst_value_array_get_value (paths, i);
    const GstStructure *p;
    guint index;

    if (!GST_VALUE_HOLDS_STRUCTURE (v))
      continue;
    p = gst_value_get_structure (v);
    if (!gst_structure_get_uint (p, "path", &index) || index != path)
      continue;
    gst_structure_get_uint64 (p, "forwarded", forwarded);
    gst_structure_get_uint64 (p, "duplicates", duplicates);
  }
  gst_structure_free (s);
}

/* Control thread, the pipeline stopped: folds the hfmerge's counters into
 * the totals and lets it go, in one step under stats_lock so that a
 * reader sees either the old totals and the element, or the new totals. */
static void
hf_input_release_merge (HfInput * input)
{
  guint64 fwd[HF_INPUT_MAX_PATHS], dup[HF_INPUT_MAX_PATHS];
  GstElement *merge;
  guint i;

  g_mutex_lock (&input->stats_lock);
  merge = input->merge ? gst_object_ref (input->merge) : NULL;
  g_mutex_unlock (&input->stats_lock);
  if (!merge)
    return;
  for (i = 0; i < input->n_paths; i++)
    hf_input_merge_path_counters (merge, i, &fwd[i], &dup[i]);
  g_mutex_lock (&input->stats_lock);
  for (i = 0; i < input->n_paths; i++) {
    input->path_forwarded_base[i] += fwd[i];
    input->path_duplicates_base[i] += dup[i];
  }
  gst_clear_object (&input->merge);
  g_mutex_unlock (&input->stats_lock);
  gst_object_unref (merge);
}

static void
hf_input_teardown (HfInput * input)
{
  if (input->restart_source) {
    g_source_destroy (input->restart_source);
    g_source_unref (input->restart_source);
    input->restart_source = NULL;
  }
  if (input->pipeline) {
    /* Samples still in flight from the old pipeline are ignored. */
    g_atomic_int_inc (&input->generation);
    if (input->bus_watch) {
      g_source_remove (input->bus_watch);
      input->bus_watch = 0;
    }
    gst_element_set_state (input->pipeline, GST_STATE_NULL);
    hf_input_release_merge (input);
    hf_input_release_fb (input);
    gst_clear_object (&input->pipeline);
  }
}

static gboolean hf_input_bus_cb (GstBus * bus, GstMessage * msg,
    gpointer user_data);

static gboolean
hf_input_build_and_play (HfInput * input, GError ** error)
{
  GstBus *bus;
  gboolean ok;
  g_autofree gchar *pname = g_strdup_printf ("input-%s", input->name);

  input->pipeline = gst_pipeline_new (pname);
  g_atomic_int_set (&input->draining, 0);
  g_atomic_int_set (&input->has_audio, 0);
  g_atomic_pointer_set (&input->audio_codec, NULL);
  switch (input->spec.kind) {
    case HF_INPUT_SRT:
      ok = hf_input_build_srt (input, error);
      break;
    case HF_INPUT_RTP_TS:
      ok = input->n_paths > 0 ? hf_input_build_rtp_merged (input, error) :
          hf_input_build_rtp_ts (input, error);
      break;
    case HF_INPUT_RTP_SDP:
    default:
      ok = hf_input_build_rtp_sdp (input, error);
      break;
  }
  if (!ok)
    return FALSE;

  bus = gst_pipeline_get_bus (GST_PIPELINE (input->pipeline));
  {
    GSource *source = gst_bus_create_watch (bus);

    g_source_set_callback (source, (GSourceFunc) (void (*)(void))
        hf_input_bus_cb, input, NULL);
    input->bus_watch = g_source_attach (source, input->context);
    g_source_unref (source);
  }
  gst_object_unref (bus);

  if (gst_element_set_state (input->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_PIPELINE,
        "the input pipeline would not start (port in use?)");
    return FALSE;
  }
  hf_input_fb_fetch_sockets (input);
  return TRUE;
}

static gboolean
hf_input_restart_cb (gpointer user_data)
{
  HfInput *input = user_data;
  g_autoptr (GError) error = NULL;
  gboolean ok;

  g_source_unref (input->restart_source);
  input->restart_source = NULL;
  if (!input->running)
    return G_SOURCE_REMOVE;
  ok = hf_input_build_and_play (input, &error);
  g_mutex_lock (&input->stats_lock);
  if (!ok)
    hf_input_schedule_restart_locked (input, error->message);
  else if (input->state == HF_INPUT_STATE_RESTARTING)
    hf_input_set_state_locked (input, HF_INPUT_STATE_IDLE,
        "restarted, waiting for packets");
  g_mutex_unlock (&input->stats_lock);
  return G_SOURCE_REMOVE;
}

/* Control thread, stats_lock held (for the state).  Tears the pipeline down
 * and builds a new one after the backoff. */
static void
hf_input_schedule_restart_locked (HfInput * input, const gchar * reason)
{
  guint delay;

  if (input->restart_source)
    return;
  input->restarts++;
  hf_input_set_state_locked (input, HF_INPUT_STATE_RESTARTING, reason);
  /* Fold the finished connection's SRT counters into the totals. */
  input->srt_received_base += input->srt_received;
  input->srt_lost_base += input->srt_lost;
  input->srt_received = input->srt_lost = 0;
  g_mutex_unlock (&input->stats_lock);
  hf_input_teardown (input);
  g_mutex_lock (&input->stats_lock);

  /* A listener waits for the next pusher: come back at once.  A caller, or
   * a source that keeps failing, backs off. */
  if (input->spec.kind == HF_INPUT_SRT && input->spec.srt_mode == HF_SRT_CALLER)
    delay = input->backoff_ms;
  else
    delay = MIN (input->backoff_ms, 1000);
  input->backoff_ms = MIN (input->backoff_ms * 2, HF_INPUT_BACKOFF_MAX_MS);
  GST_INFO ("input %s: restarting in %u ms (%s)", input->name, delay, reason);
  input->restart_source = g_timeout_source_new (delay);
  g_source_set_callback (input->restart_source, hf_input_restart_cb, input,
      NULL);
  g_source_attach (input->restart_source, input->context);
}

/* Control thread. */
static gboolean
hf_input_bus_cb (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  HfInput *input = user_data;
  g_autoptr (GError) err = NULL;
  g_autofree gchar *dbg = NULL;
  g_autofree gchar *reason = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      reason = g_strdup ("end of stream (pusher left)");
      break;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &err, &dbg);
      reason = g_strdup_printf ("error from %s: %s",
          GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message);
      GST_DEBUG ("input %s: %s", input->name, dbg ? dbg : "");
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &err, &dbg);
      GST_INFO ("input %s: warning from %s: %s", input->name,
          GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message);
      return G_SOURCE_CONTINUE;
    default:
      return G_SOURCE_CONTINUE;
  }
  /* The watch is removed by the teardown below; say so to the caller. */
  input->bus_watch = 0;
  g_mutex_lock (&input->stats_lock);
  hf_input_schedule_restart_locked (input, reason);
  g_mutex_unlock (&input->stats_lock);
  return G_SOURCE_REMOVE;
}

HfInput *
hf_input_new (const HfInputSpec * spec, const gchar * name, guint index,
    HfInputSampleFunc func, gpointer user_data)
{
  HfInput *input = g_new0 (HfInput, 1);

  if (!hf_ingest_debug)
    GST_DEBUG_CATEGORY_INIT (hf_ingest_debug, "hf-ingest", 0,
        "Holdfast ingest");
  input->spec = *spec;
  input->spec.url = g_strdup (spec->url);
  input->spec.host = g_strdup (spec->host);
  input->spec.streamid = g_strdup (spec->streamid);
  input->spec.passphrase = g_strdup (spec->passphrase);
  input->spec.sdp_path = g_strdup (spec->sdp_path);
  input->name = g_strdup (name);
  input->index = index;
  input->func = func;
  input->user_data = user_data;
  input->backoff_ms = HF_INPUT_BACKOFF_MIN_MS;
  input->rtt_ms = -1;
  /* Our RTCP SSRC: random, as RFC 3550 8.1 asks (never 0). */
  do {
    input->own_ssrc = g_random_int ();
  } while (input->own_ssrc == 0);
  g_mutex_init (&input->stats_lock);
  hf_rate_window_init (&input->rate, G_USEC_PER_SEC);
  input->state = HF_INPUT_STATE_STOPPED;
  return input;
}

HfInput *
hf_input_new_merged (const HfInputSpec * specs, guint n_specs,
    gint64 window_us, const gchar * name, guint index,
    HfInputSampleFunc func, gpointer user_data)
{
  HfInput *input;
  guint i;

  g_return_val_if_fail (specs != NULL, NULL);
  g_return_val_if_fail (n_specs >= 1 && n_specs <= HF_INPUT_MAX_PATHS, NULL);
  for (i = 0; i < n_specs; i++)
    g_return_val_if_fail (specs[i].kind == HF_INPUT_RTP_TS &&
        specs[i].sdp_path == NULL, NULL);

  input = hf_input_new (&specs[0], name, index, func, user_data);
  input->paths = g_new0 (HfInputSpec, n_specs);
  for (i = 0; i < n_specs; i++) {
    input->paths[i] = specs[i];
    input->paths[i].url = g_strdup (specs[i].url);
    input->paths[i].host = g_strdup (specs[i].host ? specs[i].host : "");
    input->paths[i].streamid = g_strdup (specs[i].streamid);
    input->paths[i].passphrase = g_strdup (specs[i].passphrase);
    input->paths[i].sdp_path = NULL;
  }
  input->n_paths = n_specs;
  input->window_us = window_us;
  GST_INFO ("input %s: merging %u paths, window %" G_GINT64_FORMAT " us",
      input->name, n_specs, window_us);
  return input;
}

gboolean
hf_input_start (HfInput * input, GError ** error)
{
  g_autoptr (GError) err = NULL;

  g_return_val_if_fail (!input->running, FALSE);
  if (input->n_paths > 0) {
    guint i;

    /* Repair on a merged input would need FEC and NACKs per path, each
     * answered by its own sender: not supported. */
    for (i = 0; i < input->n_paths; i++) {
      if (input->paths[i].fec_mode != HF_FEC_OFF || input->paths[i].rtx) {
        g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_URL,
            "%s: fec and rtx are not supported on merged inputs (the merge "
            "itself repairs a path's losses from the other paths)",
            input->paths[i].url);
        return FALSE;
      }
    }
  }
  if (input->spec.kind != HF_INPUT_SRT) {
    GstElementFactory *f = gst_element_factory_find ("hffecdec");

    if (f)
      gst_object_unref (f);
    else
      hf_fec_register_elements ();
  }
  input->context = g_main_context_ref_thread_default ();
  input->running = TRUE;
  g_mutex_lock (&input->stats_lock);
  hf_input_set_state_locked (input, HF_INPUT_STATE_IDLE, "started");
  g_mutex_unlock (&input->stats_lock);
  if (!hf_input_build_and_play (input, &err)) {
    /* A missing SDP file or a busy port may be fixed by the operator
     * without a restart: keep trying, but tell the caller. */
    GST_WARNING ("input %s: %s", input->name, err->message);
    g_mutex_lock (&input->stats_lock);
    hf_input_schedule_restart_locked (input, err->message);
    g_mutex_unlock (&input->stats_lock);
    if (input->spec.kind != HF_INPUT_RTP_SDP) {
      g_propagate_error (error, g_steal_pointer (&err));
      return FALSE;
    }
  }
  return TRUE;
}

void
hf_input_stop (HfInput * input)
{
  if (!input->running)
    return;
  input->running = FALSE;
  hf_input_teardown (input);
  g_mutex_lock (&input->stats_lock);
  hf_input_set_state_locked (input, HF_INPUT_STATE_STOPPED, "stopped");
  g_mutex_unlock (&input->stats_lock);
  g_main_context_unref (input->context);
  input->context = NULL;
}

void
hf_input_free (HfInput * input)
{
  guint i;

  if (!input)
    return;
  hf_input_stop (input);
  for (i = 0; i < input->n_paths; i++)
    hf_input_spec_clear (&input->paths[i]);
  g_free (input->paths);
  hf_input_spec_clear (&input->spec);
  g_free (input->name);
  g_mutex_clear (&input->stats_lock);
  g_free (input);
}

const gchar *
hf_input_get_name (HfInput * input)
{
  return input->name;
}

guint
hf_input_get_index (HfInput * input)
{
  return input->index;
}

gboolean
hf_input_has_audio (HfInput * input)
{
  return g_atomic_int_get (&input->has_audio) != 0;
}

const gchar *
hf_input_get_audio_codec (HfInput * input)
{
  return g_atomic_pointer_get (&input->audio_codec);
}

guint
hf_input_get_epoch (HfInput * input)
{
  return (guint) g_atomic_int_get (&input->generation);
}

const HfInputSpec *
hf_input_get_spec (HfInput * input)
{
  return &input->spec;
}

/* Reads an integer field of srtsrc's stats whatever its exact type. */
static gdouble
hf_input_stats_number (const GstStructure * s, const gchar * field)
{
  const GValue *v = gst_structure_get_value (s, field);
  GValue d = G_VALUE_INIT;
  gdouble out = 0;

  if (!v)
    return -1;
  g_value_init (&d, G_TYPE_DOUBLE);
  if (g_value_transform (v, &d))
    out = g_value_get_double (&d);
  g_value_unset (&d);
  return out;
}

static void
hf_input_poll_srt_locked (HfInput * input, GstStructure * stats)
{
  const GstStructure *s = stats;
  const GValue *callers = gst_structure_get_value (stats, "callers");
  gdouble v;

  /* In listener mode the figures are per caller: take the (only) one. */
  if (callers && GST_VALUE_HOLDS_ARRAY (callers)) {
    if (gst_value_array_get_size (callers) == 0)
      return;
    s = gst_value_get_structure (gst_value_array_get_value (callers, 0));
  } else if (callers && G_VALUE_HOLDS_BOXED (callers)) {
    G_GNUC_BEGIN_IGNORE_DEPRECATIONS;
    GValueArray *arr = g_value_get_boxed (callers);

    if (G_VALUE_TYPE (callers) != g_value_array_get_type () || !arr ||
        arr->n_values == 0)
      return;
    s = g_value_get_boxed (g_value_array_get_nth (arr, 0));
    G_GNUC_END_IGNORE_DEPRECATIONS;
  }
  if (!s)
    return;
  if ((v = hf_input_stats_number (s, "packets-received")) >= 0)
    input->srt_received = v;
  if ((v = hf_input_stats_number (s, "packets-received-lost")) >= 0)
    input->srt_lost = v;
  if ((v = hf_input_stats_number (s, "rtt-ms")) >= 0)
    input->rtt_ms = v;
}

void
hf_input_tick (HfInput * input, gint64 now_us)
{
  GstStructure *srt_stats = NULL;
  guint64 expected = 0, lost = 0;
  guint64 recovered = 0, rlost = 0, rpushed = 0;
  gint generation = g_atomic_int_get (&input->generation);
  guint i;

  if (input->spec.kind != HF_INPUT_SRT)
    hf_input_read_repair (input, &recovered, &rlost, &rpushed);

  if (input->pipeline && input->spec.kind == HF_INPUT_SRT) {
    GstElement *src = NULL;
    GstIterator *it = gst_bin_iterate_sources (GST_BIN (input->pipeline));
    GValue item = G_VALUE_INIT;

    if (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
      src = g_value_get_object (&item);
      g_object_get (src, "stats", &srt_stats, NULL);
      g_value_unset (&item);
    }
    gst_iterator_free (it);
  }

  g_mutex_lock (&input->stats_lock);
  if (srt_stats) {
    hf_input_poll_srt_locked (input, srt_stats);
    gst_structure_free (srt_stats);
  }
  if (input->spec.kind == HF_INPUT_SRT) {
    lost = input->srt_lost_base + input->srt_lost;
    expected = input->srt_received_base + input->srt_received + lost;
  } else {
    for (i = 0; i < HF_INPUT_MAX_MEDIA; i++) {
      if (!input->rtp_used[i])
        continue;
      expected += hf_rtp_stats_expected (&input->rtp[i]);
      lost += hf_rtp_stats_lost (&input->rtp[i]);
    }
  }
  /* Loss over the interval since the last tick (RFC 3550 A.3's fraction
   * lost); lost can shrink when late packets arrive, hence the clamps. */
  if (expected > input->tick_expected) {
    guint64 de = expected - input->tick_expected;
    guint64 dl = lost > input->tick_lost ? lost - input->tick_lost : 0;

    input->loss_ratio = MIN (1.0, (gdouble) dl / de);
  } else if (expected < input->tick_expected) {
    input->loss_ratio = 0;
  }
  input->tick_expected = expected;
  input->tick_lost = lost;

  /* Repair figures: a pipeline torn down meanwhile has already folded its
   * counters into the totals. */
  hf_input_repair_tick_locked (input,
      generation == g_atomic_int_get (&input->generation), recovered, rlost,
      rpushed, now_us);
  if (input->state == HF_INPUT_STATE_LIVE &&
      now_us - input->last_media_us > HF_INPUT_STALL_US) {
    hf_input_set_state_locked (input, HF_INPUT_STATE_STALLED,
        "no packet for 1 s");
    input->loss_ratio = 0;
  }
  g_mutex_unlock (&input->stats_lock);
}

void
hf_input_get_stats (HfInput * input, gint64 now_us, HfInputStats * st)
{
  guint i;

  memset (st, 0, sizeof (*st));
  g_mutex_lock (&input->stats_lock);
  st->state = input->state;
  st->packets = input->packets;
  st->bytes = input->bytes;
  st->bitrate_bps = hf_rate_window_bps (&input->rate, now_us);
  st->loss_ratio = input->loss_ratio;
  st->packets_lost = input->tick_lost;
  for (i = 0; i < HF_INPUT_MAX_MEDIA; i++)
    if (input->rtp_used[i])
      st->jitter_ms = MAX (st->jitter_ms,
          hf_rtp_stats_jitter_ms (&input->rtp[i]));
  st->rtt_ms = input->rtt_ms;
  st->last_packet_age_ms = input->last_packet_us ?
      (now_us - input->last_packet_us) / 1000 : -1;
  st->malformed_packets = input->malformed;
  st->restarts = input->restarts;
  st->access_units = input->access_units;
  hf_input_repair_get_stats_locked (input, st);
  g_mutex_unlock (&input->stats_lock);
}

guint
hf_input_get_n_paths (HfInput * input)
{
  return input->n_paths ? input->n_paths : 1;
}

gboolean
hf_input_get_path_stats (HfInput * input, guint path, gint64 now_us,
    HfInputPathStats * st)
{
  GstElement *merge = NULL;
  guint64 fwd = 0, dup = 0;

  memset (st, 0, sizeof (*st));
  st->last_packet_age_ms = -1;
  if (path >= hf_input_get_n_paths (input))
    return FALSE;

  g_mutex_lock (&input->stats_lock);
  if (input->n_paths == 0) {
    st->received = st->forwarded = input->packets;
    st->last_packet_age_ms = input->last_packet_us ?
        (now_us - input->last_packet_us) / 1000 : -1;
    g_mutex_unlock (&input->stats_lock);
    return TRUE;
  }
  st->received = input->path_received[path];
  st->forwarded = input->path_forwarded_base[path];
  st->duplicates = input->path_duplicates_base[path];
  st->last_packet_age_ms = input->path_last_us[path] ?
      (now_us - input->path_last_us[path]) / 1000 : -1;
  if (input->merge)
    merge = gst_object_ref (input->merge);
  g_mutex_unlock (&input->stats_lock);

  /* The live element's counters, read without our lock: its "stats" takes
   * the element's own lock, which its streaming threads hold briefly. */
  if (merge) {
    hf_input_merge_path_counters (merge, path, &fwd, &dup);
    gst_object_unref (merge);
  }
  st->forwarded += fwd;
  st->duplicates += dup;
  return TRUE;
}
