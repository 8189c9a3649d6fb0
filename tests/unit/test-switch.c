/* Unit tests of the selection point (failover/hf-switch.c), driven as the
 * relay drives it but with time passed in, through the simulator and
 * checker of switch-sim.c: each test plays a scenario (a primary that
 * dies, comes back, degrades, an operator's request, the slate, a new
 * session...) and checks what the program and the events did, on top of
 * the invariants the checker asserts on every output unit.  The random
 * sequences are in test-switch-property.c.
 *
 * Single-threaded: the switch's callbacks run on the test's thread.
 */
#include "switch-sim.h"

/* ---- Takes and failover -------------------------------------------------- */

GST_START_TEST (test_first_take_is_at_a_keyframe)
{
  HfTest *t = hf_test_new_default (1);
  HfSwitchStats st;
  HfTestOut *head;
  gint v, a;

  /* Joins mid-GOP: frames 0-14 are deltas, frame 15 (0.6 s) the first
   * keyframe. */
  hf_test_source (t, 0, 25, 10, 50 * GST_SECOND, TRUE);
  hf_test_up (t, 0);
  hf_test_run_until (t, HF_TEST_MS (590));
  fail_unless_equals_int (t->outs->len, 0);
  fail_unless_equals_int (hf_switch_get_on_air (t->sw), -1);

  hf_test_run_until (t, HF_TEST_MS (1000));
  v = hf_test_find_out (t, 0, 0, HF_MEDIA_VIDEO);
  head = hf_test_out (t, v);
  fail_unless_equals_int (v, 0);
  fail_unless_equals_uint64 (head->frame, 15);
  fail_unless (head->keyframe && head->discont);
  /* Nothing was sent before: it goes out at its own arrival time. */
  fail_unless_equals_uint64 (head->out_now, HF_TEST_MS (600));
  fail_unless_equals_uint64 (head->dts, HF_TEST_MS (600));
  fail_unless_equals_uint64 (head->pts, HF_TEST_MS (600) + HF_TEST_REORDER);
  /* Audio from the keyframe's time on, on the same offset. */
  a = hf_test_find_out (t, 0, 0, HF_MEDIA_AUDIO);
  fail_unless (a > v);
  fail_unless (hf_test_out (t, a)->pts >= head->dts);
  fail_unless_equals_uint64 (hf_test_out (t, a)->frame * HF_TEST_AFRAME +
      HF_TEST_MS (600) - 15 * HF_TEST_FRAME, hf_test_out (t, a)->pts);

  fail_unless_equals_int (hf_switch_get_on_air (t->sw), 0);
  st = hf_test_stats (t);
  fail_unless_equals_uint64 (st.switches, 1);
  fail_unless_equals_uint64 (st.failovers, 0);
  fail_unless_equals_uint64 (st.video_out, 11); /* frames 15-25 */
  fail_unless_equals_int (hf_test_find_event (t, 0, HF_EVENT_SWITCH, -1, 0), 1);
  hf_test_assert_ok (t);
  hf_test_free (t);
}

GST_END_TEST;

/* At the start of a show the pushers connect a moment apart: a backup that
 * is first does not take the air from a primary that turns up within the
 * input timeout; alone, it goes on air once that grace is over. */
GST_START_TEST (test_start_waits_briefly_for_the_primary)
{
  HfTest *t;
  gint e;

  t = hf_test_new_default (2);
  hf_test_source (t, 0, 25, 0, 0, TRUE);
  hf_test_source (t, 1, 25, 0, 100 * GST_SECOND, TRUE);
  hf_test_up (t, 1);
  hf_test_run_until (t, HF_TEST_MS (120));
  hf_test_up (t, 0);
  hf_test_run_until (t, HF_TEST_MS (2000));
  e = hf_test_find_event (t, 0, HF_EVENT_SWITCH, -1, 0);
  fail_unless (e >= 0, "the primary never went on air");
  fail_unless_equals_int (hf_test_find_event (t, 0, HF_EVENT_SWITCH, -1, 1),
      -1);
  fail_unless_equals_int (hf_switch_get_on_air (t->sw), 0);
  hf_test_assert_ok (t);
  hf_test_free (t);

  t = hf_test_new_default (2);
  hf_test_source (t, 1, 25, 0, 100 * GST_SECOND, TRUE);
  hf_test_up (t, 1);
  hf_test_run_until (t, HF_TEST_MS (1000));
  e = hf_test_find_event (t, 0, HF_EVENT_SWITCH, -1, 1);
  fail_unless (e >= 0, "the backup never went on air");
  /* Alive at 0 ms; the grace ends at the first tick after 250 ms, and the
   * take is from its cached GOP at once. */
  fail_unless (hf_test_event (t, e)->mono_us >=
      HF_TEST_MONO (HF_TEST_MS (250)));
  fail_unless (hf_test_event (t, e)->mono_us <=
      HF_TEST_MONO (HF_TEST_MS (270)));
  hf_test_assert_ok (t);
  hf_test_free (t);
}

GST_END_TEST;

/* Primary (keyframes every second) and backup (another timeline) up from
 * 0; the primary delivers its last frame at 3.0 s. */
static HfTest *
hf_test_primary_dies_at_3s (guint backup_kf_shift)
{
  HfTest *t = hf_test_new_default (2);

  hf_test_source (t, 0, 25, 0, 0, TRUE);
  hf_test_source (t, 1, 25, backup_kf_shift, 100 * GST_SECOND, TRUE);
  hf_test_up (t, 0);
  hf_test_up (t, 1);
  hf_test_run_until (t, HF_TEST_MS (3000));
  hf_test_down (t, 0);
  return t;
}

/* The rule hf-switch.c squeezes a cached GOP by: its keyframe goes at
 * @first; its newest cached picture, @span after the keyframe in running
 * time and the @n-th picture, lands at the program time of the take @now,
 * unless that would space the pictures less than the floor apart or make
 * them slower than their own pace.  Returns that picture's output time. */
static GstClockTime
hf_test_squeeze_end (GstClockTime first, GstClockTime span, guint n,
    GstClockTime now)
{
  return MIN (first + span, MAX (now, first + (n - 1) * HF_TEST_MIN_STEP));
}

/* The output time of a cached time @since after the keyframe's DTS (in
 * running time): linear from @first to @end over the @span, at its own
 * pace after it. */
static GstClockTime
hf_test_squeezed (GstClockTime since, GstClockTime span, GstClockTime first,
    GstClockTime end)
{
  if (since > span)
    return end + (since - span);
  return first + gst_util_uint64_scale (since, end - first, span);
}

