/* Holdfast ingest module: one source pipeline per input URL.
 *
 * An HfInput receives a live stream (SRT carrying MPEG-TS, RTP carrying
 * MPEG-TS, or RTP elementary streams described by an SDP file), repairs
 * what the jitter buffer can, parses it to access units (H.264 byte-stream,
 * AAC/ADTS or Opus) and hands each one to a callback, on its own streaming
 * thread.  It keeps live reception statistics and restarts itself when the
 * source ends or fails (a pusher that disconnects, an origin that goes
 * away), so a stream survives its pushers coming and going.
 *
 * Threads: hf_input_new/start/stop/free and the bus handling run on the
 * control GMainContext that was the thread-default when hf_input_start()
 * was called; the sample callback runs on GStreamer streaming threads;
 * hf_input_get_stats() may be called from any thread.
 */
#ifndef HF_INGEST_H
#define HF_INGEST_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define HF_INGEST_ERROR (hf_ingest_error_quark ())
GQuark hf_ingest_error_quark (void);

typedef enum
{
  HF_INGEST_ERROR_URL,          /* a URL that cannot be used */
  HF_INGEST_ERROR_SDP,          /* an SDP file that cannot be used */
  HF_INGEST_ERROR_PIPELINE      /* GStreamer refused to build or start */
} HfIngestError;

typedef enum
{
  HF_MEDIA_VIDEO,
  HF_MEDIA_AUDIO
} HfMediaKind;

/* ---- URLs ------------------------------------------------------------- */

typedef enum
{
  HF_URL_SRT,
  HF_URL_RTP
} HfUrlScheme;

/* A parsed `srt://` or `rtp://` URL.  @host is "" when the URL names none
 * (`srt://:9000`).  Query parameters are kept as given, last one wins. */
typedef struct
{
  HfUrlScheme scheme;
  gchar *host;
  guint16 port;
  GHashTable *params;           /* (element-type utf8 utf8) */
} HfUrl;

HfUrl *hf_url_parse (const gchar * text, GError ** error);
void hf_url_free (HfUrl * url);
const gchar *hf_url_param (const HfUrl * url, const gchar * key);
/* Fails, naming the parameter, if @url has one that is not in @known
 * (NULL-terminated). */
gboolean hf_url_check_params (const HfUrl * url, const gchar * const *known,
    GError ** error);
/* Parses a decimal parameter in [min, max]; @value is left alone when the
 * parameter is absent. */
gboolean hf_url_param_int (const HfUrl * url, const gchar * key, gint min,
    gint max, gint * value, GError ** error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HfUrl, hf_url_free)

/* ---- Input specification ---------------------------------------------- */

typedef enum
{
  HF_INPUT_SRT,                 /* srt://HOST:PORT?mode=..., MPEG-TS */
  HF_INPUT_RTP_TS,              /* rtp://HOST:PORT, MPEG-TS over RTP */
  HF_INPUT_RTP_SDP              /* rtp://HOST:PORT?sdp=FILE */
} HfInputKind;

typedef enum
{
  HF_SRT_CALLER,
  HF_SRT_LISTENER
} HfSrtMode;

typedef enum
{
  HF_FEC_OFF,
  HF_FEC_AUTO,
  HF_FEC_FIXED
} HfFecMode;

const gchar *hf_fec_mode_to_string (HfFecMode mode);
/* Reads `fec=off|auto|N` (N: 1..100 percent of overhead) and
 * `rtx=on|off` of an RTP link's URL, inputs and outputs alike; absent
 * parameters are off.  On failure (HF_INGEST_ERROR_URL, naming the
 * parameter and its value) the outputs hold no meaning. */
gboolean hf_url_param_repair (const HfUrl * url, HfFecMode * fec_mode,
    gint * fec_percent, gboolean * rtx_on, GError ** error);

