/* Picture marks (see hf-mark.h for the layout): drawn by hf-push into every
 * live frame and by the slate encoder into every slate frame, read by
 * hf-probe from every decoded frame.  Plain C on a luma plane; no state,
 * any thread.
 */
#include "failover/hf-mark.h"

#include <string.h>

#define HF_MARK_BYTES (HF_MARK_BITS / 8)
#define HF_MARK_BITS_PER_ROW (HF_MARK_COLUMNS / 2)

const gchar *
hf_mark_kind_to_string (HfMarkKind kind)
{
  switch (kind) {
    case HF_MARK_LIVE:
      return "live";
    case HF_MARK_SLATE:
      return "slate";
    case HF_MARK_NONE:
      break;
  }
  return "none";
}

guint32
hf_mark_clock_now (void)
{
  return (guint32) (g_get_monotonic_time () / 1000);
}

gint32
hf_mark_clock_diff (guint32 now_ms, guint32 clock_ms)
{
  /* Modular difference read as signed: right across the wrap, which comes
   * every 49.7 days of uptime. */
  return (gint32) (now_ms - clock_ms);
}

gint
hf_mark_cell_size (gint width)
{
  /* A multiple of 4 keeps every cell on H.264's 4x4 transform grid, where
   * a flat cell costs one DC coefficient and keeps its level. */
  return MAX (4, (width / 80) & ~3);
}

gboolean
hf_mark_geometry (gint width, gint height, gint * x, gint * y, gint * cell)
{
  gint c, top;

  /* Past 64k pixels a side the arithmetic below could overflow; no video
   * is that large. */
  if (width <= 0 || height <= 0 || width > 65536 || height > 65536)
    return FALSE;
  c = hf_mark_cell_size (width);
  /* A cell of margin left and below; the top-left 16 rows stay free. */
  top = (height - (HF_MARK_ROWS + 1) * c) & ~3;
  if (c * (HF_MARK_COLUMNS + 1) > width || top < 16)
    return FALSE;
  if (x)
    *x = c;
  if (y)
    *y = top;
  if (cell)
    *cell = c;
  return TRUE;
}

/* CRC-8, polynomial x^8 + x^2 + x + 1 (0x07), initial value 0xff: the
 * initial value makes an all-zero payload fail its check. */
static guint8
hf_mark_crc8 (const guint8 * data, gsize len)
{
  guint8 crc = 0xff;
  gsize i;
  gint b;

  for (i = 0; i < len; i++) {
    crc ^= data[i];
    for (b = 0; b < 8; b++)
      crc = (crc & 0x80) ? (guint8) ((crc << 1) ^ 0x07) : (guint8) (crc << 1);
  }
  return crc;
}

static void
hf_mark_pack (const HfMark * mark, guint8 * bytes)
{
  bytes[0] = (HF_MARK_MAGIC << 4) | (mark->kind & 0x0f);
  bytes[1] = mark->source;
  bytes[2] = mark->counter >> 16;
  bytes[3] = mark->counter >> 8;
  bytes[4] = mark->counter;
  bytes[5] = mark->clock_ms >> 24;
  bytes[6] = mark->clock_ms >> 16;
  bytes[7] = mark->clock_ms >> 8;
  bytes[8] = mark->clock_ms;
  bytes[9] = hf_mark_crc8 (bytes, HF_MARK_BYTES - 1);
}

static void
hf_mark_fill (guint8 * luma, gint stride, gint x, gint y, gint cell,
    guint8 value)
{
  gint row;

  for (row = 0; row < cell; row++)
    memset (luma + (gsize) (y + row) * stride + x, value, cell);
}

gboolean
hf_mark_draw (guint8 * luma, gint stride, gint width, gint height,
    const HfMark * mark)
{
  guint8 bytes[HF_MARK_BYTES];
  gint x0, y0, cell, bit;

  g_return_val_if_fail (luma != NULL && mark != NULL, FALSE);
  g_return_val_if_fail (mark->kind == HF_MARK_LIVE
      || mark->kind == HF_MARK_SLATE, FALSE);

  if (stride < width || !hf_mark_geometry (width, height, &x0, &y0, &cell))
    return FALSE;

  hf_mark_pack (mark, bytes);
  for (bit = 0; bit < HF_MARK_BITS; bit++) {
    gboolean one = (bytes[bit / 8] >> (7 - bit % 8)) & 1;
    gint x = x0 + 2 * (bit % HF_MARK_BITS_PER_ROW) * cell;
    gint y = y0 + (bit / HF_MARK_BITS_PER_ROW) * cell;

    hf_mark_fill (luma, stride, x, y, cell,
        one ? HF_MARK_WHITE : HF_MARK_BLACK);
    hf_mark_fill (luma, stride, x + cell, y, cell,
        one ? HF_MARK_BLACK : HF_MARK_WHITE);
  }
  return TRUE;
}

/* Mean of the central half of the cell at (x, y).  At 4 pixels a cell that
 * is its central 2x2. */
static gint
hf_mark_cell_mean (const guint8 * luma, gint stride, gint x, gint y, gint cell)
{
  gint from = cell / 4, to = cell - cell / 4;
  gint row, col, sum = 0;

  for (row = from; row < to; row++) {
    const guint8 *p = luma + (gsize) (y + row) * stride + x;

    for (col = from; col < to; col++)
      sum += p[col];
  }
  return sum / ((to - from) * (to - from));
}

gboolean
hf_mark_read (const guint8 * luma, gint stride, gint width, gint height,
    HfMark * out)
{
  guint8 bytes[HF_MARK_BYTES];
  gint x0, y0, cell, bit;

  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof (*out));
  out->kind = HF_MARK_NONE;
  if (luma == NULL || stride < width
      || !hf_mark_geometry (width, height, &x0, &y0, &cell))
    return FALSE;

  memset (bytes, 0, sizeof (bytes));
  for (bit = 0; bit < HF_MARK_BITS; bit++) {
    gint x = x0 + 2 * (bit % HF_MARK_BITS_PER_ROW) * cell;
    gint y = y0 + (bit / HF_MARK_BITS_PER_ROW) * cell;
    gint a = hf_mark_cell_mean (luma, stride, x, y, cell);
    gint b = hf_mark_cell_mean (luma, stride, x + cell, y, cell);

    /* Most pictures fail here, within the first few bits. */
    if (ABS (a - b) < HF_MARK_MIN_CONTRAST)
      return FALSE;
    if (a > b)
      bytes[bit / 8] |= 1 << (7 - bit % 8);
  }

  if ((bytes[0] >> 4) != HF_MARK_MAGIC
      || hf_mark_crc8 (bytes, HF_MARK_BYTES - 1) != bytes[HF_MARK_BYTES - 1])
    return FALSE;
  switch (bytes[0] & 0x0f) {
    case HF_MARK_LIVE:
    case HF_MARK_SLATE:
      break;
    default:
      return FALSE;
  }

  out->kind = bytes[0] & 0x0f;
  out->source = bytes[1];
  out->counter = (guint32) bytes[2] << 16 | (guint32) bytes[3] << 8 |
      bytes[4];
  out->clock_ms = (guint32) bytes[5] << 24 | (guint32) bytes[6] << 16 |
      (guint32) bytes[7] << 8 | bytes[8];
  return TRUE;
}