GST_START_TEST (test_lost_primary_fails_over_from_backup_gop_cache_at_once)
{
  HfTest *t;
  HfTestOut *last, *o;
  HfSwitchStats st;
  GstClockTime take = HF_TEST_MS (3260), kf_at, span, end;
  guint64 frame = 0;
  gint e, b, i;

  /* The backup's last keyframe (frame 63) arrived at 2.52 s, before the
   * primary died: its GOP is taken at once, from right after the
   * primary's last frame, with its pictures squeezed so that the newest
   * (frame 81, arrived 3.24 s) goes out at the take's time, not 0.72 s
   * later. */
  t = hf_test_primary_dies_at_3s (12);
  hf_test_run_until (t, HF_TEST_MS (4000));
  e = hf_test_find_event (t, 0, HF_EVENT_SWITCH, 0, 1);
  /* LOST when the last packet is more than 250 ms old: the 3.26 s tick. */
  fail_unless_equals_int64 (hf_test_event (t, e)->mono_us, HF_TEST_MONO (take));
  fail_unless_equals_string (hf_test_event (t, e)->reason,
      "the on-air input is lost");
  b = hf_test_find_out (t, 0, 1, HF_MEDIA_VIDEO);
  for (i = b - 1; hf_test_out (t, i)->kind != HF_MEDIA_VIDEO; i--);
  last = hf_test_out (t, i);
  o = hf_test_out (t, b);
  fail_unless (last->source == 0 && last->frame == 75);
  fail_unless_equals_uint64 (last->dts, HF_TEST_MS (3000));
  fail_unless (o->keyframe && o->discont);
  fail_unless_equals_uint64 (o->frame, 63);
  fail_unless_equals_uint64 (o->dts, last->dts + HF_TEST_FRAME);
  fail_unless_equals_uint64 (o->out_now, take);
  /* The cached GOP (frames 63-81, 0.72 s of pictures) goes out at once in
   * the 0.22 s from the keyframe's place to now; live frames follow at
   * their own pace on one offset, from the newest cached picture's. */
  kf_at = last->dts + HF_TEST_FRAME;
  span = 18 * HF_TEST_FRAME;
  end = hf_test_squeeze_end (kf_at, span, 19, take);
  fail_unless_equals_uint64 (end, take);
  for (i = b; i < (gint) t->outs->len; i++) {
    HfTestOut *u = hf_test_out (t, i);
    GstClockTime since;

    if (u->kind != HF_MEDIA_VIDEO)
      continue;
    fail_unless_equals_int (u->source, 1);
    fail_unless_equals_uint64 (u->frame, frame ? frame + 1 : 63);
    frame = u->frame;
    since = (u->frame - 63) * HF_TEST_FRAME;
    if (u->frame <= 81) {
      fail_unless_equals_uint64 (u->out_now, take);
      fail_unless_equals_uint64 (u->dts, hf_test_squeezed (since, span,
              kf_at, end));
      fail_unless_equals_uint64 (u->pts, hf_test_squeezed (since +
              HF_TEST_REORDER, span, kf_at, end));
    } else {
      fail_unless_equals_uint64 (u->out_now, u->frame * HF_TEST_FRAME);
      fail_unless_equals_uint64 (u->dts, end + (u->frame - 81) * HF_TEST_FRAME);
      fail_unless_equals_uint64 (u->pts, u->dts + HF_TEST_REORDER);
    }
  }
  fail_unless_equals_uint64 (frame, 100);
  /* Frame 64 is 40 ms after the keyframe in its own time, 12.2 ms after
   * it on the output. */
  fail_unless_equals_uint64 (hf_test_out (t, hf_test_find_out (t, b + 1, 1,
              HF_MEDIA_VIDEO))->dts, kf_at + 12222222);
  st = hf_test_stats (t);
  fail_unless_equals_uint64 (st.failovers, 1);
  fail_unless_equals_uint64 (st.gop_takes, 2);
  fail_unless_equals_uint64 (st.squeezed_takes, 1);
  fail_unless_equals_int (st.on_air, 1);
  /* Frame 81 arrived at 3.24 s and went out at 3.26 s: the live frames
   * after it run the 20 ms between its arrival and the take's tick ahead
   * of the clock (half a frame), where playing the GOP at its own pace
   * put them 0.52 s ahead.  Frame 100, arrived 4.0 s, went out at
   * 4.02 s. */
  fail_unless_equals_uint64 (t->max_lead, HF_TEST_MS (20));
  fail_unless_equals_int64 (st.output_lead_us, 20 * 1000);
  hf_test_assert_ok (t);
  hf_test_free (t);

  /* The backup's keyframe (frame 78) arrived at 3.12 s, after the primary
   * died: it is younger than the gap it fills, so the GOP is not squeezed
   * but goes out at its own pace from the keyframe's arrival time, which
   * shows the real gap and adds no lead. */
  t = hf_test_primary_dies_at_3s (22);
  hf_test_run_until (t, HF_TEST_MS (4000));
  b = hf_test_find_out (t, 0, 1, HF_MEDIA_VIDEO);
  o = hf_test_out (t, b);
  fail_unless (o->keyframe && o->frame == 78);
  fail_unless_equals_uint64 (o->dts, HF_TEST_MS (3120));
  fail_unless_equals_uint64 (o->out_now, take);
  for (i = b; i < (gint) t->outs->len; i++) {
    HfTestOut *u = hf_test_out (t, i);

    if (u->kind != HF_MEDIA_VIDEO)
      continue;
    fail_unless_equals_uint64 (u->dts, u->frame * HF_TEST_FRAME);
    fail_unless_equals_uint64 (u->pts, u->dts + HF_TEST_REORDER);
  }
  fail_unless_equals_uint64 (hf_test_last_out (t, HF_MEDIA_VIDEO)->frame, 100);
  st = hf_test_stats (t);
  fail_unless_equals_uint64 (st.gop_takes, 2);
  fail_unless_equals_uint64 (st.squeezed_takes, 0);
  fail_unless_equals_uint64 (t->max_lead, 0);
  fail_unless_equals_int64 (st.output_lead_us, 0);
  hf_test_assert_ok (t);
  hf_test_free (t);
}

GST_END_TEST;

