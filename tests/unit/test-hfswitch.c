/* GstHarness tests of the "hfswitch" element (failover/gsthfswitch.c): the
 * switch as a pipeline sees it, its clock the harness's GstTestClock.
 *
 * Two harnesses share one element: h[0] feeds video_0 (the primary) and
 * collects video_src (the program), h[1] feeds video_1 (the backup).  The
 * element ticks on a single-shot clock id every tick-ms; each step of a
 * test cranks that id (the clock jumps to the tick), waits until the tick
 * has run (the element has registered its next id), then pushes the
 * frames of every live input that are due by then and collects what came
 * out, stamped with the clock time.
 *
 * Inputs send real Annex-B access units at 30 fps: a keyframe is SPS (NAL
 * 7), PPS (8), IDR slice (5); a delta frame a non-IDR slice (1).  Each
 * slice carries a tag after its NAL header: input, session, frame number,
 * bytes with the top bit set (never a start code).  A checker on every
 * output buffer asserts: DTS strictly increasing; NAL types matching the
 * buffer's flags; the first buffer after every take (DISCONT, another
 * input or session) a keyframe with its parameter sets; a delta frame
 * always right after its predecessor.
 *
 * Threads: the test's thread pushes (so chain () runs on it); the
 * element's tick task runs on its own thread, in lock-step with the test
 * through the test clock.
 */
#include <gst/check/gstcheck.h>

#include "hf-test-seeds.h"
#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>

#include <string.h>

#include "failover/hf-failover.h"

#define HF_TEST_FPS 30
#define HF_TEST_FRAME (GST_SECOND / HF_TEST_FPS)
#define HF_TEST_TICK_MS 10
#define HF_TEST_SLATE_TAG 0x7f
#define HF_TEST_MS(ms) ((GstClockTime) (ms) * GST_MSECOND)
#define HF_TEST_CAPS "video/x-h264, stream-format=byte-stream, alignment=au"

typedef struct
{
  gboolean up;
  guint epoch;
  guint gop;                    /* frames from keyframe to keyframe */
  guint kf_shift;               /* frame f is a keyframe when
                                 * (f + kf_shift) % gop == 0 */
  GstClockTime origin;          /* clock time frame 0 is due */
  GstClockTime base_rt;         /* its running time */
  guint64 next;                 /* next frame */
} HfTestPusher;

typedef struct
{
  guint tag, epoch;
  guint64 frame;
  GstClockTime dts, at;         /* at: clock time it came out */
  gboolean keyframe, discont;
} HfTestOut;

typedef struct
{
  GstElement *element;
  GstHarness *h[2];
  GstTestClock *clock;
  HfTestPusher src[2];
  GArray *outs;                 /* (element-type HfTestOut) */
  gboolean keep;
  guint takes;                  /* runs seen in the output */
  guint64 n_out;
  gboolean have;
  HfTestOut last;
  gchar *violation;
} HfTestBed;

static void G_GNUC_PRINTF (2, 3)
hf_test_violation (HfTestBed * bed, const gchar * format, ...)
{
  va_list args;
  gchar *msg;

  if (bed->violation)
    return;
  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  bed->violation = g_strdup_printf ("at clock %" GST_TIME_FORMAT ": %s",
      GST_TIME_ARGS (gst_clock_get_time (GST_CLOCK (bed->clock))), msg);
  g_free (msg);
}

/* ---- Annex-B access units ------------------------------------------------ */

static const guint8 hf_test_sps[] = { 0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f,
  0xd9, 0x00, 0x78, 0x02, 0x27, 0xe5, 0x84
};

static const guint8 hf_test_pps[] = { 0, 0, 0, 1, 0x68, 0xcb, 0x83, 0xcb,
  0x20
};

