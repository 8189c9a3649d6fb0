/* Unit tests of hf-probe's player model (tools/hf-probe-model.c): an
 * injected freeze is measured to within a frame interval, a clean stream
 * with jitter under the buffer has none, a stall longer than the buffer is
 * one, timestamps going back or leaping are reported without a false
 * freeze, resolution changes, what is on screen (live, slate, other), live
 * frames lost, a change of pusher, the GOP-cache replay after a
 * reconnection, latency, and a seeded random drive.
 *
 * Single-threaded; time is plain microseconds passed in.  The start time
 * is not a round number, as a monotonic clock's never is.
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "tests/unit/hf-test-seeds.h"
#include "tools/hf-probe-model.h"

#define HF_TEST_T0_US G_GINT64_CONSTANT (5000000017)
#define HF_TEST_PTS0_NS G_GINT64_CONSTANT (3600000000000)
#define HF_TEST_MS(ms) ((gint64) (ms) * 1000)
/* 30 fps, as 90 kHz MPEG-TS timestamps give it. */
#define HF_TEST_FRAME_NS G_GINT64_CONSTANT (33333333)
#define HF_TEST_FRAME_US 33333

/* A simulated stream and what the model said about it. */
typedef struct
{
  HfProbeModel m;
  gint64 arrival;               /* of the next frame */
  gint64 pts;
  guint8 source;                /* the pusher's mark source */
  guint32 counter;
  HfMarkKind kind;
  gint width, height;
  gboolean reconnected;
  GArray *events;               /* HfProbeEvent, frame pointers cleared */
} HfTestStream;

static void
hf_test_on_event (const HfProbeEvent * ev, gpointer user_data)
{
  HfTestStream *s = user_data;
  HfProbeEvent copy = *ev;

  if (ev->type == HF_PROBE_EVENT_FRAME)
    return;
  copy.frame = NULL;
  g_array_append_val (s->events, copy);
}

static void
hf_test_stream_init (HfTestStream * s, gint64 buffer_ms)
{
  memset (s, 0, sizeof (*s));
  hf_probe_model_init (&s->m, HF_TEST_MS (buffer_ms));
  s->arrival = HF_TEST_T0_US;
  s->pts = HF_TEST_PTS0_NS;
  s->kind = HF_MARK_LIVE;
  s->width = 1280;
  s->height = 720;
  s->events = g_array_new (FALSE, TRUE, sizeof (HfProbeEvent));
}

static void
hf_test_stream_clear (HfTestStream * s)
{
  hf_probe_model_clear (&s->m);
  g_array_unref (s->events);
}

/* Pushes one frame arriving @late_us after its cadence slot, then moves
 * the cadence on by a frame. */
static void
hf_test_frame (HfTestStream * s, gint64 late_us)
{
  HfProbeFrame f = { 0, };

  f.arrival_us = s->arrival + late_us;
  f.pts_ns = s->pts;
  f.width = s->width;
  f.height = s->height;
  f.mark.kind = s->kind;
  f.mark.counter = s->counter & HF_MARK_COUNTER_MASK;
  f.mark.source = s->source;
  /* Made 250 ms before it was due to arrive. */
  f.mark.clock_ms = (guint32) ((s->arrival - HF_TEST_MS (250)) / 1000);
  f.reconnected = s->reconnected;
  s->reconnected = FALSE;
  hf_probe_model_push (&s->m, &f, hf_test_on_event, s);
  s->arrival += HF_TEST_FRAME_US;
  s->pts += HF_TEST_FRAME_NS;
  s->counter++;
}

static void
hf_test_frames (HfTestStream * s, guint n)
{
  guint i;

  for (i = 0; i < n; i++)
    hf_test_frame (s, 0);
}

/* @n frames never reach the viewer: timestamps and counters move on. */
static void
hf_test_skip (HfTestStream * s, guint n)
{
  s->arrival += n * HF_TEST_FRAME_US;
  s->pts += n * HF_TEST_FRAME_NS;
  s->counter += n;
}

static guint
hf_test_count (HfTestStream * s, HfProbeEventType type)
{
  guint i, n = 0;

  for (i = 0; i < s->events->len; i++)
    if (g_array_index (s->events, HfProbeEvent, i).type == type)
      n++;
  return n;
}

/* The @k-th event of @type (0 is the first). */
static const HfProbeEvent *
hf_test_event (HfTestStream * s, HfProbeEventType type, guint k)
{
  guint i;

  for (i = 0; i < s->events->len; i++) {
    const HfProbeEvent *ev = &g_array_index (s->events, HfProbeEvent, i);

    if (ev->type == type && k-- == 0)
      return ev;
  }
  ck_abort_msg ("no event %u of type %d", k, type);
  return NULL;
}

static HfProbeSummary
hf_test_summary (HfTestStream * s)
{
  HfProbeSummary sum;

  hf_probe_model_get_summary (&s->m, &sum);
  return sum;
}