GST_START_TEST (test_revert_waits_revert_after_and_a_live_keyframe)
{
  HfTest *t = hf_test_new_default (2);
  HfSwitchStats st;
  gint e, r, p, i;

  hf_test_source (t, 0, 25, 0, 0, FALSE);
  hf_test_source (t, 1, 25, 12, 100 * GST_SECOND, FALSE);
  hf_test_up (t, 0);
  hf_test_up (t, 1);
  hf_test_run_until (t, HF_TEST_MS (2000));
  hf_test_down (t, 0);
  hf_test_run_until (t, HF_TEST_MS (4200));
  fail_unless_equals_int (hf_switch_get_on_air (t->sw), 1);
  /* Back mid-GOP at 4.2 s: healthy at once, but not trusted before
   * revert-after (10 s), i.e. 14.2 s; its cached GOP (keyframe 14.0 s)
   * is not used then: the backup is fine, so the take waits for the next
   * live keyframe, 15.0 s. */
  hf_test_up (t, 0);
  hf_test_run_until (t, HF_TEST_MS (14990));
  fail_unless_equals_int (hf_switch_get_on_air (t->sw), 1);
  fail_unless_equals_int (hf_test_find_event (t, 0, HF_EVENT_REVERT, -2, -2),
      -1);
  hf_test_run_until (t, HF_TEST_MS (16000));
  fail_unless_equals_int (hf_switch_get_on_air (t->sw), 0);
  e = hf_test_find_event (t, 0, HF_EVENT_INPUT_STATE, HF_HEALTH_LOST,
      HF_HEALTH_HEALTHY);
  fail_unless_equals_int64 (hf_test_event (t, e)->mono_us,
      HF_TEST_MONO (HF_TEST_MS (4200)));
  r = hf_test_find_event (t, 0, HF_EVENT_REVERT, 1, 0);
  fail_unless_equals_int64 (hf_test_event (t, r)->mono_us,
      HF_TEST_MONO (HF_TEST_MS (15000)));
  fail_unless_equals_string (hf_test_event (t, r)->reason,
      "the primary has been healthy for revert-after-s");

  /* Nothing of the primary between its death and the revert; then its
   * live keyframe, frame 375. */
  for (i = 0, p = -1; i < (gint) t->outs->len; i++) {
    HfTestOut *o = hf_test_out (t, i);

    if (o->source == 0 && o->out_now > HF_TEST_MS (2000)) {
      p = i;
      break;
    }
  }
  fail_unless (hf_test_out (t, p)->keyframe);
  fail_unless_equals_uint64 (hf_test_out (t, p)->frame, 375);
  fail_unless_equals_uint64 (hf_test_out (t, p)->out_now, HF_TEST_MS (15000));
  st = hf_test_stats (t);
  fail_unless_equals_uint64 (st.reverts, 1);
  fail_unless_equals_uint64 (st.failovers, 1);
  fail_unless_equals_uint64 (st.switches, 3);
  hf_test_assert_ok (t);
  hf_test_free (t);
}

GST_END_TEST;

GST_START_TEST (test_degraded_on_air_yields_to_healthy)
{
  HfTest *t = hf_test_new_default (2);
  HfSwitchEvent *deg, *sw;
  HfSwitchStats st;
  gint d, s, h, r;

  hf_test_source (t, 0, 25, 0, 0, FALSE);
  hf_test_source (t, 1, 25, 12, 0, FALSE);
  hf_test_up (t, 0);
  hf_test_up (t, 1);
  hf_test_run_until (t, HF_TEST_MS (2000));
  /* 10 % loss from 2 s: over the 2 s window the ratio passes 5 % after
   * 11 lossy samples of 100 ms. */
  t->src[0].loss = 0.1;
  hf_test_run_until (t, HF_TEST_MS (3500));
  d = hf_test_find_event (t, 0, HF_EVENT_INPUT_STATE, HF_HEALTH_HEALTHY,
      HF_HEALTH_DEGRADED);
  deg = hf_test_event (t, d);
  fail_unless_equals_int (deg->input, 0);
  fail_unless (g_str_has_prefix (deg->reason, "loss "), "%s", deg->reason);
  fail_unless (deg->mono_us >= HF_TEST_MONO (HF_TEST_MS (3000)) &&
      deg->mono_us <= HF_TEST_MONO (HF_TEST_MS (3200)));
  /* The backup is stable: taken at once, in the same evaluation. */
  s = hf_test_find_event (t, 0, HF_EVENT_SWITCH, 0, 1);
  sw = hf_test_event (t, s);
  fail_unless_equals_int (s, d + 1);
  fail_unless_equals_int64 (sw->mono_us, deg->mono_us);
  fail_unless_equals_string (sw->reason, "the on-air input is degraded");
  fail_unless_equals_int (hf_switch_get_on_air (t->sw), 1);
  st = hf_test_stats (t);
  fail_unless_equals_uint64 (st.failovers, 1);
  fail_unless_equals_uint64 (st.gop_takes, 2);

  /* Clean again from 4 s: HEALTHY after a clean window, back on air
   * revert-after later, at a live keyframe. */
  t->src[0].loss = 0.0;
  hf_test_run_until (t, HF_TEST_MS (21000));
  h = hf_test_find_event (t, d, HF_EVENT_INPUT_STATE, HF_HEALTH_DEGRADED,
      HF_HEALTH_HEALTHY);
  r = hf_test_find_event (t, 0, HF_EVENT_REVERT, 1, 0);
  fail_unless (h > s && r > h);
  fail_unless (hf_test_event (t, r)->mono_us >= hf_test_event (t, h)->mono_us
      + 10 * G_USEC_PER_SEC);
  fail_unless (hf_test_event (t, r)->mono_us < hf_test_event (t, h)->mono_us
      + 11 * G_USEC_PER_SEC);
  fail_unless_equals_int (hf_switch_get_on_air (t->sw), 0);
  hf_test_assert_ok (t);
  hf_test_free (t);
}

GST_END_TEST;

