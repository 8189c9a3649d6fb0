/* Fuzz target: the FEC decoder (ingest/hf-fec.c).  The bytes are records,
 * each starting with an opcode byte (low 2 bits):
 *   0  media packet: u16 length, then that many bytes, to push_media
 *   1  FEC packet: u16 length, then that many bytes, to push_fec
 *   2  a real block: 13 bytes of parameters (k up to HF_FUZZ_FEC_MAX_K,
 *      percent, base sequence, SSRC, a 32-bit loss mask, a salt); the
 *      encoder makes it and the packets the mask spares go to the
 *      decoder, parity mutated by the opcode's high bits (a byte flipped),
 *      so that mutations reach deep into recovery as well as into the
 *      header checks
 *   3  time passes: the next byte times 10 ms
 * A truncated record, or a fifth real block, ends the input.  The decoder
 * must never crash, and every packet it rebuilds must be a valid plain RTP
 * packet (version 2, no padding, extension or CSRC, 12..HF_FEC_MAX_PACKET
 * bytes) whose count matches the decoder's "recovered"; abort() otherwise.
 * Single-threaded.
 */
#include "tests/fuzz/fuzz.h"
#include "ingest/hf-fec.h"

#include <stdlib.h>
#include <string.h>

/* Real blocks per input at most, and their size: each costs an encoder
 * run, and the sanitizer pass runs 20000 inputs (the unit test covers
 * every k up to HF_FEC_MAX_K). */
#define HF_FUZZ_FEC_MAX_BLOCKS 4
#define HF_FUZZ_FEC_MAX_K 24

typedef struct
{
  guint64 rebuilt;
} HfFuzzFec;

static void
hf_fuzz_fec_on_recovered (GBytes * packet, gpointer user_data)
{
  HfFuzzFec *f = user_data;
  gsize size;
  const guint8 *d = g_bytes_get_data (packet, &size);

  if (size < 12 || size > HF_FEC_MAX_PACKET || d[0] != 0x80)
    abort ();
  f->rebuilt++;
  g_bytes_unref (packet);
}

static void
hf_fuzz_fec_on_parity (GBytes * packet, gpointer user_data)
{
  g_ptr_array_add (user_data, packet);
}

static void
hf_fuzz_fec_block (HfFecDecoder * dec, const uint8_t * p, guint8 op, gint64 now)
{
  GPtrArray *parity = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);
  guint k = 1 + p[0] % HF_FUZZ_FEC_MAX_K, percent = p[1] % 101, i;
  guint16 seq = (p[2] << 8) | p[3];
  guint32 mask = ((guint32) p[8] << 24) | (p[9] << 16) | (p[10] << 8) | p[11];
  guint8 salt = p[12];
  HfFecEncoder *enc = hf_fec_encoder_new (HF_FEC_PT, k, 100,
      hf_fuzz_fec_on_parity, parity);
  guint8 pkt[HF_FEC_MAX_PACKET];

  hf_fec_encoder_set_percent (enc, percent);
  for (i = 0; i < k; i++) {
    guint16 s = (guint16) (seq + i);
    /* Short packets unless the salt's top bit asks for full-size ones:
     * the sanitizer pass runs 20000 inputs. */
    gsize len = 12 + (salt * 37u + i * 101u) %
        ((salt & 0x80) ? HF_FEC_MAX_PACKET - 11 : 200);
    gsize n;

    pkt[0] = 0x80;
    pkt[1] = (i == k - 1 ? 0x80 : 0) | 33;
    pkt[2] = s >> 8;
    pkt[3] = s & 0xff;
    memset (pkt + 4, salt, 4);
    pkt[8] = p[4];
    pkt[9] = p[5];
    pkt[10] = p[6];
    pkt[11] = p[7];
    for (n = 12; n < len; n++)
      pkt[n] = (guint8) (n * salt + i);
    hf_fec_encoder_push (enc, pkt, len, now);
    if (!(mask & (1u << (i % 32))))
      hf_fec_decoder_push_media (dec, pkt, len, now);
  }
  hf_fec_encoder_tick (enc, now + 1000000);
  for (i = 0; i < parity->len; i++) {
    gsize size;
    const guint8 *d = g_bytes_get_data (g_ptr_array_index (parity, i), &size);
    guint8 *copy;

    if (mask & (1u << ((k + i) % 32)))
      continue;
    copy = g_memdup2 (d, size);
    /* op's high bits: flip one byte of the first parity packet. */
    if (i == 0 && (op >> 2))
      copy[(op >> 2) * 7 % size] ^= op;
    hf_fec_decoder_push_fec (dec, copy, size, now);
    g_free (copy);
  }
  hf_fec_encoder_free (enc);
  g_ptr_array_unref (parity);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  HfFuzzFec f = { 0 };
  HfFecDecoder *dec = hf_fec_decoder_new (hf_fuzz_fec_on_recovered, &f);
  HfFecDecoderStats st;
  gint64 now = 1000000;
  size_t i = 0;
  guint blocks = 0;

  while (i < size) {
    guint8 op = data[i++];

    switch (op & 3) {
      case 0:
      case 1:{
        gsize len;
        guint8 *copy;

        if (i + 2 > size)
          goto done;
        len = (data[i] << 8) | data[i + 1];
        i += 2;
        if (len > size - i)
          len = size - i;
        /* A buffer of exactly the packet's size: ASan sees overreads. */
        copy = g_memdup2 (data + i, len);
        if (op & 3)
          hf_fec_decoder_push_fec (dec, copy, len, now);
        else
          hf_fec_decoder_push_media (dec, copy, len, now);
        g_free (copy);
        i += len;
        break;
      }
      case 2:
        if (i + 13 > size || ++blocks > HF_FUZZ_FEC_MAX_BLOCKS)
          goto done;
        hf_fuzz_fec_block (dec, data + i, op, now);
        i += 13;
        break;
      case 3:
        if (i + 1 > size)
          goto done;
        now += data[i++] * 10000;
        break;
    }
  }
done:
  hf_fec_decoder_get_stats (dec, &st);
  if (st.recovered != f.rebuilt)
    abort ();
  hf_fec_decoder_free (dec);
  return 0;
}
