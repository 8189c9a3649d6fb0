/* Holdfast FEC codec (see hf-fec.h): a systematic Reed-Solomon erasure
 * code over GF(2^8), plain C with time passed in.  No locking: the owner
 * (gsthffec.c, a test, a fuzz target) serialises every call on one
 * encoder or decoder; the GF tables are built once, thread-safely.
 *
 * Why Reed-Solomon and not XOR row/column FEC (SMPTE 2022-1 style): with
 * 20 % overhead a 2-D XOR matrix is 10 columns x 10 rows over 100 media
 * packets.  A loss stays lost when its row and its column each hold
 * another loss: at 5 % random loss that is p * (1 - (1-p)^10)^2 =
 * 0.05 * 0.40^2 ~ 0.8 % after one pass, ~0.5 % after iterating rows and
 * columns (the parity packets are lost too): five times the 0.1 % target.
 * An MDS code recovers ANY m losses among its k+m packets: RS(58,48) (48
 * media + 10 parity, 21 %) fails only when 11 or more of the 58 are lost,
 * a binomial tail of 1.2e-4 per block, ~2e-5 residual loss per packet.
 *
 * The code: parity row i (0..m-1) of media column j (0..k-1) has the
 * Cauchy coefficient 1 / (x_i + y_j) with x_i = i, y_j = HF_FEC_MAX_M + j.
 * Every square submatrix of a Cauchy matrix is invertible, so [I ; C] is
 * MDS; and as the coefficients depend only on (i, j), the encoder can
 * accumulate parity packet by packet and send only the first m rows once
 * it knows the block's real k.
 *
 * The decoder keeps, per SSRC (8 at most, least recently used forgotten),
 * the symbols of the last HF_FEC_RING media packets by sequence number
 * and up to HF_FEC_MAX_BLOCKS blocks for HF_FEC_BLOCK_LIFE_US.  A block is
 * solved the moment it holds as many parity packets as it misses media
 * packets, whatever the order of arrival; a block given up (aged out or
 * pushed out) counts its missing packets as unrecoverable.  A sequence
 * jump of more than HF_FEC_RESTART_GAP is a sender restart: the history of
 * that SSRC is dropped.
 */
#include "ingest/hf-fec.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (hf_fec_debug);
#define GST_CAT_DEFAULT hf_fec_debug

#define HF_FEC_RTP_HEADER 12
/* Media symbol: [payload length u16][timestamp u32][M | PT u8][payload]. */
#define HF_FEC_SYM_HEADER 7
#define HF_FEC_MAX_SYMBOL \
  (HF_FEC_MAX_PACKET - HF_FEC_RTP_HEADER + HF_FEC_SYM_HEADER)

/* Decoder bounds: media history per SSRC (sequence-indexed ring), blocks
 * remembered per SSRC, their lifetime, and SSRCs followed at once. */
#define HF_FEC_RING 1024
#define HF_FEC_MAX_BLOCKS 16
#define HF_FEC_BLOCK_LIFE_US G_GINT64_CONSTANT (1000000)
#define HF_FEC_MAX_STREAMS 8
/* A media sequence number this far from the highest is a sender restart;
 * a FEC block this far from it cannot be matched against the ring. */
#define HF_FEC_RESTART_GAP 3000
#define HF_FEC_BLOCK_WINDOW 512

/* ---- GF(2^8), polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d) ------------ */

static guint8 hf_fec_exp[512];
static guint8 hf_fec_log[256];
/* hf_fec_mul[a][b] = a * b: one 256-byte row per coefficient in the
 * symbol loops. */
static guint8 hf_fec_mul[256][256];

static gsize hf_fec_tables_ready = 0;

static void
hf_fec_init_tables (void)
{
  guint i, a, b, x = 1;

  if (!g_once_init_enter (&hf_fec_tables_ready))
    return;
  for (i = 0; i < 255; i++) {
    hf_fec_exp[i] = x;
    hf_fec_log[x] = i;
    x <<= 1;
    if (x & 0x100)
      x ^= 0x11d;
  }
  for (i = 255; i < 512; i++)
    hf_fec_exp[i] = hf_fec_exp[i - 255];
  for (a = 0; a < 256; a++)
    for (b = 0; b < 256; b++)
      hf_fec_mul[a][b] = (a && b) ?
          hf_fec_exp[hf_fec_log[a] + hf_fec_log[b]] : 0;
  GST_DEBUG_CATEGORY_INIT (hf_fec_debug, "hf-fec", 0, "Holdfast FEC codec");
  g_once_init_leave (&hf_fec_tables_ready, 1);
}