static GstBuffer *
hf_test_au (guint tag, guint epoch, guint64 frame, gboolean keyframe)
{
  guint8 slice[] = { 0, 0, 0, 1, keyframe ? 0x65 : 0x41, 0x88,
    0x80 | tag, 0x80 | (epoch & 0x7f), 0x80 | ((frame >> 21) & 0x7f),
    0x80 | ((frame >> 14) & 0x7f), 0x80 | ((frame >> 7) & 0x7f),
    0x80 | (frame & 0x7f)
  };
  GByteArray *au = g_byte_array_new ();
  GstBuffer *buf;
  gsize size;

  if (keyframe) {
    g_byte_array_append (au, hf_test_sps, sizeof (hf_test_sps));
    g_byte_array_append (au, hf_test_pps, sizeof (hf_test_pps));
  }
  g_byte_array_append (au, slice, sizeof (slice));
  size = au->len;
  buf = gst_buffer_new_wrapped (g_byte_array_free (au, FALSE), size);
  if (!keyframe)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  GST_BUFFER_DURATION (buf) = HF_TEST_FRAME;
  return buf;
}

/* The NAL unit types of @buf in order (at most @max), and the tag of its
 * slice.  Returns the number of NAL units. */
static guint
hf_test_parse_au (GstBuffer * buf, guint * types, guint max, HfTestOut * o)
{
  GstMapInfo map;
  guint n = 0;
  gsize i;

  gst_buffer_map (buf, &map, GST_MAP_READ);
  for (i = 0; i + 3 < map.size; i++) {
    guint type;

    if (map.data[i] != 0 || map.data[i + 1] != 0 || map.data[i + 2] != 1)
      continue;
    type = map.data[i + 3] & 0x1f;
    if (n < max)
      types[n] = type;
    n++;
    if ((type == 1 || type == 5) && i + 10 < map.size) {
      const guint8 *p = map.data + i + 5;

      o->tag = p[0] & 0x7f;
      o->epoch = p[1] & 0x7f;
      o->frame = ((guint64) (p[2] & 0x7f) << 21) | ((p[3] & 0x7f) << 14) |
          ((p[4] & 0x7f) << 7) | (p[5] & 0x7f);
    }
    i += 3;
  }
  gst_buffer_unmap (buf, &map);
  return n;
}

/* A hand-made slate loop of @n_frames at 30 fps: an IDR (SPS, PPS, IDR),
 * then deltas. */
static HfSlate *
hf_test_slate_new (guint n_frames)
{
  HfSlate *slate = g_new0 (HfSlate, 1);
  guint i;

  slate->format.width = 1280;
  slate->format.height = 720;
  slate->format.fps_n = HF_TEST_FPS;
  slate->format.fps_d = 1;
  slate->video = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  for (i = 0; i < n_frames; i++) {
    GstBuffer *b = hf_test_au (HF_TEST_SLATE_TAG, 0, i, i == 0);

    GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) = i * HF_TEST_FRAME;
    g_ptr_array_add (slate->video, b);
  }
  slate->video_caps = gst_caps_from_string (HF_TEST_CAPS);
  slate->audio = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  slate->duration = n_frames * HF_TEST_FRAME;
  slate->refcount = 1;
  return slate;
}

/* ---- The test bed -------------------------------------------------------- */

/* An hfswitch with @revert_after_ms (G_MAXUINT: the default) and a slate
 * when @slate_frames > 0, and its two harnesses, playing. */
static HfTestBed *
hf_test_bed_new (guint revert_after_ms, guint slate_frames)
{
  HfTestBed *bed = g_new0 (HfTestBed, 1);

  bed->element = gst_element_factory_make ("hfswitch", NULL);
  fail_unless (bed->element != NULL);
  g_object_set (bed->element, "tick-ms", HF_TEST_TICK_MS, NULL);
  if (revert_after_ms != G_MAXUINT)
    g_object_set (bed->element, "revert-after-ms", revert_after_ms, NULL);
  if (slate_frames > 0) {
    HfSlate *slate = hf_test_slate_new (slate_frames);

    g_object_set (bed->element, "slate", slate, NULL);
    hf_slate_unref (slate);
  }
  bed->h[0] = gst_harness_new_with_element (bed->element, "video_0",
      "video_src");
  bed->h[1] = gst_harness_new_with_element (bed->element, "video_1", NULL);
  gst_harness_set_src_caps_str (bed->h[0], HF_TEST_CAPS);
  gst_harness_set_src_caps_str (bed->h[1], HF_TEST_CAPS);
  bed->clock = gst_harness_get_testclock (bed->h[0]);
  bed->outs = g_array_new (FALSE, FALSE, sizeof (HfTestOut));
  bed->keep = TRUE;
  return bed;
}

