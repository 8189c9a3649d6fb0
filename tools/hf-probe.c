/* hf-probe: a synthetic viewer.  It pulls a stream as a viewer does, decodes
 * it, and says what a viewer would have seen, as JSON lines on stdout, for
 * drills (hf-drill), benchmarks and tests to read.
 *
 *   hf-probe [--duration S] [--buffer-ms N] [--frames] [--label NAME] URL
 *
 *   srt://HOST:PORT[?streamid=ID&latency=MS&passphrase=SECRET&pbkeylen=N]
 *       SRT caller (a viewer of a relay's SRT listener output), MPEG-TS.
 *       A broken or refused connection is retried for ever (200 ms
 *       doubling to 2 s); the probe never exits because of one.
 *   rtp://HOST:PORT[?latency=MS]
 *       RTP carrying MPEG-TS (payload 33), as a relay's rtp:// output sends
 *       it: the probe listens on PORT (bound to HOST; empty or 0.0.0.0 for
 *       all), with a jitter buffer of MS (default 50).
 *   udp://HOST:PORT
 *       MPEG-TS in plain UDP datagrams, listening likewise.
 *
 * Pipeline: source ! tsdemux ignore-pcr=true ! h264parse ! queue !
 * avdec_h264 ! appsink (no sync, no drop).  tsdemux ignores the PCR so that
 * PTS stay the relay's own (a PTS that goes back is seen, not smoothed
 * over).  The queue decouples reception from decoding so that a slow
 * picture never holds up the socket.  Only the luma plane of the decoded
 * pictures is read (no conversion): the picture mark (failover/hf-mark.h)
 * says whether it is live (hf-push), the slate (the relay's builtin one)
 * or other (no mark: an operator's slate clip, another encoder).  Each new
 * video pad of tsdemux (a relay that restarts its program) replaces the
 * old one.  The analysis is tools/hf-probe-model.c (a player with a
 * playout buffer of --buffer-ms; see there what a freeze is).
 *
 * Output: one JSON object per line, flushed.  Every line has "type",
 * "mono_ms" (g_get_monotonic_time () / 1000 when printed: the relay's
 * events use the same clock) and "label" when --label was given.  Times
 * named *_mono_ms are on that clock too; durations are whole ms.
 *
 *   start          url (passphrase hidden), buffer_ms, version
 *   connected      the first data of the first connection
 *   disconnect     reason (the SRT connection broke or ended)
 *   reconnect      after_ms: since the disconnect; data flows again
 *   format         width, height, fps (0 when the stream does not say):
 *                  the first picture and every change
 *   freeze         start_mono_ms (when the stuck picture should have been
 *                  replaced), duration_ms (how long after that the next
 *                  one came), frames_lost (pictures missing, from the live
 *                  counters or the PTS; null when unknown), open (true for
 *                  a picture still stuck when the probe stops; such a
 *                  freeze is not in the summary's freezes)
 *   backwards      pts_delta_ms (< 0): the PTS went back
 *   pts_jump       pts_delta_ms: the PTS jumped forward by more than 5 s
 *   resolution     old_width, old_height, width, height
 *   screen         from, to (none, live, slate, other), at_mono_ms (when
 *                  the first picture of the new kind went on screen);
 *                  reported once two pictures in a row agree
 *   frames_lost    count, after_counter: a gap in the LIVE counter
 *   source_change  from_counter, to_counter: a LIVE counter that went back
 *                  or too far forward: another pusher
 *   decode_error   element (avdec_h264, h264parse or tsdemux), message:
 *                  a warning or error of theirs, or "corrupt picture" for
 *                  a picture the decoder flagged
 *   stats          every second: frames (total), fps (over the last
 *                  second), freezes, max_freeze_ms, frozen_ms (how long the
 *                  picture on screen is overdue now, 0 normally), screen,
 *                  decode_errors, live_frames_lost, latency_ms (the last
 *                  live picture's, null without one)
 *   frame          with --frames, one per picture: counter (null without
 *                  a mark), kind (live, slate, other), pts_ms,
 *                  arrival_mono_ms, shown_mono_ms, latency_ms (null)
 *   summary        at the end: frames_decoded, decode_errors,
 *                  corrupt_frames, freezes, total_freeze_ms,
 *                  max_freeze_ms, open_freeze_ms, backwards, pts_jumps,
 *                  resolution_changes, live_frames, slate_frames,
 *                  other_frames, live_s, slate_s, other_s (time on screen),
 *                  live_frames_lost, source_changes, latency_median_ms,
 *                  latency_p95_ms, latency_max_ms, latency_samples,
 *                  first_frame_mono_ms, last_frame_mono_ms (arrivals; null
 *                  without frames), interval_ms, disconnects, reconnects,
 *                  screen (at the end), duration_s
 *
 * Arrival is when a picture's data left the demuxer, complete (before
 * parsing and decoding, whose threads hold a frame or two).  Latency is a
 * live picture's arrival minus the clock in its mark: meaningful when the
 * pusher runs on the same machine (otherwise left out).  When a session
 * ends (the connection broke or ended, or the probe stops), an EOS pushes
 * what was received through the decoder first, so that every picture that
 * arrived is counted.
 *
 * Threads: main() and every bus, signal and timeout callback run on the
 * default GMainContext (the control thread), which also owns the model and
 * prints every line.  The source's pad probe runs on the source's
 * streaming thread, the parser's (on its input) on the demuxer's, and the
 * appsink callback on the decoder's; they hand what they saw to the
 * control thread through an asynchronous queue.  The arrival times go from
 * the demuxer's thread to the decoder's under arrival_lock.
 *
 * Exit status: 0 after --duration or SIGINT/SIGTERM (with the summary),
 * 1 when the pipeline cannot be built, 2 on bad arguments.
 */

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "failover/hf-mark.h"
#include "tools/hf-probe-model.h"

#ifndef HF_VERSION
#define HF_VERSION "dev"
#endif

#define HF_PROBE_EXIT_OK 0
#define HF_PROBE_EXIT_FAILURE 1
#define HF_PROBE_EXIT_USAGE 2

#define HF_PROBE_MAX_BUFFER_MS 10000
#define HF_PROBE_RETRY_MIN_MS 200
#define HF_PROBE_RETRY_MAX_MS 2000
#define HF_PROBE_STATS_MS 1000
#define HF_PROBE_DEFAULT_RTP_LATENCY_MS 50
/* How long the pictures still in the parser, the decoder's queue and its
 * threads may take to come out when a session ends (a few frames). */
#define HF_PROBE_FLUSH_TIMEOUT_MS 1000
/* Access units whose arrival is remembered until they come out decoded:
 * more than the decoder's queue (5 s) holds at 60 fps. */
#define HF_PROBE_ARRIVALS 512
/* 30 days, as hf-push: the timer counts milliseconds in a guint. */
#define HF_PROBE_MAX_DURATION_S (30 * 24 * 3600)

typedef enum
{
  HF_PROBE_ERROR_USAGE,
  HF_PROBE_ERROR_FAILED,
} HfProbeError;

#define HF_PROBE_ERROR (hf_probe_error_quark ())
static GQuark hf_probe_error_quark (void);
G_DEFINE_QUARK (hf - probe - error - quark, hf_probe_error);

typedef enum
{
  HF_PROBE_SOURCE_SRT,
  HF_PROBE_SOURCE_RTP,
  HF_PROBE_SOURCE_UDP,
} HfProbeSource;

typedef enum
{
  HF_PROBE_ITEM_DATA,           /* the first buffer of a session */
  HF_PROBE_ITEM_FRAME,
} HfProbeItemType;

