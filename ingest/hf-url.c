/* URL and input-specification parsing for the ingest module.
 *
 * GUri does the lexing; this file decides what a Holdfast input URL may
 * say and turns every refusal into a sentence that names the culprit.  Runs
 * on whichever thread loads the config; no state of its own.
 */
#include "ingest/hf-ingest.h"

#include <gst/sdp/sdp.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (hf - ingest - error - quark, hf_ingest_error)
     void hf_url_free (HfUrl * url)
{
  if (!url)
    return;
  g_free (url->host);
  if (url->params)
    g_hash_table_unref (url->params);
  g_free (url);
}

HfUrl *
hf_url_parse (const gchar * text, GError ** error)
{
  g_autoptr (GError) err = NULL;
  g_autoptr (GUri) uri = NULL;
  g_autoptr (HfUrl) url = NULL;
  const gchar *scheme, *host, *query;
  gint port;

  if (!text || !*text) {
    g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_URL, "empty URL");
    return NULL;
  }
  uri = g_uri_parse (text, G_URI_FLAGS_NON_DNS | G_URI_FLAGS_ENCODED_QUERY,
      &err);
  if (!uri) {
    g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_URL,
        "'%s' is not a URL: %s", text, err->message);
    return NULL;
  }

  url = g_new0 (HfUrl, 1);
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "srt") == 0) {
    url->scheme = HF_URL_SRT;
  } else if (g_ascii_strcasecmp (scheme, "rtp") == 0) {
    url->scheme = HF_URL_RTP;
  } else {
    g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_URL,
        "'%s': unsupported scheme '%s' (use srt:// or rtp://)", text, scheme);
    return NULL;
  }

  host = g_uri_get_host (uri);
  url->host = g_strdup (host ? host : "");
  /* Bracketed IPv6 literals come back without brackets. */
  port = g_uri_get_port (uri);
  if (port <= 0 || port > 65535) {
    g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_URL,
        "'%s': a port between 1 and 65535 is required", text);
    return NULL;
  }
  url->port = port;
  if (g_uri_get_path (uri) && *g_uri_get_path (uri) &&
      strcmp (g_uri_get_path (uri), "/") != 0) {
    g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_URL,
        "'%s': unexpected path '%s'", text, g_uri_get_path (uri));
    return NULL;
  }

  query = g_uri_get_query (uri);
  if (query && *query) {
    url->params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, &err);
    if (!url->params) {
      g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_URL,
          "'%s': bad query: %s", text, err->message);
      return NULL;
    }
  } else {
    url->params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
        g_free);
  }
  return g_steal_pointer (&url);
}

const gchar *
hf_url_param (const HfUrl * url, const gchar * key)
{
  return g_hash_table_lookup (url->params, key);
}

gboolean
hf_url_check_params (const HfUrl * url, const gchar * const *known,
    GError ** error)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, url->params);
  while (g_hash_table_iter_next (&iter, &key, NULL)) {
    if (!g_strv_contains (known, key)) {
      g_autofree gchar *list = g_strjoinv (", ", (gchar **) known);

      g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_URL,
          "unknown URL parameter '%s' (known: %s)", (const gchar *) key,
          *known ? list : "none");
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
hf_url_param_int (const HfUrl * url, const gchar * key, gint min, gint max,
    gint * value, GError ** error)
{
  const gchar *text = hf_url_param (url, key);
  gint64 v;
  gchar *end = NULL;

  if (!text)
    return TRUE;
  v = g_ascii_strtoll (text, &end, 10);
  if (!*text || *end || v < min || v > max) {
    g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_URL,
        "URL parameter %s=%s: expected a whole number from %d to %d", key,
        text, min, max);
    return FALSE;
  }
  *value = (gint) v;
  return TRUE;
}

/* ---- Input specifications ---------------------------------------------- */

const gchar *
hf_input_kind_to_string (HfInputKind kind)
{
  switch (kind) {
    case HF_INPUT_SRT:
      return "srt";
    case HF_INPUT_RTP_TS:
      return "rtp";
    case HF_INPUT_RTP_SDP:
      return "rtp-sdp";
  }
  return "unknown";
}

