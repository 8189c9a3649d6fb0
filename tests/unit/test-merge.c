/* Unit tests of the first-copy-wins merge: the algorithm (failover/
 * hf-merge.c) with times passed in as numbers, and the "hfmerge" element
 * (failover/gsthfmerge.c) driven by two GstHarness on one element, one per
 * path, with the harness's test clock as "now".
 *
 * Every RTP packet pushed carries one MPEG-TS packet as payload, as a
 * pusher's rtpmp2tpay would; the tests check which sequence numbers come
 * out of the src pad, how often, and what the "stats" property says.
 *
 * Single-threaded: the harnesses push and pull on the test's thread.
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/rtp/gstrtpbuffer.h>

#include "failover/hf-failover.h"

#define HF_TEST_SSRC 0x11223344
#define HF_TEST_WINDOW_US (200 * G_GINT64_CONSTANT (1000))
#define HF_TEST_CAPS "application/x-rtp, media=video, clock-rate=90000, " \
    "encoding-name=MP2T, payload=33"
/* A fixed seed: a failure can be replayed; it is printed with every
 * failure of the random-loss test. */
#define HF_TEST_SEED 0x5eed2022u

/* ---- Helpers ------------------------------------------------------------- */

static GstBuffer *
hf_test_rtp (guint32 ssrc, guint16 seq)
{
  GstBuffer *buf = gst_rtp_buffer_new_allocate (188, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint8 *payload;

  fail_unless (gst_rtp_buffer_map (buf, GST_MAP_WRITE, &rtp));
  gst_rtp_buffer_set_payload_type (&rtp, 33);
  gst_rtp_buffer_set_ssrc (&rtp, ssrc);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, (guint32) seq * 3000);
  payload = gst_rtp_buffer_get_payload (&rtp);
  memset (payload, 0xff, 188);
  payload[0] = 0x47;
  gst_rtp_buffer_unmap (&rtp);
  return buf;
}

static void
hf_test_push (GstHarness * h, guint32 ssrc, guint16 seq)
{
  fail_unless_equals_int (gst_harness_push (h, hf_test_rtp (ssrc, seq)),
      GST_FLOW_OK);
}

static guint16
hf_test_seq_of (GstBuffer * buf)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint16 seq;

  fail_unless (gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp));
  seq = gst_rtp_buffer_get_seq (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  return seq;
}

/* Pulls what came out so far; returns how many, their sequence numbers in
 * @seqs (may be NULL, else room for @max). */
static guint
hf_test_drain (GstHarness * h, guint16 * seqs, guint max)
{
  GstBuffer *buf;
  guint n = 0;

  while ((buf = gst_harness_try_pull (h))) {
    if (seqs && n < max)
      seqs[n] = hf_test_seq_of (buf);
    n++;
    gst_buffer_unref (buf);
  }
  return n;
}

/* Two paths into one hfmerge: h[0] on sink_0 (its harness also takes the
 * src pad's output), h[1] on sink_1. */
static void
hf_test_make_pair (GstHarness ** h)
{
  fail_unless (hf_failover_register_elements ());
  h[0] = gst_harness_new_with_padnames ("hfmerge", "sink_0", "src");
  h[1] = gst_harness_new_with_element (h[0]->element, "sink_1", NULL);
  gst_harness_set_src_caps_str (h[0], HF_TEST_CAPS);
  gst_harness_set_src_caps_str (h[1], HF_TEST_CAPS);
}

static void
hf_test_free_pair (GstHarness ** h)
{
  gst_harness_teardown (h[1]);
  gst_harness_teardown (h[0]);
}

/* The element's clock (each harness installs a GstTestClock; the last one
 * installed is the element's). */
static void
hf_test_set_time_ms (GstHarness * h, guint64 ms)
{
  GstClock *clock = gst_element_get_clock (h->element);

  fail_unless (GST_IS_TEST_CLOCK (clock));
  gst_test_clock_set_time (GST_TEST_CLOCK (clock), ms * GST_MSECOND);
  gst_object_unref (clock);
}