GST_START_TEST (test_screen_names)
{
  fail_unless_equals_string (hf_probe_screen_to_string
      (HF_PROBE_SCREEN_NONE), "none");
  fail_unless_equals_string (hf_probe_screen_to_string
      (HF_PROBE_SCREEN_LIVE), "live");
  fail_unless_equals_string (hf_probe_screen_to_string
      (HF_PROBE_SCREEN_SLATE), "slate");
  fail_unless_equals_string (hf_probe_screen_to_string
      (HF_PROBE_SCREEN_OTHER), "other");
}

GST_END_TEST;

GST_START_TEST (test_clean_cadence_with_jitter_has_no_freeze)
{
  HfTestStream s;
  HfProbeSummary sum;
  GRand *rand = g_rand_new_with_seed (7);
  guint i;

  hf_test_stream_init (&s, HF_PROBE_DEFAULT_BUFFER_MS);
  /* 10 s with arrivals up to 140 ms late, more than the relay's worst
   * measured (135 ms), less than buffer + interval. */
  for (i = 0; i < 300; i++)
    hf_test_frame (&s, g_rand_int_range (rand, 0, 140000));
  sum = hf_test_summary (&s);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_FREEZE), 0);
  fail_unless_equals_int (sum.freezes, 0);
  fail_unless_equals_int (sum.frames, 300);
  fail_unless_equals_int (sum.screen_frames[HF_PROBE_SCREEN_LIVE], 300);
  fail_unless_equals_int (sum.live_frames_lost, 0);
  fail_unless_equals_int (sum.interval_us, HF_TEST_FRAME_US);
  fail_unless_equals_int (sum.screen, HF_PROBE_SCREEN_LIVE);
  /* none -> live, and nothing else. */
  fail_unless_equals_int (s.events->len, 1);
  fail_unless_equals_int (hf_test_event (&s, HF_PROBE_EVENT_SCREEN, 0)->to,
      HF_PROBE_SCREEN_LIVE);
  g_rand_free (rand);
  hf_test_stream_clear (&s);
}

GST_END_TEST;

GST_START_TEST (test_injected_500ms_freeze_is_measured)
{
  HfTestStream s;
  const HfProbeEvent *ev;
  HfProbeSummary sum;
  gint64 last_due, duration;

  hf_test_stream_init (&s, HF_PROBE_DEFAULT_BUFFER_MS);
  hf_test_frames (&s, 90);
  /* The next frame would have been due one interval after the last one,
   * itself due a buffer after it arrived (on time). */
  last_due = s.arrival - HF_TEST_FRAME_US + HF_TEST_MS
      (HF_PROBE_DEFAULT_BUFFER_MS);
  hf_test_skip (&s, 15);        /* 500 ms of pictures never come */
  hf_test_frames (&s, 90);

  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_FREEZE), 1);
  ev = hf_test_event (&s, HF_PROBE_EVENT_FREEZE, 0);
  fail_unless (ABS (ev->duration_us - HF_TEST_MS (500)) <= HF_TEST_FRAME_US,
      "freeze of %" G_GINT64_FORMAT " us", ev->duration_us);
  fail_unless (ABS (ev->start_us - (last_due + HF_TEST_FRAME_US)) <= 1000,
      "freeze starts %" G_GINT64_FORMAT " us off",
      ev->start_us - (last_due + HF_TEST_FRAME_US));
  fail_unless_equals_int (ev->count, 15);
  fail_if (ev->open);
  duration = ev->duration_us;
  /* The live counter says the same. */
  ev = hf_test_event (&s, HF_PROBE_EVENT_FRAMES_LOST, 0);
  fail_unless_equals_int (ev->count, 15);
  fail_unless_equals_int (ev->old_counter, 89);
  sum = hf_test_summary (&s);
  fail_unless_equals_int (sum.freezes, 1);
  fail_unless_equals_int64 (sum.max_freeze_us, duration);
  fail_unless_equals_int64 (sum.total_freeze_us, duration);
  fail_unless_equals_int (sum.live_frames_lost, 15);
  fail_unless_equals_int (sum.source_changes, 0);
  hf_test_stream_clear (&s);
}

GST_END_TEST;

/* Nothing arrives for 300 ms, then the backlog in a burst: with the
 * default buffer it shows, as the buffer's worth less. */
