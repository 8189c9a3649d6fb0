/* The simulator and checker shared by the selection point's unit tests
 * (test-switch.c, test-switch-property.c): it plays each input of an
 * HfSwitch (failover/hf-switch.c) as a live pusher with time passed in,
 * calls hf_switch_push () at each unit's arrival time and hf_switch_tick ()
 * every 10 ms, records every unit of the program and every event, and
 * checks every output unit against the program's invariants (see
 * switch-sim.h for the payload and what the checker asserts).
 *
 * Single-threaded: the test's thread (a Check test function, in Check's
 * forked child) calls every function here, and the switch's output and
 * event callbacks run on that same thread, inside hf_switch_push (),
 * hf_switch_tick () and the other hf_switch_* calls.
 */
#include "switch-sim.h"

#include <string.h>

/* ---- The simulator ------------------------------------------------------- */

static void G_GNUC_PRINTF (2, 3)
hf_test_violation (HfTest * t, const gchar * format, ...)
{
  va_list args;
  gchar *msg;

  if (t->violation)
    return;
  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  t->violation = g_strdup_printf ("at program time %" GST_TIME_FORMAT ": %s",
      GST_TIME_ARGS (t->now), msg);
  g_free (msg);
}

/* Called with the switch's lock held: record and check only. */
static void
hf_test_check_unit (HfTest * t, const HfTestOut * o)
{
  if ((o->source == HF_SWITCH_SLATE) != (o->tag == HF_TEST_SLATE_TAG) ||
      (o->source >= 0 && (guint) o->source != o->tag)) {
    hf_test_violation (t, "unit of input %u handed out as input %d", o->tag,
        o->source);
    return;
  }
  if (o->kind == HF_MEDIA_VIDEO) {
    GstClockTime order = GST_CLOCK_TIME_IS_VALID (o->dts) ? o->dts : o->pts;
    gboolean new_run;

    if (t->have_v && order <= t->last_v.dts)
      hf_test_violation (t, "video DTS %" GST_TIME_FORMAT " after %"
          GST_TIME_FORMAT, GST_TIME_ARGS (order),
          GST_TIME_ARGS (t->last_v.dts));
    new_run = !t->have_v || o->discont || o->tag != t->last_v.tag ||
        o->epoch != t->last_v.epoch;
    if (new_run && !o->keyframe)
      hf_test_violation (t, "first video unit of a take (input %d frame %"
          G_GUINT64_FORMAT ") is not a keyframe", o->source, o->frame);
    else if (!new_run && !o->keyframe && o->frame != t->last_v.frame + 1)
      hf_test_violation (t, "delta frame %" G_GUINT64_FORMAT " of input %d "
          "follows frame %" G_GUINT64_FORMAT ": its reference is missing",
          o->frame, o->source, t->last_v.frame);
    if (order > t->now + HF_TEST_MAX_LEAD)
      hf_test_violation (t, "video DTS %" GST_TIME_FORMAT " runs %"
          GST_TIME_FORMAT " ahead of the program clock (%" GST_TIME_FORMAT
          " allowed)", GST_TIME_ARGS (order), GST_TIME_ARGS (order - t->now),
          GST_TIME_ARGS (HF_TEST_MAX_LEAD));
    if (order > t->now)
      t->max_lead = MAX (t->max_lead, order - t->now);
    t->last_v = *o;
    t->last_v.dts = order;
    t->have_v = TRUE;
  } else {
    if (t->have_a && o->pts < t->last_a)
      hf_test_violation (t, "audio PTS %" GST_TIME_FORMAT " after %"
          GST_TIME_FORMAT, GST_TIME_ARGS (o->pts), GST_TIME_ARGS (t->last_a));
    t->last_a = o->pts;
    t->have_a = TRUE;
  }
}

static void
hf_test_on_output (HfMediaKind kind, gint input, GstBuffer * buffer,
    GstCaps * caps, gpointer user_data)
{
  HfTest *t = user_data;
  HfTestOut o = { 0 };
  guint8 p[8];

  if (gst_buffer_extract (buffer, 0, p, 8) != 8) {
    hf_test_violation (t, "a unit lost its payload");
    return;
  }
  if (!caps || !gst_structure_has_name (gst_caps_get_structure (caps, 0),
          kind == HF_MEDIA_VIDEO ? "video/x-h264" : "audio/mpeg"))
    hf_test_violation (t, "a unit came out without its caps");
  o.kind = kind;
  o.source = input;
  o.tag = p[0];
  o.epoch = p[1];
  if (p[2] != kind)
    hf_test_violation (t, "an audio unit came out as video or back");
  o.frame = GST_READ_UINT32_BE (p + 4);
  o.pts = GST_BUFFER_PTS (buffer);
  o.dts = GST_BUFFER_DTS (buffer);
  o.keyframe = kind == HF_MEDIA_VIDEO &&
      !GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  o.discont = GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DISCONT);
  o.out_now = t->now;
  hf_test_check_unit (t, &o);
  if (t->keep)
    g_array_append_val (t->outs, o);
}