static guint8
hf_fec_inv (guint8 a)
{
  return hf_fec_exp[255 - hf_fec_log[a]];
}

static guint8
hf_fec_coef (guint i, guint j)
{
  return hf_fec_inv ((guint8) (i ^ (HF_FEC_MAX_M + j)));
}

/* dst[0..len) ^= c * src[0..len) */
static void
hf_fec_mul_add (guint8 * dst, const guint8 * src, gsize len, guint8 c)
{
  const guint8 *row = hf_fec_mul[c];
  gsize n;

  if (c == 0)
    return;
  if (c == 1) {
    for (n = 0; n < len; n++)
      dst[n] ^= src[n];
    return;
  }
  for (n = 0; n < len; n++)
    dst[n] ^= row[src[n]];
}

static void
hf_fec_scale (guint8 * buf, gsize len, guint8 c)
{
  const guint8 *row = hf_fec_mul[c];
  gsize n;

  for (n = 0; n < len; n++)
    buf[n] = row[buf[n]];
}

guint
hf_fec_auto_percent (gdouble loss_ratio)
{
  gdouble p;

  /* Below ~0.2 % the jitter buffer's RTX (or nothing) does better than a
   * constant overhead; above, ~3x the loss plus a margin keeps m well
   * above the mean losses per block (the binomial tail does the rest).
   * The margin matters most at low loss, where blocks get few parity
   * packets: at 1 % and a 57-packet block, 8 % gives m = 4 (fails for
   * ~4e-4 of the blocks) where 6 % gave m = 3 (~3e-3, measured 0.04-0.2 %
   * residual); at 5 % it is 20 %, the overhead the issue allows. */
  if (!(loss_ratio >= 0.002))
    return 0;
  p = 3.0 * loss_ratio * 100.0 + 5.0;
  if (p >= HF_FEC_AUTO_MAX_PERCENT)
    return HF_FEC_AUTO_MAX_PERCENT;
  return (guint) (p + 0.5);
}

/* ---- RTP parsing ------------------------------------------------------- */

typedef struct
{
  gboolean marker;
  guint8 pt;
  guint16 seq;
  guint32 ts;
  guint32 ssrc;
  const guint8 *payload;
  gsize payload_len;
} HfFecRtp;

static guint16
hf_fec_rd16 (const guint8 * p)
{
  return (guint16) ((p[0] << 8) | p[1]);
}

static guint32
hf_fec_rd32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | p[3];
}

static void
hf_fec_wr16 (guint8 * p, guint16 v)
{
  p[0] = v >> 8;
  p[1] = v & 0xff;
}

static void
hf_fec_wr32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = (v >> 16) & 0xff;
  p[2] = (v >> 8) & 0xff;
  p[3] = v & 0xff;
}

/* Parses an RTP packet (version 2, CSRCs, extension and padding honoured);
 * FALSE when it does not hold together. */
static gboolean
hf_fec_parse_rtp (const guint8 * data, gsize size, HfFecRtp * rtp)
{
  gsize off, end = size;

  if (!data || size < HF_FEC_RTP_HEADER || (data[0] >> 6) != 2)
    return FALSE;
  off = HF_FEC_RTP_HEADER + 4 * (data[0] & 0x0f);
  if (off > size)
    return FALSE;
  if (data[0] & 0x10) {
    if (off + 4 > size)
      return FALSE;
    off += 4 + 4 * (gsize) hf_fec_rd16 (data + off + 2);
    if (off > size)
      return FALSE;
  }
  if (data[0] & 0x20) {
    guint8 pad = data[size - 1];

    if (pad == 0 || pad > size - off)
      return FALSE;
    end = size - pad;
  }
  rtp->marker = (data[1] & 0x80) != 0;
  rtp->pt = data[1] & 0x7f;
  rtp->seq = hf_fec_rd16 (data + 2);
  rtp->ts = hf_fec_rd32 (data + 4);
  rtp->ssrc = hf_fec_rd32 (data + 8);
  rtp->payload = data + off;
  rtp->payload_len = end - off;
  return TRUE;
}

