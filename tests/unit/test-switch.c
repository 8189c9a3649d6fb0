/* Unit tests of the on-air decision (failover/hf-select.c) and the
 * selection point (failover/hf-switch.c).  The switch is driven with
 * GstSamples built here, as the inputs' appsinks hand them over: H.264
 * access units (DELTA_UNIT on non-keyframes) and AAC frames with PTS/DTS
 * in a TIME segment, arrival times and the program's "now" passed in as
 * numbers.  An output callback records every restamped unit; the tests
 * then check where the program's timeline went.
 *
 * Each buffer carries its input index and epoch in OFFSET and its frame
 * number in OFFSET_END (the switch copies both), so the record says where
 * every output unit came from.
 *
 * Single-threaded: the switch's callbacks run on the test's thread.
 */
#include <gst/check/gstcheck.h>

#include "failover/hf-failover.h"

#define HF_TEST_FRAME (40 * GST_MSECOND)        /* 25 fps video */
#define HF_TEST_AUDIO_FRAME (20 * GST_MSECOND)
/* Video is reordered (B-frames): PTS is this much after DTS. */
#define HF_TEST_REORDER (2 * HF_TEST_FRAME)
/* Audio reaches the switch this much behind video of the same time, as a
 * demuxer interleaves them. */
#define HF_TEST_AUDIO_LAG (60 * GST_MSECOND)
/* Monotonic clock at wall time 0 (never 0: 0 means "never" to select). */
#define HF_TEST_T0_US (G_GINT64_CONSTANT (1000) * G_USEC_PER_SEC)
/* The program's running time at wall time 0. */
#define HF_TEST_PROGRAM_BASE (2 * GST_SECOND)
#define HF_TEST_TIMEOUT_US (500 * G_GINT64_CONSTANT (1000))

typedef struct
{
  HfMediaKind kind;
  GstClockTime pts;
  GstClockTime dts;
  GstClockTime duration;
  guint input;
  guint epoch;
  guint64 frame;
  gboolean keyframe;
  gboolean discont;
  GstClockTime out_now;         /* the push's out_now */
} HfTestOut;

typedef struct
{
  gint from;
  gint to;
  gchar *reason;
  guint n_out;                  /* outputs recorded when told */
} HfTestNote;

typedef struct
{
  GArray *outs;                 /* HfTestOut */
  GArray *notes;                /* HfTestNote */
  GstClockTime out_now;
  gboolean bad_caps;
} HfTestRecorder;

static GstCaps *hf_test_video_caps;
static GstCaps *hf_test_audio_caps;

static void
hf_test_setup (void)
{
  hf_test_video_caps = gst_caps_new_simple ("video/x-h264", "stream-format",
      G_TYPE_STRING, "byte-stream", "alignment", G_TYPE_STRING, "au", NULL);
  hf_test_audio_caps = gst_caps_new_simple ("audio/mpeg", "mpegversion",
      G_TYPE_INT, 4, "stream-format", G_TYPE_STRING, "adts", NULL);
}

static void
hf_test_teardown (void)
{
  gst_caps_replace (&hf_test_video_caps, NULL);
  gst_caps_replace (&hf_test_audio_caps, NULL);
}

static void
hf_test_note_clear (gpointer p)
{
  g_free (((HfTestNote *) p)->reason);
}

static void
hf_test_recorder_init (HfTestRecorder * rec)
{
  rec->outs = g_array_new (FALSE, TRUE, sizeof (HfTestOut));
  rec->notes = g_array_new (FALSE, TRUE, sizeof (HfTestNote));
  g_array_set_clear_func (rec->notes, hf_test_note_clear);
  rec->out_now = GST_CLOCK_TIME_NONE;
  rec->bad_caps = FALSE;
}

static void
hf_test_recorder_clear (HfTestRecorder * rec)
{
  g_array_unref (rec->outs);
  g_array_unref (rec->notes);
}

/* Called by the switch, with its lock held. */
static void
hf_test_on_output (HfMediaKind kind, guint input, GstBuffer * buffer,
    GstCaps * caps, gpointer user_data)
{
  HfTestRecorder *rec = user_data;
  HfTestOut out;

  out.kind = kind;
  out.pts = GST_BUFFER_PTS (buffer);
  out.dts = GST_BUFFER_DTS (buffer);
  out.duration = GST_BUFFER_DURATION (buffer);
  out.input = GST_BUFFER_OFFSET (buffer) & 0xff;
  out.epoch = GST_BUFFER_OFFSET (buffer) >> 8;
  out.frame = GST_BUFFER_OFFSET_END (buffer);
  out.keyframe = !GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  out.discont = GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DISCONT);
  out.out_now = rec->out_now;
  if (caps != (kind == HF_MEDIA_VIDEO ? hf_test_video_caps :
          hf_test_audio_caps))
    rec->bad_caps = TRUE;
  g_array_append_val (rec->outs, out);
}

static void
hf_test_on_notify (gint from, gint to, const gchar * reason, gpointer user_data)
{
  HfTestRecorder *rec = user_data;
  HfTestNote note;

  note.from = from;
  note.to = to;
  note.reason = g_strdup (reason);
  note.n_out = rec->outs->len;
  g_array_append_val (rec->notes, note);
}

static HfTestOut *
hf_test_out (HfTestRecorder * rec, guint i)
{
  return &g_array_index (rec->outs, HfTestOut, i);
}

static GstClockTime
hf_test_order (const HfTestOut * o)
{
  return GST_CLOCK_TIME_IS_VALID (o->dts) ? o->dts : o->pts;
}

