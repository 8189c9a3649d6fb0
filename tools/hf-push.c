/* hf-push: the test publisher for Holdfast.
 *
 * Encodes a live test picture and a 440 Hz tone and sends them to a relay
 * input the way real encoders do: MPEG-TS over SRT, MPEG-TS over RTP (as
 * `ffmpeg -f rtp_mpegts` sends it) or one RTP session per medium described
 * by an SDP file.  Every frame carries its label, its frame number and the
 * wall-clock time burnt in, so a viewer (or a test grabbing one frame) can
 * tell which input is on air and how late it arrives; and a LIVE picture
 * mark (failover/hf-mark.h: the frame number and the monotonic clock at the
 * bottom left) says the same to a machine, hf-probe.  On SRT it keeps
 * reconnecting with a backoff while the relay is down, so it can be started
 * before the relay and survives relay restarts.
 *
 * Threads: main() and every bus, signal and timeout callback run on the
 * default GMainContext (the control thread).  The buffer probe that writes
 * the overlay text and draws the mark runs on the video streaming thread.
 * notify::caps on the payloaders runs on the streaming threads; it only
 * hands the caps to the control thread under sdp_lock, which writes the SDP
 * file.  srtsink's caller-added runs on its SRT listener thread and only
 * sends an event.
 */

#include <errno.h>
#include <string.h>

#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>

#include "abr/hf-abr.h"
#include "failover/hf-mark.h"
#include "ingest/hf-fec.h"

#ifndef HF_VERSION
#define HF_VERSION "dev"
#endif

GST_DEBUG_CATEGORY_STATIC (hf_push_debug);
#define GST_CAT_DEFAULT hf_push_debug

#define HF_PUSH_EXIT_OK 0
#define HF_PUSH_EXIT_FAILURE 1
#define HF_PUSH_EXIT_USAGE 2

#define HF_PUSH_RETRY_MIN_MS 200
#define HF_PUSH_RETRY_MAX_MS 2000
#define HF_PUSH_EOS_TIMEOUT_S 2
/* The SRT statistics are read this often, for the rate controller. */
#define HF_PUSH_SRT_POLL_MS 200
#define HF_PUSH_RAW_QUEUE_MS 200
#define HF_PUSH_SRT_LINGER_MS 500
/* 30 days: the timer counts milliseconds in a guint. */
#define HF_PUSH_MAX_DURATION_S (30 * 24 * 3600)

#define HF_PUSH_VIDEO_PT 96
#define HF_PUSH_AUDIO_PT 97
#define HF_PUSH_AUDIO_RATE 48000
#define HF_PUSH_AUDIO_CHANNELS 2

typedef enum
{
  HF_PUSH_ERROR_USAGE,
  HF_PUSH_ERROR_FAILED,
} HfPushError;

#define HF_PUSH_ERROR (hf_push_error_quark ())
static GQuark hf_push_error_quark (void);
G_DEFINE_QUARK (hf - push - error - quark, hf_push_error);

typedef enum
{
  HF_PUSH_OUTPUT_SRT,
  HF_PUSH_OUTPUT_RTP_TS,
  HF_PUSH_OUTPUT_RTP_SDP,
} HfPushOutput;

typedef enum
{
  HF_PUSH_AUDIO_AAC,
  HF_PUSH_AUDIO_OPUS,
} HfPushAudio;

typedef struct
{
  /* Options as given on the command line (control thread, read-only once
   * the pipeline exists). */
  gchar *url;
  gchar *pattern;
  gint bitrate;
  gchar *label;
  gint width;
  gint height;
  gint fps;
  gint gop;
  gchar *audio_name;
  gint duration;
  gchar *fec;                   /* off | auto | N */
  gchar *rtx_name;              /* on | off */
  gint min_bitrate;             /* kbit/s; 0 until defaulted */
  gint max_bitrate;

  /* The destination, parsed from url. */
  HfPushOutput output;
  HfPushAudio audio;
  gint pattern_value;
  gchar *host;
  guint port;
  gchar *srt_uri;
  gboolean srt_listener;
  gchar *sdp_path;
  gchar *display_url;
  gchar *label_markup;
  gboolean rtx;

  /* Control thread only. */
  GMainLoop *loop;
  GstElement *pipeline;
  GstElement *srtsink;
  GstElement *venc;             /* x264enc: its bitrate follows the link */
  guint current_kbps;
  HfSrtRatectl *srt_rc;         /* SRT: from the connection's statistics */
  gdouble srt_prev_bytes;       /* libsrt's bytes-sent at the last poll */
  gint64 srt_prev_us;           /* and when; 0: no previous poll */
  guint retry_id;
  guint retry_ms;
  guint stop_id;
  guint srt_poll_id;
  gboolean stopping;
  gboolean connected;
  guint duration_id;
  gint exit_code;
  GstCaps *written_video_caps;
  GstCaps *written_audio_caps;
  guint sdp_version;
  gchar *sdp_session_id;

  /* Video streaming thread only, once the pipeline runs. */
  GstElement *overlay;
  guint64 frames;
  guint8 mark_source;           /* this run's number in the LIVE mark */
  GstVideoInfo raw_info;

  /* Caps of the payloaders, handed from the streaming threads to the
   * control thread. */
  GMutex sdp_lock;
  GstPad *video_pay_src;        /* (transfer none): the pipeline owns it */
  GstCaps *video_caps;
  GstCaps *audio_caps;
  guint sdp_idle_id;
} HfPush;

/* ---------------------------------------------------------------------- */
/* Command line and destination                                           */

/* Looks a videotestsrc pattern up by its nick ("smpte", "ball", ...) so any
 * pattern the element knows is accepted.  Control thread. */
static gboolean
hf_push_lookup_pattern (const gchar * nick, gint * value)
{
  GstElement *src;
  GParamSpec *pspec;
  GEnumValue *ev;
  gboolean found = FALSE;

  src = gst_element_factory_make ("videotestsrc", NULL);
  if (src == NULL)
    return FALSE;

  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (src), "pattern");
  if (pspec != NULL && G_IS_PARAM_SPEC_ENUM (pspec)) {
    ev = g_enum_get_value_by_nick (G_PARAM_SPEC_ENUM (pspec)->enum_class, nick);
    if (ev != NULL) {
      *value = ev->value;
      found = TRUE;
    }
  }
  gst_object_unref (src);
  return found;
}

/* Splits "HOST:PORT" or "[V6HOST]:PORT" into its parts.  An empty host is
 * allowed here (an SRT listener binds every address); callers that need a
 * host check for it. */
static gboolean
hf_push_split_authority (const gchar * authority, gchar ** host, guint * port,
    GError ** error)
{
  const gchar *colon;
  guint64 value;

  if (authority[0] == '[') {
    const gchar *end = strchr (authority, ']');

    if (end == NULL || end[1] != ':') {
      g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
          "bad address \"%s\": expected [IPV6]:PORT", authority);
      return FALSE;
    }
    *host = g_strndup (authority + 1, end - authority - 1);
    colon = end + 1;
  } else {
    colon = strrchr (authority, ':');
    if (colon == NULL) {
      g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
          "bad address \"%s\": expected HOST:PORT", authority);
      return FALSE;
    }
    *host = g_strndup (authority, colon - authority);
  }

  if (!g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &value, NULL)) {
    g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
        "bad port \"%s\": expected a number from 1 to 65535", colon + 1);
    g_clear_pointer (host, g_free);
    return FALSE;
  }
  *port = (guint) value;
  return TRUE;
}

/* Parses "a=1&b=2" into a table of unescaped keys and values.  Only the
 * first '=' splits and '#' is no fragment, so SRT stream ids such as
 * "#!::r=main,m=publish" pass as written (a value holding '&' needs %26). */
static GHashTable *
hf_push_parse_query (const gchar * query, GError ** error)
{
  GHashTable *params;
  gchar **parts;
  guint i;

  params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (query == NULL)
    return params;

  parts = g_strsplit (query, "&", -1);
  for (i = 0; parts[i] != NULL; i++) {
    gchar *eq, *key, *value;

    if (parts[i][0] == '\0')
      continue;
    eq = strchr (parts[i], '=');
    if (eq != NULL)
      *eq = '\0';
    key = g_uri_unescape_string (parts[i], NULL);
    value = g_uri_unescape_string (eq != NULL ? eq + 1 : "", NULL);
    if (key == NULL || value == NULL || key[0] == '\0') {
      g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
          "bad query parameter \"%s\"", parts[i]);
      g_free (key);
      g_free (value);
      goto failed;
    }
    g_hash_table_replace (params, key, value);
  }
  g_strfreev (parts);
  return params;