static void
hf_test_bed_free (HfTestBed * bed)
{
  gst_harness_teardown (bed->h[1]);
  gst_harness_teardown (bed->h[0]);
  gst_object_unref (bed->element);
  gst_object_unref (bed->clock);
  g_array_unref (bed->outs);
  g_free (bed->violation);
  g_free (bed);
}

static GstClockTime
hf_test_now (HfTestBed * bed)
{
  return gst_clock_get_time (GST_CLOCK (bed->clock));
}

static void
hf_test_pusher (HfTestBed * bed, guint i, guint gop, guint kf_shift)
{
  HfTestPusher *s = &bed->src[i];

  memset (s, 0, sizeof (*s));
  s->gop = gop;
  s->kf_shift = kf_shift;
}

static GstClockTime
hf_test_due (const HfTestPusher * s, guint64 f)
{
  return s->origin + gst_util_uint64_scale (f, GST_SECOND, HF_TEST_FPS);
}

/* Input @i delivers again from the next frame due (a link that was cut). */
static void
hf_test_up (HfTestBed * bed, guint i)
{
  HfTestPusher *s = &bed->src[i];
  GstClockTime now = hf_test_now (bed);

  s->up = TRUE;
  s->next = 0;
  while (hf_test_due (s, s->next) <= now && now > s->origin)
    s->next++;
}

static void
hf_test_down (HfTestBed * bed, guint i)
{
  bed->src[i].up = FALSE;
}

/* Input @i's pusher reconnects: a new stream (stream-start, caps,
 * segment) whose timestamps start again at @base_rt, from frame 0 due
 * now. */
static void
hf_test_reconnect (HfTestBed * bed, guint i, GstClockTime base_rt,
    guint kf_shift)
{
  HfTestPusher *s = &bed->src[i];
  gchar *id = g_strdup_printf ("pusher-%u-%u", i, s->epoch + 1);

  fail_unless (gst_harness_push_event (bed->h[i],
          gst_event_new_stream_start (id)));
  g_free (id);
  gst_harness_set_src_caps_str (bed->h[i], HF_TEST_CAPS);
  s->epoch++;
  s->origin = hf_test_now (bed);
  s->base_rt = base_rt;
  s->kf_shift = kf_shift;
  s->next = 0;
  s->up = TRUE;
}

static void
hf_test_check (HfTestBed * bed, GstBuffer * buf)
{
  HfTestOut o = { 0 };
  guint types[4] = { 0 }, n;
  gboolean new_run;

  n = hf_test_parse_au (buf, types, G_N_ELEMENTS (types), &o);
  o.dts = GST_BUFFER_DTS (buf);
  o.at = hf_test_now (bed);
  o.keyframe = !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  o.discont = GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT);

  if (o.keyframe && !(n == 3 && types[0] == 7 && types[1] == 8 &&
          types[2] == 5))
    hf_test_violation (bed, "a keyframe without SPS, PPS, IDR (%u NAL units: "
        "%u %u %u)", n, types[0], types[1], types[2]);
  if (!o.keyframe && !(n == 1 && types[0] == 1))
    hf_test_violation (bed, "a delta unit that is not one non-IDR slice");
  if (!GST_CLOCK_TIME_IS_VALID (o.dts))
    hf_test_violation (bed, "a buffer without DTS");
  if (bed->have && o.dts <= bed->last.dts)
    hf_test_violation (bed, "DTS %" GST_TIME_FORMAT " after %" GST_TIME_FORMAT,
        GST_TIME_ARGS (o.dts), GST_TIME_ARGS (bed->last.dts));
  new_run = !bed->have || o.discont || o.tag != bed->last.tag ||
      o.epoch != bed->last.epoch;
  if (new_run) {
    bed->takes++;
    if (!o.keyframe)
      hf_test_violation (bed, "the first buffer of a take (input %u frame %"
          G_GUINT64_FORMAT ") is not a keyframe", o.tag, o.frame);
  } else if (!o.keyframe && o.frame != bed->last.frame + 1) {
    hf_test_violation (bed, "delta frame %" G_GUINT64_FORMAT " of input %u "
        "after frame %" G_GUINT64_FORMAT, o.frame, o.tag, bed->last.frame);
  }
  bed->last = o;
  bed->have = TRUE;
  bed->n_out++;
  if (bed->keep)
    g_array_append_val (bed->outs, o);
}

