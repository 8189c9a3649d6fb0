/* Unit tests of the rendition-ladder rung choice (abr/hf-rung.c): one bad
 * report steps down at once, stepping up waits for a clean period and
 * room on the link, and the choice never leaves the ladder.
 *
 * Single-threaded; time is plain microseconds (fake), reports come every
 * 200 ms as an RTP receiver's or an SRT sampler's would.
 */
#include <gst/check/gstcheck.h>

#include "abr/hf-abr.h"

#define HF_TEST_T0_US G_GINT64_CONSTANT (5000011)
#define HF_TEST_STEP_US (200 * 1000)

static const guint64 hf_test_ladder[] = { 2500000, 1200000, 500000 };

static HfRungReport
hf_test_report (gdouble loss, guint64 estimate_bps, gdouble send_buffer_ms)
{
  HfRungReport rep;

  rep.loss_ratio = loss;
  rep.estimate_bps = estimate_bps;
  rep.send_buffer_ms = send_buffer_ms;
  rep.rtt_ms = -1;
  return rep;
}

/* Feeds @rep every HF_TEST_STEP_US over [*now, *now + @dur_us); returns
 * how many times the rung changed; *now is advanced. */
static guint
hf_test_feed (HfRung * r, const HfRungReport * rep, gint64 * now, gint64 dur_us)
{
  gint64 end = *now + dur_us;
  guint changes = 0;

  for (; *now < end; *now += HF_TEST_STEP_US)
    if (hf_rung_update (r, rep, *now, NULL))
      changes++;
  return changes;
}

GST_START_TEST (test_starts_on_the_top_rung)
{
  HfRung *r = hf_rung_new (hf_test_ladder, 3, HF_TEST_T0_US);

  fail_unless_equals_int (hf_rung_get (r), 0);
  fail_unless_equals_int (hf_rung_get_n_rungs (r), 3);
  fail_unless_equals_uint64 (hf_rung_get_bitrate (r, 0), 2500000);
  fail_unless_equals_uint64 (hf_rung_get_bitrate (r, 2), 500000);
  fail_unless_equals_uint64 (hf_rung_get_bitrate (r, 3), 0);
  hf_rung_free (r);
}

GST_END_TEST;

GST_START_TEST (test_steps_down_at_once_on_one_lossy_report)
{
  HfRung *r = hf_rung_new (hf_test_ladder, 3, HF_TEST_T0_US);
  gint64 now = HF_TEST_T0_US;
  HfRungReport clean = hf_test_report (0, 0, -1);
  HfRungReport lossy = hf_test_report (0.05, 0, -1);
  const gchar *why = NULL;

  fail_unless_equals_int (hf_test_feed (r, &clean, &now, 2 * G_USEC_PER_SEC),
      0);
  fail_unless (hf_rung_update (r, &lossy, now, &why));
  fail_unless_equals_int (hf_rung_get (r), 1);
  fail_unless_equals_string (why, "loss");
  hf_rung_free (r);
}

GST_END_TEST;

GST_START_TEST (test_loss_below_threshold_does_not_step_down)
{
  HfRung *r = hf_rung_new (hf_test_ladder, 3, HF_TEST_T0_US);
  gint64 now = HF_TEST_T0_US;
  HfRungReport light = hf_test_report (0.02, 0, -1);

  fail_unless_equals_int (hf_test_feed (r, &light, &now,
          30 * G_USEC_PER_SEC), 0);
  fail_unless_equals_int (hf_rung_get (r), 0);
  hf_rung_free (r);
}

GST_END_TEST;

GST_START_TEST (test_estimate_below_rung_jumps_to_the_rung_that_fits)
{
  HfRung *r = hf_rung_new (hf_test_ladder, 3, HF_TEST_T0_US);
  /* 700 kbit/s: 0.85 x 700k = 595k fits only the 500k rung. */
  HfRungReport slow = hf_test_report (0, 700000, -1);

  fail_unless (hf_rung_update (r, &slow, HF_TEST_T0_US, NULL));
  fail_unless_equals_int (hf_rung_get (r), 2);
  hf_rung_free (r);
}

