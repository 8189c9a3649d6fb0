/* Fuzz target: what an operator or a peer writes that the ingest module
 * reads -- SDP text (hf_sdp_parse_media) and input/output URLs
 * (hf_url_parse, hf_input_spec_parse, hf_output_spec_parse) -- on arbitrary
 * bytes.  The whole input is tried as SDP and as one URL, then each of its
 * lines that holds "://" as a URL, so seeds can mix both.  Results are
 * checked against what the parsers promise; abort() if they break it.
 *
 * Single-threaded; gst_init() once, for the caps the SDP parser makes.
 */
#include "tests/fuzz/fuzz.h"
#include "relay/hf-relay.h"

#include <stdlib.h>
#include <string.h>

static void
hf_fuzz_check_media (GPtrArray * media)
{
  gboolean have[2] = { FALSE, FALSE };
  guint i;

  if (media->len == 0 || media->len > 2)
    abort ();
  for (i = 0; i < media->len; i++) {
    const HfSdpMedia *m = g_ptr_array_index (media, i);
    const GstStructure *s;

    if (m->kind != HF_MEDIA_VIDEO && m->kind != HF_MEDIA_AUDIO)
      abort ();
    if (have[m->kind])
      abort ();
    have[m->kind] = TRUE;
    if (m->port == 0 || m->port == 65535 || m->payload > 127)
      abort ();
    if (!m->encoding || !m->caps || gst_caps_get_size (m->caps) != 1)
      abort ();
    if (m->kind == HF_MEDIA_VIDEO ? strcmp (m->encoding, "H264") != 0 :
        strcmp (m->encoding, "MPEG4-GENERIC") != 0 &&
        strcmp (m->encoding, "MP4A-LATM") != 0 &&
        strcmp (m->encoding, "OPUS") != 0)
      abort ();
    s = gst_caps_get_structure (m->caps, 0);
    if (!gst_structure_has_name (s, "application/x-rtp") ||
        !gst_structure_has_field (s, "clock-rate"))
      abort ();
  }
}

static void
hf_fuzz_try_url (const gchar * text)
{
  GError *error = NULL;
  HfUrl *url;
  HfInputSpec in;
  HfOutputSpec out;

  url = hf_url_parse (text, &error);
  if (url) {
    if (url->port == 0 || !url->host || !url->params)
      abort ();
    hf_url_free (url);
  } else {
    if (!error || error->domain != HF_INGEST_ERROR)
      abort ();
    g_clear_error (&error);
  }

  if (hf_input_spec_parse (text, &in, &error)) {
    if (in.port == 0 || !in.host || !in.url)
      abort ();
    if (in.passphrase && (strlen (in.passphrase) < 10 ||
            strlen (in.passphrase) > 79))
      abort ();
    if (in.kind == HF_INPUT_SRT && in.srt_mode == HF_SRT_CALLER && !*in.host)
      abort ();
    if (in.kind != HF_INPUT_SRT && in.port == 65535)
      abort ();
    if (in.kind == HF_INPUT_RTP_SDP && (!in.sdp_path || !*in.sdp_path))
      abort ();
    /* An SDP input's ports come from the file it names: not followed
     * here. */
    if (in.kind != HF_INPUT_RTP_SDP) {
      guint16 ports[8];
      guint n = hf_input_spec_local_ports (&in, ports), i;

      if (n > 2)
        abort ();
      for (i = 0; i < n; i++)
        if (ports[i] == 0)
          abort ();
    }
    hf_input_spec_clear (&in);
  } else {
    if (!error)
      abort ();
    g_clear_error (&error);
  }

  if (hf_output_spec_parse (text, &out, &error)) {
    if (out.port == 0 || !out.host || !out.url)
      abort ();
    if (out.kind != HF_OUTPUT_SRT_LISTENER && !*out.host)
      abort ();
    hf_output_spec_clear (&out);
  } else {
    if (!error)
      abort ();
    g_clear_error (&error);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static gboolean initialized;
  GError *error = NULL;
  GPtrArray *media;
  gchar *text, **lines;
  guint i;

  if (!initialized) {
    gst_init (NULL, NULL);
    initialized = TRUE;
  }

  media = hf_sdp_parse_media (data, size, &error);
  if (media) {
    hf_fuzz_check_media (media);
    g_ptr_array_unref (media);
  } else {
    if (!error || error->domain != HF_INGEST_ERROR)
      abort ();
    g_clear_error (&error);
  }

  /* As URLs: the whole text, and each line that looks like one (the
   * others would only repeat the parsers' first refusal). */
  text = g_strndup ((const gchar *) data, size);
  hf_fuzz_try_url (text);
  lines = g_strsplit (text, "\n", 64);
  for (i = 0; lines[i]; i++)
    if (strstr (lines[i], "://"))
      hf_fuzz_try_url (g_strstrip (lines[i]));
  g_strfreev (lines);
  g_free (text);
  return 0;
}