static void
hf_test_on_event (const HfSwitchEvent * ev, gpointer user_data)
{
  HfTest *t = user_data;

  if (ev->reason[0] == '\0')
    hf_test_violation (t, "a %s event without a reason",
        hf_event_kind_to_string (ev->kind));
  if (ev->mono_us < t->last_event_us)
    hf_test_violation (t, "events out of time order");
  t->last_event_us = ev->mono_us;
  g_array_append_val (t->events, *ev);
}

HfTest *
hf_test_new (const HfSwitchConfig * config)
{
  HfTest *t = g_new0 (HfTest, 1);

  t->config = *config;
  t->sw = hf_switch_new (config, hf_test_on_output, hf_test_on_event, t);
  t->ticking = TRUE;
  t->next_tick = HF_TEST_TICK;
  t->next_counters = HF_TEST_COUNTERS_PERIOD;
  t->vcaps = gst_caps_from_string ("video/x-h264, stream-format=byte-stream, "
      "alignment=au");
  t->acaps = gst_caps_from_string ("audio/mpeg, mpegversion=4");
  gst_segment_init (&t->segment, GST_FORMAT_TIME);
  t->keep = TRUE;
  t->outs = g_array_new (FALSE, FALSE, sizeof (HfTestOut));
  t->events = g_array_new (FALSE, FALSE, sizeof (HfSwitchEvent));
  return t;
}

HfTest *
hf_test_new_default (guint n_inputs)
{
  HfSwitchConfig config;

  hf_switch_config_init (&config, n_inputs);
  return hf_test_new (&config);
}

void
hf_test_free (HfTest * t)
{
  hf_switch_free (t->sw);
  gst_caps_unref (t->vcaps);
  gst_caps_unref (t->acaps);
  g_array_unref (t->outs);
  g_array_unref (t->events);
  g_free (t->violation);
  g_free (t);
}

/* Input @i: a GOP of @gop frames, keyframes where (f + kf_shift) % gop is
 * 0, frame 0 at running time @base_rt arriving at program time 0.  Not up
 * yet. */
void
hf_test_source (HfTest * t, guint i, guint gop, guint kf_shift,
    GstClockTime base_rt, gboolean audio)
{
  HfTestSource *s = &t->src[i];

  memset (s, 0, sizeof (*s));
  s->configured = TRUE;
  s->gop = gop;
  s->kf_shift = kf_shift;
  s->base_rt = base_rt;
  s->audio = audio;
}

static GstClockTime
hf_test_video_arrival (const HfTestSource * s, guint64 f)
{
  return s->origin + f * HF_TEST_FRAME;
}

static GstClockTime
hf_test_audio_arrival (const HfTestSource * s, guint64 a)
{
  return s->origin + a * HF_TEST_AFRAME + HF_TEST_AUDIO_LAG;
}

/* Input @i starts delivering now, from the first frame due. */
void
hf_test_up (HfTest * t, guint i)
{
  HfTestSource *s = &t->src[i];
  GstClockTime since = t->now > s->origin ? t->now - s->origin : 0;

  s->up = TRUE;
  s->next_v = (since + HF_TEST_FRAME - 1) / HF_TEST_FRAME;
  s->next_a = since > HF_TEST_AUDIO_LAG ?
      (since - HF_TEST_AUDIO_LAG + HF_TEST_AFRAME - 1) / HF_TEST_AFRAME : 0;
}

void
hf_test_down (HfTest * t, guint i)
{
  t->src[i].up = FALSE;
}

/* Input @i starts a new session now: a new epoch and a new timeline. */
void
hf_test_new_session (HfTest * t, guint i, GstClockTime base_rt, guint kf_shift)
{
  HfTestSource *s = &t->src[i];

  s->epoch++;
  s->origin = t->now;
  s->base_rt = base_rt;
  s->kf_shift = kf_shift;
  s->next_v = s->next_a = 0;
  s->up = TRUE;
}