GST_START_TEST (test_300ms_stall_shows_with_the_default_buffer)
{
  HfTestStream s;
  const HfProbeEvent *ev;
  gint64 stall = HF_TEST_MS (300);
  guint i;

  hf_test_stream_init (&s, HF_PROBE_DEFAULT_BUFFER_MS);
  hf_test_frames (&s, 90);
  /* The last frame before the stall came at its slot; the 9 after it all
   * arrive when the stall ends. */
  for (i = 0; i < 9; i++)
    hf_test_frame (&s, stall - HF_TEST_FRAME_US - i * HF_TEST_FRAME_US);
  hf_test_frames (&s, 60);

  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_FREEZE), 1);
  ev = hf_test_event (&s, HF_PROBE_EVENT_FREEZE, 0);
  fail_unless (ABS (ev->duration_us - (stall - HF_TEST_MS
              (HF_PROBE_DEFAULT_BUFFER_MS) - HF_TEST_FRAME_US)) <=
      HF_TEST_FRAME_US, "freeze of %" G_GINT64_FORMAT " us", ev->duration_us);
  /* Late, not lost. */
  fail_unless_equals_int (ev->count, 0);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_FRAMES_LOST), 0);
  hf_test_stream_clear (&s);
}

GST_END_TEST;

/* Without a buffer, a 500 ms arrival gap is a 500 ms freeze, less the
 * interval the last picture was due anyway. */
GST_START_TEST (test_arrival_gap_without_buffer)
{
  HfTestStream s;
  const HfProbeEvent *ev;

  hf_test_stream_init (&s, 0);
  hf_test_frames (&s, 60);
  hf_test_frame (&s, HF_TEST_MS (500) - HF_TEST_FRAME_US);
  hf_test_frames (&s, 30);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_FREEZE), 1);
  ev = hf_test_event (&s, HF_PROBE_EVENT_FREEZE, 0);
  fail_unless (ABS (ev->duration_us - HF_TEST_MS (500)) <= HF_TEST_FRAME_US,
      "freeze of %" G_GINT64_FORMAT " us", ev->duration_us);
  hf_test_stream_clear (&s);
}

GST_END_TEST;

/* A viewer joins: the relay sends its GOP cache (a second of older frames)
 * in one burst.  The buffer then is the one asked for, not a second more:
 * a 300 ms stall later still shows. */
GST_START_TEST (test_join_burst_does_not_deepen_the_buffer)
{
  HfTestStream s;
  guint i;

  hf_test_stream_init (&s, HF_PROBE_DEFAULT_BUFFER_MS);
  /* 30 frames, the oldest a second old, the newest live, all arriving
   * when the newest is made. */
  for (i = 0; i < 30; i++)
    hf_test_frame (&s, (29 - (gint64) i) * HF_TEST_FRAME_US);
  hf_test_frames (&s, 150);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_FREEZE), 0);
  for (i = 0; i < 9; i++)
    hf_test_frame (&s, HF_TEST_MS (300) - (i + 1) * HF_TEST_FRAME_US);
  hf_test_frames (&s, 30);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_FREEZE), 1);
  hf_test_stream_clear (&s);
}

GST_END_TEST;

/* Stuck, one picture, stuck again: the viewer saw no recovery.  One
 * freeze, of both stalls, from when the first began. */
GST_START_TEST (test_freeze_broken_by_one_picture_is_one)
{
  HfTestStream s;
  const HfProbeEvent *ev;
  gint64 first_start;

  hf_test_stream_init (&s, HF_PROBE_DEFAULT_BUFFER_MS);
  hf_test_frames (&s, 60);
  first_start = s.arrival + HF_TEST_MS (HF_PROBE_DEFAULT_BUFFER_MS);
  hf_test_skip (&s, 10);
  hf_test_frames (&s, 1);
  hf_test_skip (&s, 5);
  hf_test_frames (&s, 30);
  /* Two pictures between two stalls are a recovery. */
  hf_test_skip (&s, 3);
  hf_test_frames (&s, 2);
  hf_test_skip (&s, 3);
  hf_test_frames (&s, 30);

  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_FREEZE), 3);
  ev = hf_test_event (&s, HF_PROBE_EVENT_FREEZE, 0);
  fail_unless (ABS (ev->start_us - first_start) <= 2);
  fail_unless (ABS (ev->duration_us - 15 * HF_TEST_FRAME_US) <= 15);
  fail_unless_equals_int (ev->count, 15);
  fail_unless (ABS (hf_test_event (&s, HF_PROBE_EVENT_FREEZE, 1)->duration_us
          - 3 * HF_TEST_FRAME_US) <= 3);
  fail_unless_equals_int (hf_test_summary (&s).freezes, 3);
  hf_test_stream_clear (&s);
}

GST_END_TEST;

GST_START_TEST (test_backwards_pts_is_reported_without_freeze)
{
  HfTestStream s;
  const HfProbeEvent *ev;
  HfProbeSummary sum;

  hf_test_stream_init (&s, HF_PROBE_DEFAULT_BUFFER_MS);
  hf_test_frames (&s, 100);
  s.pts -= 1000 * G_GINT64_CONSTANT (1000000);
  hf_test_frames (&s, 100);

  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_BACKWARDS), 1);
  ev = hf_test_event (&s, HF_PROBE_EVENT_BACKWARDS, 0);
  /* From the last frame's PTS: a second back, less the frame's step. */
  fail_unless_equals_int64 (ev->pts_delta_ns,
      -1000 * G_GINT64_CONSTANT (1000000) + HF_TEST_FRAME_NS);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_FREEZE), 0);
  sum = hf_test_summary (&s);
  fail_unless_equals_int (sum.backwards, 1);
  fail_unless_equals_int (sum.pts_jumps, 0);
  fail_unless_equals_int (sum.interval_us, HF_TEST_FRAME_US);
  hf_test_stream_clear (&s);
}