/* Writes the media symbol of @rtp into @sym; returns its length, or 0 when
 * the packet is too big to protect. */
static gsize
hf_fec_make_symbol (const HfFecRtp * rtp, guint8 * sym)
{
  if (rtp->payload_len + HF_FEC_SYM_HEADER > HF_FEC_MAX_SYMBOL)
    return 0;
  hf_fec_wr16 (sym, (guint16) rtp->payload_len);
  hf_fec_wr32 (sym + 2, rtp->ts);
  sym[6] = (rtp->marker ? 0x80 : 0) | rtp->pt;
  memcpy (sym + HF_FEC_SYM_HEADER, rtp->payload, rtp->payload_len);
  return rtp->payload_len + HF_FEC_SYM_HEADER;
}

/* ---- Encoder ----------------------------------------------------------- */

struct _HfFecEncoder
{
  guint8 pt;
  guint block_packets;
  gint64 block_us;
  HfFecPacketFunc func;
  gpointer user_data;
  guint percent;
  guint16 out_seq;
  guint64 parity_sent;

  /* The open block: k packets so far, accumulating m_max parity rows. */
  gboolean open;
  guint32 ssrc;
  guint16 base;
  guint k;
  guint m_max;
  guint block_percent;          /* percent when the block opened */
  gsize len;                    /* longest symbol so far */
  guint32 last_ts;
  gint64 start_us;
  guint8 sym[HF_FEC_MAX_SYMBOL];
  guint8 parity[HF_FEC_MAX_M][HF_FEC_MAX_SYMBOL];
};

static guint
hf_fec_parity_count (guint k, guint percent)
{
  guint m;

  /* Rounded down: `fec=20` is a promise of at most 20 % overhead (but a
   * block gets at least one parity packet). */
  if (percent == 0 || k == 0)
    return 0;
  m = k * percent / 100;
  return CLAMP (m, 1, HF_FEC_MAX_M);
}

/**
 * hf_fec_encoder_new:
 * @func: called with each FEC packet (transfer full), synchronously from
 *   hf_fec_encoder_push() and hf_fec_encoder_tick().
 *
 * Returns: (transfer full): a new encoder, FEC off (percent 0) until
 * hf_fec_encoder_set_percent().  @block_packets is clamped to
 * 1..HF_FEC_MAX_K; @block_ms 0 means the default.
 */
HfFecEncoder *
hf_fec_encoder_new (guint8 pt, guint block_packets, guint block_ms,
    HfFecPacketFunc func, gpointer user_data)
{
  HfFecEncoder *enc;

  hf_fec_init_tables ();
  enc = g_new0 (HfFecEncoder, 1);
  enc->pt = pt & 0x7f;
  enc->block_packets = CLAMP (block_packets, 1, HF_FEC_MAX_K);
  enc->block_us = (gint64) (block_ms ? block_ms : HF_FEC_DEFAULT_BLOCK_MS)
      * 1000;
  enc->func = func;
  enc->user_data = user_data;
  enc->out_seq = (guint16) g_random_int ();
  return enc;
}

void
hf_fec_encoder_free (HfFecEncoder * enc)
{
  g_free (enc);
}

void
hf_fec_encoder_set_percent (HfFecEncoder * enc, guint percent)
{
  g_return_if_fail (enc != NULL);
  enc->percent = MIN (percent, 100);
}

guint64
hf_fec_encoder_parity_sent (HfFecEncoder * enc)
{
  g_return_val_if_fail (enc != NULL, 0);
  return enc->parity_sent;
}

gint64
hf_fec_encoder_deadline (HfFecEncoder * enc)
{
  g_return_val_if_fail (enc != NULL, -1);
  return enc->open ? enc->start_us + enc->block_us : -1;
}