static void
hf_test_collect (HfTestBed * bed)
{
  GstBuffer *buf;

  while ((buf = gst_harness_try_pull (bed->h[0]))) {
    hf_test_check (bed, buf);
    gst_buffer_unref (buf);
  }
}

/* One tick: the clock jumps to the element's next tick, which runs; then
 * every live input pushes what is due by now. */
static void
hf_test_step (HfTestBed * bed)
{
  GstClockTime now;
  guint i;

  fail_unless (gst_harness_crank_single_clock_wait (bed->h[0]));
  /* The tick has run (and pushed what it made) once the task waits on
   * its next id. */
  gst_test_clock_wait_for_next_pending_id (bed->clock, NULL);
  hf_test_collect (bed);
  now = hf_test_now (bed);
  for (i = 0; i < 2; i++) {
    HfTestPusher *s = &bed->src[i];

    while (s->up && hf_test_due (s, s->next) <= now) {
      guint64 f = s->next++;
      GstBuffer *buf = hf_test_au (i, s->epoch, f,
          (f + s->kf_shift) % s->gop == 0);

      GST_BUFFER_DTS (buf) = GST_BUFFER_PTS (buf) = s->base_rt +
          gst_util_uint64_scale (f, GST_SECOND, HF_TEST_FPS);
      fail_unless_equals_int (gst_harness_push (bed->h[i], buf), GST_FLOW_OK);
    }
  }
  hf_test_collect (bed);
}

static void
hf_test_run_until (HfTestBed * bed, GstClockTime until)
{
  while (hf_test_now (bed) + HF_TEST_MS (HF_TEST_TICK_MS) <= until)
    hf_test_step (bed);
}

static guint64
hf_test_stat (HfTestBed * bed, const gchar * field)
{
  GstStructure *st = NULL;
  guint64 v = 0;

  g_object_get (bed->element, "stats", &st, NULL);
  fail_unless (st != NULL);
  fail_unless (gst_structure_get_uint64 (st, field, &v), "no %s", field);
  gst_structure_free (st);
  return v;
}

static gint
hf_test_stat_on_air (HfTestBed * bed)
{
  GstStructure *st = NULL;
  gint v = -2;

  g_object_get (bed->element, "stats", &st, NULL);
  fail_unless (gst_structure_get_int (st, "on-air", &v));
  gst_structure_free (st);
  return v;
}

/* The first output from @from on tagged @tag, or -1. */
static gint
hf_test_find (HfTestBed * bed, guint from, guint tag)
{
  guint i;

  for (i = from; i < bed->outs->len; i++)
    if (g_array_index (bed->outs, HfTestOut, i).tag == tag)
      return (gint) i;
  return -1;
}

static HfTestOut *
hf_test_out (HfTestBed * bed, gint i)
{
  fail_unless (i >= 0 && (guint) i < bed->outs->len, "no output %d", i);
  return &g_array_index (bed->outs, HfTestOut, i);
}

static void
hf_test_assert_ok (HfTestBed * bed)
{
  fail_if (bed->violation != NULL, "%s", bed->violation);
}