GST_END_TEST;

GST_START_TEST (test_small_backwards_step_is_reported)
{
  HfTestStream s;

  hf_test_stream_init (&s, HF_PROBE_DEFAULT_BUFFER_MS);
  hf_test_frames (&s, 30);
  s.pts -= 2 * HF_TEST_FRAME_NS;
  hf_test_frames (&s, 30);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_BACKWARDS), 1);
  fail_unless_equals_int64 (hf_test_event (&s, HF_PROBE_EVENT_BACKWARDS,
          0)->pts_delta_ns, -HF_TEST_FRAME_NS);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_FREEZE), 0);
  hf_test_stream_clear (&s);
}

GST_END_TEST;

/* A timestamp leap with frames still coming at their pace is a
 * discontinuity, not a ten-second wait. */
GST_START_TEST (test_forward_leap_is_a_discontinuity)
{
  HfTestStream s;

  hf_test_stream_init (&s, HF_PROBE_DEFAULT_BUFFER_MS);
  hf_test_frames (&s, 30);
  s.pts += 10 * GST_SECOND;
  hf_test_frames (&s, 30);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_PTS_JUMP), 1);
  fail_unless (hf_test_event (&s, HF_PROBE_EVENT_PTS_JUMP,
          0)->pts_delta_ns > 10 * GST_SECOND);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_FREEZE), 0);
  fail_unless_equals_int (hf_test_summary (&s).pts_jumps, 1);
  hf_test_stream_clear (&s);
}

GST_END_TEST;

GST_START_TEST (test_resolution_change_is_reported)
{
  HfTestStream s;
  const HfProbeEvent *ev;

  hf_test_stream_init (&s, HF_PROBE_DEFAULT_BUFFER_MS);
  s.width = 640;
  s.height = 360;
  hf_test_frames (&s, 30);
  s.width = 1920;
  s.height = 1080;
  hf_test_frames (&s, 30);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_RESOLUTION), 1);
  ev = hf_test_event (&s, HF_PROBE_EVENT_RESOLUTION, 0);
  fail_unless_equals_int (ev->old_width, 640);
  fail_unless_equals_int (ev->old_height, 360);
  fail_unless_equals_int (hf_test_summary (&s).resolution_changes, 1);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_FREEZE), 0);
  hf_test_stream_clear (&s);
}

GST_END_TEST;

/* A failover between two pushers started together: the backup's counter
 * runs 5 frames ahead of where the primary's would be.  That is another
 * source (its mark says so), not 20 lost frames. */
GST_START_TEST (test_pusher_with_a_close_counter_is_a_source_change)
{
  HfTestStream s;

  hf_test_stream_init (&s, HF_PROBE_DEFAULT_BUFFER_MS);
  s.source = 7;
  s.counter = 1000;
  hf_test_frames (&s, 30);
  hf_test_skip (&s, 15);        /* the primary's frames that never came */
  s.source = 9;
  s.counter += 5;
  hf_test_frames (&s, 30);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_SOURCE_CHANGE), 1);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_FRAMES_LOST), 0);
  fail_unless_equals_int (hf_test_summary (&s).live_frames_lost, 0);
  hf_test_stream_clear (&s);

  /* The same pusher with the same gap: 15 frames lost. */
  hf_test_stream_init (&s, HF_PROBE_DEFAULT_BUFFER_MS);
  s.source = 7;
  hf_test_frames (&s, 30);
  hf_test_skip (&s, 15);
  hf_test_frames (&s, 30);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_SOURCE_CHANGE), 0);
  fail_unless_equals_int (hf_test_summary (&s).live_frames_lost, 15);
  hf_test_stream_clear (&s);
}

GST_END_TEST;

/* A timestamp that steps back on a frame that is late (but within the
 * buffer) is reported, and is not a freeze: the player carries on. */
GST_START_TEST (test_backwards_step_on_a_late_frame_is_no_freeze)
{
  HfTestStream s;

  hf_test_stream_init (&s, HF_PROBE_DEFAULT_BUFFER_MS);
  hf_test_frames (&s, 60);
  s.pts -= 3 * HF_TEST_FRAME_NS;
  hf_test_frame (&s, HF_TEST_MS (120));
  hf_test_frames (&s, 30);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_BACKWARDS), 1);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_FREEZE), 0);
  hf_test_stream_clear (&s);
}

GST_END_TEST;

