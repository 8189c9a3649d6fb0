/* The slate: the "stream paused" loop the relay puts on air when no input is
 * alive (hf-switch.c plays it).  It is encoded once, here, to match the live
 * stream (H.264 at the live size and frame rate; AAC in ADTS or Opus at the
 * live rate and channel count, or no audio) so that playing it costs no
 * encoding and the viewer's decoder keeps seeing the same kind of stream.
 * Two sources: the builtin still (a dark background of HF_SLATE_BUILTIN_RGB
 * with a centred white sentence and a SLATE picture mark (hf-mark.h) that
 * numbers its frames, over silence, two seconds long) and the
 * operator's clip (MP4 or MPEG-TS, decoded, scaled, re-timed and re-encoded,
 * at most its first 30 s).  Video is restamped onto an exact frame grid from
 * 0 and audio made contiguous from 0, so the looper only adds an offset.
 *
 * Threads: hf_slate_encode () blocks while a private pipeline runs to EOS; a
 * worker thread calls it.  The pipeline's streaming threads run the
 * decodebin callbacks, the 30 s limit probe and the mark probe below.  The
 * format helpers are plain functions for any thread.  An HfSlate is
 * immutable once returned and its refcount atomic: any thread may hold and
 * read one.
 */
#include "failover/failover-private.h"

#include <string.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include "failover/hf-mark.h"

GST_DEBUG_CATEGORY_STATIC (hf_slate_debug);
#define GST_CAT_DEFAULT hf_slate_debug

/* The builtin slate's background, 0xRRGGBB.  Tests and benchmarks recognise
 * a slate frame by the colour of its top-left corner: keep it distinctive
 * (no live camera shot is this flat dark blue) and keep it in step with
 * tests/unit/test-slate.c. */
#define HF_SLATE_BUILTIN_RGB 0x102040
#define HF_SLATE_BUILTIN_TEXT "Stream paused \xe2\x80\x94 we'll be right back"
/* Scaled by textoverlay's auto-resize against a 640-pixel-wide picture:
 * the sentence spans about 85 % of the width at any size. */
#define HF_SLATE_BUILTIN_FONT "DejaVu Sans Bold 20"
/* Two GOPs: short to encode and small to keep, long enough that a loop
 * restart once every two seconds is no burden. */
#define HF_SLATE_BUILTIN_SECONDS 2
#define HF_SLATE_CLIP_MAX (30 * GST_SECOND)
/* The builtin slate takes about a second at 720p; a 30 s 1080p clip a few
 * tens of seconds on a small machine. */
#define HF_SLATE_BUILTIN_TIMEOUT (20 * GST_SECOND)
#define HF_SLATE_CLIP_TIMEOUT (120 * GST_SECOND)
/* Samples per buffer of the silence source (one AAC frame). */
#define HF_SLATE_SILENCE_SAMPLES 1024

typedef enum
{
  HF_SLATE_ERROR_FORMAT,        /* the requested format cannot be encoded */
  HF_SLATE_ERROR_CLIP,          /* the clip is missing, not media, no video */
  HF_SLATE_ERROR_PIPELINE,      /* an element is missing or failed */
  HF_SLATE_ERROR_TIMEOUT        /* the encode did not finish in time */
} HfSlateError;

/* Not in hf-failover.h: callers only show the message. */
static GQuark
hf_slate_error_quark (void)
{
  return g_quark_from_static_string ("hf-slate-error-quark");
}

#define HF_SLATE_ERROR (hf_slate_error_quark ())

static void
hf_slate_debug_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (hf_slate_debug, "hf-slate", 0,
        "Holdfast slate encoder");
    g_once_init_leave (&done, 1);
  }
}

/* ---- Format -------------------------------------------------------------- */

void
hf_slate_format_init (HfSlateFormat * format)
{
  g_return_if_fail (format != NULL);

  memset (format, 0, sizeof (*format));
  format->width = 1280;
  format->height = 720;
  format->fps_n = 30;
  format->fps_d = 1;
  format->audio_codec = g_intern_static_string ("audio/mpeg");
  format->audio_rate = 48000;
  format->audio_channels = 2;
}

gboolean
hf_slate_format_equal (const HfSlateFormat * a, const HfSlateFormat * b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if (a->width != b->width || a->height != b->height)
    return FALSE;
  /* 60/2 is 30/1: compare the rates, not the fractions' spelling. */
  if (a->fps_d > 0 && b->fps_d > 0) {
    if ((gint64) a->fps_n * b->fps_d != (gint64) b->fps_n * a->fps_d)
      return FALSE;
  } else if (a->fps_n != b->fps_n || a->fps_d != b->fps_d) {
    return FALSE;
  }
  if (g_strcmp0 (a->audio_codec, b->audio_codec) != 0)
    return FALSE;
  /* Without an audio track the rate and channels encode nothing. */
  if (a->audio_codec == NULL)
    return TRUE;
  return a->audio_rate == b->audio_rate
      && a->audio_channels == b->audio_channels;
}

