/* Unit tests of the slate encoder (failover/hf-slate.c): the builtin slate
 * and an operator's clip come out in the requested live format, as a loop
 * the switch can play (IDR with SPS/PPS first, an IDR every second, exact
 * timestamps from 0, ADTS or Opus audio inside the loop), and decode to the
 * slate's colour; a missing or non-media clip is a clear error; the format
 * follows the live caps.
 *
 * Single-threaded test code; hf_slate_encode () runs its pipeline on
 * GStreamer's streaming threads and returns when done.  Small pictures keep
 * the whole run to a few seconds.
 */
#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>
#include <gst/app/gstappsink.h>

#include "failover/hf-failover.h"

/* The builtin slate's background (HF_SLATE_BUILTIN_RGB in hf-slate.c). */
#define HF_TEST_SLATE_R 0x10
#define HF_TEST_SLATE_G 0x20
#define HF_TEST_SLATE_B 0x40
/* 8-bit YUV 4:2:0 round trip and the encoder's quantisation. */
#define HF_TEST_COLOUR_TOLERANCE 12

/* LeakSanitizer, in the sanitizer build: fontconfig, which pango loads for
 * the builtin slate's textoverlay, loses 288 bytes while parsing its
 * configuration, once per process.  Not ours, and nothing to free; this
 * line belongs in tests/lsan.supp too, for every sanitized binary that
 * encodes the builtin slate (the relay in the e2e pass). */
const char *__lsan_default_suppressions (void);
const char *
__lsan_default_suppressions (void)
{
  return "leak:FcInitLoadConfigAndFonts\n";
}

static void
hf_test_format (HfSlateFormat * f, gint width, gint height, gint fps,
    const gchar * codec, gint rate, gint channels)
{
  hf_slate_format_init (f);
  f->width = width;
  f->height = height;
  f->fps_n = fps;
  f->fps_d = 1;
  f->audio_codec = codec ? g_intern_string (codec) : NULL;
  f->audio_rate = rate;
  f->audio_channels = channels;
}

/* Bit mask of the NAL unit types (1 << type) in a byte-stream AU. */
static guint32
hf_test_nal_types (GstBuffer * buf)
{
  GstMapInfo map;
  guint32 types = 0;
  gsize i;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  for (i = 0; i + 3 < map.size; i++)
    if (map.data[i] == 0 && map.data[i + 1] == 0 && map.data[i + 2] == 1)
      types |= 1u << (map.data[i + 3] & 0x1f);
  gst_buffer_unmap (buf, &map);
  return types;
}

/* What every slate's video must be, whatever its source. */
static void
hf_test_check_video (const HfSlate * slate, const HfSlateFormat * f)
{
  const GstStructure *s;
  GstClockTime sum = 0;
  gint v, n, d;
  guint i, since_idr = 0;

  fail_unless (slate->video_caps != NULL);
  s = gst_caps_get_structure (slate->video_caps, 0);
  fail_unless (gst_structure_has_name (s, "video/x-h264"));
  fail_unless_equals_string (gst_structure_get_string (s, "stream-format"),
      "byte-stream");
  fail_unless_equals_string (gst_structure_get_string (s, "alignment"), "au");
  fail_unless (gst_structure_get_int (s, "width", &v));
  fail_unless_equals_int (v, f->width);
  fail_unless (gst_structure_get_int (s, "height", &v));
  fail_unless_equals_int (v, f->height);
  fail_unless (gst_structure_get_fraction (s, "framerate", &n, &d));
  fail_unless_equals_int (n * f->fps_d, f->fps_n * d);
  fail_unless (hf_slate_format_equal (&slate->format, f));

  fail_unless (slate->video->len > 0);
  for (i = 0; i < slate->video->len; i++) {
    GstBuffer *buf = g_ptr_array_index (slate->video, i);
    gboolean idr = !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);

    fail_unless (i > 0 || idr, "the first AU is a delta unit");
    if (idr) {
      guint32 types = hf_test_nal_types (buf);

      fail_unless ((types & (1 << 5)) != 0, "AU %u: keyframe without IDR", i);
      fail_unless ((types & (1 << 7)) != 0, "AU %u: IDR without SPS", i);
      fail_unless ((types & (1 << 8)) != 0, "AU %u: IDR without PPS", i);
      since_idr = 0;
    }
    since_idr++;
    fail_unless (since_idr <= (guint) (f->fps_n / f->fps_d),
        "AU %u: more than a second since the last IDR", i);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), sum);
    fail_unless_equals_uint64 (GST_BUFFER_DTS (buf), GST_BUFFER_PTS (buf));
    fail_unless (GST_BUFFER_DURATION_IS_VALID (buf));
    sum += GST_BUFFER_DURATION (buf);
  }
  fail_unless_equals_uint64 (sum, slate->duration);
}

