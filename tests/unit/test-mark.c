/* Unit tests of the picture marks (failover/hf-mark.c): a mark drawn at any
 * size reads back exactly, over any picture, and only its rectangle is
 * touched (never the top-left corner the slate tests sample); a damaged or
 * absent mark reads as none; marks survive a real x264enc -> avdec_h264
 * round trip at the bitrates of a live stream; the builtin slate's frames
 * carry SLATE marks numbered through the loop.
 *
 * Single-threaded test code; the encode round trips run a GStreamer
 * pipeline to EOS (its streaming threads draw the marks) and read the
 * decoded frames afterwards.  No sleeping: the bus is waited on.
 */
#include <string.h>
#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

#include "failover/hf-failover.h"
#include "failover/hf-mark.h"

/* fontconfig (the slate's textoverlay) loses a little memory once per
 * process; see tests/unit/test-slate.c. */
const char *__lsan_default_suppressions (void);
const char *
__lsan_default_suppressions (void)
{
  return "leak:FcInitLoadConfigAndFonts\n";
}

/* A plane of @width x @height with @stride bytes per row, filled with
 * pseudo-random bytes from @seed (0: mid grey). */
static guint8 *
hf_test_plane (gint width, gint height, gint stride, guint32 seed)
{
  guint8 *p = g_malloc ((gsize) stride * height);
  GRand *rand;
  gsize i;

  if (seed == 0) {
    memset (p, 128, (gsize) stride * height);
    return p;
  }
  rand = g_rand_new_with_seed (seed);
  for (i = 0; i < (gsize) stride * height; i++)
    p[i] = g_rand_int (rand);
  g_rand_free (rand);
  return p;
}

GST_START_TEST (test_round_trip_at_many_sizes)
{
  static const gint sizes[][2] = {
    {168, 40}, {320, 240}, {352, 288}, {640, 360}, {854, 480}, {1280, 720},
    {1920, 1080}, {3840, 2160}, {7680, 4320}
  };
  static const HfMark marks[] = {
    {HF_MARK_LIVE, 0, 0, 0}, {HF_MARK_LIVE, 1, 123456789, 1},
    {HF_MARK_SLATE, 59, 0, 0}, {HF_MARK_LIVE, G_MAXUINT32, G_MAXUINT32, 255},
    {HF_MARK_SLATE, 0x5a5a5a5a, 0xa5a5a5a5, 0x5a}
  };
  guint i, k;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++) {
    gint w = sizes[i][0], h = sizes[i][1];

    for (k = 0; k < G_N_ELEMENTS (marks); k++) {
      /* Padded rows, as decoders give them; a noisy picture under it. */
      gint stride = GST_ROUND_UP_32 (w) + 64;
      guint8 *p = hf_test_plane (w, h, stride, i * 16 + k + 1);
      HfMark out;

      fail_unless (hf_mark_draw (p, stride, w, h, &marks[k]), "%dx%d", w, h);
      fail_unless (hf_mark_read (p, stride, w, h, &out), "%dx%d mark %u",
          w, h, k);
      fail_unless_equals_int (out.kind, marks[k].kind);
      fail_unless_equals_uint64 (out.counter,
          marks[k].counter & HF_MARK_COUNTER_MASK);
      fail_unless_equals_uint64 (out.clock_ms, marks[k].clock_ms);
      fail_unless_equals_int (out.source, marks[k].source);
      g_free (p);
    }
  }
}

GST_END_TEST;