/* Pushes one access unit of input @input in session @epoch.  @pts/@dts
 * are buffer timestamps in @segment. */
static void
hf_test_push (HfSwitch * sw, HfTestRecorder * rec, guint input, guint epoch,
    HfMediaKind kind, guint64 frame, GstClockTime pts, GstClockTime dts,
    gboolean keyframe, const GstSegment * segment, gint64 now_us,
    GstClockTime out_now)
{
  GstBuffer *buf = gst_buffer_new ();
  GstSample *sample;

  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DTS (buf) = dts;
  GST_BUFFER_DURATION (buf) = kind == HF_MEDIA_VIDEO ? HF_TEST_FRAME :
      HF_TEST_AUDIO_FRAME;
  GST_BUFFER_OFFSET (buf) = input | (epoch << 8);
  GST_BUFFER_OFFSET_END (buf) = frame;
  if (kind == HF_MEDIA_VIDEO && !keyframe)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  sample = gst_sample_new (buf, kind == HF_MEDIA_VIDEO ? hf_test_video_caps :
      hf_test_audio_caps, segment, NULL);
  gst_buffer_unref (buf);
  rec->out_now = out_now;
  hf_switch_push (sw, input, epoch, kind, sample, now_us, out_now);
  gst_sample_unref (sample);
}

/* ---- A scripted live timeline ------------------------------------------ */

typedef struct
{
  GstClockTimeDiff base;        /* the input's running time at wall time 0 */
  guint gop;                    /* frames per GOP */
  guint phase;                  /* keyframe when (frame + phase) % gop == 0 */
  guint epoch;
  GstSegment segment;
} HfTestSource;

static void
hf_test_source_init (HfTestSource * src, GstClockTimeDiff base, guint gop,
    guint phase, GstClockTime segment_start)
{
  src->base = base;
  src->gop = gop;
  src->phase = phase;
  src->epoch = 0;
  gst_segment_init (&src->segment, GST_FORMAT_TIME);
  src->segment.start = segment_start;
  src->segment.time = segment_start;
  src->segment.position = segment_start;
}

/* Runs wall time [@from, @to) in 20 ms ticks: each input with @alive set
 * delivers a video frame every other tick and an audio frame every tick,
 * its timeline running on with the wall clock whether it delivers or not
 * (a live source).  The program's "now" runs with the wall clock too. */
static void
hf_test_run (HfSwitch * sw, HfTestRecorder * rec, HfTestSource * srcs,
    guint n, GstClockTime from, GstClockTime to, const gboolean * alive)
{
  GstClockTime w;
  guint i;

  for (w = from; w < to; w += HF_TEST_AUDIO_FRAME) {
    gint64 now_us = HF_TEST_T0_US + (gint64) (w / GST_USECOND);
    GstClockTime out_now = HF_TEST_PROGRAM_BASE + w;

    for (i = 0; i < n; i++) {
      HfTestSource *src = &srcs[i];
      GstClockTimeDiff rt = src->base + (GstClockTimeDiff) w;
      GstClockTime ts = src->segment.start + (GstClockTime) rt;

      if (!alive[i])
        continue;
      if (w % HF_TEST_FRAME == 0) {
        guint64 frame = w / HF_TEST_FRAME;

        hf_test_push (sw, rec, i, src->epoch, HF_MEDIA_VIDEO, frame,
            ts + HF_TEST_REORDER, ts, (frame + src->phase) % src->gop == 0,
            &src->segment, now_us, out_now);
      }
      if (rt >= (GstClockTimeDiff) HF_TEST_AUDIO_LAG)
        hf_test_push (sw, rec, i, src->epoch, HF_MEDIA_AUDIO,
            w / HF_TEST_AUDIO_FRAME, ts - HF_TEST_AUDIO_LAG,
            ts - HF_TEST_AUDIO_LAG, TRUE, &src->segment, now_us, out_now);
    }
  }
}

/* Asserts that no output unit goes backwards, per media kind: video DTS
 * strictly increases, audio never decreases. */
static void
hf_test_assert_monotonic (HfTestRecorder * rec, const gchar * what)
{
  GstClockTime last[2] = { GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE };
  guint i;

  for (i = 0; i < rec->outs->len; i++) {
    HfTestOut *o = hf_test_out (rec, i);
    GstClockTime t = hf_test_order (o);

    fail_unless (GST_CLOCK_TIME_IS_VALID (t), "%s: output %u untimed", what, i);
    if (GST_CLOCK_TIME_IS_VALID (last[o->kind]))
      fail_unless (o->kind == HF_MEDIA_VIDEO ? t > last[o->kind] :
          t >= last[o->kind],
          "%s: output %u (%s from input %u, frame %" G_GUINT64_FORMAT
          ") at %" GST_TIME_FORMAT " goes back from %" GST_TIME_FORMAT, what,
          i, o->kind == HF_MEDIA_VIDEO ? "video" : "audio", o->input,
          o->frame, GST_TIME_ARGS (t), GST_TIME_ARGS (last[o->kind]));
    last[o->kind] = t;
  }
}

/* Index of the first output of @kind from @input at or after @start;
 * -1 if none. */
static gint
hf_test_find (HfTestRecorder * rec, guint start, guint input, gint kind)
{
  guint i;

  for (i = start; i < rec->outs->len; i++) {
    HfTestOut *o = hf_test_out (rec, i);

    if (o->input == input && (kind < 0 || (gint) o->kind == kind))
      return i;
  }
  return -1;
}

