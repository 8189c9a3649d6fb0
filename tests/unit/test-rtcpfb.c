/* Unit tests of the RTCP feedback builders and parser (abr/hf-rtcpfb.c):
 * every builder round-trips through the parser inside a compound packet,
 * a NACK covers sequence numbers across the 16-bit wrap, REMB and TMMBR
 * carry 30 kbit/s .. 100 Mbit/s within their mantissa's precision, the
 * parser picks the SSRC asked for, and truncated or garbage packets are
 * HF_RTCP_MALFORMED with nothing reported.
 *
 * Single-threaded, plain C.
 */
#include <gst/check/gstcheck.h>

#include "abr/hf-abr.h"

#include <string.h>

#define HF_TEST_RECEIVER_SSRC 0x11223344u
#define HF_TEST_MEDIA_SSRC 0xcafebabeu
#define HF_TEST_OTHER_SSRC 0x0badf00du

static GByteArray *
hf_test_compound_with_rr (void)
{
  GByteArray *out = g_byte_array_new ();

  hf_rtcp_build_rr (out, HF_TEST_RECEIVER_SSRC, HF_TEST_MEDIA_SSRC, 26,
      1234, 0x0001fff0, 321);
  return out;
}

GST_START_TEST (test_rr_round_trips)
{
  g_autoptr (GByteArray) out = hf_test_compound_with_rr ();
  HfRtcpFeedback fb;

  fail_unless_equals_int (out->len, 32);
  fail_unless_equals_int (hf_rtcp_parse_feedback (out->data, out->len,
          HF_TEST_MEDIA_SSRC, &fb), HF_RTCP_OK);
  fail_unless (fb.has_rr);
  fail_unless_equals_int (fb.media_ssrc, HF_TEST_MEDIA_SSRC);
  fail_unless_equals_int (fb.fraction_lost, 26);
  fail_unless_equals_int (fb.cumulative_lost, 1234);
  fail_unless_equals_int (fb.highest_seq, 0x0001fff0);
  fail_unless_equals_int (fb.jitter, 321);
  fail_unless_equals_int (fb.remb_bps, 0);
  fail_unless_equals_int (fb.n_nacks, 0);

  /* The same packet is about nothing when another SSRC is asked for. */
  fail_unless_equals_int (hf_rtcp_parse_feedback (out->data, out->len,
          HF_TEST_OTHER_SSRC, &fb), HF_RTCP_OK);
  fail_if (fb.has_rr);
}

GST_END_TEST;

GST_START_TEST (test_remb_round_trips_and_matches_fci_ssrc)
{
  g_autoptr (GByteArray) out = hf_test_compound_with_rr ();
  HfRtcpFeedback fb;

  hf_rtcp_build_remb (out, HF_TEST_RECEIVER_SSRC, HF_TEST_MEDIA_SSRC, 1500000);
  fail_unless_equals_int (out->len, 32 + 24);
  /* The REMB's media SSRC field is 0; the stream is named in the FCI. */
  fail_unless_equals_int (out->data[32 + 8] | out->data[32 + 9] |
      out->data[32 + 10] | out->data[32 + 11], 0);
  fail_unless (memcmp (out->data + 32 + 12, "REMB", 4) == 0);

  fail_unless_equals_int (hf_rtcp_parse_feedback (out->data, out->len,
          HF_TEST_MEDIA_SSRC, &fb), HF_RTCP_OK);
  fail_unless_equals_uint64 (fb.remb_bps, 1500000);
  fail_unless (fb.has_rr);

  fail_unless_equals_int (hf_rtcp_parse_feedback (out->data, out->len,
          HF_TEST_OTHER_SSRC, &fb), HF_RTCP_OK);
  fail_unless_equals_uint64 (fb.remb_bps, 0);

  fail_unless_equals_int (hf_rtcp_parse_feedback (out->data, out->len, 0,
          &fb), HF_RTCP_OK);
  fail_unless_equals_uint64 (fb.remb_bps, 1500000);
}

GST_END_TEST;