/* The 24-bit counter wraps after 6 days: not a new source. */
GST_START_TEST (test_counter_wrap_is_not_a_source_change)
{
  HfTestStream s;

  hf_test_stream_init (&s, HF_PROBE_DEFAULT_BUFFER_MS);
  s.source = 3;
  s.counter = HF_MARK_COUNTER_MASK - 10;
  hf_test_frames (&s, 30);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_SOURCE_CHANGE), 0);
  fail_unless_equals_int (hf_test_summary (&s).live_frames_lost, 0);
  hf_test_stream_clear (&s);
}

GST_END_TEST;

/* Live, the slate (the pusher died), live again from a new pusher. */
GST_START_TEST (test_live_slate_live)
{
  HfTestStream s;
  const HfProbeEvent *ev;
  HfProbeSummary sum;
  gint64 slate_at, live_at;

  hf_test_stream_init (&s, HF_PROBE_DEFAULT_BUFFER_MS);
  s.counter = 1000;
  hf_test_frames (&s, 60);
  slate_at = s.arrival + HF_TEST_MS (HF_PROBE_DEFAULT_BUFFER_MS);
  s.kind = HF_MARK_SLATE;
  s.counter = 0;
  hf_test_frames (&s, 90);
  live_at = s.arrival + HF_TEST_MS (HF_PROBE_DEFAULT_BUFFER_MS);
  s.kind = HF_MARK_LIVE;
  s.counter = 0;                /* a new hf-push counts from 0 */
  hf_test_frames (&s, 60);

  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_SCREEN), 3);
  ev = hf_test_event (&s, HF_PROBE_EVENT_SCREEN, 1);
  fail_unless_equals_int (ev->from, HF_PROBE_SCREEN_LIVE);
  fail_unless_equals_int (ev->to, HF_PROBE_SCREEN_SLATE);
  fail_unless_equals_int64 (ev->start_us, slate_at);
  ev = hf_test_event (&s, HF_PROBE_EVENT_SCREEN, 2);
  fail_unless_equals_int (ev->from, HF_PROBE_SCREEN_SLATE);
  fail_unless_equals_int (ev->to, HF_PROBE_SCREEN_LIVE);
  fail_unless_equals_int64 (ev->start_us, live_at);
  /* A new pusher, not 1060 frames lost. */
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_SOURCE_CHANGE), 1);
  fail_unless_equals_int (hf_test_event (&s, HF_PROBE_EVENT_SOURCE_CHANGE,
          0)->old_counter, 1059);
  sum = hf_test_summary (&s);
  fail_unless_equals_int (sum.live_frames_lost, 0);
  fail_unless_equals_int (sum.screen_frames[HF_PROBE_SCREEN_LIVE], 120);
  fail_unless_equals_int (sum.screen_frames[HF_PROBE_SCREEN_SLATE], 90);
  /* Timestamps in whole microseconds: within a microsecond a frame. */
  fail_unless (ABS (sum.screen_us[HF_PROBE_SCREEN_SLATE] - 90 *
          HF_TEST_FRAME_US) <= 90);
  hf_test_stream_clear (&s);
}

GST_END_TEST;

/* One picture whose mark did not survive is counted, but is no screen
 * change; a clip without marks is "other". */
GST_START_TEST (test_other_needs_two_pictures)
{
  HfTestStream s;

  hf_test_stream_init (&s, HF_PROBE_DEFAULT_BUFFER_MS);
  hf_test_frames (&s, 30);
  s.kind = HF_MARK_NONE;
  hf_test_frames (&s, 1);
  s.kind = HF_MARK_LIVE;
  hf_test_frames (&s, 30);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_SCREEN), 1);
  fail_unless_equals_int (hf_test_summary (&s).screen_frames
      [HF_PROBE_SCREEN_OTHER], 1);
  /* The counter went on under the damaged picture: nothing lost. */
  fail_unless_equals_int (hf_test_summary (&s).live_frames_lost, 0);

  s.kind = HF_MARK_NONE;
  hf_test_frames (&s, 30);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_SCREEN), 2);
  fail_unless_equals_int (hf_test_event (&s, HF_PROBE_EVENT_SCREEN, 1)->to,
      HF_PROBE_SCREEN_OTHER);
  fail_unless_equals_int (hf_test_summary (&s).screen, HF_PROBE_SCREEN_OTHER);
  hf_test_stream_clear (&s);
}

GST_END_TEST;

/* The relay skipped live frames but kept its timeline continuous: frames
 * lost, and no freeze. */
GST_START_TEST (test_counter_gap_is_frames_lost)
{
  HfTestStream s;
  const HfProbeEvent *ev;

  hf_test_stream_init (&s, HF_PROBE_DEFAULT_BUFFER_MS);
  hf_test_frames (&s, 30);
  s.counter += 5;
  hf_test_frames (&s, 30);
  s.counter += 1;
  hf_test_frames (&s, 30);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_FRAMES_LOST), 2);
  ev = hf_test_event (&s, HF_PROBE_EVENT_FRAMES_LOST, 0);
  fail_unless_equals_int (ev->count, 5);
  fail_unless_equals_int (ev->old_counter, 29);
  fail_unless_equals_int (hf_test_event (&s, HF_PROBE_EVENT_FRAMES_LOST,
          1)->count, 1);
  fail_unless_equals_int (hf_test_summary (&s).live_frames_lost, 6);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_FREEZE), 0);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_SOURCE_CHANGE), 0);
  hf_test_stream_clear (&s);
}