failed:
  g_strfreev (parts);
  g_hash_table_unref (params);
  return NULL;
}

/* Builds the uri srtsink understands.  srtsink resets every parameter when
 * its uri is set, so all of them (mode, latency, streamid, passphrase and
 * any other SRT socket option) travel in the query, escaped. */
static gboolean
hf_push_parse_srt (HfPush * push, GHashTable * params, GError ** error)
{
  const gchar *mode, *latency, *passphrase;
  GHashTableIter iter;
  gpointer key, value;
  GString *uri;
  guint64 number;

  mode = g_hash_table_lookup (params, "mode");
  if (mode == NULL)
    mode = "caller";
  if (g_strcmp0 (mode, "caller") != 0 && g_strcmp0 (mode, "listener") != 0
      && g_strcmp0 (mode, "rendezvous") != 0) {
    g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
        "bad SRT mode \"%s\": expected caller, listener or rendezvous", mode);
    return FALSE;
  }
  if (push->host[0] == '\0' && g_strcmp0 (mode, "listener") != 0) {
    g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
        "SRT %s mode needs a host: srt://HOST:PORT", mode);
    return FALSE;
  }

  latency = g_hash_table_lookup (params, "latency");
  if (latency != NULL && !g_ascii_string_to_unsigned (latency, 10, 0,
          G_MAXINT32, &number, NULL)) {
    g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
        "bad SRT latency \"%s\": expected milliseconds", latency);
    return FALSE;
  }

  passphrase = g_hash_table_lookup (params, "passphrase");
  if (passphrase != NULL && (strlen (passphrase) < 10
          || strlen (passphrase) > 79)) {
    g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
        "bad SRT passphrase: it must be 10 to 79 characters long");
    return FALSE;
  }

  uri = g_string_new ("srt://");
  if (push->host[0] == '\0')
    g_string_append (uri, "0.0.0.0");
  else if (strchr (push->host, ':') != NULL)
    g_string_append_printf (uri, "[%s]", push->host);
  else
    g_string_append (uri, push->host);
  g_string_append_printf (uri, ":%u?mode=%s", push->port, mode);

  g_hash_table_iter_init (&iter, params);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    gchar *k, *v;

    if (g_str_equal (key, "mode"))
      continue;
    k = g_uri_escape_string (key, NULL, FALSE);
    v = g_uri_escape_string (value, NULL, FALSE);
    g_string_append_printf (uri, "&%s=%s", k, v);
    g_free (k);
    g_free (v);
  }
  push->srt_uri = g_string_free (uri, FALSE);
  push->srt_listener = g_str_equal (mode, "listener");
  return TRUE;
}

/* The url as printed: an SRT passphrase must not end up in logs. */
static gchar *
hf_push_display_url (const gchar * url)
{
  const gchar *p;
  GString *s;

  p = strstr (url, "passphrase=");
  if (p == NULL || (p != url && p[-1] != '?' && p[-1] != '&'))
    return g_strdup (url);

  s = g_string_new_len (url, p - url + strlen ("passphrase="));
  g_string_append (s, "***");
  p = strchr (p, '&');
  if (p != NULL)
    g_string_append (s, p);
  return g_string_free (s, FALSE);
}

static gboolean
hf_push_parse_url (HfPush * push, GError ** error)
{
  const gchar *rest, *query;
  GHashTable *params = NULL;
  gchar *authority = NULL;
  gsize len;

  if (g_str_has_prefix (push->url, "srt://")) {
    push->output = HF_PUSH_OUTPUT_SRT;
  } else if (g_str_has_prefix (push->url, "rtp://")) {
    push->output = HF_PUSH_OUTPUT_RTP_TS;
  } else {
    g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
        "bad URL \"%s\": expected srt://HOST:PORT[?...] or "
        "rtp://HOST:PORT[?sdp=FILE]", push->url);
    return FALSE;
  }

  rest = push->url + strlen ("srt://");
  query = strchr (rest, '?');
  len = query != NULL ? (gsize) (query - rest) : strlen (rest);
  /* A trailing "/" before the query is harmless; any other path is not. */
  if (len > 0 && rest[len - 1] == '/')
    len--;
  authority = g_strndup (rest, len);
  if (strchr (authority, '/') != NULL || strchr (authority, '@') != NULL) {
    g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
        "bad URL \"%s\": expected no path or user name after the scheme",
        push->url);
    goto failed;
  }
  if (!hf_push_split_authority (authority, &push->host, &push->port, error))
    goto failed;

  params = hf_push_parse_query (query != NULL ? query + 1 : NULL, error);
  if (params == NULL)
    goto failed;

  if (push->output == HF_PUSH_OUTPUT_SRT) {
    if (!hf_push_parse_srt (push, params, error))
      goto failed;
  } else {
    GHashTableIter iter;
    gpointer key, value;

    if (push->host[0] == '\0') {
      g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
          "bad URL \"%s\": RTP needs a destination host", push->url);
      goto failed;
    }
    g_hash_table_iter_init (&iter, params);
    while (g_hash_table_iter_next (&iter, &key, &value)) {
      if (!g_str_equal (key, "sdp")) {
        g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
            "bad URL \"%s\": unknown RTP parameter \"%s\" (only sdp=FILE)",
            push->url, (const gchar *) key);
        goto failed;
      }
      if (((const gchar *) value)[0] == '\0') {
        g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
            "bad URL \"%s\": sdp= needs a file name", push->url);
        goto failed;
      }
      push->sdp_path = g_strdup (value);
      push->output = HF_PUSH_OUTPUT_RTP_SDP;
    }
    /* RTCP goes to PORT+1; with an SDP, audio to PORT+2 and PORT+3. */
    if (push->port + (push->output == HF_PUSH_OUTPUT_RTP_SDP ? 3 : 1) > 65535) {
      g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
          "bad port %u: the ports above it are needed too", push->port);
      goto failed;
    }
  }

  push->display_url = hf_push_display_url (push->url);
  g_hash_table_unref (params);
  g_free (authority);
  return TRUE;

failed:
  if (params != NULL)
    g_hash_table_unref (params);
  g_free (authority);
  return FALSE;
}

static gboolean
hf_push_check_options (HfPush * push, GError ** error)
{
  if (!hf_push_lookup_pattern (push->pattern, &push->pattern_value)) {
    g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
        "unknown pattern \"%s\": expected smpte, ball or another "
        "videotestsrc pattern name", push->pattern);
    return FALSE;
  }
  if (g_strcmp0 (push->audio_name, "aac") == 0) {
    push->audio = HF_PUSH_AUDIO_AAC;
  } else if (g_strcmp0 (push->audio_name, "opus") == 0) {
    push->audio = HF_PUSH_AUDIO_OPUS;
  } else {
    g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
        "unknown audio codec \"%s\": expected aac or opus", push->audio_name);
    return FALSE;
  }
  if (push->width < 16 || push->width > 7680 || push->width % 2 != 0
      || push->height < 16 || push->height > 4320 || push->height % 2 != 0) {
    g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
        "bad size %dx%d: width and height must be even, from 16x16 to "
        "7680x4320", push->width, push->height);
    return FALSE;
  }
  if (push->fps < 1 || push->fps > 240) {
    g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
        "bad --fps %d: expected 1 to 240", push->fps);
    return FALSE;
  }
  if (push->bitrate < 1 || push->bitrate > 2048000) {
    g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
        "bad --bitrate %d: expected kbit/s from 1 to 2048000", push->bitrate);
    return FALSE;
  }
  if (push->gop < 1) {
    g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
        "bad --gop %d: expected at least 1 frame", push->gop);
    return FALSE;
  }
  /* 0 (not given): the range defaults to [bitrate / 8 (at least 100,
   * at most the bitrate), bitrate]. */
  if (push->max_bitrate == 0)
    push->max_bitrate = push->bitrate;
  if (push->min_bitrate == 0)
    push->min_bitrate = MIN (push->bitrate, MAX (push->bitrate / 8, 100));
  if (push->min_bitrate < 1 || push->max_bitrate > 2048000
      || push->min_bitrate > push->bitrate
      || push->bitrate > push->max_bitrate) {
    g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
        "bad bitrate range: expected --min-bitrate (%d) <= --bitrate (%d) "
        "<= --max-bitrate (%d), in kbit/s from 1 to 2048000",
        push->min_bitrate, push->bitrate, push->max_bitrate);
    return FALSE;
  }
  if (push->fec != NULL && !g_str_equal (push->fec, "off")
      && !g_str_equal (push->fec, "auto")
      && !g_ascii_string_to_unsigned (push->fec, 10, 0, 100, NULL, NULL)) {
    g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
        "bad --fec \"%s\": expected off, auto or a percentage from 0 to 100",
        push->fec);
    return FALSE;
  }
  if (push->rtx_name != NULL && !g_str_equal (push->rtx_name, "on")
      && !g_str_equal (push->rtx_name, "off")) {
    g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
        "bad --rtx \"%s\": expected on or off", push->rtx_name);
    return FALSE;
  }
  push->rtx = g_strcmp0 (push->rtx_name, "on") == 0;
  if (push->duration < 0 || push->duration > HF_PUSH_MAX_DURATION_S) {
    g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
        "bad --duration %d: expected seconds up to %d, 0 for no end",
        push->duration, HF_PUSH_MAX_DURATION_S);
    return FALSE;
  }
  if (!g_utf8_validate (push->label, -1, NULL)) {
    g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
        "bad --label: not UTF-8");
    return FALSE;
  }
  /* textoverlay reads Pango markup: a label with '<' or '&' must show as
   * written. */
  push->label_markup = g_markup_escape_text (push->label, -1);
  if (!hf_push_parse_url (push, error))
    return FALSE;
  if (push->output == HF_PUSH_OUTPUT_SRT && (push->rtx
          || (push->fec != NULL && !g_str_equal (push->fec, "off")))) {
    g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_USAGE,
        "--fec and --rtx apply to rtp:// only: SRT repairs with its own ARQ");
    return FALSE;
  }
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Pipeline                                                               */

