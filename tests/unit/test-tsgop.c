/* Unit tests of the MPEG-TS GOP cache (relay/hf-tsgop.c).  The packets are
 * built by hand here, byte by byte, as mpegtsmux lays them out: a PAT with
 * one program, a PMT with H.264 (0x1b) on PID 0x100 and AAC (0x0f) on
 * 0x101, and PES packets whose payload starts with an access unit
 * delimiter followed by an SPS (keyframe) or a non-IDR slice (delta).
 * Then garbage: the parser must count what it cannot use and never read
 * outside the packet (run under ASan by `make check`).
 *
 * Single-threaded.
 */
#include <gst/check/gstcheck.h>
#include <string.h>

#include "relay/hf-tsgop.h"

#define HF_TEST_PMT_PID 0x20
#define HF_TEST_VIDEO_PID 0x100
#define HF_TEST_AUDIO_PID 0x101

/* AUD, SPS, PPS, IDR slice: what h264parse emits for a keyframe. */
static const guint8 hf_test_es_key[] = {
  0x00, 0x00, 0x00, 0x01, 0x09, 0x10,
  0x00, 0x00, 0x00, 0x01, 0x67, 0x42, 0xc0, 0x0d, 0xd9, 0x01, 0x41, 0xfb,
  0x00, 0x00, 0x00, 0x01, 0x68, 0xcb, 0x83, 0xcb, 0x20,
  0x00, 0x00, 0x01, 0x65, 0x88, 0x84, 0x00, 0x33,
};

/* AUD, non-IDR slice. */
static const guint8 hf_test_es_delta[] = {
  0x00, 0x00, 0x00, 0x01, 0x09, 0x30,
  0x00, 0x00, 0x01, 0x41, 0x9a, 0x21, 0x6c, 0x42,
};

/* AUD only: tells nothing; only a random_access_indicator can say key. */
static const guint8 hf_test_es_aud[] = { 0x00, 0x00, 0x00, 0x01, 0x09, 0xf0 };

/* An ADTS header. */
static const guint8 hf_test_es_aac[] = {
  0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc, 0x21, 0x00,
};

