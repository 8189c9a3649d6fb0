/* Unit tests of the Reed-Solomon FEC: the codec (ingest/hf-fec.c) driven
 * with byte arrays and times as numbers, and the "hffecenc"/"hffecdec"
 * elements (ingest/gsthffec.c) in GstHarness, with the harness's test
 * clock as their "now".
 *
 * Media packets are plain RTP packets (12-byte header, no CSRC or
 * extension) with payloads of varying length and content, so a recovered
 * packet must equal the original byte for byte, marker, timestamp and
 * payload type included.
 *
 * Single-threaded: the harnesses push and pull on the test's thread.
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>
#include <string.h>

#include "ingest/hf-fec.h"
#include "tests/unit/hf-test-seeds.h"

#define HF_TEST_SSRC 0x11223344u
#define HF_TEST_CAPS "application/x-rtp, media=video, clock-rate=90000, " \
    "encoding-name=MP2T, payload=33"
#define HF_TEST_SEQUENCES 100

/* ---- Helpers ------------------------------------------------------------ */

/* A media packet: its payload length (1..@max_len) and bytes depend on
 * @seq and @salt. */
static GBytes *
hf_test_packet_sized (guint32 ssrc, guint16 seq, guint32 salt, guint max_len)
{
  gsize len = 1 + (seq * 131u + salt * 7u) % max_len;
  guint8 *p = g_malloc (12 + len);
  gsize i;

  p[0] = 0x80;
  p[1] = ((seq % 5) == 0 ? 0x80 : 0) | ((seq % 3) ? 33 : 96);
  p[2] = seq >> 8;
  p[3] = seq & 0xff;
  p[4] = 0x12;
  p[5] = (salt >> 8) & 0xff;
  p[6] = (seq / 4) >> 8;
  p[7] = (seq / 4) & 0xff;
  p[8] = ssrc >> 24;
  p[9] = (ssrc >> 16) & 0xff;
  p[10] = (ssrc >> 8) & 0xff;
  p[11] = ssrc & 0xff;
  for (i = 0; i < len; i++)
    p[12 + i] = (guint8) (i * 31 + seq * 17 + salt);
  return g_bytes_new_take (p, 12 + len);
}

/* The same with payloads of up to 1316 bytes (7 MPEG-TS packets). */
static GBytes *
hf_test_packet (guint32 ssrc, guint16 seq, guint32 salt)
{
  return hf_test_packet_sized (ssrc, seq, salt, 1316);
}

/* @pkt: (transfer full) */
static GstBuffer *
hf_test_buffer (GBytes * pkt, GstClockTime pts)
{
  GstBuffer *buf = gst_buffer_new_wrapped_bytes (pkt);

  g_bytes_unref (pkt);
  GST_BUFFER_PTS (buf) = pts;
  return buf;
}

static gboolean
hf_test_buffer_equals (GstBuffer * buf, GBytes * pkt)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (pkt, &size);

  return gst_buffer_get_size (buf) == size
      && gst_buffer_memcmp (buf, 0, data, size) == 0;
}

static guint8
hf_test_pt_of (GstBuffer * buf)
{
  guint8 b = 0;

  gst_buffer_extract (buf, 1, &b, 1);
  return b & 0x7f;
}

static guint16
hf_test_seq_of_buffer (GstBuffer * buf)
{
  guint8 b[2] = { 0, 0 };

  gst_buffer_extract (buf, 2, b, 2);
  return (b[0] << 8) | b[1];
}

static guint64
hf_test_stat (GstHarness * h, const gchar * field)
{
  GstStructure *s = NULL;
  guint64 v = 0;

  g_object_get (h->element, "stats", &s, NULL);
  fail_unless (s != NULL);
  fail_unless (gst_structure_get_uint64 (s, field, &v), "no %s", field);
  gst_structure_free (s);
  return v;
}