/* Each medium is produced on one thread (source and overlay) and encoded
 * and sent on another, through a leaky queue that keeps only the newest
 * HF_PUSH_RAW_QUEUE_MS of raw data.  An SRT caller blocks in srtsink until
 * the relay answers; without the leak, everything produced meanwhile would
 * be sent in a burst on connection and the stream would start seconds
 * late.  With it the relay gets a few stale frames, then the present. */

/* Creates an element and adds it to bin.  Once one element is missing the
 * following calls do nothing, so a builder checks *error once at its end.
 * Control thread. */
static GstElement *
hf_push_make (GstBin * bin, const gchar * factory, const gchar * name,
    GError ** error)
{
  GstElement *element;

  if (*error != NULL)
    return NULL;

  element = gst_element_factory_make (factory, name);
  if (element == NULL) {
    g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_FAILED,
        "GStreamer element \"%s\" is missing (see tools/install-deps.sh)",
        factory);
    return NULL;
  }
  gst_bin_add (bin, element);
  return element;
}

static gboolean
hf_push_link (GError ** error, GstElement * first, ...)
{
  GstElement *prev = first, *next;
  gboolean ok = TRUE;
  va_list args;

  if (*error != NULL)
    return FALSE;

  va_start (args, first);
  while (ok && (next = va_arg (args, GstElement *)) != NULL) {
    if (!gst_element_link (prev, next)) {
      g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_FAILED,
          "cannot link %s to %s", GST_ELEMENT_NAME (prev),
          GST_ELEMENT_NAME (next));
      ok = FALSE;
    }
    prev = next;
  }
  va_end (args);
  return ok;
}

/* Writes "LABEL  frame NNNNNN  HH:MM:SS.mmm" into the overlay for the frame
 * about to be drawn, and draws the same frame number with the monotonic
 * clock as a LIVE mark.  Video streaming thread, once per raw frame,
 * upstream of the overlay so the text and the frame match. */
static GstPadProbeReturn
hf_push_on_video_frame (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  HfPush *push = user_data;
  HfMark mark = { HF_MARK_LIVE, (guint32) push->frames, hf_mark_clock_now (),
    push->mark_source
  };
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GstVideoFrame frame;
  GDateTime *now;
  gchar *clock, *text;

  GST_PAD_PROBE_INFO_DATA (info) = buf;
  if (gst_video_frame_map (&frame, &push->raw_info, buf, GST_MAP_WRITE)) {
    hf_mark_draw (GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
        GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), push->width, push->height,
        &mark);
    gst_video_frame_unmap (&frame);
  }

  now = g_date_time_new_now_local ();
  clock = g_date_time_format (now, "%H:%M:%S");
  text = g_strdup_printf ("%s  frame %06" G_GUINT64_FORMAT "  %s.%03d",
      push->label_markup, push->frames, clock,
      g_date_time_get_microsecond (now) / 1000);
  g_object_set (push->overlay, "text", text, NULL);
  push->frames++;

  g_free (text);
  g_free (clock);
  g_date_time_unref (now);
  return GST_PAD_PROBE_OK;
}

static void
hf_push_set_leaky (GstElement * queue)
{
  gst_util_set_object_arg (G_OBJECT (queue), "leaky", "downstream");
  g_object_set (queue, "max-size-buffers", 0, "max-size-bytes", 0,
      "max-size-time", (guint64) HF_PUSH_RAW_QUEUE_MS * GST_MSECOND, NULL);
}

/* videotestsrc ! capsfilter ! textoverlay ! queue ! videoconvert ! x264enc
 * ! h264parse.  Returns h264parse (transfer none). */
static GstElement *
hf_push_build_video (HfPush * push, GstBin * bin, GError ** error)
{
  GstElement *src, *filter, *overlay, *queue, *convert, *enc, *parse;
  guint64 pixel_rate;
  GstCaps *caps;
  GstPad *pad;
  gchar *font;

  src = hf_push_make (bin, "videotestsrc", "vsrc", error);
  filter = hf_push_make (bin, "capsfilter", "vcaps", error);
  overlay = hf_push_make (bin, "textoverlay", "overlay", error);
  queue = hf_push_make (bin, "queue", "vqueue", error);
  convert = hf_push_make (bin, "videoconvert", "vconvert", error);
  enc = hf_push_make (bin, "x264enc", "venc", error);
  parse = hf_push_make (bin, "h264parse", "vparse", error);
  if (*error != NULL)
    return NULL;

  g_object_set (src, "is-live", TRUE, "pattern", push->pattern_value, NULL);

  caps = gst_caps_new_simple ("video/x-raw",
      "format", G_TYPE_STRING, "I420",
      "width", G_TYPE_INT, push->width,
      "height", G_TYPE_INT, push->height,
      "framerate", GST_TYPE_FRACTION, push->fps, 1, NULL);
  g_object_set (filter, "caps", caps, NULL);
  gst_video_info_from_caps (&push->raw_info, caps);
  gst_caps_unref (caps);

  /* "Sans Bold 24" at 540 lines, scaled with the height: big enough to read
   * on a 360p thumbnail, and at 16:9 a label of some 20 characters still
   * fits on the line (a longer one wraps). */
  font = g_strdup_printf ("Sans Bold %d", MAX (8, 24 * push->height / 540));
  g_object_set (overlay, "font-desc", font, "auto-resize", FALSE,
      "halignment", 0 /* left */ , "valignment", 2 /* top */ ,
      "shaded-background", TRUE, "shading-value", 160,
      "xpad", MAX (4, push->height / 40), "ypad", MAX (4, push->height / 40),
      "text", push->label_markup, NULL);
  g_free (font);
  push->overlay = overlay;

  push->venc = enc;
  push->current_kbps = (guint) push->bitrate;
  gst_util_set_object_arg (G_OBJECT (enc), "tune", "zerolatency");
  gst_util_set_object_arg (G_OBJECT (enc), "speed-preset", "ultrafast");
  g_object_set (enc, "bitrate", (guint) push->bitrate,
      "key-int-max", (guint) push->gop, "bframes", 0, NULL);
  /* One slice per frame.  zerolatency cuts every frame into one slice per
   * thread, and rtph264pay (config-interval=-1) then repeats SPS/PPS
   * between the slices of a key frame, which ffmpeg takes for the start of
   * a new picture: it decodes two broken halves.  One thread keeps the
   * zero latency and is fast enough at ultrafast up to 720p30; above that,
   * frame threads cost a few frames of delay instead. */
  pixel_rate = (guint64) push->width * push->height * push->fps;
  g_object_set (enc, "sliced-threads", FALSE,
      "threads", pixel_rate <= (guint64) 1280 * 720 * 30 ? 1 : 0, NULL);
  g_object_set (parse, "config-interval", -1, NULL);

  hf_push_set_leaky (queue);

  if (!hf_push_link (error, src, filter, overlay, queue, convert, enc, parse,
          NULL))
    return NULL;

  pad = gst_element_get_static_pad (filter, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, hf_push_on_video_frame,
      push, NULL);
  gst_object_unref (pad);
  return parse;
}

/* audiotestsrc ! audioconvert ! audioresample ! capsfilter ! queue !
 * encoder.  Returns the encoder (transfer none). */