GST_START_TEST (test_manual_request_done_pending_refused_auto)
{
  HfTest *t = hf_test_new_default (2);
  HfSwitchRequestResult r;
  gchar *msg = NULL;
  gint e, b, i;
  guint n_events;

  hf_test_source (t, 0, 25, 0, 0, FALSE);
  hf_test_source (t, 1, 25, 12, 0, FALSE);
  hf_test_up (t, 0);
  hf_test_up (t, 1);
  hf_test_run_until (t, HF_TEST_MS (2000));

  r = hf_switch_request (t->sw, 0, HF_TEST_MONO (t->now), t->now, &msg);
  fail_unless_equals_int (r, HF_SWITCH_REQUEST_ALREADY);
  fail_unless (msg && msg[0]);
  g_free (msg);

  /* The backup's GOP is cached: on air at once. */
  r = hf_switch_request (t->sw, 1, HF_TEST_MONO (t->now), t->now, &msg);
  fail_unless (r == HF_SWITCH_REQUEST_DONE, "%s: %s",
      hf_switch_request_result_to_string (r), msg);
  g_free (msg);
  fail_unless_equals_int (hf_switch_get_on_air (t->sw), 1);
  e = hf_test_find_event (t, 0, HF_EVENT_MANUAL, 0, 1);
  fail_unless_equals_string (hf_test_event (t, e)->reason,
      "the operator's choice");
  b = hf_test_find_out (t, 0, 1, HF_MEDIA_VIDEO);
  fail_unless (hf_test_out (t, b)->keyframe);
  fail_unless_equals_uint64 (hf_test_out (t, b)->frame, 38);
  fail_unless_equals_uint64 (hf_test_out (t, b)->out_now, HF_TEST_MS (2000));
  fail_unless_equals_uint64 (hf_test_stats (t).manual_switches, 1);
  /* Its 13 cached pictures (0.48 s of them) go out after the primary's
   * frame 50 (2.0 s), which left no gap to squeeze them into: they are
   * spaced by the 2 ms floor, frame 50 at 2.064 s, and live frames follow
   * it at their own pace. */
  fail_unless_equals_uint64 (hf_test_stats (t).squeezed_takes, 1);
  fail_unless_equals_uint64 (hf_test_squeeze_end (HF_TEST_MS (2040),
          12 * HF_TEST_FRAME, 13, HF_TEST_MS (2000)), HF_TEST_MS (2064));
  hf_test_run_until (t, HF_TEST_MS (2100));
  for (i = b; i < (gint) t->outs->len; i++) {
    HfTestOut *u = hf_test_out (t, i);
    GstClockTime since = (u->frame - 38) * HF_TEST_FRAME;

    fail_unless_equals_int (u->kind, HF_MEDIA_VIDEO);
    fail_unless_equals_uint64 (u->frame, 38 + (i - b));
    fail_unless_equals_uint64 (u->dts, hf_test_squeezed (since,
            12 * HF_TEST_FRAME, HF_TEST_MS (2040), HF_TEST_MS (2064)));
    fail_unless_equals_uint64 (u->pts, hf_test_squeezed (since +
            HF_TEST_REORDER, 12 * HF_TEST_FRAME, HF_TEST_MS (2040),
            HF_TEST_MS (2064)));
    if (u->frame <= 50)
      fail_unless_equals_uint64 (u->dts, HF_TEST_MS (2040) + (u->frame - 38) *
          HF_TEST_MIN_STEP);
  }
  fail_unless_equals_uint64 (hf_test_last_out (t, HF_MEDIA_VIDEO)->frame, 52);

  /* Pinned: a primary healthy for longer than revert-after stays off. */
  hf_test_run_until (t, HF_TEST_MS (15000));
  fail_unless_equals_int (hf_switch_get_on_air (t->sw), 1);
  fail_unless_equals_int (hf_test_find_event (t, 0, HF_EVENT_REVERT, -2, -2),
      -1);

  /* Unpinned: the ordinary rules revert at the primary's next keyframe. */
  r = hf_switch_request (t->sw, -1, HF_TEST_MONO (t->now), t->now, NULL);
  fail_unless_equals_int (r, HF_SWITCH_REQUEST_AUTO);
  hf_test_run_until (t, HF_TEST_MS (16500));
  e = hf_test_find_event (t, 0, HF_EVENT_REVERT, 1, 0);
  fail_unless_equals_int64 (hf_test_event (t, e)->mono_us,
      HF_TEST_MONO (HF_TEST_MS (16000)));

  /* The backup's pusher reconnects mid-GOP: nothing cached, so the
   * request waits for its keyframe (frame 12 of the new session). */
  hf_test_new_session (t, 1, 0, 13);
  hf_test_run_until (t, HF_TEST_MS (16700));
  r = hf_switch_request (t->sw, 1, HF_TEST_MONO (t->now), t->now, &msg);
  fail_unless (r == HF_SWITCH_REQUEST_PENDING, "%s: %s",
      hf_switch_request_result_to_string (r), msg);
  g_free (msg);
  fail_unless_equals_int (hf_switch_get_on_air (t->sw), 0);
  hf_test_run_until (t, HF_TEST_MS (17000));
  fail_unless_equals_int (hf_switch_get_on_air (t->sw), 1);
  e = hf_test_find_event (t, e, HF_EVENT_MANUAL, 0, 1);
  fail_unless_equals_int64 (hf_test_event (t, e)->mono_us,
      HF_TEST_MONO (16500 * GST_MSECOND + 12 * HF_TEST_FRAME));

  /* The primary goes silent; with no tick since, the request is the
   * first to notice: refused, and the health change is told. */
  hf_test_down (t, 0);
  t->ticking = FALSE;
  hf_test_run_until (t, HF_TEST_MS (17400));
  n_events = t->events->len;
  r = hf_switch_request (t->sw, 0, HF_TEST_MONO (t->now), t->now, &msg);
  fail_unless_equals_int (r, HF_SWITCH_REQUEST_REFUSED);
  fail_unless (strstr (msg, "lost") != NULL, "%s", msg);
  g_free (msg);
  e = hf_test_find_event (t, n_events, HF_EVENT_INPUT_STATE, HF_HEALTH_HEALTHY,
      HF_HEALTH_LOST);
  fail_unless (e >= 0, "the request hid input 0's death from the events");
  fail_unless_equals_int (hf_test_event (t, e)->input, 0);

  r = hf_switch_request (t->sw, 7, HF_TEST_MONO (t->now), t->now, &msg);
  fail_unless_equals_int (r, HF_SWITCH_REQUEST_REFUSED);
  g_free (msg);
  fail_unless_equals_int (hf_switch_get_on_air (t->sw), 1);
  hf_test_assert_ok (t);
  hf_test_free (t);
}

GST_END_TEST;

GST_START_TEST (test_manual_mode_never_fails_over_and_shows_slate)
{
  HfSwitchConfig config;
  HfTest *t;
  HfSwitchRequestResult r;
  gint e, i;

  hf_switch_config_init (&config, 2);
  config.mode = HF_FAILOVER_MANUAL;
  t = hf_test_new (&config);
  hf_test_set_slate (t, 15, FALSE);
  hf_test_source (t, 0, 25, 0, 0, FALSE);
  hf_test_source (t, 1, 25, 12, 0, FALSE);
  /* The backup first: manual mode puts input 0 on air, not the first
   * alive. */
  hf_test_up (t, 1);
  hf_test_run_until (t, HF_TEST_MS (500));
  fail_unless_equals_int (t->outs->len, 0);
  hf_test_up (t, 0);
  hf_test_run_until (t, HF_TEST_MS (2000));
  fail_unless_equals_int (hf_switch_get_on_air (t->sw), 0);
  hf_test_down (t, 0);
  hf_test_run_until (t, HF_TEST_MS (4000));
  /* Input 0 lost: the slate, never the backup. */
  e = hf_test_find_event (t, 0, HF_EVENT_SLATE_ON, 0, -1);
  fail_unless_equals_int64 (hf_test_event (t, e)->mono_us,
      HF_TEST_MONO (HF_TEST_MS (2260)));
  fail_unless_equals_int (hf_test_find_out (t, 0, 1, HF_MEDIA_VIDEO), -1);
  fail_unless (hf_test_find_out (t, 0, HF_SWITCH_SLATE, HF_MEDIA_VIDEO) >= 0);
  fail_unless (hf_test_stats (t).slate_on_air);

  r = hf_switch_request (t->sw, -1, HF_TEST_MONO (t->now), t->now, NULL);
  fail_unless_equals_int (r, HF_SWITCH_REQUEST_REFUSED);
  r = hf_switch_request (t->sw, 1, HF_TEST_MONO (t->now), t->now, NULL);
  fail_unless_equals_int (r, HF_SWITCH_REQUEST_DONE);
  fail_unless_equals_int (hf_switch_get_on_air (t->sw), 1);
  fail_unless (hf_test_find_event (t, e, HF_EVENT_SLATE_OFF, -1, 1) > e);
  fail_unless (hf_test_find_event (t, e, HF_EVENT_MANUAL, -1, 1) > e);

  /* The primary comes back for good: the operator's input stays. */
  hf_test_up (t, 0);
  hf_test_run_until (t, HF_TEST_MS (20000));
  fail_unless_equals_int (hf_switch_get_on_air (t->sw), 1);
  for (i = 0; i < (gint) t->events->len; i++) {
    HfSwitchEvent *ev = hf_test_event (t, i);

    fail_if (ev->kind == HF_EVENT_SWITCH || ev->kind == HF_EVENT_REVERT,
        "manual mode made an automatic %s", hf_event_kind_to_string (ev->kind));
  }
  hf_test_assert_ok (t);
  hf_test_free (t);
}