/* What a streaming thread hands to the control thread. */
typedef struct
{
  HfProbeItemType type;
  guint session;
  HfProbeFrame frame;
  gboolean corrupt;
  gint fps_n;
  gint fps_d;
} HfProbeItem;

typedef struct
{
  GstClockTime pts;
  gint64 arrival_us;
} HfProbeArrival;

typedef struct
{
  /* Options (control thread, read-only once running). */
  gchar *url;
  gint duration;
  gint buffer_ms;
  gboolean frames;
  gchar *label;

  /* The source, parsed from url. */
  HfProbeSource source;
  gchar *host;
  guint port;
  gchar *srt_uri;
  gint rtp_latency_ms;
  gchar *display_url;

  /* Control thread only. */
  GMainLoop *loop;
  GstElement *pipeline;
  guint retry_id;
  guint retry_ms;
  gboolean ending;              /* the session is being flushed out */
  guint flush_id;
  gchar *end_reason;
  guint stats_id;
  guint duration_id;
  gboolean stopping;
  gint exit_code;
  gint64 start_us;
  HfProbeModel model;
  guint model_session;          /* the session of the last frame modelled,
                                 * 0 before the first (sessions count
                                 * from 1) */
  gboolean connected;           /* this session has delivered data */
  gboolean ever_connected;
  gint64 disconnected_us;
  guint64 disconnects;
  guint64 reconnects;
  guint64 decode_errors;
  guint64 corrupt_frames;
  guint64 stats_frames;
  gint64 stats_us;
  gint last_latency_ms;
  gint format_width;
  gint format_height;
  gint format_fps_n;
  gint format_fps_d;

  /* Streaming threads -> control thread. */
  GAsyncQueue *items;           /* (element-type HfProbeItem) */
  gint drain_pending;           /* atomic: a drain is scheduled */
  gint session;                 /* atomic: bumped by every (re)start */
  gint session_has_data;        /* atomic */
  gint flushing;                /* atomic: the session's end is flushed */

  /* Demuxer thread -> decoder thread. */
  GMutex arrival_lock;
  HfProbeArrival arrivals[HF_PROBE_ARRIVALS];
  guint arrival_next;

  /* Decoder thread only. */
  GstCaps *frame_caps;
  GstVideoInfo frame_info;
  gboolean frame_readable;
} HfProbe;

/* ---------------------------------------------------------------------- */
/* JSON lines                                                             */

/* The lines are written here rather than with json-glib, whose generator
 * prints a double with 17 digits (29.969999999999999 for 29.97): a reader
 * wants 29.97.  Every string goes through hf_probe_append_string (). */

/* Appends @value as a JSON string: quoted, escaped, valid UTF-8 (an invalid
 * sequence, say in an element's message, becomes U+FFFD). */
static void
hf_probe_append_string (GString * s, const gchar * value)
{
  gchar *valid = g_utf8_make_valid (value, -1);
  const guchar *p;

  g_string_append_c (s, '"');
  for (p = (const guchar *) valid; *p != '\0'; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_printf (s, "\\%c", *p);
    else if (*p < 0x20)
      g_string_append_printf (s, "\\u%04x", *p);
    else
      g_string_append_c (s, *p);
  }
  g_string_append_c (s, '"');
  g_free (valid);
}

static void
hf_probe_add_key (GString * s, const gchar * name)
{
  if (s->len > 1)
    g_string_append_c (s, ',');
  hf_probe_append_string (s, name);
  g_string_append_c (s, ':');
}

static void
hf_probe_add_int (GString * s, const gchar * name, gint64 value)
{
  hf_probe_add_key (s, name);
  g_string_append_printf (s, "%" G_GINT64_FORMAT, value);
}

/* A value below 0 means "unknown": null. */
static void
hf_probe_add_int_or_null (GString * s, const gchar * name, gint64 value)
{
  if (value < 0) {
    hf_probe_add_key (s, name);
    g_string_append (s, "null");
  } else {
    hf_probe_add_int (s, name, value);
  }
}

static void
hf_probe_add_string (GString * s, const gchar * name, const gchar * value)
{
  hf_probe_add_key (s, name);
  hf_probe_append_string (s, value);
}

static void
hf_probe_add_bool (GString * s, const gchar * name, gboolean value)
{
  hf_probe_add_key (s, name);
  g_string_append (s, value ? "true" : "false");
}

/* Two decimals are all a rate or a second count needs; '.' whatever the
 * locale. */
static void
hf_probe_add_double (GString * s, const gchar * name, gdouble value)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  hf_probe_add_key (s, name);
  g_string_append (s, g_ascii_formatd (buf, sizeof (buf), "%.2f", value));
}

/* Starts a line of @type with its "mono_ms" and "label".  Control thread. */
static GString *
hf_probe_line_begin (HfProbe * probe, const gchar * type)
{
  GString *s = g_string_new ("{");

  hf_probe_add_string (s, "type", type);
  hf_probe_add_int (s, "mono_ms", g_get_monotonic_time () / 1000);
  if (probe->label != NULL)
    hf_probe_add_string (s, "label", probe->label);
  return s;
}

/* Prints the line and flushes it: a reader acts on each line as it comes.
 * Takes @s. */
static void
hf_probe_line_end (GString * s)
{
  g_string_append (s, "}\n");
  /* The line is UTF-8 JSON already: written as it is (g_print would
   * convert it to the locale's charset). */
  fwrite (s->str, 1, s->len, stdout);
  fflush (stdout);
  g_string_free (s, TRUE);
}

/* Microseconds as whole ms, rounded to the nearest (negative too). */
static gint64
hf_probe_ms (gint64 us)
{
  return us >= 0 ? (us + 500) / 1000 : -((-us + 500) / 1000);
}

/* ---------------------------------------------------------------------- */
/* What the model reports                                                 */

static const gchar *
hf_probe_kind_name (const HfProbeFrame * frame)
{
  return frame->mark.kind == HF_MARK_NONE ? "other" :
      hf_mark_kind_to_string (frame->mark.kind);
}