gboolean
hf_slate_format_update (HfSlateFormat * format, const GstCaps * video,
    const GstCaps * audio)
{
  HfSlateFormat old;
  const GstStructure *s;
  gint v, n, d;
  gboolean changed;

  g_return_val_if_fail (format != NULL, FALSE);
  hf_slate_debug_init ();

  old = *format;
  if (video != NULL && gst_caps_get_size (video) > 0) {
    s = gst_caps_get_structure (video, 0);
    if (gst_structure_get_int (s, "width", &v) && v > 0)
      format->width = v;
    if (gst_structure_get_int (s, "height", &v) && v > 0)
      format->height = v;
    /* 0/1 is "variable or unknown": keep the rate we had. */
    if (gst_structure_get_fraction (s, "framerate", &n, &d) && n > 0 && d > 0) {
      format->fps_n = n;
      format->fps_d = d;
    }
  }

  if (audio != NULL && gst_caps_get_size (audio) > 0) {
    const gchar *codec = NULL;

    s = gst_caps_get_structure (audio, 0);
    /* MPEG-2 AAC (mpegversion 2, as some encoders signal in MPEG-TS) is the
     * same AAC-LC bitstream in ADTS: matched with MPEG-4 AAC. */
    if (gst_structure_has_name (s, "audio/mpeg")
        && gst_structure_get_int (s, "mpegversion", &v) && (v == 4 || v == 2))
      codec = g_intern_static_string ("audio/mpeg");
    else if (gst_structure_has_name (s, "audio/x-opus"))
      codec = g_intern_static_string ("audio/x-opus");

    if (codec != NULL) {
      format->audio_codec = codec;
      if (gst_structure_get_int (s, "rate", &v) && v > 0)
        format->audio_rate = v;
      if (gst_structure_get_int (s, "channels", &v) && v > 0)
        format->audio_channels = v;
    } else {
      GST_WARNING ("live audio %" GST_PTR_FORMAT " is neither AAC nor Opus: "
          "the slate keeps %s", audio, GST_STR_NULL (format->audio_codec));
    }
  }

  changed = !hf_slate_format_equal (&old, format);
  if (changed)
    GST_INFO ("slate format now %dx%d@%d/%d, audio %s %d Hz x%d",
        format->width, format->height, format->fps_n, format->fps_d,
        GST_STR_NULL (format->audio_codec), format->audio_rate,
        format->audio_channels);
  return changed;
}

/* What this file can encode.  The format comes from a live stream's caps:
 * say clearly what is wrong instead of failing inside the pipeline. */
static gboolean
hf_slate_format_check (const HfSlateFormat * f, GError ** error)
{
  static const gint aac_rates[] = { 7350, 8000, 11025, 12000, 16000, 22050,
    24000, 32000, 44100, 48000, 64000, 88200, 96000
  };
  static const gint opus_rates[] = { 8000, 12000, 16000, 24000, 48000 };
  const gint *rates;
  guint i, n_rates;
  gint max_channels;

  /* x264 encodes 4:2:0, which needs even sizes. */
  if (f->width < 16 || f->width > 7680 || f->height < 16 || f->height > 4320
      || f->width % 2 != 0 || f->height % 2 != 0)
    goto bad_size;
  if (f->fps_n <= 0 || f->fps_d <= 0 || f->fps_n < f->fps_d
      || f->fps_n > 240 * (gint64) f->fps_d)
    goto bad_rate;
  if (f->audio_codec == NULL)
    return TRUE;

  if (strcmp (f->audio_codec, "audio/mpeg") == 0) {
    rates = aac_rates;
    n_rates = G_N_ELEMENTS (aac_rates);
    max_channels = 6;
  } else if (strcmp (f->audio_codec, "audio/x-opus") == 0) {
    rates = opus_rates;
    n_rates = G_N_ELEMENTS (opus_rates);
    max_channels = 8;
  } else {
    goto bad_codec;
  }
  for (i = 0; i < n_rates; i++)
    if (rates[i] == f->audio_rate)
      break;
  if (i == n_rates || f->audio_channels < 1 || f->audio_channels > max_channels)
    goto bad_audio;
  return TRUE;

  /* ERRORS */
bad_size:
  g_set_error (error, HF_SLATE_ERROR, HF_SLATE_ERROR_FORMAT,
      "slate size %dx%d is not encodable (even, 16x16 to 7680x4320)",
      f->width, f->height);
  return FALSE;
bad_rate:
  g_set_error (error, HF_SLATE_ERROR, HF_SLATE_ERROR_FORMAT,
      "slate frame rate %d/%d is out of range (1 to 240 fps)", f->fps_n,
      f->fps_d);
  return FALSE;
bad_codec:
  g_set_error (error, HF_SLATE_ERROR, HF_SLATE_ERROR_FORMAT,
      "slate audio codec %s is not AAC (audio/mpeg) or Opus (audio/x-opus)",
      f->audio_codec);
  return FALSE;
bad_audio:
  g_set_error (error, HF_SLATE_ERROR, HF_SLATE_ERROR_FORMAT,
      "slate audio %s at %d Hz with %d channels is not encodable",
      f->audio_codec, f->audio_rate, f->audio_channels);
  return FALSE;
}