GST_START_TEST (test_geometry_follows_the_width)
{
  gint x, y, cell;

  fail_unless_equals_int (hf_mark_cell_size (320), 4);
  fail_unless_equals_int (hf_mark_cell_size (640), 8);
  fail_unless_equals_int (hf_mark_cell_size (1280), 16);
  fail_unless_equals_int (hf_mark_cell_size (1920), 24);
  fail_unless_equals_int (hf_mark_cell_size (16), 4);

  /* Bottom left, a cell from the edges, on the 4-pixel grid. */
  fail_unless (hf_mark_geometry (1920, 1080, &x, &y, &cell));
  fail_unless_equals_int (x, 24);
  fail_unless_equals_int (y, 1080 - 5 * 24);
  fail_unless (hf_mark_geometry (320, 240, &x, &y, &cell));
  fail_unless_equals_int (cell, 4);
  fail_unless_equals_int (y, 220);
  fail_unless (hf_mark_geometry (1280, 720, NULL, &y, NULL));
  fail_unless_equals_int (y % 4, 0);
}

GST_END_TEST;

GST_START_TEST (test_only_the_mark_rectangle_is_touched)
{
  static const gint sizes[][2] = { {320, 240}, {640, 360}, {1920, 1080} };
  HfMark m = { HF_MARK_LIVE, 42, 4242 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++) {
    gint w = sizes[i][0], h = sizes[i][1], stride = w + 16, x0, y0, cell;
    guint8 *p = hf_test_plane (w, h, stride, 0);
    guint touched = 0;
    gint x, y;

    fail_unless (hf_mark_geometry (w, h, &x0, &y0, &cell));
    fail_unless (hf_mark_draw (p, stride, w, h, &m));
    /* Counted, then checked once: a Check assertion per pixel is slow. */
    for (y = 0; y < h; y++)
      for (x = 0; x < stride; x++) {
        gboolean inside = x >= x0 && x < x0 + HF_MARK_COLUMNS * cell
            && y >= y0 && y < y0 + HF_MARK_ROWS * cell;

        if (!inside && p[y * stride + x] != 128)
          touched++;
      }
    fail_unless_equals_int (touched, 0);
    /* The top-left corner tests sample, and the label's top half. */
    fail_unless (y0 >= h / 2);
    g_free (p);
  }
}

GST_END_TEST;

GST_START_TEST (test_too_small_picture_has_no_mark)
{
  HfMark m = { HF_MARK_LIVE, 1, 2 }, out;
  guint8 *p = hf_test_plane (160, 120, 160, 0);

  /* 41 cells of 4 pixels do not fit in 160. */
  fail_if (hf_mark_draw (p, 160, 160, 120, &m));
  fail_if (hf_mark_read (p, 160, 160, 120, &out));
  fail_unless_equals_int (out.kind, HF_MARK_NONE);
  /* Nor in 36 rows at 320 wide (the top 16 stay free). */
  fail_if (hf_mark_geometry (320, 35, NULL, NULL, NULL));
  /* A stride shorter than a row is refused, not overrun. */
  fail_if (hf_mark_read (p, 100, 160, 120, &out));
  fail_if (hf_mark_read (NULL, 320, 320, 240, &out));
  g_free (p);
}

GST_END_TEST;

/* The top-left pixel of the first (@second FALSE) or second cell of @bit. */
static guint8 *
hf_test_cell (guint8 * p, gint stride, gint w, gint h, gint bit,
    gboolean second, gint * cell)
{
  gint x0, y0, x, y;

  fail_unless (hf_mark_geometry (w, h, &x0, &y0, cell));
  x = x0 + (2 * (bit % (HF_MARK_COLUMNS / 2)) + (second ? 1 : 0)) * *cell;
  y = y0 + (bit / (HF_MARK_COLUMNS / 2)) * *cell;
  return p + y * (gsize) stride + x;
}

/* Overwrites one cell of the mark with @value. */
static void
hf_test_paint_cell (guint8 * p, gint stride, gint w, gint h, gint bit,
    gboolean second, guint8 value)
{
  gint cell, row;
  guint8 *q = hf_test_cell (p, stride, w, h, bit, second, &cell);

  for (row = 0; row < cell; row++)
    memset (q + (gsize) row * stride, value, cell);
}