/* Control thread, from inside hf_probe_model_push () and _finish (). */
static void
hf_probe_on_event (const HfProbeEvent * ev, gpointer user_data)
{
  HfProbe *probe = user_data;
  const HfProbeFrame *f = ev->frame;
  GString *b;

  switch (ev->type) {
    case HF_PROBE_EVENT_FRAME:
      if (ev->latency_ms >= 0)
        probe->last_latency_ms = ev->latency_ms;
      if (!probe->frames)
        return;
      b = hf_probe_line_begin (probe, "frame");
      hf_probe_add_int_or_null (b, "counter", f->mark.kind == HF_MARK_NONE ?
          -1 : (gint64) f->mark.counter);
      hf_probe_add_string (b, "kind", hf_probe_kind_name (f));
      hf_probe_add_int_or_null (b, "pts_ms", f->pts_ns < 0 ? -1 :
          hf_probe_ms (f->pts_ns / 1000));
      hf_probe_add_int (b, "arrival_mono_ms", f->arrival_us / 1000);
      hf_probe_add_int (b, "shown_mono_ms", ev->shown_us / 1000);
      hf_probe_add_int_or_null (b, "latency_ms", ev->latency_ms);
      break;
    case HF_PROBE_EVENT_FREEZE:
      b = hf_probe_line_begin (probe, "freeze");
      hf_probe_add_int (b, "start_mono_ms", ev->start_us / 1000);
      hf_probe_add_int (b, "duration_ms", hf_probe_ms (ev->duration_us));
      hf_probe_add_int_or_null (b, "frames_lost", ev->count);
      hf_probe_add_bool (b, "open", ev->open);
      break;
    case HF_PROBE_EVENT_BACKWARDS:
    case HF_PROBE_EVENT_PTS_JUMP:
      b = hf_probe_line_begin (probe, ev->type == HF_PROBE_EVENT_BACKWARDS ?
          "backwards" : "pts_jump");
      hf_probe_add_int (b, "pts_delta_ms", hf_probe_ms (ev->pts_delta_ns /
              1000));
      break;
    case HF_PROBE_EVENT_RESOLUTION:
      b = hf_probe_line_begin (probe, "resolution");
      hf_probe_add_int (b, "old_width", ev->old_width);
      hf_probe_add_int (b, "old_height", ev->old_height);
      hf_probe_add_int (b, "width", f->width);
      hf_probe_add_int (b, "height", f->height);
      break;
    case HF_PROBE_EVENT_SCREEN:
      b = hf_probe_line_begin (probe, "screen");
      hf_probe_add_string (b, "from", hf_probe_screen_to_string (ev->from));
      hf_probe_add_string (b, "to", hf_probe_screen_to_string (ev->to));
      hf_probe_add_int (b, "at_mono_ms", ev->start_us / 1000);
      break;
    case HF_PROBE_EVENT_FRAMES_LOST:
      b = hf_probe_line_begin (probe, "frames_lost");
      hf_probe_add_int (b, "count", ev->count);
      hf_probe_add_int (b, "after_counter", ev->old_counter);
      break;
    case HF_PROBE_EVENT_SOURCE_CHANGE:
      b = hf_probe_line_begin (probe, "source_change");
      hf_probe_add_int (b, "from_counter", ev->old_counter);
      hf_probe_add_int (b, "to_counter", f->mark.counter);
      break;
    default:
      return;
  }
  hf_probe_line_end (b);
}

static void
hf_probe_print_decode_error (HfProbe * probe, const gchar * element,
    const gchar * message)
{
  GString *b = hf_probe_line_begin (probe, "decode_error");

  probe->decode_errors++;
  hf_probe_add_string (b, "element", element);
  hf_probe_add_string (b, "message", message);
  hf_probe_line_end (b);
}

static void
hf_probe_print_format (HfProbe * probe, const HfProbeItem * item)
{
  GString *b;

  if (item->frame.width == probe->format_width
      && item->frame.height == probe->format_height
      && item->fps_n == probe->format_fps_n
      && item->fps_d == probe->format_fps_d)
    return;
  probe->format_width = item->frame.width;
  probe->format_height = item->frame.height;
  probe->format_fps_n = item->fps_n;
  probe->format_fps_d = item->fps_d;

  b = hf_probe_line_begin (probe, "format");
  hf_probe_add_int (b, "width", item->frame.width);
  hf_probe_add_int (b, "height", item->frame.height);
  hf_probe_add_double (b, "fps", item->fps_d > 0 ?
      (gdouble) item->fps_n / item->fps_d : 0);
  hf_probe_line_end (b);
}

/* Control thread: data flows on the current session. */
static void
hf_probe_on_data (HfProbe * probe)
{
  GString *b;

  if (probe->connected)
    return;
  probe->connected = TRUE;
  probe->retry_ms = HF_PROBE_RETRY_MIN_MS;
  if (!probe->ever_connected) {
    probe->ever_connected = TRUE;
    b = hf_probe_line_begin (probe, "connected");
  } else {
    probe->reconnects++;
    b = hf_probe_line_begin (probe, "reconnect");
    hf_probe_add_int (b, "after_ms",
        (g_get_monotonic_time () - probe->disconnected_us) / 1000);
  }
  hf_probe_line_end (b);
}

/* Control thread: one item from a streaming thread. */
static void
hf_probe_handle_item (HfProbe * probe, HfProbeItem * item)
{
  guint current = (guint) g_atomic_int_get (&probe->session);

  /* What an old session left in the queue still counts as seen, but a
   * session that has been replaced no longer says anything about the
   * connection. */
  if (item->type == HF_PROBE_ITEM_DATA) {
    if (item->session == current && probe->retry_id == 0)
      hf_probe_on_data (probe);
    return;
  }

  hf_probe_print_format (probe, item);
  if (item->corrupt) {
    probe->corrupt_frames++;
    hf_probe_print_decode_error (probe, "avdec_h264", "corrupt picture");
  }
  /* The first frame of a later session starts the player again. */
  item->frame.reconnected = probe->model_session != 0
      && item->session != probe->model_session;
  probe->model_session = item->session;
  hf_probe_model_push (&probe->model, &item->frame, hf_probe_on_event, probe);
}

/* Control thread: runs what the streaming threads queued. */
static gboolean
hf_probe_drain (gpointer user_data)
{
  HfProbe *probe = user_data;
  HfProbeItem *item;

  /* Cleared first: an item queued from now on schedules another drain. */
  g_atomic_int_set (&probe->drain_pending, 0);
  while ((item = g_async_queue_try_pop (probe->items)) != NULL) {
    hf_probe_handle_item (probe, item);
    g_free (item);
  }
  return G_SOURCE_REMOVE;
}

/* Any streaming thread.  Takes @item. */
static void
hf_probe_queue (HfProbe * probe, HfProbeItem * item)
{
  g_async_queue_push (probe->items, item);
  /* An idle source, never g_main_context_invoke (): that would run the
   * drain right here on the streaming thread whenever the control thread
   * does not hold the context (before the main loop runs). */
  if (g_atomic_int_compare_and_exchange (&probe->drain_pending, 0, 1))
    g_idle_add (hf_probe_drain, probe);
}

/* ---------------------------------------------------------------------- */
/* Streaming threads                                                      */

/* Source streaming thread, every buffer: tells the control thread once
 * per session that data flows.  An atomic read otherwise. */
static GstPadProbeReturn
hf_probe_on_source_data (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  HfProbe *probe = user_data;
  HfProbeItem *item;

  if (g_atomic_int_get (&probe->session_has_data))
    return GST_PAD_PROBE_OK;
  g_atomic_int_set (&probe->session_has_data, 1);
  item = g_new0 (HfProbeItem, 1);
  item->type = HF_PROBE_ITEM_DATA;
  item->session = (guint) g_atomic_int_get (&probe->session);
  hf_probe_queue (probe, item);
  return GST_PAD_PROBE_OK;
}

/* Demuxer streaming thread, every access unit (PES) out of the demuxer,
 * into the parser: when its last byte was at the probe.  That, not the
 * time it comes out of the decoder (whose threads hold a frame or two), is
 * when a player could have shown it.  Not the parser's output either: it
 * holds each access unit until the next one starts, so the last picture
 * before a pause would seem to arrive only after it. */
static GstPadProbeReturn
hf_probe_on_access_unit (GstPad * pad, GstPadProbeInfo * info,
    gpointer user_data)
{
  HfProbe *probe = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  if (!GST_BUFFER_PTS_IS_VALID (buf))
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&probe->arrival_lock);
  probe->arrivals[probe->arrival_next].pts = GST_BUFFER_PTS (buf);
  probe->arrivals[probe->arrival_next].arrival_us = g_get_monotonic_time ();
  probe->arrival_next = (probe->arrival_next + 1) % HF_PROBE_ARRIVALS;
  g_mutex_unlock (&probe->arrival_lock);
  return GST_PAD_PROBE_OK;
}