GST_START_TEST (test_tmmbr_round_trips_with_overhead)
{
  g_autoptr (GByteArray) out = hf_test_compound_with_rr ();
  HfRtcpFeedback fb;
  guint32 w;

  hf_rtcp_build_tmmbr (out, HF_TEST_RECEIVER_SSRC, HF_TEST_MEDIA_SSRC,
      2000000, 40);
  fail_unless_equals_int (out->len, 32 + 20);
  fail_unless_equals_int (out->data[32] & 0x1f, 3);     /* FMT TMMBR */
  fail_unless_equals_int (out->data[33], 205);
  w = ((guint32) out->data[48] << 24) | (out->data[49] << 16) |
      (out->data[50] << 8) | out->data[51];
  fail_unless_equals_int (w & 0x1ff, 40);

  fail_unless_equals_int (hf_rtcp_parse_feedback (out->data, out->len,
          HF_TEST_MEDIA_SSRC, &fb), HF_RTCP_OK);
  fail_unless_equals_uint64 (fb.tmmbr_bps, 2000000);
  fail_unless_equals_int (hf_rtcp_parse_feedback (out->data, out->len,
          HF_TEST_OTHER_SSRC, &fb), HF_RTCP_OK);
  fail_unless_equals_uint64 (fb.tmmbr_bps, 0);
}

GST_END_TEST;

static void
hf_test_check_rate_precision (gboolean remb)
{
  guint64 bps;

  for (bps = 30000; bps <= 100000000; bps = bps * 11 / 10 + 7) {
    g_autoptr (GByteArray) out = hf_test_compound_with_rr ();
    HfRtcpFeedback fb;
    guint64 got;
    /* Rounded down to a 18-bit (REMB) or 17-bit (TMMBR) mantissa. */
    gdouble precision = remb ? 1.0 / (1 << 17) : 1.0 / (1 << 16);

    if (remb)
      hf_rtcp_build_remb (out, HF_TEST_RECEIVER_SSRC, HF_TEST_MEDIA_SSRC, bps);
    else
      hf_rtcp_build_tmmbr (out, HF_TEST_RECEIVER_SSRC, HF_TEST_MEDIA_SSRC,
          bps, 28);
    fail_unless_equals_int (hf_rtcp_parse_feedback (out->data, out->len,
            HF_TEST_MEDIA_SSRC, &fb), HF_RTCP_OK);
    got = remb ? fb.remb_bps : fb.tmmbr_bps;
    fail_unless (got <= bps && (gdouble) (bps - got) / bps <= precision,
        "%s %" G_GUINT64_FORMAT " bit/s came back as %" G_GUINT64_FORMAT,
        remb ? "REMB" : "TMMBR", bps, got);
  }
}

GST_START_TEST (test_remb_exponent_encoding_30k_to_100m)
{
  hf_test_check_rate_precision (TRUE);
}

GST_END_TEST;

GST_START_TEST (test_tmmbr_exponent_encoding_30k_to_100m)
{
  hf_test_check_rate_precision (FALSE);
}

GST_END_TEST;

static void
hf_test_assert_nacks (const HfRtcpFeedback * fb, const guint16 * want,
    guint n_want)
{
  guint i;

  fail_unless_equals_int (fb->n_nacks, n_want);
  for (i = 0; i < n_want; i++)
    fail_unless_equals_int (fb->nacks[i], want[i]);
}

GST_START_TEST (test_nack_bitmask_across_wrap)
{
  /* Out of order, with a duplicate, across 65535 -> 0. */
  const guint16 seqs[] = { 2, 65534, 65530, 0, 65534, 14, 20 };
  const guint16 want[] = { 65530, 65534, 0, 2, 14, 20 };
  g_autoptr (GByteArray) out = hf_test_compound_with_rr ();
  HfRtcpFeedback fb;
  guint fci_bytes;

  hf_rtcp_build_nack (out, HF_TEST_RECEIVER_SSRC, HF_TEST_MEDIA_SSRC, seqs,
      G_N_ELEMENTS (seqs));
  /* 65530 + bits for 65534, 0, 2 (offsets 4, 6, 8); 14 + bit for 20. */
  fci_bytes = out->len - 32 - 12;
  fail_unless_equals_int (fci_bytes, 8);
  fail_unless_equals_int ((out->data[44] << 8) | out->data[45], 65530);
  fail_unless_equals_int ((out->data[46] << 8) | out->data[47],
      (1 << 3) | (1 << 5) | (1 << 7));
  fail_unless_equals_int ((out->data[48] << 8) | out->data[49], 14);
  fail_unless_equals_int ((out->data[50] << 8) | out->data[51], 1 << 5);

  fail_unless_equals_int (hf_rtcp_parse_feedback (out->data, out->len,
          HF_TEST_MEDIA_SSRC, &fb), HF_RTCP_OK);
  hf_test_assert_nacks (&fb, want, G_N_ELEMENTS (want));
}