/* ---- Tests --------------------------------------------------------------- */

GST_START_TEST (test_switches_to_backup_within_timeout)
{
  HfTestBed *bed = hf_test_bed_new (G_MAXUINT, 0);
  GstClockTime kill, at;
  guint timeout_ms = 0, revert_ms = 0;
  gint b;

  /* The defaults the issue asks for. */
  g_object_get (bed->element, "timeout-ms", &timeout_ms, "revert-after-ms",
      &revert_ms, NULL);
  fail_unless_equals_int (timeout_ms, 250);
  fail_unless_equals_int (revert_ms, 10000);

  hf_test_pusher (bed, 0, 30, 0);
  hf_test_pusher (bed, 1, 30, 15);
  hf_test_up (bed, 0);
  hf_test_up (bed, 1);
  hf_test_run_until (bed, HF_TEST_MS (2000));
  fail_unless_equals_int (hf_test_stat_on_air (bed), 0);
  fail_unless_equals_int (hf_test_find (bed, 0, 1), -1);
  /* The primary's link is cut: its last frame went in now. */
  kill = hf_test_now (bed);
  hf_test_down (bed, 0);
  hf_test_run_until (bed, HF_TEST_MS (3000));

  b = hf_test_find (bed, 0, 1);
  at = hf_test_out (bed, b)->at;
  fail_unless (at >= kill + HF_TEST_MS (250) - HF_TEST_FRAME &&
      at <= kill + HF_TEST_MS (250) + HF_TEST_FRAME,
      "the backup came on air %" GST_TIME_FORMAT " after the primary's last "
      "frame", GST_TIME_ARGS (at - kill));
  fail_unless (hf_test_out (bed, b)->keyframe);
  fail_unless (hf_test_out (bed, b)->discont);
  fail_unless_equals_int (hf_test_stat_on_air (bed), 1);
  fail_unless_equals_uint64 (hf_test_stat (bed, "failovers"), 1);
  fail_unless_equals_uint64 (hf_test_stat (bed, "gop-takes"), 2);
  fail_unless_equals_uint64 (hf_test_stat (bed, "video-out"), bed->n_out);
  hf_test_assert_ok (bed);
  hf_test_bed_free (bed);
}

GST_END_TEST;

GST_START_TEST (test_first_buffer_after_every_switch_is_a_keyframe_with_parameter_sets)
{
  HfTestBed *bed = hf_test_bed_new (1000, 20);
  guint i, runs = 0;
  const guint want[] = { 0, 1, 0, HF_TEST_SLATE_TAG, 1, 0 };

  /* Takes: the primary; the backup (primary lost at 2 s); the primary
   * again (back at 3 s, revert 1 s later); the slate (both lost at 6 s);
   * the backup (back at 7 s); the primary (reconnected at 7.5 s: a new
   * session, revert-after later). */
  hf_test_pusher (bed, 0, 30, 0);
  hf_test_pusher (bed, 1, 30, 10);
  hf_test_up (bed, 0);
  hf_test_up (bed, 1);
  hf_test_run_until (bed, HF_TEST_MS (2000));
  hf_test_down (bed, 0);
  hf_test_run_until (bed, HF_TEST_MS (3000));
  hf_test_up (bed, 0);
  hf_test_run_until (bed, HF_TEST_MS (6000));
  hf_test_down (bed, 0);
  hf_test_down (bed, 1);
  hf_test_run_until (bed, HF_TEST_MS (7000));
  hf_test_up (bed, 1);
  hf_test_run_until (bed, HF_TEST_MS (7500));
  hf_test_reconnect (bed, 0, 0, 20);
  hf_test_run_until (bed, HF_TEST_MS (10000));

  for (i = 0; i < bed->outs->len; i++) {
    HfTestOut *o = hf_test_out (bed, i);

    if (i > 0 && o->tag == hf_test_out (bed, i - 1)->tag &&
        o->epoch == hf_test_out (bed, i - 1)->epoch)
      continue;
    /* The NAL types (SPS, PPS, IDR) are checked on every keyframe. */
    fail_unless (o->keyframe && o->discont, "take %u starts with a %s", runs,
        o->keyframe ? "keyframe without DISCONT" : "delta frame");
    fail_unless (runs < G_N_ELEMENTS (want) && o->tag == want[runs],
        "take %u: input %u", runs, o->tag);
    runs++;
  }
  fail_unless_equals_int (runs, G_N_ELEMENTS (want));
  fail_unless_equals_int (bed->takes, G_N_ELEMENTS (want));
  fail_unless_equals_uint64 (hf_test_stat (bed, "switches"), G_N_ELEMENTS
      (want));
  hf_test_assert_ok (bed);
  hf_test_bed_free (bed);
}