/* One path's figures from the element's "stats" property. */
static void
hf_test_path_stats (GstHarness * h, guint path, guint64 * received,
    guint64 * forwarded, guint64 * duplicates)
{
  GstStructure *s = NULL;
  const GValue *paths;
  guint i;
  gboolean found = FALSE;

  g_object_get (h->element, "stats", &s, NULL);
  fail_unless (s != NULL);
  paths = gst_structure_get_value (s, "paths");
  fail_unless (paths && GST_VALUE_HOLDS_ARRAY (paths));
  for (i = 0; i < gst_value_array_get_size (paths); i++) {
    const GstStructure *p =
        gst_value_get_structure (gst_value_array_get_value (paths, i));
    guint index;

    fail_unless (gst_structure_get_uint (p, "path", &index));
    if (index != path)
      continue;
    fail_unless (gst_structure_get_uint64 (p, "received", received));
    fail_unless (gst_structure_get_uint64 (p, "forwarded", forwarded));
    fail_unless (gst_structure_get_uint64 (p, "duplicates", duplicates));
    found = TRUE;
  }
  gst_structure_free (s);
  fail_unless (found, "no stats for path %u", path);
}

static guint64
hf_test_invalid (GstHarness * h)
{
  GstStructure *s = NULL;
  guint64 invalid = 0;

  g_object_get (h->element, "stats", &s, NULL);
  fail_unless (gst_structure_get_uint64 (s, "invalid", &invalid));
  gst_structure_free (s);
  return invalid;
}

/* ---- The algorithm, plain C ---------------------------------------------- */

GST_START_TEST (test_accept_forwards_first_copy_only)
{
  HfMerge *m = hf_merge_new (2, HF_TEST_WINDOW_US);
  HfMergePathStats st;

  fail_unless (hf_merge_accept (m, 0, HF_TEST_SSRC, 7, 1000));
  fail_if (hf_merge_accept (m, 1, HF_TEST_SSRC, 7, 2000));
  fail_if (hf_merge_accept (m, 0, HF_TEST_SSRC, 7, 3000));
  fail_unless (hf_merge_accept (m, 1, HF_TEST_SSRC, 8, 4000));
  fail_if (hf_merge_accept (m, 0, HF_TEST_SSRC, 8, 5000));

  hf_merge_get_path_stats (m, 0, &st);
  fail_unless_equals_uint64 (st.received, 3);
  fail_unless_equals_uint64 (st.forwarded, 1);
  fail_unless_equals_uint64 (st.duplicates, 2);
  fail_unless_equals_int64 (st.last_packet_us, 5000);
  hf_merge_get_path_stats (m, 1, &st);
  fail_unless_equals_uint64 (st.received, 2);
  fail_unless_equals_uint64 (st.forwarded, 1);
  fail_unless_equals_uint64 (st.duplicates, 1);
  hf_merge_free (m);
}

GST_END_TEST;

GST_START_TEST (test_accept_rejects_a_path_it_was_not_made_for)
{
  HfMerge *m = hf_merge_new (2, HF_TEST_WINDOW_US);
  HfMergePathStats st;

  fail_if (hf_merge_accept (m, 2, HF_TEST_SSRC, 1, 1000));
  fail_if (hf_merge_accept (m, G_MAXUINT, HF_TEST_SSRC, 1, 1000));
  /* Nothing was remembered from those: path 0's copy is the first. */
  fail_unless (hf_merge_accept (m, 0, HF_TEST_SSRC, 1, 1000));
  hf_merge_get_path_stats (m, 2, &st);
  fail_unless_equals_uint64 (st.received, 0);
  fail_unless_equals_int64 (st.last_packet_us, 0);
  hf_merge_free (m);
}

GST_END_TEST;