GST_END_TEST;

/* A counter further ahead than the time since the last live frame allows
 * is another pusher that has been running for a while. */
GST_START_TEST (test_far_counter_jump_is_a_source_change)
{
  HfTestStream s;

  hf_test_stream_init (&s, HF_PROBE_DEFAULT_BUFFER_MS);
  hf_test_frames (&s, 30);
  s.counter += 100000;
  hf_test_frames (&s, 30);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_SOURCE_CHANGE), 1);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_FRAMES_LOST), 0);
  fail_unless_equals_int (hf_test_summary (&s).source_changes, 1);

  /* A slate of 10 s in between: the same pusher, 300 frames further on,
   * is not a new one (its frames were lost to the viewer). */
  s.kind = HF_MARK_SLATE;
  hf_test_frames (&s, 300);
  s.kind = HF_MARK_LIVE;
  hf_test_frames (&s, 30);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_SOURCE_CHANGE), 1);
  fail_unless_equals_int (hf_test_event (&s, HF_PROBE_EVENT_FRAMES_LOST,
          0)->count, 300);
  hf_test_stream_clear (&s);
}

GST_END_TEST;

/* The probe reconnects: the relay starts it again at its GOP cache, frames
 * it has seen.  A replay, not a new pusher; what it missed while away is
 * lost. */
GST_START_TEST (test_reconnect_replay_is_not_a_source_change)
{
  HfTestStream s;
  const HfProbeEvent *ev;

  hf_test_stream_init (&s, HF_PROBE_DEFAULT_BUFFER_MS);
  hf_test_frames (&s, 100);
  /* Away for 2 s; back at a keyframe 20 frames before the last seen. */
  s.arrival += 2 * G_USEC_PER_SEC;
  s.counter -= 20;
  s.pts -= 20 * HF_TEST_FRAME_NS;
  s.reconnected = TRUE;
  /* The replay comes in a burst, then live frames after a gap of 10. */
  hf_test_frames (&s, 20);
  hf_test_skip (&s, 10);
  hf_test_frames (&s, 30);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_SOURCE_CHANGE), 0);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_FRAMES_LOST), 1);
  ev = hf_test_event (&s, HF_PROBE_EVENT_FRAMES_LOST, 0);
  fail_unless_equals_int (ev->count, 10);
  fail_unless_equals_int (ev->old_counter, 99);
  /* The viewer's picture stood still while the probe was away. */
  ev = hf_test_event (&s, HF_PROBE_EVENT_FREEZE, 0);
  fail_unless (ev->duration_us >= 2 * G_USEC_PER_SEC - HF_TEST_FRAME_US,
      "freeze of %" G_GINT64_FORMAT " us", ev->duration_us);
  /* A reconnection is no timestamp error. */
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_BACKWARDS), 0);
  hf_test_stream_clear (&s);
}

GST_END_TEST;

GST_START_TEST (test_latency_from_the_live_mark)
{
  HfTestStream s;
  HfProbeSummary sum;
  HfProbeFrame f = { 0, };
  guint i;

  hf_test_stream_init (&s, HF_PROBE_DEFAULT_BUFFER_MS);
  hf_test_frames (&s, 100);
  sum = hf_test_summary (&s);
  fail_unless_equals_int (sum.latency_samples, 100);
  fail_unless_equals_int (sum.latency_median_ms, 250);
  fail_unless_equals_int (sum.latency_p95_ms, 250);

  /* 1..100 ms: median 50, p95 95, max 100. */
  hf_probe_model_clear (&s.m);
  hf_probe_model_init (&s.m, 0);
  for (i = 1; i <= 100; i++) {
    f.arrival_us = HF_TEST_T0_US + i * HF_TEST_FRAME_US;
    f.pts_ns = HF_TEST_PTS0_NS + i * HF_TEST_FRAME_NS;
    f.width = 640;
    f.height = 360;
    f.mark.kind = HF_MARK_LIVE;
    f.mark.counter = i;
    f.mark.clock_ms = (guint32) (f.arrival_us / 1000 - i);
    hf_probe_model_push (&s.m, &f, NULL, NULL);
  }
  /* Another machine's clock: ignored. */
  f.mark.clock_ms += 3600 * 1000;
  hf_probe_model_push (&s.m, &f, NULL, NULL);
  sum = hf_test_summary (&s);
  fail_unless_equals_int (sum.latency_samples, 100);
  fail_unless_equals_int (sum.latency_median_ms, 50);
  fail_unless_equals_int (sum.latency_p95_ms, 95);
  fail_unless_equals_int (sum.latency_max_ms, 100);
  hf_test_stream_clear (&s);
}