GST_END_TEST;

GST_START_TEST (test_growing_send_buffer_steps_down)
{
  HfRung *r = hf_rung_new (hf_test_ladder, 3, HF_TEST_T0_US);
  HfRungReport a = hf_test_report (0, 0, 300);
  HfRungReport b = hf_test_report (0, 0, 450);
  HfRungReport full_steady = hf_test_report (0, 0, 450);

  /* The first report above the limit has nothing to grow from. */
  fail_if (hf_rung_update (r, &a, HF_TEST_T0_US, NULL));
  fail_unless (hf_rung_update (r, &b, HF_TEST_T0_US + HF_TEST_STEP_US, NULL));
  fail_unless_equals_int (hf_rung_get (r), 1);
  /* A full buffer that stopped growing is no reason to step down again,
   * but no clean report either. */
  fail_if (hf_rung_update (r, &full_steady,
          HF_TEST_T0_US + 20 * G_USEC_PER_SEC, NULL));
  fail_unless_equals_int (hf_rung_get (r), 1);
  hf_rung_free (r);
}

GST_END_TEST;

GST_START_TEST (test_send_buffer_limit_is_above_the_lowest_rtt)
{
  HfRung *r = hf_rung_new (hf_test_ladder, 3, HF_TEST_T0_US);
  gint64 now = HF_TEST_T0_US;
  HfRungReport rep = hf_test_report (0, 0, 150);

  /* A 200 ms path: 150 .. 300 ms unacknowledged is no queue. */
  rep.rtt_ms = 200;
  fail_if (hf_rung_update (r, &rep, now, NULL));
  rep.send_buffer_ms = 300;
  fail_if (hf_rung_update (r, &rep, now += HF_TEST_STEP_US, NULL));
  /* The RTT grows with the queue; the base stays the lowest seen. */
  rep.rtt_ms = 330;
  rep.send_buffer_ms = 340;
  fail_unless (hf_rung_update (r, &rep, now += HF_TEST_STEP_US, NULL));
  fail_unless_equals_int (hf_rung_get (r), 1);
  hf_rung_free (r);
}

GST_END_TEST;

GST_START_TEST (test_second_step_down_waits_for_the_switch)
{
  HfRung *r = hf_rung_new (hf_test_ladder, 3, HF_TEST_T0_US);
  gint64 now = HF_TEST_T0_US;
  HfRungReport lossy = hf_test_report (0.2, 0, -1);

  /* Bad reports while the output has not taken the rung: one step only,
   * for as long as the hold. */
  fail_unless_equals_int (hf_test_feed (r, &lossy, &now,
          HF_RUNG_DOWN_HOLD_US - HF_TEST_STEP_US), 1);
  fail_unless_equals_int (hf_rung_get (r), 1);
  /* Still bad after the hold: the next step. */
  fail_unless_equals_int (hf_test_feed (r, &lossy, &now,
          2 * HF_TEST_STEP_US), 1);
  fail_unless_equals_int (hf_rung_get (r), 2);
  hf_rung_free (r);
}

GST_END_TEST;

GST_START_TEST (test_next_step_down_after_the_rung_was_taken_and_settled)
{
  HfRung *r = hf_rung_new (hf_test_ladder, 3, HF_TEST_T0_US);
  gint64 now = HF_TEST_T0_US;
  HfRungReport lossy = hf_test_report (0.2, 0, -1);

  fail_unless (hf_rung_update (r, &lossy, now, NULL));
  /* The output takes rung 1 at a keyframe 400 ms later. */
  now += 400 * 1000;
  hf_rung_applied (r, 0, now);  /* a stale rung is no news */
  fail_if (hf_rung_update (r, &lossy, now, NULL));
  hf_rung_applied (r, 1, now);
  /* Still lossy while the queue drains: held for the settle time. */
  fail_if (hf_rung_update (r, &lossy, now + HF_RUNG_SETTLE_US - 1, NULL));
  fail_unless (hf_rung_update (r, &lossy, now + HF_RUNG_SETTLE_US, NULL));
  fail_unless_equals_int (hf_rung_get (r), 2);
  hf_rung_free (r);
}