static GstElement *
hf_push_build_audio (HfPush * push, GstBin * bin, GError ** error)
{
  GstElement *src, *convert, *resample, *filter, *queue, *enc;
  GstCaps *caps;

  src = hf_push_make (bin, "audiotestsrc", "asrc", error);
  convert = hf_push_make (bin, "audioconvert", "aconvert", error);
  resample = hf_push_make (bin, "audioresample", "aresample", error);
  filter = hf_push_make (bin, "capsfilter", "acaps", error);
  queue = hf_push_make (bin, "queue", "aqueue", error);
  enc = hf_push_make (bin, push->audio == HF_PUSH_AUDIO_AAC ? "avenc_aac" :
      "opusenc", "aenc", error);
  if (*error != NULL)
    return NULL;

  gst_util_set_object_arg (G_OBJECT (src), "wave", "sine");
  g_object_set (src, "is-live", TRUE, "freq", 440.0, NULL);

  caps = gst_caps_new_simple ("audio/x-raw",
      "rate", G_TYPE_INT, HF_PUSH_AUDIO_RATE,
      "channels", G_TYPE_INT, HF_PUSH_AUDIO_CHANNELS, NULL);
  g_object_set (filter, "caps", caps, NULL);
  gst_caps_unref (caps);

  hf_push_set_leaky (queue);

  if (!hf_push_link (error, src, convert, resample, filter, queue, enc, NULL))
    return NULL;
  return enc;
}

/* Both streams into one MPEG-TS, 7 packets (1316 bytes) per buffer as SRT
 * and RTP/MP2T senders use.  No queue in front: a backlog there is what the
 * leaky queues upstream are for.  Returns the muxer (transfer none). */
static GstElement *
hf_push_build_ts (HfPush * push, GstBin * bin, GstElement * video,
    GstElement * audio, GError ** error)
{
  GstElement *mux;

  mux = hf_push_make (bin, "mpegtsmux", "mux", error);
  if (*error != NULL)
    return NULL;

  g_object_set (mux, "alignment", 7, NULL);
  if (!hf_push_link (error, video, mux, NULL)
      || !hf_push_link (error, audio, mux, NULL))
    return NULL;
  return mux;
}

/* ---------------------------------------------------------------------- */
/* Bitrate that follows the link                                          */

/* Sets the encoder's target to @kbps, clamped to [--min-bitrate,
 * --max-bitrate], and prints the line benchmarks parse (see --help) when it
 * changes.  x264enc takes a new "bitrate" while playing (it reconfigures
 * the encoder before the next frame).  Control thread. */
static void
hf_push_set_bitrate (HfPush * push, guint64 kbps, const gchar * why)
{
  guint target;

  target = (guint) CLAMP (kbps, (guint64) push->min_bitrate,
      (guint64) push->max_bitrate);
  if (target == push->current_kbps || push->venc == NULL)
    return;
  g_object_set (push->venc, "bitrate", target, NULL);
  push->current_kbps = target;
  g_print ("hf-push: bitrate %u kbit/s (%s) t=%" G_GINT64_FORMAT "\n", target,
      why, g_get_monotonic_time ());
  /* A benchmark reads this as it comes, through a pipe or a file. */
  fflush (stdout);
}

typedef struct
{
  HfPush *push;
  guint64 bps;
} HfPushBitrateRequest;

/* Control thread, invoked by hf_push_on_bitrate_request. */
static gboolean
hf_push_apply_bitrate_request (gpointer user_data)
{
  HfPushBitrateRequest *req = user_data;
  gchar *why;

  why = g_strdup_printf ("remb %" G_GUINT64_FORMAT, req->bps);
  hf_push_set_bitrate (req->push, req->bps / 1000, why);
  g_free (why);
  return G_SOURCE_REMOVE;
}

/* A REMB or TMMBR arrived for the video (or TS) session: hand it to the
 * control thread.  hfrtpsink's feedback streaming thread, no lock held. */
static void
hf_push_on_bitrate_request (GstElement * sink, guint64 bps, gpointer user_data)
{
  HfPushBitrateRequest *req = g_new (HfPushBitrateRequest, 1);

  req->push = user_data;
  req->bps = bps;
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT,
      hf_push_apply_bitrate_request, req, g_free);
}

/* Reads a number of any numeric type from a statistics structure; 0 when
 * it is absent. */
static gdouble
hf_push_stat (const GstStructure * s, const gchar * field)
{
  const GValue *v = gst_structure_get_value (s, field);
  GValue d = G_VALUE_INIT;
  gdouble value = 0.0;

  if (v == NULL)
    return 0.0;
  g_value_init (&d, G_TYPE_DOUBLE);
  if (g_value_transform (v, &d))
    value = g_value_get_double (&d);
  g_value_unset (&d);
  return value;
}

/* Fills @sample from srtsink's "stats" read at @now_us: a caller's figures
 * are at the top, a listener's per caller in "callers" (the first caller is
 * used).  GStreamer 1.22 gives no msSndBuf, and its send-rate-mbps is an
 * average since the connection started: the send rate is measured here from
 * bytes-sent between two polls, and the send buffer is taken as one RTT
 * (what waits for its ACK) plus what srtsink handed to libsrt and libsrt
 * has not sent yet, in ms at that rate.  Returns FALSE when there are no
 * connection's figures (or no rate yet).  Control thread. */
static gboolean
hf_push_srt_sample (HfPush * push, const GstStructure * stats,
    gint64 now_us, HfSrtSample * sample)
{
  const GstStructure *conn = stats;
  gdouble handed, sent_bytes, retrans_bytes, header, backlog, prev_bytes;
  gint64 prev_us;

  if (gst_structure_has_field (stats, "callers")) {
    const GValue *callers = gst_structure_get_value (stats, "callers");

    conn = NULL;
    G_GNUC_BEGIN_IGNORE_DEPRECATIONS;
    if (G_VALUE_HOLDS (callers, g_value_array_get_type ())) {
      GValueArray *array = g_value_get_boxed (callers);

      if (array != NULL && array->n_values > 0
          && GST_VALUE_HOLDS_STRUCTURE (&array->values[0]))
        conn = gst_value_get_structure (&array->values[0]);
    }
    G_GNUC_END_IGNORE_DEPRECATIONS;
  }
  if (conn == NULL || !gst_structure_has_field (conn, "packets-sent"))
    return FALSE;

  sample->pkt_sent = (guint64) hf_push_stat (conn, "packets-sent");
  sample->pkt_lost = (guint64) hf_push_stat (conn, "packets-sent-lost");
  sample->pkt_retrans = (guint64) hf_push_stat (conn, "packets-retransmitted");
  sample->rtt_ms = hf_push_stat (conn, "rtt-ms");
  sent_bytes = hf_push_stat (conn, "bytes-sent");
  retrans_bytes = hf_push_stat (conn, "bytes-retransmitted");

  prev_bytes = push->srt_prev_bytes;
  prev_us = push->srt_prev_us;
  push->srt_prev_bytes = sent_bytes;
  push->srt_prev_us = now_us;
  if (prev_us == 0 || now_us <= prev_us || sent_bytes < prev_bytes)
    return FALSE;
  sample->send_rate_bps = (guint64) ((sent_bytes - prev_bytes) * 8.0 *
      G_USEC_PER_SEC / (gdouble) (now_us - prev_us));

  /* libsrt counts UDP, IP and its own 16-byte header in bytes-sent and in
   * bytes-retransmitted. */
  header = strchr (push->host, ':') != NULL ? 64.0 : 44.0;
  handed = hf_push_stat (stats, "bytes-sent-total");
  backlog = handed - (sent_bytes - retrans_bytes - header *
      (gdouble) (sample->pkt_sent - MIN (sample->pkt_retrans,
              sample->pkt_sent)));
  sample->send_buffer_ms = sample->rtt_ms;
  if (backlog > 0 && sample->send_rate_bps > 0)
    sample->send_buffer_ms += backlog * 8.0 * 1000.0 /
        (gdouble) sample->send_rate_bps;
  GST_DEBUG ("srt: sent %" G_GUINT64_FORMAT " lost %" G_GUINT64_FORMAT
      " retransmitted %" G_GUINT64_FORMAT " rtt %.1f ms send buffer %.1f ms "
      "rate %" G_GUINT64_FORMAT " bit/s", sample->pkt_sent, sample->pkt_lost,
      sample->pkt_retrans, sample->rtt_ms, sample->send_buffer_ms,
      sample->send_rate_bps);
  return TRUE;
}