GST_START_TEST (test_accept_window_is_exclusive_at_its_end)
{
  HfMerge *m = hf_merge_new (2, HF_TEST_WINDOW_US);

  fail_unless (hf_merge_accept (m, 0, HF_TEST_SSRC, 9, 10000));
  fail_if (hf_merge_accept (m, 1, HF_TEST_SSRC, 9,
          10000 + HF_TEST_WINDOW_US - 1));
  /* A whole window later the number is new again, and remembered anew. */
  fail_unless (hf_merge_accept (m, 1, HF_TEST_SSRC, 9,
          10000 + HF_TEST_WINDOW_US));
  fail_if (hf_merge_accept (m, 0, HF_TEST_SSRC, 9,
          10000 + HF_TEST_WINDOW_US + 1));
  hf_merge_free (m);
}

GST_END_TEST;

GST_START_TEST (test_accept_clock_stepping_far_back_forwards_again)
{
  HfMerge *m = hf_merge_new (2, HF_TEST_WINDOW_US);

  fail_unless (hf_merge_accept (m, 0, HF_TEST_SSRC, 3, 10 * G_USEC_PER_SEC));
  /* A little back (another thread's reading of the clock): still a copy. */
  fail_if (hf_merge_accept (m, 1, HF_TEST_SSRC, 3, 10 * G_USEC_PER_SEC - 5));
  /* A new clock with another origin: not taken for a copy for ever. */
  fail_unless (hf_merge_accept (m, 1, HF_TEST_SSRC, 3, 0));
  fail_if (hf_merge_accept (m, 0, HF_TEST_SSRC, 3, 10));
  hf_merge_free (m);
}

GST_END_TEST;

GST_START_TEST (test_accept_new_ssrc_resets_and_late_old_copies_drop)
{
  HfMerge *m = hf_merge_new (2, HF_TEST_WINDOW_US);
  guint16 seq;

  for (seq = 100; seq < 110; seq++)
    fail_unless (hf_merge_accept (m, 0, 0xaaaa, seq, 1000 + seq));
  /* The pusher restarted with another SSRC and the same numbers. */
  for (seq = 100; seq < 110; seq++)
    fail_unless (hf_merge_accept (m, 0, 0xbbbb, seq, 2000 + seq));
  /* The slow path still delivers the old stream: dropped, and it does not
   * switch the merge back. */
  fail_if (hf_merge_accept (m, 1, 0xaaaa, 105, 3000));
  fail_if (hf_merge_accept (m, 1, 0xbbbb, 105, 3001));
  hf_merge_free (m);
}

GST_END_TEST;

GST_START_TEST (test_accept_every_number_of_a_wrap_once)
{
  HfMerge *m = hf_merge_new (2, HF_TEST_WINDOW_US);
  guint i, forwarded = 0;

  /* 70000 packets, 100 a millisecond: each number comes round again after
   * 655 ms, well outside the window, and is a new packet then. */
  for (i = 0; i < 70000; i++) {
    gint64 now = 1000000 + (gint64) i * 10;

    forwarded += hf_merge_accept (m, 0, HF_TEST_SSRC, i & 0xffff, now);
    forwarded += hf_merge_accept (m, 1, HF_TEST_SSRC, i & 0xffff, now + 5);
  }
  fail_unless_equals_int (forwarded, 70000);
  hf_merge_free (m);
}

GST_END_TEST;

/* ---- The element --------------------------------------------------------- */

GST_START_TEST (test_first_copy_wins_and_duplicates_are_dropped)
{
  GstHarness *h[2];
  guint16 seqs[32];
  guint64 rx, fwd, dup;
  guint i, n;

  hf_test_make_pair (h);
  hf_test_set_time_ms (h[0], 1000);
  for (i = 0; i < 10; i++)
    hf_test_push (h[0], HF_TEST_SSRC, i);
  for (i = 0; i < 10; i++)
    hf_test_push (h[1], HF_TEST_SSRC, i);
  /* Now path 1 is ahead. */
  for (i = 10; i < 20; i++)
    hf_test_push (h[1], HF_TEST_SSRC, i);
  for (i = 10; i < 20; i++)
    hf_test_push (h[0], HF_TEST_SSRC, i);

  n = hf_test_drain (h[0], seqs, G_N_ELEMENTS (seqs));
  fail_unless_equals_int (n, 20);
  for (i = 0; i < 20; i++)
    fail_unless_equals_int (seqs[i], i);

  hf_test_path_stats (h[0], 0, &rx, &fwd, &dup);
  fail_unless_equals_uint64 (rx, 20);
  fail_unless_equals_uint64 (fwd, 10);
  fail_unless_equals_uint64 (dup, 10);
  hf_test_path_stats (h[0], 1, &rx, &fwd, &dup);
  fail_unless_equals_uint64 (rx, 20);
  fail_unless_equals_uint64 (fwd, 10);
  fail_unless_equals_uint64 (dup, 10);
  fail_unless_equals_uint64 (hf_test_invalid (h[0]), 0);
  hf_test_free_pair (h);
}

