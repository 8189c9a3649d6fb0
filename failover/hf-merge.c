/* First-copy-wins merge of duplicate RTP paths (ST 2022-7 style; see
 * hf-failover.h).  Two or more paths carry the same RTP stream (same SSRC,
 * same sequence numbers); of the copies of one sequence number that arrive
 * within the window, the first is forwarded and the others dropped, so a
 * packet is lost only when every path lost it.
 *
 * One slot per 16-bit sequence number holds the time that number was last
 * forwarded: a lookup is one array access, the 16-bit wrap needs no
 * special case (the slot of a number that comes round again is older than
 * the window by then), and no sequence-number arithmetic can be fooled by
 * a path that is seconds behind the other.
 *
 * Plain C, time passed in, no locking: the owner (gsthfmerge.c, under its
 * lock, from whichever sink pad's streaming thread delivers a packet)
 * serialises calls.
 */
#include "failover/hf-failover.h"

#include <string.h>

#define HF_MERGE_N_SEQ 65536

struct _HfMerge
{
  guint n_paths;
  gint64 window_us;
  gboolean have_ssrc;
  guint32 ssrc;
  /* The SSRC before the last change, and when it changed: late copies of
   * the old stream still in flight on a slower path must not switch the
   * merge back to it (and so reset it again and again). */
  gboolean have_old_ssrc;
  guint32 old_ssrc;
  gint64 ssrc_changed_us;
  /* Per sequence number: when it was last forwarded; seen[] says whether
   * the slot holds a time at all (any gint64 is a valid "now"). */
  gint64 forwarded_us[HF_MERGE_N_SEQ];
  guint8 seen[HF_MERGE_N_SEQ / 8];
  HfMergePathStats paths[HF_MERGE_MAX_PATHS];
};

HfMerge *
hf_merge_new (guint n_paths, gint64 window_us)
{
  HfMerge *merge;

  g_return_val_if_fail (n_paths >= 1 && n_paths <= HF_MERGE_MAX_PATHS, NULL);
  g_return_val_if_fail (window_us > 0, NULL);

  merge = g_new0 (HfMerge, 1);
  merge->n_paths = n_paths;
  merge->window_us = window_us;
  return merge;
}

void
hf_merge_free (HfMerge * merge)
{
  g_free (merge);
}

/* Forgets every sequence number: the stream starts again. */
static void
hf_merge_reset_history (HfMerge * merge)
{
  memset (merge->seen, 0, sizeof (merge->seen));
}

/* Decides what a packet of @ssrc means for the current stream: TRUE when
 * it belongs to it (possibly after starting afresh with it), FALSE when it
 * is a late copy of the stream that was replaced. */
static gboolean
hf_merge_check_ssrc (HfMerge * merge, guint32 ssrc, gint64 now_us)
{
  if (merge->have_ssrc && ssrc == merge->ssrc)
    return TRUE;
  if (merge->have_ssrc && merge->have_old_ssrc && ssrc == merge->old_ssrc &&
      now_us - merge->ssrc_changed_us < merge->window_us)
    return FALSE;
  if (merge->have_ssrc) {
    merge->old_ssrc = merge->ssrc;
    merge->have_old_ssrc = TRUE;
  }
  merge->ssrc = ssrc;
  merge->have_ssrc = TRUE;
  merge->ssrc_changed_us = now_us;
  hf_merge_reset_history (merge);
  return TRUE;
}

gboolean
hf_merge_accept (HfMerge * merge, guint path, guint32 ssrc, guint16 seq,
    gint64 now_us)
{
  HfMergePathStats *ps;
  guint8 bit = 1 << (seq & 7);
  gint64 age;

  g_return_val_if_fail (merge != NULL, FALSE);
  /* A path the merge was not made for: a caller's mistake, but the packet
   * must not take the merge down with it. */
  if (path >= merge->n_paths)
    return FALSE;

  ps = &merge->paths[path];
  ps->received++;
  /* 0 means "never" in the stats: a clock that starts at 0 still counts. */
  ps->last_packet_us = now_us != 0 ? now_us : 1;

  if (!hf_merge_check_ssrc (merge, ssrc, now_us)) {
    ps->duplicates++;
    return FALSE;
  }
  /* Within the window it is a copy of what went out; outside it, the
   * number has come round again (or the copy is too late to be one), and
   * it is a new packet.  The window counts both ways: a clock that was
   * swapped for one with another origin must not make every number look
   * recent until it catches up. */
  age = now_us - merge->forwarded_us[seq];
  if ((merge->seen[seq >> 3] & bit) && age < merge->window_us &&
      age > -merge->window_us) {
    ps->duplicates++;
    return FALSE;
  }
  merge->seen[seq >> 3] |= bit;
  merge->forwarded_us[seq] = now_us;
  ps->forwarded++;
  return TRUE;
}

void
hf_merge_get_path_stats (HfMerge * merge, guint path, HfMergePathStats * stats)
{
  g_return_if_fail (merge != NULL && stats != NULL);

  if (path >= merge->n_paths) {
    memset (stats, 0, sizeof (*stats));
    return;
  }
  *stats = merge->paths[path];
}