GST_END_TEST;

GST_START_TEST (test_never_below_the_bottom_rung)
{
  HfRung *r = hf_rung_new (hf_test_ladder, 3, HF_TEST_T0_US);
  gint64 now = HF_TEST_T0_US;
  HfRungReport awful = hf_test_report (0.9, 100000, 5000);

  hf_test_feed (r, &awful, &now, 60 * G_USEC_PER_SEC);
  fail_unless_equals_int (hf_rung_get (r), 2);
  hf_rung_free (r);
}

GST_END_TEST;

GST_START_TEST (test_steps_up_only_after_the_clean_period)
{
  HfRung *r = hf_rung_new (hf_test_ladder, 3, HF_TEST_T0_US);
  gint64 now = HF_TEST_T0_US, down_at;
  HfRungReport lossy = hf_test_report (0.1, 0, -1);
  HfRungReport roomy = hf_test_report (0, 5000000, -1);

  fail_unless (hf_rung_update (r, &lossy, now, NULL));
  fail_unless_equals_int (hf_rung_get (r), 1);
  down_at = now;
  now += HF_TEST_STEP_US;
  /* Clean, with plenty of room, for just under 10 s: stays down. */
  fail_unless_equals_int (hf_test_feed (r, &roomy, &now,
          HF_RUNG_CLEAN_US - HF_TEST_STEP_US), 0);
  fail_unless_equals_int (hf_rung_get (r), 1);
  /* The report that completes the clean period steps up one rung. */
  fail_unless_equals_int (hf_test_feed (r, &roomy, &now,
          2 * HF_TEST_STEP_US), 1);
  fail_unless_equals_int (hf_rung_get (r), 0);
  fail_unless (now - down_at >= HF_RUNG_CLEAN_US);
  /* And never above the top. */
  fail_unless_equals_int (hf_test_feed (r, &roomy, &now,
          60 * G_USEC_PER_SEC), 0);
  fail_unless_equals_int (hf_rung_get (r), 0);
  hf_rung_free (r);
}

GST_END_TEST;

GST_START_TEST (test_steps_up_one_rung_per_clean_period)
{
  HfRung *r = hf_rung_new (hf_test_ladder, 3, HF_TEST_T0_US);
  gint64 now = HF_TEST_T0_US;
  HfRungReport slow = hf_test_report (0, 400000, -1);
  HfRungReport roomy = hf_test_report (0, 5000000, -1);

  fail_unless (hf_rung_update (r, &slow, now, NULL));
  fail_unless_equals_int (hf_rung_get (r), 2);
  now += HF_TEST_STEP_US;
  /* 15 s clean: one rung up (at 10 s), not two. */
  fail_unless_equals_int (hf_test_feed (r, &roomy, &now,
          15 * G_USEC_PER_SEC), 1);
  fail_unless_equals_int (hf_rung_get (r), 1);
  /* 10 s more: the top. */
  fail_unless_equals_int (hf_test_feed (r, &roomy, &now,
          6 * G_USEC_PER_SEC), 1);
  fail_unless_equals_int (hf_rung_get (r), 0);
  hf_rung_free (r);
}

GST_END_TEST;