GST_END_TEST;

GST_START_TEST (test_nack_long_run_splits_and_caps)
{
  guint16 seqs[600];
  g_autoptr (GByteArray) out = hf_test_compound_with_rr ();
  HfRtcpFeedback fb;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (seqs); i++)
    seqs[i] = (guint16) (65000 + i * 17);       /* one FCI each */
  hf_rtcp_build_nack (out, HF_TEST_RECEIVER_SSRC, HF_TEST_MEDIA_SSRC, seqs,
      G_N_ELEMENTS (seqs));
  /* 600 FCIs: three RTPFB packets, each within its 16-bit length. */
  fail_unless_equals_int (out->len, 32 + 3 * 12 + 600 * 4);
  fail_unless_equals_int (hf_rtcp_parse_feedback (out->data, out->len,
          HF_TEST_MEDIA_SSRC, &fb), HF_RTCP_OK);
  /* The first HF_RTCP_MAX_NACKS, in order. */
  fail_unless_equals_int (fb.n_nacks, HF_RTCP_MAX_NACKS);
  for (i = 0; i < HF_RTCP_MAX_NACKS; i++)
    fail_unless_equals_int (fb.nacks[i], seqs[i]);
}

GST_END_TEST;

GST_START_TEST (test_all_in_one_compound)
{
  const guint16 seqs[] = { 100, 101, 117 };
  g_autoptr (GByteArray) out = hf_test_compound_with_rr ();
  HfRtcpFeedback fb;
  /* An SDES with one empty chunk, as senders put after the RR. */
  const guint8 sdes[] = { 0x81, 202, 0, 1, 0x11, 0x22, 0x33, 0x44 };

  g_byte_array_append (out, sdes, sizeof (sdes));
  hf_rtcp_build_remb (out, HF_TEST_RECEIVER_SSRC, HF_TEST_MEDIA_SSRC, 800000);
  hf_rtcp_build_tmmbr (out, HF_TEST_RECEIVER_SSRC, HF_TEST_MEDIA_SSRC,
      900000, 0);
  hf_rtcp_build_nack (out, HF_TEST_RECEIVER_SSRC, HF_TEST_MEDIA_SSRC, seqs,
      G_N_ELEMENTS (seqs));
  fail_unless_equals_int (hf_rtcp_parse_feedback (out->data, out->len,
          HF_TEST_MEDIA_SSRC, &fb), HF_RTCP_OK);
  fail_unless (fb.has_rr);
  fail_unless_equals_uint64 (fb.remb_bps, 800000);
  fail_unless_equals_uint64 (fb.tmmbr_bps, 900000);
  hf_test_assert_nacks (&fb, seqs, G_N_ELEMENTS (seqs));
}

GST_END_TEST;

