/* RTCP feedback: builders and a bounded parser (see hf-abr.h).
 *
 * The builders append one RTCP packet each to a GByteArray: a receiver
 * report (RFC 3550 6.4.2), a generic NACK (RFC 4585 6.2.1), a TMMBR
 * (RFC 5104 4.2.1) and a REMB (draft-alvestrand-rmcat-remb).  The parser
 * walks a compound packet of untrusted bytes itself, checking every length
 * against the bytes that are there before reading (it is what fuzz-rtcpfb
 * exercises); anything that does not hold together is HF_RTCP_MALFORMED.
 * Packet types it does not use (SDES, BYE, APP, PLI, ...) are skipped.
 *
 * Plain functions over caller memory: any thread, no state, no locking.
 */
#include "abr/hf-abr.h"

#include <stdlib.h>
#include <string.h>

#define HF_RTCP_PT_SR 200
#define HF_RTCP_PT_RR 201
#define HF_RTCP_PT_RTPFB 205
#define HF_RTCP_PT_PSFB 206
#define HF_RTCP_FMT_NACK 1
#define HF_RTCP_FMT_TMMBR 3
#define HF_RTCP_FMT_AFB 15
#define HF_RTCP_REPORT_BLOCK 24
/* RTCP packet types are 192..223 (RFC 5761 4): anything else is not RTCP,
 * e.g. an RTP packet read from a muxed socket. */
#define HF_RTCP_PT_FIRST 192
#define HF_RTCP_PT_LAST 223
/* FCIs per NACK packet the builder writes before it starts another. */
#define HF_RTCP_NACK_FCIS_PER_PACKET 256

static guint32
hf_rtcp_read32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | p[3];
}