/* ---- Pipeline descriptions ----------------------------------------------- */

/* Whole frames per second, rounded down: key-int-max, so that there is an
 * IDR at least every second (29.97 fps: every 29 frames, not 30). */
static guint
hf_slate_keyint (const HfSlateFormat * f)
{
  return MAX (1, (guint) (f->fps_n / f->fps_d));
}

/* A modest ABR target: about 0.07 bit per pixel per frame (2 Mbit/s at
 * 720p30), within 100 kbit/s..8 Mbit/s.  A still costs far less: x264
 * spends little on frames that do not change. */
static guint
hf_slate_kbps (const HfSlateFormat * f)
{
  gdouble bps = 0.07 * f->width * f->height * f->fps_n / f->fps_d;

  return (guint) CLAMP (bps / 1000, 100, 8000);
}

/* Raw video in whatever form to the target format, encoded and parsed into
 * AUs.  The capsfilter "vraw" is where the clip's 30 s limit is applied. */
static gchar *
hf_slate_video_chain (const HfSlateFormat * f)
{
  return g_strdup_printf ("videoconvert ! videoscale ! videorate ! "
      "capsfilter name=vraw caps=\"video/x-raw,format=I420,width=%d,"
      "height=%d,framerate=%d/%d,pixel-aspect-ratio=1/1\" ! "
      "x264enc speed-preset=veryfast tune=zerolatency key-int-max=%u "
      "bframes=0 bitrate=%u ! h264parse config-interval=-1 ! "
      "video/x-h264,stream-format=byte-stream,alignment=au ! "
      "appsink name=vsink sync=false async=false wait-on-eos=false",
      f->width, f->height, f->fps_n, f->fps_d, hf_slate_keyint (f),
      hf_slate_kbps (f));
}

/* Raw audio in whatever form to the target codec.  ADTS because the program
 * goes into mpegtsmux, which takes AAC as aacparse gives it for MPEG-TS. */
static gchar *
hf_slate_audio_chain (const HfSlateFormat * f)
{
  const gchar *enc;

  if (strcmp (f->audio_codec, "audio/mpeg") == 0)
    enc = "avenc_aac ! aacparse ! "
        "audio/mpeg,mpegversion=4,stream-format=adts";
  else
    enc = "opusenc ! opusparse";
  return g_strdup_printf ("audioconvert ! audioresample ! audiorate ! "
      "capsfilter name=araw caps=\"audio/x-raw,rate=%d,channels=%d\" ! %s ! "
      "appsink name=asink sync=false async=false wait-on-eos=false",
      f->audio_rate, f->audio_channels, enc);
}

static gchar *
hf_slate_builtin_description (const HfSlateFormat * f)
{
  guint frames = hf_slate_keyint (f) * HF_SLATE_BUILTIN_SECONDS;
  gchar *video = hf_slate_video_chain (f);
  gchar *audio = NULL;
  gchar *desc;

  if (f->audio_codec != NULL) {
    gchar *chain = hf_slate_audio_chain (f);
    /* The loop's length is its video; the audio may end a little past it
     * (hf_slate_collect_audio () drops the excess) but not short of it. */
    guint64 samples = gst_util_uint64_scale_ceil (frames,
        (guint64) f->fps_d * f->audio_rate, f->fps_n);

    audio = g_strdup_printf ("audiotestsrc wave=silence samplesperbuffer=%d "
        "num-buffers=%" G_GUINT64_FORMAT " ! %s", HF_SLATE_SILENCE_SAMPLES,
        samples / HF_SLATE_SILENCE_SAMPLES + 1, chain);
    g_free (chain);
  }
  desc = g_strdup_printf ("videotestsrc pattern=solid-color "
      "foreground-color=%u num-buffers=%u ! "
      "video/x-raw,format=I420,width=%d,height=%d,framerate=%d/%d,"
      "pixel-aspect-ratio=1/1 ! textoverlay name=text halignment=center "
      "valignment=center font-desc=\"%s\" ! %s %s",
      0xff000000u | HF_SLATE_BUILTIN_RGB, frames, f->width, f->height,
      f->fps_n, f->fps_d, HF_SLATE_BUILTIN_FONT, video, audio ? audio : "");
  g_free (video);
  g_free (audio);
  return desc;
}

