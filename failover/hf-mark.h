/* Picture marks: a small block barcode in the luma plane of a raw picture
 * that says what the picture is (a live frame from hf-push, or the relay's
 * builtin slate), its frame counter and the monotonic clock (ms) when it
 * was made, so a viewer (hf-probe) can tell what is on screen, count the
 * live frames it never got and measure glass-to-glass latency.
 *
 * Layout (everything derives from the picture's width and height, so a
 * reader needs no search):
 *
 *   cell   = MAX (4, (width / 80) rounded down to a multiple of 4) pixels:
 *            4 up to 399 pixels wide, 8 at 640, 16 at 1280, 24 at 1920
 *   grid   = 4 rows of 40 cells (40 x cell by 4 x cell pixels)
 *   origin = x: one cell from the left edge; y: five cells above the
 *            bottom edge, rounded down to a multiple of 4
 *
 * so the mark sits at the bottom left, a cell away from the edges, and never
 * touches the top-left corner (which tests sample for the slate's colour)
 * or hf-push's label (top left).  80 bits, most significant first, 20 per
 * row, each in two adjacent cells (Manchester: white then black is 1,
 * black then white is 0; black is luma 16, white 235):
 *
 *   byte 0     HF_MARK_MAGIC << 4 | kind
 *   byte 1     source: a number the maker draws at random when it starts
 *              (hf-push), so a probe tells two pushers apart even when
 *              their counters are close (a failover between pushers
 *              started together is a source change, not lost frames)
 *   bytes 2-4  counter, big-endian, 24 bits (wraps after 6 days at 30 fps)
 *   bytes 5-8  clock_ms, big-endian
 *   byte 9     CRC-8 (polynomial 0x07, initial value 0xff) of bytes 0-8
 *
 * A cell is read as the mean of its central half (away from the deblocking
 * and ringing at its edges), and a bit only when its two cells differ by
 * at least HF_MARK_MIN_CONTRAST: a picture without a mark, or one an
 * encoder damaged, reads as no mark rather than as a wrong one.  Flat
 * cells aligned on the 4x4 transform grid survive H.264 at the bitrates
 * of a live stream (tests/unit/test-mark.c encodes them with x264).
 *
 * Plain C on 8-bit planes, no state: any thread.
 */
#ifndef HF_MARK_H
#define HF_MARK_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  HF_MARK_NONE = 0,             /* no mark, or an unreadable one */
  HF_MARK_LIVE = 1,             /* a live frame (hf-push) */
  HF_MARK_SLATE = 2             /* the relay's builtin slate */
} HfMarkKind;

typedef struct
{
  HfMarkKind kind;
  guint32 counter;              /* frame number: from 0, +1 per frame; only
                                 * its low 24 bits are carried */
  guint32 clock_ms;             /* CLOCK_MONOTONIC ms, low 32 bits; 0 when
                                 * the maker has no meaningful time */
  guint8 source;                /* the maker's random number; 0: none */
} HfMark;

#define HF_MARK_COUNTER_MASK 0xffffffu

#define HF_MARK_MAGIC 0xa
#define HF_MARK_BITS 80
#define HF_MARK_COLUMNS 40
#define HF_MARK_ROWS 4
#define HF_MARK_BLACK 16
#define HF_MARK_WHITE 235
#define HF_MARK_MIN_CONTRAST 64

const gchar *hf_mark_kind_to_string (HfMarkKind kind);

/* The clock a mark carries: g_get_monotonic_time () in ms, low 32 bits. */
guint32 hf_mark_clock_now (void);

/* Age in ms of a mark made at @clock_ms, seen at @now_ms (both from
 * hf_mark_clock_now ()), across the 32-bit wrap: negative when the mark
 * claims to come from the future (another machine's clock). */
gint32 hf_mark_clock_diff (guint32 now_ms, guint32 clock_ms);

/* The cell size in pixels for a picture @width wide. */
gint hf_mark_cell_size (gint width);

/* Where the mark goes in a @width x @height picture: its top-left corner
 * (@x, @y) and @cell size (any may be NULL).  FALSE when the picture is too
 * small to hold one (then nothing is drawn or read). */
gboolean hf_mark_geometry (gint width, gint height, gint * x, gint * y,
    gint * cell);

/* Draws @mark into the 8-bit plane @luma (@stride bytes per row, @width x
 * @height pixels), overwriting the mark's rectangle only.  A mark of kind
 * HF_MARK_NONE is a caller's mistake (a critical).  Returns FALSE, drawing
 * nothing, when the picture is too small. */
gboolean hf_mark_draw (guint8 * luma, gint stride, gint width, gint height,
    const HfMark * mark);

/* Reads a mark from the 8-bit plane @luma.  Returns TRUE with @out filled
 * in when a whole, intact mark is there; FALSE with @out->kind
 * HF_MARK_NONE (and the other fields 0) otherwise.  @luma is never read
 * outside @height rows of @stride bytes (the last row: @width bytes). */
gboolean hf_mark_read (const guint8 * luma, gint stride, gint width,
    gint height, HfMark * out);

G_END_DECLS
#endif