GST_END_TEST;

GST_START_TEST (test_loses_nothing_when_each_path_drops_30_percent)
{
  const guint n_packets = 2000;
  /* Path 1 runs 25 packets (25 ms) behind path 0. */
  const guint lag = 25;
  GstHarness *h[2];
  GRand *rand = g_rand_new_with_seed (HF_TEST_SEED);
  gboolean *carried = g_new0 (gboolean, n_packets);
  gboolean *on_path[2];
  guint *out_count = g_new0 (guint, n_packets);
  guint expected = 0, n_out = 0, step, seq, p;
  GstBuffer *buf;

  on_path[0] = g_new0 (gboolean, n_packets);
  on_path[1] = g_new0 (gboolean, n_packets);
  for (seq = 0; seq < n_packets; seq++) {
    for (p = 0; p < 2; p++)
      on_path[p][seq] = g_rand_double (rand) >= 0.30;
    carried[seq] = on_path[0][seq] || on_path[1][seq];
    expected += carried[seq];
  }

  hf_test_make_pair (h);
  /* One packet a millisecond, starting at 500 (0 would be too special). */
  for (step = 0; step < n_packets + lag; step++) {
    hf_test_set_time_ms (h[0], 500 + step);
    if (step < n_packets && on_path[0][step])
      hf_test_push (h[0], HF_TEST_SSRC, step);
    if (step >= lag && on_path[1][step - lag])
      hf_test_push (h[1], HF_TEST_SSRC, step - lag);
  }

  while ((buf = gst_harness_try_pull (h[0]))) {
    seq = hf_test_seq_of (buf);
    fail_unless (seq < n_packets, "seed 0x%x: seq %u out of range",
        HF_TEST_SEED, seq);
    out_count[seq]++;
    n_out++;
    gst_buffer_unref (buf);
  }
  for (seq = 0; seq < n_packets; seq++)
    fail_unless (out_count[seq] == (carried[seq] ? 1u : 0u),
        "seed 0x%x: seq %u came out %u times, carried by %s", HF_TEST_SEED,
        seq, out_count[seq], !carried[seq] ? "no path" :
        on_path[0][seq] && on_path[1][seq] ? "both paths" :
        on_path[0][seq] ? "path 0" : "path 1");
  fail_unless (n_out == expected, "seed 0x%x: %u out, %u carried",
      HF_TEST_SEED, n_out, expected);
  /* Each path lost about 30 %, the merge about 9 %. */
  fail_unless (expected > n_packets * 85 / 100 &&
      expected < n_packets * 96 / 100, "seed 0x%x: %u carried",
      HF_TEST_SEED, expected);

  hf_test_free_pair (h);
  g_free (on_path[0]);
  g_free (on_path[1]);
  g_free (out_count);
  g_free (carried);
  g_rand_free (rand);
}

GST_END_TEST;

/* Both paths carry 0..@n-1, path 1 @lag packets behind; path @dead stops
 * for good at @dies_at.  The output must be every number once, in order. */