typedef struct
{
  HfInputKind kind;
  gchar *url;
  gchar *host;                  /* "" = any address */
  guint16 port;
  HfSrtMode srt_mode;
  gchar *streamid;
  gchar *passphrase;
  gint latency_ms;              /* SRT latency, or RTP jitter-buffer latency */
  gchar *sdp_path;
  /* RTP repair (rtp:// only; `?fec=off|auto|N&rtx=on|off`).  The receiver
   * decodes whatever FEC arrives whatever @fec says; @fec is what it asks
   * the sender for (auto: FEC overhead follows the loss it reports). */
  HfFecMode fec_mode;
  gint fec_percent;             /* HF_FEC_FIXED: overhead in percent */
  gboolean rtx;                 /* NACK-driven retransmission (RFC 4588) */
  /* Rate control (rtp:// only, `?min-bitrate=KBPS&max-bitrate=KBPS`,
   * both > 0 when set): the range of the target sent as REMB/TMMBR. */
  gint min_bitrate_kbps;
  gint max_bitrate_kbps;
} HfInputSpec;

/* Default RTP jitter-buffer latency when fec or rtx is on (else 50 ms):
 * room for a FEC block to close (HF_FEC_DEFAULT_BLOCK_MS) and its parity
 * to arrive, or for a few retransmission round trips. */
#define HF_INPUT_REPAIR_LATENCY_MS 200

const gchar *hf_input_kind_to_string (HfInputKind kind);
gboolean hf_input_spec_parse (const gchar * url, HfInputSpec * spec,
    GError ** error);
void hf_input_spec_clear (HfInputSpec * spec);
/* UDP ports the input binds locally, in @ports (up to 8); returns the
 * count.  For SDP inputs the media ports are known only if the SDP file can
 * be read now. */
guint hf_input_spec_local_ports (const HfInputSpec * spec, guint16 * ports);

/* ---- SDP ---------------------------------------------------------------- */

typedef struct
{
  HfMediaKind kind;
  guint16 port;
  guint payload;
  gchar *encoding;              /* upper case: H264, MPEG4-GENERIC, OPUS, ... */
  GstCaps *caps;                /* application/x-rtp caps for the jitter buffer */
} HfSdpMedia;

/* Reads the media of an SDP text: at most one video and one audio stream
 * of a supported encoding.  (transfer full) array of HfSdpMedia. */
GPtrArray *hf_sdp_parse_media (const guint8 * data, gsize size,
    GError ** error);

/* ---- Inputs ----------------------------------------------------------- */

typedef enum
{
  HF_INPUT_STATE_IDLE,          /* started, nothing received yet */
  HF_INPUT_STATE_LIVE,          /* packets arriving */
  HF_INPUT_STATE_STALLED,       /* had packets, none for a while */
  HF_INPUT_STATE_RESTARTING,    /* the source ended or failed; coming back */
  HF_INPUT_STATE_STOPPED
} HfInputState;

const gchar *hf_input_state_to_string (HfInputState state);

typedef struct
{
  HfInputState state;
  guint64 packets;
  guint64 bytes;
  guint64 bitrate_bps;          /* over the last second */
  gdouble loss_ratio;           /* over the last stats interval (about 1 s) */
  guint64 packets_lost;         /* since start */
  gdouble jitter_ms;
  gdouble rtt_ms;               /* SRT only; < 0 when unknown */
  gint64 last_packet_age_ms;    /* < 0 when nothing received yet */
  guint64 malformed_packets;    /* dropped as not parseable */
  guint64 restarts;
  guint64 access_units;         /* frames handed on */
  /* RTP repair (zero for SRT; SRT repairs inside libsrt). */
  guint64 fec_recovered;        /* media packets rebuilt by FEC */
  guint64 fec_packets;          /* FEC packets received */
  gdouble fec_overhead_ratio;   /* FEC / media packets, last stats interval */
  guint64 rtx_requested;        /* packets asked for by NACK */
  guint64 rtx_received;         /* retransmissions that arrived */
  guint64 residual_lost;        /* lost after repair (jitter buffer), since
                                 * start */
  gdouble residual_loss_ratio;  /* lost after repair, last stats interval */
  /* Rate control (RTP): the target last sent to the pusher, 0 = none. */
  guint64 target_bitrate_bps;
  gdouble queue_delay_ms;       /* estimated queueing delay on the link */
} HfInputStats;

typedef struct _HfInput HfInput;