static guint16
hf_rtcp_read16 (const guint8 * p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static void
hf_rtcp_put32 (GByteArray * out, guint32 v)
{
  guint8 b[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };

  g_byte_array_append (out, b, 4);
}

/* The common header: V=2, no padding, @count (RC or FMT), @pt, and the
 * length in 32-bit words minus one for a packet of @bytes bytes. */
static void
hf_rtcp_put_header (GByteArray * out, guint count, guint pt, gsize bytes)
{
  guint words = bytes / 4 - 1;
  guint8 b[4] = { 0x80 | (count & 0x1f), pt, (words >> 8) & 0xff,
    words & 0xff
  };

  g_byte_array_append (out, b, 4);
}

/* mantissa << exp, saturating at G_MAXUINT64 (a 6-bit exponent can ask for
 * more than 64 bits). */
static guint64
hf_rtcp_decode_rate (guint32 mantissa, guint exp)
{
  guint bits = 0;

  if (mantissa == 0)
    return 0;
  while (bits < 32 && (mantissa >> bits) != 0)
    bits++;
  if (bits + exp > 64)
    return G_MAXUINT64;
  return (guint64) mantissa << exp;
}

/* The smallest exponent whose mantissa fits @mantissa_bits: the value is
 * rounded down, so the precision is 2^-(mantissa_bits-1) relative. */
static void
hf_rtcp_encode_rate (guint64 bps, guint mantissa_bits, guint32 * mantissa,
    guint * exp)
{
  guint e = 0;

  while ((bps >> e) >= (G_GUINT64_CONSTANT (1) << mantissa_bits))
    e++;
  *exp = e;
  *mantissa = (guint32) (bps >> e);
}

void
hf_rtcp_build_rr (GByteArray * out, guint32 sender_ssrc, guint32 media_ssrc,
    guint8 fraction_lost, guint32 cumulative_lost, guint32 highest_seq,
    guint32 jitter)
{
  g_return_if_fail (out != NULL);

  hf_rtcp_put_header (out, 1, HF_RTCP_PT_RR, 8 + HF_RTCP_REPORT_BLOCK);
  hf_rtcp_put32 (out, sender_ssrc);
  hf_rtcp_put32 (out, media_ssrc);
  /* Cumulative lost is a signed 24-bit field: clamp rather than wrap. */
  hf_rtcp_put32 (out, ((guint32) fraction_lost << 24) |
      MIN (cumulative_lost, 0x7fffff));
  hf_rtcp_put32 (out, highest_seq);
  hf_rtcp_put32 (out, jitter);
  hf_rtcp_put32 (out, 0);       /* LSR: we send no SR to relate to */
  hf_rtcp_put32 (out, 0);       /* DLSR */
}

void
hf_rtcp_build_remb (GByteArray * out, guint32 sender_ssrc, guint32 media_ssrc,
    guint64 bps)
{
  guint32 mantissa;
  guint exp;

  g_return_if_fail (out != NULL);

  hf_rtcp_encode_rate (bps, 18, &mantissa, &exp);
  hf_rtcp_put_header (out, HF_RTCP_FMT_AFB, HF_RTCP_PT_PSFB, 24);
  hf_rtcp_put32 (out, sender_ssrc);
  hf_rtcp_put32 (out, 0);       /* media source: unused by REMB */
  g_byte_array_append (out, (const guint8 *) "REMB", 4);
  /* Num SSRC (8 bits) = 1, BR Exp (6), BR Mantissa (18). */
  hf_rtcp_put32 (out, (1u << 24) | ((guint32) exp << 18) | mantissa);
  hf_rtcp_put32 (out, media_ssrc);
}

void
hf_rtcp_build_tmmbr (GByteArray * out, guint32 sender_ssrc,
    guint32 media_ssrc, guint64 bps, guint overhead_bytes)
{
  guint32 mantissa;
  guint exp;

  g_return_if_fail (out != NULL);

  hf_rtcp_encode_rate (bps, 17, &mantissa, &exp);
  hf_rtcp_put_header (out, HF_RTCP_FMT_TMMBR, HF_RTCP_PT_RTPFB, 20);
  hf_rtcp_put32 (out, sender_ssrc);
  hf_rtcp_put32 (out, 0);       /* media source: SHALL be 0 (RFC 5104) */
  hf_rtcp_put32 (out, media_ssrc);
  /* MxTBR Exp (6), Mantissa (17), Measured Overhead (9). */
  hf_rtcp_put32 (out, ((guint32) exp << 26) | (mantissa << 9) |
      MIN (overhead_bytes, 511));
}

static gint
hf_rtcp_compare_u16 (gconstpointer a, gconstpointer b)
{
  return (gint) * (const guint16 *) a - (gint) * (const guint16 *) b;
}

void
hf_rtcp_build_nack (GByteArray * out, guint32 sender_ssrc,
    guint32 media_ssrc, const guint16 * seqs, guint n_seqs)
{
  g_autofree guint16 *sorted = NULL;
  g_autofree guint32 *fcis = NULL;
  guint n = 0, start = 0, best_gap = 0, n_fcis = 0, i, done;

  g_return_if_fail (out != NULL);
  g_return_if_fail (seqs != NULL || n_seqs == 0);

  if (n_seqs == 0)
    return;

  /* Unique and sorted numerically; then start after the widest circular
   * gap, so that a run across the wrap (65534, 65535, 0, 1) stays in order
   * and shares FCIs. */
  sorted = g_memdup2 (seqs, n_seqs * sizeof (guint16));
  qsort (sorted, n_seqs, sizeof (guint16), hf_rtcp_compare_u16);
  for (i = 0; i < n_seqs; i++)
    if (n == 0 || sorted[n - 1] != sorted[i])
      sorted[n++] = sorted[i];
  for (i = 0; i < n; i++) {
    guint16 prev = sorted[(i + n - 1) % n];
    guint gap = (guint16) (sorted[i] - prev);

    if (n == 1 || gap > best_gap) {
      best_gap = gap;
      start = i;
    }
  }

  fcis = g_new (guint32, n);
  for (i = 0; i < n; i++) {
    guint16 seq = sorted[(start + i) % n];

    if (n_fcis > 0) {
      guint16 pid = fcis[n_fcis - 1] >> 16;
      guint16 d = seq - pid;

      if (d >= 1 && d <= 16) {
        fcis[n_fcis - 1] |= 1u << (d - 1);
        continue;
      }
    }
    fcis[n_fcis++] = (guint32) seq << 16;
  }

  for (done = 0; done < n_fcis;) {
    guint k = MIN (n_fcis - done, HF_RTCP_NACK_FCIS_PER_PACKET);

    hf_rtcp_put_header (out, HF_RTCP_FMT_NACK, HF_RTCP_PT_RTPFB, 12 + 4 * k);
    hf_rtcp_put32 (out, sender_ssrc);
    hf_rtcp_put32 (out, media_ssrc);
    for (i = 0; i < k; i++)
      hf_rtcp_put32 (out, fcis[done + i]);
    done += k;
  }
}

/* ---- parser ----------------------------------------------------------- */

static gboolean
hf_rtcp_ssrc_matches (guint32 want, guint32 ssrc, HfRtcpFeedback * fb)
{
  if (want != 0 && ssrc != want)
    return FALSE;
  if (fb->media_ssrc == 0)
    fb->media_ssrc = ssrc;
  return TRUE;
}

static void
hf_rtcp_parse_report_blocks (const guint8 * p, guint count, guint32 want,
    HfRtcpFeedback * fb)
{
  guint i;

  for (i = 0; i < count; i++, p += HF_RTCP_REPORT_BLOCK) {
    if (!hf_rtcp_ssrc_matches (want, hf_rtcp_read32 (p), fb))
      continue;
    fb->has_rr = TRUE;
    fb->fraction_lost = p[4];
    fb->cumulative_lost = hf_rtcp_read32 (p + 4) & 0xffffff;
    fb->highest_seq = hf_rtcp_read32 (p + 8);
    fb->jitter = hf_rtcp_read32 (p + 12);
    fb->lsr = hf_rtcp_read32 (p + 16);
    fb->dlsr = hf_rtcp_read32 (p + 20);
  }
}

static void
hf_rtcp_add_nack (HfRtcpFeedback * fb, guint16 seq)
{
  if (fb->n_nacks < HF_RTCP_MAX_NACKS)
    fb->nacks[fb->n_nacks++] = seq;
}

/* @body: the packet after its 4-byte header, @len bytes (padding gone). */
static HfRtcpResult
hf_rtcp_parse_rtpfb (guint fmt, const guint8 * body, gsize len, guint32 want,
    HfRtcpFeedback * fb)
{
  const guint8 *fci = body + 8;
  gsize fci_len, off;

  if (len < 8)
    return HF_RTCP_MALFORMED;
  fci_len = len - 8;

  if (fmt == HF_RTCP_FMT_NACK) {
    if (fci_len == 0)
      return HF_RTCP_MALFORMED;
    if (!hf_rtcp_ssrc_matches (want, hf_rtcp_read32 (body + 4), fb))
      return HF_RTCP_OK;
    for (off = 0; off + 4 <= fci_len; off += 4) {
      guint16 pid = hf_rtcp_read16 (fci + off);
      guint16 blp = hf_rtcp_read16 (fci + off + 2);
      guint b;

      hf_rtcp_add_nack (fb, pid);
      for (b = 0; b < 16; b++)
        if (blp & (1u << b))
          hf_rtcp_add_nack (fb, (guint16) (pid + b + 1));
    }
  } else if (fmt == HF_RTCP_FMT_TMMBR) {
    if (fci_len == 0 || fci_len % 8 != 0)
      return HF_RTCP_MALFORMED;
    for (off = 0; off + 8 <= fci_len; off += 8) {
      guint32 w = hf_rtcp_read32 (fci + off + 4);

      if (!hf_rtcp_ssrc_matches (want, hf_rtcp_read32 (fci + off), fb))
        continue;
      fb->tmmbr_bps = hf_rtcp_decode_rate ((w >> 9) & 0x1ffff, w >> 26);
    }
  }
  return HF_RTCP_OK;
}

static HfRtcpResult
hf_rtcp_parse_psfb (guint fmt, const guint8 * body, gsize len, guint32 want,
    HfRtcpFeedback * fb)
{
  const guint8 *fci = body + 8;
  gsize fci_len;
  guint32 w;
  guint n_ssrc, i;

  if (len < 8)
    return HF_RTCP_MALFORMED;
  fci_len = len - 8;
  if (fmt != HF_RTCP_FMT_AFB || fci_len < 4 || memcmp (fci, "REMB", 4) != 0)
    return HF_RTCP_OK;          /* PLI, FIR, other AFB: not ours */

  if (fci_len < 8)
    return HF_RTCP_MALFORMED;
  w = hf_rtcp_read32 (fci + 4);
  n_ssrc = w >> 24;
  if (fci_len < 8 + (gsize) n_ssrc * 4)
    return HF_RTCP_MALFORMED;
  /* The media SSRC field of a REMB is 0: the streams it is about are the
   * SSRC list in the FCI. */
  for (i = 0; i < n_ssrc; i++) {
    if (hf_rtcp_ssrc_matches (want, hf_rtcp_read32 (fci + 8 + 4 * i), fb)) {
      fb->remb_bps = hf_rtcp_decode_rate (w & 0x3ffff, (w >> 18) & 0x3f);
      break;
    }
  }
  return HF_RTCP_OK;
}

HfRtcpResult
hf_rtcp_parse_feedback (const guint8 * data, gsize size, guint32 media_ssrc,
    HfRtcpFeedback * fb)
{
  gsize off = 0;

  g_return_val_if_fail (fb != NULL, HF_RTCP_MALFORMED);

  memset (fb, 0, sizeof (*fb));
  if (data == NULL || size < 4)
    return HF_RTCP_MALFORMED;

  while (off < size) {
    const guint8 *p = data + off;
    gsize left = size - off;
    gsize plen, len;
    guint count, pt;
    HfRtcpResult res = HF_RTCP_OK;

    if (left < 4)
      goto malformed;
    if ((p[0] >> 6) != 2)
      goto malformed;
    count = p[0] & 0x1f;
    pt = p[1];
    if (pt < HF_RTCP_PT_FIRST || pt > HF_RTCP_PT_LAST)
      goto malformed;
    plen = ((gsize) hf_rtcp_read16 (p + 2) + 1) * 4;
    if (plen > left)
      goto malformed;
    len = plen - 4;             /* body after the header */
    if (p[0] & 0x20) {
      /* Padding: only the last packet of a compound may carry it, and the
       * count (last byte) covers itself and stays inside the body. */
      guint pad = p[plen - 1];

      if (off + plen != size || pad == 0 || pad > len)
        goto malformed;
      len -= pad;
    }

    switch (pt) {
      case HF_RTCP_PT_SR:
        if (len < 4 + 20 + (gsize) count * HF_RTCP_REPORT_BLOCK)
          goto malformed;
        hf_rtcp_parse_report_blocks (p + 4 + 24, count, media_ssrc, fb);
        break;
      case HF_RTCP_PT_RR:
        if (len < 4 + (gsize) count * HF_RTCP_REPORT_BLOCK)
          goto malformed;
        hf_rtcp_parse_report_blocks (p + 8, count, media_ssrc, fb);
        break;
      case HF_RTCP_PT_RTPFB:
        res = hf_rtcp_parse_rtpfb (count, p + 4, len, media_ssrc, fb);
        break;
      case HF_RTCP_PT_PSFB:
        res = hf_rtcp_parse_psfb (count, p + 4, len, media_ssrc, fb);
        break;
      default:
        break;                  /* SDES, BYE, APP, XR, ...: skipped */
    }
    if (res != HF_RTCP_OK)
      goto malformed;
    off += plen;
  }
  return HF_RTCP_OK;

  /* ERRORS */
malformed:
  {
    /* Nothing of a packet that does not hold together is to be trusted. */
    memset (fb, 0, sizeof (*fb));
    return HF_RTCP_MALFORMED;
  }
}