/* Audio of @codec in the loop: contiguous from 0, every frame starting
 * inside it, and no more than a frame short of its end. */
static void
hf_test_check_audio (const HfSlate * slate, const gchar * codec, gint rate,
    gint channels)
{
  const GstStructure *s;
  GstClockTime next = 0;
  gint v;
  guint i;

  fail_unless (slate->audio_caps != NULL);
  s = gst_caps_get_structure (slate->audio_caps, 0);
  fail_unless (gst_structure_has_name (s, codec));
  fail_unless (gst_structure_get_int (s, "rate", &v));
  fail_unless_equals_int (v, rate);
  fail_unless (gst_structure_get_int (s, "channels", &v));
  fail_unless_equals_int (v, channels);
  if (strcmp (codec, "audio/mpeg") == 0) {
    fail_unless (gst_structure_get_int (s, "mpegversion", &v));
    fail_unless_equals_int (v, 4);
    fail_unless_equals_string (gst_structure_get_string (s, "stream-format"),
        "adts");
  }

  fail_unless (slate->audio->len > 0);
  for (i = 0; i < slate->audio->len; i++) {
    GstBuffer *buf = g_ptr_array_index (slate->audio, i);

    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), next);
    fail_unless (GST_BUFFER_PTS (buf) < slate->duration);
    fail_unless (GST_BUFFER_DURATION_IS_VALID (buf)
        && GST_BUFFER_DURATION (buf) > 0);
    if (strcmp (codec, "audio/mpeg") == 0) {
      guint8 h[2];

      fail_unless_equals_int (gst_buffer_extract (buf, 0, h, 2), 2);
      fail_unless (h[0] == 0xff && (h[1] & 0xf0) == 0xf0,
          "audio frame %u is not ADTS", i);
    }
    next += GST_BUFFER_DURATION (buf);
  }
  fail_unless (next >= slate->duration, "audio ends %" GST_TIME_FORMAT
      " before the loop", GST_TIME_ARGS (slate->duration - next));
}

/* Runs a gst-launch line to EOS, at most 10 s. */
static void
hf_test_run (const gchar * description)
{
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (description, &err);
  GstBus *bus;
  GstMessage *msg;

  fail_unless (pipeline != NULL, "%s: %s", description,
      err ? err->message : "?");
  bus = gst_element_get_bus (pipeline);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
      "%s did not run to EOS", description);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

/* A file in a fresh temporary folder; hf_test_remove () cleans up. */
static gchar *
hf_test_temp_path (const gchar * name)
{
  GError *err = NULL;
  gchar *dir = g_dir_make_tmp ("hf-slate-XXXXXX", &err);
  gchar *path;

  fail_unless (dir != NULL, "%s", err ? err->message : "?");
  path = g_build_filename (dir, name, NULL);
  g_free (dir);
  return path;
}

static void
hf_test_remove (gchar * path)
{
  gchar *dir = g_path_get_dirname (path);

  g_unlink (path);
  g_rmdir (dir);
  g_free (dir);
  g_free (path);
}

GST_START_TEST (test_builtin_slate_matches_requested_format)
{
  HfSlateFormat f;
  GError *err = NULL;
  HfSlate *slate;

  hf_test_format (&f, 320, 240, 25, "audio/mpeg", 44100, 2);
  slate = hf_slate_encode (&f, NULL, NULL, &err);
  fail_unless (slate != NULL, "%s", err ? err->message : "?");
  hf_test_check_video (slate, &f);
  /* Two GOPs of 25 frames: two seconds. */
  fail_unless_equals_int (slate->video->len, 50);
  fail_unless_equals_uint64 (slate->duration, 2 * GST_SECOND);
  hf_test_check_audio (slate, "audio/mpeg", 44100, 2);

  /* Shared: a reference keeps it alive after its first owner lets go. */
  fail_unless (hf_slate_ref (slate) == slate);
  hf_slate_unref (slate);
  fail_unless_equals_int (slate->video->len, 50);
  hf_slate_unref (slate);
}