/* Closes the open block: sends its first m parity rows. */
static void
hf_fec_encoder_close (HfFecEncoder * enc)
{
  guint m, i;

  if (!enc->open)
    return;
  enc->open = FALSE;
  m = MIN (hf_fec_parity_count (enc->k, enc->block_percent), enc->m_max);
  GST_LOG ("block ssrc %08x base %u k %u: %u parity of %" G_GSIZE_FORMAT
      " bytes", enc->ssrc, enc->base, enc->k, m, enc->len);
  for (i = 0; i < m; i++) {
    gsize size = HF_FEC_RTP_HEADER + HF_FEC_HEADER_SIZE + enc->len;
    guint8 *p = g_malloc (size);

    p[0] = 0x80;
    p[1] = enc->pt;
    hf_fec_wr16 (p + 2, enc->out_seq++);
    hf_fec_wr32 (p + 4, enc->last_ts);
    hf_fec_wr32 (p + 8, enc->ssrc ^ HF_FEC_SSRC_XOR);
    p[12] = HF_FEC_VERSION;
    p[13] = enc->k;
    p[14] = m;
    p[15] = i;
    hf_fec_wr16 (p + 16, enc->base);
    hf_fec_wr16 (p + 18, (guint16) enc->len);
    hf_fec_wr32 (p + 20, enc->ssrc);
    memcpy (p + HF_FEC_RTP_HEADER + HF_FEC_HEADER_SIZE, enc->parity[i],
        enc->len);
    enc->parity_sent++;
    if (enc->func)
      enc->func (g_bytes_new_take (p, size), enc->user_data);
    else
      g_free (p);
  }
}

void
hf_fec_encoder_push (HfFecEncoder * enc, const guint8 * rtp, gsize size,
    gint64 now_us)
{
  HfFecRtp r;
  gsize len;
  guint i, j;

  g_return_if_fail (enc != NULL);
  if (!hf_fec_parse_rtp (rtp, size, &r) || size > HF_FEC_MAX_PACKET) {
    /* Unprotected: the next packet breaks the sequence anyway. */
    hf_fec_encoder_close (enc);
    return;
  }
  if (enc->open && (r.ssrc != enc->ssrc
          || r.seq != (guint16) (enc->base + enc->k)
          || now_us - enc->start_us >= enc->block_us))
    hf_fec_encoder_close (enc);
  if (!enc->open) {
    enc->m_max = hf_fec_parity_count (enc->block_packets, enc->percent);
    if (enc->m_max == 0)
      return;
    enc->open = TRUE;
    enc->block_percent = enc->percent;
    enc->ssrc = r.ssrc;
    enc->base = r.seq;
    enc->k = 0;
    enc->len = 0;
    enc->start_us = now_us;
  }
  len = hf_fec_make_symbol (&r, enc->sym);
  j = enc->k;
  /* Parity rows beyond the old length are still zero: only the new
   * symbol's bytes need touching. */
  if (len > enc->len) {
    for (i = 0; i < enc->m_max; i++)
      memset (enc->parity[i] + enc->len, 0, len - enc->len);
    enc->len = len;
  }
  for (i = 0; i < enc->m_max; i++)
    hf_fec_mul_add (enc->parity[i], enc->sym, len, hf_fec_coef (i, j));
  enc->k++;
  enc->last_ts = r.ts;
  if (enc->k >= enc->block_packets)
    hf_fec_encoder_close (enc);
}

void
hf_fec_encoder_tick (HfFecEncoder * enc, gint64 now_us)
{
  g_return_if_fail (enc != NULL);
  if (enc->open && now_us - enc->start_us >= enc->block_us)
    hf_fec_encoder_close (enc);
}

/* ---- Decoder ----------------------------------------------------------- */

typedef struct
{
  gboolean valid;
  guint16 seq;
  guint16 len;                  /* symbol length */
  guint8 *sym;                  /* HF_FEC_MAX_SYMBOL bytes in the store */
} HfFecSlot;

typedef struct
{
  guint16 base;
  guint8 k, m;
  guint16 len;
  gboolean done;                /* complete or recovered: nothing to do */
  gint64 created_us;
  guint n_parity;
  guint32 have;                 /* bit i: parity packet i is in */
  guint8 *store;                /* m x len bytes: parity i at i * len */
} HfFecBlock;