/* ---- hf_select_on_air ---------------------------------------------------- */

GST_START_TEST (test_select_takes_highest_priority_delivering)
{
  HfSelectInput in[3] = { {900}, {950}, {990}
  };

  fail_unless_equals_int (hf_select_on_air (in, 3, 1000, 100), 0);
  in[0].last_video_us = 800;
  fail_unless_equals_int (hf_select_on_air (in, 3, 1000, 100), 1);
  in[1].last_video_us = 0;      /* never delivered */
  fail_unless_equals_int (hf_select_on_air (in, 3, 1000, 100), 2);
  /* Delivered exactly @timeout ago still counts. */
  in[0].last_video_us = 900;
  fail_unless_equals_int (hf_select_on_air (in, 3, 1000, 100), 0);
}

GST_END_TEST;

GST_START_TEST (test_select_returns_none_when_nothing_delivers)
{
  HfSelectInput in[2] = { {0}, {0}
  };

  fail_unless_equals_int (hf_select_on_air (in, 2, 1000, 100), -1);
  in[0].last_video_us = 100;
  in[1].last_video_us = 899;
  fail_unless_equals_int (hf_select_on_air (in, 2, 1000, 100), -1);
  fail_unless_equals_int (hf_select_on_air (in, 0, 1000, 100), -1);
}

GST_END_TEST;

/* ---- hf_switch ----------------------------------------------------------- */

GST_START_TEST (test_first_input_is_taken_only_at_keyframe)
{
  HfTestRecorder rec;
  HfSwitch *sw;
  HfTestSource src;
  HfSwitchStats stats;
  gboolean alive[1] = { TRUE };
  HfTestOut *key;
  guint i;

  hf_test_recorder_init (&rec);
  sw = hf_switch_new (1, HF_TEST_TIMEOUT_US, hf_test_on_output,
      hf_test_on_notify, &rec);
  /* Keyframes at frames 0, 10, 20 ...; the input starts at frame 3. */
  hf_test_source_init (&src, 50 * GST_SECOND, 10, 0, 0);
  hf_test_run (sw, &rec, &src, 1, 3 * HF_TEST_FRAME, GST_SECOND, alive);

  fail_unless (rec.outs->len > 0);
  key = hf_test_out (&rec, 0);
  fail_unless_equals_int (key->kind, HF_MEDIA_VIDEO);
  fail_unless (key->keyframe);
  fail_unless_equals_uint64 (key->frame, 10);
  fail_unless (key->discont);
  /* Audio before the keyframe's time is not taken either. */
  for (i = 0; i < rec.outs->len; i++) {
    HfTestOut *o = hf_test_out (&rec, i);

    fail_unless (o->kind == HF_MEDIA_VIDEO ? o->frame >= 10 :
        o->pts >= key->dts, "output %u is from before the keyframe", i);
  }
  hf_switch_get_stats (sw, &stats);
  fail_unless_equals_int (stats.on_air, 0);
  fail_unless_equals_uint64 (stats.switches, 1);
  fail_unless_equals_uint64 (stats.dropped_waiting_keyframe, 7);
  fail_unless_equals_uint64 (stats.video_out, 15);
  fail_if (rec.bad_caps, "output carried the wrong caps");
  hf_test_assert_monotonic (&rec, "key take");

  hf_switch_free (sw);
  hf_test_recorder_clear (&rec);
}

GST_END_TEST;

GST_START_TEST (test_output_timestamps_start_at_program_now)
{
  HfTestRecorder rec;
  HfSwitch *sw;
  GstSegment seg;
  HfTestOut *o;

  hf_test_recorder_init (&rec);
  sw = hf_switch_new (2, HF_TEST_TIMEOUT_US, hf_test_on_output, NULL, &rec);
  /* Buffer time 1100 s in a segment starting at 1000 s: running time
   * 100 s.  The program is at 5 s. */
  gst_segment_init (&seg, GST_FORMAT_TIME);
  seg.start = seg.time = 1000 * GST_SECOND;
  hf_test_push (sw, &rec, 1, 0, HF_MEDIA_VIDEO, 0,
      1100 * GST_SECOND + HF_TEST_REORDER, 1100 * GST_SECOND, TRUE, &seg,
      HF_TEST_T0_US, 5 * GST_SECOND);
  hf_test_push (sw, &rec, 1, 0, HF_MEDIA_AUDIO, 0, 1100 * GST_SECOND,
      1100 * GST_SECOND, TRUE, &seg, HF_TEST_T0_US + 1000, 5 * GST_SECOND);
  hf_test_push (sw, &rec, 1, 0, HF_MEDIA_VIDEO, 1,
      1100 * GST_SECOND + HF_TEST_FRAME + HF_TEST_REORDER,
      1100 * GST_SECOND + HF_TEST_FRAME, FALSE, &seg,
      HF_TEST_T0_US + 40000, 5 * GST_SECOND + HF_TEST_FRAME);

  fail_unless_equals_int (rec.outs->len, 3);
  o = hf_test_out (&rec, 0);
  fail_unless_equals_uint64 (o->dts, 5 * GST_SECOND);
  fail_unless_equals_uint64 (o->pts, 5 * GST_SECOND + HF_TEST_REORDER);
  fail_unless (o->discont);
  o = hf_test_out (&rec, 1);
  fail_unless_equals_int (o->kind, HF_MEDIA_AUDIO);
  fail_unless_equals_uint64 (o->pts, 5 * GST_SECOND);
  fail_unless (o->discont);
  o = hf_test_out (&rec, 2);
  fail_unless_equals_uint64 (o->dts, 5 * GST_SECOND + HF_TEST_FRAME);
  fail_unless (!o->discont);
  fail_unless (!o->keyframe);

  hf_switch_free (sw);
  hf_test_recorder_clear (&rec);
}