static void
hf_test_whole_path_loss (guint dead, guint dies_at)
{
  const guint n = 500, lag = 10;
  GstHarness *h[2];
  guint16 seqs[600];
  guint step, i, got;

  hf_test_make_pair (h);
  for (step = 0; step < n + lag; step++) {
    hf_test_set_time_ms (h[0], 1000 + step);
    if (step < n && !(dead == 0 && step >= dies_at))
      hf_test_push (h[0], HF_TEST_SSRC, step);
    if (step >= lag && !(dead == 1 && step - lag >= dies_at))
      hf_test_push (h[1], HF_TEST_SSRC, step - lag);
  }
  got = hf_test_drain (h[0], seqs, G_N_ELEMENTS (seqs));
  fail_unless_equals_int (got, n);
  for (i = 0; i < n; i++)
    fail_unless_equals_int (seqs[i], i);
  hf_test_free_pair (h);
}

GST_START_TEST (test_whole_path_loss_loses_nothing)
{
  /* The leading path dies: the lagging one fills in from where it is. */
  hf_test_whole_path_loss (0, 200);
  /* The lagging path dies. */
  hf_test_whole_path_loss (1, 200);
}

GST_END_TEST;

GST_START_TEST (test_seq_wraparound)
{
  GstHarness *h[2];
  guint16 seqs[32];
  guint i, n;

  hf_test_make_pair (h);
  hf_test_set_time_ms (h[0], 1000);
  for (i = 0; i < 16; i++) {
    guint16 seq = (guint16) (65530 + i);

    hf_test_push (h[0], HF_TEST_SSRC, seq);
    hf_test_push (h[1], HF_TEST_SSRC, seq);
  }
  n = hf_test_drain (h[0], seqs, G_N_ELEMENTS (seqs));
  fail_unless_equals_int (n, 16);
  for (i = 0; i < 16; i++)
    fail_unless_equals_int (seqs[i], (guint16) (65530 + i));
  hf_test_free_pair (h);
}

GST_END_TEST;

GST_START_TEST (test_new_ssrc_starts_afresh)
{
  GstHarness *h[2];
  guint16 seqs[32];
  guint i, n;

  hf_test_make_pair (h);
  hf_test_set_time_ms (h[0], 1000);
  for (i = 100; i < 110; i++) {
    hf_test_push (h[0], 0xaaaa, i);
    hf_test_push (h[1], 0xaaaa, i);
  }
  fail_unless_equals_int (hf_test_drain (h[0], NULL, 0), 10);

  /* The pusher restarted at once with a new SSRC and the same numbers:
   * they are new packets, not copies. */
  hf_test_set_time_ms (h[0], 1010);
  for (i = 100; i < 110; i++) {
    hf_test_push (h[0], 0xbbbb, i);
    hf_test_push (h[1], 0xbbbb, i);
  }
  n = hf_test_drain (h[0], seqs, G_N_ELEMENTS (seqs));
  fail_unless_equals_int (n, 10);
  for (i = 0; i < 10; i++)
    fail_unless_equals_int (seqs[i], 100 + i);
  hf_test_free_pair (h);
}

GST_END_TEST;

GST_START_TEST (test_garbage_is_counted_not_forwarded)
{
  static const guint8 short_packet[] = { 0x80, 0x21, 0x00 };
  guint8 not_rtp[40] = { 0 };   /* version 0 */
  GstHarness *h[2];
  guint16 seqs[4];

  hf_test_make_pair (h);
  hf_test_set_time_ms (h[0], 1000);
  fail_unless_equals_int (gst_harness_push (h[0],
          gst_buffer_new_memdup (short_packet, sizeof (short_packet))),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (h[1],
          gst_buffer_new_memdup (not_rtp, sizeof (not_rtp))), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (h[1], gst_buffer_new ()),
      GST_FLOW_OK);
  hf_test_push (h[1], HF_TEST_SSRC, 42);

  fail_unless_equals_int (hf_test_drain (h[0], seqs, G_N_ELEMENTS (seqs)), 1);
  fail_unless_equals_int (seqs[0], 42);
  fail_unless_equals_uint64 (hf_test_invalid (h[0]), 3);
  hf_test_free_pair (h);
}

GST_END_TEST;