/* Decoder thread: the arrival of the access unit with @pts, newest first
 * (a PTS that went back may be there twice); now when it is not known. */
static gint64
hf_probe_arrival_of (HfProbe * probe, GstClockTime pts)
{
  gint64 arrival = -1;
  guint i, k;

  if (!GST_CLOCK_TIME_IS_VALID (pts))
    return g_get_monotonic_time ();
  g_mutex_lock (&probe->arrival_lock);
  for (i = 1; i <= HF_PROBE_ARRIVALS && arrival < 0; i++) {
    k = (probe->arrival_next + HF_PROBE_ARRIVALS - i) % HF_PROBE_ARRIVALS;
    if (probe->arrivals[k].arrival_us > 0 && probe->arrivals[k].pts == pts)
      arrival = probe->arrivals[k].arrival_us;
  }
  g_mutex_unlock (&probe->arrival_lock);
  return arrival >= 0 ? arrival : g_get_monotonic_time ();
}

/* Decoder thread: remembers how to read pictures of @caps.  Only 8-bit
 * YUV or grey formats have the luma plane (plane 0) a mark is read from. */
static void
hf_probe_update_frame_caps (HfProbe * probe, GstCaps * caps)
{
  const GstVideoFormatInfo *finfo;

  if (probe->frame_caps != NULL && gst_caps_is_equal (caps, probe->frame_caps))
    return;
  gst_caps_replace (&probe->frame_caps, caps);
  probe->frame_readable = gst_video_info_from_caps (&probe->frame_info, caps);
  if (!probe->frame_readable)
    return;
  finfo = probe->frame_info.finfo;
  probe->frame_readable = (GST_VIDEO_FORMAT_INFO_IS_YUV (finfo)
      || GST_VIDEO_FORMAT_INFO_IS_GRAY (finfo))
      && GST_VIDEO_FORMAT_INFO_DEPTH (finfo, 0) == 8
      && GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, 0) == 1;
}

/* Decoder thread, once per decoded picture. */
static GstFlowReturn
hf_probe_on_sample (GstAppSink * sink, gpointer user_data)
{
  HfProbe *probe = user_data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  HfProbeItem *item;
  GstVideoFrame frame;
  GstBuffer *buf;
  GstCaps *caps;

  if (sample == NULL)
    return GST_FLOW_OK;
  buf = gst_sample_get_buffer (sample);
  caps = gst_sample_get_caps (sample);
  if (buf == NULL || caps == NULL) {
    gst_sample_unref (sample);
    return GST_FLOW_OK;
  }

  item = g_new0 (HfProbeItem, 1);
  item->type = HF_PROBE_ITEM_FRAME;
  item->session = (guint) g_atomic_int_get (&probe->session);
  item->frame.arrival_us = hf_probe_arrival_of (probe, GST_BUFFER_PTS (buf));
  item->frame.pts_ns = GST_BUFFER_PTS_IS_VALID (buf) ?
      (gint64) GST_BUFFER_PTS (buf) : -1;
  item->corrupt = GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_CORRUPTED);
  item->frame.flushed = g_atomic_int_get (&probe->flushing);

  hf_probe_update_frame_caps (probe, caps);
  if (probe->frame_readable) {
    item->frame.width = GST_VIDEO_INFO_WIDTH (&probe->frame_info);
    item->frame.height = GST_VIDEO_INFO_HEIGHT (&probe->frame_info);
    item->fps_n = GST_VIDEO_INFO_FPS_N (&probe->frame_info);
    item->fps_d = GST_VIDEO_INFO_FPS_D (&probe->frame_info);
    if (gst_video_frame_map (&frame, &probe->frame_info, buf, GST_MAP_READ)) {
      hf_mark_read (GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
          GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), item->frame.width,
          item->frame.height, &item->frame.mark);
      gst_video_frame_unmap (&frame);
    }
  }
  gst_sample_unref (sample);
  hf_probe_queue (probe, item);
  return GST_FLOW_OK;
}

/* Demuxer streaming thread: a video stream appeared.  It takes the
 * parser's input from any older one (a relay that restarted its program);
 * other streams stay unlinked. */
static void
hf_probe_on_pad_added (GstElement * demux, GstPad * pad, gpointer user_data)
{
  GstElement *parser = user_data;
  GstPad *sinkpad, *old;

  if (!g_str_has_prefix (GST_PAD_NAME (pad), "video"))
    return;
  sinkpad = gst_element_get_static_pad (parser, "sink");
  old = gst_pad_get_peer (sinkpad);
  if (old != NULL) {
    gst_pad_unlink (old, sinkpad);
    gst_object_unref (old);
  }
  if (gst_pad_link (pad, sinkpad) != GST_PAD_LINK_OK)
    g_printerr ("hf-probe: cannot decode stream %s (not H.264?)\n",
        GST_PAD_NAME (pad));
  gst_object_unref (sinkpad);
}

/* ---------------------------------------------------------------------- */
/* Command line and pipeline                                              */

/* The url as printed: an SRT passphrase must not end up in logs, however
 * it is spelt (twice, percent-encoded, in any case). */
static gchar *
hf_probe_display_url (const gchar * url)
{
  const gchar *q = strchr (url, '?');
  gchar **parts;
  GString *s;

  if (q == NULL)
    return g_strdup (url);
  s = g_string_new_len (url, q - url + 1);
  parts = g_strsplit (q + 1, "&", -1);
  for (guint i = 0; parts[i] != NULL; i++) {
    const gchar *eq = strchr (parts[i], '=');
    gchar *raw = eq ? g_strndup (parts[i], eq - parts[i]) : g_strdup (parts[i]);
    gchar *key = g_uri_unescape_string (raw, NULL);

    if (i > 0)
      g_string_append_c (s, '&');
    if (key == NULL)
      g_string_append (s, "***");       /* not even a readable key */
    else if (g_ascii_strcasecmp (key, "passphrase") == 0)
      g_string_append_printf (s, "%s=***", raw);
    else
      g_string_append (s, parts[i]);
    g_free (key);
    g_free (raw);
  }
  g_strfreev (parts);
  return g_string_free (s, FALSE);
}

/* Builds srtsrc's uri from the parameters a viewer may give: srtsrc resets
 * every setting when its uri is set, so they all travel in it. */
static gboolean
hf_probe_parse_srt (HfProbe * probe, GHashTable * params, GError ** error)
{
  static const gchar *const known[] = { "streamid", "latency", "passphrase",
    "pbkeylen", "mode", NULL
  };
  const gchar *mode = g_hash_table_lookup (params, "mode");
  GHashTableIter iter;
  gpointer key, value;
  GString *uri;

  if (probe->host[0] == '\0') {
    g_set_error (error, HF_PROBE_ERROR, HF_PROBE_ERROR_USAGE,
        "SRT needs the relay's host: srt://HOST:PORT");
    return FALSE;
  }
  if (mode != NULL && strcmp (mode, "caller") != 0) {
    g_set_error (error, HF_PROBE_ERROR, HF_PROBE_ERROR_USAGE,
        "SRT mode \"%s\": a probe is a caller, like a viewer", mode);
    return FALSE;
  }
  uri = g_string_new ("srt://");
  g_string_append_printf (uri, strchr (probe->host, ':') ? "[%s]:%u" :
      "%s:%u", probe->host, probe->port);
  g_string_append (uri, "?mode=caller");
  g_hash_table_iter_init (&iter, params);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    gchar *k, *v;

    if (!g_strv_contains (known, key)) {
      g_set_error (error, HF_PROBE_ERROR, HF_PROBE_ERROR_USAGE,
          "unknown SRT parameter \"%s\" (known: streamid, latency, "
          "passphrase, pbkeylen)", (const gchar *) key);
      g_string_free (uri, TRUE);
      return FALSE;
    }
    if (strcmp (key, "mode") == 0)
      continue;
    k = g_uri_escape_string (key, NULL, FALSE);
    v = g_uri_escape_string (value, NULL, FALSE);
    g_string_append_printf (uri, "&%s=%s", k, v);
    g_free (k);
    g_free (v);
  }
  probe->srt_uri = g_string_free (uri, FALSE);
  return TRUE;
}