GST_END_TEST;

GST_START_TEST (test_slate_on_air_within_500ms)
{
  HfTestBed *bed = hf_test_bed_new (G_MAXUINT, 15);
  GstClockTime kill;
  HfTestOut *o;
  gint s, n = 0;
  guint i;

  hf_test_pusher (bed, 0, 30, 0);
  hf_test_up (bed, 0);
  hf_test_run_until (bed, HF_TEST_MS (1500));
  kill = hf_test_now (bed);
  hf_test_down (bed, 0);
  hf_test_run_until (bed, HF_TEST_MS (3000));

  s = hf_test_find (bed, 0, HF_TEST_SLATE_TAG);
  o = hf_test_out (bed, s);
  fail_unless (o->at <= kill + HF_TEST_MS (500), "slate on air %"
      GST_TIME_FORMAT " after the last frame", GST_TIME_ARGS (o->at - kill));
  fail_unless (o->keyframe && o->discont && o->frame == 0);
  /* Then a frame every frame time, looping. */
  for (i = s; i < bed->outs->len; i++) {
    fail_unless_equals_int (hf_test_out (bed, i)->tag, HF_TEST_SLATE_TAG);
    fail_unless_equals_uint64 (hf_test_out (bed, i)->dts, o->dts + n *
        HF_TEST_FRAME);
    n++;
  }
  fail_unless (n >= 36, "%d slate frames in 1.25 s", n);
  fail_unless_equals_int (hf_test_stat_on_air (bed), -1);
  fail_unless_equals_uint64 (hf_test_stat (bed, "slate-frames"), n);
  hf_test_assert_ok (bed);
  hf_test_bed_free (bed);
}

GST_END_TEST;

/* The first output of input 0 from @since (clock time) on. */
static HfTestOut *
hf_test_primary_back (HfTestBed * bed, GstClockTime since)
{
  guint i;

  for (i = 0; i < bed->outs->len; i++) {
    HfTestOut *o = hf_test_out (bed, i);

    if (o->tag == 0 && o->at >= since)
      return o;
  }
  fail ("the primary never came back on air");
  return NULL;
}