GST_START_TEST (test_seq_seen_outside_window_is_forwarded_again)
{
  GstHarness *h[2];
  guint16 seqs[4];

  hf_test_make_pair (h);
  hf_test_set_time_ms (h[0], 1000);
  hf_test_push (h[0], HF_TEST_SSRC, 5);
  /* 199 ms later: still a copy. */
  hf_test_set_time_ms (h[0], 1199);
  hf_test_push (h[1], HF_TEST_SSRC, 5);
  fail_unless_equals_int (hf_test_drain (h[0], NULL, 0), 1);
  /* 200 ms after it went out the number is forgotten: a copy that late
   * (or the number come round again) goes out. */
  hf_test_set_time_ms (h[0], 1200);
  hf_test_push (h[1], HF_TEST_SSRC, 5);
  fail_unless_equals_int (hf_test_drain (h[0], seqs, G_N_ELEMENTS (seqs)), 1);
  fail_unless_equals_int (seqs[0], 5);
  hf_test_free_pair (h);
}

GST_END_TEST;

GST_START_TEST (test_window_ms_property_sets_the_window)
{
  GstHarness *h[2];
  guint window = 0;

  hf_test_make_pair (h);
  g_object_get (h[0]->element, "window-ms", &window, NULL);
  fail_unless_equals_int (window, 200);
  g_object_set (h[0]->element, "window-ms", 50, NULL);
  hf_test_set_time_ms (h[0], 1000);
  hf_test_push (h[0], HF_TEST_SSRC, 5);
  hf_test_set_time_ms (h[0], 1049);
  hf_test_push (h[1], HF_TEST_SSRC, 5);
  hf_test_set_time_ms (h[0], 1050);
  hf_test_push (h[1], HF_TEST_SSRC, 6);
  hf_test_push (h[0], HF_TEST_SSRC, 5);
  fail_unless_equals_int (hf_test_drain (h[0], NULL, 0), 3);
  hf_test_free_pair (h);
}

GST_END_TEST;

/* Counts the events of @type that reached the harness's sink. */
static guint
hf_test_count_events (GstHarness * h, GstEventType type)
{
  GstEvent *ev;
  guint n = 0;

  while ((ev = gst_harness_try_pull_event (h))) {
    if (GST_EVENT_TYPE (ev) == type)
      n++;
    gst_event_unref (ev);
  }
  return n;
}

GST_START_TEST (test_sticky_events_go_out_once)
{
  GstHarness *h[2];
  GstEvent *ev;
  guint stream_start = 0, caps = 0, segment = 0;

  hf_test_make_pair (h);
  hf_test_push (h[0], HF_TEST_SSRC, 1);
  hf_test_push (h[1], HF_TEST_SSRC, 2);
  fail_unless_equals_int (hf_test_drain (h[0], NULL, 0), 2);
  while ((ev = gst_harness_try_pull_event (h[0]))) {
    switch (GST_EVENT_TYPE (ev)) {
      case GST_EVENT_STREAM_START:
        stream_start++;
        break;
      case GST_EVENT_CAPS:
        caps++;
        break;
      case GST_EVENT_SEGMENT:
        segment++;
        break;
      default:
        break;
    }
    gst_event_unref (ev);
  }
  fail_unless_equals_int (stream_start, 1);
  fail_unless_equals_int (caps, 1);
  fail_unless_equals_int (segment, 1);
  hf_test_free_pair (h);
}

GST_END_TEST;

GST_START_TEST (test_eos_only_when_every_path_has_ended)
{
  GstHarness *h[2];

  hf_test_make_pair (h);
  hf_test_push (h[0], HF_TEST_SSRC, 1);
  fail_unless (gst_harness_push_event (h[0], gst_event_new_eos ()));
  fail_unless_equals_int (hf_test_count_events (h[0], GST_EVENT_EOS), 0);
  /* The other path goes on. */
  hf_test_push (h[1], HF_TEST_SSRC, 2);
  fail_unless_equals_int (hf_test_drain (h[0], NULL, 0), 2);
  fail_unless (gst_harness_push_event (h[1], gst_event_new_eos ()));
  fail_unless_equals_int (hf_test_count_events (h[0], GST_EVENT_EOS), 1);
  hf_test_free_pair (h);
}