static gchar *
hf_slate_clip_description (const HfSlateFormat * f)
{
  gchar *video = hf_slate_video_chain (f);
  gchar *audio = f->audio_codec ? hf_slate_audio_chain (f) : NULL;
  gchar *desc;

  /* The branches start unlinked: the decodebin's pads are linked to them
   * as they appear.  The queues let decoding and both encoders run on
   * their own threads. */
  desc = g_strdup_printf ("filesrc name=src ! decodebin name=dec "
      "queue name=vq ! %s %s%s", video, audio ? "queue name=aq ! " : "",
      audio ? audio : "");
  g_free (video);
  g_free (audio);
  return desc;
}

/* ---- The operator's clip ------------------------------------------------- */

/* What the decodebin callbacks share; they run on streaming threads. */
typedef struct
{
  GstElement *pipeline;         /* (transfer none) */
  GstElement *vq, *aq;          /* (transfer none) branch heads; aq NULL
                                 * when the format has no audio */
  gint audio_rate;
  GMutex lock;                  /* guards the two below */
  GstPad *video_pad;            /* (transfer full) the linked decoded video */
  gboolean audio_linked;
} HfSlateClip;

/* Streams the slate does not use still need a sink: an unlinked decodebin
 * pad could make the demuxer stop with not-linked. */
static void
hf_slate_clip_discard (HfSlateClip * clip, GstPad * pad)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstPad *sinkpad;

  if (sink == NULL)
    return;
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (clip->pipeline), sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
  gst_element_sync_state_with_parent (sink);
}

/* Streaming thread of the decodebin, once per decoded stream. */
static void
hf_slate_clip_pad_added (GstElement * dec, GstPad * pad, gpointer user_data)
{
  HfSlateClip *clip = user_data;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstElement *target = NULL;
  const gchar *name;
  GstPad *sinkpad;
  GstPadLinkReturn ret;

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  name = gst_caps_get_size (caps) > 0 ?
      gst_structure_get_name (gst_caps_get_structure (caps, 0)) : "";

  g_mutex_lock (&clip->lock);
  if (g_str_has_prefix (name, "video/x-raw") && clip->video_pad == NULL) {
    target = clip->vq;
    clip->video_pad = gst_object_ref (pad);
  } else if (g_str_has_prefix (name, "audio/x-raw") && clip->aq != NULL
      && !clip->audio_linked) {
    target = clip->aq;
    clip->audio_linked = TRUE;
  }
  g_mutex_unlock (&clip->lock);

  GST_DEBUG ("clip stream %s: %s", name, target ? "used" : "discarded");
  gst_caps_unref (caps);
  if (target == NULL) {
    hf_slate_clip_discard (clip, pad);
    return;
  }
  sinkpad = gst_element_get_static_pad (target, "sink");
  ret = gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
  if (GST_PAD_LINK_FAILED (ret))
    GST_WARNING ("could not link the clip's %s stream: %s", name,
        gst_pad_link_get_name (ret));
}

/* Streaming thread of the decodebin, once all streams are known.  A clip
 * without video cannot be a slate; one without audio gets silence when the
 * format wants audio, as long as the clip (at most 30 s). */
static void
hf_slate_clip_no_more_pads (GstElement * dec, gpointer user_data)
{
  HfSlateClip *clip = user_data;
  GstPad *video_pad;
  gboolean need_silence;
  gint64 duration = -1;
  GstElement *silence;
  GstPad *srcpad, *sinkpad;
  guint64 samples;

  g_mutex_lock (&clip->lock);
  video_pad = clip->video_pad ? gst_object_ref (clip->video_pad) : NULL;
  need_silence = clip->aq != NULL && !clip->audio_linked;
  clip->audio_linked = TRUE;
  g_mutex_unlock (&clip->lock);

  if (video_pad == NULL) {
    gst_element_post_message (clip->pipeline,
        gst_message_new_application (GST_OBJECT (clip->pipeline),
            gst_structure_new_empty ("hf-slate-no-video")));
    return;
  }
  if (need_silence) {
    if (!gst_pad_query_duration (video_pad, GST_FORMAT_TIME, &duration)
        || duration <= 0 || duration > (gint64) HF_SLATE_CLIP_MAX)
      duration = HF_SLATE_CLIP_MAX;
    samples = gst_util_uint64_scale_ceil (duration, clip->audio_rate,
        GST_SECOND);
    GST_INFO ("the clip has no audio: adding %" GST_TIME_FORMAT " of silence",
        GST_TIME_ARGS (duration));
    silence = gst_element_factory_make ("audiotestsrc", NULL);
    if (silence != NULL) {
      g_object_set (silence, "wave", 4 /* silence */ ,
          "samplesperbuffer", HF_SLATE_SILENCE_SAMPLES, "num-buffers",
          (gint) (samples / HF_SLATE_SILENCE_SAMPLES + 1), NULL);
      gst_bin_add (GST_BIN (clip->pipeline), silence);
      srcpad = gst_element_get_static_pad (silence, "src");
      sinkpad = gst_element_get_static_pad (clip->aq, "sink");
      gst_pad_link (srcpad, sinkpad);
      gst_object_unref (srcpad);
      gst_object_unref (sinkpad);
      gst_element_sync_state_with_parent (silence);
    }
  }
  gst_object_unref (video_pad);
}