GST_END_TEST;

GST_START_TEST (test_units_without_timestamps_or_input_are_ignored)
{
  HfTestRecorder rec;
  HfSwitch *sw;
  GstSegment seg;

  hf_test_recorder_init (&rec);
  sw = hf_switch_new (2, HF_TEST_TIMEOUT_US, hf_test_on_output,
      hf_test_on_notify, &rec);
  gst_segment_init (&seg, GST_FORMAT_TIME);
  hf_test_push (sw, &rec, 2, 0, HF_MEDIA_VIDEO, 0, GST_SECOND, GST_SECOND, TRUE,
      &seg, HF_TEST_T0_US, GST_SECOND);
  hf_test_push (sw, &rec, 0, 0, HF_MEDIA_VIDEO, 0, GST_CLOCK_TIME_NONE,
      GST_CLOCK_TIME_NONE, TRUE, &seg, HF_TEST_T0_US, GST_SECOND);
  fail_unless_equals_int (rec.outs->len, 0);
  fail_unless_equals_int (rec.notes->len, 0);
  fail_unless_equals_int (hf_switch_get_on_air (sw, HF_TEST_T0_US), -1);

  hf_switch_free (sw);
  hf_test_recorder_clear (&rec);
}

GST_END_TEST;

GST_START_TEST (test_get_on_air_reports_none_after_timeout)
{
  HfTestRecorder rec;
  HfSwitch *sw;
  GstSegment seg;

  hf_test_recorder_init (&rec);
  sw = hf_switch_new (1, HF_TEST_TIMEOUT_US, hf_test_on_output, NULL, &rec);
  gst_segment_init (&seg, GST_FORMAT_TIME);
  hf_test_push (sw, &rec, 0, 0, HF_MEDIA_VIDEO, 0, GST_SECOND, GST_SECOND, TRUE,
      &seg, HF_TEST_T0_US, GST_SECOND);
  fail_unless_equals_int (hf_switch_get_on_air (sw, HF_TEST_T0_US + 100000), 0);
  fail_unless_equals_int (hf_switch_get_on_air (sw,
          HF_TEST_T0_US + HF_TEST_TIMEOUT_US), 0);
  fail_unless_equals_int (hf_switch_get_on_air (sw,
          HF_TEST_T0_US + HF_TEST_TIMEOUT_US + 1), -1);

  hf_switch_free (sw);
  hf_test_recorder_clear (&rec);
}

GST_END_TEST;

/* The failover scenario the next tests look at: two live inputs with
 * unrelated timelines and GOPs.
 *   0 s - 3 s     both deliver: input 0 (primary) on air;
 *   3 s - 6.2 s   input 0 silent: input 1 taken at its first keyframe after
 *                 the 500 ms timeout (frame 91, 3.64 s);
 *   6.2 s - 9 s   input 0 back, mid-GOP: taken at its next keyframe
 *                 (frame 175, 7.0 s). */
#define HF_TEST_DEATH (3 * GST_SECOND)
#define HF_TEST_RETURN (6200 * GST_MSECOND)
#define HF_TEST_END (9 * GST_SECOND)

static HfSwitch *
hf_test_failover_scenario (HfTestRecorder * rec)
{
  static const gboolean both[2] = { TRUE, TRUE };
  static const gboolean backup_only[2] = { FALSE, TRUE };
  HfTestSource srcs[2];
  HfSwitch *sw;

  hf_test_recorder_init (rec);
  sw = hf_switch_new (2, HF_TEST_TIMEOUT_US, hf_test_on_output,
      hf_test_on_notify, rec);
  hf_test_source_init (&srcs[0], 10 * GST_SECOND, 25, 0, 0);
  hf_test_source_init (&srcs[1], 300 * GST_SECOND, 12, 5, 3600 * GST_SECOND);
  hf_test_run (sw, rec, srcs, 2, 0, HF_TEST_DEATH, both);
  hf_test_run (sw, rec, srcs, 2, HF_TEST_DEATH, HF_TEST_RETURN, backup_only);
  hf_test_run (sw, rec, srcs, 2, HF_TEST_RETURN, HF_TEST_END, both);
  return sw;
}

