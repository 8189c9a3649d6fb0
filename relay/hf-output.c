/* Stream outputs (see relay-private.h).
 *
 * SRT outputs are handled by hf-srt.c (our libsrt wrapper).  An RTP output
 * is a small pipeline, appsrc ! rtpmp2tpay ! udpsink, so that SSRC and
 * sequence numbers stay continuous for the life of the output whatever
 * happens upstream.
 */
#include "relay/relay-private.h"
#include "relay/hf-srt.h"

#include <gst/app/gstappsrc.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (hf_output_debug);
#define GST_CAT_DEFAULT hf_output_debug

struct _HfOutput
{
  HfOutputSpec spec;
  gchar *name;
  HfSrtOutput *srt;
  GstElement *pipeline;         /* RTP */
  GstElement *appsrc;
  gint rtp_started;             /* atomic: first keyframe seen */
  guint64 rtp_bytes;            /* atomic-ish: program thread writes */
  guint64 rtp_packets;
};

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
    case HF_OUTPUT_RTP:{
      g_autofree gchar *desc =
          g_strdup_printf ("appsrc name=src is-live=true format=time "
          "do-timestamp=true block=false max-bytes=8000000 "
          "caps=video/mpegts,systemstream=true,packetsize=188 "
          "! rtpmp2tpay pt=33 mtu=1400 "
          "! udpsink host=%s port=%u sync=false async=false",
          spec->host, spec->port);

      out->pipeline = gst_parse_launch (desc, error);
      if (!out->pipeline)
        goto fail;
      out->appsrc = gst_bin_get_by_name (GST_BIN (out->pipeline), "src");
      if (gst_element_set_state (out->pipeline, GST_STATE_PLAYING) ==
          GST_STATE_CHANGE_FAILURE) {
        g_set_error (error, HF_CONFIG_ERROR, HF_CONFIG_ERROR_INVALID,
            "cannot start the RTP output to %s:%u", spec->host, spec->port);
        goto fail;
      }
      break;
    }
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
    gst_object_unref (out->appsrc);
    gst_object_unref (out->pipeline);
  }
  hf_output_spec_clear (&out->spec);
  g_free (out->name);
  g_free (out);
}

gboolean
hf_output_wants_gop (HfOutput * out)
{
  if (out->srt)
    return hf_srt_output_wants_gop (out->srt);
  return !g_atomic_int_get (&out->rtp_started);
}

void
hf_output_send (HfOutput * out, const guint8 * data, gsize size, GBytes * gop)
{
  GstBuffer *buf;

  if (out->srt) {
    hf_srt_output_send (out->srt, data, size, gop);
    return;
  }
  if (!g_atomic_int_get (&out->rtp_started)) {
    if (!gop)
      return;
    g_atomic_int_set (&out->rtp_started, 1);
    buf = gst_buffer_new_memdup (g_bytes_get_data (gop, NULL),
        g_bytes_get_size (gop));
    out->rtp_bytes += gst_buffer_get_size (buf);
    gst_app_src_push_buffer (GST_APP_SRC (out->appsrc), buf);
  }
  buf = gst_buffer_new_memdup (data, size);
  out->rtp_bytes += size;
  out->rtp_packets += (size + 1315) / 1316;
  gst_app_src_push_buffer (GST_APP_SRC (out->appsrc), buf);
}

void
hf_output_add_json (HfOutput * out, JsonBuilder * b)
{
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
    json_builder_set_member_name (b, "viewers");
    json_builder_add_int_value (b, st.viewers);
    json_builder_set_member_name (b, "connections_total");
    json_builder_add_int_value (b, st.connections);
    json_builder_set_member_name (b, "bytes_sent");
    json_builder_add_int_value (b, st.bytes_sent);
    json_builder_set_member_name (b, "packets_sent");
    json_builder_add_int_value (b, st.packets_sent);
    json_builder_set_member_name (b, "dropped_packets");
    json_builder_add_int_value (b, st.dropped_packets);
    json_builder_set_member_name (b, "dropped_viewers");
    json_builder_add_int_value (b, st.dropped_peers);
    json_builder_set_member_name (b, "gop_replays");
    json_builder_add_int_value (b, st.gop_replays);
    json_builder_set_member_name (b, "gop_bytes_replayed");
    json_builder_add_int_value (b, st.gop_bytes_replayed);
  } else {
    json_builder_set_member_name (b, "viewers");
    json_builder_add_int_value (b, g_atomic_int_get (&out->rtp_started));
    json_builder_set_member_name (b, "bytes_sent");
    json_builder_add_int_value (b, out->rtp_bytes);
    json_builder_set_member_name (b, "packets_sent");
    json_builder_add_int_value (b, out->rtp_packets);
    json_builder_set_member_name (b, "dropped_packets");
    json_builder_add_int_value (b, 0);
  }
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
    figures->viewers = g_atomic_int_get (&out->rtp_started) ? 1 : 0;
    figures->connections = figures->viewers;
    figures->bytes_sent = out->rtp_bytes;
    figures->packets_sent = out->rtp_packets;
  }
}