/* Links payloader into rtpbin session `session` through an hfrtpsink: RTP
 * goes to host:port and RTCP (sender reports) to host:port+1, both from the
 * sockets where the receiver's feedback comes back.  The first session's
 * bitrate requests drive the video encoder. */
static gboolean
hf_push_link_rtp_session (HfPush * push, GstBin * bin, GstElement * rtpbin,
    guint session, GstElement * payloader, guint port, GError ** error)
{
  GstElement *rtp_sink;
  gchar *name, *rtp_in, *rtp_out, *rtcp_out;
  gboolean ok;

  name = g_strdup_printf ("rtpsink%u", session);
  rtp_sink = hf_push_make (bin, "hfrtpsink", name, error);
  g_free (name);
  if (*error != NULL)
    return FALSE;

  g_object_set (rtp_sink, "host", push->host, "port", (gint) port,
      "rtx", push->rtx, "fec-mode", push->fec != NULL ? push->fec : "off",
      NULL);
  if (session == 0)
    g_signal_connect (rtp_sink, "bitrate-request",
        G_CALLBACK (hf_push_on_bitrate_request), push);

  /* gst_element_link_pads() requests rtpbin's request pads by name. */
  rtp_in = g_strdup_printf ("send_rtp_sink_%u", session);
  rtp_out = g_strdup_printf ("send_rtp_src_%u", session);
  rtcp_out = g_strdup_printf ("send_rtcp_src_%u", session);
  ok = gst_element_link_pads (payloader, "src", rtpbin, rtp_in) &&
      gst_element_link_pads (rtpbin, rtp_out, rtp_sink, "sink") &&
      gst_element_link_pads (rtpbin, rtcp_out, rtp_sink, "rtcp_sink");
  g_free (rtp_in);
  g_free (rtp_out);
  g_free (rtcp_out);
  if (!ok)
    g_set_error (error, HF_PUSH_ERROR, HF_PUSH_ERROR_FAILED,
        "cannot link RTP session %u of rtpbin", session);
  return ok;
}

static void hf_push_on_payloader_caps (GstPad * pad, GParamSpec * pspec,
    gpointer user_data);
static void hf_push_on_caller_added (GstElement * srtsink, gint unused,
    GSocketAddress * address, gpointer user_data);

static gboolean
hf_push_build (HfPush * push, GError ** error)
{
  GstElement *video, *audio, *mux, *rtpbin;
  GstBin *bin;

  push->pipeline = gst_pipeline_new ("hf-push");
  bin = GST_BIN (push->pipeline);

  video = hf_push_build_video (push, bin, error);
  if (video == NULL)
    return FALSE;
  audio = hf_push_build_audio (push, bin, error);
  if (audio == NULL)
    return FALSE;

  switch (push->output) {
    case HF_PUSH_OUTPUT_SRT:
      mux = hf_push_build_ts (push, bin, video, audio, error);
      push->srtsink = hf_push_make (bin, "srtsink", "srtsink", error);
      if (*error != NULL)
        return FALSE;
      /* Every failure must reach the bus: hf-push restarts the whole
       * pipeline, so the relay sees a fresh stream starting on a key
       * frame rather than the middle of a GOP. */
      g_object_set (push->srtsink, "uri", push->srt_uri,
          "auto-reconnect", FALSE, NULL);
      if (push->srt_listener)
        g_signal_connect (push->srtsink, "caller-added",
            G_CALLBACK (hf_push_on_caller_added), push);
      return hf_push_link (error, mux, push->srtsink, NULL);

    case HF_PUSH_OUTPUT_RTP_TS:{
      GstElement *pay;

      mux = hf_push_build_ts (push, bin, video, audio, error);
      pay = hf_push_make (bin, "rtpmp2tpay", "tspay", error);
      rtpbin = hf_push_make (bin, "rtpbin", "rtpbin", error);
      if (*error != NULL)
        return FALSE;
      g_object_set (pay, "pt", 33, NULL);
      return hf_push_link (error, mux, pay, NULL)
          && hf_push_link_rtp_session (push, bin, rtpbin, 0, pay, push->port,
          error);
    }

    case HF_PUSH_OUTPUT_RTP_SDP:{
      GstElement *vpay, *apay;
      GstPad *pad;

      vpay = hf_push_make (bin, "rtph264pay", "vpay", error);
      apay = hf_push_make (bin, push->audio == HF_PUSH_AUDIO_AAC ?
          "rtpmp4gpay" : "rtpopuspay", "apay", error);
      rtpbin = hf_push_make (bin, "rtpbin", "rtpbin", error);
      if (*error != NULL)
        return FALSE;
      g_object_set (vpay, "pt", HF_PUSH_VIDEO_PT, "config-interval", -1, NULL);
      g_object_set (apay, "pt", HF_PUSH_AUDIO_PT, NULL);

      pad = gst_element_get_static_pad (vpay, "src");
      g_signal_connect (pad, "notify::caps",
          G_CALLBACK (hf_push_on_payloader_caps), push);
      push->video_pay_src = pad;
      gst_object_unref (pad);
      pad = gst_element_get_static_pad (apay, "src");
      g_signal_connect (pad, "notify::caps",
          G_CALLBACK (hf_push_on_payloader_caps), push);
      gst_object_unref (pad);

      return hf_push_link (error, video, vpay, NULL)
          && hf_push_link (error, audio, apay, NULL)
          && hf_push_link_rtp_session (push, bin, rtpbin, 0, vpay,
          push->port, error)
          && hf_push_link_rtp_session (push, bin, rtpbin, 1, apay,
          push->port + 2, error);
    }
  }
  g_assert_not_reached ();
  return FALSE;
}

/* ---------------------------------------------------------------------- */
/* SDP                                                                    */

/* Caps values come from our own payloaders, but a value that would break
 * the SDP line structure is still left out rather than written. */
static const gchar *
hf_push_caps_string (const GstStructure * s, const gchar * field)
{
  const gchar *value = gst_structure_get_string (s, field);

  if (value == NULL || value[0] == '\0' || strpbrk (value, "\r\n;") != NULL)
    return NULL;
  return value;
}

static void
hf_push_sdp_add_video (HfPush * push, GstSDPMessage * msg, GstCaps * caps)
{
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  const gchar *value;
  GstSDPMedia media;
  GString *fmtp;
  gchar *text;

  /* gst_sdp_media_init() frees what it finds: start from zeros. */
  memset (&media, 0, sizeof (media));
  gst_sdp_media_init (&media);
  gst_sdp_media_set_media (&media, "video");
  gst_sdp_media_set_port_info (&media, push->port, 1);
  gst_sdp_media_set_proto (&media, "RTP/AVP");
  text = g_strdup_printf ("%d", HF_PUSH_VIDEO_PT);
  gst_sdp_media_add_format (&media, text);
  g_free (text);

  text = g_strdup_printf ("%d H264/90000", HF_PUSH_VIDEO_PT);
  gst_sdp_media_add_attribute (&media, "rtpmap", text);
  g_free (text);

  fmtp = g_string_new (NULL);
  g_string_append_printf (fmtp, "%d packetization-mode=1", HF_PUSH_VIDEO_PT);
  if ((value = hf_push_caps_string (s, "profile-level-id")) != NULL)
    g_string_append_printf (fmtp, "; profile-level-id=%s", value);
  if ((value = hf_push_caps_string (s, "sprop-parameter-sets")) != NULL)
    g_string_append_printf (fmtp, "; sprop-parameter-sets=%s", value);
  gst_sdp_media_add_attribute (&media, "fmtp", fmtp->str);
  g_string_free (fmtp, TRUE);

  /* The message takes over the contents of media. */
  gst_sdp_message_add_media (msg, &media);
}