GST_START_TEST (test_no_step_up_without_room_for_the_next_rung)
{
  HfRung *r = hf_rung_new (hf_test_ladder, 3, HF_TEST_T0_US);
  gint64 now = HF_TEST_T0_US;
  HfRungReport lossy = hf_test_report (0.1, 0, -1);
  /* 3 Mbit/s < 1.3 x 2.5 Mbit/s = 3.25: no room for the top rung. */
  HfRungReport tight = hf_test_report (0, 3000000, -1);
  HfRungReport roomy = hf_test_report (0, 3300000, -1);

  fail_unless (hf_rung_update (r, &lossy, now, NULL));
  now += HF_TEST_STEP_US;
  fail_unless_equals_int (hf_test_feed (r, &tight, &now,
          60 * G_USEC_PER_SEC), 0);
  fail_unless_equals_int (hf_rung_get (r), 1);
  fail_unless_equals_int (hf_test_feed (r, &roomy, &now,
          HF_RUNG_CLEAN_US + HF_TEST_STEP_US), 1);
  fail_unless_equals_int (hf_rung_get (r), 0);
  hf_rung_free (r);
}

GST_END_TEST;

GST_START_TEST (test_a_bad_report_restarts_the_clean_period)
{
  HfRung *r = hf_rung_new (hf_test_ladder, 3, HF_TEST_T0_US);
  gint64 now = HF_TEST_T0_US;
  HfRungReport lossy = hf_test_report (0.1, 0, -1);
  HfRungReport meh = hf_test_report (0.02, 5000000, -1);
  HfRungReport roomy = hf_test_report (0, 5000000, -1);

  fail_unless (hf_rung_update (r, &lossy, now, NULL));
  now += HF_TEST_STEP_US;
  fail_unless_equals_int (hf_test_feed (r, &roomy, &now,
          8 * G_USEC_PER_SEC), 0);
  /* 2 % loss: not enough to step down, but not clean. */
  fail_if (hf_rung_update (r, &meh, now, NULL));
  now += HF_TEST_STEP_US;
  fail_unless_equals_int (hf_test_feed (r, &roomy, &now,
          HF_RUNG_CLEAN_US - HF_TEST_STEP_US), 0);
  fail_unless_equals_int (hf_rung_get (r), 1);
  fail_unless_equals_int (hf_test_feed (r, &roomy, &now,
          2 * HF_TEST_STEP_US), 1);
  fail_unless_equals_int (hf_rung_get (r), 0);
  hf_rung_free (r);
}

GST_END_TEST;

GST_START_TEST (test_without_any_estimate_steps_up_after_three_periods)
{
  HfRung *r = hf_rung_new (hf_test_ladder, 3, HF_TEST_T0_US);
  gint64 now = HF_TEST_T0_US;
  HfRungReport lossy = hf_test_report (0.1, 0, -1);
  HfRungReport clean = hf_test_report (0, 0, -1);

  fail_unless (hf_rung_update (r, &lossy, now, NULL));
  now += HF_TEST_STEP_US;
  fail_unless_equals_int (hf_test_feed (r, &clean, &now,
          3 * HF_RUNG_CLEAN_US - HF_TEST_STEP_US), 0);
  fail_unless_equals_int (hf_test_feed (r, &clean, &now,
          2 * HF_TEST_STEP_US), 1);
  fail_unless_equals_int (hf_rung_get (r), 0);
  hf_rung_free (r);
}

GST_END_TEST;