/* Streaming thread of a raw branch (clip only): ends the branch at 30 s of
 * running time.  Returning EOS upstream makes the demuxer stop reading that
 * stream, so a long clip is not decoded to its end for nothing. */
static GstPadProbeReturn
hf_slate_limit_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstEvent *event;
  const GstSegment *segment;
  GstClockTime rt = GST_CLOCK_TIME_NONE;

  event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  if (event == NULL || !GST_BUFFER_PTS_IS_VALID (buf)) {
    if (event)
      gst_event_unref (event);
    return GST_PAD_PROBE_OK;
  }
  gst_event_parse_segment (event, &segment);
  rt = gst_segment_to_running_time (segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  gst_event_unref (event);
  if (!GST_CLOCK_TIME_IS_VALID (rt) || rt < HF_SLATE_CLIP_MAX)
    return GST_PAD_PROBE_OK;

  /* Once the pad is EOS, GStreamer answers further pushes with EOS before
   * they reach this probe. */
  GST_DEBUG_OBJECT (pad, "clip limit reached at %" GST_TIME_FORMAT,
      GST_TIME_ARGS (rt));
  gst_pad_push_event (pad, gst_event_new_eos ());
  gst_buffer_unref (buf);
  GST_PAD_PROBE_INFO_DATA (info) = NULL;
  GST_PAD_PROBE_INFO_FLOW_RETURN (info) = GST_FLOW_EOS;
  return GST_PAD_PROBE_HANDLED;
}

static void
hf_slate_add_limit (GstElement * pipeline, const gchar * name)
{
  GstElement *filter = gst_bin_get_by_name (GST_BIN (pipeline), name);
  GstPad *pad;

  if (filter == NULL)
    return;
  pad = gst_element_get_static_pad (filter, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, hf_slate_limit_probe,
      NULL, NULL);
  gst_object_unref (pad);
  gst_object_unref (filter);
}

/* ---- The builtin slate's mark -------------------------------------------- */

/* Streaming thread of the builtin slate's video, once per raw frame on its
 * way into the encoder: draws a SLATE mark numbered by the frame's place in
 * the loop (the encoder's input order is the loop's order), so that a
 * viewer (hf-probe) tells the slate from live pictures without trusting
 * colours.  No clock: a looped frame is not made when it is shown.
 * @user_data: the frame counter, owned by hf_slate_encode (), which stops
 * the pipeline before it returns. */
static GstPadProbeReturn
hf_slate_mark_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  guint *n = user_data;
  HfMark mark = { HF_MARK_SLATE, 0, 0 };
  GstVideoInfo vinfo;
  GstVideoFrame frame;
  GstBuffer *buf;
  GstCaps *caps;

  buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  mark.counter = (*n)++;
  caps = gst_pad_get_current_caps (pad);
  if (caps != NULL && gst_video_info_from_caps (&vinfo, caps)
      && gst_video_frame_map (&frame, &vinfo, buf, GST_MAP_WRITE)) {
    if (!hf_mark_draw (GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
            GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0),
            GST_VIDEO_FRAME_WIDTH (&frame), GST_VIDEO_FRAME_HEIGHT (&frame),
            &mark))
      GST_LOG ("slate frame %u: too small for a mark", mark.counter);
    gst_video_frame_unmap (&frame);
  }
  if (caps != NULL)
    gst_caps_unref (caps);
  return GST_PAD_PROBE_OK;
}

static void
hf_slate_add_mark (GstElement * pipeline, guint * counter)
{
  GstElement *filter = gst_bin_get_by_name (GST_BIN (pipeline), "vraw");
  GstPad *pad;

  if (filter == NULL)
    return;
  pad = gst_element_get_static_pad (filter, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, hf_slate_mark_probe,
      counter, NULL);
  gst_object_unref (pad);
  gst_object_unref (filter);
}

/* ---- Running ------------------------------------------------------------- */

/* Runs @pipeline to EOS on the calling thread, at most @timeout.  The
 * appsinks keep every sample (unbounded queue, no sync, no preroll wait)
 * and take EOS without waiting for them to be pulled (wait-on-eos=false),
 * so nothing blocks while this waits on the bus; the samples are pulled
 * afterwards. */