GST_START_TEST (test_switches_to_backup_at_its_keyframe_when_primary_stops)
{
  HfTestRecorder rec;
  HfSwitch *sw = hf_test_failover_scenario (&rec);
  HfTestOut *key, *prev_video = NULL, *audio;
  gint k, a;
  guint i;

  hf_test_assert_monotonic (&rec, "failover");
  fail_if (rec.bad_caps);

  k = hf_test_find (&rec, 0, 1, -1);
  fail_unless (k > 0, "input 1 was never taken");
  key = hf_test_out (&rec, k);
  /* The backup's first unit is a keyframe, taken once the primary has been
   * silent for the timeout, at the backup's first keyframe after it. */
  fail_unless_equals_int (key->kind, HF_MEDIA_VIDEO);
  fail_unless (key->keyframe);
  fail_unless (key->discont);
  fail_unless_equals_uint64 (key->frame, 91);
  /* Everything before it came from the primary, before it stopped. */
  for (i = 0; i < (guint) k; i++) {
    HfTestOut *o = hf_test_out (&rec, i);

    fail_unless_equals_int (o->input, 0);
    fail_unless (o->frame < (o->kind == HF_MEDIA_VIDEO ? 75 : 150));
    if (o->kind == HF_MEDIA_VIDEO)
      prev_video = o;
  }
  fail_unless (prev_video != NULL);
  fail_unless_equals_uint64 (prev_video->frame, 74);
  /* The program went on while nothing was sent: the backup continues at
   * "now", after the primary's last frame. */
  fail_unless_equals_uint64 (key->dts, key->out_now);
  fail_unless_equals_uint64 (key->dts, HF_TEST_PROGRAM_BASE +
      91 * HF_TEST_FRAME);
  fail_unless (key->dts > prev_video->dts);

  /* The backup's audio starts at its keyframe's time, not before. */
  a = hf_test_find (&rec, k, 1, HF_MEDIA_AUDIO);
  fail_unless (a > k);
  audio = hf_test_out (&rec, a);
  fail_unless (audio->pts >= key->dts, "backup audio at %" GST_TIME_FORMAT
      " before its keyframe at %" GST_TIME_FORMAT, GST_TIME_ARGS (audio->pts),
      GST_TIME_ARGS (key->dts));
  fail_unless_equals_uint64 (audio->pts, key->dts);

  hf_switch_free (sw);
  hf_test_recorder_clear (&rec);
}

GST_END_TEST;

GST_START_TEST (test_primary_is_taken_again_at_its_keyframe_when_it_returns)
{
  HfTestRecorder rec;
  HfSwitch *sw = hf_test_failover_scenario (&rec);
  HfTestOut *key, *last_backup = NULL;
  HfSwitchStats stats;
  gint k, first_backup;
  guint i;

  first_backup = hf_test_find (&rec, 0, 1, -1);
  fail_unless (first_backup > 0);
  k = hf_test_find (&rec, first_backup, 0, -1);
  fail_unless (k > first_backup, "the primary was not taken back");
  key = hf_test_out (&rec, k);
  fail_unless_equals_int (key->kind, HF_MEDIA_VIDEO);
  fail_unless (key->keyframe);
  fail_unless_equals_uint64 (key->frame, 175);

  /* The backup stayed on air until then, and not after. */
  for (i = first_backup; i < rec.outs->len; i++) {
    HfTestOut *o = hf_test_out (&rec, i);

    if (i < (guint) k) {
      fail_unless_equals_int (o->input, 1);
      if (o->kind == HF_MEDIA_VIDEO)
        last_backup = o;
    } else {
      fail_unless_equals_int (o->input, 0);
    }
  }
  fail_unless (last_backup != NULL);
  fail_unless_equals_uint64 (last_backup->frame, 174);
  fail_unless_equals_uint64 (key->dts, last_backup->dts + HF_TEST_FRAME);
  hf_test_assert_monotonic (&rec, "revert");

  hf_switch_get_stats (sw, &stats);
  fail_unless_equals_int (stats.on_air, 0);
  fail_unless_equals_uint64 (stats.switches, 3);
  fail_unless_equals_int (hf_switch_get_on_air (sw,
          HF_TEST_T0_US + HF_TEST_END / GST_USECOND), 0);

  hf_switch_free (sw);
  hf_test_recorder_clear (&rec);
}

GST_END_TEST;

GST_START_TEST (test_notify_tells_from_and_to)
{
  HfTestRecorder rec;
  HfSwitch *sw = hf_test_failover_scenario (&rec);
  static const gint want[3][2] = { {-1, 0}, {0, 1}, {1, 0} };
  guint i;

  fail_unless_equals_int (rec.notes->len, 3);
  for (i = 0; i < 3; i++) {
    HfTestNote *n = &g_array_index (rec.notes, HfTestNote, i);
    HfTestOut *o;

    fail_unless_equals_int (n->from, want[i][0]);
    fail_unless_equals_int (n->to, want[i][1]);
    fail_unless (n->reason && *n->reason);
    /* Told after the keyframe that made the change went out. */
    fail_unless (n->n_out > 0);
    o = hf_test_out (&rec, n->n_out - 1);
    fail_unless_equals_int (o->input, n->to);
    fail_unless (o->kind == HF_MEDIA_VIDEO && o->keyframe);
  }

  hf_switch_free (sw);
  hf_test_recorder_clear (&rec);
}

GST_END_TEST;

/* A pusher that disconnects and comes back is a new pipeline in HfInput,
 * a new epoch: its running time starts again near 0.  When that input goes
 * on air again, alone, the program goes on from its first keyframe, at
 * "now", and none of the new epoch's units before it get out with the old
 * epoch's offset. */