static GstHarness *
hf_test_enc (guint percent, guint block_packets)
{
  GstHarness *h = gst_harness_new ("hffecenc");

  g_object_set (h->element, "percent", percent, "block-packets",
      block_packets, NULL);
  gst_harness_set_src_caps_str (h, HF_TEST_CAPS);
  return h;
}

static GstHarness *
hf_test_dec (void)
{
  GstHarness *h = gst_harness_new ("hffecdec");

  gst_harness_set_src_caps_str (h, HF_TEST_CAPS);
  return h;
}

/* Pushes @n media packets from @first through @enc; returns everything
 * that came out, in order (element-type GstBuffer, transfer full). */
static GPtrArray *
hf_test_encode (GstHarness * enc, guint16 seq0, guint n, GBytes ** orig)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstBuffer *buf;
  guint i;

  for (i = 0; i < n; i++) {
    orig[i] = hf_test_packet (HF_TEST_SSRC, (guint16) (seq0 + i), 1);
    fail_unless_equals_int (gst_harness_push (enc,
            hf_test_buffer (g_bytes_ref (orig[i]), i * GST_MSECOND)),
        GST_FLOW_OK);
  }
  while ((buf = gst_harness_try_pull (enc)))
    g_ptr_array_add (out, buf);
  return out;
}

/* ---- Tests: policy ---------------------------------------------------- */

GST_START_TEST (test_auto_percent_follows_loss)
{
  fail_unless_equals_int (hf_fec_auto_percent (0.0), 0);
  fail_unless_equals_int (hf_fec_auto_percent (0.001), 0);
  fail_unless_equals_int (hf_fec_auto_percent (-1.0), 0);
  fail_unless_equals_int (hf_fec_auto_percent (0.01), 8);
  fail_unless_equals_int (hf_fec_auto_percent (0.05), 20);
  fail_unless_equals_int (hf_fec_auto_percent (0.5), HF_FEC_AUTO_MAX_PERCENT);
  fail_unless_equals_int (hf_fec_auto_percent (1.0), HF_FEC_AUTO_MAX_PERCENT);
  fail_unless (hf_fec_auto_percent (0.02) > hf_fec_auto_percent (0.01));
}

GST_END_TEST;

/* ---- Tests: elements -------------------------------------------------- */

GST_START_TEST (test_dropped_packet_recovered_bit_exact)
{
  GstHarness *enc = hf_test_enc (20, 10);
  GstHarness *dec = hf_test_dec ();
  GBytes *orig[10];
  GPtrArray *out = hf_test_encode (enc, 1000, 10, orig);
  GstBuffer *buf;
  guint i, parity = 0;

  /* 10 media packets, passed through unchanged, then 2 parity packets
   * stamped like the block's last packet. */
  fail_unless_equals_int (out->len, 12);
  for (i = 0; i < 10; i++)
    fail_unless (hf_test_buffer_equals (g_ptr_array_index (out, i), orig[i]));
  for (i = 10; i < 12; i++) {
    buf = g_ptr_array_index (out, i);
    fail_unless_equals_int (hf_test_pt_of (buf), HF_FEC_PT);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), 9 * GST_MSECOND);
    parity++;
  }
  fail_unless_equals_int (parity, 2);

  /* Packet 5 (seq 1005: marker set, payload type 96) is lost. */
  for (i = 0; i < out->len; i++) {
    if (i == 5)
      continue;
    fail_unless_equals_int (gst_harness_push (dec,
            gst_buffer_ref (g_ptr_array_index (out, i))), GST_FLOW_OK);
    if (i < 10) {
      /* Media passes at once and unchanged. */
      buf = gst_harness_pull (dec);
      fail_unless (hf_test_buffer_equals (buf, orig[i]));
      gst_buffer_unref (buf);
    }
  }
  /* The first parity packet suffices to rebuild it. */
  buf = gst_harness_try_pull (dec);
  fail_unless (buf != NULL);
  fail_unless (hf_test_buffer_equals (buf, orig[5]));
  gst_buffer_unref (buf);
  fail_unless (gst_harness_try_pull (dec) == NULL);
  fail_unless_equals_uint64 (hf_test_stat (dec, "recovered"), 1);
  fail_unless_equals_uint64 (hf_test_stat (dec, "fec_packets"), 2);
  fail_unless_equals_uint64 (hf_test_stat (dec, "media_packets"), 9);
  fail_unless_equals_uint64 (hf_test_stat (dec, "unrecoverable"), 0);

  for (i = 0; i < 10; i++)
    g_bytes_unref (orig[i]);
  g_ptr_array_unref (out);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}