static gboolean
hf_slate_run (GstElement * pipeline, gboolean clip, GstClockTime timeout,
    const gchar * what, GCancellable * cancellable, GError ** error)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  gint64 deadline = g_get_monotonic_time () + timeout / GST_USECOND;
  GstMessageType types = GST_MESSAGE_EOS | GST_MESSAGE_ERROR |
      GST_MESSAGE_APPLICATION;
  GstMessage *msg = NULL;
  GError *err = NULL;
  gchar *debug = NULL;
  gboolean ok = FALSE;

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    /* The element that failed posted why. */
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (msg == NULL) {
      g_set_error (error, HF_SLATE_ERROR, HF_SLATE_ERROR_PIPELINE,
          "%s: the pipeline did not start", what);
      goto out;
    }
  } else {
    gint64 left = deadline - g_get_monotonic_time ();

    /* Woken every 100 ms to see whether the owner gave up (a relay that
     * is stopping does not wait for a clip to finish encoding). */
    while (msg == NULL && left > 0) {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        goto out;
      msg = gst_bus_timed_pop_filtered (bus, MIN (left, 100000) * GST_USECOND,
          types);
      left = deadline - g_get_monotonic_time ();
    }
    if (msg == NULL) {
      g_set_error (error, HF_SLATE_ERROR, HF_SLATE_ERROR_TIMEOUT,
          "%s: not done after %" G_GUINT64_FORMAT " s", what,
          timeout / GST_SECOND);
      goto out;
    }
  }

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      ok = TRUE;
      break;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &err, &debug);
      GST_WARNING ("%s: %s (%s)", what, err->message, GST_STR_NULL (debug));
      /* Say which element.  With a clip, an unreadable or undecodable
       * stream is the clip's fault far more often than the encoder's. */
      g_set_error (error, HF_SLATE_ERROR, clip
          && (err->domain == GST_RESOURCE_ERROR
              || err->domain == GST_STREAM_ERROR) ? HF_SLATE_ERROR_CLIP :
          HF_SLATE_ERROR_PIPELINE, "%s: %s (%s)", what, err->message,
          GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)));
      g_clear_error (&err);
      g_free (debug);
      break;
    default:
      g_set_error (error, HF_SLATE_ERROR, HF_SLATE_ERROR_CLIP,
          "%s: no video stream", what);
      break;
  }

out:
  if (msg)
    gst_message_unref (msg);
  gst_object_unref (bus);
  return ok;
}

static GstAppSink *
hf_slate_get_sink (GstElement * pipeline, const gchar * name)
{
  return GST_APP_SINK (gst_bin_get_by_name (GST_BIN (pipeline), name));
}