GST_START_TEST (test_on_air_input_in_new_epoch_is_taken_again_at_keyframe)
{
  static const gboolean alive[1] = { TRUE };
  HfTestRecorder rec;
  HfSwitch *sw;
  HfTestSource src;
  HfTestOut *key;
  guint before, i, video = 0;
  GstClockTime last_dts;

  hf_test_recorder_init (&rec);
  sw = hf_switch_new (1, HF_TEST_TIMEOUT_US, hf_test_on_output,
      hf_test_on_notify, &rec);
  hf_test_source_init (&src, 0, 25, 0, 0);
  hf_test_run (sw, &rec, &src, 1, 0, 5 * GST_SECOND, alive);
  before = rec.outs->len;
  fail_unless (before > 0);
  last_dts = hf_test_order (hf_test_out (&rec, before - 1));

  /* Silent from 5 s to 7 s, then back in epoch 1 with running time 0 at
   * wall time 7 s, mid-GOP: frames 175-184 are deltas, 185 a keyframe. */
  src.epoch = 1;
  src.base = -7 * GST_SECOND;
  src.phase = 15;
  hf_test_run (sw, &rec, &src, 1, 7 * GST_SECOND, 8 * GST_SECOND, alive);

  fail_unless (rec.outs->len > before, "nothing output after the input came "
      "back (program stuck at %" GST_TIME_FORMAT ")", GST_TIME_ARGS (last_dts));
  key = hf_test_out (&rec, before);
  fail_unless_equals_int (key->kind, HF_MEDIA_VIDEO);
  fail_unless (key->keyframe);
  fail_unless_equals_uint64 (key->frame, 185);
  fail_unless_equals_uint64 (key->dts, HF_TEST_PROGRAM_BASE + 185 *
      HF_TEST_FRAME);
  for (i = before; i < rec.outs->len; i++)
    if (hf_test_out (&rec, i)->kind == HF_MEDIA_VIDEO)
      video++;
  fail_unless_equals_int (video, 15);
  hf_test_assert_monotonic (&rec, "new epoch");

  hf_switch_free (sw);
  hf_test_recorder_clear (&rec);
}

GST_END_TEST;

/* The on-air input reconnects faster than the timeout while a backup
 * delivers: the backup is not taken, and the primary's new epoch goes on
 * air at its first keyframe. */
GST_START_TEST (test_reconnect_within_timeout_is_taken_at_its_keyframe)
{
  static const gboolean both[2] = { TRUE, TRUE };
  HfTestRecorder rec;
  HfSwitch *sw;
  HfTestSource srcs[2];
  HfTestOut *key;
  guint before, i;
  GstClockTime last_dts;

  hf_test_recorder_init (&rec);
  sw = hf_switch_new (2, HF_TEST_TIMEOUT_US, hf_test_on_output,
      hf_test_on_notify, &rec);
  hf_test_source_init (&srcs[0], 10 * GST_SECOND, 25, 0, 0);
  hf_test_source_init (&srcs[1], 300 * GST_SECOND, 12, 5, 0);
  hf_test_run (sw, &rec, srcs, 2, 0, 3 * GST_SECOND, both);
  before = rec.outs->len;
  last_dts = hf_test_order (hf_test_out (&rec, before - 1));

  /* Epoch 1 from 3 s on, running time from 0; keyframe at frame 80. */
  srcs[0].epoch = 1;
  srcs[0].base = -3 * GST_SECOND;
  srcs[0].phase = 20;
  hf_test_run (sw, &rec, srcs, 2, 3 * GST_SECOND, 5 * GST_SECOND, both);

  fail_unless (rec.outs->len > before, "nothing output after the reconnect "
      "(program stuck at %" GST_TIME_FORMAT ")", GST_TIME_ARGS (last_dts));
  key = hf_test_out (&rec, before);
  fail_unless_equals_int (key->input, 0);
  fail_unless_equals_int (key->kind, HF_MEDIA_VIDEO);
  fail_unless (key->keyframe);
  fail_unless_equals_uint64 (key->frame, 80);
  fail_unless_equals_uint64 (key->dts, HF_TEST_PROGRAM_BASE + 80 *
      HF_TEST_FRAME);
  for (i = 0; i < rec.outs->len; i++)
    fail_unless_equals_int (hf_test_out (&rec, i)->input, 0);
  hf_test_assert_monotonic (&rec, "reconnect");

  hf_switch_free (sw);
  hf_test_recorder_clear (&rec);
}

GST_END_TEST;

/* ---- Property: random deaths and returns -------------------------------- */

#define HF_TEST_PROP_SEQUENCES 1000
#define HF_TEST_PROP_SEED 0x5eed0000u
#define HF_TEST_PROP_EVENTS 600
#define HF_TEST_PROP_MAX_DELAY (400 * GST_MSECOND)

/* One random live input.  Its media clock runs with the wall clock; each
 * unit reaches the switch after a delivery delay that wanders (network,
 * SRT latency, bursts after a stall), never before the previous one. */
typedef struct
{
  gboolean alive;
  guint epoch;
  GstClockTimeDiff shift;       /* running time = media time + shift */
  GstClockTime frame_dur;
  guint gop;
  guint64 frames;
  GstClockTime reorder;
  GstClockTime next_video;      /* media time of the next frame */
  GstClockTime next_audio;
  GstClockTime delay;
  GstClockTime last_arrival;
  GstSegment segment;
} HfTestPropSource;

/* A live source that starts delivering at wall time @w. */
static void
hf_test_prop_align (HfTestPropSource * s, GstClockTime w)
{
  s->next_video = (w / s->frame_dur + 1) * s->frame_dur;
  s->next_audio = (w / HF_TEST_AUDIO_FRAME + 1) * HF_TEST_AUDIO_FRAME;
  s->last_arrival = w;
}

static GstClockTime
hf_test_prop_next_arrival (HfTestPropSource * s)
{
  return MAX (s->last_arrival, MIN (s->next_video, s->next_audio) + s->delay);
}

/* Check's fail_unless() records every passing check too (a malloc and a
 * write each), too slow for the millions the property test makes. */
#define hf_test_check(cond, ...) G_STMT_START {   \
    if (G_UNLIKELY (!(cond)))                     \
      ck_abort_msg (__VA_ARGS__);                 \
  } G_STMT_END