GST_END_TEST;

GST_START_TEST (test_m_losses_recovered_m_plus_one_counted_lost)
{
  GstHarness *enc = hf_test_enc (30, 10);       /* m = 3 */
  GstHarness *dec = hf_test_dec ();
  GBytes *orig[20];
  GPtrArray *out = hf_test_encode (enc, 65530, 20, orig);       /* wraps */
  GstBuffer *buf;
  guint i, n = 0;
  guint64 parity;

  g_object_get (enc->element, "parity-packets", &parity, NULL);
  fail_unless_equals_uint64 (parity, 6);
  fail_unless_equals_int (out->len, 26);
  /* Block 1 (out 0..12): lose 3 media.  Block 2 (out 13..25): lose 4
   * media (out 13, 14, 15, 16). */
  for (i = 0; i < out->len; i++) {
    if (i == 1 || i == 4 || i == 9 || (i >= 13 && i <= 16))
      continue;
    gst_harness_push (dec, gst_buffer_ref (g_ptr_array_index (out, i)));
  }
  while ((buf = gst_harness_try_pull (dec))) {
    guint16 seq = hf_test_seq_of_buffer (buf);

    if (seq == 65531 || seq == 65534 || seq == 3) {
      fail_unless (hf_test_buffer_equals (buf, orig[(guint16) (seq - 65530)]));
      n++;
    }
    fail_if (seq >= 4 && seq <= 7, "seq %u rebuilt from too few", seq);
    gst_buffer_unref (buf);
  }
  fail_unless_equals_int (n, 3);
  fail_unless_equals_uint64 (hf_test_stat (dec, "recovered"), 3);
  fail_unless_equals_uint64 (hf_test_stat (dec, "unrecoverable"), 0);

  /* The second block is given up after its lifetime: 4 lost counted. */
  gst_harness_set_time (dec, 2 * GST_SECOND);
  gst_harness_push (dec, hf_test_buffer (hf_test_packet (HF_TEST_SSRC, 20,
              1), 0));
  gst_buffer_unref (gst_harness_pull (dec));
  fail_unless_equals_uint64 (hf_test_stat (dec, "unrecoverable"), 4);
  fail_unless_equals_uint64 (hf_test_stat (dec, "recovered"), 3);

  for (i = 0; i < 20; i++)
    g_bytes_unref (orig[i]);
  g_ptr_array_unref (out);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}

GST_END_TEST;