GST_START_TEST (test_damaged_mark_reads_as_none)
{
  HfMark m = { HF_MARK_SLATE, 7, 77 }, out;
  gint w = 640, h = 360, bit;

  /* Any one bit flipped (both its cells swapped): the CRC or the magic
   * refuses it. */
  for (bit = 0; bit < HF_MARK_BITS; bit++) {
    guint8 *p = hf_test_plane (w, h, w, 0);
    HfMark copy;

    gint cell;
    guint8 a, b;

    fail_unless (hf_mark_draw (p, w, w, h, &m));
    fail_unless (hf_mark_read (p, w, w, h, &copy));
    a = *hf_test_cell (p, w, w, h, bit, FALSE, &cell);
    b = *hf_test_cell (p, w, w, h, bit, TRUE, &cell);
    fail_unless (a != b);
    hf_test_paint_cell (p, w, w, h, bit, FALSE, b);
    hf_test_paint_cell (p, w, w, h, bit, TRUE, a);
    fail_if (hf_mark_read (p, w, w, h, &out), "bit %d flipped reads", bit);
    fail_unless_equals_int (out.kind, HF_MARK_NONE);
    fail_unless_equals_int (out.counter, 0);
    g_free (p);
  }

  /* One bit washed out (its cells 40 levels apart): too little contrast
   * to trust, whatever the other 79 say. */
  {
    guint8 *p = hf_test_plane (w, h, w, 0);

    fail_unless (hf_mark_draw (p, w, w, h, &m));
    hf_test_paint_cell (p, w, w, h, 45, FALSE, 108);
    hf_test_paint_cell (p, w, w, h, 45, TRUE, 148);
    fail_if (hf_mark_read (p, w, w, h, &out));
    g_free (p);
  }
}

GST_END_TEST;

/* No picture without a mark reads as one: noise, flat, stripes. */
GST_START_TEST (test_pictures_without_a_mark_read_as_none)
{
  gint w = 320, h = 240, i, x, y;
  HfMark out;

  for (i = 1; i <= 2000; i++) {
    guint8 *p = hf_test_plane (w, h, w, i);

    fail_if (hf_mark_read (p, w, w, h, &out), "noise %d reads as a mark", i);
    g_free (p);
  }
  for (i = 0; i < 256; i += 15) {
    guint8 *p = g_malloc (w * h);

    memset (p, i, w * h);
    fail_if (hf_mark_read (p, w, w, h, &out));
    /* Vertical stripes one cell wide: contrast everywhere, a constant
     * pattern of bits. */
    for (y = 0; y < h; y++)
      for (x = 0; x < w; x++)
        p[y * w + x] = (x / 4) % 2 ? 16 : 235;
    fail_if (hf_mark_read (p, w, w, h, &out));
    g_free (p);
  }
}

GST_END_TEST;

GST_START_TEST (test_clock_difference_wraps)
{
  fail_unless_equals_int (hf_mark_clock_diff (1000, 900), 100);
  fail_unless_equals_int (hf_mark_clock_diff (40, G_MAXUINT32 - 9), 50);
  fail_unless_equals_int (hf_mark_clock_diff (900, 1000), -100);
  fail_unless_equals_string (hf_mark_kind_to_string (HF_MARK_LIVE), "live");
  fail_unless_equals_string (hf_mark_kind_to_string (HF_MARK_SLATE), "slate");
  fail_unless_equals_string (hf_mark_kind_to_string (HF_MARK_NONE), "none");
  /* The clock is the monotonic one, in ms. */
  fail_unless (ABS (hf_mark_clock_diff (hf_mark_clock_now (),
              (guint32) (g_get_monotonic_time () / 1000))) <= 1);
}

GST_END_TEST;

/* ---- Through a real encoder ---------------------------------------------- */

#define HF_TEST_ENCODE_FRAMES 90
#define HF_TEST_CLOCK_BASE 3000000000u

/* Streaming thread of the test pipeline: the frame's mark, as hf-push
 * draws it (its number, and a clock made of it). */