static GstClockTime
hf_slate_sample_running_time (GstSample * sample)
{
  GstBuffer *buf = gst_sample_get_buffer (sample);
  GstSegment *segment = gst_sample_get_segment (sample);

  if (segment == NULL || segment->format != GST_FORMAT_TIME)
    return GST_BUFFER_PTS (buf);
  return gst_segment_to_running_time (segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
}

/* Takes the encoded video out of the appsink onto an exact frame grid:
 * videorate made the frames regular, and exact PTS = DTS = n x frame time
 * is what the looper can offset without drift.  Returns the first frame's
 * running time (the audio is aligned to it), NONE when there was none. */
static GstClockTime
hf_slate_collect_video (HfSlate * slate, GstAppSink * sink)
{
  const HfSlateFormat *f = &slate->format;
  GstClockTime start = GST_CLOCK_TIME_NONE;
  GstSample *sample;
  guint n = 0;

  while ((sample = gst_app_sink_try_pull_sample (sink, 0)) != NULL) {
    GstBuffer *buf = gst_sample_get_buffer (sample);
    GstClockTime pts, next;

    if (buf == NULL) {
      gst_sample_unref (sample);
      continue;
    }
    if (n == 0) {
      slate->video_caps = gst_caps_ref (gst_sample_get_caps (sample));
      start = hf_slate_sample_running_time (sample);
    }
    pts = gst_util_uint64_scale (n, GST_SECOND * f->fps_d, f->fps_n);
    next = gst_util_uint64_scale (n + 1, GST_SECOND * f->fps_d, f->fps_n);
    buf = gst_buffer_copy (buf);
    GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = pts;
    GST_BUFFER_DURATION (buf) = next - pts;
    g_ptr_array_add (slate->video, buf);
    gst_sample_unref (sample);
    n++;
  }
  slate->duration = gst_util_uint64_scale (n, GST_SECOND * f->fps_d, f->fps_n);
  return GST_CLOCK_TIME_IS_VALID (start) ? start : 0;
}

/* An audio frame's length when the encoder did not say: AAC from the ADTS
 * header (1024 samples per raw data block), Opus 20 ms (opusenc's
 * default frame). */
static GstClockTime
hf_slate_audio_frame_duration (GstBuffer * buf, gboolean aac, gint rate)
{
  guint8 h[7];

  if (GST_BUFFER_DURATION_IS_VALID (buf) && GST_BUFFER_DURATION (buf) > 0)
    return GST_BUFFER_DURATION (buf);
  if (!aac)
    return 20 * GST_MSECOND;
  if (gst_buffer_extract (buf, 0, h, sizeof (h)) == sizeof (h)
      && h[0] == 0xff && (h[1] & 0xf0) == 0xf0)
    return gst_util_uint64_scale (1024 * ((h[6] & 0x03) + 1), GST_SECOND, rate);
  return gst_util_uint64_scale (1024, GST_SECOND, rate);
}

/* Takes the encoded audio out of the appsink, contiguous from where it
 * starts against the first video frame (0 for the builtin slate), all
 * frames starting before the loop's end.  Contiguous because the encoders
 * do not all stamp it so (opusenc shifts all but the first frame by its
 * pre-skip), and audiorate already made the input gapless.  Stamped from a
 * sample count, as the frame durations are not whole nanoseconds. */
static void
hf_slate_collect_audio (HfSlate * slate, GstAppSink * sink,
    GstClockTime video_start)
{
  gboolean aac = strcmp (slate->format.audio_codec, "audio/mpeg") == 0;
  GstClockTime base = GST_CLOCK_TIME_NONE;
  guint64 samples = 0;
  GstSample *sample;
  gint rate = slate->format.audio_rate;

  while ((sample = gst_app_sink_try_pull_sample (sink, 0)) != NULL) {
    GstBuffer *buf = gst_sample_get_buffer (sample);
    GstClockTime dur, rt, pts, end;
    guint64 n;

    if (buf == NULL || !GST_CLOCK_TIME_IS_VALID (slate->duration)) {
      gst_sample_unref (sample);
      continue;
    }
    if (slate->audio_caps == NULL) {
      GstCaps *caps = gst_sample_get_caps (sample);
      const GstStructure *s = gst_caps_get_structure (caps, 0);

      slate->audio_caps = gst_caps_ref (caps);
      gst_structure_get_int (s, "rate", &rate);
    }
    dur = hf_slate_audio_frame_duration (buf, aac, rate);
    if (!GST_CLOCK_TIME_IS_VALID (base)) {
      /* The first frame: frames wholly before the video are dropped. */
      rt = hf_slate_sample_running_time (sample);
      if (GST_CLOCK_TIME_IS_VALID (rt) && rt + dur <= video_start) {
        gst_sample_unref (sample);
        continue;
      }
      base = GST_CLOCK_TIME_IS_VALID (rt) && rt > video_start ?
          rt - video_start : 0;
    }
    n = gst_util_uint64_scale_round (dur, rate, GST_SECOND);
    pts = base + gst_util_uint64_scale (samples, GST_SECOND, rate);
    end = base + gst_util_uint64_scale (samples + n, GST_SECOND, rate);
    samples += n;
    if (pts < slate->duration) {
      buf = gst_buffer_copy (buf);
      GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = pts;
      GST_BUFFER_DURATION (buf) = end - pts;
      g_ptr_array_add (slate->audio, buf);
    }
    gst_sample_unref (sample);
  }
}

static HfSlate *
hf_slate_new (const HfSlateFormat * format)
{
  HfSlate *slate = g_new0 (HfSlate, 1);

  slate->format = *format;
  slate->video = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  slate->audio = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  slate->duration = GST_CLOCK_TIME_NONE;
  slate->refcount = 1;
  return slate;
}

static guint
hf_slate_count_idr (const HfSlate * slate, gsize * bytes)
{
  guint i, idr = 0;

  *bytes = 0;
  for (i = 0; i < slate->video->len; i++) {
    GstBuffer *buf = g_ptr_array_index (slate->video, i);

    if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT))
      idr++;
    *bytes += gst_buffer_get_size (buf);
  }
  return idr;
}

/* ---- Public -------------------------------------------------------------- */

