/* MPEG-TS GOP cache: remembers the program's PAT, PMT and every packet since
 * the last video keyframe, so a viewer that joins mid-stream starts decoding
 * at once, at a keyframe, instead of waiting for the next IDR (and showing
 * "non-existing PPS" errors meanwhile).
 *
 * A hand-written parser of untrusted-shape bytes (the packets come from our
 * own mux, but the parser must not trust that): it checks every length and
 * counts what it cannot use.  Fuzzed by tests/fuzz-tsgop.c.
 * No locking: the owner serialises calls.
 */
#ifndef HF_TSGOP_H
#define HF_TSGOP_H

#include <glib.h>

G_BEGIN_DECLS

#define HF_TS_PACKET 188

typedef struct
{
  gint pmt_pid;                 /* -1 until the PAT names it */
  gint video_pid;               /* -1 until the PMT names it */
  guint8 pat[HF_TS_PACKET];
  guint8 pmt[HF_TS_PACKET];
  gboolean have_pat;
  gboolean have_pmt;
  GByteArray *gop;              /* packets from the last keyframe on */
  gboolean have_keyframe;
  gsize max_bytes;              /* a GOP longer than this is dropped */
  guint64 packets;
  guint64 keyframes;
  guint64 malformed;
  gint psi_version;             /* >= 0: stamped into PAT/PMT; -1: left */
} HfTsGop;

void hf_ts_gop_init (HfTsGop * g, gsize max_bytes);
void hf_ts_gop_clear (HfTsGop * g);
/* Feeds @size bytes of whole packets; a trailing partial packet or a packet
 * without the sync byte is counted as malformed and skipped. */
void hf_ts_gop_push (HfTsGop * g, const guint8 * data, gsize size);
/* The same, but first stamps g->psi_version (when >= 0) into every PAT and
 * PMT section in @data, in place. */
void hf_ts_gop_push_rewrite (HfTsGop * g, guint8 * data, gsize size);
/* (transfer full) what a joining viewer needs first: PAT, PMT, then the GOP
 * so far; NULL until a keyframe has been seen. */
GBytes *hf_ts_gop_snapshot (HfTsGop * g);

/* TRUE if @data holds a packet hf_ts_gop_push_rewrite() may change: the
 * start of a PAT, or of a PMT (of any PID while the PMT's is unknown). */
gboolean hf_ts_gop_needs_rewrite (HfTsGop * g, const guint8 * data,
    gsize size);
/* Sets the version_number of the PSI section (PAT or PMT) that starts in
 * @pkt and recomputes its CRC, so that players re-read a table whose
 * content changed under the same version (a rebuilt mux starts at 0).
 * Returns FALSE, leaving @pkt alone, if it holds no whole section. */
gboolean hf_ts_set_psi_version (guint8 * pkt, guint version);
/* MPEG-2 CRC-32 (polynomial 0x04C11DB7, no reflection), as PSI uses. */
guint32 hf_ts_crc32 (const guint8 * data, gsize size);

/* Exposed for tests: does this packet start a video keyframe? */
gboolean hf_ts_packet_is_keyframe_start (const guint8 * pkt, gint video_pid);

G_END_DECLS
#endif