static gboolean
hf_test_is_keyframe (const HfTestSource * s, guint64 f)
{
  return (f + s->kf_shift) % s->gop == 0;
}

static GstBuffer *
hf_test_buffer (guint tag, guint epoch, HfMediaKind kind, guint64 frame)
{
  guint8 p[8] = { tag, epoch & 0xff, kind, 0 };

  GST_WRITE_UINT32_BE (p + 4, (guint32) frame);
  return gst_buffer_new_memdup (p, sizeof (p));
}

static void
hf_test_push (HfTest * t, guint i, HfMediaKind kind)
{
  HfTestSource *s = &t->src[i];
  GstBuffer *buf;
  GstSample *sample;

  if (kind == HF_MEDIA_VIDEO) {
    guint64 f = s->next_v++;

    buf = hf_test_buffer (i, s->epoch, kind, f);
    GST_BUFFER_DTS (buf) = s->base_rt + f * HF_TEST_FRAME;
    GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) + HF_TEST_REORDER;
    GST_BUFFER_DURATION (buf) = HF_TEST_FRAME;
    if (!hf_test_is_keyframe (s, f))
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  } else {
    guint64 a = s->next_a++;

    buf = hf_test_buffer (i, s->epoch, kind, a);
    GST_BUFFER_PTS (buf) = s->base_rt + a * HF_TEST_AFRAME;
    GST_BUFFER_DURATION (buf) = HF_TEST_AFRAME;
  }
  sample = gst_sample_new (buf, kind == HF_MEDIA_VIDEO ? t->vcaps : t->acaps,
      &t->segment, NULL);
  hf_switch_push (t->sw, i, s->epoch, kind, sample, HF_TEST_MONO (t->now),
      t->now);
  gst_sample_unref (sample);
  gst_buffer_unref (buf);
}

static void
hf_test_tick (HfTest * t)
{
  guint i;

  if (t->now >= t->next_counters) {
    for (i = 0; i < HF_TEST_MAX_INPUTS; i++) {
      HfTestSource *s = &t->src[i];
      guint lost = (guint) (HF_TEST_PACKETS * s->loss + 0.5);

      if (!s->up)
        continue;
      s->received += HF_TEST_PACKETS - lost;
      s->lost += lost;
      hf_switch_counters (t->sw, i, HF_TEST_MONO (t->now), s->received,
          s->lost, s->jitter_ms);
    }
    t->next_counters += HF_TEST_COUNTERS_PERIOD;
  }
  hf_switch_tick (t->sw, HF_TEST_MONO (t->now), t->now);
}

/* Plays every arrival and tick up to program time @until, in time order
 * (at one instant: inputs in index order, video before audio, then the
 * tick). */
void
hf_test_run_until (HfTest * t, GstClockTime until)
{
  for (;;) {
    GstClockTime next = GST_CLOCK_TIME_NONE;
    gint who = -1;
    HfMediaKind kind = HF_MEDIA_VIDEO;
    guint i;

    for (i = 0; i < HF_TEST_MAX_INPUTS; i++) {
      HfTestSource *s = &t->src[i];
      GstClockTime tv, ta;

      if (!s->configured || !s->up)
        continue;
      tv = hf_test_video_arrival (s, s->next_v);
      ta = s->audio ? hf_test_audio_arrival (s, s->next_a) :
          GST_CLOCK_TIME_NONE;
      if (tv < next) {
        next = tv;
        who = i;
        kind = HF_MEDIA_VIDEO;
      }
      if (ta < next) {
        next = ta;
        who = i;
        kind = HF_MEDIA_AUDIO;
      }
    }
    if (t->ticking && t->next_tick < next) {
      next = t->next_tick;
      who = -1;
    }
    if (next > until) {
      t->now = MAX (t->now, until);
      return;
    }
    t->now = MAX (t->now, next);
    if (who >= 0) {
      hf_test_push (t, who, kind);
    } else {
      hf_test_tick (t);
      t->next_tick += HF_TEST_TICK;
    }
  }
}

void
hf_test_assert_ok (HfTest * t)
{
  fail_if (t->violation != NULL, "%s", t->violation);
}

/* The index of the first recorded unit from @index on that @source sent
 * as @kind, or -1. */
gint
hf_test_find_out (HfTest * t, guint from, gint source, HfMediaKind kind)
{
  guint i;

  for (i = from; i < t->outs->len; i++) {
    HfTestOut *o = &g_array_index (t->outs, HfTestOut, i);

    if (o->source == source && o->kind == kind)
      return (gint) i;
  }
  return -1;
}