GST_END_TEST;

GST_START_TEST (test_latency_across_the_clock_wrap)
{
  HfProbeModel m;
  HfProbeFrame f = { 0, };
  HfProbeSummary sum;

  /* 49.7 days of uptime: the mark's 32-bit clock wrapped, arrival did
   * not. */
  hf_probe_model_init (&m, 0);
  f.arrival_us = (G_GINT64_CONSTANT (1) << 32) * 1000 + 40000;
  f.pts_ns = 0;
  f.width = 320;
  f.height = 240;
  f.mark.kind = HF_MARK_LIVE;
  f.mark.clock_ms = G_MAXUINT32 - 9;    /* 50 ms before the arrival */
  hf_probe_model_push (&m, &f, NULL, NULL);
  hf_probe_model_get_summary (&m, &sum);
  fail_unless_equals_int (sum.latency_median_ms, 50);
  hf_probe_model_clear (&m);
}

GST_END_TEST;

/* A picture still stuck when the probe stops: reported as open, not
 * counted with the ended freezes. */
GST_START_TEST (test_open_freeze_at_the_end)
{
  HfTestStream s;
  const HfProbeEvent *ev;
  HfProbeSummary sum;
  gint64 last_shown;

  hf_test_stream_init (&s, HF_PROBE_DEFAULT_BUFFER_MS);
  hf_test_frames (&s, 30);
  last_shown = s.arrival - HF_TEST_FRAME_US + HF_TEST_MS
      (HF_PROBE_DEFAULT_BUFFER_MS);
  fail_unless_equals_int64 (hf_probe_model_overdue_us (&s.m, last_shown), 0);
  fail_unless (ABS (hf_probe_model_overdue_us (&s.m, last_shown +
              G_USEC_PER_SEC) - (G_USEC_PER_SEC - HF_TEST_FRAME_US)) <= 2);
  hf_probe_model_finish (&s.m, last_shown + G_USEC_PER_SEC, hf_test_on_event,
      &s);
  ev = hf_test_event (&s, HF_PROBE_EVENT_FREEZE, 0);
  fail_unless (ev->open);
  fail_unless (ABS (ev->duration_us - (G_USEC_PER_SEC - HF_TEST_FRAME_US)) <=
      2);
  sum = hf_test_summary (&s);
  fail_unless_equals_int (sum.freezes, 0);
  fail_unless_equals_int64 (sum.open_freeze_us, ev->duration_us);
  /* 30 pictures of 33.3 ms, the last one for a second. */
  fail_unless (ABS (sum.screen_us[HF_PROBE_SCREEN_LIVE] - (29 *
              HF_TEST_FRAME_US + G_USEC_PER_SEC)) <= 30);

  /* Stopping while the picture is fresh is no freeze. */
  hf_test_stream_clear (&s);
  hf_test_stream_init (&s, 0);
  hf_test_frames (&s, 30);
  hf_probe_model_finish (&s.m, s.arrival, hf_test_on_event, &s);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_FREEZE), 0);
  hf_test_stream_clear (&s);
}

GST_END_TEST;

/* The stream ended; the picture the demuxer held for lack of a next one
 * comes out only when the probe flushes, seconds later.  Its data was
 * there in time: no freeze before it. */
GST_START_TEST (test_flushed_picture_is_no_freeze)
{
  HfTestStream s;
  HfProbeFrame f = { 0, };

  hf_test_stream_init (&s, HF_PROBE_DEFAULT_BUFFER_MS);
  hf_test_frames (&s, 60);
  f.arrival_us = s.arrival + 3 * G_USEC_PER_SEC;
  f.pts_ns = s.pts;
  f.width = s.width;
  f.height = s.height;
  f.mark.kind = HF_MARK_LIVE;
  f.mark.counter = s.counter;
  f.flushed = TRUE;
  hf_probe_model_push (&s.m, &f, hf_test_on_event, &s);
  hf_probe_model_finish (&s.m, s.arrival + HF_TEST_MS (100),
      hf_test_on_event, &s);
  fail_unless_equals_int (hf_test_count (&s, HF_PROBE_EVENT_FREEZE), 0);
  fail_unless_equals_int (hf_test_summary (&s).frames, 61);
  fail_unless_equals_int (hf_test_summary (&s).live_frames_lost, 0);
  hf_test_stream_clear (&s);
}

GST_END_TEST;

/* Random streams: arrival jitter under the buffer and runs of missing
 * frames.  Every run of two or more missing frames is one freeze of that
 * many intervals (within one; two such runs with one picture between them
 * are one freeze, of both), and nothing else is. */