static gboolean
hf_probe_parse_url (HfProbe * probe, GError ** error)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GHashTable) params = NULL;
  g_autoptr (GError) err = NULL;
  const gchar *scheme, *path, *query, *latency;
  guint64 n;

  probe->display_url = hf_probe_display_url (probe->url);
  uri = g_uri_parse (probe->url, G_URI_FLAGS_NON_DNS |
      G_URI_FLAGS_ENCODED_QUERY, &err);
  if (uri == NULL) {
    g_set_error (error, HF_PROBE_ERROR, HF_PROBE_ERROR_USAGE,
        "bad URL \"%s\": %s", probe->display_url, err->message);
    return FALSE;
  }
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "srt") == 0)
    probe->source = HF_PROBE_SOURCE_SRT;
  else if (g_ascii_strcasecmp (scheme, "rtp") == 0)
    probe->source = HF_PROBE_SOURCE_RTP;
  else if (g_ascii_strcasecmp (scheme, "udp") == 0)
    probe->source = HF_PROBE_SOURCE_UDP;
  else {
    g_set_error (error, HF_PROBE_ERROR, HF_PROBE_ERROR_USAGE,
        "bad URL \"%s\": expected srt://, rtp:// or udp://", probe->display_url);
    return FALSE;
  }
  probe->host = g_strdup (g_uri_get_host (uri) ? g_uri_get_host (uri) : "");
  path = g_uri_get_path (uri);
  if (g_uri_get_port (uri) < 1 || g_uri_get_port (uri) > 65535
      || (path[0] != '\0' && strcmp (path, "/") != 0)) {
    g_set_error (error, HF_PROBE_ERROR, HF_PROBE_ERROR_USAGE,
        "bad URL \"%s\": expected %s://HOST:PORT, port 1 to 65535, no path",
        probe->display_url, scheme);
    return FALSE;
  }
  probe->port = g_uri_get_port (uri);

  query = g_uri_get_query (uri);
  if (query != NULL && query[0] != '\0') {
    params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, &err);
    if (params == NULL) {
      g_set_error (error, HF_PROBE_ERROR, HF_PROBE_ERROR_USAGE,
          "bad URL \"%s\": %s", probe->display_url, err->message);
      return FALSE;
    }
  } else {
    params = g_hash_table_new (g_str_hash, g_str_equal);
  }

  if (probe->source == HF_PROBE_SOURCE_SRT)
    return hf_probe_parse_srt (probe, params, error);

  latency = g_hash_table_lookup (params, "latency");
  if (g_hash_table_size (params) > (latency != NULL ? 1u : 0u)
      || (probe->source == HF_PROBE_SOURCE_UDP && latency != NULL)) {
    g_set_error (error, HF_PROBE_ERROR, HF_PROBE_ERROR_USAGE,
        "bad URL \"%s\": %s", probe->display_url,
        probe->source == HF_PROBE_SOURCE_RTP ? "rtp:// takes only latency=MS"
        : "udp:// takes no parameters");
    return FALSE;
  }
  probe->rtp_latency_ms = HF_PROBE_DEFAULT_RTP_LATENCY_MS;
  if (latency != NULL) {
    if (!g_ascii_string_to_unsigned (latency, 10, 0, 10000, &n, NULL)) {
      g_set_error (error, HF_PROBE_ERROR, HF_PROBE_ERROR_USAGE,
          "bad latency \"%s\": expected milliseconds, 0 to 10000", latency);
      return FALSE;
    }
    probe->rtp_latency_ms = (gint) n;
  }
  return TRUE;
}

/* The source part of the pipeline, up to and including tsdemux. */
static gchar *
hf_probe_source_description (HfProbe * probe)
{
  switch (probe->source) {
    case HF_PROBE_SOURCE_SRT:
      return g_strdup ("srtsrc name=src");
    case HF_PROBE_SOURCE_RTP:
      return g_strdup_printf ("udpsrc name=src "
          "buffer-size=4194304 caps=\"application/x-rtp,media=video,"
          "clock-rate=90000,encoding-name=MP2T,payload=33\" ! "
          "rtpjitterbuffer latency=%d ! rtpmp2tdepay", probe->rtp_latency_ms);
    case HF_PROBE_SOURCE_UDP:
      return g_strdup ("udpsrc name=src "
          "buffer-size=4194304 caps=\"video/mpegts,systemstream=true\"");
  }
  g_assert_not_reached ();
  return NULL;
}

static void
hf_probe_add_pad_probe (GstElement * pipeline, const gchar * name,
    const gchar * pad_name, GstPadProbeCallback callback, gpointer user_data)
{
  GstElement *el = gst_bin_get_by_name (GST_BIN (pipeline), name);
  GstPad *pad = gst_element_get_static_pad (el, pad_name);

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, callback, user_data, NULL);
  gst_object_unref (pad);
  gst_object_unref (el);
}

static gboolean
hf_probe_build (HfProbe * probe, GError ** error)
{
  GstAppSinkCallbacks callbacks = { 0, };
  GstElement *demux, *parse, *sink;
  gchar *source, *desc;

  source = hf_probe_source_description (probe);
  /* The decoder's queue holds seconds, so that decoding never holds up
   * reception; the appsink keeps everything (its callback takes each
   * picture at once). */
  desc = g_strdup_printf ("%s ! tsdemux name=demux ignore-pcr=true "
      "h264parse name=parse ! video/x-h264,alignment=au ! "
      "queue max-size-buffers=0 max-size-bytes=0 "
      "max-size-time=5000000000 ! avdec_h264 name=dec max-errors=-1 ! "
      "appsink name=sink sync=false max-buffers=0 drop=false", source);
  g_free (source);
  probe->pipeline = gst_parse_launch_full (desc, NULL,
      GST_PARSE_FLAG_FATAL_ERRORS, error);
  g_free (desc);
  if (probe->pipeline == NULL)
    return FALSE;

  if (probe->source == HF_PROBE_SOURCE_SRT) {
    GstElement *src = gst_bin_get_by_name (GST_BIN (probe->pipeline), "src");

    /* auto-reconnect off: a broken connection must show (and be counted
     * here), not be hidden inside srtsrc.  After the uri, which resets
     * the settings. */
    g_object_set (src, "uri", probe->srt_uri, "auto-reconnect", FALSE, NULL);
    gst_object_unref (src);
  } else {
    GstElement *src = gst_bin_get_by_name (GST_BIN (probe->pipeline), "src");

    /* Set as properties, never pasted into the launch text: a host is
     * the user's input. */
    g_object_set (src, "address", probe->host[0] != '\0' ? probe->host :
        "0.0.0.0", "port", (gint) probe->port, NULL);
    gst_object_unref (src);
  }

  demux = gst_bin_get_by_name (GST_BIN (probe->pipeline), "demux");
  parse = gst_bin_get_by_name (GST_BIN (probe->pipeline), "parse");
  /* The pipeline keeps the parser as long as the demuxer can call back. */
  g_signal_connect (demux, "pad-added", G_CALLBACK (hf_probe_on_pad_added),
      parse);
  gst_object_unref (demux);
  gst_object_unref (parse);

  hf_probe_add_pad_probe (probe->pipeline, "src", "src",
      hf_probe_on_source_data, probe);
  hf_probe_add_pad_probe (probe->pipeline, "parse", "sink",
      hf_probe_on_access_unit, probe);

  sink = gst_bin_get_by_name (GST_BIN (probe->pipeline), "sink");
  callbacks.new_sample = hf_probe_on_sample;
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, probe, NULL);
  gst_object_unref (sink);
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Running, reconnecting, stopping                                        */