static void
hf_push_sdp_add_audio (HfPush * push, GstSDPMessage * msg, GstCaps * caps)
{
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  const gchar *value;
  GstSDPMedia media;
  gchar *text;
  gint rate = HF_PUSH_AUDIO_RATE;

  gst_structure_get_int (s, "clock-rate", &rate);

  /* gst_sdp_media_init() frees what it finds: start from zeros. */
  memset (&media, 0, sizeof (media));
  gst_sdp_media_init (&media);
  gst_sdp_media_set_media (&media, "audio");
  gst_sdp_media_set_port_info (&media, push->port + 2, 1);
  gst_sdp_media_set_proto (&media, "RTP/AVP");
  text = g_strdup_printf ("%d", HF_PUSH_AUDIO_PT);
  gst_sdp_media_add_format (&media, text);
  g_free (text);

  if (push->audio == HF_PUSH_AUDIO_AAC) {
    GString *fmtp;

    text = g_strdup_printf ("%d MPEG4-GENERIC/%d/%d", HF_PUSH_AUDIO_PT, rate,
        HF_PUSH_AUDIO_CHANNELS);
    gst_sdp_media_add_attribute (&media, "rtpmap", text);
    g_free (text);

    /* What ffmpeg writes for AAC-hbr; config (the AudioSpecificConfig)
     * comes from the payloader. */
    fmtp = g_string_new (NULL);
    g_string_append_printf (fmtp, "%d streamtype=5; profile-level-id=1; "
        "mode=AAC-hbr; sizelength=13; indexlength=3; indexdeltalength=3",
        HF_PUSH_AUDIO_PT);
    if ((value = hf_push_caps_string (s, "config")) != NULL)
      g_string_append_printf (fmtp, "; config=%s", value);
    gst_sdp_media_add_attribute (&media, "fmtp", fmtp->str);
    g_string_free (fmtp, TRUE);
  } else {
    /* RFC 7587: always 48000/2, whatever is actually sent. */
    text = g_strdup_printf ("%d OPUS/48000/2", HF_PUSH_AUDIO_PT);
    gst_sdp_media_add_attribute (&media, "rtpmap", text);
    g_free (text);
    if ((value = hf_push_caps_string (s, "sprop-stereo")) != NULL) {
      text = g_strdup_printf ("%d sprop-stereo=%s", HF_PUSH_AUDIO_PT, value);
      gst_sdp_media_add_attribute (&media, "fmtp", text);
      g_free (text);
    }
  }

  gst_sdp_message_add_media (msg, &media);
}

/* Returns the SDP text for both media (transfer full). */
static gchar *
hf_push_sdp_text (HfPush * push, GstCaps * video_caps, GstCaps * audio_caps)
{
  const gchar *addrtype = strchr (push->host, ':') != NULL ? "IP6" : "IP4";
  GstSDPMessage *msg;
  gchar *version, *name, *text;

  gst_sdp_message_new (&msg);
  gst_sdp_message_set_version (msg, "0");
  version = g_strdup_printf ("%u", push->sdp_version + 1);
  gst_sdp_message_set_origin (msg, "-", push->sdp_session_id, version, "IN",
      addrtype, push->host);
  g_free (version);
  /* The label may hold anything; an SDP line may not hold a line break. */
  name = g_strdup (push->label[0] != '\0' ? push->label : "hf-push");
  g_strdelimit (name, "\r\n", ' ');
  gst_sdp_message_set_session_name (msg, name);
  g_free (name);
  gst_sdp_message_set_connection (msg, "IN", addrtype, push->host, 0, 0);
  gst_sdp_message_add_time (msg, "0", "0", NULL);
  gst_sdp_message_add_attribute (msg, "tool", "hf-push " HF_VERSION);

  hf_push_sdp_add_video (push, msg, video_caps);
  hf_push_sdp_add_audio (push, msg, audio_caps);

  text = gst_sdp_message_as_text (msg);
  gst_sdp_message_free (msg);
  return text;
}

/* Writes path through path.tmp and a rename, so a reader never sees half a
 * file. */
static gboolean
hf_push_write_file (const gchar * path, const gchar * text, GError ** error)
{
  gchar *tmp;
  gboolean ok = TRUE;

  tmp = g_strconcat (path, ".tmp", NULL);
  if (!g_file_set_contents (tmp, text, -1, error)) {
    ok = FALSE;
  } else if (g_rename (tmp, path) != 0) {
    int saved_errno = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
        "cannot rename %s to %s: %s", tmp, path, g_strerror (saved_errno));
    g_unlink (tmp);
    ok = FALSE;
  }
  g_free (tmp);
  return ok;
}

/* Control thread, scheduled by hf_push_on_payloader_caps. */
static gboolean
hf_push_update_sdp (gpointer user_data)
{
  HfPush *push = user_data;
  GstCaps *video_caps, *audio_caps;
  GError *error = NULL;
  gchar *text;

  g_mutex_lock (&push->sdp_lock);
  push->sdp_idle_id = 0;
  video_caps = push->video_caps ? gst_caps_ref (push->video_caps) : NULL;
  audio_caps = push->audio_caps ? gst_caps_ref (push->audio_caps) : NULL;
  g_mutex_unlock (&push->sdp_lock);

  /* Both media are needed, and a restart that renegotiates the same caps
   * must not rewrite the file under a reader. */
  if (video_caps == NULL || audio_caps == NULL)
    goto out;
  if (push->written_video_caps != NULL && push->written_audio_caps != NULL
      && gst_caps_is_equal (video_caps, push->written_video_caps)
      && gst_caps_is_equal (audio_caps, push->written_audio_caps))
    goto out;

  text = hf_push_sdp_text (push, video_caps, audio_caps);
  if (!hf_push_write_file (push->sdp_path, text, &error)) {
    g_printerr ("hf-push: cannot write the SDP file: %s\n", error->message);
    g_clear_error (&error);
    g_free (text);
    push->exit_code = HF_PUSH_EXIT_FAILURE;
    g_main_loop_quit (push->loop);
    goto out;
  }
  g_free (text);
  push->sdp_version++;
  gst_caps_replace (&push->written_video_caps, video_caps);
  gst_caps_replace (&push->written_audio_caps, audio_caps);

out:
  g_clear_pointer (&video_caps, gst_caps_unref);
  g_clear_pointer (&audio_caps, gst_caps_unref);
  return G_SOURCE_REMOVE;
}

/* Streaming thread (whichever pushed the caps event). */
static void
hf_push_on_payloader_caps (GstPad * pad, GParamSpec * pspec, gpointer user_data)
{
  HfPush *push = user_data;
  GstCaps *caps;

  caps = gst_pad_get_current_caps (pad);
  if (caps == NULL)
    return;

  g_mutex_lock (&push->sdp_lock);
  if (pad == push->video_pay_src)
    gst_caps_replace (&push->video_caps, caps);
  else
    gst_caps_replace (&push->audio_caps, caps);
  if (push->sdp_idle_id == 0)
    push->sdp_idle_id = g_idle_add (hf_push_update_sdp, push);
  g_mutex_unlock (&push->sdp_lock);

  gst_caps_unref (caps);
}

/* ---------------------------------------------------------------------- */
/* Running, reconnecting, stopping                                        */

/* Control thread: the backoff expired, try again. */
static gboolean
hf_push_on_retry (gpointer user_data)
{
  HfPush *push = user_data;

  push->retry_id = 0;
  if (gst_element_set_state (push->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_printerr ("hf-push: cannot restart the pipeline; retrying in %u ms\n",
        push->retry_ms);
    gst_element_set_state (push->pipeline, GST_STATE_NULL);
    push->retry_id = g_timeout_add (push->retry_ms, hf_push_on_retry, push);
    push->retry_ms = MIN (push->retry_ms * 2, HF_PUSH_RETRY_MAX_MS);
  }
  return G_SOURCE_REMOVE;
}

/* Control thread: the SRT connection failed or went away.  Tear down and
 * start again after the backoff (200 ms doubling to 2 s, reset once a
 * connection carries data). */
static void
hf_push_schedule_retry (HfPush * push, const gchar * reason)
{
  g_printerr ("hf-push: %s: %s; reconnecting in %u ms\n", push->display_url,
      reason, push->retry_ms);
  gst_element_set_state (push->pipeline, GST_STATE_NULL);
  push->connected = FALSE;
  g_clear_pointer (&push->srt_rc, hf_srt_ratectl_free);
  push->srt_prev_us = 0;
  push->retry_id = g_timeout_add (push->retry_ms, hf_push_on_retry, push);
  push->retry_ms = MIN (push->retry_ms * 2, HF_PUSH_RETRY_MAX_MS);
}

/* Control thread, every HF_PUSH_SRT_POLL_MS in SRT mode: notices when data
 * starts flowing (to say so and reset the backoff) and, as a listener,
 * when the last caller leaves. */
static gboolean
hf_push_poll_srt (gpointer user_data)
{
  HfPush *push = user_data;
  GstStructure *stats = NULL;
  gboolean connected = FALSE;
  guint64 bytes = 0;

  if (push->retry_id != 0)
    return G_SOURCE_CONTINUE;

  g_object_get (push->srtsink, "stats", &stats, NULL);
  if (stats != NULL) {
    /* A caller's byte count restarts from 0 with every attempt; a
     * listener lists its callers. */
    if (push->srt_listener) {
      connected = gst_structure_has_field (stats, "callers");
    } else {
      gst_structure_get_uint64 (stats, "bytes-sent-total", &bytes);
      connected = bytes > 0;
    }
  }

  if (connected && !push->connected) {
    push->retry_ms = HF_PUSH_RETRY_MIN_MS;
    g_printerr ("hf-push: connected to %s\n", push->display_url);
  } else if (!connected && push->connected) {
    g_printerr ("hf-push: no caller on %s any more; waiting\n",
        push->display_url);
  }
  push->connected = connected;

  /* Each connection starts a controller from the current bitrate: the
   * counters start again from 0 with it. */
  if (!connected) {
    g_clear_pointer (&push->srt_rc, hf_srt_ratectl_free);
    push->srt_prev_us = 0;
  }
  if (connected && push->srt_rc == NULL)
    push->srt_rc = hf_srt_ratectl_new ((guint64) push->current_kbps * 1000,
        (guint64) push->min_bitrate * 1000, (guint64) push->max_bitrate * 1000);
  if (connected && stats != NULL) {
    HfSrtSample sample = { 0, };
    gint64 now_us = g_get_monotonic_time ();
    guint64 target;

    if (hf_push_srt_sample (push, stats, now_us, &sample)
        && hf_srt_ratectl_update (push->srt_rc, &sample, now_us, &target))
      hf_push_set_bitrate (push, target / 1000, "srt");
  }
  if (stats != NULL)
    gst_structure_free (stats);
  return G_SOURCE_CONTINUE;
}

/* An SRT listener's new caller would start mid-GOP and see nothing until
 * the next key frame: ask the encoder for one now.  SRT listener thread. */
static void
hf_push_on_caller_added (GstElement * srtsink, gint unused,
    GSocketAddress * address, gpointer user_data)
{
  gst_element_send_event (srtsink,
      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE,
          0));
}

