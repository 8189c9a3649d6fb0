/* Fuzz target: the MPEG-TS GOP cache (relay/hf-tsgop.c).  The first byte
 * picks the cache's size limit and how the rest is cut into chunks (whole
 * packets, or lengths that split packets); each chunk is pushed from a
 * buffer of exactly its size and a snapshot taken after it.  Then
 * hf_ts_packet_is_keyframe_start() runs on every 188-byte window of the
 * input.  Snapshots must be whole packets, PAT and PMT first, never more
 * than the limit allows; abort() if not.  Single-threaded.
 */
#include "tests/fuzz/fuzz.h"
#include "relay/hf-tsgop.h"

#include <stdlib.h>
#include <string.h>

static void
hf_fuzz_check_snapshot (HfTsGop * g)
{
  GBytes *snap = hf_ts_gop_snapshot (g);
  const guint8 *data;
  gsize size;

  if (!snap)
    return;
  data = g_bytes_get_data (snap, &size);
  if (size % HF_TS_PACKET != 0 || size < 3 * HF_TS_PACKET)
    abort ();
  if (size != 2 * HF_TS_PACKET + g->gop->len || g->gop->len > g->max_bytes)
    abort ();
  if (data[0] != 0x47 || data[HF_TS_PACKET] != 0x47 ||
      data[2 * HF_TS_PACKET] != 0x47)
    abort ();
  g_bytes_unref (snap);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static const gsize odd_chunks[] = { 100, 188, 200, 376, 1, 564, 187, 1316 };
  HfTsGop g;
  gboolean whole;
  size_t pos, i;
  guint n = 0;

  if (size < 1)
    return 0;
  /* Limit: 1 to 64 packets. */
  hf_ts_gop_init (&g, HF_TS_PACKET * (1 + (data[0] & 0x3f)));
  whole = (data[0] & 0x40) == 0;
  /* Half the inputs also go through the in-place PAT/PMT version stamp. */
  g.psi_version = (data[0] & 0x80) ? (data[0] & 0x1f) : -1;

  for (pos = 1; pos < size; n++) {
    gsize chunk = whole ? HF_TS_PACKET * (1 + n % 7) :
        odd_chunks[n % G_N_ELEMENTS (odd_chunks)];
    guint8 *copy;

    chunk = MIN (chunk, size - pos);
    copy = g_memdup2 (data + pos, chunk);
    hf_ts_gop_push_rewrite (&g, copy, chunk);
    g_free (copy);
    pos += chunk;
    hf_fuzz_check_snapshot (&g);
  }

  for (i = 1; i + HF_TS_PACKET <= size; i++) {
    guint8 pkt[HF_TS_PACKET];

    memcpy (pkt, data + i, HF_TS_PACKET);
    hf_ts_packet_is_keyframe_start (pkt, g.video_pid);
    hf_ts_packet_is_keyframe_start (pkt, 0x100);
    hf_ts_set_psi_version (pkt, i);
  }
  hf_ts_gop_clear (&g);
  return 0;
}