/* Control thread: a new session (connection attempt) starts. */
static gboolean
hf_probe_start_session (HfProbe * probe)
{
  g_mutex_lock (&probe->arrival_lock);
  memset (probe->arrivals, 0, sizeof (probe->arrivals));
  g_mutex_unlock (&probe->arrival_lock);
  g_atomic_int_inc (&probe->session);
  g_atomic_int_set (&probe->session_has_data, 0);
  g_atomic_int_set (&probe->flushing, 0);
  probe->connected = FALSE;
  return gst_element_set_state (probe->pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE;
}

static void hf_probe_restart_later (HfProbe * probe, const gchar * reason);
static void hf_probe_finish (HfProbe * probe);

/* Control thread: the backoff expired. */
static gboolean
hf_probe_on_retry (gpointer user_data)
{
  HfProbe *probe = user_data;

  probe->retry_id = 0;
  if (!hf_probe_start_session (probe))
    hf_probe_restart_later (probe, "cannot restart the pipeline");
  return G_SOURCE_REMOVE;
}

/* Control thread: the connection failed, broke or ended (or the pipeline
 * failed): say so if it had carried data, tear down and try again after
 * the backoff (reset once data flows). */
static void
hf_probe_restart_later (HfProbe * probe, const gchar * reason)
{
  if (probe->stopping || probe->retry_id != 0)
    return;
  /* What the streaming threads queued (a short session's "connected" and
   * its pictures) is taken before the session is declared over. */
  hf_probe_drain (probe);
  if (probe->connected) {
    GString *b = hf_probe_line_begin (probe, "disconnect");

    hf_probe_add_string (b, "reason", reason);
    hf_probe_line_end (b);
    probe->disconnects++;
    probe->disconnected_us = g_get_monotonic_time ();
    probe->connected = FALSE;
  }
  g_printerr ("hf-probe: %s: %s; retrying in %u ms\n", probe->display_url,
      reason, probe->retry_ms);
  gst_element_set_state (probe->pipeline, GST_STATE_NULL);
  probe->retry_id = g_timeout_add (probe->retry_ms, hf_probe_on_retry, probe);
  probe->retry_ms = MIN (probe->retry_ms * 2, HF_PROBE_RETRY_MAX_MS);
}

/* Control thread: the session's last pictures are out (or will not come
 * out): reconnect, or end the run. */
static void
hf_probe_session_done (HfProbe * probe)
{
  if (probe->flush_id != 0)
    g_source_remove (probe->flush_id);
  probe->flush_id = 0;
  probe->ending = FALSE;
  if (probe->stopping)
    hf_probe_finish (probe);
  else
    hf_probe_restart_later (probe, probe->end_reason);
}

static gboolean
hf_probe_on_flush_timeout (gpointer user_data)
{
  HfProbe *probe = user_data;

  probe->flush_id = 0;
  hf_probe_session_done (probe);
  return G_SOURCE_REMOVE;
}

/* Control thread: the session ends (the connection broke or ended, or the
 * probe stops).  What was received but not decoded yet still counts: with
 * @flush, an EOS into the demuxer pushes it out (tsdemux holds a picture
 * until the next one starts) and through the decoder, and the session is
 * done when that EOS reaches the appsink (the pipeline's EOS) or after
 * HF_PROBE_FLUSH_TIMEOUT_MS.  The source's thread has stopped, or gets EOS
 * for what it pushes next: the event can go in from here. */
static void
hf_probe_end_session (HfProbe * probe, const gchar * reason, gboolean flush)
{
  GstElement *demux;
  GstPad *pad;

  if (probe->ending || probe->retry_id != 0)
    return;
  probe->ending = TRUE;
  g_free (probe->end_reason);
  probe->end_reason = g_strdup (reason);
  if (!flush || !g_atomic_int_get (&probe->session_has_data)) {
    hf_probe_session_done (probe);
    return;
  }
  g_atomic_int_set (&probe->flushing, 1);
  demux = gst_bin_get_by_name (GST_BIN (probe->pipeline), "demux");
  pad = gst_element_get_static_pad (demux, "sink");
  gst_pad_send_event (pad, gst_event_new_eos ());
  gst_object_unref (pad);
  gst_object_unref (demux);
  probe->flush_id = g_timeout_add (HF_PROBE_FLUSH_TIMEOUT_MS,
      hf_probe_on_flush_timeout, probe);
}

/* The factory name of the elements whose complaints are about the
 * stream's content, NULL for any other. */
static const gchar *
hf_probe_decode_chain_name (GstObject * src)
{
  const gchar *name = GST_OBJECT_NAME (src);

  if (g_strcmp0 (name, "dec") == 0)
    return "avdec_h264";
  if (g_strcmp0 (name, "parse") == 0)
    return "h264parse";
  if (g_strcmp0 (name, "demux") == 0)
    return "tsdemux";
  return NULL;
}

/* Control thread: bus watch. */
static gboolean
hf_probe_on_bus_message (GstBus * bus, GstMessage * message, gpointer user_data)
{
  HfProbe *probe = user_data;
  GstObject *src = GST_MESSAGE_SRC (message);
  GError *error = NULL;

  switch (GST_MESSAGE_TYPE (message)) {
    case GST_MESSAGE_ERROR:
      /* While a session ends, its elements' last words add nothing. */
      if (probe->ending)
        break;
      gst_message_parse_error (message, &error, NULL);
      if (hf_probe_decode_chain_name (src) != NULL)
        hf_probe_print_decode_error (probe, hf_probe_decode_chain_name (src),
            error->message);
      hf_probe_end_session (probe, error->message, TRUE);
      g_clear_error (&error);
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (message, &error, NULL);
      if (hf_probe_decode_chain_name (src) != NULL)
        hf_probe_print_decode_error (probe, hf_probe_decode_chain_name (src),
            error->message);
      else
        g_printerr ("hf-probe: warning from %s: %s\n", GST_OBJECT_NAME (src),
            error->message);
      g_clear_error (&error);
      break;
    case GST_MESSAGE_EOS:
      /* Our flush came out, or the stream ended (the relay closed the
       * connection) and everything came out with it. */
      if (probe->ending)
        hf_probe_session_done (probe);
      else
        hf_probe_end_session (probe, "end of stream", FALSE);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* Control thread, every second. */
static gboolean
hf_probe_on_stats (gpointer user_data)
{
  HfProbe *probe = user_data;
  gint64 now = g_get_monotonic_time ();
  GString *b;
  HfProbeSummary s;

  /* Pictures decoded by now count, even if not drained yet. */
  hf_probe_drain (probe);
  b = hf_probe_line_begin (probe, "stats");
  hf_probe_model_get_summary (&probe->model, &s);
  hf_probe_add_int (b, "frames", s.frames);
  hf_probe_add_double (b, "fps", now > probe->stats_us ?
      (s.frames - probe->stats_frames) * 1e6 / (now - probe->stats_us) : 0);
  hf_probe_add_int (b, "freezes", s.freezes);
  hf_probe_add_int (b, "max_freeze_ms", hf_probe_ms (s.max_freeze_us));
  hf_probe_add_int (b, "frozen_ms",
      hf_probe_ms (hf_probe_model_overdue_us (&probe->model, now)));
  hf_probe_add_string (b, "screen", hf_probe_screen_to_string (s.screen));
  hf_probe_add_int (b, "decode_errors", probe->decode_errors);
  hf_probe_add_int (b, "live_frames_lost", s.live_frames_lost);
  hf_probe_add_int_or_null (b, "latency_ms", probe->last_latency_ms);
  hf_probe_line_end (b);
  probe->stats_frames = s.frames;
  probe->stats_us = now;
  return G_SOURCE_CONTINUE;
}

static void
hf_probe_print_summary (HfProbe * probe)
{
  GString *b = hf_probe_line_begin (probe, "summary");
  HfProbeSummary s;

  hf_probe_model_get_summary (&probe->model, &s);
  hf_probe_add_int (b, "frames_decoded", s.frames);
  hf_probe_add_int (b, "decode_errors", probe->decode_errors);
  hf_probe_add_int (b, "corrupt_frames", probe->corrupt_frames);
  hf_probe_add_int (b, "freezes", s.freezes);
  hf_probe_add_int (b, "total_freeze_ms", hf_probe_ms (s.total_freeze_us));
  hf_probe_add_int (b, "max_freeze_ms", hf_probe_ms (s.max_freeze_us));
  hf_probe_add_int (b, "open_freeze_ms", hf_probe_ms (s.open_freeze_us));
  hf_probe_add_int (b, "backwards", s.backwards);
  hf_probe_add_int (b, "pts_jumps", s.pts_jumps);
  hf_probe_add_int (b, "resolution_changes", s.resolution_changes);
  hf_probe_add_int (b, "live_frames", s.screen_frames[HF_PROBE_SCREEN_LIVE]);
  hf_probe_add_int (b, "slate_frames", s.screen_frames[HF_PROBE_SCREEN_SLATE]);
  hf_probe_add_int (b, "other_frames", s.screen_frames[HF_PROBE_SCREEN_OTHER]);
  hf_probe_add_double (b, "live_s", s.screen_us[HF_PROBE_SCREEN_LIVE] / 1e6);
  hf_probe_add_double (b, "slate_s", s.screen_us[HF_PROBE_SCREEN_SLATE] / 1e6);
  hf_probe_add_double (b, "other_s", s.screen_us[HF_PROBE_SCREEN_OTHER] / 1e6);
  hf_probe_add_int (b, "live_frames_lost", s.live_frames_lost);
  hf_probe_add_int (b, "source_changes", s.source_changes);
  hf_probe_add_int_or_null (b, "latency_median_ms", s.latency_median_ms);
  hf_probe_add_int_or_null (b, "latency_p95_ms", s.latency_p95_ms);
  hf_probe_add_int_or_null (b, "latency_max_ms", s.latency_max_ms);
  hf_probe_add_int (b, "latency_samples", s.latency_samples);
  hf_probe_add_int_or_null (b, "first_frame_mono_ms",
      s.first_arrival_us < 0 ? -1 : s.first_arrival_us / 1000);
  hf_probe_add_int_or_null (b, "last_frame_mono_ms",
      s.last_arrival_us < 0 ? -1 : s.last_arrival_us / 1000);
  hf_probe_add_double (b, "interval_ms", s.interval_us / 1000.0);
  hf_probe_add_int (b, "disconnects", probe->disconnects);
  hf_probe_add_int (b, "reconnects", probe->reconnects);
  hf_probe_add_string (b, "screen", hf_probe_screen_to_string (s.screen));
  hf_probe_add_double (b, "duration_s",
      (g_get_monotonic_time () - probe->start_us) / 1e6);
  hf_probe_line_end (b);
}

/* Control thread: the run ends, the session flushed: stops the pipeline
 * (no streaming thread runs after this), takes in what it had decoded, and
 * ends with the summary. */
static void
hf_probe_finish (HfProbe * probe)
{
  gst_element_set_state (probe->pipeline, GST_STATE_NULL);
  hf_probe_drain (probe);
  hf_probe_model_finish (&probe->model, g_get_monotonic_time (),
      hf_probe_on_event, probe);
  hf_probe_print_summary (probe);
  g_main_loop_quit (probe->loop);
}

/* Control thread: SIGINT, SIGTERM or --duration.  The pictures on their
 * way through the decoder are still counted, then the summary. */
static void
hf_probe_stop (HfProbe * probe, const gchar * why)
{
  if (probe->stopping) {
    /* Asked twice: do not wait for the flush. */
    if (probe->ending)
      hf_probe_session_done (probe);
    return;
  }
  probe->stopping = TRUE;
  g_printerr ("hf-probe: stopping (%s)\n", why);
  /* Nothing is printed after the summary. */
  if (probe->stats_id != 0)
    g_source_remove (probe->stats_id);
  probe->stats_id = 0;
  if (probe->retry_id != 0) {
    /* Between two attempts: nothing to flush. */
    g_source_remove (probe->retry_id);
    probe->retry_id = 0;
    hf_probe_finish (probe);
  } else if (!probe->ending) {
    hf_probe_end_session (probe, why, TRUE);
  }
}

static gboolean
hf_probe_on_sigint (gpointer user_data)
{
  hf_probe_stop (user_data, "SIGINT");
  return G_SOURCE_CONTINUE;
}

static gboolean
hf_probe_on_sigterm (gpointer user_data)
{
  hf_probe_stop (user_data, "SIGTERM");
  return G_SOURCE_CONTINUE;
}

static gboolean
hf_probe_on_duration (gpointer user_data)
{
  HfProbe *probe = user_data;

  probe->duration_id = 0;
  hf_probe_stop (probe, "--duration reached");
  return G_SOURCE_REMOVE;
}

static void
hf_probe_clear (HfProbe * probe)
{
  HfProbeItem *item;

  if (probe->pipeline != NULL) {
    gst_element_set_state (probe->pipeline, GST_STATE_NULL);
    gst_object_unref (probe->pipeline);
  }
  if (probe->retry_id != 0)
    g_source_remove (probe->retry_id);
  if (probe->stats_id != 0)
    g_source_remove (probe->stats_id);
  if (probe->duration_id != 0)
    g_source_remove (probe->duration_id);
  if (probe->flush_id != 0)
    g_source_remove (probe->flush_id);
  g_free (probe->end_reason);
  /* Drains scheduled but not run hold no reference: the queue goes. */
  while (g_main_context_iteration (NULL, FALSE));
  while ((item = g_async_queue_try_pop (probe->items)) != NULL)
    g_free (item);
  g_async_queue_unref (probe->items);
  hf_probe_model_clear (&probe->model);
  g_mutex_clear (&probe->arrival_lock);
  gst_caps_replace (&probe->frame_caps, NULL);
  g_clear_pointer (&probe->loop, g_main_loop_unref);
  g_free (probe->url);
  g_free (probe->label);
  g_free (probe->host);
  g_free (probe->srt_uri);
  g_free (probe->display_url);
}

static gboolean
hf_probe_check_options (HfProbe * probe, GError ** error)
{
  if (probe->duration < 0 || probe->duration > HF_PROBE_MAX_DURATION_S) {
    g_set_error (error, HF_PROBE_ERROR, HF_PROBE_ERROR_USAGE,
        "bad --duration %d: expected seconds up to %d, 0 for no end",
        probe->duration, HF_PROBE_MAX_DURATION_S);
    return FALSE;
  }
  if (probe->buffer_ms < 0 || probe->buffer_ms > HF_PROBE_MAX_BUFFER_MS) {
    g_set_error (error, HF_PROBE_ERROR, HF_PROBE_ERROR_USAGE,
        "bad --buffer-ms %d: expected 0 to %d", probe->buffer_ms,
        HF_PROBE_MAX_BUFFER_MS);
    return FALSE;
  }
  if (probe->label != NULL && !g_utf8_validate (probe->label, -1, NULL)) {
    g_set_error (error, HF_PROBE_ERROR, HF_PROBE_ERROR_USAGE,
        "bad --label: not UTF-8");
    return FALSE;
  }
  return hf_probe_parse_url (probe, error);
}

int
main (int argc, char **argv)
{
  HfProbe probe = { 0, };
  gboolean show_version = FALSE;
  GOptionContext *context;
  GError *error = NULL;
  guint sigint_id, sigterm_id, watch_id;
  GstBus *bus;
  GString *b;
  gchar *description;
  GOptionEntry entries[] = {
    {"duration", 0, 0, G_OPTION_ARG_INT, &probe.duration,
          "Stop after this many seconds (default 0: at SIGINT or SIGTERM)",
        "SECONDS"},
    {"buffer-ms", 0, 0, G_OPTION_ARG_INT, &probe.buffer_ms,
        "The modelled player's playout buffer (default 150)", "MS"},
    {"frames", 0, 0, G_OPTION_ARG_NONE, &probe.frames,
        "Also print one line per decoded picture", NULL},
    {"label", 0, 0, G_OPTION_ARG_STRING, &probe.label,
        "Copied into every line as \"label\"", "NAME"},
    {"version", 0, 0, G_OPTION_ARG_NONE, &show_version,
        "Print the version and exit", NULL},
    G_OPTION_ENTRY_NULL
  };

  probe.buffer_ms = HF_PROBE_DEFAULT_BUFFER_MS;
  probe.exit_code = HF_PROBE_EXIT_OK;
  probe.retry_ms = HF_PROBE_RETRY_MIN_MS;
  probe.last_latency_ms = -1;
  probe.items = g_async_queue_new ();
  g_mutex_init (&probe.arrival_lock);

  /* Labels and URLs on the command line are the user's text (UTF-8). */
  setlocale (LC_ALL, "");
  context = g_option_context_new ("URL");
  g_option_context_set_summary (context,
      "Pulls a stream like a viewer, decodes it and reports, as JSON lines,\n"
      "what a viewer sees: freezes, timestamps going back, resolution\n"
      "changes, live or slate pictures (hf-push's and the slate's marks),\n"
      "live frames lost, latency; a summary at the end.");
  description = g_strdup_printf ("URL is one of:\n"
      "  srt://HOST:PORT[?streamid=ID&latency=MS&passphrase=SECRET]\n"
      "      SRT caller, MPEG-TS; reconnects for ever\n"
      "  rtp://HOST:PORT[?latency=MS]\n"
      "      listen for RTP/MPEG-TS (payload 33) on PORT (jitter buffer MS,\n"
      "      default %d)\n"
      "  udp://HOST:PORT\n"
      "      listen for MPEG-TS in UDP datagrams on PORT\n"
      "\n"
      "The player model keeps --buffer-ms behind the live edge (the most\n"
      "timely arrival of the last 5-10 s) and shows each picture at its\n"
      "timestamp, or when it arrives if later.  A freeze is a picture on\n"
      "screen for more than two frame intervals.  The default, %d ms, is\n"
      "measured: through holdfast on this 2-core machine pictures came at\n"
      "most 55-135 ms late against the live edge (one to three viewers),\n"
      "while a 300 ms stall still shows as a freeze (of ~150 ms).\n"
      "\n"
      "Output: one JSON object per line (types start, connected,\n"
      "disconnect, reconnect, format, freeze, backwards, pts_jump,\n"
      "resolution, screen, frames_lost, source_change, decode_error,\n"
      "stats, frame, summary); the fields are listed at the top of\n"
      "tools/hf-probe.c.\n"
      "\n"
      "Exit status: 0 after --duration, SIGINT or SIGTERM (with the\n"
      "summary), 1 when the pipeline cannot be built, 2 on bad arguments.\n",
      HF_PROBE_DEFAULT_RTP_LATENCY_MS, HF_PROBE_DEFAULT_BUFFER_MS);
  g_option_context_set_description (context, description);
  g_free (description);
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("hf-probe: %s\n", error->message);
    g_printerr ("Try \"hf-probe --help\" for usage.\n");
    g_clear_error (&error);
    g_option_context_free (context);
    hf_probe_clear (&probe);
    return HF_PROBE_EXIT_USAGE;
  }
  g_option_context_free (context);

  if (show_version) {
    gchar *gst_version = gst_version_string ();

    g_print ("hf-probe %s (%s)\n", HF_VERSION, gst_version);
    g_free (gst_version);
    hf_probe_clear (&probe);
    return HF_PROBE_EXIT_OK;
  }
  if (argc != 2) {
    g_printerr ("hf-probe: %s\n", argc < 2 ? "missing URL" :
        "too many arguments: expected one URL");
    g_printerr ("Try \"hf-probe --help\" for usage.\n");
    hf_probe_clear (&probe);
    return HF_PROBE_EXIT_USAGE;
  }
  probe.url = g_strdup (argv[1]);
  if (!hf_probe_check_options (&probe, &error)) {
    g_printerr ("hf-probe: %s\n", error->message);
    g_clear_error (&error);
    hf_probe_clear (&probe);
    return HF_PROBE_EXIT_USAGE;
  }

  gst_init (NULL, NULL);
  hf_probe_model_init (&probe.model, (gint64) probe.buffer_ms * 1000);
  if (!hf_probe_build (&probe, &error)) {
    g_printerr ("hf-probe: cannot build the pipeline: %s\n", error->message);
    g_clear_error (&error);
    hf_probe_clear (&probe);
    return HF_PROBE_EXIT_FAILURE;
  }

  probe.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (probe.pipeline);
  watch_id = gst_bus_add_watch (bus, hf_probe_on_bus_message, &probe);
  gst_object_unref (bus);
  sigint_id = g_unix_signal_add (SIGINT, hf_probe_on_sigint, &probe);
  sigterm_id = g_unix_signal_add (SIGTERM, hf_probe_on_sigterm, &probe);
  if (probe.duration > 0)
    probe.duration_id = g_timeout_add ((guint) probe.duration * 1000,
        hf_probe_on_duration, &probe);
  probe.stats_id = g_timeout_add (HF_PROBE_STATS_MS, hf_probe_on_stats, &probe);

  probe.start_us = probe.stats_us = g_get_monotonic_time ();
  b = hf_probe_line_begin (&probe, "start");
  hf_probe_add_string (b, "url", probe.display_url);
  hf_probe_add_int (b, "buffer_ms", probe.buffer_ms);
  hf_probe_add_string (b, "version", HF_VERSION);
  hf_probe_line_end (b);

  if (!hf_probe_start_session (&probe))
    hf_probe_restart_later (&probe, "cannot start the pipeline");
  g_main_loop_run (probe.loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_source_remove (watch_id);
  hf_probe_clear (&probe);
  return probe.exit_code;
}