HfTestOut *
hf_test_out (HfTest * t, gint i)
{
  fail_unless (i >= 0 && (guint) i < t->outs->len, "no such output %d", i);
  return &g_array_index (t->outs, HfTestOut, i);
}

HfTestOut *
hf_test_last_out (HfTest * t, HfMediaKind kind)
{
  gint i;

  for (i = (gint) t->outs->len - 1; i >= 0; i--)
    if (hf_test_out (t, i)->kind == kind)
      return hf_test_out (t, i);
  fail ("no %s output", kind == HF_MEDIA_VIDEO ? "video" : "audio");
  return NULL;
}

/* The index of the first event from @from on of @kind (and, unless -2,
 * @from_input -> @to), or -1. */
gint
hf_test_find_event (HfTest * t, guint from, HfEventKind kind, gint ev_from,
    gint ev_to)
{
  guint i;

  for (i = from; i < t->events->len; i++) {
    HfSwitchEvent *ev = &g_array_index (t->events, HfSwitchEvent, i);

    if (ev->kind != kind)
      continue;
    if (ev_from != -2 && ev->from != ev_from)
      continue;
    if (ev_to != -2 && ev->to != ev_to)
      continue;
    return (gint) i;
  }
  return -1;
}

HfSwitchEvent *
hf_test_event (HfTest * t, gint i)
{
  fail_unless (i >= 0 && (guint) i < t->events->len, "no such event %d", i);
  return &g_array_index (t->events, HfSwitchEvent, i);
}

/* Takes (switch, revert, manual, slate on/off) recorded from @from on. */
guint
hf_test_count_takes (HfTest * t, guint from)
{
  guint i, n = 0;

  for (i = from; i < t->events->len; i++) {
    HfEventKind k = g_array_index (t->events, HfSwitchEvent, i).kind;

    if (k == HF_EVENT_SWITCH || k == HF_EVENT_REVERT || k == HF_EVENT_MANUAL
        || k == HF_EVENT_SLATE_ON)
      n++;
  }
  return n;
}

HfSwitchStats
hf_test_stats (HfTest * t)
{
  HfSwitchStats st;

  hf_switch_get_stats (t->sw, &st);
  return st;
}

/* A hand-made slate loop of @n_frames (an IDR, then deltas), with audio
 * when @audio; tagged HF_TEST_SLATE_TAG. */
static HfSlate *
hf_test_slate_new (guint n_frames, gboolean audio)
{
  HfSlate *slate = g_new0 (HfSlate, 1);
  guint i;

  slate->format.width = 1280;
  slate->format.height = 720;
  slate->format.fps_n = 25;
  slate->format.fps_d = 1;
  slate->video = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  for (i = 0; i < n_frames; i++) {
    GstBuffer *b = hf_test_buffer (HF_TEST_SLATE_TAG, 0, HF_MEDIA_VIDEO, i);

    GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) = i * HF_TEST_FRAME;
    GST_BUFFER_DURATION (b) = HF_TEST_FRAME;
    if (i > 0)
      GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_DELTA_UNIT);
    g_ptr_array_add (slate->video, b);
  }
  slate->video_caps = gst_caps_from_string ("video/x-h264, "
      "stream-format=byte-stream, alignment=au");
  slate->audio = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  if (audio) {
    for (i = 0; i < n_frames * 2; i++) {
      GstBuffer *b = hf_test_buffer (HF_TEST_SLATE_TAG, 0, HF_MEDIA_AUDIO, i);

      GST_BUFFER_PTS (b) = i * HF_TEST_AFRAME;
      GST_BUFFER_DURATION (b) = HF_TEST_AFRAME;
      g_ptr_array_add (slate->audio, b);
    }
    slate->format.audio_codec = g_intern_static_string ("audio/mpeg");
    slate->format.audio_rate = 48000;
    slate->format.audio_channels = 2;
    slate->audio_caps = gst_caps_from_string ("audio/mpeg, mpegversion=4");
  }
  slate->duration = n_frames * HF_TEST_FRAME;
  slate->refcount = 1;
  return slate;
}

void
hf_test_set_slate (HfTest * t, guint n_frames, gboolean audio)
{
  HfSlate *slate = hf_test_slate_new (n_frames, audio);

  hf_switch_set_slate (t->sw, slate);
  hf_slate_unref (slate);
}