GST_END_TEST;

GST_START_TEST (test_builtin_slate_with_opus)
{
  HfSlateFormat f;
  GError *err = NULL;
  HfSlate *slate;

  hf_test_format (&f, 256, 144, 30, "audio/x-opus", 48000, 1);
  slate = hf_slate_encode (&f, NULL, NULL, &err);
  fail_unless (slate != NULL, "%s", err ? err->message : "?");
  hf_test_check_video (slate, &f);
  fail_unless_equals_uint64 (slate->duration, 2 * GST_SECOND);
  hf_test_check_audio (slate, "audio/x-opus", 48000, 1);
  hf_slate_unref (slate);
}

GST_END_TEST;

GST_START_TEST (test_builtin_slate_without_audio)
{
  HfSlateFormat f;
  GError *err = NULL;
  HfSlate *slate;

  /* 29.97: the frame grid is not a whole number of nanoseconds, and a
   * second is not a whole number of frames (GOPs of 29). */
  hf_test_format (&f, 320, 180, 30000, NULL, 0, 0);
  f.fps_d = 1001;
  slate = hf_slate_encode (&f, NULL, NULL, &err);
  fail_unless (slate != NULL, "%s", err ? err->message : "?");
  hf_test_check_video (slate, &f);
  fail_unless_equals_int (slate->video->len, 58);
  fail_unless (slate->audio != NULL);
  fail_unless_equals_int (slate->audio->len, 0);
  fail_unless (slate->audio_caps == NULL);
  hf_slate_unref (slate);
}

GST_END_TEST;

GST_START_TEST (test_clip_is_scaled_and_reencoded)
{
  gchar *path = hf_test_temp_path ("clip.mp4");
  gchar *launch;
  HfSlateFormat f;
  GError *err = NULL;
  HfSlate *slate;

  /* Two seconds at 15 fps, 44.1 kHz mono: every property differs from the
   * format asked for. */
  launch = g_strdup_printf ("videotestsrc num-buffers=30 ! "
      "video/x-raw,width=192,height=108,framerate=15/1 ! x264enc "
      "speed-preset=ultrafast ! mp4mux name=mux ! filesink location=\"%s\" "
      "audiotestsrc num-buffers=86 samplesperbuffer=1024 ! "
      "audio/x-raw,rate=44100,channels=1 ! avenc_aac ! mux.", path);
  hf_test_run (launch);
  g_free (launch);

  hf_test_format (&f, 320, 240, 25, "audio/mpeg", 48000, 2);
  slate = hf_slate_encode (&f, path, NULL, &err);
  fail_unless (slate != NULL, "%s", err ? err->message : "?");
  hf_test_check_video (slate, &f);
  /* 2 s at 25 fps, give or take videorate's last frame. */
  fail_unless (slate->video->len >= 49 && slate->video->len <= 51,
      "%u frames", slate->video->len);
  hf_test_check_audio (slate, "audio/mpeg", 48000, 2);
  hf_slate_unref (slate);
  hf_test_remove (path);
}

GST_END_TEST;

GST_START_TEST (test_clip_without_audio_gets_silence)
{
  gchar *path = hf_test_temp_path ("clip.ts");
  gchar *launch;
  HfSlateFormat f;
  GError *err = NULL;
  HfSlate *slate;

  launch = g_strdup_printf ("videotestsrc num-buffers=25 ! "
      "video/x-raw,width=160,height=120,framerate=25/1 ! x264enc "
      "speed-preset=ultrafast key-int-max=25 ! h264parse ! mpegtsmux ! "
      "filesink location=\"%s\"", path);
  hf_test_run (launch);
  g_free (launch);

  hf_test_format (&f, 256, 144, 25, "audio/x-opus", 48000, 2);
  slate = hf_slate_encode (&f, path, NULL, &err);
  fail_unless (slate != NULL, "%s", err ? err->message : "?");
  hf_test_check_video (slate, &f);
  fail_unless (slate->video->len >= 24 && slate->video->len <= 26,
      "%u frames", slate->video->len);
  hf_test_check_audio (slate, "audio/x-opus", 48000, 2);
  hf_slate_unref (slate);
  hf_test_remove (path);
}

GST_END_TEST;

