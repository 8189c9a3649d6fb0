/* Unit tests of the RTP reception statistics (ingest/hf-rtpstats.c):
 * sequence loss, reordering and duplicates against hand-counted packet
 * sequences, and RFC 3550 interarrival jitter against the RFC's formula
 * evaluated step by step in floating point.
 *
 * Single-threaded; arrival times are plain numbers.
 */
#include <gst/check/gstcheck.h>
#include <math.h>

#include "ingest/hf-rtpstats.h"

#define HF_TEST_CLOCK 90000
/* 20 ms of a 90 kHz clock. */
#define HF_TEST_TS_STEP 1800
#define HF_TEST_T0_US G_GINT64_CONSTANT (5000000)

/* Feeds @n sequence numbers, spaced 20 ms apart in both RTP time and
 * arrival time, so jitter stays 0 and only the sequence accounting moves. */
static void
hf_test_feed (HfRtpStats * s, const guint16 * seqs, guint n)
{
  guint i;

  for (i = 0; i < n; i++)
    hf_rtp_stats_update (s, seqs[i], (guint32) seqs[i] * HF_TEST_TS_STEP,
        HF_TEST_T0_US + (gint64) seqs[i] * 20000);
}

static void
hf_test_feed_range (HfRtpStats * s, guint first, guint last)
{
  guint seq;

  for (seq = first; seq <= last; seq++) {
    guint16 s16 = seq & 0xffff;

    hf_test_feed (s, &s16, 1);
  }
}

GST_START_TEST (test_no_packet_means_nothing_expected)
{
  HfRtpStats s;

  hf_rtp_stats_init (&s, HF_TEST_CLOCK);
  fail_unless_equals_uint64 (hf_rtp_stats_expected (&s), 0);
  fail_unless_equals_uint64 (hf_rtp_stats_lost (&s), 0);
  fail_unless_equals_float (hf_rtp_stats_jitter_ms (&s), 0.0);
}

GST_END_TEST;

GST_START_TEST (test_in_order_sequence_has_no_loss)
{
  HfRtpStats s;

  hf_rtp_stats_init (&s, HF_TEST_CLOCK);
  hf_test_feed_range (&s, 100, 199);
  fail_unless_equals_uint64 (hf_rtp_stats_expected (&s), 100);
  fail_unless_equals_uint64 (s.received, 100);
  fail_unless_equals_uint64 (hf_rtp_stats_lost (&s), 0);
  fail_unless_equals_uint64 (s.reordered, 0);
  fail_unless_equals_uint64 (s.duplicates, 0);
}

GST_END_TEST;

GST_START_TEST (test_loss_counts_gap_of_three)
{
  static const guint16 seqs[] = { 10, 11, 12, 16, 17 };
  HfRtpStats s;

  hf_rtp_stats_init (&s, HF_TEST_CLOCK);
  hf_test_feed (&s, seqs, G_N_ELEMENTS (seqs));
  /* 10..17 is 8 packets; 13, 14, 15 never came. */
  fail_unless_equals_uint64 (hf_rtp_stats_expected (&s), 8);
  fail_unless_equals_uint64 (s.received, 5);
  fail_unless_equals_uint64 (hf_rtp_stats_lost (&s), 3);
}

GST_END_TEST;

GST_START_TEST (test_loss_counts_gap_across_wraparound)
{
  static const guint16 seqs[] = { 65533, 65534, 65535, 0, 2 };
  HfRtpStats s;

  hf_rtp_stats_init (&s, HF_TEST_CLOCK);
  hf_test_feed (&s, seqs, G_N_ELEMENTS (seqs));
  /* 65533, 65534, 65535, 0, 1, 2: six sent, 1 lost. */
  fail_unless_equals_uint64 (hf_rtp_stats_expected (&s), 6);
  fail_unless_equals_uint64 (s.received, 5);
  fail_unless_equals_uint64 (hf_rtp_stats_lost (&s), 1);
  fail_unless_equals_uint64 (s.restarts, 0);
}

GST_END_TEST;

GST_START_TEST (test_gap_spanning_the_wrap_is_counted)
{
  static const guint16 seqs[] = { 65530, 65531, 3, 4 };
  HfRtpStats s;

  hf_rtp_stats_init (&s, HF_TEST_CLOCK);
  hf_test_feed (&s, seqs, G_N_ELEMENTS (seqs));
  /* 65532..65535 and 0..2 missing: 7 of 11. */
  fail_unless_equals_uint64 (hf_rtp_stats_expected (&s), 11);
  fail_unless_equals_uint64 (hf_rtp_stats_lost (&s), 7);
}

