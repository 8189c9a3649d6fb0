/* Fuzz target: the ladder's rung gate (relay/hf-ladder.c), whose keyframe
 * and PES PTS reader parses TS packets by hand.  The bytes are records:
 * one control byte (rung 0..2 in the low bits; bit 7: ask for the rung in
 * bits 4..5 first), then one 188-byte TS packet fed to the gate as that
 * rung's data.  Aborts if the gate ever emits more bytes than it was fed,
 * emits a buffer that is not whole TS packets, or says a switch is in
 * progress towards a rung that was never asked for.
 * Single-threaded.
 */
#include "tests/fuzz/fuzz.h"
#include "relay/relay-private.h"

#include <stdlib.h>
#include <string.h>

#define HF_FUZZ_TS 188
#define HF_FUZZ_PID 0x100

typedef struct
{
  gsize emitted;
} HfFuzzOut;

static void
hf_fuzz_emit (const guint8 * data, gsize size, gboolean first,
    gpointer user_data)
{
  HfFuzzOut *o = user_data;

  if (size == 0 || size % HF_FUZZ_TS != 0 || data[0] != 0x47)
    abort ();
  o->emitted += size;
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  HfRungGate g;
  HfFuzzOut o = { 0 };
  gsize fed = 0, i;
  guint8 pkt[HF_FUZZ_TS];

  hf_rung_gate_init (&g, 0);
  for (i = 0; i + 1 + HF_FUZZ_TS <= size; i += 1 + HF_FUZZ_TS) {
    guint8 ctl = data[i];

    if (ctl & 0x80)
      hf_rung_gate_request (&g, (ctl >> 4) & 3);
    memcpy (pkt, data + i + 1, HF_FUZZ_TS);
    pkt[0] = 0x47;              /* the program only ever hands whole packets */
    hf_rung_gate_filter (&g, ctl & 3, pkt, sizeof (pkt), HF_FUZZ_PID,
        hf_fuzz_emit, &o);
    fed += sizeof (pkt);
    if (o.emitted > fed || (g.target >= 0 && g.target > 3))
      abort ();
  }
  hf_rung_gate_clear (&g);
  return 0;
}