GST_START_TEST (test_missing_clip_is_a_clear_error)
{
  const gchar *missing = "/nonexistent/holdfast/slate.mp4";
  gchar *junk = hf_test_temp_path ("notes.mp4");
  HfSlateFormat f;
  GError *err = NULL;

  hf_test_format (&f, 320, 240, 25, "audio/mpeg", 48000, 2);
  fail_unless (hf_slate_encode (&f, missing, NULL, &err) == NULL);
  fail_unless (err != NULL);
  fail_unless (strstr (err->message, missing) != NULL, "%s", err->message);
  g_clear_error (&err);

  /* A file that is there but is not media. */
  fail_unless (g_file_set_contents (junk, "these are not the frames you "
          "are looking for\n", -1, NULL));
  fail_unless (hf_slate_encode (&f, junk, NULL, &err) == NULL);
  fail_unless (err != NULL);
  fail_unless (strstr (err->message, junk) != NULL, "%s", err->message);
  g_clear_error (&err);
  hf_test_remove (junk);
}

GST_END_TEST;

GST_START_TEST (test_unencodable_format_is_refused)
{
  HfSlateFormat f;
  GError *err = NULL;

  hf_test_format (&f, 321, 240, 25, NULL, 0, 0);
  fail_unless (hf_slate_encode (&f, NULL, NULL, &err) == NULL);
  fail_unless (err != NULL && strstr (err->message, "321x240") != NULL);
  g_clear_error (&err);

  hf_test_format (&f, 320, 240, 25, "audio/x-opus", 44100, 2);
  fail_unless (hf_slate_encode (&f, NULL, NULL, &err) == NULL);
  fail_unless (err != NULL && strstr (err->message, "44100") != NULL);
  g_clear_error (&err);
}

GST_END_TEST;

GST_START_TEST (test_slate_frames_decode)
{
  HfSlateFormat f;
  GError *err = NULL;
  HfSlate *slate;
  GstElement *pipeline, *src, *sink;
  GstSample *sample;
  GstVideoInfo info;
  GstVideoFrame frame;
  const guint8 *p;
  guint i, x, y, stride, white = 0;

  hf_test_format (&f, 320, 240, 25, NULL, 0, 0);
  slate = hf_slate_encode (&f, NULL, NULL, &err);
  fail_unless (slate != NULL, "%s", err ? err->message : "?");

  pipeline = gst_parse_launch ("appsrc name=src format=time ! avdec_h264 ! "
      "videoconvert ! video/x-raw,format=RGB ! appsink name=sink sync=false",
      &err);
  fail_unless (pipeline != NULL, "%s", err ? err->message : "?");
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gst_app_src_set_caps (GST_APP_SRC (src), slate->video_caps);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  /* The first GOP is enough. */
  for (i = 0; i < (guint) f.fps_n; i++)
    fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (src),
            gst_buffer_ref (g_ptr_array_index (slate->video, i))), GST_FLOW_OK);
  gst_app_src_end_of_stream (GST_APP_SRC (src));

  sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 10 * GST_SECOND);
  fail_unless (sample != NULL, "nothing decoded");
  fail_unless (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&info), 320);
  fail_unless (gst_video_frame_map (&frame, &info,
          gst_sample_get_buffer (sample), GST_MAP_READ));
  p = GST_VIDEO_FRAME_PLANE_DATA (&frame, 0);
  stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
  fail_unless (ABS (p[0] - HF_TEST_SLATE_R) <= HF_TEST_COLOUR_TOLERANCE
      && ABS (p[1] - HF_TEST_SLATE_G) <= HF_TEST_COLOUR_TOLERANCE
      && ABS (p[2] - HF_TEST_SLATE_B) <= HF_TEST_COLOUR_TOLERANCE,
      "top-left pixel is %02x%02x%02x, not the slate's %02x%02x%02x",
      p[0], p[1], p[2], HF_TEST_SLATE_R, HF_TEST_SLATE_G, HF_TEST_SLATE_B);
  /* The sentence: white pixels across the middle of the picture. */
  for (y = 110; y < 130; y++)
    for (x = 0; x < 320; x++) {
      const guint8 *q = p + y * stride + 3 * x;

      if (q[0] > 200 && q[1] > 200 && q[2] > 200)
        white++;
    }
  fail_unless (white > 100, "only %u white pixels in the middle", white);
  gst_video_frame_unmap (&frame);
  gst_sample_unref (sample);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  hf_slate_unref (slate);
}