typedef struct
{
  guint32 ssrc;
  gboolean have_media;
  guint16 highest;
  gint64 last_use_us;
  HfFecSlot ring[HF_FEC_RING];
  guint8 *store;                /* the ring's symbols, one allocation */
  guint n_blocks;
  HfFecBlock blocks[HF_FEC_MAX_BLOCKS];
} HfFecStream;

struct _HfFecDecoder
{
  HfFecPacketFunc func;
  gpointer user_data;
  HfFecDecoderStats stats;
  HfFecStream *streams[HF_FEC_MAX_STREAMS];
  /* Scratch for solving a block: its syndromes. */
  guint8 syn[HF_FEC_MAX_M][HF_FEC_MAX_SYMBOL];
};

HfFecDecoder *
hf_fec_decoder_new (HfFecPacketFunc func, gpointer user_data)
{
  HfFecDecoder *dec;

  hf_fec_init_tables ();
  dec = g_new0 (HfFecDecoder, 1);
  dec->func = func;
  dec->user_data = user_data;
  return dec;
}

static void
hf_fec_block_clear (HfFecBlock * b)
{
  g_clear_pointer (&b->store, g_free);
  b->have = 0;
  b->n_parity = 0;
}

static void
hf_fec_stream_free (HfFecStream * s)
{
  guint i;

  for (i = 0; i < s->n_blocks; i++)
    hf_fec_block_clear (&s->blocks[i]);
  g_free (s->store);
  g_free (s);
}

void
hf_fec_decoder_free (HfFecDecoder * dec)
{
  guint i;

  if (!dec)
    return;
  for (i = 0; i < HF_FEC_MAX_STREAMS; i++)
    if (dec->streams[i])
      hf_fec_stream_free (dec->streams[i]);
  g_free (dec);
}

void
hf_fec_decoder_get_stats (HfFecDecoder * dec, HfFecDecoderStats * stats)
{
  g_return_if_fail (dec != NULL && stats != NULL);
  *stats = dec->stats;
}

/* The stream of @ssrc, created (evicting the least recently used one)
 * when new. */
static HfFecStream *
hf_fec_decoder_stream (HfFecDecoder * dec, guint32 ssrc, gint64 now_us)
{
  guint i, oldest = 0, free_slot = HF_FEC_MAX_STREAMS;
  HfFecStream *s;

  for (i = 0; i < HF_FEC_MAX_STREAMS; i++) {
    s = dec->streams[i];
    if (!s) {
      if (free_slot == HF_FEC_MAX_STREAMS)
        free_slot = i;
      continue;
    }
    if (s->ssrc == ssrc) {
      s->last_use_us = now_us;
      return s;
    }
    if (dec->streams[oldest] == NULL
        || s->last_use_us < dec->streams[oldest]->last_use_us)
      oldest = i;
  }
  if (free_slot == HF_FEC_MAX_STREAMS) {
    GST_DEBUG ("forgetting ssrc %08x for %08x", dec->streams[oldest]->ssrc,
        ssrc);
    hf_fec_stream_free (dec->streams[oldest]);
    free_slot = oldest;
  }
  s = g_new0 (HfFecStream, 1);
  s->ssrc = ssrc;
  s->last_use_us = now_us;
  dec->streams[free_slot] = s;
  return s;
}

static HfFecSlot *
hf_fec_stream_find (HfFecStream * s, guint16 seq)
{
  HfFecSlot *slot = &s->ring[seq % HF_FEC_RING];

  return (slot->valid && slot->seq == seq) ? slot : NULL;
}

static guint
hf_fec_block_missing (HfFecStream * s, const HfFecBlock * b)
{
  guint j, missing = 0;

  for (j = 0; j < b->k; j++)
    if (!hf_fec_stream_find (s, (guint16) (b->base + j)))
      missing++;
  return missing;
}

/* Forgets block @idx; its packets still missing count as unrecoverable. */
static void
hf_fec_stream_drop_block (HfFecDecoder * dec, HfFecStream * s, guint idx)
{
  HfFecBlock *b = &s->blocks[idx];

  if (!b->done) {
    guint missing = hf_fec_block_missing (s, b);

    if (missing)
      GST_DEBUG ("ssrc %08x block %u: giving up %u lost", s->ssrc, b->base,
          missing);
    dec->stats.unrecoverable += missing;
  }
  hf_fec_block_clear (b);
  s->n_blocks--;
  if (idx != s->n_blocks)
    s->blocks[idx] = s->blocks[s->n_blocks];
  memset (&s->blocks[s->n_blocks], 0, sizeof (HfFecBlock));
}

