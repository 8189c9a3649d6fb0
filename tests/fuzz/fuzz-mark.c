/* Fuzz target: the picture mark reader (failover/hf-mark.c) on arbitrary
 * bytes as a luma plane of arbitrary size.  Bytes 0-1 give the width (1 to
 * 700), byte 2 the height (1 to 256), byte 3 the row padding (0 to 63);
 * the rest, repeated, fills the plane, which lives in a buffer of exactly
 * stride x (height - 1) + width bytes so that ASan sees any read past it.
 * Whatever reads must be a valid mark.  Then a mark made from the input is
 * drawn over the plane and must read back exactly whenever the picture is
 * big enough, and nothing outside its rectangle may change: abort() if
 * not.  Single-threaded.
 */
#include "tests/fuzz/fuzz.h"
#include "failover/hf-mark.h"

#include <stdlib.h>
#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  gint width, height, stride, x0, y0, cell, x, y;
  gsize len, i;
  guint8 *plane, *before;
  HfMark m, out;
  gboolean fits;

  if (size < 4)
    return 0;
  width = 1 + (data[0] | data[1] << 8) % 700;
  height = 1 + data[2];
  stride = width + data[3] % 64;
  len = (height - 1) * (gsize) stride + width;
  plane = g_malloc (len);
  for (i = 0; i < len; i++)
    plane[i] = size > 4 ? data[4 + i % (size - 4)] : 0;

  if (hf_mark_read (plane, stride, width, height, &out)) {
    if (out.kind != HF_MARK_LIVE && out.kind != HF_MARK_SLATE)
      abort ();
  } else if (out.kind != HF_MARK_NONE
      || (out.counter | out.clock_ms | out.source) != 0) {
    abort ();
  }

  m.kind = (data[0] & 1) ? HF_MARK_SLATE : HF_MARK_LIVE;
  m.counter = 2166136261u;
  for (i = 0; i < size; i++)
    m.counter = (m.counter ^ data[i]) * 16777619u;
  m.clock_ms = m.counter * 2654435761u;
  m.source = m.clock_ms >> 24;
  before = g_memdup2 (plane, len);
  fits = hf_mark_geometry (width, height, &x0, &y0, &cell);
  if (hf_mark_draw (plane, stride, width, height, &m) != fits)
    abort ();
  if (fits) {
    if (!hf_mark_read (plane, stride, width, height, &out)
        || out.kind != m.kind
        || out.counter != (m.counter & HF_MARK_COUNTER_MASK)
        || out.clock_ms != m.clock_ms || out.source != m.source)
      abort ();
    for (i = 0; i < len; i++) {
      x = i % stride;
      y = i / stride;
      if ((x < x0 || x >= x0 + HF_MARK_COLUMNS * cell || y < y0
              || y >= y0 + HF_MARK_ROWS * cell) && plane[i] != before[i])
        abort ();
    }
  } else if (memcmp (plane, before, len) != 0) {
    abort ();
  }
  g_free (before);
  g_free (plane);
  return 0;
}