void
hf_input_spec_clear (HfInputSpec * spec)
{
  g_free (spec->url);
  g_free (spec->host);
  g_free (spec->streamid);
  g_free (spec->passphrase);
  g_free (spec->sdp_path);
  memset (spec, 0, sizeof (*spec));
}

static gboolean
hf_input_spec_parse_srt (const HfUrl * url, HfInputSpec * spec, GError ** error)
{
  static const gchar *const known[] = { "mode", "streamid", "passphrase",
    "latency", NULL
  };
  static const gchar *const rtp_only[] = { "fec", "rtx", "min-bitrate",
    "max-bitrate", NULL
  };
  const gchar *mode, *pass;
  guint i;

  /* Named before the generic "unknown parameter" refusal: an operator who
   * writes srt://...?fec=20 deserves to hear why. */
  for (i = 0; rtp_only[i]; i++) {
    if (hf_url_param (url, rtp_only[i])) {
      g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_URL,
          "URL parameter %s: only for rtp:// inputs (SRT repairs losses "
          "inside libsrt and has no RTCP feedback)", rtp_only[i]);
      return FALSE;
    }
  }
  if (!hf_url_check_params (url, known, error))
    return FALSE;
  spec->kind = HF_INPUT_SRT;
  mode = hf_url_param (url, "mode");
  if (!mode || g_str_equal (mode, "listener")) {
    spec->srt_mode = HF_SRT_LISTENER;
  } else if (g_str_equal (mode, "caller")) {
    spec->srt_mode = HF_SRT_CALLER;
    if (!*spec->host) {
      g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_URL,
          "mode=caller needs a host to call");
      return FALSE;
    }
  } else {
    g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_URL,
        "mode=%s: expected listener or caller", mode);
    return FALSE;
  }
  spec->latency_ms = 120;
  if (!hf_url_param_int (url, "latency", 0, 60000, &spec->latency_ms, error))
    return FALSE;
  pass = hf_url_param (url, "passphrase");
  if (pass && (strlen (pass) < 10 || strlen (pass) > 79)) {
    g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_URL,
        "passphrase: SRT needs 10 to 79 characters");
    return FALSE;
  }
  spec->passphrase = g_strdup (pass);
  spec->streamid = g_strdup (hf_url_param (url, "streamid"));
  return TRUE;
}

const gchar *
hf_fec_mode_to_string (HfFecMode mode)
{
  switch (mode) {
    case HF_FEC_OFF:
      return "off";
    case HF_FEC_AUTO:
      return "auto";
    case HF_FEC_FIXED:
      return "fixed";
  }
  return "unknown";
}

/* Parses a bitrate parameter in kbit/s (1 .. 1000000). */
static gboolean
hf_input_spec_parse_kbps (const HfUrl * url, const gchar * key, gint * kbps,
    GError ** error)
{
  return hf_url_param_int (url, key, 1, 1000000, kbps, error);
}

gboolean
hf_url_param_repair (const HfUrl * url, HfFecMode * fec_mode,
    gint * fec_percent, gboolean * rtx_on, GError ** error)
{
  const gchar *fec = hf_url_param (url, "fec");
  const gchar *rtx = hf_url_param (url, "rtx");

  *fec_mode = HF_FEC_OFF;
  *fec_percent = 0;
  if (fec && g_str_equal (fec, "auto")) {
    *fec_mode = HF_FEC_AUTO;
  } else if (fec && !g_str_equal (fec, "off")) {
    gchar *end = NULL;
    gint64 v = g_ascii_strtoll (fec, &end, 10);

    if (!*fec || *end || v < 1 || v > 100) {
      g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_URL,
          "URL parameter fec=%s: expected off, auto or an overhead in "
          "percent from 1 to 100", fec);
      return FALSE;
    }
    *fec_mode = HF_FEC_FIXED;
    *fec_percent = (gint) v;
  }

  *rtx_on = FALSE;
  if (rtx) {
    if (g_str_equal (rtx, "on") || g_str_equal (rtx, "true") ||
        g_str_equal (rtx, "1")) {
      *rtx_on = TRUE;
    } else if (!(g_str_equal (rtx, "off") || g_str_equal (rtx, "false") ||
            g_str_equal (rtx, "0"))) {
      g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_URL,
          "URL parameter rtx=%s: expected on or off", rtx);
      return FALSE;
    }
  }
  return TRUE;
}