GST_START_TEST (test_reverts_after_hold_down)
{
  HfTestBed *bed;
  HfTestOut *o;
  GstClockTime back;

  /* Default revert-after (10 s): the primary, back at 2 s, goes on air
   * at its first keyframe (every second) 10 s after its first frame. */
  bed = hf_test_bed_new (G_MAXUINT, 0);
  hf_test_pusher (bed, 0, 30, 0);
  hf_test_pusher (bed, 1, 30, 15);
  hf_test_up (bed, 0);
  hf_test_up (bed, 1);
  hf_test_run_until (bed, HF_TEST_MS (1000));
  hf_test_down (bed, 0);
  hf_test_run_until (bed, HF_TEST_MS (2000));
  hf_test_up (bed, 0);
  back = hf_test_due (&bed->src[0], bed->src[0].next);
  hf_test_run_until (bed, HF_TEST_MS (11900));
  fail_unless_equals_uint64 (hf_test_stat (bed, "reverts"), 0);
  hf_test_run_until (bed, HF_TEST_MS (14000));
  o = hf_test_primary_back (bed, HF_TEST_MS (1300));
  fail_unless (o->at >= back + 10 * GST_SECOND &&
      o->at <= back + 11 * GST_SECOND + HF_TEST_MS (HF_TEST_TICK_MS),
      "back at %" GST_TIME_FORMAT ", reverted at %" GST_TIME_FORMAT,
      GST_TIME_ARGS (back), GST_TIME_ARGS (o->at));
  fail_unless (o->keyframe);
  fail_unless_equals_uint64 (hf_test_stat (bed, "reverts"), 1);
  hf_test_assert_ok (bed);
  hf_test_bed_free (bed);

  /* revert-after 1 s and keyframes every 0.5 s.  After its first death
   * the primary is back on air at its first keyframe 1 s after its
   * return; after its second death within the flap period its hold-down
   * is 2 s, longer than revert-after: that is what it waits out. */
  bed = hf_test_bed_new (1000, 0);
  hf_test_pusher (bed, 0, 15, 0);
  hf_test_pusher (bed, 1, 30, 15);
  hf_test_up (bed, 0);
  hf_test_up (bed, 1);
  hf_test_run_until (bed, HF_TEST_MS (1000));
  hf_test_down (bed, 0);
  hf_test_run_until (bed, HF_TEST_MS (2000));
  hf_test_up (bed, 0);
  back = hf_test_due (&bed->src[0], bed->src[0].next);
  hf_test_run_until (bed, HF_TEST_MS (4000));
  o = hf_test_primary_back (bed, HF_TEST_MS (1300));
  fail_unless (o->at >= back + GST_SECOND &&
      o->at <= back + HF_TEST_MS (1500 + HF_TEST_TICK_MS),
      "back at %" GST_TIME_FORMAT ", reverted at %" GST_TIME_FORMAT,
      GST_TIME_ARGS (back), GST_TIME_ARGS (o->at));
  hf_test_down (bed, 0);
  hf_test_run_until (bed, HF_TEST_MS (5000));
  hf_test_up (bed, 0);
  back = hf_test_due (&bed->src[0], bed->src[0].next);
  hf_test_run_until (bed, HF_TEST_MS (9000));
  o = hf_test_primary_back (bed, HF_TEST_MS (4300));
  fail_unless (o->at >= back + 2 * GST_SECOND &&
      o->at <= back + HF_TEST_MS (2500 + HF_TEST_TICK_MS),
      "back at %" GST_TIME_FORMAT ", reverted at %" GST_TIME_FORMAT,
      GST_TIME_ARGS (back), GST_TIME_ARGS (o->at));
  fail_unless_equals_uint64 (hf_test_stat (bed, "reverts"), 2);
  hf_test_assert_ok (bed);
  hf_test_bed_free (bed);
}

GST_END_TEST;

GST_START_TEST (test_anti_flap_bounds_switches_per_minute)
{
  HfTestBed *bed = hf_test_bed_new (0, 0);
  guint s;

  /* The primary up 1 s, down 1 s, for a minute; the backup steady;
   * revert-after 0.  Takes: primary, backup (first death), primary (one
   * death: no hold-down), backup (second death); then a hold-down of
   * 2 s and more, which a primary up for 1 s never serves.  Without
   * anti-flap: 60. */
  bed->keep = FALSE;
  hf_test_pusher (bed, 0, 15, 0);
  hf_test_pusher (bed, 1, 30, 15);
  hf_test_up (bed, 1);
  for (s = 0; s < 60; s += 2) {
    hf_test_up (bed, 0);
    hf_test_run_until (bed, HF_TEST_MS (s * 1000 + 1000));
    hf_test_down (bed, 0);
    hf_test_run_until (bed, HF_TEST_MS (s * 1000 + 2000));
  }
  fail_unless_equals_uint64 (hf_test_stat (bed, "switches"), 4);
  fail_unless_equals_uint64 (hf_test_stat (bed, "reverts"), 1);
  fail_unless_equals_uint64 (hf_test_stat (bed, "failovers"), 2);
  fail_unless_equals_int (bed->takes, 4);
  fail_unless_equals_int (hf_test_stat_on_air (bed), 1);
  hf_test_assert_ok (bed);
  hf_test_bed_free (bed);
}