static void
hf_fec_stream_expire (HfFecDecoder * dec, HfFecStream * s, gint64 now_us)
{
  guint i = 0;

  while (i < s->n_blocks) {
    if (now_us - s->blocks[i].created_us > HF_FEC_BLOCK_LIFE_US)
      hf_fec_stream_drop_block (dec, s, i);
    else
      i++;
  }
}

static void
hf_fec_stream_restart (HfFecDecoder * dec, HfFecStream * s)
{
  guint i;

  GST_DEBUG ("ssrc %08x: sequence jump, sender restart", s->ssrc);
  while (s->n_blocks)
    hf_fec_stream_drop_block (dec, s, 0);
  for (i = 0; i < HF_FEC_RING; i++)
    s->ring[i].valid = FALSE;
}

static HfFecSlot *
hf_fec_stream_store (HfFecStream * s, guint16 seq, const guint8 * sym,
    gsize len)
{
  HfFecSlot *slot = &s->ring[seq % HF_FEC_RING];

  /* One allocation for the whole ring (untouched pages cost nothing). */
  if (!s->store)
    s->store = g_malloc ((gsize) HF_FEC_RING * HF_FEC_MAX_SYMBOL);
  slot->sym = s->store + (gsize) (seq % HF_FEC_RING) * HF_FEC_MAX_SYMBOL;
  memcpy (slot->sym, sym, len);
  slot->len = (guint16) len;
  slot->seq = seq;
  slot->valid = TRUE;
  return slot;
}

/* Builds the RTP packet of a recovered symbol; NULL when the symbol does
 * not hold together (data of another block, garbage parity). */
static GBytes *
hf_fec_rebuild (guint32 ssrc, guint16 seq, const guint8 * sym, gsize len)
{
  gsize plen = hf_fec_rd16 (sym), n;
  guint8 *p;

  if (plen + HF_FEC_SYM_HEADER > len)
    return NULL;
  /* The zero padding of a real symbol is zero again after decoding. */
  for (n = plen + HF_FEC_SYM_HEADER; n < len; n++)
    if (sym[n])
      return NULL;
  p = g_malloc (HF_FEC_RTP_HEADER + plen);
  p[0] = 0x80;
  p[1] = sym[6];
  hf_fec_wr16 (p + 2, seq);
  memcpy (p + 4, sym + 2, 4);
  hf_fec_wr32 (p + 8, ssrc);
  memcpy (p + HF_FEC_RTP_HEADER, sym + HF_FEC_SYM_HEADER, plen);
  return g_bytes_new_take (p, HF_FEC_RTP_HEADER + plen);
}

/* Solves block @b when it has as many parity packets as losses; the
 * recovered packets are stored in the ring and appended to @out. */