GST_START_TEST (test_truncated_and_garbage_are_malformed)
{
  const guint16 seqs[] = { 5, 6 };
  g_autoptr (GByteArray) out = hf_test_compound_with_rr ();
  HfRtcpFeedback fb;
  guint8 bad[64];
  gsize cut;

  hf_rtcp_build_remb (out, HF_TEST_RECEIVER_SSRC, HF_TEST_MEDIA_SSRC, 1000000);
  hf_rtcp_build_nack (out, HF_TEST_RECEIVER_SSRC, HF_TEST_MEDIA_SSRC, seqs, 2);

  /* Every truncation of the compound packet but at its packet bounds. */
  for (cut = 0; cut < out->len; cut++) {
    if (cut == 32 || cut == 32 + 24)
      continue;
    fail_unless (hf_rtcp_parse_feedback (out->data, cut,
            HF_TEST_MEDIA_SSRC, &fb) == HF_RTCP_MALFORMED, "cut at %u",
        (guint) cut);
    fail_if (fb.has_rr || fb.remb_bps || fb.n_nacks);
  }

  /* Wrong version. */
  memcpy (bad, out->data, 32);
  bad[0] = 0x41;
  fail_unless_equals_int (hf_rtcp_parse_feedback (bad, 32, 0, &fb),
      HF_RTCP_MALFORMED);
  /* Not an RTCP packet type (an RTP packet, PT 96). */
  memcpy (bad, out->data, 32);
  bad[1] = 96;
  fail_unless_equals_int (hf_rtcp_parse_feedback (bad, 32, 0, &fb),
      HF_RTCP_MALFORMED);
  /* Length word beyond the buffer. */
  memcpy (bad, out->data, 32);
  bad[3] = 9;
  fail_unless_equals_int (hf_rtcp_parse_feedback (bad, 32, 0, &fb),
      HF_RTCP_MALFORMED);
  /* Report count larger than the packet holds. */
  memcpy (bad, out->data, 32);
  bad[0] = 0x82;
  fail_unless_equals_int (hf_rtcp_parse_feedback (bad, 32, 0, &fb),
      HF_RTCP_MALFORMED);
  /* Padding bit with a padding count past the body. */
  memcpy (bad, out->data, 32);
  bad[0] |= 0x20;
  bad[31] = 40;
  fail_unless_equals_int (hf_rtcp_parse_feedback (bad, 32, 0, &fb),
      HF_RTCP_MALFORMED);
  /* A REMB claiming more SSRCs than it carries. */
  memcpy (bad, out->data, 32 + 24);
  bad[32 + 16] = 5;
  fail_unless_equals_int (hf_rtcp_parse_feedback (bad, 32 + 24, 0, &fb),
      HF_RTCP_MALFORMED);
  /* Zeros and ones. */
  memset (bad, 0, sizeof (bad));
  fail_unless_equals_int (hf_rtcp_parse_feedback (bad, sizeof (bad), 0, &fb),
      HF_RTCP_MALFORMED);
  memset (bad, 0xff, sizeof (bad));
  fail_unless_equals_int (hf_rtcp_parse_feedback (bad, sizeof (bad), 0, &fb),
      HF_RTCP_MALFORMED);
  fail_unless_equals_int (hf_rtcp_parse_feedback (NULL, 0, 0, &fb),
      HF_RTCP_MALFORMED);
}

GST_END_TEST;

GST_START_TEST (test_valid_padding_accepted)
{
  g_autoptr (GByteArray) out = hf_test_compound_with_rr ();
  HfRtcpFeedback fb;
  const guint8 pad[4] = { 0, 0, 0, 4 };

  /* RR grown by one word of padding: length 8, P bit, count 4. */
  g_byte_array_append (out, pad, 4);
  out->data[0] |= 0x20;
  out->data[3] = 8;
  fail_unless_equals_int (hf_rtcp_parse_feedback (out->data, out->len,
          HF_TEST_MEDIA_SSRC, &fb), HF_RTCP_OK);
  fail_unless (fb.has_rr);
  fail_unless_equals_int (fb.cumulative_lost, 1234);
}

GST_END_TEST;

static Suite *
hf_rtcpfb_suite (void)
{
  Suite *s = suite_create ("hf-rtcpfb");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_rr_round_trips);
  tcase_add_test (tc, test_remb_round_trips_and_matches_fci_ssrc);
  tcase_add_test (tc, test_tmmbr_round_trips_with_overhead);
  tcase_add_test (tc, test_remb_exponent_encoding_30k_to_100m);
  tcase_add_test (tc, test_tmmbr_exponent_encoding_30k_to_100m);
  tcase_add_test (tc, test_nack_bitmask_across_wrap);
  tcase_add_test (tc, test_nack_long_run_splits_and_caps);
  tcase_add_test (tc, test_all_in_one_compound);
  tcase_add_test (tc, test_truncated_and_garbage_are_malformed);
  tcase_add_test (tc, test_valid_padding_accepted);
  return s;
}

GST_CHECK_MAIN (hf_rtcpfb);