GST_END_TEST;

/* ---- The slate ----------------------------------------------------------- */

GST_START_TEST (test_slate_on_within_500ms_and_loops_monotonic)
{
  HfTest *t = hf_test_new_default (1);
  HfTestOut *head = NULL;
  HfSwitchStats st;
  guint i, n = 0, loops = 0;
  gint e;

  hf_test_set_slate (t, 15, TRUE);
  hf_test_source (t, 0, 25, 0, 0, TRUE);
  hf_test_up (t, 0);
  hf_test_run_until (t, HF_TEST_MS (2000));
  hf_test_down (t, 0);
  hf_test_run_until (t, HF_TEST_MS (6000));

  e = hf_test_find_event (t, 0, HF_EVENT_SLATE_ON, 0, -1);
  fail_unless (hf_test_event (t, e)->mono_us <= HF_TEST_MONO (HF_TEST_MS
          (2500)));
  fail_unless_equals_string (hf_test_event (t, e)->reason, "no input is alive");
  for (i = 0; i < t->outs->len; i++) {
    HfTestOut *o = hf_test_out (t, i);

    if (o->source != HF_SWITCH_SLATE || o->kind != HF_MEDIA_VIDEO)
      continue;
    if (!head) {
      head = o;
      /* On air within 500 ms of the last frame, at once, at the clock. */
      fail_unless (o->out_now <= HF_TEST_MS (2500));
      fail_unless (o->keyframe && o->discont && o->frame == 0);
      fail_unless_equals_uint64 (o->dts, o->out_now);
    }
    /* One loop after another, each frame one frame time after the one
     * before, paced by the clock (at most 40 ms ahead). */
    fail_unless_equals_uint64 (o->frame, n % 15);
    fail_unless_equals_uint64 (o->dts, head->dts + n * HF_TEST_FRAME);
    fail_unless (o->dts <= o->out_now + HF_TEST_MS (40));
    fail_unless (o->dts + HF_TEST_FRAME + HF_TEST_TICK >= o->out_now);
    if (o->frame == 0)
      loops++;
    n++;
  }
  fail_unless (loops >= 6, "%u loops", loops);
  /* Slate audio too, from the same start. */
  i = hf_test_find_out (t, 0, HF_SWITCH_SLATE, HF_MEDIA_AUDIO);
  fail_unless_equals_uint64 (hf_test_out (t, i)->pts, head->dts);
  st = hf_test_stats (t);
  fail_unless (st.slate_on_air);
  fail_unless_equals_uint64 (st.slate_frames_out, n);
  fail_unless_equals_uint64 (st.failovers, 1);
  fail_unless_equals_int64 (st.slate_us_total, HF_TEST_US (t->now -
          head->out_now));
  hf_test_assert_ok (t);
  hf_test_free (t);
}

GST_END_TEST;

GST_START_TEST (test_slate_replaced_by_live_at_first_keyframe)
{
  HfTest *t = hf_test_new_default (1);
  HfSwitchStats st;
  gint s, l, i;

  hf_test_set_slate (t, 15, TRUE);
  hf_test_source (t, 0, 25, 0, 0, TRUE);
  hf_test_up (t, 0);
  hf_test_run_until (t, HF_TEST_MS (2000));
  /* A 400 ms outage: lost at 2.26 s, back at 2.4 s mid-GOP (its cache
   * still holds the keyframe of 2.0 s, from before the gap: useless, the
   * frames in between never came). */
  hf_test_down (t, 0);
  hf_test_run_until (t, HF_TEST_MS (2400));
  s = hf_test_find_out (t, 0, HF_SWITCH_SLATE, HF_MEDIA_VIDEO);
  fail_unless (s >= 0);
  hf_test_up (t, 0);
  hf_test_run_until (t, HF_TEST_MS (4000));

  l = hf_test_find_out (t, s, 0, HF_MEDIA_VIDEO);
  fail_unless (hf_test_out (t, l)->keyframe);
  fail_unless_equals_uint64 (hf_test_out (t, l)->frame, 75);
  fail_unless_equals_uint64 (hf_test_out (t, l)->out_now, HF_TEST_MS (3000));
  for (i = l; i < (gint) t->outs->len; i++)
    fail_if (hf_test_out (t, i)->source == HF_SWITCH_SLATE,
        "slate after the live input came back");
  fail_unless (hf_test_out (t, l - 1)->source == HF_SWITCH_SLATE);
  i = hf_test_find_event (t, 0, HF_EVENT_SLATE_OFF, -1, 0);
  fail_unless_equals_int64 (hf_test_event (t, i)->mono_us,
      HF_TEST_MONO (HF_TEST_MS (3000)));
  st = hf_test_stats (t);
  fail_unless (!st.slate_on_air);
  fail_unless_equals_int (st.on_air, 0);
  fail_unless_equals_int64 (st.slate_us_total, 740 * 1000);
  hf_test_assert_ok (t);
  hf_test_free (t);
}

GST_END_TEST;

GST_START_TEST (test_no_slate_before_anything_was_on_air)
{
  HfTest *t = hf_test_new_default (2);
  HfSwitchStats st;

  hf_test_set_slate (t, 15, TRUE);
  /* Nothing at all, then an input that never sends a keyframe within its
   * life: never on air, so nothing is "paused". */
  hf_test_run_until (t, HF_TEST_MS (2000));
  hf_test_source (t, 0, 1000, 1, 0, TRUE);
  hf_test_up (t, 0);
  hf_test_run_until (t, HF_TEST_MS (3000));
  hf_test_down (t, 0);
  hf_test_run_until (t, HF_TEST_MS (6000));
  fail_unless_equals_int (t->outs->len, 0);
  fail_unless_equals_int (hf_test_find_event (t, 0, HF_EVENT_SLATE_ON, -2,
          -2), -1);
  fail_unless (hf_test_find_event (t, 0, HF_EVENT_INPUT_STATE,
          HF_HEALTH_HEALTHY, HF_HEALTH_LOST) >= 0);
  st = hf_test_stats (t);
  fail_unless_equals_uint64 (st.switches, 0);
  fail_unless (!st.slate_on_air);
  hf_test_assert_ok (t);
  hf_test_free (t);
}

