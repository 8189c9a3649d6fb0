/* The impairment model of one direction of an hf-linkem link (see
 * hf-impair.h for the stages and what a change of configuration does).
 *
 * Held copies live in one binary min-heap ordered by (release time, arrival
 * sequence): the sequence number breaks ties so that copies due at the same
 * microsecond leave in the order they came, which is what keeps a link
 * without reorder in order.  Without jitter, releases are monotonic anyway
 * and every push and pop is O(log n) on a heap that is also a FIFO.
 *
 * The rate cap keeps its last departure in nanoseconds so that rounding to
 * microseconds does not accumulate: a 1000-byte packet at 3 Mbit/s takes
 * 2666.67 us, and a microsecond lost per packet would be a 0.04% rate error.
 *
 * Plain C, time passed in, single-threaded (the owner serialises calls).
 */
#include "tools/hf-impair.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (hf - impair - error - quark, hf_impair_error);

typedef struct
{
  gint64 release_us;
  gint64 arrival_us;
  guint64 seq;
  gsize size;
  gpointer item;                /* (owned) */
} HfImpairEntry;

struct _HfImpair
{
  HfImpairConfig config;
  HfImpairCounters counters;

  guint64 rng;
  /* Gilbert-Elliott: the chain's state and its transition probabilities,
   * derived from the configuration. */
  gboolean bad;
  gdouble ge_p;
  gdouble ge_r;

  /* The rate cap: when the last accepted copy finishes its transmission
   * (ns, on the caller's clock); G_MININT64 when the link never sent. */
  gint64 last_departure_ns;
  /* The latest release time of a held copy: without reorder nothing is
   * released before it.  G_MININT64 when there is none to respect. */
  gint64 last_release_us;
  guint64 next_seq;

  HfImpairEntry *heap;
  guint n_held;
  guint n_alloc;

  HfImpairCopyFunc copy;
  HfImpairDropFunc drop;
  gpointer user_data;
};

/* ---------------------------------------------------------------------- */
/* Configuration                                                          */

const gchar *
hf_impair_verdict_to_string (HfImpairVerdict verdict)
{
  switch (verdict) {
    case HF_IMPAIR_PASS:
      return "pass";
    case HF_IMPAIR_DROP_SEVER:
      return "sever";
    case HF_IMPAIR_DROP_LOSS:
      return "loss";
    case HF_IMPAIR_DROP_QUEUE:
      return "queue";
  }
  return "unknown";
}

void
hf_impair_config_init (HfImpairConfig * config)
{
  memset (config, 0, sizeof (*config));
  config->queue_us = HF_IMPAIR_DEFAULT_QUEUE_US;
}

gboolean
hf_impair_config_is_clean (const HfImpairConfig * config)
{
  return config->loss_pct == 0 && config->delay_us == 0 &&
      config->jitter_us == 0 && config->dup_pct == 0 &&
      config->rate_bps == 0 && !config->severed;
}

gboolean
hf_impair_config_validate (const HfImpairConfig * c, GError ** error)
{
  const gchar *what = NULL;

  /* Written so that a NaN fails every test. */
  if (!(c->loss_pct >= 0 && c->loss_pct <= 100))
    what = "loss must be 0..100%";
  else if (!(c->dup_pct >= 0 && c->dup_pct <= 100))
    what = "dup must be 0..100%";
  else if (!(c->burst == 0 || (c->burst >= 1 && c->burst <= 1e6)))
    what = "burst must be 0 (off) or 1..1000000 packets";
  else if (c->delay_us < 0 || c->delay_us > HF_IMPAIR_MAX_DELAY_US)
    what = "delay must be 0..10s";
  else if (c->jitter_us < 0 || c->jitter_us > HF_IMPAIR_MAX_DELAY_US)
    what = "jitter must be 0..10s";
  else if (c->queue_us < 0 || c->queue_us > HF_IMPAIR_MAX_QUEUE_US)
    what = "queue must be 0..10s";
  else if (c->rate_bps != 0 && (c->rate_bps < HF_IMPAIR_MIN_RATE_BPS ||
          c->rate_bps > HF_IMPAIR_MAX_RATE_BPS))
    what = "rate must be 1kbit..100gbit, or off";
  if (what) {
    g_set_error_literal (error, HF_IMPAIR_ERROR, HF_IMPAIR_ERROR_INVALID, what);
    return FALSE;
  }
  /* The good state must last at least one packet on average: p <= 1. */
  if (c->burst >= 1 && c->loss_pct < 100 &&
      c->loss_pct / 100 > c->burst / (c->burst + 1) + 1e-12) {
    g_set_error (error, HF_IMPAIR_ERROR, HF_IMPAIR_ERROR_INVALID,
        "loss %g%% cannot have a mean burst of %g packets (with burst %g "
        "the loss is at most %g%%)", c->loss_pct, c->burst, c->burst,
        floor (c->burst / (c->burst + 1) * 1e6) / 1e4);
    return FALSE;
  }
  return TRUE;
}