/* Control thread: the SRT tail has had its time. */
static gboolean
hf_push_on_linger_done (gpointer user_data)
{
  HfPush *push = user_data;

  push->stop_id = 0;
  g_main_loop_quit (push->loop);
  return G_SOURCE_REMOVE;
}

/* Control thread: bus watch. */
static gboolean
hf_push_on_bus_message (GstBus * bus, GstMessage * message, gpointer user_data)
{
  HfPush *push = user_data;

  switch (GST_MESSAGE_TYPE (message)) {
    case GST_MESSAGE_ERROR:{
      GError *error = NULL;
      gchar *debug = NULL;

      gst_message_parse_error (message, &error, &debug);
      if (push->output == HF_PUSH_OUTPUT_SRT
          && GST_MESSAGE_SRC (message) == GST_OBJECT (push->srtsink)) {
        /* The relay is away.  While stopping there is nothing to wait
         * for: the stop is still a clean one. */
        if (push->stopping) {
          g_printerr ("hf-push: %s: %s\n", push->display_url, error->message);
          g_main_loop_quit (push->loop);
        } else if (push->retry_id == 0) {
          hf_push_schedule_retry (push, error->message);
        }
      } else if (push->retry_id == 0) {
        g_printerr ("hf-push: error from %s: %s\n",
            GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), error->message);
        if (debug != NULL)
          g_printerr ("hf-push: (%s)\n", debug);
        push->exit_code = HF_PUSH_EXIT_FAILURE;
        g_main_loop_quit (push->loop);
      }
      g_clear_error (&error);
      g_free (debug);
      break;
    }
    case GST_MESSAGE_WARNING:{
      GError *error = NULL;

      gst_message_parse_warning (message, &error, NULL);
      g_printerr ("hf-push: warning from %s: %s\n",
          GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), error->message);
      g_clear_error (&error);
      break;
    }
    case GST_MESSAGE_EOS:
      if (push->output == HF_PUSH_OUTPUT_SRT && push->connected) {
        /* srtsink has handed everything to libsrt, which closes without
         * lingering in live mode: give it time to deliver (and resend) the
         * tail, or the receiver's last frame is cut. */
        if (push->stop_id != 0)
          g_source_remove (push->stop_id);
        push->stop_id = g_timeout_add (HF_PUSH_SRT_LINGER_MS,
            hf_push_on_linger_done, push);
      } else {
        g_main_loop_quit (push->loop);
      }
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* Control thread: EOS did not come back in time. */
static gboolean
hf_push_on_stop_timeout (gpointer user_data)
{
  HfPush *push = user_data;

  push->stop_id = 0;
  g_printerr ("hf-push: the stream did not end within %d s; "
      "stopping anyway\n", HF_PUSH_EOS_TIMEOUT_S);
  g_main_loop_quit (push->loop);
  return G_SOURCE_REMOVE;
}

/* Control thread: finish the stream with EOS so the receiver sees a clean
 * end, and quit when it has gone through (or after 2 s). */
static void
hf_push_stop (HfPush * push, const gchar * why)
{
  if (push->stopping) {
    /* Asked twice: do not wait any longer. */
    g_printerr ("hf-push: %s again, quitting now\n", why);
    g_main_loop_quit (push->loop);
    return;
  }
  g_printerr ("hf-push: stopping (%s)\n", why);
  push->stopping = TRUE;

  if (push->retry_id != 0) {
    /* Nothing is running between two attempts. */
    g_source_remove (push->retry_id);
    push->retry_id = 0;
    g_main_loop_quit (push->loop);
    return;
  }
  if (push->output == HF_PUSH_OUTPUT_SRT && !push->connected) {
    /* srtsink holds the stream until someone is there: the EOS would only
     * wait out the timeout. */
    g_main_loop_quit (push->loop);
    return;
  }
  gst_element_send_event (push->pipeline, gst_event_new_eos ());
  push->stop_id = g_timeout_add (HF_PUSH_EOS_TIMEOUT_S * 1000,
      hf_push_on_stop_timeout, push);
}

/* Control thread: SIGINT. */
static gboolean
hf_push_on_sigint (gpointer user_data)
{
  hf_push_stop (user_data, "SIGINT");
  return G_SOURCE_CONTINUE;
}

/* Control thread: SIGTERM. */
static gboolean
hf_push_on_sigterm (gpointer user_data)
{
  hf_push_stop (user_data, "SIGTERM");
  return G_SOURCE_CONTINUE;
}

/* Control thread: --duration elapsed. */
static gboolean
hf_push_on_duration (gpointer user_data)
{
  HfPush *push = user_data;

  push->duration_id = 0;
  hf_push_stop (push, "--duration reached");
  return G_SOURCE_REMOVE;
}

/* ---------------------------------------------------------------------- */

/* Control thread: the pipeline would not start; its error is on the bus. */
static void
hf_push_print_start_error (HfPush * push)
{
  GstBus *bus = gst_element_get_bus (push->pipeline);
  GstMessage *message;
  GError *error = NULL;

  message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  if (message != NULL) {
    gst_message_parse_error (message, &error, NULL);
    g_printerr ("hf-push: cannot start: %s: %s\n",
        GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), error->message);
    g_clear_error (&error);
    gst_message_unref (message);
  } else {
    g_printerr ("hf-push: cannot start the pipeline\n");
  }
  gst_object_unref (bus);
}

static void
hf_push_clear (HfPush * push)
{
  if (push->pipeline != NULL) {
    gst_element_set_state (push->pipeline, GST_STATE_NULL);
    gst_object_unref (push->pipeline);
  }
  /* The pipeline is down: nothing can schedule an SDP update any more. */
  if (push->sdp_idle_id != 0)
    g_source_remove (push->sdp_idle_id);
  if (push->retry_id != 0)
    g_source_remove (push->retry_id);
  if (push->stop_id != 0)
    g_source_remove (push->stop_id);
  if (push->srt_poll_id != 0)
    g_source_remove (push->srt_poll_id);
  if (push->duration_id != 0)
    g_source_remove (push->duration_id);
  g_clear_pointer (&push->video_caps, gst_caps_unref);
  g_clear_pointer (&push->written_video_caps, gst_caps_unref);
  g_clear_pointer (&push->written_audio_caps, gst_caps_unref);
  g_clear_pointer (&push->audio_caps, gst_caps_unref);
  g_clear_pointer (&push->loop, g_main_loop_unref);
  g_mutex_clear (&push->sdp_lock);
  g_free (push->url);
  g_free (push->pattern);
  g_free (push->label);
  g_free (push->audio_name);
  g_free (push->host);
  g_free (push->srt_uri);
  g_free (push->sdp_path);
  g_free (push->display_url);
  g_free (push->label_markup);
  g_free (push->sdp_session_id);
  g_free (push->fec);
  g_free (push->rtx_name);
  g_clear_pointer (&push->srt_rc, hf_srt_ratectl_free);
}