static gchar *
hf_test_random_sequence (guint32 seed)
{
  GRand *rand = g_rand_new_with_seed (seed);
  HfTestStream s;
  guint i, gaps = 0, lost = 0, expected_lost = 0, last_freeze = 0;
  gint64 jitter_max = HF_TEST_MS (g_rand_int_range (rand, 0, 120));
  gint64 buffer_ms = 150;
  gchar *violation = NULL;
  GArray *expected = g_array_new (FALSE, FALSE, sizeof (gint64));

  hf_test_stream_init (&s, buffer_ms);
  s.counter = g_rand_int (rand);
  for (i = 0; i < 600; i++) {
    if (i > 10 && g_rand_int_range (rand, 0, 40) == 0) {
      guint n = g_rand_int_range (rand, 1, 30);
      gint64 d = n * HF_TEST_FRAME_US;

      hf_test_skip (&s, n);
      expected_lost += n;
      if (n >= 2 && expected->len > 0 && last_freeze == i - 1)
        g_array_index (expected, gint64, expected->len - 1) += d;
      else if (n >= 2)
        g_array_append_val (expected, d);
      if (n >= 2)
        last_freeze = i;
    }
    hf_test_frame (&s, jitter_max > 0 ?
        g_rand_int_range (rand, 0, (gint32) jitter_max) : 0);
  }
  /* Reports what is held back; the last picture is not overdue yet. */
  hf_probe_model_finish (&s.m, s.arrival, hf_test_on_event, &s);

  for (i = 0; i < s.events->len && violation == NULL; i++) {
    const HfProbeEvent *ev = &g_array_index (s.events, HfProbeEvent, i);

    if (ev->type == HF_PROBE_EVENT_FREEZE) {
      if (gaps >= expected->len) {
        violation = g_strdup_printf ("an extra freeze of %" G_GINT64_FORMAT
            " us", ev->duration_us);
      } else if (ABS (ev->duration_us - g_array_index (expected, gint64,
                  gaps)) > HF_TEST_FRAME_US + jitter_max) {
        violation = g_strdup_printf ("freeze %u: %" G_GINT64_FORMAT " us for "
            "%" G_GINT64_FORMAT, gaps, ev->duration_us,
            g_array_index (expected, gint64, gaps));
      }
      gaps++;
    } else if (ev->type == HF_PROBE_EVENT_FRAMES_LOST) {
      lost += ev->count;
    } else if (ev->type != HF_PROBE_EVENT_SCREEN) {
      violation = g_strdup_printf ("unexpected event %d", ev->type);
    }
  }
  if (violation == NULL && gaps != expected->len)
    violation = g_strdup_printf ("%u freezes for %u gaps", gaps, expected->len);
  if (violation == NULL && lost != expected_lost)
    violation = g_strdup_printf ("%u frames lost, %u expected", lost,
        expected_lost);
  g_array_unref (expected);
  hf_test_stream_clear (&s);
  g_rand_free (rand);
  return violation;
}

GST_START_TEST (test_random_streams_keep_the_invariants)
{
  hf_test_run_sequences (0x9d0be, 200, hf_test_random_sequence);
}

GST_END_TEST;

static Suite *
hf_probe_model_suite (void)
{
  Suite *s = suite_create ("hf-probe-model");
  TCase *tc = tcase_create ("model");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_screen_names);
  tcase_add_test (tc, test_clean_cadence_with_jitter_has_no_freeze);
  tcase_add_test (tc, test_injected_500ms_freeze_is_measured);
  tcase_add_test (tc, test_300ms_stall_shows_with_the_default_buffer);
  tcase_add_test (tc, test_arrival_gap_without_buffer);
  tcase_add_test (tc, test_join_burst_does_not_deepen_the_buffer);
  tcase_add_test (tc, test_freeze_broken_by_one_picture_is_one);
  tcase_add_test (tc, test_backwards_pts_is_reported_without_freeze);
  tcase_add_test (tc, test_small_backwards_step_is_reported);
  tcase_add_test (tc, test_forward_leap_is_a_discontinuity);
  tcase_add_test (tc, test_resolution_change_is_reported);
  tcase_add_test (tc, test_live_slate_live);
  tcase_add_test (tc, test_pusher_with_a_close_counter_is_a_source_change);
  tcase_add_test (tc, test_counter_wrap_is_not_a_source_change);
  tcase_add_test (tc, test_backwards_step_on_a_late_frame_is_no_freeze);
  tcase_add_test (tc, test_other_needs_two_pictures);
  tcase_add_test (tc, test_counter_gap_is_frames_lost);
  tcase_add_test (tc, test_far_counter_jump_is_a_source_change);
  tcase_add_test (tc, test_reconnect_replay_is_not_a_source_change);
  tcase_add_test (tc, test_latency_from_the_live_mark);
  tcase_add_test (tc, test_latency_across_the_clock_wrap);
  tcase_add_test (tc, test_open_freeze_at_the_end);
  tcase_add_test (tc, test_flushed_picture_is_no_freeze);
  tcase_add_test (tc, test_random_streams_keep_the_invariants);
  return s;
}

GST_CHECK_MAIN (hf_probe_model);