GST_END_TEST;

GST_START_TEST (test_releasing_the_last_live_path_sends_eos)
{
  GstHarness *h[2];
  GstPad *extra;

  hf_test_make_pair (h);
  extra = gst_element_request_pad_simple (h[0]->element, "sink_%u");
  fail_unless (extra != NULL);
  fail_unless_equals_string (GST_PAD_NAME (extra), "sink_2");
  fail_unless (gst_harness_push_event (h[0], gst_event_new_eos ()));
  fail_unless (gst_harness_push_event (h[1], gst_event_new_eos ()));
  fail_unless_equals_int (hf_test_count_events (h[0], GST_EVENT_EOS), 0);
  gst_element_release_request_pad (h[0]->element, extra);
  gst_object_unref (extra);
  fail_unless_equals_int (hf_test_count_events (h[0], GST_EVENT_EOS), 1);
  hf_test_free_pair (h);
}

GST_END_TEST;

GST_START_TEST (test_pad_requests_beyond_the_paths_are_refused)
{
  GstHarness *h[2];
  GstPad *pads[HF_MERGE_MAX_PATHS];
  guint i, n = 0;

  hf_test_make_pair (h);
  fail_unless (gst_element_request_pad_simple (h[0]->element,
          "sink_99") == NULL);
  for (i = 0; i < HF_MERGE_MAX_PATHS; i++) {
    pads[i] = gst_element_request_pad_simple (h[0]->element, "sink_%u");
    if (pads[i])
      n++;
  }
  fail_unless_equals_int (n, HF_MERGE_MAX_PATHS - 2);
  for (i = 0; i < HF_MERGE_MAX_PATHS; i++) {
    if (!pads[i])
      continue;
    gst_element_release_request_pad (h[0]->element, pads[i]);
    gst_object_unref (pads[i]);
  }
  hf_test_free_pair (h);
}

GST_END_TEST;

static Suite *
hf_merge_suite (void)
{
  Suite *s = suite_create ("hf-merge");
  TCase *tc_algo = tcase_create ("algorithm");
  TCase *tc_elem = tcase_create ("element");

  suite_add_tcase (s, tc_algo);
  tcase_add_test (tc_algo, test_accept_forwards_first_copy_only);
  tcase_add_test (tc_algo, test_accept_rejects_a_path_it_was_not_made_for);
  tcase_add_test (tc_algo, test_accept_window_is_exclusive_at_its_end);
  tcase_add_test (tc_algo, test_accept_clock_stepping_far_back_forwards_again);
  tcase_add_test (tc_algo,
      test_accept_new_ssrc_resets_and_late_old_copies_drop);
  tcase_add_test (tc_algo, test_accept_every_number_of_a_wrap_once);

  suite_add_tcase (s, tc_elem);
  tcase_add_test (tc_elem, test_first_copy_wins_and_duplicates_are_dropped);
  tcase_add_test (tc_elem, test_loses_nothing_when_each_path_drops_30_percent);
  tcase_add_test (tc_elem, test_whole_path_loss_loses_nothing);
  tcase_add_test (tc_elem, test_seq_wraparound);
  tcase_add_test (tc_elem, test_new_ssrc_starts_afresh);
  tcase_add_test (tc_elem, test_garbage_is_counted_not_forwarded);
  tcase_add_test (tc_elem, test_seq_seen_outside_window_is_forwarded_again);
  tcase_add_test (tc_elem, test_window_ms_property_sets_the_window);
  tcase_add_test (tc_elem, test_sticky_events_go_out_once);
  tcase_add_test (tc_elem, test_eos_only_when_every_path_has_ended);
  tcase_add_test (tc_elem, test_releasing_the_last_live_path_sends_eos);
  tcase_add_test (tc_elem, test_pad_requests_beyond_the_paths_are_refused);
  return s;
}

GST_CHECK_MAIN (hf_merge);