GST_START_TEST (test_reordered_and_duplicated_input_recovers_once)
{
  /* The order the decoder sees (indices into the encoder output of one
   * block of 12 media + 4 parity), with media 2 and 7 lost, parity early,
   * media late, duplicates of media and parity. */
  static const guint order[] = { 0, 12, 1, 3, 3, 5, 4, 13, 6, 13, 9, 8, 11,
    10, 14, 0, 15, 14
  };
  GstHarness *enc = hf_test_enc (42, 12);       /* m = 5 */
  GstHarness *dec = hf_test_dec ();
  GBytes *orig[12];
  GPtrArray *out = hf_test_encode (enc, 300, 12, orig);
  GstBuffer *buf;
  guint i, media = 0, rebuilt = 0;
  gboolean seen[12] = { FALSE };

  fail_unless_equals_int (out->len, 17);
  for (i = 0; i < G_N_ELEMENTS (order); i++)
    gst_harness_push (dec, gst_buffer_ref (g_ptr_array_index (out, order[i])));
  while ((buf = gst_harness_try_pull (dec))) {
    guint16 seq = hf_test_seq_of_buffer (buf);

    fail_unless (seq >= 300 && seq < 312);
    fail_unless (hf_test_buffer_equals (buf, orig[seq - 300]));
    if (seq == 302 || seq == 307)
      rebuilt++;
    seen[seq - 300] = TRUE;
    media++;
    gst_buffer_unref (buf);
  }
  for (i = 0; i < 12; i++)
    fail_unless (seen[i], "packet %u missing", i);
  fail_unless_equals_int (rebuilt, 2);
  /* 12 media pushed (2 duplicates) + 2 rebuilt come out; no parity. */
  fail_unless_equals_int (media, 14);
  fail_unless_equals_uint64 (hf_test_stat (dec, "recovered"), 2);
  fail_unless_equals_uint64 (hf_test_stat (dec, "bad_packets"), 0);

  for (i = 0; i < 12; i++)
    g_bytes_unref (orig[i]);
  g_ptr_array_unref (out);
  gst_harness_teardown (enc);
  gst_harness_teardown (dec);
}

GST_END_TEST;

GST_START_TEST (test_percent_zero_sends_no_parity)
{
  GstHarness *enc = hf_test_enc (0, 10);
  GBytes *orig[40];
  GPtrArray *out = hf_test_encode (enc, 0, 40, orig);
  guint64 parity = 1;
  guint i;

  fail_unless_equals_int (out->len, 40);
  for (i = 0; i < 40; i++)
    fail_unless (hf_test_buffer_equals (g_ptr_array_index (out, i), orig[i]));
  g_object_get (enc->element, "parity-packets", &parity, NULL);
  fail_unless_equals_uint64 (parity, 0);

  for (i = 0; i < 40; i++)
    g_bytes_unref (orig[i]);
  g_ptr_array_unref (out);
  gst_harness_teardown (enc);
}

GST_END_TEST;

GST_START_TEST (test_stalled_stream_gets_parity_on_clock)
{
  GstHarness *enc = hf_test_enc (67, 48);
  GBytes *orig[3];
  GPtrArray *out = hf_test_encode (enc, 7, 3, orig);
  GstBuffer *buf;
  guint i;

  /* A block of 3 is open: nothing but the media yet. */
  fail_unless_equals_int (out->len, 3);
  /* The stream stalls; the block's deadline (block-ms) passes. */
  fail_unless (gst_harness_crank_single_clock_wait (enc));
  buf = gst_harness_pull (enc);
  fail_unless_equals_int (hf_test_pt_of (buf), HF_FEC_PT);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), 2 * GST_MSECOND);
  gst_buffer_unref (buf);
  buf = gst_harness_pull (enc); /* m = floor (3 * 67 %) = 2 */
  fail_unless_equals_int (hf_test_pt_of (buf), HF_FEC_PT);
  gst_buffer_unref (buf);
  fail_unless (gst_harness_try_pull (enc) == NULL);

  for (i = 0; i < 3; i++)
    g_bytes_unref (orig[i]);
  g_ptr_array_unref (out);
  gst_harness_teardown (enc);
}

GST_END_TEST;