GST_START_TEST (test_failed_step_up_doubles_the_wait)
{
  HfRung *r = hf_rung_new (hf_test_ladder, 3, HF_TEST_T0_US);
  gint64 now = HF_TEST_T0_US, t;
  /* An estimate that promises room the link does not have. */
  HfRungReport lossy = hf_test_report (0.1, 50000000, -1);
  HfRungReport roomy = hf_test_report (0, 50000000, -1);

  fail_unless (hf_rung_update (r, &lossy, now, NULL));
  now += HF_TEST_STEP_US;
  fail_unless_equals_int (hf_test_feed (r, &roomy, &now,
          HF_RUNG_CLEAN_US + HF_TEST_STEP_US), 1);
  fail_unless_equals_int (hf_rung_get (r), 0);
  /* The top rung is lossy at once: down again ... */
  fail_unless (hf_rung_update (r, &lossy, now, NULL));
  fail_unless_equals_int (hf_rung_get (r), 1);
  now += HF_TEST_STEP_US;
  /* ... and the next try waits two clean periods, not one. */
  t = now;
  fail_unless_equals_int (hf_test_feed (r, &roomy, &now,
          2 * HF_RUNG_CLEAN_US - HF_TEST_STEP_US), 0);
  fail_unless_equals_int (hf_test_feed (r, &roomy, &now,
          2 * HF_TEST_STEP_US), 1);
  fail_unless (now - t >= 2 * HF_RUNG_CLEAN_US);
  /* Held clean for a period: the wait is back to one period. */
  fail_unless_equals_int (hf_test_feed (r, &roomy, &now, HF_RUNG_CLEAN_US), 0);
  fail_unless (hf_rung_update (r, &lossy, now, NULL));
  now += HF_TEST_STEP_US;
  fail_unless_equals_int (hf_test_feed (r, &roomy, &now,
          HF_RUNG_CLEAN_US + HF_TEST_STEP_US), 1);
  fail_unless_equals_int (hf_rung_get (r), 0);
  hf_rung_free (r);
}

GST_END_TEST;

/* Issue 6: an RTP output's estimate is the edge's REMB, capped at ~1.5 x
 * what the edge receives: at 500k it reads ~760k, never the 1.56M that
 * 1.3 x 1200k asks for.  At the cap the bound is unknown: step up after
 * one clean period, and let the REMB climb after the rung is taken. */
GST_START_TEST (test_capped_estimate_steps_back_up_after_a_clean_period)
{
  HfRung *r = hf_rung_new (hf_test_ladder, 3, HF_TEST_T0_US);
  HfRung *plain = hf_rung_new (hf_test_ladder, 3, HF_TEST_T0_US);
  gint64 now = HF_TEST_T0_US, t;
  HfRungReport cut = hf_test_report (0, 600000, -1);
  HfRungReport at_cap = hf_test_report (0, 760000, -1);
  HfRungReport climbing = hf_test_report (0, 0, -1);
  HfRungReport cut_again = hf_test_report (0, 700000, -1);
  guint64 est;

  hf_rung_set_link (r, FALSE, TRUE);
  fail_unless (hf_rung_update (r, &cut, now, NULL));
  fail_unless (hf_rung_update (plain, &cut, now, NULL));
  fail_unless_equals_int (hf_rung_get (r), 2);
  hf_rung_applied (r, 2, now);
  hf_rung_applied (plain, 2, now);
  now += HF_TEST_STEP_US;
  /* Without the cap rule the rung is stuck at the bottom for good. */
  t = now;
  fail_unless_equals_int (hf_test_feed (plain, &at_cap, &t,
          60 * G_USEC_PER_SEC), 0);
  fail_unless_equals_int (hf_rung_get (plain), 2);
  /* With it: up after one clean period, not before. */
  fail_unless_equals_int (hf_test_feed (r, &at_cap, &now,
          HF_RUNG_CLEAN_US - HF_TEST_STEP_US), 0);
  fail_unless_equals_int (hf_test_feed (r, &at_cap, &now,
          2 * HF_TEST_STEP_US), 1);
  fail_unless_equals_int (hf_rung_get (r), 1);
  /* Until the switch, and while the REMB climbs afterwards (40 %/s), an
   * estimate below the new rung is no reason to step back down. */
  fail_unless_equals_int (hf_test_feed (r, &at_cap, &now,
          G_USEC_PER_SEC), 0);
  hf_rung_applied (r, 1, now);
  for (est = 760000; est < 1800000; est = est * 108 / 100) {
    climbing.estimate_bps = est;
    fail_if (hf_rung_update (r, &climbing, now, NULL));
    now += HF_TEST_STEP_US;
  }
  fail_unless_equals_int (hf_rung_get (r), 1);
  /* Caught up: an estimate below the rung steps down again at once. */
  fail_unless (hf_rung_update (r, &cut_again, now, NULL));
  fail_unless_equals_int (hf_rung_get (r), 2);
  hf_rung_free (plain);
  hf_rung_free (r);
}