GST_END_TEST;

GST_START_TEST (test_late_packet_reduces_loss_and_counts_as_reordered)
{
  static const guint16 seqs[] = { 1, 2, 4, 5 };
  guint16 late = 3;
  HfRtpStats s;

  hf_rtp_stats_init (&s, HF_TEST_CLOCK);
  hf_test_feed (&s, seqs, G_N_ELEMENTS (seqs));
  fail_unless_equals_uint64 (hf_rtp_stats_lost (&s), 1);
  hf_test_feed (&s, &late, 1);
  fail_unless_equals_uint64 (hf_rtp_stats_expected (&s), 5);
  fail_unless_equals_uint64 (s.received, 5);
  fail_unless_equals_uint64 (hf_rtp_stats_lost (&s), 0);
  fail_unless_equals_uint64 (s.reordered, 1);
  fail_unless_equals_uint64 (s.duplicates, 0);
}

GST_END_TEST;

GST_START_TEST (test_late_packet_across_wraparound_is_reordered)
{
  static const guint16 seqs[] = { 65534, 65535, 1, 0, 2 };
  HfRtpStats s;

  hf_rtp_stats_init (&s, HF_TEST_CLOCK);
  hf_test_feed (&s, seqs, G_N_ELEMENTS (seqs));
  fail_unless_equals_uint64 (hf_rtp_stats_expected (&s), 5);
  fail_unless_equals_uint64 (s.received, 5);
  fail_unless_equals_uint64 (hf_rtp_stats_lost (&s), 0);
  fail_unless_equals_uint64 (s.reordered, 1);
}

GST_END_TEST;

GST_START_TEST (test_duplicates_are_not_counted_twice)
{
  static const guint16 seqs[] = { 7, 8, 8, 9, 7, 9, 8, 10 };
  HfRtpStats s;

  hf_rtp_stats_init (&s, HF_TEST_CLOCK);
  hf_test_feed (&s, seqs, G_N_ELEMENTS (seqs));
  fail_unless_equals_uint64 (hf_rtp_stats_expected (&s), 4);
  fail_unless_equals_uint64 (s.received, 4);
  fail_unless_equals_uint64 (s.duplicates, 4);
  fail_unless_equals_uint64 (s.reordered, 0);
  fail_unless_equals_uint64 (hf_rtp_stats_lost (&s), 0);
}

GST_END_TEST;

GST_START_TEST (test_duplicates_never_make_loss_negative)
{
  static const guint16 seqs[] = { 1, 3, 3, 3, 3, 3, 2, 2, 2, 1, 1 };
  HfRtpStats s;
  guint i;

  hf_rtp_stats_init (&s, HF_TEST_CLOCK);
  for (i = 0; i < G_N_ELEMENTS (seqs); i++) {
    hf_test_feed (&s, &seqs[i], 1);
    fail_unless (s.received <= hf_rtp_stats_expected (&s),
        "after packet %u: received %" G_GUINT64_FORMAT " > expected %"
        G_GUINT64_FORMAT, i, s.received, hf_rtp_stats_expected (&s));
  }
  fail_unless_equals_uint64 (hf_rtp_stats_expected (&s), 3);
  fail_unless_equals_uint64 (s.received, 3);
  fail_unless_equals_uint64 (s.duplicates, 8);
  fail_unless_equals_uint64 (hf_rtp_stats_lost (&s), 0);
}

GST_END_TEST;

GST_START_TEST (test_late_duplicate_of_lost_slot_counts_once)
{
  static const guint16 seqs[] = { 0, 3, 1, 1 };
  HfRtpStats s;

  hf_rtp_stats_init (&s, HF_TEST_CLOCK);
  hf_test_feed (&s, seqs, G_N_ELEMENTS (seqs));
  fail_unless_equals_uint64 (hf_rtp_stats_lost (&s), 1);
  fail_unless_equals_uint64 (s.reordered, 1);
  fail_unless_equals_uint64 (s.duplicates, 1);
}

GST_END_TEST;