GST_START_TEST (test_garbage_fec_counted_bad)
{
  GstHarness *dec = hf_test_dec ();
  GBytes *media = hf_test_packet (HF_TEST_SSRC, 1, 1);
  guint8 junk[64];
  GstBuffer *buf;
  guint i;

  /* Media passes unchanged. */
  gst_harness_push (dec, hf_test_buffer (g_bytes_ref (media), 0));
  buf = gst_harness_pull (dec);
  fail_unless (hf_test_buffer_equals (buf, media));
  gst_buffer_unref (buf);

  /* FEC payload type with nonsense behind it: too short, wrong version,
   * wrong SSRC relation, k = 0, index >= m, wrong length. */
  memset (junk, 0, sizeof (junk));
  junk[0] = 0x80;
  junk[1] = HF_FEC_PT;
  junk[8] = 0x11 ^ 0x0f;
  junk[9] = 0x22 ^ 0xec;
  junk[10] = 0x33;
  junk[11] = 0x44;
  for (i = 0; i < 6; i++) {
    guint8 p[64];
    gsize size = 12 + 12 + 8;

    memcpy (p, junk, sizeof (p));
    p[12] = HF_FEC_VERSION;
    p[13] = 4;
    p[14] = 2;
    p[15] = 0;
    p[17] = 1;
    p[19] = 8;
    p[20] = 0x11;
    p[21] = 0x22;
    p[22] = 0x33;
    p[23] = 0x44;
    switch (i) {
      case 0:
        size = 15;
        break;
      case 1:
        p[12] = 7;
        break;
      case 2:
        p[23] = 0x45;
        break;
      case 3:
        p[13] = 0;
        break;
      case 4:
        p[15] = 2;
        break;
      case 5:
        size -= 1;
        break;
    }
    gst_harness_push (dec, gst_buffer_new_memdup (p, size));
  }
  fail_unless (gst_harness_try_pull (dec) == NULL);
  fail_unless_equals_uint64 (hf_test_stat (dec, "bad_packets"), 6);
  fail_unless_equals_uint64 (hf_test_stat (dec, "fec_packets"), 0);
  fail_unless_equals_uint64 (hf_test_stat (dec, "recovered"), 0);

  g_bytes_unref (media);
  gst_harness_teardown (dec);
}

GST_END_TEST;

/* ---- Tests: codec property ---------------------------------------------- */

typedef struct
{
  GPtrArray *fec;               /* (element-type GBytes) */
  GPtrArray *rec;               /* (element-type GBytes) */
} HfTestSink;

static void
hf_test_collect (GBytes * packet, gpointer user_data)
{
  g_ptr_array_add (user_data, packet);
}

/* One sequence: blocks of random k, overhead, sizes and start sequence
 * (often near the wrap); each block loses a random set of its k+m packets
 * and arrives shuffled, some duplicated.  Whenever the losses are at most
 * m, every lost media packet must come back bit-exact; never may a
 * rebuilt packet differ from its original. */