GST_END_TEST;

GST_START_TEST (test_cut_while_the_estimate_climbs_steps_down)
{
  HfRung *r = hf_rung_new (hf_test_ladder, 3, HF_TEST_T0_US);
  gint64 now = HF_TEST_T0_US;
  HfRungReport cut = hf_test_report (0, 600000, -1);
  HfRungReport at_cap = hf_test_report (0, 760000, -1);
  HfRungReport rep = hf_test_report (0, 0, -1);

  hf_rung_set_link (r, FALSE, TRUE);
  fail_unless (hf_rung_update (r, &cut, now, NULL));
  hf_rung_applied (r, 2, now);
  now += HF_TEST_STEP_US;
  fail_unless_equals_int (hf_test_feed (r, &at_cap, &now,
          HF_RUNG_CLEAN_US + HF_TEST_STEP_US), 1);
  hf_rung_applied (r, 1, now);
  rep.estimate_bps = 1000000;
  fail_if (hf_rung_update (r, &rep, now, NULL));
  now += HF_TEST_STEP_US;
  /* The link cannot carry 1.2M: the receiver cuts its estimate. */
  rep.estimate_bps = 800000;
  fail_unless (hf_rung_update (r, &rep, now, NULL));
  fail_unless_equals_int (hf_rung_get (r), 2);
  hf_rung_free (r);
}

GST_END_TEST;

/* Issue 6: 5 % random loss that FEC/RTX repair must not pin the output
 * to the bottom rung. */
GST_START_TEST (test_repaired_link_ignores_loss_below_ten_percent)
{
  HfRung *r = hf_rung_new (hf_test_ladder, 3, HF_TEST_T0_US);
  HfRung *plain = hf_rung_new (hf_test_ladder, 3, HF_TEST_T0_US);
  gint64 now = HF_TEST_T0_US, t;
  HfRungReport repaired_loss = hf_test_report (0.05, 0, -1);
  HfRungReport heavy = hf_test_report (0.12, 0, -1);
  HfRungReport at_cap = hf_test_report (0.05, 760000, -1);

  hf_rung_set_link (r, TRUE, TRUE);
  fail_unless (hf_rung_update (plain, &repaired_loss, now, NULL));
  t = now;
  fail_unless_equals_int (hf_test_feed (r, &repaired_loss, &t,
          30 * G_USEC_PER_SEC), 0);
  fail_unless_equals_int (hf_rung_get (r), 0);
  /* Beyond what repair is for: down as before. */
  fail_unless (hf_rung_update (r, &heavy, t, NULL));
  fail_unless_equals_int (hf_rung_get (r), 1);
  hf_rung_applied (r, 1, t);
  t += HF_RUNG_SETTLE_US + HF_TEST_STEP_US;
  fail_unless (hf_rung_update (r, &heavy, t, NULL));
  fail_unless_equals_int (hf_rung_get (r), 2);
  hf_rung_applied (r, 2, t);
  t += HF_TEST_STEP_US;
  /* 5 % with repair counts as clean: back up after a clean period. */
  fail_unless_equals_int (hf_test_feed (r, &at_cap, &t,
          HF_RUNG_CLEAN_US + HF_TEST_STEP_US), 1);
  fail_unless_equals_int (hf_rung_get (r), 1);
  hf_rung_free (plain);
  hf_rung_free (r);
}

GST_END_TEST;

