/* hf-impair: the impairment model of one direction of one hf-linkem link.
 *
 * Given a packet that arrives at a time, it decides whether the packet is
 * dropped (and why), whether it is duplicated, and when each copy leaves.
 * It holds the packets that wait (in the rate-cap queue or in the delay
 * line) as opaque items and hands them back in release order.  Plain C,
 * time passed in (gint64 microseconds on any monotonic clock), a seeded
 * random generator, no sockets and no clocks: a test drives it to the
 * microsecond without sleeping.  No locking: the owner (hf-linkem's one
 * thread) serialises calls.
 *
 * The stages a packet goes through, in order:
 *
 *  1. sever: a severed link drops everything (dropped_sever).
 *  2. loss: independent random loss of loss_pct, or, when burst >= 1, a
 *     two-state Gilbert-Elliott chain (every packet lost in the bad state,
 *     none in the good one) whose mean burst length is burst packets and
 *     whose stationary loss is loss_pct (dropped_loss).
 *  3. duplication: with probability dup_pct a second copy is made (through
 *     the owner's copy function); each copy goes through 4 and 5 alone.
 *  4. rate cap: a serialization model of a bottleneck of rate_bps that
 *     counts UDP payload bytes.  A copy starts transmitting at
 *     max(arrival, previous departure) and departs size*8/rate later; if
 *     it would wait more than queue_us before its transmission starts, the
 *     queue is full and it is tail-dropped (dropped_queue).  An idle link
 *     therefore always takes a packet, however large.
 *  5. delay and jitter: release = departure + delay + a jitter drawn
 *     uniformly from [-jitter, +jitter] (as netem's "delay D J"), never
 *     before the departure.  Without reorder a copy is never released
 *     before the one queued ahead of it (releases are kept monotonic, so
 *     jitter then bunches packets rather than swapping them).
 *
 * A change of configuration applies to every packet that arrives after it.
 * Packets already held keep their release times, with two exceptions so
 * that a change takes effect at once: sever drops them all (dropped_sever),
 * and a configuration that allows less holding time (lower delay, jitter or
 * queue; restore) brings each held packet's release forward to no later
 * than its arrival plus what the new configuration allows, order kept when
 * reorder is off.  Restore therefore releases everything held at once.
 */
#ifndef HF_IMPAIR_H
#define HF_IMPAIR_H

#include <glib.h>

G_BEGIN_DECLS

/* Bounds of the configuration (hf_impair_config_validate). */
#define HF_IMPAIR_MAX_DELAY_US (10 * G_USEC_PER_SEC)
#define HF_IMPAIR_MAX_QUEUE_US (10 * G_USEC_PER_SEC)
#define HF_IMPAIR_MIN_RATE_BPS G_GUINT64_CONSTANT (1000)
#define HF_IMPAIR_MAX_RATE_BPS G_GUINT64_CONSTANT (100000000000)
#define HF_IMPAIR_DEFAULT_QUEUE_US (100 * 1000)
/* At most this many copies are held per direction; beyond it a copy is
 * dropped as dropped_queue (a long delay at a high rate would otherwise
 * hold unbounded memory). */
#define HF_IMPAIR_MAX_HELD 65536

#define HF_IMPAIR_ERROR (hf_impair_error_quark ())
GQuark hf_impair_error_quark (void);

typedef enum
{
  HF_IMPAIR_ERROR_INVALID,
} HfImpairError;

typedef enum
{
  HF_IMPAIR_PASS = 0,
  HF_IMPAIR_DROP_SEVER,
  HF_IMPAIR_DROP_LOSS,
  HF_IMPAIR_DROP_QUEUE,
} HfImpairVerdict;

const gchar *hf_impair_verdict_to_string (HfImpairVerdict verdict);

typedef struct
{
  gdouble loss_pct;             /* 0..100 */
  gdouble burst;                /* mean loss burst, packets; 0: independent */
  gint64 delay_us;              /* 0..HF_IMPAIR_MAX_DELAY_US */
  gint64 jitter_us;             /* 0..HF_IMPAIR_MAX_DELAY_US */
  gboolean reorder;
  gdouble dup_pct;              /* 0..100 */
  guint64 rate_bps;             /* 0: no cap */
  gint64 queue_us;              /* the rate cap's queue */
  gboolean severed;
} HfImpairConfig;