static gchar *
hf_test_one_sequence (guint32 seed)
{
  GRand *rand = g_rand_new_with_seed (seed);
  GPtrArray *fec = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  GPtrArray *rec = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  HfFecDecoder *dec = hf_fec_decoder_new (hf_test_collect, rec);
  guint16 seq = g_rand_boolean (rand) ? (guint16) g_rand_int (rand) : 65500;
  guint32 ssrc = g_rand_int (rand);
  gint64 now = 0;
  guint64 expect_recovered = 0;
  HfFecDecoderStats st;
  gchar *violation = NULL;
  guint blk;

  for (blk = 0; blk < 12 && !violation; blk++) {
    guint k = g_rand_int_range (rand, 1, HF_FEC_MAX_K + 1);
    guint percent = g_rand_int_range (rand, 1, 101);
    HfFecEncoder *enc = hf_fec_encoder_new (HF_FEC_PT, k, 100,
        hf_test_collect, fec);
    GBytes *media[HF_FEC_MAX_K];
    GBytes *all[HF_FEC_MAX_K + HF_FEC_MAX_M];
    guint order[2 * (HF_FEC_MAX_K + HF_FEC_MAX_M)];
    gboolean lost[HF_FEC_MAX_K + HF_FEC_MAX_M];
    guint salt = g_rand_int (rand), n, m, i, nlost = 0, media_lost = 0, no;
    guint rebuilt_lost = 0;

    hf_fec_encoder_set_percent (enc, percent);
    g_ptr_array_set_size (fec, 0);
    for (i = 0; i < k; i++) {
      gsize sz;

      /* Mostly short payloads (the sanitizer build runs this too); one
       * block in four full-size. */
      media[i] = hf_test_packet_sized (ssrc, (guint16) (seq + i), salt,
          blk % 4 == 0 ? 1316 : 160);
      g_bytes_get_data (media[i], &sz);
      hf_fec_encoder_push (enc, g_bytes_get_data (media[i], NULL), sz, now);
    }
    m = fec->len;
    if (m != CLAMP (k * percent / 100, 1, HF_FEC_MAX_M)) {
      violation = g_strdup_printf ("k %u percent %u: %u parity", k, percent, m);
      hf_fec_encoder_free (enc);
      for (i = 0; i < k; i++)
        g_bytes_unref (media[i]);
      break;
    }
    n = k + m;
    for (i = 0; i < n; i++) {
      all[i] = i < k ? media[i] : g_ptr_array_index (fec, i - k);
      /* Sometimes exactly m losses, sometimes a few more. */
      lost[i] = FALSE;
    }
    {
      guint want = g_rand_int_range (rand, 0, m + 3);

      while (nlost < MIN (want, n)) {
        guint j = g_rand_int_range (rand, 0, n);

        if (!lost[j]) {
          lost[j] = TRUE;
          nlost++;
          if (j < k)
            media_lost++;
        }
      }
    }
    for (i = 0, no = 0; i < n; i++) {
      if (lost[i])
        continue;
      order[no++] = i;
      if (g_rand_int_range (rand, 0, 10) == 0)
        order[no++] = i;
    }
    for (i = no; i > 1; i--) {
      guint j = g_rand_int_range (rand, 0, i), t = order[i - 1];

      order[i - 1] = order[j];
      order[j] = t;
    }
    g_ptr_array_set_size (rec, 0);
    for (i = 0; i < no; i++) {
      gsize sz;
      const guint8 *d = g_bytes_get_data (all[order[i]], &sz);

      if (order[i] < k)
        hf_fec_decoder_push_media (dec, d, sz, now);
      else if (hf_fec_decoder_push_fec (dec, d, sz, now) != HF_FEC_OK)
        violation = g_strdup_printf ("block %u: parity refused", blk);
    }
    /* A packet that is only late (shuffled behind enough parity) may be
     * rebuilt too: that is allowed, a wrong byte never is. */
    for (i = 0; i < rec->len && !violation; i++) {
      GBytes *r = g_ptr_array_index (rec, i);
      const guint8 *d = g_bytes_get_data (r, NULL);
      guint16 s = (d[2] << 8) | d[3];
      guint idx = (guint16) (s - seq);

      if (idx >= k || !g_bytes_equal (r, media[idx]))
        violation = g_strdup_printf ("block %u: seq %u rebuilt wrong", blk, s);
      else if (lost[idx])
        rebuilt_lost++;
    }
    if (!violation && nlost <= m && rebuilt_lost != media_lost)
      violation = g_strdup_printf ("block %u (k %u m %u): %u lost, %u "
          "rebuilt", blk, k, m, media_lost, rebuilt_lost);
    if (!violation && nlost > m && rec->len != 0)
      violation = g_strdup_printf ("block %u: rebuilt from too few", blk);
    expect_recovered += rec->len;
    for (i = 0; i < k; i++)
      g_bytes_unref (media[i]);
    hf_fec_encoder_free (enc);
    seq += k;
    now += 50000;
  }
  hf_fec_decoder_get_stats (dec, &st);
  if (!violation && st.recovered != expect_recovered)
    violation = g_strdup_printf ("recovered %" G_GUINT64_FORMAT ", expected %"
        G_GUINT64_FORMAT, st.recovered, expect_recovered);
  hf_fec_decoder_free (dec);
  g_ptr_array_unref (fec);
  g_ptr_array_unref (rec);
  g_rand_free (rand);
  return violation;
}