GST_START_TEST (test_sender_restart_keeps_earlier_loss)
{
  HfRtpStats s;
  guint16 missing_five[] = { 0, 1, 2, 3, 4, 6, 7, 8, 9 };

  hf_rtp_stats_init (&s, HF_TEST_CLOCK);
  hf_test_feed (&s, missing_five, G_N_ELEMENTS (missing_five));
  fail_unless_equals_uint64 (hf_rtp_stats_lost (&s), 1);

  /* The pusher restarts with a random sequence number. */
  hf_test_feed_range (&s, 40000, 40009);
  fail_unless_equals_uint64 (s.restarts, 1);
  fail_unless_equals_uint64 (hf_rtp_stats_expected (&s), 20);
  fail_unless_equals_uint64 (s.received, 19);
  fail_unless_equals_uint64 (hf_rtp_stats_lost (&s), 1);

  /* New loss after the restart adds to the old. */
  hf_test_feed_range (&s, 40012, 40012);
  fail_unless_equals_uint64 (hf_rtp_stats_lost (&s), 3);
}

GST_END_TEST;

GST_START_TEST (test_backward_jump_beyond_dropout_restarts)
{
  HfRtpStats s;

  hf_rtp_stats_init (&s, HF_TEST_CLOCK);
  hf_test_feed_range (&s, 30000, 30009);
  hf_test_feed_range (&s, 100, 104);
  fail_unless_equals_uint64 (s.restarts, 1);
  fail_unless_equals_uint64 (hf_rtp_stats_expected (&s), 15);
  fail_unless_equals_uint64 (hf_rtp_stats_lost (&s), 0);
}

GST_END_TEST;

/* The header promises that only a jump larger than MAX_DROPOUT restarts
 * the count.  A single stale packet a few hundred behind (a late duplicate,
 * say) is no restart, and the stream that goes on after it has lost
 * nothing. */
GST_START_TEST (test_stale_packet_within_dropout_does_not_restart_or_add_loss)
{
  HfRtpStats s;
  guint16 stale = 300;

  hf_rtp_stats_init (&s, HF_TEST_CLOCK);
  hf_test_feed_range (&s, 0, 499);
  hf_test_feed (&s, &stale, 1);
  hf_test_feed_range (&s, 500, 509);
  fail_unless (s.restarts == 0 && hf_rtp_stats_lost (&s) == 0,
      "one stale packet 199 behind: %" G_GUINT64_FORMAT " restarts, %"
      G_GUINT64_FORMAT " lost (expected 0 and 0)", s.restarts,
      hf_rtp_stats_lost (&s));
}

GST_END_TEST;

/* After a gap longer than the duplicate history, a packet of the gap that
 * arrives late must still count as received (not as a duplicate). */
GST_START_TEST (test_late_packet_after_gap_longer_than_history_is_counted)
{
  static const guint16 seqs[] = { 0, 1100, 1024 };
  HfRtpStats s;

  hf_rtp_stats_init (&s, HF_TEST_CLOCK);
  hf_test_feed (&s, seqs, G_N_ELEMENTS (seqs));
  fail_unless_equals_uint64 (hf_rtp_stats_expected (&s), 1101);
  fail_unless (s.received == 3 && s.duplicates == 0,
      "packet 1024 (76 behind 1100, never seen) taken for a duplicate: "
      "received %" G_GUINT64_FORMAT ", duplicates %" G_GUINT64_FORMAT,
      s.received, s.duplicates);
  fail_unless_equals_uint64 (hf_rtp_stats_lost (&s), 1098);
}

GST_END_TEST;

GST_START_TEST (test_jitter_is_zero_for_constant_spacing)
{
  HfRtpStats s;
  guint i;

  hf_rtp_stats_init (&s, HF_TEST_CLOCK);
  for (i = 0; i < 500; i++)
    hf_rtp_stats_update (&s, i, 12345 + i * HF_TEST_TS_STEP,
        HF_TEST_T0_US + i * 20000);
  fail_unless_equals_float (hf_rtp_stats_jitter_ms (&s), 0.0);
}

GST_END_TEST;

GST_START_TEST (test_jitter_of_one_late_packet_is_a_sixteenth_of_its_delay)
{
  HfRtpStats s;

  hf_rtp_stats_init (&s, HF_TEST_CLOCK);
  hf_rtp_stats_update (&s, 0, 0, HF_TEST_T0_US);
  /* 1.6 ms late = 144 ticks of 90 kHz: J = 144 / 16 = 9 ticks = 0.1 ms. */
  hf_rtp_stats_update (&s, 1, HF_TEST_TS_STEP, HF_TEST_T0_US + 20000 + 1600);
  fail_unless (fabs (hf_rtp_stats_jitter_ms (&s) - 0.1) < 1e-9,
      "jitter %.9f ms, expected 0.1", hf_rtp_stats_jitter_ms (&s));
}

