/* Unit tests of the sliding-window rate meter (abr/hf-ratewindow.c): a
 * steady stream reads its bitrate, silence reads 0, a meter that has not
 * run a whole window yet is measured over the time it ran.
 *
 * Single-threaded; time is plain microseconds.  The start time is not a
 * multiple of the bucket length, as a monotonic clock's never is.
 */
#include <gst/check/gstcheck.h>

#include "abr/hf-abr.h"

#define HF_TEST_WINDOW_US G_USEC_PER_SEC
#define HF_TEST_T0_US G_GINT64_CONSTANT (7000037)
/* 1 Mbit/s: 125 bytes every millisecond. */
#define HF_TEST_PACKET_BYTES 125
#define HF_TEST_PACKET_US 1000

/* Adds 1 Mbit/s of packets over [@from_us, @to_us). */
static void
hf_test_feed (HfRateWindow * w, gint64 from_us, gint64 to_us)
{
  gint64 t;

  for (t = from_us; t < to_us; t += HF_TEST_PACKET_US)
    hf_rate_window_add (w, HF_TEST_PACKET_BYTES, t);
}

static void
hf_test_assert_near (guint64 bps, guint64 want, gdouble tolerance, gint64 at_us)
{
  gdouble err = ((gdouble) bps - (gdouble) want) / (gdouble) want;

  fail_unless (err <= tolerance && err >= -tolerance,
      "at +%" G_GINT64_FORMAT " us: %" G_GUINT64_FORMAT " bit/s, expected %"
      G_GUINT64_FORMAT " +- %.1f%%", at_us - HF_TEST_T0_US, bps, want,
      tolerance * 100);
}

GST_START_TEST (test_nothing_added_reads_zero)
{
  HfRateWindow w;

  hf_rate_window_init (&w, HF_TEST_WINDOW_US);
  fail_unless_equals_uint64 (hf_rate_window_bps (&w, HF_TEST_T0_US), 0);
  fail_unless_equals_uint64 (hf_rate_window_packets (&w, HF_TEST_T0_US), 0);
}

GST_END_TEST;

GST_START_TEST (test_steady_1mbps_reads_1mbps_over_1s_window)
{
  HfRateWindow w;
  gint64 t;

  hf_rate_window_init (&w, HF_TEST_WINDOW_US);
  /* Read it as it goes, every 7 ms from 1 s to 5 s, between packets. */
  hf_test_feed (&w, HF_TEST_T0_US, HF_TEST_T0_US + G_USEC_PER_SEC);
  for (t = HF_TEST_T0_US + G_USEC_PER_SEC;
      t < HF_TEST_T0_US + 5 * G_USEC_PER_SEC; t += 7000) {
    hf_test_feed (&w, t, t + 7000);
    hf_test_assert_near (hf_rate_window_bps (&w, t + 6999), 1000000, 0.01,
        t + 6999);
  }
}

GST_END_TEST;

GST_START_TEST (test_packets_counts_packets_in_window)
{
  HfRateWindow w;
  gint64 now = HF_TEST_T0_US + 3 * G_USEC_PER_SEC;
  guint64 packets;

  hf_rate_window_init (&w, HF_TEST_WINDOW_US);
  hf_test_feed (&w, HF_TEST_T0_US, now);
  packets = hf_rate_window_packets (&w, now);
  /* About one window's worth (1000), give or take a bucket's worth. */
  fail_unless (packets >= 900 && packets <= 1000, "%" G_GUINT64_FORMAT
      " packets in a 1 s window at 1000/s", packets);
}

GST_END_TEST;

GST_START_TEST (test_reads_zero_after_silence_longer_than_window)
{
  HfRateWindow w, half;
  gint64 end = HF_TEST_T0_US + 2 * G_USEC_PER_SEC;

  /* Read for the first time just over a window after the last packet: the
   * whole ring is skipped at once. */
  hf_rate_window_init (&w, HF_TEST_WINDOW_US);
  hf_test_feed (&w, HF_TEST_T0_US, end);
  fail_unless_equals_uint64 (hf_rate_window_bps (&w,
          end + G_USEC_PER_SEC + 1000), 0);
  fail_unless_equals_uint64 (hf_rate_window_packets (&w,
          end + G_USEC_PER_SEC + 1000), 0);
  /* Long after, too. */
  fail_unless_equals_uint64 (hf_rate_window_bps (&w,
          end + G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC), 0);

  /* Half a window of silence: about half the rate is still in view, and
   * it is gone once the window has passed. */
  hf_rate_window_init (&half, HF_TEST_WINDOW_US);
  hf_test_feed (&half, HF_TEST_T0_US, end);
  hf_test_assert_near (hf_rate_window_bps (&half, end + 500000), 500000,
      0.15, end + 500000);
  fail_unless_equals_uint64 (hf_rate_window_bps (&half,
          end + G_USEC_PER_SEC + 1000), 0);
}

