/* MPEG-TS GOP cache (see hf-tsgop.h).
 *
 * Keyframe detection: a packet on the video PID that starts a PES (PUSI)
 * and either carries the adaptation field's random_access_indicator (set by
 * mpegtsmux for keyframes) or whose payload holds an H.264 IDR or SPS NAL
 * unit (h264parse puts SPS/PPS before every IDR).
 */
#include "relay/hf-tsgop.h"

#include <string.h>

void
hf_ts_gop_init (HfTsGop * g, gsize max_bytes)
{
  memset (g, 0, sizeof (*g));
  g->pmt_pid = -1;
  g->video_pid = -1;
  g->psi_version = -1;
  g->gop = g_byte_array_new ();
  g->max_bytes = max_bytes;
}

void
hf_ts_gop_clear (HfTsGop * g)
{
  if (g->gop)
    g_byte_array_unref (g->gop);
  g->gop = NULL;
}

static guint16
hf_ts_pid (const guint8 * pkt)
{
  return ((pkt[1] & 0x1f) << 8) | pkt[2];
}

/* Offset of the payload in @pkt, or -1 if it has none or lies. */
static gint
hf_ts_payload_offset (const guint8 * pkt)
{
  guint8 afc = (pkt[3] >> 4) & 0x3;
  gint off = 4;

  if (afc == 0 || afc == 2)
    return -1;                  /* reserved, or adaptation field only */
  if (afc == 3) {
    off += 1 + pkt[4];
    if (off >= HF_TS_PACKET)
      return -1;
  }
  return off;
}

/* The PSI section that starts in @pkt (PUSI set), as @sec/@len; FALSE if
 * the pointer field or section length do not fit in the packet. */
static gboolean
hf_ts_section (const guint8 * pkt, const guint8 ** sec, gint * len)
{
  gint off = hf_ts_payload_offset (pkt);
  gint section_len;

  if (off < 0 || !(pkt[1] & 0x40))
    return FALSE;
  off += 1 + pkt[off];          /* pointer_field */
  if (off + 3 > HF_TS_PACKET)
    return FALSE;
  section_len = ((pkt[off + 1] & 0x0f) << 8) | pkt[off + 2];
  if (off + 3 + section_len > HF_TS_PACKET || section_len < 9)
    return FALSE;
  *sec = pkt + off;
  *len = 3 + section_len;
  return TRUE;
}