GST_START_TEST (test_codec_recovers_any_m_losses_random)
{
  hf_test_run_sequences (0x0fec2026, HF_TEST_SEQUENCES, hf_test_one_sequence);
}

GST_END_TEST;

GST_START_TEST (test_codec_sender_restart_and_ssrc_change)
{
  GPtrArray *fec = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  GPtrArray *rec = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  HfFecEncoder *enc = hf_fec_encoder_new (HF_FEC_PT, 8, 100,
      hf_test_collect, fec);
  HfFecDecoder *dec = hf_fec_decoder_new (hf_test_collect, rec);
  static const guint16 starts[] = { 100, 40000, 40004 };
  static const guint32 ssrcs[] = { 1, 1, 2 };
  HfFecDecoderStats st;
  guint b, i;

  /* Three runs of 4 packets: a restart (sequence jump, same SSRC) and an
   * SSRC change each close the block early; each run loses its second
   * packet and must get it back from its own parity. */
  hf_fec_encoder_set_percent (enc, 25);
  for (b = 0; b < 3; b++) {
    GBytes *media[4];

    g_ptr_array_set_size (fec, 0);
    g_ptr_array_set_size (rec, 0);
    for (i = 0; i < 4; i++) {
      gsize sz;
      const guint8 *d;

      media[i] = hf_test_packet (ssrcs[b], (guint16) (starts[b] + i), b);
      d = g_bytes_get_data (media[i], &sz);
      hf_fec_encoder_push (enc, d, sz, b * 1000);
      if (i != 1)
        hf_fec_decoder_push_media (dec, d, sz, b * 1000);
    }
    hf_fec_encoder_tick (enc, b * 1000 + 100000);
    fail_unless_equals_int (fec->len, 1);
    fail_unless_equals_int (hf_fec_decoder_push_fec (dec,
            g_bytes_get_data (g_ptr_array_index (fec, 0), NULL),
            g_bytes_get_size (g_ptr_array_index (fec, 0)), b * 1000),
        HF_FEC_OK);
    fail_unless_equals_int (rec->len, 1);
    fail_unless (g_bytes_equal (g_ptr_array_index (rec, 0), media[1]));
    for (i = 0; i < 4; i++)
      g_bytes_unref (media[i]);
  }
  hf_fec_decoder_get_stats (dec, &st);
  fail_unless_equals_uint64 (st.recovered, 3);
  fail_unless_equals_uint64 (st.bad_packets, 0);
  fail_unless_equals_uint64 (hf_fec_encoder_parity_sent (enc), 3);

  hf_fec_encoder_free (enc);
  hf_fec_decoder_free (dec);
  g_ptr_array_unref (fec);
  g_ptr_array_unref (rec);
}

GST_END_TEST;

static Suite *
hf_fec_suite (void)
{
  Suite *s = suite_create ("hf-fec");
  TCase *tc = tcase_create ("general");

  hf_fec_register_elements ();
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_auto_percent_follows_loss);
  tcase_add_test (tc, test_dropped_packet_recovered_bit_exact);
  tcase_add_test (tc, test_m_losses_recovered_m_plus_one_counted_lost);
  tcase_add_test (tc, test_reordered_and_duplicated_input_recovers_once);
  tcase_add_test (tc, test_percent_zero_sends_no_parity);
  tcase_add_test (tc, test_stalled_stream_gets_parity_on_clock);
  tcase_add_test (tc, test_garbage_fec_counted_bad);
  tcase_add_test (tc, test_codec_recovers_any_m_losses_random);
  tcase_add_test (tc, test_codec_sender_restart_and_ssrc_change);
  return s;
}

GST_CHECK_MAIN (hf_fec);