/* Everything that happened in one direction since it was created. */
typedef struct
{
  guint64 packets_in;
  guint64 released;             /* copies handed back by hf_impair_pop() */
  guint64 bytes_released;
  guint64 dropped_loss;
  guint64 dropped_sever;
  guint64 dropped_queue;
  guint64 duplicated;
} HfImpairCounters;

/* The owner's packet handling: @copy makes a second copy of an item
 * (transfer full); @drop frees an item the model drops. */
typedef gpointer (*HfImpairCopyFunc) (gpointer item, gpointer user_data);
typedef void (*HfImpairDropFunc) (gpointer item, gpointer user_data);

typedef struct _HfImpair HfImpair;

/* A clean link: nothing impaired, the default queue. */
void hf_impair_config_init (HfImpairConfig * config);
gboolean hf_impair_config_is_clean (const HfImpairConfig * config);

/**
 * hf_impair_config_validate:
 * @error: (out) (optional): a message that names the bad value
 *
 * Checks the bounds above, and that a Gilbert-Elliott chain can have this
 * loss and burst: with mean burst N, the stationary loss is at most
 * N/(N+1) (the good state must last at least one packet on average).
 */
gboolean hf_impair_config_validate (const HfImpairConfig * config,
    GError ** error);

/* Says a configuration the way `hf-linkem ctl` takes it, e.g. "loss 10%
 * burst 5 delay 40ms" or "clean".  Returns (transfer full). */
gchar *hf_impair_config_to_string (const HfImpairConfig * config);

/**
 * hf_impair_new:
 * @seed: seeds the random generator: the same seed and the same arrivals
 *   give the same decisions
 * @copy: makes the duplicate of an item
 * @drop: frees an item that is dropped while held, or at hf_impair_free()
 *
 * Returns: (transfer full): a clean, unsevered direction.
 */
HfImpair *hf_impair_new (guint64 seed, HfImpairCopyFunc copy,
    HfImpairDropFunc drop, gpointer user_data);
/* Drops (through @drop) every item still held, then frees. */
void hf_impair_free (HfImpair * imp);

/* Replaces the configuration at @now_us (see the top of this file for what
 * happens to held packets).  @config must pass hf_impair_config_validate();
 * an invalid one is refused with a critical and changes nothing. */
void hf_impair_set_config (HfImpair * imp, const HfImpairConfig * config,
    gint64 now_us);
const HfImpairConfig *hf_impair_get_config (const HfImpair * imp);

/**
 * hf_impair_push:
 * @item: (transfer full): the packet; held, or dropped through the drop
 *   function before this returns
 * @size: its UDP payload bytes (what the rate cap counts)
 *
 * A packet arrives at @now_us (never earlier than a previous call's).
 *
 * Returns: what happened to the original copy: HF_IMPAIR_PASS when it is
 * held for release (possibly at @now_us itself), or why it was dropped.
 * A duplicate, if one is made, is counted and held (or dropped) on its own.
 */
HfImpairVerdict hf_impair_push (HfImpair * imp, gpointer item, gsize size,
    gint64 now_us);

/* When the next held copy is due (possibly already past), or G_MAXINT64
 * when nothing is held. */
gint64 hf_impair_next_release (const HfImpair * imp);

/**
 * hf_impair_pop:
 * @size: (out) (optional): the copy's size
 *
 * Returns: (transfer full) (nullable): the next copy due at @now_us, in
 * release order (arrival order among equal times), or NULL when none is.
 */
gpointer hf_impair_pop (HfImpair * imp, gint64 now_us, gsize * size);

guint hf_impair_n_held (const HfImpair * imp);
const HfImpairCounters *hf_impair_get_counters (const HfImpair * imp);

/* Gilbert-Elliott transition probabilities for a stationary loss @loss (0..1)
 * and a mean burst of @burst packets (>= 1): good->bad @p, bad->good @r.
 * Exposed for the tests. */
void hf_impair_gilbert_params (gdouble loss, gdouble burst, gdouble * p,
    gdouble * r);

G_END_DECLS
#endif