GST_END_TEST;

GST_START_TEST (test_jitter_follows_rfc3550_formula)
{
  /* Arrival offsets from a perfect 20 ms grid, in multiples of 100 us so
   * that every arrival is a whole number of 90 kHz ticks (100 us = 9). */
  static const gint offsets_us[] = {
    0, 1200, -300, 4500, 0, 0, 800, -2200, 10000, 300, 300, -700, 0, 6100,
    -100, 2500, 0, 0, 0, 1900, -4000, 700, 200, 0, 12000, 0, 0, 0, 0, 0,
  };
  HfRtpStats s;
  gdouble j = 0.0, prev_transit = 0.0, tick_ms = 1000.0 / HF_TEST_CLOCK;
  guint i;

  hf_rtp_stats_init (&s, HF_TEST_CLOCK);
  for (i = 0; i < G_N_ELEMENTS (offsets_us); i++) {
    gint64 arrival_us = HF_TEST_T0_US + i * 20000 + offsets_us[i];
    guint32 rtp_ts = 777 + i * HF_TEST_TS_STEP;
    gdouble transit = arrival_us * (gdouble) HF_TEST_CLOCK / 1e6 - rtp_ts;

    /* RFC 3550 6.4.1: D = difference of transits, J += (|D| - J) / 16. */
    if (i > 0)
      j += (fabs (transit - prev_transit) - j) / 16.0;
    prev_transit = transit;
    hf_rtp_stats_update (&s, i, rtp_ts, arrival_us);
    /* The integer version of RFC 3550 A.8 rounds at every step. */
    fail_unless (fabs (hf_rtp_stats_jitter_ms (&s) - j * tick_ms) <= tick_ms,
        "packet %u: jitter %.6f ms, RFC formula %.6f ms", i,
        hf_rtp_stats_jitter_ms (&s), j * tick_ms);
  }
  /* Make sure the sequence did move the estimate. */
  fail_unless (j * tick_ms > 0.5, "expected jitter %.6f ms", j * tick_ms);
}

GST_END_TEST;

GST_START_TEST (test_jitter_uses_clock_rate)
{
  HfRtpStats s;

  /* 48 kHz audio: 1 ms late = 48 ticks, J = 3 ticks = 0.0625 ms. */
  hf_rtp_stats_init (&s, 48000);
  hf_rtp_stats_update (&s, 0, 0, HF_TEST_T0_US);
  hf_rtp_stats_update (&s, 1, 960, HF_TEST_T0_US + 20000 + 1000);
  fail_unless (fabs (hf_rtp_stats_jitter_ms (&s) - 0.0625) < 1e-9,
      "jitter %.9f ms, expected 0.0625", hf_rtp_stats_jitter_ms (&s));
}

GST_END_TEST;

static Suite *
hf_rtpstats_suite (void)
{
  Suite *s = suite_create ("hf-rtpstats");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_no_packet_means_nothing_expected);
  tcase_add_test (tc, test_in_order_sequence_has_no_loss);
  tcase_add_test (tc, test_loss_counts_gap_of_three);
  tcase_add_test (tc, test_loss_counts_gap_across_wraparound);
  tcase_add_test (tc, test_gap_spanning_the_wrap_is_counted);
  tcase_add_test (tc, test_late_packet_reduces_loss_and_counts_as_reordered);
  tcase_add_test (tc, test_late_packet_across_wraparound_is_reordered);
  tcase_add_test (tc, test_duplicates_are_not_counted_twice);
  tcase_add_test (tc, test_duplicates_never_make_loss_negative);
  tcase_add_test (tc, test_late_duplicate_of_lost_slot_counts_once);
  tcase_add_test (tc, test_sender_restart_keeps_earlier_loss);
  tcase_add_test (tc, test_backward_jump_beyond_dropout_restarts);
  tcase_add_test (tc,
      test_stale_packet_within_dropout_does_not_restart_or_add_loss);
  tcase_add_test (tc,
      test_late_packet_after_gap_longer_than_history_is_counted);
  tcase_add_test (tc, test_jitter_is_zero_for_constant_spacing);
  tcase_add_test (tc,
      test_jitter_of_one_late_packet_is_a_sixteenth_of_its_delay);
  tcase_add_test (tc, test_jitter_follows_rfc3550_formula);
  tcase_add_test (tc, test_jitter_uses_clock_rate);
  return s;
}

GST_CHECK_MAIN (hf_rtpstats);