/* Checks the outputs of one random sequence against the takes the switch
 * told of.  Returns the number of takes. */
static guint
hf_test_prop_check (HfTestRecorder * rec, guint32 seed)
{
  GstClockTime last[2] = { GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE };
  gint cur = -1;
  guint cur_epoch = 0, note = 0, i;
  GstClockTime take_dts = GST_CLOCK_TIME_NONE, audio_end = 0;
  gboolean audio_after_take = FALSE;

  for (i = 0; i < rec->notes->len; i++) {
    HfTestNote *n = &g_array_index (rec->notes, HfTestNote, i);

    hf_test_check (n->to >= 0 && n->n_out > 0, "seed %u: notify %d -> %d "
        "with nothing output", seed, n->from, n->to);
  }

  for (i = 0; i < rec->outs->len; i++) {
    HfTestOut *o = hf_test_out (rec, i);
    GstClockTime t = hf_test_order (o);
    guint input = o->input, epoch = o->epoch;

    hf_test_check (GST_CLOCK_TIME_IS_VALID (t), "seed %u: output %u untimed",
        seed, i);
    if (GST_CLOCK_TIME_IS_VALID (last[o->kind]))
      hf_test_check (o->kind == HF_MEDIA_VIDEO ? t > last[o->kind] :
          t >= last[o->kind], "seed %u: output %u (%s of input %u) at %"
          GST_TIME_FORMAT " goes back from %" GST_TIME_FORMAT, seed, i,
          o->kind == HF_MEDIA_VIDEO ? "video" : "audio", input,
          GST_TIME_ARGS (t), GST_TIME_ARGS (last[o->kind]));
    last[o->kind] = t;

    if (note < rec->notes->len &&
        g_array_index (rec->notes, HfTestNote, note).n_out == i + 1) {
      /* A take: the unit that made it is a keyframe of the new input, and
       * it starts no earlier than the program's now. */
      HfTestNote *n = &g_array_index (rec->notes, HfTestNote, note);

      hf_test_check (o->kind == HF_MEDIA_VIDEO && o->keyframe &&
          (gint) input == n->to, "seed %u: output %u: take %d -> %d is not "
          "at a keyframe of input %d", seed, i, n->from, n->to, n->to);
      hf_test_check (o->dts >= o->out_now, "seed %u: output %u: switch at %"
          GST_TIME_FORMAT " is behind the program's now %" GST_TIME_FORMAT,
          seed, i, GST_TIME_ARGS (o->dts), GST_TIME_ARGS (o->out_now));
      cur = input;
      cur_epoch = epoch;
      take_dts = o->dts;
      audio_after_take = TRUE;
      note++;
    }
    /* Only the input taken last, in the epoch it was taken in. */
    hf_test_check ((gint) input == cur && epoch == cur_epoch, "seed %u: "
        "output %u: %s of input %u epoch %u while input %d epoch %u is on "
        "air", seed, i, o->kind == HF_MEDIA_VIDEO ? "video" : "audio", input,
        epoch, cur, cur_epoch);
    if (o->kind == HF_MEDIA_AUDIO) {
      hf_test_check (o->pts >= take_dts, "seed %u: output %u: audio at %"
          GST_TIME_FORMAT " before its input's keyframe at %" GST_TIME_FORMAT,
          seed, i, GST_TIME_ARGS (o->pts), GST_TIME_ARGS (take_dts));
      /* The new input's audio does not overlap the old one's. */
      if (audio_after_take)
        hf_test_check (o->pts >= audio_end, "seed %u: output %u: first audio "
            "after a take at %" GST_TIME_FORMAT " overlaps audio sent until %"
            GST_TIME_FORMAT, seed, i, GST_TIME_ARGS (o->pts),
            GST_TIME_ARGS (audio_end));
      audio_after_take = FALSE;
      audio_end = o->pts + o->duration;
    }
  }
  hf_test_check (note == rec->notes->len, "seed %u: %u takes told, %u seen",
      seed, rec->notes->len, note);
  return rec->notes->len;
}