/* Called on a streaming thread for every access unit.  @sample holds the
 * buffer, its caps and segment; the callee takes no ownership and must not
 * block. */
typedef void (*HfInputSampleFunc) (HfInput * input, HfMediaKind kind,
    GstSample * sample, gpointer user_data);

/* (transfer full).  @spec is copied. */
HfInput *hf_input_new (const HfInputSpec * spec, const gchar * name,
    guint index, HfInputSampleFunc func, gpointer user_data);

/* Most paths a merged input takes (the "hfmerge" element's limit). */
#define HF_INPUT_MAX_PATHS 8

/* A merged input (ST 2022-7 style): @n_specs paths (1 to
 * HF_INPUT_MAX_PATHS) that carry the same RTP/MPEG-TS stream (same SSRC and
 * sequence numbers), each an HF_INPUT_RTP_TS spec (rtp:// without sdp=);
 * the first copy of each sequence number that arrives within @window_us
 * (<= 0: 200 ms) on any path is kept, so losing a whole path, or any
 * packet that another path still carries, loses nothing.  One udpsrc per
 * path (and its RTCP port + 1, counted as a single-path input does) feeds
 * an "hfmerge" element, then the same chain as a single RTP/MPEG-TS input.
 * The input's stats (packets, loss, jitter, bitrate) are those of the
 * merged stream: packets_lost is the loss left after the merge.  The spec
 * hf_input_get_spec () returns is @specs[0]'s (its latency_ms sizes the
 * jitter buffer).  "hfmerge" must be registered (the failover module's
 * hf_failover_register_elements ()), else hf_input_start () fails with
 * HF_INGEST_ERROR_PIPELINE "hfmerge element not registered".
 * (transfer full); @specs are copied.  Specs that are not all
 * HF_INPUT_RTP_TS, or a count out of range, are the caller's mistake (it
 * validates its config first): a critical, and NULL. */
HfInput *hf_input_new_merged (const HfInputSpec * specs, guint n_specs,
    gint64 window_us, const gchar * name, guint index,
    HfInputSampleFunc func, gpointer user_data);

gboolean hf_input_start (HfInput * input, GError ** error);
/* Idempotent; after it returns no more samples are delivered. */
void hf_input_stop (HfInput * input);
void hf_input_free (HfInput * input);
const gchar *hf_input_get_name (HfInput * input);
guint hf_input_get_index (HfInput * input);
const HfInputSpec *hf_input_get_spec (HfInput * input);
/* Changes whenever the input's pipeline is rebuilt (a new pusher, a new
 * connection): timestamps of a new epoch are on a new timeline.  Any
 * thread. */
guint hf_input_get_epoch (HfInput * input);
/* TRUE when the current session carries an audio stream that is relayed.
 * Any thread. */
gboolean hf_input_has_audio (HfInput * input);
/* The media type of the audio this session last delivered ("audio/mpeg",
 * "audio/x-opus"), interned (compare pointers), or NULL.  Any thread. */
const gchar *hf_input_get_audio_codec (HfInput * input);
/* Refreshes the windowed figures; call about once a second (control
 * thread). */
void hf_input_tick (HfInput * input, gint64 now_us);
void hf_input_get_stats (HfInput * input, gint64 now_us,
    HfInputStats * stats);

/* Paths of the input: n_specs for a merged input, 1 for any other. */
guint hf_input_get_n_paths (HfInput * input);

typedef struct
{
  guint64 received;             /* valid RTP packets that came in on the path */
  guint64 forwarded;            /* of those, first copies (kept) */
  guint64 duplicates;           /* of those, copies of a packet already kept */
  gint64 last_packet_age_ms;    /* < 0 when nothing received yet */
} HfInputPathStats;

/* One path's figures at @now_us (monotonic), cumulative over the input's
 * life (its restarts included).  For an input that is not merged, path 0
 * is the whole input (every packet counts as received and forwarded).
 * FALSE, and @stats zeroed (age -1), when @path >= hf_input_get_n_paths ().
 * Any thread. */
gboolean hf_input_get_path_stats (HfInput * input, guint path,
    gint64 now_us, HfInputPathStats * stats);

G_END_DECLS
#endif