GST_END_TEST;

#define HF_TEST_SEQUENCES 1000
#define HF_TEST_SEQUENCE_LEN (3 * GST_SECOND)

/* One random sequence through the element: random GOPs, deaths of at
 * least 300 ms, returns, pusher reconnects (a new stream, timestamps from
 * a new base), with or without a slate, several revert-after values.
 * Returns the first violation (free it) or NULL. */
static gchar *
hf_test_one_sequence (guint32 seed)
{
  GRand *rand = g_rand_new_with_seed (seed);
  static const guint revert_ms[] = { 0, 500, 2000 };
  GstClockTime down_until[2] = { 0, 0 };
  HfTestBed *bed;
  gchar *violation;
  guint i;

  bed = hf_test_bed_new (revert_ms[g_rand_int_range (rand, 0,
              G_N_ELEMENTS (revert_ms))], g_rand_boolean (rand) ? 20 : 0);
  bed->keep = FALSE;
  for (i = 0; i < 2; i++) {
    guint gop = g_rand_int_range (rand, 5, 60);

    hf_test_pusher (bed, i, gop, g_rand_int_range (rand, 0, gop));
    bed->src[i].base_rt = g_rand_int_range (rand, 0, 100) * GST_SECOND;
    if (g_rand_int_range (rand, 0, 4) != 0)
      hf_test_up (bed, i);
  }
  while (hf_test_now (bed) < HF_TEST_SEQUENCE_LEN && !bed->violation) {
    hf_test_step (bed);
    for (i = 0; i < 2; i++) {
      GstClockTime now = hf_test_now (bed);
      guint dice = g_rand_int_range (rand, 0, 1000);

      if (dice < 8) {
        if (bed->src[i].up) {
          hf_test_down (bed, i);
          down_until[i] = now + g_rand_int_range (rand, 300, 1500) *
              GST_MSECOND;
        } else if (now >= down_until[i]) {
          hf_test_up (bed, i);
        }
      } else if (dice < 10 && bed->src[i].up) {
        hf_test_reconnect (bed, i, g_rand_int_range (rand, 0, 100) *
            GST_SECOND, g_rand_int_range (rand, 0, bed->src[i].gop));
      }
    }
  }
  if (hf_test_stat (bed, "video-out") != bed->n_out)
    hf_test_violation (bed, "the switch sent %" G_GUINT64_FORMAT " buffers, "
        "%" G_GUINT64_FORMAT " came out", hf_test_stat (bed, "video-out"),
        bed->n_out);
  violation = bed->violation;
  bed->violation = NULL;
  hf_test_bed_free (bed);
  g_rand_free (rand);
  return violation;
}

GST_START_TEST (test_output_never_goes_backwards_over_1000_random_sequences)
{
  /* HF_TEST_SEQUENCE_SEED=0x... replays one failed sequence. */
  hf_test_run_sequences (0x68667377, HF_TEST_SEQUENCES, hf_test_one_sequence);
}

GST_END_TEST;

static Suite *
hf_hfswitch_suite (void)
{
  Suite *s = suite_create ("hfswitch");
  TCase *tc = tcase_create ("element");

  hf_failover_register_elements ();
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_switches_to_backup_within_timeout);
  tcase_add_test (tc,
      test_first_buffer_after_every_switch_is_a_keyframe_with_parameter_sets);
  tcase_add_test (tc, test_slate_on_air_within_500ms);
  tcase_add_test (tc, test_reverts_after_hold_down);
  tcase_add_test (tc, test_anti_flap_bounds_switches_per_minute);
  tcase_add_test (tc,
      test_output_never_goes_backwards_over_1000_random_sequences);
  return s;
}

GST_CHECK_MAIN (hf_hfswitch);