static guint
hf_test_prop_sequence (guint32 seed)
{
  GRand *rand = g_rand_new_with_seed (seed);
  guint n = g_rand_int_range (rand, 2, 4);
  gint64 timeout_us = g_rand_int_range (rand, 50, 600) * 1000;
  HfTestPropSource src[3];
  HfTestRecorder rec;
  HfSwitch *sw;
  GstClockTime w = 0;
  guint i, step, takes;

  hf_test_recorder_init (&rec);
  sw = hf_switch_new (n, timeout_us, hf_test_on_output, hf_test_on_notify,
      &rec);
  for (i = 0; i < n; i++) {
    HfTestPropSource *s = &src[i];

    s->alive = g_rand_int_range (rand, 0, 4) != 0;
    s->epoch = 0;
    s->shift = g_rand_int_range (rand, 0, 1000) * GST_SECOND;
    s->frame_dur = g_rand_boolean (rand) ? HF_TEST_FRAME : GST_SECOND / 30;
    s->gop = g_rand_int_range (rand, 1, 30);
    s->frames = g_rand_int_range (rand, 0, s->gop);
    s->reorder = g_rand_boolean (rand) ? 0 : 2 * s->frame_dur;
    s->delay = g_rand_int_range (rand, 0, 200) * GST_MSECOND;
    gst_segment_init (&s->segment, GST_FORMAT_TIME);
    s->segment.start = g_rand_int_range (rand, 0, 4000) * GST_SECOND;
    s->segment.time = s->segment.start;
    hf_test_prop_align (s, 0);
  }

  for (step = 0; step < HF_TEST_PROP_EVENTS; step++) {
    HfTestPropSource *s = NULL;
    GstClockTime arrival = GST_CLOCK_TIME_NONE;
    guint idx = 0;

    /* Deaths and returns.  A return is a new epoch with a new timeline (a
     * new pusher), a new epoch on the same timeline, or the same epoch
     * (packets that stopped for a while). */
    if (g_rand_int_range (rand, 0, 30) == 0) {
      HfTestPropSource *t = &src[g_rand_int_range (rand, 0, n)];

      t->alive = !t->alive;
      if (t->alive) {
        switch (g_rand_int_range (rand, 0, 3)) {
          case 0:
            t->epoch++;
            t->shift = g_rand_int_range (rand, 0, 1000) * GST_SECOND;
            break;
          case 1:
            t->epoch++;
            break;
          default:
            break;
        }
        hf_test_prop_align (t, w);
      }
    }
    for (i = 0; i < n; i++) {
      if (src[i].alive && hf_test_prop_next_arrival (&src[i]) < arrival) {
        arrival = hf_test_prop_next_arrival (&src[i]);
        s = &src[i];
        idx = i;
      }
    }
    if (!s) {
      w += 100 * GST_MSECOND;
      continue;
    }
    w = MAX (w, arrival);
    s->last_arrival = arrival;

    {
      gboolean video = s->next_video <= s->next_audio;
      GstClockTime media = video ? s->next_video : s->next_audio;
      GstClockTime ts = s->segment.start + (GstClockTime) (s->shift +
          (GstClockTimeDiff) media);
      gint64 now_us = HF_TEST_T0_US + (gint64) (arrival / GST_USECOND);
      GstClockTime out_now = HF_TEST_PROGRAM_BASE + arrival;

      if (video) {
        hf_test_push (sw, &rec, idx, s->epoch, HF_MEDIA_VIDEO, s->frames,
            ts + s->reorder, ts, s->frames % s->gop == 0, &s->segment,
            now_us, out_now);
        s->frames++;
        s->next_video += s->frame_dur;
      } else {
        hf_test_push (sw, &rec, idx, s->epoch, HF_MEDIA_AUDIO, 0, ts, ts,
            TRUE, &s->segment, now_us, out_now);
        s->next_audio += HF_TEST_AUDIO_FRAME;
      }
    }

    /* The delivery delay wanders, now and then jumps (a stall, or a
     * backlog delivered at once); rarely the timestamps jump within an
     * epoch (a glitch at the source). */
    {
      gint64 d = (gint64) s->delay + g_rand_int_range (rand, -5, 6) *
          GST_MSECOND;

      if (g_rand_int_range (rand, 0, 100) == 0)
        d = g_rand_int_range (rand, 0, 2) * HF_TEST_PROP_MAX_DELAY;
      s->delay = CLAMP (d, 0, (gint64) HF_TEST_PROP_MAX_DELAY);
      if (g_rand_int_range (rand, 0, 500) == 0 && s->shift > 10 * GST_SECOND)
        s->shift += g_rand_int_range (rand, -3000, 3000) * GST_MSECOND;
    }
  }

  takes = hf_test_prop_check (&rec, seed);
  hf_switch_free (sw);
  hf_test_recorder_clear (&rec);
  g_rand_free (rand);
  return takes;
}

GST_START_TEST (test_random_failovers_never_go_back_and_switch_at_keyframes)
{
  guint i, takes = 0;

  for (i = 0; i < HF_TEST_PROP_SEQUENCES; i++)
    takes += hf_test_prop_sequence (HF_TEST_PROP_SEED + i);
  /* The sequences did exercise the switch: a few takes each. */
  fail_unless (takes > 2 * HF_TEST_PROP_SEQUENCES, "only %u takes", takes);
}

GST_END_TEST;

static Suite *
hf_switch_suite (void)
{
  Suite *s = suite_create ("hf-switch");
  TCase *tc = tcase_create ("general");
  TCase *prop = tcase_create ("property");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, hf_test_setup, hf_test_teardown);
  tcase_add_test (tc, test_select_takes_highest_priority_delivering);
  tcase_add_test (tc, test_select_returns_none_when_nothing_delivers);
  tcase_add_test (tc, test_first_input_is_taken_only_at_keyframe);
  tcase_add_test (tc, test_output_timestamps_start_at_program_now);
  tcase_add_test (tc, test_units_without_timestamps_or_input_are_ignored);
  tcase_add_test (tc, test_get_on_air_reports_none_after_timeout);
  tcase_add_test (tc,
      test_switches_to_backup_at_its_keyframe_when_primary_stops);
  tcase_add_test (tc,
      test_primary_is_taken_again_at_its_keyframe_when_it_returns);
  tcase_add_test (tc, test_notify_tells_from_and_to);
  tcase_add_test (tc,
      test_on_air_input_in_new_epoch_is_taken_again_at_keyframe);
  tcase_add_test (tc, test_reconnect_within_timeout_is_taken_at_its_keyframe);

  suite_add_tcase (s, prop);
  tcase_add_checked_fixture (prop, hf_test_setup, hf_test_teardown);
  /* 1000 sequences; generous for the sanitizer build. */
  tcase_set_timeout (prop, 120);
  tcase_add_test (prop,
      test_random_failovers_never_go_back_and_switch_at_keyframes);
  return s;
}

GST_CHECK_MAIN (hf_switch);