guint32
hf_ts_crc32 (const guint8 * data, gsize size)
{
  guint32 crc = 0xffffffff;
  gsize i;
  gint b;

  for (i = 0; i < size; i++) {
    crc ^= (guint32) data[i] << 24;
    for (b = 0; b < 8; b++)
      crc = (crc & 0x80000000) ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc;
}

gboolean
hf_ts_set_psi_version (guint8 * pkt, guint version)
{
  const guint8 *sec;
  guint8 *s;
  gint len;
  guint32 crc;

  if (pkt[0] != 0x47 || !hf_ts_section (pkt, &sec, &len))
    return FALSE;
  s = (guint8 *) sec;
  /* table_id, length (2), id (2), then reserved:2 version:5 current:1 */
  s[5] = (s[5] & 0xc1) | ((version & 0x1f) << 1);
  crc = hf_ts_crc32 (s, len - 4);
  s[len - 4] = crc >> 24;
  s[len - 3] = crc >> 16;
  s[len - 2] = crc >> 8;
  s[len - 1] = crc;
  return TRUE;
}

static void
hf_ts_parse_pat (HfTsGop * g, const guint8 * pkt)
{
  const guint8 *sec;
  gint len, i;

  if (!hf_ts_section (pkt, &sec, &len) || sec[0] != 0x00) {
    g->malformed++;
    return;
  }
  /* Programs from byte 8 up to the CRC (4 bytes), 4 bytes each. */
  for (i = 8; i + 4 <= len - 4; i += 4) {
    guint16 program = (sec[i] << 8) | sec[i + 1];
    guint16 pid = ((sec[i + 2] & 0x1f) << 8) | sec[i + 3];

    if (program != 0) {
      g->pmt_pid = pid;
      memcpy (g->pat, pkt, HF_TS_PACKET);
      g->have_pat = TRUE;
      return;
    }
  }
}

static gboolean
hf_ts_is_video_type (guint8 type)
{
  return type == 0x1b || type == 0x24 || type == 0x02;
}

static void
hf_ts_parse_pmt (HfTsGop * g, const guint8 * pkt)
{
  const guint8 *sec;
  gint len, i, info_len;

  if (!hf_ts_section (pkt, &sec, &len) || sec[0] != 0x02) {
    g->malformed++;
    return;
  }
  info_len = ((sec[10] & 0x0f) << 8) | sec[11];
  i = 12 + info_len;
  while (i + 5 <= len - 4) {
    guint8 type = sec[i];
    guint16 pid = ((sec[i + 1] & 0x1f) << 8) | sec[i + 2];
    gint es_info = ((sec[i + 3] & 0x0f) << 8) | sec[i + 4];

    if (hf_ts_is_video_type (type)) {
      g->video_pid = pid;
      break;
    }
    i += 5 + es_info;
  }
  memcpy (g->pmt, pkt, HF_TS_PACKET);
  g->have_pmt = TRUE;
}

gboolean
hf_ts_packet_is_keyframe_start (const guint8 * pkt, gint video_pid)
{
  gint off, i;
  guint8 afc;

  if (pkt[0] != 0x47 || video_pid < 0 || hf_ts_pid (pkt) != video_pid ||
      !(pkt[1] & 0x40))
    return FALSE;
  afc = (pkt[3] >> 4) & 0x3;
  if ((afc & 0x2) && pkt[4] > 0 && (pkt[5] & 0x40))
    return TRUE;                /* random_access_indicator */

  off = hf_ts_payload_offset (pkt);
  if (off < 0 || off + 9 > HF_TS_PACKET)
    return FALSE;
  /* PES header: 00 00 01 stream_id len(2) flags(2) header_len */
  if (pkt[off] != 0 || pkt[off + 1] != 0 || pkt[off + 2] != 1)
    return FALSE;
  off += 9 + pkt[off + 8];
  for (i = off; i + 3 < HF_TS_PACKET; i++) {
    if (pkt[i] == 0 && pkt[i + 1] == 0 && pkt[i + 2] == 1) {
      guint8 nal = pkt[i + 3] & 0x1f;

      if (nal == 5 || nal == 7)
        return TRUE;
      if (nal == 1)
        return FALSE;           /* a non-IDR slice: a delta frame */
    }
  }
  return FALSE;
}

/* @writable is @data when PSI versions may be stamped in place, or NULL. */
static void
hf_ts_gop_feed (HfTsGop * g, guint8 * writable, const guint8 * data,
    gsize size)
{
  gsize i;

  for (i = 0; i + HF_TS_PACKET <= size; i += HF_TS_PACKET) {
    const guint8 *pkt = data + i;
    guint16 pid;

    if (pkt[0] != 0x47 || ((pkt[3] & 0x20) && pkt[4] > 183)) {
      /* No sync byte, or an adaptation field longer than the packet. */
      g->malformed++;
      continue;
    }
    g->packets++;
    pid = hf_ts_pid (pkt);
    if (writable && g->psi_version >= 0 && (pkt[1] & 0x40) &&
        (pid == 0 || (gint) pid == g->pmt_pid))
      hf_ts_set_psi_version (writable + i, g->psi_version);
    if (pid == 0 && (pkt[1] & 0x40))
      hf_ts_parse_pat (g, pkt);
    else if ((gint) pid == g->pmt_pid && (pkt[1] & 0x40))
      hf_ts_parse_pmt (g, pkt);

    if (hf_ts_packet_is_keyframe_start (pkt, g->video_pid)) {
      g_byte_array_set_size (g->gop, 0);
      g->have_keyframe = TRUE;
      g->keyframes++;
    }
    if (g->have_keyframe) {
      if (g->gop->len + HF_TS_PACKET > g->max_bytes) {
        /* A GOP this long is not worth replaying; wait for the next. */
        g_byte_array_set_size (g->gop, 0);
        g->have_keyframe = FALSE;
      } else {
        g_byte_array_append (g->gop, pkt, HF_TS_PACKET);
      }
    }
  }
  if (i < size)
    g->malformed++;
}

gboolean
hf_ts_gop_needs_rewrite (HfTsGop * g, const guint8 * data, gsize size)
{
  gsize i;

  if (g->psi_version < 0)
    return FALSE;
  for (i = 0; i + HF_TS_PACKET <= size; i += HF_TS_PACKET) {
    const guint8 *pkt = data + i;
    guint16 pid = hf_ts_pid (pkt);

    if ((pkt[1] & 0x40) && (pid == 0 || g->pmt_pid < 0 ||
            (gint) pid == g->pmt_pid))
      return TRUE;
  }
  return FALSE;
}

void
hf_ts_gop_push (HfTsGop * g, const guint8 * data, gsize size)
{
  hf_ts_gop_feed (g, NULL, data, size);
}

void
hf_ts_gop_push_rewrite (HfTsGop * g, guint8 * data, gsize size)
{
  hf_ts_gop_feed (g, data, data, size);
}

GBytes *
hf_ts_gop_snapshot (HfTsGop * g)
{
  GByteArray *out;

  if (!g->have_keyframe || !g->have_pat || !g->have_pmt)
    return NULL;
  out = g_byte_array_sized_new (2 * HF_TS_PACKET + g->gop->len);
  g_byte_array_append (out, g->pat, HF_TS_PACKET);
  g_byte_array_append (out, g->pmt, HF_TS_PACKET);
  g_byte_array_append (out, g->gop->data, g->gop->len);
  return g_byte_array_free_to_bytes (out);
}
