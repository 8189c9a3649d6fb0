/* Holdfast FEC: a systematic Reed-Solomon erasure code over GF(2^8) for RTP,
 * and the two elements that wrap it ("hffecenc", "hffecdec").
 *
 * Why our own: rtpst2022-1-fecenc/dec recover inconsistently in GStreamer
 * 1.22 and emit duplicates on a clean link, and XOR row/column FEC cannot
 * reach 0.1 % residual loss at 5 % random loss within 20 % overhead.  An
 * MDS code over a block of k media packets with m parity packets recovers
 * any m losses in the block.
 *
 * Wire format (one FEC packet = one RTP packet, its own SSRC and sequence
 * numbers, payload type HF_FEC_PT unless configured otherwise):
 *
 *   RTP header (12 bytes; SSRC = protected SSRC ^ HF_FEC_SSRC_XOR)
 *   FEC header (HF_FEC_HEADER_SIZE bytes, network order):
 *     0  u8   version (HF_FEC_VERSION)
 *     1  u8   k: media packets in the block (1..HF_FEC_MAX_K)
 *     2  u8   m: parity packets in the block (1..HF_FEC_MAX_M)
 *     3  u8   index of this parity packet (0..m-1)
 *     4  u16  base sequence number: the block's first media packet
 *     6  u16  symbol length L (bytes of the coded symbol that follows)
 *     8  u32  protected SSRC
 *   coded symbol (L bytes)
 *
 * A media packet's symbol is [payload length u16][RTP timestamp u32]
 * [marker<<7 | payload type u8][payload], zero-padded to the block's
 * longest; the block's media packets are the consecutive sequence numbers
 * base .. base+k-1 of the protected SSRC.  A recovered packet gets a plain
 * 12-byte RTP header (no CSRC, no extension) rebuilt from its symbol.
 *
 * The codec (HfFecEncoder, HfFecDecoder) is plain C, time passed in, no
 * locking: the owner serialises calls.
 */
#ifndef HF_FEC_H
#define HF_FEC_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define HF_FEC_PT 122
#define HF_FEC_SSRC_XOR 0x0FEC0000u
#define HF_FEC_VERSION 1
#define HF_FEC_HEADER_SIZE 12
#define HF_FEC_MAX_K 64
#define HF_FEC_MAX_M 32
/* Biggest RTP packet the codec protects (larger ones pass unprotected). */
#define HF_FEC_MAX_PACKET 1500
/* Defaults of the encoder's block: it closes at whichever comes first.
 * Longer blocks recover more for the same overhead (at 5 % loss and 20 %:
 * RS(76,64) leaves ~2e-5 of the packets, RS(46,39) ~4e-4) but cost their
 * time in the receiver's jitter buffer (HF_INPUT_REPAIR_LATENCY_MS); 64
 * packets are 160 ms at 4 Mbit/s, so at that rate and below the time
 * limit closes the block. */
#define HF_FEC_DEFAULT_BLOCK_PACKETS 64
#define HF_FEC_DEFAULT_BLOCK_MS 150
/* Highest overhead `auto` ever asks for, in percent. */
#define HF_FEC_AUTO_MAX_PERCENT 50

/* RFC 4588 retransmission payload types, by media payload type: the same
 * table in every sender and receiver of ours. */
#define HF_RTX_PT_MP2T 98               /* for 33 (MPEG-TS) */
#define HF_RTX_PT_VIDEO 100             /* for 96 (hf-push H.264) */
#define HF_RTX_PT_AUDIO 101             /* for 97 (hf-push AAC/Opus) */

/* The overhead, in percent (0..HF_FEC_AUTO_MAX_PERCENT), that `fec=auto`
 * uses for a measured loss ratio (0..1) of the link: 0 on a clean link,
 * more as loss grows, capped.  Pure function. */
guint hf_fec_auto_percent (gdouble loss_ratio);

/* ---- Encoder ---------------------------------------------------------- */

typedef struct _HfFecEncoder HfFecEncoder;

/* Called for every FEC packet the encoder makes; @packet is a complete RTP
 * packet (transfer full). */
typedef void (*HfFecPacketFunc) (GBytes * packet, gpointer user_data);

HfFecEncoder *hf_fec_encoder_new (guint8 pt, guint block_packets,
    guint block_ms, HfFecPacketFunc func, gpointer user_data);
void hf_fec_encoder_free (HfFecEncoder * enc);
/* 0 disables FEC (no parity); takes effect at the next block. */
void hf_fec_encoder_set_percent (HfFecEncoder * enc, guint percent);
/* Feeds one media RTP packet sent at @now_us; closes the block (emitting
 * its parity through the callback, synchronously) when it is full, when
 * the sequence breaks, or when the SSRC changes. */
void hf_fec_encoder_push (HfFecEncoder * enc, const guint8 * rtp, gsize size,
    gint64 now_us);
/* Closes the block if it is older than block_ms at @now_us. */
void hf_fec_encoder_tick (HfFecEncoder * enc, gint64 now_us);
guint64 hf_fec_encoder_parity_sent (HfFecEncoder * enc);
/* When the open block will be due for closing (hf_fec_encoder_tick), in
 * the time base of @now_us; -1 when no block is open.  For a timer. */
gint64 hf_fec_encoder_deadline (HfFecEncoder * enc);

/* ---- Decoder ---------------------------------------------------------- */

typedef struct _HfFecDecoder HfFecDecoder;

typedef enum
{
  HF_FEC_OK = 0,
  HF_FEC_BAD_HEADER,            /* not a FEC packet of ours */
  HF_FEC_BAD_BLOCK,             /* k/m/index/length out of range or
                                 * inconsistent with its block */
} HfFecResult;

typedef struct
{
  guint64 media_packets;        /* media packets seen */
  guint64 fec_packets;          /* FEC packets accepted */
  guint64 bad_packets;          /* FEC packets refused (HfFecResult != 0) */
  guint64 recovered;            /* media packets rebuilt */
  guint64 unrecoverable;        /* lost packets in blocks given up */
} HfFecDecoderStats;

/* Recovered packets are handed to @func (transfer full), as complete RTP
 * packets, synchronously from hf_fec_decoder_push_*. */
HfFecDecoder *hf_fec_decoder_new (HfFecPacketFunc func, gpointer user_data);
void hf_fec_decoder_free (HfFecDecoder * dec);
void hf_fec_decoder_push_media (HfFecDecoder * dec, const guint8 * rtp,
    gsize size, gint64 now_us);
HfFecResult hf_fec_decoder_push_fec (HfFecDecoder * dec, const guint8 * rtp,
    gsize size, gint64 now_us);
void hf_fec_decoder_get_stats (HfFecDecoder * dec, HfFecDecoderStats * stats);

/* Registers "hffecenc" and "hffecdec".  Any thread, after gst_init ().
 *
 * hffecenc (RTP in, RTP out): passes every packet through and, after the
 *   packets of a block, its parity packets.  Properties: "percent" (uint,
 *   0..100, mutable while playing), "pt" (uint, default HF_FEC_PT),
 *   "block-packets", "block-ms", "protect-pt" (int, -1 = every payload
 *   type; else only that one is protected, e.g. not RTX), read-only
 *   "media-packets", "parity-packets" (guint64).
 * hffecdec (RTP in, RTP out): consumes FEC packets (payload type "pt"),
 *   passes every other packet through unchanged and at once, and pushes
 *   each recovered packet as soon as it is rebuilt.  Read-only "stats"
 *   (GstStructure with the HfFecDecoderStats fields as guint64).
 */
gboolean hf_fec_register_elements (void);

G_END_DECLS
#endif