/* `fec=off|auto|N`, `rtx=on|off`, `min-bitrate`, `max-bitrate`. */
static gboolean
hf_input_spec_parse_repair (const HfUrl * url, HfInputSpec * spec,
    GError ** error)
{
  if (!hf_url_param_repair (url, &spec->fec_mode, &spec->fec_percent,
          &spec->rtx, error))
    return FALSE;

  spec->min_bitrate_kbps = spec->max_bitrate_kbps = 0;
  if (!hf_input_spec_parse_kbps (url, "min-bitrate", &spec->min_bitrate_kbps,
          error) ||
      !hf_input_spec_parse_kbps (url, "max-bitrate", &spec->max_bitrate_kbps,
          error))
    return FALSE;
  if (spec->min_bitrate_kbps && spec->max_bitrate_kbps &&
      spec->min_bitrate_kbps > spec->max_bitrate_kbps) {
    g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_URL,
        "URL parameters min-bitrate=%d and max-bitrate=%d: the minimum is "
        "above the maximum", spec->min_bitrate_kbps, spec->max_bitrate_kbps);
    return FALSE;
  }
  return TRUE;
}

static gboolean
hf_input_spec_parse_rtp (const HfUrl * url, HfInputSpec * spec, GError ** error)
{
  static const gchar *const known[] = { "sdp", "latency", "fec", "rtx",
    "min-bitrate", "max-bitrate", NULL
  };
  const gchar *sdp;

  if (!hf_url_check_params (url, known, error))
    return FALSE;
  if (url->port >= 65535) {
    g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_URL,
        "port %u leaves no room for RTCP on port+1", url->port);
    return FALSE;
  }
  if (!hf_input_spec_parse_repair (url, spec, error))
    return FALSE;
  /* Repair needs time: a retransmission is one round trip plus the
   * sender's reaction, and a FEC block closes after up to
   * HF_FEC_DEFAULT_BLOCK_MS.  An explicit latency still wins. */
  spec->latency_ms = (spec->fec_mode != HF_FEC_OFF || spec->rtx) ?
      HF_INPUT_REPAIR_LATENCY_MS : 50;
  if (!hf_url_param_int (url, "latency", 0, 5000, &spec->latency_ms, error))
    return FALSE;
  sdp = hf_url_param (url, "sdp");
  if (sdp) {
    if (!*sdp) {
      g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_URL,
          "sdp= needs a file path");
      return FALSE;
    }
    spec->kind = HF_INPUT_RTP_SDP;
    spec->sdp_path = g_strdup (sdp);
  } else {
    spec->kind = HF_INPUT_RTP_TS;
  }
  return TRUE;
}

gboolean
hf_input_spec_parse (const gchar * text, HfInputSpec * spec, GError ** error)
{
  g_autoptr (HfUrl) url = NULL;
  gboolean ok;

  memset (spec, 0, sizeof (*spec));
  url = hf_url_parse (text, error);
  if (!url)
    return FALSE;
  spec->url = g_strdup (text);
  spec->host = g_strdup (url->host);
  spec->port = url->port;
  if (url->scheme == HF_URL_SRT)
    ok = hf_input_spec_parse_srt (url, spec, error);
  else
    ok = hf_input_spec_parse_rtp (url, spec, error);
  if (!ok)
    hf_input_spec_clear (spec);
  return ok;
}

guint
hf_input_spec_local_ports (const HfInputSpec * spec, guint16 * ports)
{
  guint n = 0;

  switch (spec->kind) {
    case HF_INPUT_SRT:
      if (spec->srt_mode == HF_SRT_LISTENER)
        ports[n++] = spec->port;
      break;
    case HF_INPUT_RTP_TS:
      ports[n++] = spec->port;
      ports[n++] = spec->port + 1;
      break;
    case HF_INPUT_RTP_SDP:{
      g_autofree gchar *data = NULL;
      gsize size;
      GPtrArray *media;
      guint i;

      ports[n++] = spec->port;
      ports[n++] = spec->port + 1;
      if (!g_file_get_contents (spec->sdp_path, &data, &size, NULL))
        break;
      media = hf_sdp_parse_media ((const guint8 *) data, size, NULL);
      if (!media)
        break;
      for (i = 0; i < media->len && n + 2 <= 8; i++) {
        HfSdpMedia *m = g_ptr_array_index (media, i);

        if (m->port == spec->port)
          continue;
        ports[n++] = m->port;
        ports[n++] = m->port + 1;
      }
      g_ptr_array_unref (media);
      break;
    }
  }
  return n;
}

