/* Fuzz target: the RTCP feedback parser (abr/hf-rtcpfb.c).  The bytes are
 * a compound RTCP packet, parsed as is (for any SSRC).  It must never read
 * past the end (ASan) and, when it accepts the packet, what it reports
 * must survive a round trip; abort() if not:
 *  - parsing again for the SSRC it reported gives OK (and the same
 *    figures when that SSRC is 0, which matches everything);
 *  - the figures re-encoded by the builders (RR, REMB, TMMBR, NACK) parse
 *    back to the same values: the RR fields (cumulative loss clamped to the
 *    builder's 23 bits), the REMB and TMMBR rates exactly (they came from a
 *    mantissa of the same width, unless they saturated), the same set of
 *    NACKed sequence numbers;
 *  - a rejected packet leaves nothing reported.
 * Single-threaded.
 */
#include "tests/fuzz/fuzz.h"
#include "abr/hf-abr.h"

#include <stdlib.h>
#include <string.h>

static void
hf_fuzz_nack_set (const HfRtcpFeedback * fb, guint8 * set)
{
  guint i;

  memset (set, 0, 65536 / 8);
  for (i = 0; i < fb->n_nacks; i++)
    set[fb->nacks[i] / 8] |= 1u << (fb->nacks[i] % 8);
}

static void
hf_fuzz_check_same (const HfRtcpFeedback * a, const HfRtcpFeedback * b)
{
  if (a->has_rr != b->has_rr || a->remb_bps != b->remb_bps ||
      a->tmmbr_bps != b->tmmbr_bps || a->n_nacks != b->n_nacks)
    abort ();
  if (a->has_rr && (a->fraction_lost != b->fraction_lost ||
          a->cumulative_lost != b->cumulative_lost ||
          a->highest_seq != b->highest_seq || a->jitter != b->jitter))
    abort ();
  if (a->n_nacks && memcmp (a->nacks, b->nacks,
          a->n_nacks * sizeof (guint16)) != 0)
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static guint8 set_a[65536 / 8], set_b[65536 / 8];
  HfRtcpFeedback fb, again, back;
  GByteArray *out;
  guint32 ssrc;

  if (hf_rtcp_parse_feedback (data, size, 0, &fb) != HF_RTCP_OK) {
    if (fb.has_rr || fb.remb_bps || fb.tmmbr_bps || fb.n_nacks || fb.media_ssrc)
      abort ();
    return 0;
  }
  ssrc = fb.media_ssrc;

  /* Asked for the SSRC it reported, the parser must accept the packet
   * again and report that SSRC; when that SSRC is 0 both calls match
   * everything and must agree field for field. */
  if (hf_rtcp_parse_feedback (data, size, ssrc, &again) != HF_RTCP_OK)
    abort ();
  if (ssrc == 0)
    hf_fuzz_check_same (&fb, &again);
  if (again.media_ssrc != ssrc)
    abort ();

  /* Re-encode what was asked for that SSRC and read it back. */
  out = g_byte_array_new ();
  hf_rtcp_build_rr (out, 1, ssrc, again.fraction_lost,
      again.cumulative_lost, again.highest_seq, again.jitter);
  if (again.remb_bps)
    hf_rtcp_build_remb (out, 1, ssrc, again.remb_bps);
  if (again.tmmbr_bps)
    hf_rtcp_build_tmmbr (out, 1, ssrc, again.tmmbr_bps, 0);
  hf_rtcp_build_nack (out, 1, ssrc, again.nacks, again.n_nacks);
  if (hf_rtcp_parse_feedback (out->data, out->len, ssrc, &back) != HF_RTCP_OK)
    abort ();
  g_byte_array_unref (out);

  if (!back.has_rr || back.fraction_lost != again.fraction_lost ||
      back.cumulative_lost != MIN (again.cumulative_lost, 0x7fffff) ||
      back.highest_seq != again.highest_seq || back.jitter != again.jitter)
    abort ();
  if (again.remb_bps != G_MAXUINT64 && back.remb_bps != again.remb_bps)
    abort ();
  if (again.tmmbr_bps != G_MAXUINT64 && back.tmmbr_bps != again.tmmbr_bps)
    abort ();
  hf_fuzz_nack_set (&again, set_a);
  hf_fuzz_nack_set (&back, set_b);
  if (memcmp (set_a, set_b, sizeof (set_a)) != 0)
    abort ();
  return 0;
}