HfSlate *
hf_slate_encode (const HfSlateFormat * format, const gchar * path,
    GCancellable * cancellable, GError ** error)
{
  gint64 t0 = g_get_monotonic_time ();
  HfSlateClip clip = { NULL, };
  GstElement *pipeline = NULL;
  GstAppSink *vsink = NULL, *asink = NULL;
  HfSlate *slate = NULL;
  GError *err = NULL;
  gchar *desc, *what;
  guint marked = 0;
  GstClockTime start;
  gsize bytes;
  guint idr;

  g_return_val_if_fail (format != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  hf_slate_debug_init ();
  g_mutex_init (&clip.lock);

  what = path ? g_strdup_printf ("slate clip '%s'", path) :
      g_strdup ("builtin slate");
  if (!hf_slate_format_check (format, error))
    goto out;
  if (path != NULL && !g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, HF_SLATE_ERROR, HF_SLATE_ERROR_CLIP, "%s: %s", what,
        g_file_test (path, G_FILE_TEST_EXISTS) ? "not a regular file" :
        "no such file");
    goto out;
  }

  desc = path ? hf_slate_clip_description (format) :
      hf_slate_builtin_description (format);
  GST_DEBUG ("%s: %s", what, desc);
  pipeline = gst_parse_launch_full (desc, NULL, GST_PARSE_FLAG_FATAL_ERRORS,
      &err);
  g_free (desc);
  if (pipeline == NULL) {
    /* An element is missing: an installation problem, not the clip's. */
    g_set_error (error, HF_SLATE_ERROR, HF_SLATE_ERROR_PIPELINE,
        "%s: cannot build the encoder: %s", what, err->message);
    g_clear_error (&err);
    goto out;
  }

  if (path == NULL) {
    GstElement *text = gst_bin_get_by_name (GST_BIN (pipeline), "text");

    g_object_set (text, "text", HF_SLATE_BUILTIN_TEXT, NULL);
    gst_object_unref (text);
    hf_slate_add_mark (pipeline, &marked);
  } else {
    GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
    GstElement *dec = gst_bin_get_by_name (GST_BIN (pipeline), "dec");

    g_object_set (src, "location", path, NULL);
    clip.pipeline = pipeline;
    clip.vq = gst_bin_get_by_name (GST_BIN (pipeline), "vq");
    clip.aq = gst_bin_get_by_name (GST_BIN (pipeline), "aq");
    clip.audio_rate = format->audio_rate;
    /* The pipeline holds the queues for as long as the callbacks run. */
    gst_object_unref (clip.vq);
    if (clip.aq)
      gst_object_unref (clip.aq);
    g_signal_connect (dec, "pad-added",
        G_CALLBACK (hf_slate_clip_pad_added), &clip);
    g_signal_connect (dec, "no-more-pads",
        G_CALLBACK (hf_slate_clip_no_more_pads), &clip);
    hf_slate_add_limit (pipeline, "vraw");
    hf_slate_add_limit (pipeline, "araw");
    gst_object_unref (src);
    gst_object_unref (dec);
  }

  if (!hf_slate_run (pipeline, path != NULL, path ? HF_SLATE_CLIP_TIMEOUT :
          HF_SLATE_BUILTIN_TIMEOUT, what, cancellable, error))
    goto out;

  slate = hf_slate_new (format);
  vsink = hf_slate_get_sink (pipeline, "vsink");
  start = hf_slate_collect_video (slate, vsink);
  if (format->audio_codec != NULL) {
    asink = hf_slate_get_sink (pipeline, "asink");
    hf_slate_collect_audio (slate, asink, start);
  }
  if (slate->video->len == 0
      || GST_BUFFER_FLAG_IS_SET (g_ptr_array_index (slate->video, 0),
          GST_BUFFER_FLAG_DELTA_UNIT)) {
    g_set_error (error, HF_SLATE_ERROR, HF_SLATE_ERROR_CLIP,
        "%s: %s", what, slate->video->len == 0 ? "no video frame decoded" :
        "the encoder did not start with a keyframe");
    g_clear_pointer (&slate, hf_slate_unref);
    goto out;
  }
  if (format->audio_codec != NULL && slate->audio->len == 0) {
    g_set_error (error, HF_SLATE_ERROR, HF_SLATE_ERROR_PIPELINE,
        "%s: no audio frame encoded", what);
    g_clear_pointer (&slate, hf_slate_unref);
    goto out;
  }

  idr = hf_slate_count_idr (slate, &bytes);
  GST_INFO ("%s encoded in %" G_GINT64_FORMAT " ms: %dx%d@%d/%d, %u AUs "
      "(%u IDR, %" G_GSIZE_FORMAT " bytes), %u %s frames, loop %"
      GST_TIME_FORMAT, what, (g_get_monotonic_time () - t0) / 1000,
      format->width, format->height, format->fps_n, format->fps_d,
      slate->video->len, idr, bytes, slate->audio->len,
      format->audio_codec ? format->audio_codec : "audio",
      GST_TIME_ARGS (slate->duration));

out:
  if (pipeline) {
    /* Stops the streaming threads: after this no callback sees @clip. */
    gst_element_set_state (pipeline, GST_STATE_NULL);
    gst_object_unref (pipeline);
  }
  if (vsink)
    gst_object_unref (vsink);
  if (asink)
    gst_object_unref (asink);
  if (clip.video_pad)
    gst_object_unref (clip.video_pad);
  g_mutex_clear (&clip.lock);
  if (slate == NULL)
    GST_WARNING ("%s failed after %" G_GINT64_FORMAT " ms: %s", what,
        (g_get_monotonic_time () - t0) / 1000,
        error && *error ? (*error)->message : "(error not kept)");
  g_free (what);
  return slate;
}

HfSlate *
hf_slate_ref (HfSlate * slate)
{
  g_return_val_if_fail (slate != NULL, NULL);

  g_atomic_int_inc (&slate->refcount);
  return slate;
}

void
hf_slate_unref (HfSlate * slate)
{
  g_return_if_fail (slate != NULL);

  if (!g_atomic_int_dec_and_test (&slate->refcount))
    return;
  g_ptr_array_unref (slate->video);
  g_ptr_array_unref (slate->audio);
  if (slate->video_caps)
    gst_caps_unref (slate->video_caps);
  if (slate->audio_caps)
    gst_caps_unref (slate->audio_caps);
  g_free (slate);
}