/* Appends a time in the units `ctl` takes. */
static void
hf_impair_append_time (GString * s, const gchar * name, gint64 us)
{
  if (us % 1000 == 0)
    g_string_append_printf (s, " %s %" G_GINT64_FORMAT "ms", name, us / 1000);
  else
    g_string_append_printf (s, " %s %gms", name, us / 1000.0);
}

gchar *
hf_impair_config_to_string (const HfImpairConfig * c)
{
  GString *s = g_string_new (NULL);

  if (c->severed)
    g_string_append (s, " severed");
  if (c->loss_pct > 0) {
    g_string_append_printf (s, " loss %g%%", c->loss_pct);
    if (c->burst >= 1)
      g_string_append_printf (s, " burst %g", c->burst);
  }
  if (c->delay_us)
    hf_impair_append_time (s, "delay", c->delay_us);
  if (c->jitter_us) {
    hf_impair_append_time (s, "jitter", c->jitter_us);
    if (c->reorder)
      g_string_append (s, " reorder on");
  }
  if (c->dup_pct > 0)
    g_string_append_printf (s, " dup %g%%", c->dup_pct);
  if (c->rate_bps) {
    if (c->rate_bps % 1000 == 0)
      g_string_append_printf (s, " rate %" G_GUINT64_FORMAT "kbit",
          c->rate_bps / 1000);
    else
      g_string_append_printf (s, " rate %" G_GUINT64_FORMAT "bit", c->rate_bps);
    hf_impair_append_time (s, "queue", c->queue_us);
  }
  if (s->len == 0)
    g_string_append (s, " clean");
  g_string_erase (s, 0, 1);
  return g_string_free (s, FALSE);
}

void
hf_impair_gilbert_params (gdouble loss, gdouble burst, gdouble * p, gdouble * r)
{
  /* Mean time in the bad state is 1/r packets; the stationary share of the
   * bad state is p/(p+r), solved for p. */
  *r = 1.0 / burst;
  *p = loss >= 1 ? 1.0 : MIN (1.0, loss * *r / (1.0 - loss));
}

/* ---------------------------------------------------------------------- */
/* Random numbers                                                         */