GST_START_TEST (test_report_with_nothing_known_holds_the_rung)
{
  HfRung *r = hf_rung_new (hf_test_ladder, 3, HF_TEST_T0_US);
  gint64 now = HF_TEST_T0_US;
  HfRungReport lossy = hf_test_report (0.2, 0, -1);
  HfRungReport stale = hf_test_report (-1, 0, -1);
  HfRungReport clean = hf_test_report (0, 0, -1);

  hf_rung_set_link (r, TRUE, TRUE);
  fail_unless (hf_rung_update (r, &lossy, now, NULL));
  fail_unless (hf_rung_update (r, &lossy, now + HF_RUNG_DOWN_HOLD_US, NULL));
  now += HF_RUNG_DOWN_HOLD_US + HF_TEST_STEP_US;
  fail_unless_equals_int (hf_rung_get (r), 2);
  /* Feedback gone: no step up however long it lasts ... */
  fail_unless_equals_int (hf_test_feed (r, &stale, &now,
          5 * HF_RUNG_CLEAN_US), 0);
  /* ... and the clean time counts from when feedback is back. */
  fail_unless_equals_int (hf_test_feed (r, &clean, &now,
          3 * HF_RUNG_CLEAN_US - HF_TEST_STEP_US), 0);
  fail_unless_equals_int (hf_test_feed (r, &clean, &now,
          2 * HF_TEST_STEP_US), 1);
  hf_rung_free (r);
}

GST_END_TEST;

GST_START_TEST (test_single_rung_ladder_never_moves)
{
  static const guint64 one[] = { 1000000 };
  HfRung *r = hf_rung_new (one, 1, HF_TEST_T0_US);
  gint64 now = HF_TEST_T0_US;
  HfRungReport awful = hf_test_report (0.5, 100000, 1000);
  HfRungReport roomy = hf_test_report (0, 9000000, -1);

  fail_unless_equals_int (hf_test_feed (r, &awful, &now,
          5 * G_USEC_PER_SEC), 0);
  fail_unless_equals_int (hf_test_feed (r, &roomy, &now,
          60 * G_USEC_PER_SEC), 0);
  fail_unless_equals_int (hf_rung_get (r), 0);
  hf_rung_free (r);
}

GST_END_TEST;

static Suite *
hf_rung_suite (void)
{
  Suite *s = suite_create ("hf-rung");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_starts_on_the_top_rung);
  tcase_add_test (tc, test_steps_down_at_once_on_one_lossy_report);
  tcase_add_test (tc, test_loss_below_threshold_does_not_step_down);
  tcase_add_test (tc, test_estimate_below_rung_jumps_to_the_rung_that_fits);
  tcase_add_test (tc, test_growing_send_buffer_steps_down);
  tcase_add_test (tc, test_send_buffer_limit_is_above_the_lowest_rtt);
  tcase_add_test (tc, test_second_step_down_waits_for_the_switch);
  tcase_add_test (tc, test_next_step_down_after_the_rung_was_taken_and_settled);
  tcase_add_test (tc, test_never_below_the_bottom_rung);
  tcase_add_test (tc, test_steps_up_only_after_the_clean_period);
  tcase_add_test (tc, test_steps_up_one_rung_per_clean_period);
  tcase_add_test (tc, test_no_step_up_without_room_for_the_next_rung);
  tcase_add_test (tc, test_a_bad_report_restarts_the_clean_period);
  tcase_add_test (tc, test_without_any_estimate_steps_up_after_three_periods);
  tcase_add_test (tc, test_failed_step_up_doubles_the_wait);
  tcase_add_test (tc, test_single_rung_ladder_never_moves);
  tcase_add_test (tc, test_capped_estimate_steps_back_up_after_a_clean_period);
  tcase_add_test (tc, test_cut_while_the_estimate_climbs_steps_down);
  tcase_add_test (tc, test_repaired_link_ignores_loss_below_ten_percent);
  tcase_add_test (tc, test_report_with_nothing_known_holds_the_rung);
  return s;
}

GST_CHECK_MAIN (hf_rung);