/* ---- SDP ---------------------------------------------------------------- */

static void
hf_sdp_media_free (gpointer p)
{
  HfSdpMedia *m = p;

  g_free (m->encoding);
  gst_clear_caps (&m->caps);
  g_free (m);
}

static gboolean
hf_sdp_encoding_supported (HfMediaKind kind, const gchar * enc)
{
  if (kind == HF_MEDIA_VIDEO)
    return g_str_equal (enc, "H264");
  return g_str_equal (enc, "MPEG4-GENERIC") || g_str_equal (enc, "MP4A-LATM")
      || g_str_equal (enc, "OPUS");
}

GPtrArray *
hf_sdp_parse_media (const guint8 * data, gsize size, GError ** error)
{
  GstSDPMessage *msg = NULL;
  GPtrArray *out;
  guint i;
  gboolean have[2] = { FALSE, FALSE };

  if (gst_sdp_message_new (&msg) != GST_SDP_OK)
    return NULL;
  if (size == 0 || gst_sdp_message_parse_buffer (data, size, msg) != GST_SDP_OK
      || gst_sdp_message_medias_len (msg) == 0) {
    g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_SDP,
        "not an SDP description with media");
    gst_sdp_message_free (msg);
    return NULL;
  }

  out = g_ptr_array_new_with_free_func (hf_sdp_media_free);
  for (i = 0; i < gst_sdp_message_medias_len (msg); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (msg, i);
    const gchar *type = gst_sdp_media_get_media (media);
    const gchar *fmt;
    GstCaps *caps;
    GstStructure *s;
    HfMediaKind kind;
    HfSdpMedia *m;
    gint pt;
    const gchar *enc;

    if (!type || !gst_sdp_media_get_proto (media) ||
        !g_str_has_prefix (gst_sdp_media_get_proto (media), "RTP/"))
      continue;
    if (g_str_equal (type, "video"))
      kind = HF_MEDIA_VIDEO;
    else if (g_str_equal (type, "audio"))
      kind = HF_MEDIA_AUDIO;
    else
      continue;
    if (have[kind] || gst_sdp_media_formats_len (media) < 1)
      continue;
    if (gst_sdp_media_get_port (media) == 0 ||
        gst_sdp_media_get_port (media) >= 65535)
      continue;
    fmt = gst_sdp_media_get_format (media, 0);
    pt = fmt ? atoi (fmt) : -1;
    if (pt < 0 || pt > 127)
      continue;
    caps = gst_sdp_media_get_caps_from_media (media, pt);
    if (!caps)
      continue;
    caps = gst_caps_make_writable (caps);
    s = gst_caps_get_structure (caps, 0);
    gst_structure_set_name (s, "application/x-rtp");
    gst_sdp_media_attributes_to_caps (media, caps);
    enc = gst_structure_get_string (s, "encoding-name");
    if (!enc || !gst_structure_has_field (s, "clock-rate")) {
      gst_caps_unref (caps);
      continue;
    }
    {
      g_autofree gchar *upper = g_ascii_strup (enc, -1);

      if (!hf_sdp_encoding_supported (kind, upper)) {
        gst_caps_unref (caps);
        continue;
      }
      m = g_new0 (HfSdpMedia, 1);
      m->kind = kind;
      m->port = gst_sdp_media_get_port (media);
      m->payload = pt;
      m->encoding = g_steal_pointer (&upper);
      gst_structure_set (s, "encoding-name", G_TYPE_STRING, m->encoding, NULL);
      m->caps = caps;
      g_ptr_array_add (out, m);
      have[kind] = TRUE;
    }
  }
  gst_sdp_message_free (msg);

  if (out->len == 0) {
    g_set_error (error, HF_INGEST_ERROR, HF_INGEST_ERROR_SDP,
        "the SDP has no usable media (supported: H264 video; "
        "MPEG4-GENERIC, MP4A-LATM or OPUS audio over RTP)");
    g_ptr_array_unref (out);
    return NULL;
  }
  return out;
}