/* CRC-32/MPEG-2 of a PSI section. */
static guint32
hf_test_crc32 (const guint8 * data, gsize len)
{
  guint32 crc = 0xffffffff;
  gsize i;
  gint b;

  for (i = 0; i < len; i++) {
    crc ^= (guint32) data[i] << 24;
    for (b = 0; b < 8; b++)
      crc = (crc & 0x80000000) ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc;
}

/* A PUSI packet on @pid holding the section @body (table_id onwards,
 * without section_length and CRC, which are filled in). */
static void
hf_test_psi (guint8 * pkt, guint16 pid, guint8 table_id, const guint8 * body,
    gsize body_len)
{
  guint8 *sec;
  gsize section_len = body_len + 4;
  guint32 crc;

  memset (pkt, 0xff, HF_TS_PACKET);
  pkt[0] = 0x47;
  pkt[1] = 0x40 | (pid >> 8);
  pkt[2] = pid & 0xff;
  pkt[3] = 0x10;
  pkt[4] = 0;                   /* pointer_field */
  sec = pkt + 5;
  sec[0] = table_id;
  sec[1] = 0xb0 | (section_len >> 8);
  sec[2] = section_len & 0xff;
  memcpy (sec + 3, body, body_len);
  crc = hf_test_crc32 (sec, 3 + body_len);
  sec[3 + body_len] = crc >> 24;
  sec[4 + body_len] = crc >> 16;
  sec[5 + body_len] = crc >> 8;
  sec[6 + body_len] = crc;
}

static void
hf_test_pat (guint8 * pkt)
{
  const guint8 body[] = {
    0x00, 0x01,                 /* transport_stream_id */
    0xc1, 0x00, 0x00,           /* version, section numbers */
    0x00, 0x01, 0xe0 | (HF_TEST_PMT_PID >> 8), HF_TEST_PMT_PID & 0xff,
  };

  hf_test_psi (pkt, 0, 0x00, body, sizeof (body));
}

static void
hf_test_pmt (guint8 * pkt, gboolean audio_first)
{
  guint8 body[] = {
    0x00, 0x01,                 /* program_number */
    0xc1, 0x00, 0x00,
    0xe0 | (HF_TEST_VIDEO_PID >> 8), HF_TEST_VIDEO_PID & 0xff,  /* PCR PID */
    0xf0, 0x00,                 /* program_info_length */
    0x1b, 0xe0 | (HF_TEST_VIDEO_PID >> 8), HF_TEST_VIDEO_PID & 0xff,
    0xf0, 0x00,
    0x0f, 0xe0 | (HF_TEST_AUDIO_PID >> 8), HF_TEST_AUDIO_PID & 0xff,
    0xf0, 0x06,                 /* ES_info: an ISO 639 language descriptor */
    0x0a, 0x04, 'e', 'n', 'g', 0x00,
  };

  if (audio_first) {
    guint8 video[5], audio[11];

    memcpy (video, body + 9, 5);
    memcpy (audio, body + 14, 11);
    memcpy (body + 9, audio, 11);
    memcpy (body + 20, video, 5);
  }
  hf_test_psi (pkt, HF_TEST_PMT_PID, 0x02, body, sizeof (body));
}

/* A PES start on @pid: payload is a PES header with a PTS, then @es, then
 * 0xff filler.  @rai sets the random_access_indicator in an adaptation
 * field. */
static void
hf_test_pes (guint8 * pkt, guint16 pid, guint8 stream_id, const guint8 * es,
    gsize es_len, guint8 cc, gboolean rai)
{
  static const guint8 pts[] = { 0x21, 0x00, 0x01, 0x00, 0x01 };
  guint off = 4;

  memset (pkt, 0xff, HF_TS_PACKET);
  pkt[0] = 0x47;
  pkt[1] = 0x40 | (pid >> 8);
  pkt[2] = pid & 0xff;
  pkt[3] = (rai ? 0x30 : 0x10) | (cc & 0xf);
  if (rai) {
    pkt[4] = 1;                 /* adaptation_field_length */
    pkt[5] = 0x40;              /* random_access_indicator */
    off = 6;
  }
  pkt[off + 0] = 0x00;
  pkt[off + 1] = 0x00;
  pkt[off + 2] = 0x01;
  pkt[off + 3] = stream_id;
  pkt[off + 4] = 0x00;
  pkt[off + 5] = 0x00;
  pkt[off + 6] = 0x80;
  pkt[off + 7] = 0x80;          /* PTS only */
  pkt[off + 8] = sizeof (pts);
  memcpy (pkt + off + 9, pts, sizeof (pts));
  memcpy (pkt + off + 9 + sizeof (pts), es, es_len);
}

static void
hf_test_key (guint8 * pkt, guint8 cc)
{
  hf_test_pes (pkt, HF_TEST_VIDEO_PID, 0xe0, hf_test_es_key,
      sizeof (hf_test_es_key), cc, FALSE);
}

static void
hf_test_delta (guint8 * pkt, guint8 cc)
{
  hf_test_pes (pkt, HF_TEST_VIDEO_PID, 0xe0, hf_test_es_delta,
      sizeof (hf_test_es_delta), cc, FALSE);
}

static void
hf_test_audio (guint8 * pkt, guint8 cc)
{
  hf_test_pes (pkt, HF_TEST_AUDIO_PID, 0xc0, hf_test_es_aac,
      sizeof (hf_test_es_aac), cc, FALSE);
}

/* A continuation packet (no PUSI) of @pid, payload @fill. */
static void
hf_test_cont (guint8 * pkt, guint16 pid, guint8 fill, guint8 cc)
{
  memset (pkt, fill, HF_TS_PACKET);
  pkt[0] = 0x47;
  pkt[1] = pid >> 8;
  pkt[2] = pid & 0xff;
  pkt[3] = 0x10 | (cc & 0xf);
}

/* Pushes one packet through an exactly-sized heap copy, so that ASan sees
 * any read past its end. */
static void
hf_test_push (HfTsGop * g, const guint8 * data, gsize size)
{
  guint8 *copy = g_memdup2 (data, size);

  hf_ts_gop_push (g, copy, size);
  g_free (copy);
}

static void
hf_test_assert_snapshot (HfTsGop * g, const guint8 * const *pkts, guint n)
{
  GBytes *snap = hf_ts_gop_snapshot (g);
  const guint8 *data;
  gsize size;
  guint i;

  fail_unless (snap != NULL, "no snapshot");
  data = g_bytes_get_data (snap, &size);
  fail_unless_equals_uint64 (size, (guint64) n * HF_TS_PACKET);
  for (i = 0; i < n; i++)
    fail_unless (memcmp (data + i * HF_TS_PACKET, pkts[i], HF_TS_PACKET) == 0,
        "snapshot packet %u differs", i);
  g_bytes_unref (snap);
}

GST_START_TEST (test_psi_names_pmt_and_video_pid)
{
  HfTsGop g;
  guint8 pat[HF_TS_PACKET], pmt[HF_TS_PACKET];

  hf_ts_gop_init (&g, 1 << 20);
  hf_test_pat (pat);
  hf_test_pmt (pmt, FALSE);
  hf_test_push (&g, pat, sizeof (pat));
  fail_unless_equals_int (g.pmt_pid, HF_TEST_PMT_PID);
  fail_unless_equals_int (g.video_pid, -1);
  hf_test_push (&g, pmt, sizeof (pmt));
  fail_unless_equals_int (g.video_pid, HF_TEST_VIDEO_PID);
  fail_unless_equals_uint64 (g.malformed, 0);
  fail_unless_equals_uint64 (g.packets, 2);
  hf_ts_gop_clear (&g);
}

GST_END_TEST;

GST_START_TEST (test_pmt_with_audio_listed_first_still_finds_video)
{
  HfTsGop g;
  guint8 pat[HF_TS_PACKET], pmt[HF_TS_PACKET];

  hf_ts_gop_init (&g, 1 << 20);
  hf_test_pat (pat);
  hf_test_pmt (pmt, TRUE);
  hf_test_push (&g, pat, sizeof (pat));
  hf_test_push (&g, pmt, sizeof (pmt));
  fail_unless_equals_int (g.video_pid, HF_TEST_VIDEO_PID);
  fail_unless_equals_uint64 (g.malformed, 0);
  hf_ts_gop_clear (&g);
}

GST_END_TEST;

GST_START_TEST (test_keyframe_start_is_recognised_from_sps_or_idr)
{
  guint8 pkt[HF_TS_PACKET];
  static const guint8 idr_only[] = { 0x00, 0x00, 0x01, 0x09, 0x10,
    0x00, 0x00, 0x01, 0x65, 0x88
  };

  hf_test_key (pkt, 0);
  fail_unless (hf_ts_packet_is_keyframe_start (pkt, HF_TEST_VIDEO_PID));
  hf_test_pes (pkt, HF_TEST_VIDEO_PID, 0xe0, idr_only, sizeof (idr_only), 0,
      FALSE);
  fail_unless (hf_ts_packet_is_keyframe_start (pkt, HF_TEST_VIDEO_PID));
  hf_test_delta (pkt, 0);
  fail_if (hf_ts_packet_is_keyframe_start (pkt, HF_TEST_VIDEO_PID));
  hf_test_pes (pkt, HF_TEST_VIDEO_PID, 0xe0, hf_test_es_aud,
      sizeof (hf_test_es_aud), 0, FALSE);
  fail_if (hf_ts_packet_is_keyframe_start (pkt, HF_TEST_VIDEO_PID));
}

GST_END_TEST;

GST_START_TEST (test_random_access_indicator_marks_keyframe)
{
  guint8 pkt[HF_TS_PACKET];

  hf_test_pes (pkt, HF_TEST_VIDEO_PID, 0xe0, hf_test_es_aud,
      sizeof (hf_test_es_aud), 3, TRUE);
  fail_unless (hf_ts_packet_is_keyframe_start (pkt, HF_TEST_VIDEO_PID));
  pkt[5] &= ~0x40;
  fail_if (hf_ts_packet_is_keyframe_start (pkt, HF_TEST_VIDEO_PID));
  /* An empty adaptation field has no flags byte to read. */
  pkt[4] = 0;
  pkt[5] = 0x40;
  fail_if (hf_ts_packet_is_keyframe_start (pkt, HF_TEST_VIDEO_PID));
}

GST_END_TEST;

GST_START_TEST (test_keyframe_start_needs_video_pid_and_pes_start)
{
  guint8 pkt[HF_TS_PACKET];

  hf_test_key (pkt, 0);
  fail_if (hf_ts_packet_is_keyframe_start (pkt, -1));
  fail_if (hf_ts_packet_is_keyframe_start (pkt, HF_TEST_AUDIO_PID));
  pkt[1] &= ~0x40;              /* no payload_unit_start_indicator */
  fail_if (hf_ts_packet_is_keyframe_start (pkt, HF_TEST_VIDEO_PID));
  hf_test_key (pkt, 0);
  pkt[0] = 0x00;
  fail_if (hf_ts_packet_is_keyframe_start (pkt, HF_TEST_VIDEO_PID));
}

GST_END_TEST;

GST_START_TEST (test_snapshot_is_null_before_keyframe)
{
  HfTsGop g;
  guint8 pat[HF_TS_PACKET], pmt[HF_TS_PACKET], pkt[HF_TS_PACKET];

  hf_ts_gop_init (&g, 1 << 20);
  fail_unless (hf_ts_gop_snapshot (&g) == NULL);
  hf_test_pat (pat);
  hf_test_pmt (pmt, FALSE);
  hf_test_push (&g, pat, sizeof (pat));
  hf_test_push (&g, pmt, sizeof (pmt));
  fail_unless (hf_ts_gop_snapshot (&g) == NULL);
  hf_test_delta (pkt, 0);
  hf_test_push (&g, pkt, sizeof (pkt));
  hf_test_cont (pkt, HF_TEST_VIDEO_PID, 0x5a, 1);
  hf_test_push (&g, pkt, sizeof (pkt));
  hf_test_audio (pkt, 0);
  hf_test_push (&g, pkt, sizeof (pkt));
  fail_unless (hf_ts_gop_snapshot (&g) == NULL);
  fail_unless_equals_uint64 (g.keyframes, 0);
  hf_ts_gop_clear (&g);
}

GST_END_TEST;

GST_START_TEST (test_keyframe_before_pmt_is_not_recognised)
{
  HfTsGop g;
  guint8 pat[HF_TS_PACKET], key[HF_TS_PACKET];

  hf_ts_gop_init (&g, 1 << 20);
  hf_test_pat (pat);
  hf_test_key (key, 0);
  hf_test_push (&g, pat, sizeof (pat));
  hf_test_push (&g, key, sizeof (key));
  fail_unless_equals_uint64 (g.keyframes, 0);
  fail_unless (hf_ts_gop_snapshot (&g) == NULL);
  hf_ts_gop_clear (&g);
}

GST_END_TEST;

GST_START_TEST (test_snapshot_holds_pat_pmt_then_gop_from_keyframe)
{
  HfTsGop g;
  guint8 pat[HF_TS_PACKET], pmt[HF_TS_PACKET], d0[HF_TS_PACKET];
  guint8 key[HF_TS_PACKET], c1[HF_TS_PACKET], a0[HF_TS_PACKET];
  guint8 d1[HF_TS_PACKET], c2[HF_TS_PACKET];
  guint8 stream[6 * HF_TS_PACKET];

  hf_ts_gop_init (&g, 1 << 20);
  hf_test_pat (pat);
  hf_test_pmt (pmt, FALSE);
  hf_test_delta (d0, 0);
  hf_test_key (key, 1);
  hf_test_cont (c1, HF_TEST_VIDEO_PID, 0x11, 2);
  hf_test_audio (a0, 0);
  hf_test_delta (d1, 3);
  hf_test_cont (c2, HF_TEST_VIDEO_PID, 0x22, 4);

  /* PAT, PMT, a delta, the keyframe and one more packet in one buffer. */
  memcpy (stream, pat, HF_TS_PACKET);
  memcpy (stream + HF_TS_PACKET, pmt, HF_TS_PACKET);
  memcpy (stream + 2 * HF_TS_PACKET, d0, HF_TS_PACKET);
  memcpy (stream + 3 * HF_TS_PACKET, key, HF_TS_PACKET);
  memcpy (stream + 4 * HF_TS_PACKET, c1, HF_TS_PACKET);
  memcpy (stream + 5 * HF_TS_PACKET, a0, HF_TS_PACKET);
  hf_test_push (&g, stream, sizeof (stream));
  hf_test_push (&g, d1, sizeof (d1));
  hf_test_push (&g, c2, sizeof (c2));
  {
    const guint8 *const want[] = { pat, pmt, key, c1, a0, d1, c2 };

    hf_test_assert_snapshot (&g, want, G_N_ELEMENTS (want));
  }
  fail_unless_equals_uint64 (g.keyframes, 1);
  fail_unless_equals_uint64 (g.packets, 8);
  fail_unless_equals_uint64 (g.malformed, 0);
  hf_ts_gop_clear (&g);
}

GST_END_TEST;

GST_START_TEST (test_new_keyframe_resets_gop)
{
  HfTsGop g;
  guint8 pat[HF_TS_PACKET], pmt[HF_TS_PACKET], key1[HF_TS_PACKET];
  guint8 d1[HF_TS_PACKET], key2[HF_TS_PACKET], a1[HF_TS_PACKET];
  guint i;

  hf_ts_gop_init (&g, 1 << 20);
  hf_test_pat (pat);
  hf_test_pmt (pmt, FALSE);
  hf_test_key (key1, 0);
  hf_test_delta (d1, 1);
  hf_test_pes (key2, HF_TEST_VIDEO_PID, 0xe0, hf_test_es_aud,
      sizeof (hf_test_es_aud), 5, TRUE);
  hf_test_audio (a1, 7);

  hf_test_push (&g, pat, sizeof (pat));
  hf_test_push (&g, pmt, sizeof (pmt));
  hf_test_push (&g, key1, sizeof (key1));
  for (i = 0; i < 20; i++)
    hf_test_push (&g, d1, sizeof (d1));
  hf_test_push (&g, key2, sizeof (key2));
  hf_test_push (&g, a1, sizeof (a1));
  {
    const guint8 *const want[] = { pat, pmt, key2, a1 };

    hf_test_assert_snapshot (&g, want, G_N_ELEMENTS (want));
  }
  fail_unless_equals_uint64 (g.keyframes, 2);
  hf_ts_gop_clear (&g);
}

GST_END_TEST;

GST_START_TEST (test_gop_longer_than_max_bytes_is_dropped)
{
  HfTsGop g;
  guint8 pat[HF_TS_PACKET], pmt[HF_TS_PACKET], key[HF_TS_PACKET];
  guint8 d[HF_TS_PACKET];
  GBytes *snap;

  hf_ts_gop_init (&g, 4 * HF_TS_PACKET);
  hf_test_pat (pat);
  hf_test_pmt (pmt, FALSE);
  hf_test_key (key, 0);
  hf_test_delta (d, 1);
  hf_test_push (&g, pat, sizeof (pat));
  hf_test_push (&g, pmt, sizeof (pmt));
  hf_test_push (&g, key, sizeof (key));
  hf_test_push (&g, d, sizeof (d));
  hf_test_push (&g, d, sizeof (d));
  hf_test_push (&g, d, sizeof (d));
  {
    const guint8 *const want[] = { pat, pmt, key, d, d, d };

    /* Exactly max_bytes of GOP is still kept. */
    hf_test_assert_snapshot (&g, want, G_N_ELEMENTS (want));
  }
  hf_test_push (&g, d, sizeof (d));
  fail_unless (hf_ts_gop_snapshot (&g) == NULL,
      "a GOP over max_bytes was kept");
  hf_test_push (&g, d, sizeof (d));
  fail_unless (hf_ts_gop_snapshot (&g) == NULL);
  /* The next keyframe starts a new GOP. */
  hf_test_push (&g, key, sizeof (key));
  snap = hf_ts_gop_snapshot (&g);
  fail_unless (snap != NULL);
  fail_unless_equals_uint64 (g_bytes_get_size (snap), 3 * HF_TS_PACKET);
  g_bytes_unref (snap);
  hf_ts_gop_clear (&g);
}

GST_END_TEST;

GST_START_TEST (test_packet_without_sync_byte_is_malformed)
{
  HfTsGop g;
  guint8 pkt[HF_TS_PACKET];

  hf_ts_gop_init (&g, 1 << 20);
  hf_test_pat (pkt);
  pkt[0] = 0x46;
  hf_test_push (&g, pkt, sizeof (pkt));
  fail_unless_equals_uint64 (g.malformed, 1);
  fail_unless_equals_uint64 (g.packets, 0);
  fail_unless_equals_int (g.pmt_pid, -1);
  hf_ts_gop_clear (&g);
}

GST_END_TEST;

GST_START_TEST (test_trailing_partial_packet_is_malformed)
{
  HfTsGop g;
  guint8 buf[HF_TS_PACKET + 100];

  hf_ts_gop_init (&g, 1 << 20);
  hf_test_pat (buf);
  memset (buf + HF_TS_PACKET, 0x47, 100);
  hf_test_push (&g, buf, sizeof (buf));
  fail_unless_equals_uint64 (g.packets, 1);
  fail_unless_equals_uint64 (g.malformed, 1);
  fail_unless_equals_int (g.pmt_pid, HF_TEST_PMT_PID);
  /* Less than one packet. */
  hf_test_push (&g, buf, 1);
  fail_unless_equals_uint64 (g.malformed, 2);
  hf_ts_gop_clear (&g);
}

GST_END_TEST;

GST_START_TEST (test_lying_psi_is_malformed_and_keeps_last_good_tables)
{
  HfTsGop g;
  guint8 pat[HF_TS_PACKET], pmt[HF_TS_PACKET], bad[HF_TS_PACKET];
  guint64 malformed;

  hf_ts_gop_init (&g, 1 << 20);
  hf_test_pat (pat);
  hf_test_pmt (pmt, FALSE);
  hf_test_push (&g, pat, sizeof (pat));
  hf_test_push (&g, pmt, sizeof (pmt));
  fail_unless_equals_uint64 (g.malformed, 0);
  malformed = 0;

  /* PAT section_length 4095: runs past the packet. */
  memcpy (bad, pat, HF_TS_PACKET);
  bad[6] = 0xbf;
  bad[7] = 0xff;
  hf_test_push (&g, bad, sizeof (bad));
  fail_unless_equals_uint64 (g.malformed, ++malformed);

  /* PAT section_length 5: too short for a PAT. */
  memcpy (bad, pat, HF_TS_PACKET);
  bad[6] = 0xb0;
  bad[7] = 0x05;
  hf_test_push (&g, bad, sizeof (bad));
  fail_unless_equals_uint64 (g.malformed, ++malformed);

  /* PAT pointer_field 190: the section would start past the packet. */
  memcpy (bad, pat, HF_TS_PACKET);
  bad[4] = 190;
  hf_test_push (&g, bad, sizeof (bad));
  fail_unless_equals_uint64 (g.malformed, ++malformed);

  /* PAT pointer_field 182: section header cut by the packet's end. */
  memcpy (bad, pat, HF_TS_PACKET);
  bad[4] = 182;
  hf_test_push (&g, bad, sizeof (bad));
  fail_unless_equals_uint64 (g.malformed, ++malformed);

  /* PAT with adaptation_field_length 200 (a packet holds 183 at most). */
  memcpy (bad, pat, HF_TS_PACKET);
  bad[3] = 0x30;
  bad[4] = 200;
  hf_test_push (&g, bad, sizeof (bad));
  fail_unless_equals_uint64 (g.malformed, ++malformed);

  /* PAT with an adaptation field filling the packet: no payload. */
  memcpy (bad, pat, HF_TS_PACKET);
  bad[3] = 0x30;
  bad[4] = 183;
  hf_test_push (&g, bad, sizeof (bad));
  fail_unless_equals_uint64 (g.malformed, ++malformed);

  /* A table that is not a PAT on PID 0. */
  memcpy (bad, pat, HF_TS_PACKET);
  bad[5] = 0x02;
  hf_test_push (&g, bad, sizeof (bad));
  fail_unless_equals_uint64 (g.malformed, ++malformed);

  /* PMT section_length 4095. */
  memcpy (bad, pmt, HF_TS_PACKET);
  bad[6] = 0xbf;
  bad[7] = 0xff;
  hf_test_push (&g, bad, sizeof (bad));
  fail_unless_equals_uint64 (g.malformed, ++malformed);

  /* PMT with adaptation_field_length 200. */
  memcpy (bad, pmt, HF_TS_PACKET);
  bad[3] = 0x30;
  bad[4] = 200;
  hf_test_push (&g, bad, sizeof (bad));
  fail_unless_equals_uint64 (g.malformed, ++malformed);

  /* PMT whose program_info_length and ES_info_length point far away:
   * the section fits, the loops must stop at its end. */
  memcpy (bad, pmt, HF_TS_PACKET);
  bad[5 + 10] = 0xff;
  bad[5 + 11] = 0xff;
  hf_test_push (&g, bad, sizeof (bad));
  memcpy (bad, pmt, HF_TS_PACKET);
  bad[5 + 12] = 0x0f;           /* first stream is audio ... */
  bad[5 + 15] = 0xff;           /* ... with ES_info_length 4095 */
  bad[5 + 16] = 0xff;
  hf_test_push (&g, bad, sizeof (bad));

  fail_unless_equals_int (g.pmt_pid, HF_TEST_PMT_PID);
  fail_unless_equals_int (g.video_pid, HF_TEST_VIDEO_PID);
  fail_unless (g.have_pat);
  fail_unless (memcmp (g.pat, pat, HF_TS_PACKET) == 0,
      "a malformed PAT replaced the good one");
  hf_ts_gop_clear (&g);
}

GST_END_TEST;

GST_START_TEST (test_lying_video_packets_do_not_crash)
{
  HfTsGop g;
  guint8 pat[HF_TS_PACKET], pmt[HF_TS_PACKET], pkt[HF_TS_PACKET];
  GBytes *snap;

  hf_ts_gop_init (&g, 1 << 20);
  hf_test_pat (pat);
  hf_test_pmt (pmt, FALSE);
  hf_test_push (&g, pat, sizeof (pat));
  hf_test_push (&g, pmt, sizeof (pmt));

  /* Adaptation field length 200 on the video PID. */
  hf_test_key (pkt, 0);
  pkt[3] = 0x30;
  pkt[4] = 200;
  pkt[5] = 0x00;
  fail_if (hf_ts_packet_is_keyframe_start (pkt, HF_TEST_VIDEO_PID));
  hf_test_push (&g, pkt, sizeof (pkt));

  /* PES_header_data_length 255: the ES would start past the packet. */
  hf_test_key (pkt, 1);
  pkt[4 + 8] = 0xff;
  fail_if (hf_ts_packet_is_keyframe_start (pkt, HF_TEST_VIDEO_PID));
  hf_test_push (&g, pkt, sizeof (pkt));

  /* A start code in the packet's last three bytes. */
  hf_test_pes (pkt, HF_TEST_VIDEO_PID, 0xe0, hf_test_es_aud,
      sizeof (hf_test_es_aud), 2, FALSE);
  pkt[185] = 0x00;
  pkt[186] = 0x00;
  pkt[187] = 0x01;
  fail_if (hf_ts_packet_is_keyframe_start (pkt, HF_TEST_VIDEO_PID));
  hf_test_push (&g, pkt, sizeof (pkt));

  /* Adaptation field only (no payload). */
  hf_test_key (pkt, 3);
  pkt[3] = 0x20;
  pkt[4] = 183;
  pkt[5] = 0x00;
  fail_if (hf_ts_packet_is_keyframe_start (pkt, HF_TEST_VIDEO_PID));
  hf_test_push (&g, pkt, sizeof (pkt));

  /* Reserved adaptation_field_control 0. */
  hf_test_key (pkt, 4);
  pkt[3] = 0x04;
  fail_if (hf_ts_packet_is_keyframe_start (pkt, HF_TEST_VIDEO_PID));
  hf_test_push (&g, pkt, sizeof (pkt));

  fail_unless_equals_uint64 (g.keyframes, 0);
  fail_unless (hf_ts_gop_snapshot (&g) == NULL);

  /* The cache still works after all that. */
  hf_test_key (pkt, 5);
  hf_test_push (&g, pkt, sizeof (pkt));
  snap = hf_ts_gop_snapshot (&g);
  fail_unless (snap != NULL);
  fail_unless_equals_uint64 (g_bytes_get_size (snap), 3 * HF_TS_PACKET);
  g_bytes_unref (snap);
  hf_ts_gop_clear (&g);
}

GST_END_TEST;

GST_START_TEST (test_random_garbage_does_not_crash)
{
  GRand *rand = g_rand_new_with_seed (20240601);
  HfTsGop g;
  guint8 buf[50 * HF_TS_PACKET];
  guint round, i;

  hf_ts_gop_init (&g, 16 * HF_TS_PACKET);
  for (round = 0; round < 200; round++) {
    gsize len = g_rand_int_range (rand, 0, sizeof (buf) + 1);

    for (i = 0; i < len; i++)
      buf[i] = g_rand_int (rand);
    /* Mostly sync bytes and PSI/video PIDs, so the parsers get a go. */
    for (i = 0; i + HF_TS_PACKET <= len; i += HF_TS_PACKET) {
      if (g_rand_int_range (rand, 0, 8) != 0)
        buf[i] = 0x47;
      switch (g_rand_int_range (rand, 0, 4)) {
        case 0:
          buf[i + 1] = (buf[i + 1] & 0xe0) | 0x40;
          buf[i + 2] = 0x00;
          break;
        case 1:
          buf[i + 1] = (buf[i + 1] & 0xe0) | 0x40;
          buf[i + 2] = HF_TEST_PMT_PID;
          break;
        case 2:
          buf[i + 1] = (buf[i + 1] & 0xe0) | 0x40 | (HF_TEST_VIDEO_PID >> 8);
          buf[i + 2] = HF_TEST_VIDEO_PID & 0xff;
          break;
        default:
          break;
      }
    }
    hf_test_push (&g, buf, len);
    {
      GBytes *snap = hf_ts_gop_snapshot (&g);

      if (snap) {
        fail_unless (g_bytes_get_size (snap) % HF_TS_PACKET == 0);
        fail_unless (g_bytes_get_size (snap) <= 18 * HF_TS_PACKET);
        g_bytes_unref (snap);
      }
    }
  }
  fail_unless (g.malformed > 0);
  g_rand_free (rand);
  hf_ts_gop_clear (&g);
}

GST_END_TEST;

/* A rebuilt mux restarts its tables at version 0; the fan-out stamps the
 * program's own version into PAT and PMT so players re-read them. */
GST_START_TEST (test_rewrite_stamps_psi_version_with_valid_crc)
{
  guint8 ts[3 * HF_TS_PACKET], before[3 * HF_TS_PACKET];
  HfTsGop g;
  guint i;
  GBytes *snap;

  hf_test_pat (ts);
  hf_test_pmt (ts + HF_TS_PACKET, FALSE);
  hf_test_key (ts + 2 * HF_TS_PACKET, 0);
  memcpy (before, ts, sizeof (ts));

  hf_ts_gop_init (&g, 1 << 20);
  g.psi_version = 7;
  /* The const push never writes. */
  hf_ts_gop_push (&g, ts, sizeof (ts));
  fail_unless (memcmp (ts, before, sizeof (ts)) == 0);
  hf_ts_gop_clear (&g);

  hf_ts_gop_init (&g, 1 << 20);
  fail_if (hf_ts_gop_needs_rewrite (&g, ts, sizeof (ts)));    /* no version */
  g.psi_version = 7;
  fail_unless (hf_ts_gop_needs_rewrite (&g, ts, HF_TS_PACKET));        /* PAT */
  hf_ts_gop_push_rewrite (&g, ts, sizeof (ts));
  /* Once the PMT's PID is known, a video packet needs nothing. */
  fail_if (hf_ts_gop_needs_rewrite (&g, ts + 2 * HF_TS_PACKET, HF_TS_PACKET));
  fail_unless (hf_ts_gop_needs_rewrite (&g, ts + HF_TS_PACKET, HF_TS_PACKET));
  for (i = 0; i < 2; i++) {
    const guint8 *sec = ts + i * HF_TS_PACKET + 5;
    gsize len = 3 + (((sec[1] & 0x0f) << 8) | sec[2]);

    fail_unless_equals_int ((sec[5] >> 1) & 0x1f, 7);
    /* reserved bits and current_next_indicator are kept */
    fail_unless_equals_int (sec[5] & 0xc1, before[i * HF_TS_PACKET + 10] & 0xc1);
    /* A section followed by its CRC checks to 0. */
    fail_unless_equals_int (hf_test_crc32 (sec, len), 0);
    fail_unless (hf_ts_crc32 (sec, len - 4) != hf_test_crc32 (before + i *
            HF_TS_PACKET + 5, len - 4));
  }
  /* Everything else is untouched, and the tables were still understood. */
  fail_unless (memcmp (ts + 2 * HF_TS_PACKET, before + 2 * HF_TS_PACKET,
          HF_TS_PACKET) == 0);
  fail_unless_equals_int (g.video_pid, HF_TEST_VIDEO_PID);
  hf_test_key (ts, 1);
  hf_ts_gop_push_rewrite (&g, ts, HF_TS_PACKET);
  snap = hf_ts_gop_snapshot (&g);
  fail_unless (snap != NULL);
  fail_unless_equals_int ((((const guint8 *) g_bytes_get_data (snap,
                  NULL))[10] >> 1) & 0x1f, 7);
  g_bytes_unref (snap);
  hf_ts_gop_clear (&g);
}

GST_END_TEST;

static Suite *
hf_tsgop_suite (void)
{
  Suite *s = suite_create ("hf-tsgop");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_psi_names_pmt_and_video_pid);
  tcase_add_test (tc, test_pmt_with_audio_listed_first_still_finds_video);
  tcase_add_test (tc, test_keyframe_start_is_recognised_from_sps_or_idr);
  tcase_add_test (tc, test_random_access_indicator_marks_keyframe);
  tcase_add_test (tc, test_keyframe_start_needs_video_pid_and_pes_start);
  tcase_add_test (tc, test_snapshot_is_null_before_keyframe);
  tcase_add_test (tc, test_keyframe_before_pmt_is_not_recognised);
  tcase_add_test (tc, test_snapshot_holds_pat_pmt_then_gop_from_keyframe);
  tcase_add_test (tc, test_new_keyframe_resets_gop);
  tcase_add_test (tc, test_gop_longer_than_max_bytes_is_dropped);
  tcase_add_test (tc, test_packet_without_sync_byte_is_malformed);
  tcase_add_test (tc, test_trailing_partial_packet_is_malformed);
  tcase_add_test (tc, test_lying_psi_is_malformed_and_keeps_last_good_tables);
  tcase_add_test (tc, test_lying_video_packets_do_not_crash);
  tcase_add_test (tc, test_random_garbage_does_not_crash);
  tcase_add_test (tc, test_rewrite_stamps_psi_version_with_valid_crc);
  return s;
}

GST_CHECK_MAIN (hf_tsgop);
