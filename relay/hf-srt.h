/* SRT egress: the one wrapper around libsrt.  It owns every SRT handle the
 * relay opens and turns libsrt's errors into GError.
 *
 * An HfSrtOutput is either a listener serving any number of viewers or a
 * caller pushing to one peer (another relay), reconnecting with backoff.
 * Each connection starts at a keyframe: a connection that is new (or
 * reconnected) is "pending" until the sender gives it the GOP snapshot.
 *
 * Threads: new/free on the control thread; one thread per output accepts
 * (listener) or connects (caller); hf_srt_output_send() on the program's
 * streaming thread, which is the only thread that writes to sockets, so a
 * joiner's replay and live packets never interleave.  A viewer whose send
 * buffer is full loses packets (counted) and is dropped if that lasts; it
 * never blocks the sender or the other viewers.
 */
#ifndef HF_SRT_H
#define HF_SRT_H

#include <glib.h>

G_BEGIN_DECLS

#define HF_SRT_ERROR (hf_srt_error_quark ())
GQuark hf_srt_error_quark (void);

typedef struct _HfSrtOutput HfSrtOutput;

typedef struct
{
  guint viewers;                /* connected peers */
  guint64 connections;          /* accepted or established, in all */
  guint64 bytes_sent;
  guint64 packets_sent;         /* SRT messages */
  guint64 dropped_packets;      /* not sent: a peer's buffer was full */
  guint64 dropped_peers;        /* disconnected for being too slow */
  guint64 gop_replays;          /* connections started from the GOP cache */
  guint64 gop_bytes_replayed;
} HfSrtStats;

/* @host: local address (listener, "" = any) or peer (caller). */
HfSrtOutput *hf_srt_output_new_listener (const gchar * host, guint16 port,
    gint latency_ms, const gchar * passphrase, GError ** error);
HfSrtOutput *hf_srt_output_new_caller (const gchar * host, guint16 port,
    gint latency_ms, const gchar * passphrase, const gchar * streamid,
    GError ** error);
void hf_srt_output_free (HfSrtOutput * out);

/* TRUE when a connection waits for its start-up GOP. */
gboolean hf_srt_output_wants_gop (HfSrtOutput * out);
/* Sends @data (whole TS packets) to every connection; @gop (transfer none,
 * may be NULL) is first sent to connections that are pending.  Program
 * streaming thread. */
void hf_srt_output_send (HfSrtOutput * out, const guint8 * data, gsize size,
    GBytes * gop);
void hf_srt_output_get_stats (HfSrtOutput * out, HfSrtStats * stats);

/* What the output's links did since the previous sample, from libsrt's
 * per-connection statistics; over several connections, the worst. */
typedef struct
{
  guint connections;            /* sampled */
  gdouble loss_ratio;           /* packets reported lost / sent; < 0: none
                                 * sent */
  gdouble send_buffer_ms;       /* unacknowledged data waiting; < 0: none */
  guint64 bandwidth_bps;        /* libsrt's link estimate; 0: unknown */
  gdouble rtt_ms;               /* < 0: unknown */
} HfSrtLinkSample;

/* Samples (and restarts) the interval figures of every connection: one
 * caller only (the output's rung choice, control thread). */
void hf_srt_output_sample_link (HfSrtOutput * out, HfSrtLinkSample * sample);

G_END_DECLS
#endif