static GstPadProbeReturn
hf_test_draw_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  guint *n = user_data;
  HfMark m = { HF_MARK_LIVE, *n, HF_TEST_CLOCK_BASE + *n * 33 };
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstVideoInfo vinfo;
  GstVideoFrame frame;

  GST_PAD_PROBE_INFO_DATA (info) = buf;
  (*n)++;
  if (caps != NULL && gst_video_info_from_caps (&vinfo, caps)
      && gst_video_frame_map (&frame, &vinfo, buf, GST_MAP_WRITE)) {
    hf_mark_draw (GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
        GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0),
        GST_VIDEO_FRAME_WIDTH (&frame), GST_VIDEO_FRAME_HEIGHT (&frame), &m);
    gst_video_frame_unmap (&frame);
  }
  if (caps != NULL)
    gst_caps_unref (caps);
  return GST_PAD_PROBE_OK;
}

/* Runs @pipeline to EOS (at most 60 s) and reads the mark of every frame
 * its appsink "sink" got, in order: how many read back exactly as drawn
 * (frame i: counter i). */
static guint
hf_test_read_decoded (GstElement * pipeline, HfMarkKind kind, guint * n_frames)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstSample *sample;
  GstMessage *msg;
  guint good = 0, i = 0;

  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
      "the pipeline did not run to EOS");
  gst_message_unref (msg);

  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 0))) {
    GstVideoInfo vinfo;
    GstVideoFrame frame;
    HfMark m;

    fail_unless (gst_video_info_from_caps (&vinfo,
            gst_sample_get_caps (sample)));
    fail_unless (gst_video_frame_map (&frame, &vinfo,
            gst_sample_get_buffer (sample), GST_MAP_READ));
    if (hf_mark_read (GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
            GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0),
            GST_VIDEO_FRAME_WIDTH (&frame), GST_VIDEO_FRAME_HEIGHT (&frame),
            &m)) {
      /* A mark that reads is right, always. */
      fail_unless_equals_int (m.kind, kind);
      fail_unless_equals_uint64 (m.counter, i);
      if (kind == HF_MARK_LIVE)
        fail_unless_equals_uint64 (m.clock_ms, HF_TEST_CLOCK_BASE + i * 33);
      good++;
    }
    gst_video_frame_unmap (&frame);
    gst_sample_unref (sample);
    i++;
  }
  *n_frames = i;
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (bus);
  return good;
}

/* Encodes HF_TEST_ENCODE_FRAMES marked frames of @pattern at @width x
 * @height with x264 (@preset, zerolatency, @kbps, a key frame a second)
 * and decodes them: every frame must come back with its mark. */
static void
hf_test_encode_round_trip (gint width, gint height, const gchar * pattern,
    const gchar * preset, guint kbps)
{
  GError *err = NULL;
  GstElement *pipeline, *filter;
  GstPad *pad;
  gchar *desc;
  guint drawn = 0, good, n;

  desc = g_strdup_printf ("videotestsrc num-buffers=%d pattern=%s ! "
      "capsfilter name=raw caps=video/x-raw,format=I420,width=%d,height=%d,"
      "framerate=30/1 ! x264enc speed-preset=%s tune=zerolatency "
      "bitrate=%u key-int-max=30 bframes=0 ! h264parse ! avdec_h264 ! "
      "appsink name=sink sync=false wait-on-eos=false",
      HF_TEST_ENCODE_FRAMES, pattern, width, height, preset, kbps);
  pipeline = gst_parse_launch (desc, &err);
  fail_unless (pipeline != NULL, "%s: %s", desc, err ? err->message : "?");
  filter = gst_bin_get_by_name (GST_BIN (pipeline), "raw");
  pad = gst_element_get_static_pad (filter, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, hf_test_draw_probe,
      &drawn, NULL);
  gst_object_unref (pad);
  gst_object_unref (filter);

  good = hf_test_read_decoded (pipeline, HF_MARK_LIVE, &n);
  GST_INFO ("%dx%d %s %s %u kbit/s: %u/%u marks", width, height, pattern,
      preset, kbps, good, n);
  fail_unless_equals_int (n, HF_TEST_ENCODE_FRAMES);
  fail_unless_equals_int (drawn, HF_TEST_ENCODE_FRAMES);
  fail_unless (good == n, "%dx%d %s %s at %u kbit/s: %u of %u marks read",
      width, height, pattern, preset, kbps, good, n);
  gst_object_unref (pipeline);
  g_free (desc);
}