static void
hf_fec_block_try (HfFecDecoder * dec, HfFecStream * s, HfFecBlock * b,
    GPtrArray ** out)
{
  guint lost[HF_FEC_MAX_M], rows[HF_FEC_MAX_M];
  guint8 a[HF_FEC_MAX_M][HF_FEC_MAX_M], inv[HF_FEC_MAX_M][HF_FEC_MAX_M];
  guint8 (*syn)[HF_FEC_MAX_SYMBOL] = dec->syn;
  guint e = 0, j, r, c, i;

  if (b->done)
    return;
  for (j = 0; j < b->k; j++) {
    HfFecSlot *slot = hf_fec_stream_find (s, (guint16) (b->base + j));

    if (slot && slot->len > b->len) {
      /* A packet longer than the block's symbols: not this block's data
       * (sender restart); the block cannot be trusted. */
      b->done = TRUE;
      return;
    }
    if (!slot) {
      if (e == b->n_parity)
        return;                 /* more losses than parity so far */
      lost[e++] = j;
    }
  }
  b->done = TRUE;
  if (e == 0)
    return;

  /* Syndromes: parity row minus the known media columns. */
  for (i = 0, r = 0; i < b->m && r < e; i++)
    if (b->have & (1u << i))
      rows[r++] = i;
  for (r = 0; r < e; r++) {
    memcpy (syn[r], b->store + (gsize) rows[r] * b->len, b->len);
    for (j = 0, c = 0; j < b->k; j++) {
      HfFecSlot *slot;

      if (c < e && lost[c] == j) {
        c++;
        continue;
      }
      slot = hf_fec_stream_find (s, (guint16) (b->base + j));
      hf_fec_mul_add (syn[r], slot->sym, slot->len, hf_fec_coef (rows[r], j));
    }
  }

  /* Invert the e x e Cauchy submatrix (always invertible) by Gauss-Jordan. */
  for (r = 0; r < e; r++)
    for (c = 0; c < e; c++) {
      a[r][c] = hf_fec_coef (rows[r], lost[c]);
      inv[r][c] = (r == c);
    }
  for (c = 0; c < e; c++) {
    guint piv = c;
    guint8 f;

    while (piv < e && a[piv][c] == 0)
      piv++;
    g_assert (piv < e);         /* MDS: cannot happen */
    if (piv != c) {
      guint8 t[HF_FEC_MAX_M];

      memcpy (t, a[c], e);
      memcpy (a[c], a[piv], e);
      memcpy (a[piv], t, e);
      memcpy (t, inv[c], e);
      memcpy (inv[c], inv[piv], e);
      memcpy (inv[piv], t, e);
    }
    f = hf_fec_inv (a[c][c]);
    hf_fec_scale (a[c], e, f);
    hf_fec_scale (inv[c], e, f);
    for (r = 0; r < e; r++)
      if (r != c && a[r][c]) {
        f = a[r][c];
        hf_fec_mul_add (a[r], a[c], e, f);
        hf_fec_mul_add (inv[r], inv[c], e, f);
      }
  }

  for (c = 0; c < e; c++) {
    guint8 sym[HF_FEC_MAX_SYMBOL];
    guint16 seq = (guint16) (b->base + lost[c]);
    GBytes *pkt;

    memset (sym, 0, b->len);
    for (r = 0; r < e; r++)
      hf_fec_mul_add (sym, syn[r], b->len, inv[c][r]);
    pkt = hf_fec_rebuild (s->ssrc, seq, sym, b->len);
    if (!pkt) {
      GST_DEBUG ("ssrc %08x seq %u: rebuilt symbol inconsistent", s->ssrc, seq);
      dec->stats.unrecoverable++;
      continue;
    }
    hf_fec_stream_store (s, seq, sym, HF_FEC_SYM_HEADER + hf_fec_rd16 (sym));
    dec->stats.recovered++;
    if (!*out)
      *out = g_ptr_array_new ();
    g_ptr_array_add (*out, pkt);
  }
}

static void
hf_fec_decoder_emit (HfFecDecoder * dec, GPtrArray * out)
{
  guint i;

  if (!out)
    return;
  for (i = 0; i < out->len; i++) {
    GBytes *pkt = g_ptr_array_index (out, i);

    if (dec->func)
      dec->func (pkt, dec->user_data);
    else
      g_bytes_unref (pkt);
  }
  g_ptr_array_free (out, TRUE);
}

/* Signed distance from a to b in sequence space. */
static gint
hf_fec_seq_diff (guint16 a, guint16 b)
{
  return (gint16) (guint16) (b - a);
}