GST_END_TEST;

GST_START_TEST (test_fallback_none_holds)
{
  HfSwitchConfig config;
  HfTest *t;
  HfSwitchEvent *ev;
  guint n_out;
  gint e, b;

  hf_switch_config_init (&config, 1);
  config.use_slate = FALSE;
  t = hf_test_new (&config);
  /* A slate is there, and still not used. */
  hf_test_set_slate (t, 15, TRUE);
  hf_test_source (t, 0, 25, 0, 0, TRUE);
  hf_test_up (t, 0);
  hf_test_run_until (t, HF_TEST_MS (2000));
  hf_test_down (t, 0);
  hf_test_run_until (t, HF_TEST_MS (2100));
  n_out = t->outs->len;
  hf_test_run_until (t, HF_TEST_MS (5000));
  fail_unless_equals_int (t->outs->len, n_out);
  e = hf_test_find_event (t, 0, HF_EVENT_SWITCH, 0, -1);
  ev = hf_test_event (t, e);
  fail_unless_equals_int64 (ev->mono_us, HF_TEST_MONO (HF_TEST_MS (2260)));
  fail_unless (strstr (ev->reason, "fallback = none: holding the last frame"),
      "%s", ev->reason);
  fail_unless_equals_int (hf_test_find_event (t, 0, HF_EVENT_SLATE_ON, -2,
          -2), -1);
  fail_unless_equals_uint64 (hf_test_stats (t).slate_frames_out, 0);
  fail_unless_equals_int (hf_switch_get_on_air (t->sw), -1);

  /* Back at a keyframe: on air at once, at the clock. */
  hf_test_up (t, 0);
  hf_test_run_until (t, HF_TEST_MS (5500));
  b = hf_test_find_out (t, n_out, 0, HF_MEDIA_VIDEO);
  fail_unless_equals_int (b, (gint) n_out);
  fail_unless (hf_test_out (t, b)->keyframe);
  fail_unless_equals_uint64 (hf_test_out (t, b)->dts, HF_TEST_MS (5000));
  fail_unless (hf_test_find_event (t, e, HF_EVENT_SWITCH, -1, 0) > e);
  hf_test_assert_ok (t);
  hf_test_free (t);

  /* use_slate but no slate ready: holds too, and says so. */
  hf_switch_config_init (&config, 1);
  t = hf_test_new (&config);
  hf_test_source (t, 0, 25, 0, 0, FALSE);
  hf_test_up (t, 0);
  hf_test_run_until (t, HF_TEST_MS (1000));
  hf_test_down (t, 0);
  hf_test_run_until (t, HF_TEST_MS (2000));
  ev = hf_test_event (t, hf_test_find_event (t, 0, HF_EVENT_SWITCH, 0, -1));
  fail_unless (strstr (ev->reason, "no slate ready yet"), "%s", ev->reason);
  hf_test_assert_ok (t);
  hf_test_free (t);
}

GST_END_TEST;

GST_START_TEST (test_epoch_change_retakes_at_keyframe)
{
  HfTest *t = hf_test_new_default (1);
  HfTestOut *last, *o;
  gint n, b;

  hf_test_source (t, 0, 25, 0, 5 * GST_SECOND, TRUE);
  hf_test_up (t, 0);
  hf_test_run_until (t, HF_TEST_MS (2020));
  last = hf_test_last_out (t, HF_MEDIA_VIDEO);
  fail_unless_equals_uint64 (last->frame, 50);
  /* The pusher reconnects: its timestamps start again from 0 (behind
   * where they were), mid-GOP: frames 0-9 are deltas. */
  hf_test_new_session (t, 0, 0, 15);
  n = t->outs->len;
  hf_test_run_until (t, 2020 * GST_MSECOND + 9 * HF_TEST_FRAME);
  fail_unless_equals_int (hf_test_find_out (t, n, 0, HF_MEDIA_VIDEO), -1);
  hf_test_run_until (t, HF_TEST_MS (3000));
  b = hf_test_find_out (t, n, 0, HF_MEDIA_VIDEO);
  o = hf_test_out (t, b);
  fail_unless (o->keyframe && o->discont);
  fail_unless_equals_uint64 (o->epoch, 1);
  fail_unless_equals_uint64 (o->frame, 10);
  /* At its own arrival time, after everything before. */
  fail_unless_equals_uint64 (o->dts, 2020 * GST_MSECOND + 10 * HF_TEST_FRAME);
  fail_unless (o->dts > last->dts);

  /* Again, starting at a keyframe: taken again at once. */
  hf_test_new_session (t, 0, 7 * GST_SECOND, 0);
  n = t->outs->len;
  hf_test_run_until (t, HF_TEST_MS (3500));
  o = hf_test_out (t, hf_test_find_out (t, n, 0, HF_MEDIA_VIDEO));
  fail_unless (o->keyframe && o->discont && o->epoch == 2 && o->frame == 0);
  fail_unless_equals_uint64 (o->out_now, HF_TEST_MS (3000));
  fail_unless_equals_int (hf_switch_get_on_air (t->sw), 0);
  hf_test_assert_ok (t);
  hf_test_free (t);
}

GST_END_TEST;

/* out - in of every unit of @source from @from on: one value for audio and
 * video alike. */
static void
hf_test_assert_one_offset (HfTest * t, guint from, gint source,
    GstClockTime base_rt)
{
  GstClockTimeDiff offset = 0;
  gboolean have = FALSE, audio = FALSE, video = FALSE;
  guint i;

  for (i = from; i < t->outs->len; i++) {
    HfTestOut *o = hf_test_out (t, i);
    GstClockTime in;
    GstClockTimeDiff d;

    if (o->source != source)
      continue;
    if (o->kind == HF_MEDIA_VIDEO) {
      in = base_rt + o->frame * HF_TEST_FRAME;
      d = GST_CLOCK_DIFF (in, o->dts);
      fail_unless_equals_int64 (GST_CLOCK_DIFF (in + HF_TEST_REORDER,
              o->pts), d);
      video = TRUE;
    } else {
      in = base_rt + o->frame * HF_TEST_AFRAME;
      d = GST_CLOCK_DIFF (in, o->pts);
      audio = TRUE;
    }
    if (!have)
      offset = d;
    have = TRUE;
    fail_unless_equals_int64 (d, offset);
  }
  fail_unless (audio && video);
}