GST_END_TEST;

GST_START_TEST (test_traffic_after_long_silence_is_measured_again)
{
  HfRateWindow w;
  gint64 again = HF_TEST_T0_US + 60 * G_USEC_PER_SEC;

  hf_rate_window_init (&w, HF_TEST_WINDOW_US);
  hf_test_feed (&w, HF_TEST_T0_US, HF_TEST_T0_US + G_USEC_PER_SEC);
  hf_test_feed (&w, again, again + 2 * G_USEC_PER_SEC);
  hf_test_assert_near (hf_rate_window_bps (&w, again + 2 * G_USEC_PER_SEC),
      1000000, 0.01, again + 2 * G_USEC_PER_SEC);
}

GST_END_TEST;

GST_START_TEST (test_partly_filled_window_is_measured_over_time_it_ran)
{
  /* 150 ms, 300 ms, 700 ms into the first window: still 1 Mbit/s, not the
   * fraction of the window that has data. */
  static const gint64 checks[] = { 150000, 300000, 700000 };
  HfRateWindow w;
  gint64 fed = 0;
  guint i;

  hf_rate_window_init (&w, HF_TEST_WINDOW_US);
  for (i = 0; i < G_N_ELEMENTS (checks); i++) {
    hf_test_feed (&w, HF_TEST_T0_US + fed, HF_TEST_T0_US + checks[i]);
    fed = checks[i];
    hf_test_assert_near (hf_rate_window_bps (&w, HF_TEST_T0_US + fed),
        1000000, 0.01, HF_TEST_T0_US + fed);
  }
}

GST_END_TEST;

GST_START_TEST (test_rate_follows_a_change_within_one_window)
{
  HfRateWindow w;
  gint64 t, change = HF_TEST_T0_US + 2 * G_USEC_PER_SEC;

  hf_rate_window_init (&w, HF_TEST_WINDOW_US);
  hf_test_feed (&w, HF_TEST_T0_US, change);
  /* Then 2 Mbit/s: two packets a millisecond. */
  for (t = change; t < change + 2 * G_USEC_PER_SEC; t += HF_TEST_PACKET_US) {
    hf_rate_window_add (&w, HF_TEST_PACKET_BYTES, t);
    hf_rate_window_add (&w, HF_TEST_PACKET_BYTES, t + 500);
  }
  hf_test_assert_near (hf_rate_window_bps (&w, change + 2 * G_USEC_PER_SEC),
      2000000, 0.01, change + 2 * G_USEC_PER_SEC);
}

GST_END_TEST;

GST_START_TEST (test_other_window_lengths_read_the_same_rate)
{
  static const gint64 windows[] = { 100000, 250000, 5 * G_USEC_PER_SEC };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (windows); i++) {
    HfRateWindow w;
    gint64 end = HF_TEST_T0_US + 12 * G_USEC_PER_SEC;

    hf_rate_window_init (&w, windows[i]);
    hf_test_feed (&w, HF_TEST_T0_US, end);
    hf_test_assert_near (hf_rate_window_bps (&w, end), 1000000, 0.02, end);
  }
}

GST_END_TEST;

static Suite *
hf_ratewindow_suite (void)
{
  Suite *s = suite_create ("hf-ratewindow");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_nothing_added_reads_zero);
  tcase_add_test (tc, test_steady_1mbps_reads_1mbps_over_1s_window);
  tcase_add_test (tc, test_packets_counts_packets_in_window);
  tcase_add_test (tc, test_reads_zero_after_silence_longer_than_window);
  tcase_add_test (tc, test_traffic_after_long_silence_is_measured_again);
  tcase_add_test (tc, test_partly_filled_window_is_measured_over_time_it_ran);
  tcase_add_test (tc, test_rate_follows_a_change_within_one_window);
  tcase_add_test (tc, test_other_window_lengths_read_the_same_rate);
  return s;
}

GST_CHECK_MAIN (hf_ratewindow);