int
main (int argc, char **argv)
{
  HfPush push = { 0, };
  gboolean show_version = FALSE;
  GOptionContext *context;
  GError *error = NULL;
  guint sigint_id, sigterm_id;
  GOptionEntry entries[] = {
    {"pattern", 0, 0, G_OPTION_ARG_STRING, &push.pattern,
        "Test picture: smpte (default), ball, or another videotestsrc "
          "pattern", "NAME"},
    {"bitrate", 0, 0, G_OPTION_ARG_INT, &push.bitrate,
        "Video bitrate in kbit/s (default 2000)", "KBPS"},
    {"label", 0, 0, G_OPTION_ARG_STRING, &push.label,
        "Text burnt into the picture (default hf-push)", "TEXT"},
    {"width", 0, 0, G_OPTION_ARG_INT, &push.width,
        "Picture width (default 1280)", "N"},
    {"height", 0, 0, G_OPTION_ARG_INT, &push.height,
        "Picture height (default 720)", "N"},
    {"fps", 0, 0, G_OPTION_ARG_INT, &push.fps,
        "Frames per second (default 30)", "N"},
    {"gop", 0, 0, G_OPTION_ARG_INT, &push.gop,
        "Frames between key frames (default 30)", "FRAMES"},
    {"audio", 0, 0, G_OPTION_ARG_STRING, &push.audio_name,
        "Audio codec: aac (default) or opus", "CODEC"},
    {"duration", 0, 0, G_OPTION_ARG_INT, &push.duration,
        "Stop after this many seconds (default 0: never)", "SECONDS"},
    {"min-bitrate", 0, 0, G_OPTION_ARG_INT, &push.min_bitrate,
        "Lowest video bitrate the link may ask for, kbit/s (default: "
          "--bitrate / 8, at least 100)", "KBPS"},
    {"max-bitrate", 0, 0, G_OPTION_ARG_INT, &push.max_bitrate,
        "Highest video bitrate the link may ask for, kbit/s (default: "
          "--bitrate, which is where it starts)", "KBPS"},
    {"fec", 0, 0, G_OPTION_ARG_STRING, &push.fec,
        "RTP only: FEC overhead: off (default), auto (follows the loss the "
          "receiver reports) or a percentage", "off|auto|N"},
    {"rtx", 0, 0, G_OPTION_ARG_STRING, &push.rtx_name,
        "RTP only: retransmit what the receiver NACKs (RFC 4588): on or off "
          "(default)", "on|off"},
    {"version", 0, 0, G_OPTION_ARG_NONE, &show_version,
        "Print the version and exit", NULL},
    G_OPTION_ENTRY_NULL
  };

  push.bitrate = 2000;
  /* Tells this pusher's pictures from another's at a probe (1..255). */
  push.mark_source = (guint8) g_random_int_range (1, 256);
  push.width = 1280;
  push.height = 720;
  push.fps = 30;
  push.gop = 30;
  push.exit_code = HF_PUSH_EXIT_OK;
  push.retry_ms = HF_PUSH_RETRY_MIN_MS;
  g_mutex_init (&push.sdp_lock);

  context = g_option_context_new ("URL");
  g_option_context_set_summary (context,
      "Streams a live test picture and a 440 Hz tone to a Holdfast relay.");
  g_option_context_set_description (context,
      "URL is one of:\n"
      "  srt://HOST:PORT[?mode=caller|listener&streamid=ID"
      "&passphrase=SECRET&latency=MS]\n"
      "      MPEG-TS over SRT; caller by default, reconnects until stopped\n"
      "  rtp://HOST:PORT\n"
      "      MPEG-TS over RTP (payload 33) as ffmpeg -f rtp_mpegts sends it,\n"
      "      RTCP to PORT+1\n"
      "  rtp://HOST:PORT?sdp=FILE\n"
      "      H.264 over RTP to PORT, audio to PORT+2 (RTCP on PORT+1 and\n"
      "      PORT+3), described in the SDP file FILE\n"
      "\n"
      "Adaptive bitrate: over RTP the video bitrate follows the receiver's\n"
      "REMB/TMMBR feedback (read on the ports hf-push sends from), over SRT\n"
      "its own SRT statistics, always within [--min-bitrate, --max-bitrate].\n"
      "Each change prints one line on stdout, for scripts:\n"
      "  hf-push: bitrate KBPS kbit/s (remb BPS) t=MONOTONIC_US\n"
      "  hf-push: bitrate KBPS kbit/s (srt) t=MONOTONIC_US\n"
      "KBPS is the encoder's new target, BPS the bit/s the receiver asked\n"
      "for (REMB or TMMBR, the smaller), MONOTONIC_US g_get_monotonic_time()\n"
      "(CLOCK_MONOTONIC in microseconds) when the encoder was told.\n"
      "\n"
      "Exit status: 0 on a clean stop (SIGINT, SIGTERM, --duration),\n"
      "1 on a runtime error, 2 on bad arguments.\n");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("hf-push: %s\n", error->message);
    g_printerr ("Try \"hf-push --help\" for usage.\n");
    g_clear_error (&error);
    g_option_context_free (context);
    hf_push_clear (&push);
    return HF_PUSH_EXIT_USAGE;
  }
  g_option_context_free (context);

  if (show_version) {
    gchar *gst_version = gst_version_string ();

    g_print ("hf-push %s (%s)\n", HF_VERSION, gst_version);
    g_free (gst_version);
    hf_push_clear (&push);
    return HF_PUSH_EXIT_OK;
  }
  if (argc != 2) {
    g_printerr ("hf-push: %s\n", argc < 2 ? "missing URL" :
        "too many arguments: expected one URL");
    g_printerr ("Try \"hf-push --help\" for usage.\n");
    hf_push_clear (&push);
    return HF_PUSH_EXIT_USAGE;
  }

  gst_init (NULL, NULL);
  GST_DEBUG_CATEGORY_INIT (hf_push_debug, "hf-push", 0, "hf-push");
  if (!hf_fec_register_elements () || !hf_abr_register_elements ()) {
    g_printerr ("hf-push: cannot register the FEC and RTP sender elements\n");
    hf_push_clear (&push);
    return HF_PUSH_EXIT_FAILURE;
  }
  push.url = g_strdup (argv[1]);
  if (push.pattern == NULL)
    push.pattern = g_strdup ("smpte");
  if (push.label == NULL)
    push.label = g_strdup ("hf-push");
  if (push.audio_name == NULL)
    push.audio_name = g_strdup ("aac");
  push.sdp_session_id = g_strdup_printf ("%" G_GINT64_FORMAT,
      g_get_real_time () / G_USEC_PER_SEC);

  if (!hf_push_check_options (&push, &error)) {
    g_printerr ("hf-push: %s\n", error->message);
    g_clear_error (&error);
    hf_push_clear (&push);
    return HF_PUSH_EXIT_USAGE;
  }

  if (!hf_push_build (&push, &error)) {
    g_printerr ("hf-push: %s\n", error->message);
    g_clear_error (&error);
    hf_push_clear (&push);
    return HF_PUSH_EXIT_FAILURE;
  }

  push.loop = g_main_loop_new (NULL, FALSE);
  {
    GstBus *bus = gst_element_get_bus (push.pipeline);

    gst_bus_add_watch (bus, hf_push_on_bus_message, &push);
    gst_object_unref (bus);
  }
  sigint_id = g_unix_signal_add (SIGINT, hf_push_on_sigint, &push);
  sigterm_id = g_unix_signal_add (SIGTERM, hf_push_on_sigterm, &push);
  if (push.duration > 0)
    push.duration_id = g_timeout_add ((guint) push.duration * 1000,
        hf_push_on_duration, &push);
  if (push.output == HF_PUSH_OUTPUT_SRT)
    push.srt_poll_id = g_timeout_add (HF_PUSH_SRT_POLL_MS, hf_push_poll_srt,
        &push);

  g_print ("hf-push: streaming %s to %s (%dx%d@%d, %d kbit/s)\n", push.label,
      push.display_url, push.width, push.height, push.fps, push.bitrate);

  if (gst_element_set_state (push.pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE) {
    g_main_loop_run (push.loop);
  } else if (push.output == HF_PUSH_OUTPUT_SRT) {
    /* E.g. a listener port still in use: it may come free. */
    hf_push_schedule_retry (&push, "cannot start");
    g_main_loop_run (push.loop);
  } else {
    hf_push_print_start_error (&push);
    push.exit_code = HF_PUSH_EXIT_FAILURE;
  }

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  {
    GstBus *bus = gst_element_get_bus (push.pipeline);

    gst_bus_remove_watch (bus);
    gst_object_unref (bus);
  }
  hf_push_clear (&push);
  return push.exit_code;
}