GST_START_TEST (test_audio_follows_video_offset)
{
  HfTest *t = hf_test_primary_dies_at_3s (12);
  gint b, n, a, last_a = -1, i;
  HfTestOut *kf, *newest;

  hf_test_run_until (t, HF_TEST_MS (5000));
  b = hf_test_find_out (t, 0, 1, HF_MEDIA_VIDEO);
  kf = hf_test_out (t, b);
  /* The backup's cached GOP was squeezed (see
   * test_lost_primary_fails_over_from_backup_gop_cache_at_once): its
   * pictures have their own mapping up to the newest (frame 81), which
   * went out at the take's time; from it on, video and audio share one
   * offset. */
  fail_unless_equals_uint64 (hf_test_stats (t).squeezed_takes, 1);
  for (i = n = b; i < (gint) t->outs->len; i++)
    if (hf_test_out (t, i)->kind == HF_MEDIA_VIDEO &&
        hf_test_out (t, i)->out_now == kf->out_now)
      n = i;
  newest = hf_test_out (t, n);
  fail_unless_equals_uint64 (newest->frame, 81);
  fail_unless_equals_uint64 (newest->dts, kf->out_now);
  hf_test_assert_one_offset (t, 0, 0, 0);
  hf_test_assert_one_offset (t, n, 1, 100 * GST_SECOND);
  /* The backup's audio starts at the newest cached picture's time: the
   * cached audio of the squeezed moments is not played.  It follows the
   * primary's audio with no overlap. */
  a = hf_test_find_out (t, b, 1, HF_MEDIA_AUDIO);
  fail_unless (a > n);
  for (i = 0; i < b; i++)
    if (hf_test_out (t, i)->kind == HF_MEDIA_AUDIO)
      last_a = i;
  fail_unless (hf_test_out (t, a)->pts >= newest->dts);
  fail_unless (hf_test_out (t, a)->pts < newest->dts + HF_TEST_AFRAME);
  fail_unless (hf_test_out (t, a)->pts >= hf_test_out (t, last_a)->pts +
      HF_TEST_AFRAME);
  fail_unless (hf_test_out (t, a)->discont);
  hf_test_assert_ok (t);
  hf_test_free (t);
}

GST_END_TEST;

GST_START_TEST (test_events_in_order_with_reasons)
{
  struct
  {
    HfEventKind kind;
    gint input, from, to;
    guint at_ms;
    const gchar *reason;
  } want[] = {
    {HF_EVENT_INPUT_STATE, 0, HF_HEALTH_IDLE, HF_HEALTH_HEALTHY, 0,
        "packets arriving"},
    {HF_EVENT_SWITCH, -1, -1, 0, 0, "no input is on air"},
    {HF_EVENT_INPUT_STATE, 1, HF_HEALTH_IDLE, HF_HEALTH_HEALTHY, 520,
        "packets arriving"},
    {HF_EVENT_INPUT_STATE, 0, HF_HEALTH_HEALTHY, HF_HEALTH_LOST, 2260,
        "no packet for 260 ms"},
    {HF_EVENT_SWITCH, -1, 0, 1, 2260, "the on-air input is lost"},
    {HF_EVENT_INPUT_STATE, 1, HF_HEALTH_HEALTHY, HF_HEALTH_LOST, 3260,
        "no packet for 260 ms"},
    {HF_EVENT_SLATE_ON, -1, 1, -1, 3260, "no input is alive"},
    {HF_EVENT_INPUT_STATE, 0, HF_HEALTH_LOST, HF_HEALTH_HEALTHY, 4000,
        "packets arriving"},
    {HF_EVENT_SLATE_OFF, -1, -1, 0, 4000, "no input is on air"},
    {HF_EVENT_SWITCH, -1, -1, 0, 4000, "no input is on air"},
  };
  HfTest *t = hf_test_new_default (2);
  guint i;

  hf_test_set_slate (t, 15, FALSE);
  hf_test_source (t, 0, 25, 0, 0, FALSE);
  hf_test_source (t, 1, 25, 12, 0, FALSE);
  hf_test_up (t, 0);
  hf_test_run_until (t, HF_TEST_MS (520));
  hf_test_up (t, 1);
  hf_test_run_until (t, HF_TEST_MS (2000));
  hf_test_down (t, 0);
  hf_test_run_until (t, HF_TEST_MS (3000));
  hf_test_down (t, 1);
  hf_test_run_until (t, HF_TEST_MS (4000) - 1);
  hf_test_up (t, 0);
  hf_test_run_until (t, HF_TEST_MS (5000));

  for (i = 0; i < MIN (t->events->len, G_N_ELEMENTS (want)); i++) {
    HfSwitchEvent *ev = hf_test_event (t, i);

    fail_unless (ev->kind == want[i].kind && ev->input == want[i].input &&
        ev->from == want[i].from && ev->to == want[i].to,
        "event %u: %s input %d %d -> %d (%s), want %s input %d %d -> %d", i,
        hf_event_kind_to_string (ev->kind), ev->input, ev->from, ev->to,
        ev->reason, hf_event_kind_to_string (want[i].kind), want[i].input,
        want[i].from, want[i].to);
    fail_unless_equals_int64 (ev->mono_us, HF_TEST_MONO (HF_TEST_MS
            (want[i].at_ms)));
    fail_unless_equals_string (ev->reason, want[i].reason);
  }
  fail_unless_equals_int (t->events->len, G_N_ELEMENTS (want));
  hf_test_assert_ok (t);
  hf_test_free (t);
}

GST_END_TEST;

/* ---- Bounds -------------------------------------------------------------- */

GST_START_TEST (test_anti_flap_bounds_switches_per_minute)
{
  HfSwitchConfig config;
  HfTest *t;
  HfSwitchStats st;
  guint s, deaths = 0, i;

  /* The primary is up 1 s, down 1 s, for a minute; the backup is steady;
   * revert-after 0, so only the anti-flap hold-down keeps the primary
   * off.  Takes: the first (0), the first death (-> 1), the revert at the
   * primary's first keyframe back (its one death allows no hold-down),
   * the second death (-> 1).  From then on two deaths or more hold the
   * primary down 2 s or longer, and it never stays up that long: 4
   * takes, where a switch without hold-down would make 60. */
  hf_switch_config_init (&config, 2);
  config.revert_after_us = 0;
  t = hf_test_new (&config);
  hf_test_source (t, 0, 12, 0, 0, FALSE);
  hf_test_source (t, 1, 25, 12, 0, FALSE);
  hf_test_up (t, 1);
  for (s = 0; s < 60; s += 2) {
    hf_test_up (t, 0);
    hf_test_run_until (t, HF_TEST_MS (s * 1000 + 999));
    hf_test_down (t, 0);
    hf_test_run_until (t, HF_TEST_MS (s * 1000 + 1999));
  }
  hf_test_run_until (t, HF_TEST_MS (60000));

  st = hf_test_stats (t);
  fail_unless_equals_uint64 (st.switches, 4);
  fail_unless_equals_uint64 (st.reverts, 1);
  fail_unless_equals_uint64 (st.failovers, 2);
  fail_unless_equals_int (st.on_air, 1);
  fail_unless_equals_int (hf_test_count_takes (t, 0), 4);
  for (i = 0; i < t->events->len; i++) {
    HfSwitchEvent *ev = hf_test_event (t, i);

    if (ev->kind == HF_EVENT_INPUT_STATE && ev->input == 0 &&
        ev->to == HF_HEALTH_LOST)
      deaths++;
  }
  fail_unless_equals_int (deaths, 30);
  hf_test_assert_ok (t);
  hf_test_free (t);
}