/* splitmix64: small, fast, passes BigCrush, and the same everywhere. */
static guint64
hf_impair_rand64 (HfImpair * imp)
{
  guint64 z = (imp->rng += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static gdouble
hf_impair_uniform (HfImpair * imp)
{
  return (hf_impair_rand64 (imp) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---------------------------------------------------------------------- */
/* The heap of held copies                                                */

static gboolean
hf_impair_entry_before (const HfImpairEntry * a, const HfImpairEntry * b)
{
  return a->release_us < b->release_us ||
      (a->release_us == b->release_us && a->seq < b->seq);
}

static void
hf_impair_heap_sift_down (HfImpair * imp, guint i)
{
  HfImpairEntry *h = imp->heap;
  guint n = imp->n_held;

  for (;;) {
    guint l = 2 * i + 1, r = l + 1, m = i;
    HfImpairEntry tmp;

    if (l < n && hf_impair_entry_before (&h[l], &h[m]))
      m = l;
    if (r < n && hf_impair_entry_before (&h[r], &h[m]))
      m = r;
    if (m == i)
      return;
    tmp = h[i];
    h[i] = h[m];
    h[m] = tmp;
    i = m;
  }
}

static void
hf_impair_heap_push (HfImpair * imp, const HfImpairEntry * e)
{
  guint i;

  if (imp->n_held == imp->n_alloc) {
    imp->n_alloc = MAX (64, imp->n_alloc * 2);
    imp->heap = g_renew (HfImpairEntry, imp->heap, imp->n_alloc);
  }
  i = imp->n_held++;
  while (i > 0) {
    guint parent = (i - 1) / 2;

    if (!hf_impair_entry_before (e, &imp->heap[parent]))
      break;
    imp->heap[i] = imp->heap[parent];
    i = parent;
  }
  imp->heap[i] = *e;
}

static void
hf_impair_heap_pop (HfImpair * imp, HfImpairEntry * out)
{
  *out = imp->heap[0];
  imp->heap[0] = imp->heap[--imp->n_held];
  if (imp->n_held > 1)
    hf_impair_heap_sift_down (imp, 0);
}

static void
hf_impair_heap_rebuild (HfImpair * imp)
{
  guint i;

  for (i = imp->n_held / 2; i-- > 0;)
    hf_impair_heap_sift_down (imp, i);
}

static gint
hf_impair_compare_seq (gconstpointer a, gconstpointer b)
{
  const HfImpairEntry *x = a, *y = b;

  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ---------------------------------------------------------------------- */
/* Life cycle                                                             */

HfImpair *
hf_impair_new (guint64 seed, HfImpairCopyFunc copy, HfImpairDropFunc drop,
    gpointer user_data)
{
  HfImpair *imp;

  g_return_val_if_fail (copy != NULL && drop != NULL, NULL);

  imp = g_new0 (HfImpair, 1);
  hf_impair_config_init (&imp->config);
  imp->rng = seed;
  imp->last_departure_ns = G_MININT64;
  imp->last_release_us = G_MININT64;
  imp->copy = copy;
  imp->drop = drop;
  imp->user_data = user_data;
  return imp;
}

/* Drops every held copy; returns how many there were. */
static guint
hf_impair_drop_all (HfImpair * imp)
{
  guint i, n = imp->n_held;

  for (i = 0; i < n; i++)
    imp->drop (imp->heap[i].item, imp->user_data);
  imp->n_held = 0;
  return n;
}

void
hf_impair_free (HfImpair * imp)
{
  if (!imp)
    return;
  hf_impair_drop_all (imp);
  g_free (imp->heap);
  g_free (imp);
}

const HfImpairConfig *
hf_impair_get_config (const HfImpair * imp)
{
  return &imp->config;
}

const HfImpairCounters *
hf_impair_get_counters (const HfImpair * imp)
{
  return &imp->counters;
}

guint
hf_impair_n_held (const HfImpair * imp)
{
  return imp->n_held;
}

/* Transmission time of @size bytes at the configured rate, ns. */
static gint64
hf_impair_tx_ns (const HfImpairConfig * c, gsize size)
{
  return (gint64) (((guint64) size * 8 * G_GUINT64_CONSTANT (1000000000) +
          c->rate_bps / 2) / c->rate_bps);
}

/* The longest a copy of @size bytes may be held under @c from its arrival
 * (see the top of hf-impair.h: the bound by induction). */
static gint64
hf_impair_max_hold_us (const HfImpairConfig * c, gsize size)
{
  gint64 hold = c->delay_us + c->jitter_us;

  if (c->rate_bps)
    hold += c->queue_us + (hf_impair_tx_ns (c, size) + 999) / 1000 + 1;
  return hold;
}

/* After a change: no held copy waits longer than the new configuration
 * allows, and without reorder they still leave in arrival order. */
static void
hf_impair_retime_held (HfImpair * imp, gint64 now_us)
{
  gint64 floor = G_MININT64;
  guint i;

  if (imp->n_held == 0) {
    imp->last_release_us = G_MININT64;
    return;
  }
  qsort (imp->heap, imp->n_held, sizeof (HfImpairEntry), hf_impair_compare_seq);
  for (i = 0; i < imp->n_held; i++) {
    HfImpairEntry *e = &imp->heap[i];
    gint64 limit = MAX (now_us,
        e->arrival_us + hf_impair_max_hold_us (&imp->config, e->size));

    e->release_us = MIN (e->release_us, limit);
    if (!imp->config.reorder)
      e->release_us = MAX (e->release_us, floor);
    floor = MAX (floor, e->release_us);
  }
  imp->last_release_us = floor;
  hf_impair_heap_rebuild (imp);
}

void
hf_impair_set_config (HfImpair * imp, const HfImpairConfig * config,
    gint64 now_us)
{
  HfImpairConfig old = imp->config;
  gint64 now_ns = now_us * 1000;

  if (!hf_impair_config_validate (config, NULL)) {
    g_critical ("hf_impair_set_config: invalid configuration refused");
    return;
  }
  imp->config = *config;

  if (config->burst >= 1 && config->loss_pct > 0)
    hf_impair_gilbert_params (config->loss_pct / 100, config->burst,
        &imp->ge_p, &imp->ge_r);
  else
    imp->bad = FALSE;

  if (config->severed) {
    imp->counters.dropped_sever += hf_impair_drop_all (imp);
    imp->last_departure_ns = G_MININT64;
    imp->last_release_us = G_MININT64;
    return;
  }

  /* The bytes still in the rate queue drain at the new rate. */
  if (config->rate_bps == 0) {
    imp->last_departure_ns = G_MININT64;
  } else if (old.rate_bps && imp->last_departure_ns > now_ns) {
    gdouble backlog_bits = (imp->last_departure_ns - now_ns) / 1e9 *
        old.rate_bps;

    imp->last_departure_ns = now_ns +
        (gint64) (backlog_bits * 1e9 / config->rate_bps);
    imp->last_departure_ns = MIN (imp->last_departure_ns,
        now_ns + config->queue_us * 1000);
  }

  hf_impair_retime_held (imp, now_us);
}

/* ---------------------------------------------------------------------- */
/* Packets                                                                */

static gboolean
hf_impair_lost (HfImpair * imp)
{
  const HfImpairConfig *c = &imp->config;
  gboolean lost;

  if (c->loss_pct <= 0)
    return FALSE;
  if (c->loss_pct >= 100)
    return TRUE;
  if (c->burst < 1)
    return hf_impair_uniform (imp) * 100 < c->loss_pct;

  /* Gilbert: every packet in the bad state is lost, none in the good one;
   * the state moves on after each packet. */
  lost = imp->bad;
  if (imp->bad)
    imp->bad = !(hf_impair_uniform (imp) < imp->ge_r);
  else
    imp->bad = hf_impair_uniform (imp) < imp->ge_p;
  return lost;
}

/* Stages 4 and 5 for one copy: holds it or drops it. */
static HfImpairVerdict
hf_impair_hold (HfImpair * imp, gpointer item, gsize size, gint64 now_us)
{
  const HfImpairConfig *c = &imp->config;
  HfImpairEntry e;
  gint64 depart_us = now_us;

  if (imp->n_held >= HF_IMPAIR_MAX_HELD) {
    imp->drop (item, imp->user_data);
    imp->counters.dropped_queue++;
    return HF_IMPAIR_DROP_QUEUE;
  }

  if (c->rate_bps) {
    gint64 now_ns = now_us * 1000;
    gint64 start_ns = MAX (now_ns, imp->last_departure_ns);

    if (start_ns - now_ns > c->queue_us * 1000) {
      imp->drop (item, imp->user_data);
      imp->counters.dropped_queue++;
      return HF_IMPAIR_DROP_QUEUE;
    }
    imp->last_departure_ns = start_ns + hf_impair_tx_ns (c, size);
    depart_us = (imp->last_departure_ns + 999) / 1000;
  }

  e.release_us = depart_us + c->delay_us;
  if (c->jitter_us) {
    gint64 span = 2 * c->jitter_us + 1;

    e.release_us += (gint64) (hf_impair_uniform (imp) * span) - c->jitter_us;
    e.release_us = MAX (e.release_us, depart_us);
  }
  if (!c->reorder)
    e.release_us = MAX (e.release_us, imp->last_release_us);
  imp->last_release_us = MAX (imp->last_release_us, e.release_us);

  e.arrival_us = now_us;
  e.seq = imp->next_seq++;
  e.size = size;
  e.item = item;
  hf_impair_heap_push (imp, &e);
  return HF_IMPAIR_PASS;
}

HfImpairVerdict
hf_impair_push (HfImpair * imp, gpointer item, gsize size, gint64 now_us)
{
  const HfImpairConfig *c = &imp->config;
  gpointer dup = NULL;
  HfImpairVerdict verdict;

  imp->counters.packets_in++;
  if (c->severed) {
    imp->drop (item, imp->user_data);
    imp->counters.dropped_sever++;
    return HF_IMPAIR_DROP_SEVER;
  }
  if (hf_impair_lost (imp)) {
    imp->drop (item, imp->user_data);
    imp->counters.dropped_loss++;
    return HF_IMPAIR_DROP_LOSS;
  }
  if (c->dup_pct > 0 && hf_impair_uniform (imp) * 100 < c->dup_pct) {
    dup = imp->copy (item, imp->user_data);
    imp->counters.duplicated++;
  }
  verdict = hf_impair_hold (imp, item, size, now_us);
  if (dup)
    hf_impair_hold (imp, dup, size, now_us);
  return verdict;
}

gint64
hf_impair_next_release (const HfImpair * imp)
{
  return imp->n_held ? imp->heap[0].release_us : G_MAXINT64;
}

gpointer
hf_impair_pop (HfImpair * imp, gint64 now_us, gsize * size)
{
  HfImpairEntry e;

  if (imp->n_held == 0 || imp->heap[0].release_us > now_us)
    return NULL;
  hf_impair_heap_pop (imp, &e);
  imp->counters.released++;
  imp->counters.bytes_released += e.size;
  if (size)
    *size = e.size;
  return e.item;
}