GST_START_TEST (test_survives_x264_at_320x240)
{
  /* hf-push's picture, and a moving one, at a low bitrate for the size. */
  hf_test_encode_round_trip (320, 240, "smpte", "ultrafast", 300);
  hf_test_encode_round_trip (320, 240, "ball", "veryfast", 300);
}

GST_END_TEST;

GST_START_TEST (test_survives_x264_at_1280x720)
{
  hf_test_encode_round_trip (1280, 720, "smpte", "ultrafast", 1000);
  hf_test_encode_round_trip (1280, 720, "ball", "veryfast", 1000);
}

GST_END_TEST;

/* Noise spends every bit the encoder has: the worst case for the mark. */
GST_START_TEST (test_survives_x264_over_noise)
{
  hf_test_encode_round_trip (640, 360, "snow", "ultrafast", 2000);
}

GST_END_TEST;

/* The builtin slate: every frame of the loop carries a SLATE mark, counted
 * from 0, and decodes with it. */
GST_START_TEST (test_slate_frames_carry_slate_marks)
{
  HfSlateFormat f;
  GError *err = NULL;
  HfSlate *slate;
  GstElement *pipeline, *src;
  guint i, good, n;

  hf_slate_format_init (&f);
  f.width = 320;
  f.height = 240;
  f.fps_n = 25;
  f.fps_d = 1;
  f.audio_codec = NULL;
  slate = hf_slate_encode (&f, NULL, NULL, &err);
  fail_unless (slate != NULL, "%s", err ? err->message : "?");

  pipeline = gst_parse_launch ("appsrc name=src format=time ! h264parse ! "
      "avdec_h264 ! appsink name=sink sync=false wait-on-eos=false", &err);
  fail_unless (pipeline != NULL, "%s", err ? err->message : "?");
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  gst_app_src_set_caps (GST_APP_SRC (src), slate->video_caps);
  for (i = 0; i < slate->video->len; i++)
    fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (src),
            gst_buffer_ref (g_ptr_array_index (slate->video, i))), GST_FLOW_OK);
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  good = hf_test_read_decoded (pipeline, HF_MARK_SLATE, &n);
  fail_unless_equals_int (n, slate->video->len);
  fail_unless_equals_int (good, n);

  gst_object_unref (src);
  gst_object_unref (pipeline);
  hf_slate_unref (slate);
}

GST_END_TEST;

static Suite *
hf_mark_suite (void)
{
  Suite *s = suite_create ("hf-mark");
  TCase *tc = tcase_create ("mark");
  TCase *codec = tcase_create ("codec");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_round_trip_at_many_sizes);
  tcase_add_test (tc, test_geometry_follows_the_width);
  tcase_add_test (tc, test_only_the_mark_rectangle_is_touched);
  tcase_add_test (tc, test_too_small_picture_has_no_mark);
  tcase_add_test (tc, test_damaged_mark_reads_as_none);
  tcase_add_test (tc, test_pictures_without_a_mark_read_as_none);
  tcase_add_test (tc, test_clock_difference_wraps);

  /* Encoding takes seconds, more under the sanitizers. */
  suite_add_tcase (s, codec);
  tcase_set_timeout (codec, 120);
  tcase_add_test (codec, test_survives_x264_at_320x240);
  tcase_add_test (codec, test_survives_x264_at_1280x720);
  tcase_add_test (codec, test_survives_x264_over_noise);
  tcase_add_test (codec, test_slate_frames_carry_slate_marks);
  return s;
}

GST_CHECK_MAIN (hf_mark);