GST_END_TEST;

GST_START_TEST (test_format_update_from_caps)
{
  HfSlateFormat f, before;
  GstCaps *video, *audio;

  hf_slate_format_init (&f);
  fail_unless_equals_int (f.width, 1280);
  fail_unless_equals_int (f.height, 720);
  fail_unless_equals_int (f.fps_n * 1, 30 * f.fps_d);
  fail_unless (f.audio_codec == g_intern_string ("audio/mpeg"));
  fail_unless_equals_int (f.audio_rate, 48000);
  fail_unless_equals_int (f.audio_channels, 2);

  video = gst_caps_from_string ("video/x-h264,stream-format=byte-stream,"
      "alignment=au,width=640,height=360,framerate=25/1");
  audio = gst_caps_from_string ("audio/mpeg,mpegversion=4,"
      "stream-format=adts,rate=44100,channels=1");
  fail_unless (hf_slate_format_update (&f, video, audio));
  fail_unless_equals_int (f.width, 640);
  fail_unless_equals_int (f.height, 360);
  fail_unless_equals_int (f.fps_n, 25);
  fail_unless_equals_int (f.fps_d, 1);
  fail_unless (f.audio_codec == g_intern_string ("audio/mpeg"));
  fail_unless_equals_int (f.audio_rate, 44100);
  fail_unless_equals_int (f.audio_channels, 1);
  /* The same caps again: nothing changes. */
  fail_unless (!hf_slate_format_update (&f, video, audio));
  gst_caps_unref (video);
  gst_caps_unref (audio);

  /* An unknown frame rate keeps the old one; no audio caps keeps the
   * audio. */
  video = gst_caps_from_string ("video/x-h264,width=1920,height=1080,"
      "framerate=0/1");
  fail_unless (hf_slate_format_update (&f, video, NULL));
  fail_unless_equals_int (f.width, 1920);
  fail_unless_equals_int (f.fps_n, 25);
  fail_unless (f.audio_codec == g_intern_string ("audio/mpeg"));
  gst_caps_unref (video);

  audio = gst_caps_from_string ("audio/x-opus,rate=48000,channels=2,"
      "channel-mapping-family=0");
  fail_unless (hf_slate_format_update (&f, NULL, audio));
  fail_unless (f.audio_codec == g_intern_string ("audio/x-opus"));
  fail_unless_equals_int (f.audio_rate, 48000);
  fail_unless_equals_int (f.audio_channels, 2);
  gst_caps_unref (audio);

  /* MP3 cannot be matched: the audio stays as it was. */
  before = f;
  audio = gst_caps_from_string ("audio/mpeg,mpegversion=1,layer=3,"
      "rate=32000,channels=1");
  fail_unless (!hf_slate_format_update (&f, NULL, audio));
  fail_unless (f.audio_codec == g_intern_string ("audio/x-opus"));
  fail_unless (hf_slate_format_equal (&f, &before));
  gst_caps_unref (audio);

  /* Equal compares rates, not fractions; without audio, the stale audio
   * fields do not matter. */
  before = f;
  f.fps_n = 50;
  f.fps_d = 2;
  fail_unless (hf_slate_format_equal (&f, &before));
  f.audio_codec = NULL;
  before.audio_codec = NULL;
  f.audio_rate = 8000;
  fail_unless (hf_slate_format_equal (&f, &before));
  f.height = 1088;
  fail_unless (!hf_slate_format_equal (&f, &before));
}

GST_END_TEST;

static Suite *
hf_slate_suite (void)
{
  Suite *s = suite_create ("hf-slate");
  TCase *tc = tcase_create ("slate");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_builtin_slate_matches_requested_format);
  tcase_add_test (tc, test_builtin_slate_with_opus);
  tcase_add_test (tc, test_builtin_slate_without_audio);
  tcase_add_test (tc, test_clip_is_scaled_and_reencoded);
  tcase_add_test (tc, test_clip_without_audio_gets_silence);
  tcase_add_test (tc, test_missing_clip_is_a_clear_error);
  tcase_add_test (tc, test_unencodable_format_is_refused);
  tcase_add_test (tc, test_slate_frames_decode);
  tcase_add_test (tc, test_format_update_from_caps);
  return s;
}

GST_CHECK_MAIN (hf_slate);