void
hf_fec_decoder_push_media (HfFecDecoder * dec, const guint8 * rtp,
    gsize size, gint64 now_us)
{
  guint8 sym[HF_FEC_MAX_SYMBOL];
  HfFecStream *s;
  HfFecRtp r;
  GPtrArray *out = NULL;
  gsize len;
  guint i;

  g_return_if_fail (dec != NULL);
  dec->stats.media_packets++;
  if (!hf_fec_parse_rtp (rtp, size, &r))
    return;
  len = hf_fec_make_symbol (&r, sym);
  if (len == 0)
    return;
  s = hf_fec_decoder_stream (dec, r.ssrc, now_us);
  hf_fec_stream_expire (dec, s, now_us);
  if (!s->have_media) {
    s->have_media = TRUE;
    s->highest = r.seq;
  } else {
    gint d = hf_fec_seq_diff (s->highest, r.seq);

    if (ABS (d) > HF_FEC_RESTART_GAP)
      hf_fec_stream_restart (dec, s);
    if (d > 0 || ABS (d) > HF_FEC_RESTART_GAP)
      s->highest = r.seq;
  }
  if (hf_fec_stream_find (s, r.seq))
    return;                     /* duplicate */
  hf_fec_stream_store (s, r.seq, sym, len);

  for (i = 0; i < s->n_blocks; i++) {
    HfFecBlock *b = &s->blocks[i];

    if ((guint16) (r.seq - b->base) < b->k)
      hf_fec_block_try (dec, s, b, &out);
  }
  hf_fec_decoder_emit (dec, out);
}

HfFecResult
hf_fec_decoder_push_fec (HfFecDecoder * dec, const guint8 * rtp, gsize size,
    gint64 now_us)
{
  const guint8 *h;
  HfFecStream *s;
  HfFecBlock *b = NULL;
  HfFecRtp r;
  guint8 k, m, idx;
  guint16 base, len;
  guint32 ssrc;
  GPtrArray *out = NULL;
  guint i;

  g_return_val_if_fail (dec != NULL, HF_FEC_BAD_HEADER);
  if (!hf_fec_parse_rtp (rtp, size, &r) || r.payload_len < HF_FEC_HEADER_SIZE)
    goto bad_header;
  h = r.payload;
  ssrc = hf_fec_rd32 (h + 8);
  if (h[0] != HF_FEC_VERSION || (r.ssrc ^ HF_FEC_SSRC_XOR) != ssrc)
    goto bad_header;
  k = h[1];
  m = h[2];
  idx = h[3];
  base = hf_fec_rd16 (h + 4);
  len = hf_fec_rd16 (h + 6);
  if (k < 1 || k > HF_FEC_MAX_K || m < 1 || m > HF_FEC_MAX_M || idx >= m
      || len < HF_FEC_SYM_HEADER || len > HF_FEC_MAX_SYMBOL
      || r.payload_len != (gsize) HF_FEC_HEADER_SIZE + len)
    goto bad_block;

  s = hf_fec_decoder_stream (dec, ssrc, now_us);
  hf_fec_stream_expire (dec, s, now_us);
  if (s->have_media) {
    gint d = hf_fec_seq_diff (s->highest, base);

    if (d > HF_FEC_BLOCK_WINDOW || d < -HF_FEC_BLOCK_WINDOW)
      goto bad_block;
  }
  for (i = 0; i < s->n_blocks; i++)
    if (s->blocks[i].base == base) {
      b = &s->blocks[i];
      break;
    }
  if (b && (b->k != k || b->m != m || b->len != len))
    goto bad_block;
  if (!b) {
    if (s->n_blocks == HF_FEC_MAX_BLOCKS) {
      guint oldest = 0;

      for (i = 1; i < s->n_blocks; i++)
        if (s->blocks[i].created_us < s->blocks[oldest].created_us)
          oldest = i;
      hf_fec_stream_drop_block (dec, s, oldest);
    }
    b = &s->blocks[s->n_blocks++];
    b->base = base;
    b->k = k;
    b->m = m;
    b->len = len;
    b->done = FALSE;
    b->created_us = now_us;
  }
  dec->stats.fec_packets++;
  if (b->done || (b->have & (1u << idx)))
    return HF_FEC_OK;           /* duplicate, or nothing left to do */
  if (!b->store)
    b->store = g_malloc ((gsize) m * len);
  memcpy (b->store + (gsize) idx * len, h + HF_FEC_HEADER_SIZE, len);
  b->have |= 1u << idx;
  b->n_parity++;
  hf_fec_block_try (dec, s, b, &out);
  hf_fec_decoder_emit (dec, out);
  return HF_FEC_OK;

  /* ERRORS */
bad_header:
  dec->stats.bad_packets++;
  return HF_FEC_BAD_HEADER;
bad_block:
  dec->stats.bad_packets++;
  return HF_FEC_BAD_BLOCK;
}