GST_END_TEST;

GST_START_TEST (test_repeated_failovers_add_no_lead)
{
  /* The primary dies (its last frame the one before @down) three times
   * and comes back at @up; it reverts at its first keyframe once stable:
   * at once the first time, after a 2 s anti-flap hold-down from its
   * return the second time (two deaths), so at 12 s. */
  static const struct
  {
    guint down_ms, up_ms, revert_ms;
  } cycle[] = {
    {3490, 4500, 6000},
    {7490, 8500, 12000},
    {13490, 0, 0},
  };
  HfSwitchConfig config;
  HfTest *t;
  HfSwitchStats st;
  gint e = -1, r = -1;
  guint k;

  /* Two-second GOPs: the primary's keyframes at 0, 2, 4 ... s, the
   * backup's at 0.2, 2.2, 4.2 ... s.  Each time the primary is lost
   * (0.25 s after its last frame), the backup's cached GOP is 1.54 s old
   * and 1.52 s long: it is taken at once, squeezed into the time between
   * the primary's last frame and now.  Played at its own pace it would
   * have run the output 1.3 s ahead the first time, and the second time
   * the take had to wait for the backup's next live keyframe. */
  hf_switch_config_init (&config, 2);
  config.revert_after_us = 0;
  t = hf_test_new (&config);
  hf_test_source (t, 0, 50, 0, 0, FALSE);
  hf_test_source (t, 1, 50, 45, 0, FALSE);
  hf_test_up (t, 0);
  hf_test_up (t, 1);
  for (k = 0; k < G_N_ELEMENTS (cycle); k++) {
    GstClockTime take = HF_TEST_MS (cycle[k].down_ms + 250);
    HfTestOut *last, *o, *newest;
    guint n;
    gint b, m, i;

    hf_test_run_until (t, HF_TEST_MS (cycle[k].down_ms));
    last = hf_test_last_out (t, HF_MEDIA_VIDEO);
    fail_unless_equals_int (last->source, 0);
    n = t->outs->len;
    t->max_lead = 0;
    hf_test_down (t, 0);
    hf_test_run_until (t, take + HF_TEST_MS (500));

    e = hf_test_find_event (t, e + 1, HF_EVENT_SWITCH, 0, 1);
    fail_unless_equals_int64 (hf_test_event (t, e)->mono_us,
        HF_TEST_MONO (take));
    /* From the cache at once, right after the primary's last frame. */
    b = hf_test_find_out (t, n, 1, HF_MEDIA_VIDEO);
    o = hf_test_out (t, b);
    fail_unless (o->keyframe && o->discont);
    fail_unless_equals_uint64 (o->out_now, take);
    fail_unless_equals_uint64 (o->dts, last->dts + HF_TEST_FRAME);
    fail_unless_equals_uint64 (o->frame * HF_TEST_FRAME,
        take - HF_TEST_MS (1540));
    /* The newest cached picture, 38 frames on, lands at the take's time:
     * the squeeze floor (38 x 2 ms) is well within the 0.2 s it has. */
    for (i = m = b; i < (gint) t->outs->len; i++)
      if (hf_test_out (t, i)->kind == HF_MEDIA_VIDEO &&
          hf_test_out (t, i)->out_now == take)
        m = i;
    newest = hf_test_out (t, m);
    fail_unless_equals_uint64 (newest->frame, o->frame + 38);
    fail_unless_equals_uint64 (newest->dts, hf_test_squeeze_end (o->dts,
            38 * HF_TEST_FRAME, 39, take));
    fail_unless_equals_uint64 (newest->dts, take);
    st = hf_test_stats (t);
    fail_unless_equals_uint64 (st.gop_takes, 2 + k);
    fail_unless_equals_uint64 (st.squeezed_takes, 1 + k);
    fail_unless_equals_uint64 (st.failovers, 1 + k);
    /* The newest cached picture arrived 20 ms before the take's tick:
     * that is all the lead there is, and it does not add up over the
     * failovers (nor over the revert between them, which goes on air a
     * frame after the backup's last frame: 20 ms ahead too). */
    fail_unless_equals_uint64 (t->max_lead, HF_TEST_MS (20));
    fail_unless (st.output_lead_us <= 20 * 1000);

    if (cycle[k].up_ms == 0)
      break;
    hf_test_run_until (t, HF_TEST_MS (cycle[k].up_ms));
    hf_test_up (t, 0);
    hf_test_run_until (t, HF_TEST_MS (cycle[k].revert_ms));
    r = hf_test_find_event (t, r + 1, HF_EVENT_REVERT, 1, 0);
    fail_unless_equals_int64 (hf_test_event (t, r)->mono_us,
        HF_TEST_MONO (HF_TEST_MS (cycle[k].revert_ms)));
    fail_unless_equals_uint64 (t->max_lead, HF_TEST_MS (20));
  }
  st = hf_test_stats (t);
  fail_unless_equals_uint64 (st.reverts, 2);
  fail_unless_equals_uint64 (st.switches, 6);
  fail_unless_equals_int (st.on_air, 1);
  hf_test_assert_ok (t);
  hf_test_free (t);
}

GST_END_TEST;

static Suite *
hf_switch_suite (void)
{
  Suite *s = suite_create ("hf-switch");
  TCase *tc = tcase_create ("switch");

  tcase_set_timeout (tc, 180);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_first_take_is_at_a_keyframe);
  tcase_add_test (tc, test_start_waits_briefly_for_the_primary);
  tcase_add_test (tc,
      test_lost_primary_fails_over_from_backup_gop_cache_at_once);
  tcase_add_test (tc, test_revert_waits_revert_after_and_a_live_keyframe);
  tcase_add_test (tc, test_degraded_on_air_yields_to_healthy);
  tcase_add_test (tc, test_manual_request_done_pending_refused_auto);
  tcase_add_test (tc, test_manual_mode_never_fails_over_and_shows_slate);
  tcase_add_test (tc, test_slate_on_within_500ms_and_loops_monotonic);
  tcase_add_test (tc, test_slate_replaced_by_live_at_first_keyframe);
  tcase_add_test (tc, test_no_slate_before_anything_was_on_air);
  tcase_add_test (tc, test_fallback_none_holds);
  tcase_add_test (tc, test_epoch_change_retakes_at_keyframe);
  tcase_add_test (tc, test_audio_follows_video_offset);
  tcase_add_test (tc, test_events_in_order_with_reasons);
  tcase_add_test (tc, test_anti_flap_bounds_switches_per_minute);
  tcase_add_test (tc, test_repeated_failovers_add_no_lead);
  return s;
}

GST_CHECK_MAIN (hf_switch);
