/* hf-sse: Server-Sent Events for hfctl's `events -f`: a parser of the
 * wire format (text/event-stream, as the WHATWG HTML standard defines it)
 * and a client that keeps a stream open over libsoup.
 *
 * The parser (HfSseParser) is plain C and GLib without I/O, the part that
 * reads untrusted bytes and the part a fuzz target drives.  Bytes go in
 * as they arrive, in chunks cut anywhere (inside a line, between the CR
 * and the LF of a line end); complete frames come out.  A frame is what
 * a blank line ends: its "event:" name, its "id:" and its "data:" lines
 * joined with '\n'.  Lines end with CRLF, LF or CR; lines starting with
 * ':' are comments; "retry:" sets the reconnection delay; a UTF-8 byte
 * order mark at the start of the stream is skipped; other fields are
 * ignored (counted).  A frame without data lines is not
 * dispatched (as a browser's EventSource does).  An incomplete frame at
 * the end of the stream is simply never returned.
 *
 * The input is untrusted: a line or a frame's data longer than the
 * parser's limit makes hf_sse_parser_feed() fail with HF_SSE_TOO_LONG, and
 * the parser then refuses everything (the caller drops the connection).
 * Bytes are passed through as they are (no UTF-8 check: the caller
 * sanitizes what it prints).  Frames never depend on how the input was
 * cut into chunks.
 *
 * No locking: one parser belongs to one thread at a time.
 *
 * The client (HfSseSource) is what a browser's EventSource does: it GETs
 * the stream, hands each frame to its owner, and when the stream breaks
 * (an error, the end, or no byte at all for silence_s seconds while the
 * server promised to keep talking) it connects again after the server's
 * "retry:" delay, asking its owner for the URL each time so that the owner
 * says where to resume.  It runs on the thread-default main context of the
 * thread that created it; its callbacks come from that context.
 */
#ifndef HF_SSE_H
#define HF_SSE_H

#include <glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Default limit of one line and of one frame's data: the relay's stats
 * frames carry every stream, a few kB each. */
#define HF_SSE_DEFAULT_MAX_LEN (4 * 1024 * 1024)

typedef enum
{
  HF_SSE_OK = 0,
  HF_SSE_TOO_LONG,
} HfSseResult;

typedef struct _HfSseParser HfSseParser;

typedef struct
{
  gchar *event;                 /* never NULL: "message" when unnamed */
  gchar *id;                    /* (nullable): this frame's "id:" field */
  gchar *data;                  /* never NULL, NUL-terminated; data_len
                                 * bytes, which may hold NUL bytes */
  gsize data_len;
} HfSseFrame;

typedef struct
{
  guint64 bytes;                /* fed */
  guint64 lines;
  guint64 frames;               /* returned */
  guint64 comments;
  guint64 unknown_fields;       /* field names the format does not know */
  guint64 bad_retry;            /* "retry:" values that are not a number */
  guint64 empty_frames;         /* blank lines ending no data */
} HfSseStats;

/**
 * hf_sse_parser_new:
 * @max_len: longest line, and longest data of one frame, in bytes
 *   (0: HF_SSE_DEFAULT_MAX_LEN)
 *
 * Returns: (transfer full): a parser at the start of a stream.
 */
HfSseParser *hf_sse_parser_new (gsize max_len);

void hf_sse_parser_free (HfSseParser * parser);

/**
 * hf_sse_parser_feed:
 * @parser: the parser
 * @data: (array length=len): the next bytes of the stream
 * @len: how many
 * @frames: (element-type HfSseFrame*): complete frames are appended here,
 *   in stream order, (transfer full); give the array a free function of
 *   hf_sse_frame_free
 *
 * Returns: HF_SSE_OK, or HF_SSE_TOO_LONG once a line or a frame went over
 *   the limit (frames completed before it are still appended; every later
 *   call returns HF_SSE_TOO_LONG at once).
 */
HfSseResult hf_sse_parser_feed (HfSseParser * parser, const gchar * data,
    gsize len, GPtrArray * frames);

/**
 * hf_sse_parser_get_retry_ms:
 *
 * Returns: the last valid "retry:" value in ms (clamped to G_MAXINT), or
 *   -1 if the stream sent none.
 */
gint hf_sse_parser_get_retry_ms (HfSseParser * parser);

/**
 * hf_sse_parser_get_last_id:
 *
 * Returns: (transfer none) (nullable): the last "id:" value seen, the
 *   stream's "last event ID" (what a reconnect asks to resume after); NULL
 *   until one came.  Valid until the next feed or free.
 */
const gchar *hf_sse_parser_get_last_id (HfSseParser * parser);

void hf_sse_parser_get_stats (HfSseParser * parser, HfSseStats * stats);

void hf_sse_frame_free (HfSseFrame * frame);

/* ---- client -------------------------------------------------------------- */

/* Reconnection delay unless the server's "retry:" says, and its bounds. */
#define HF_SSE_RETRY_MS 1000
#define HF_SSE_RETRY_MIN_MS 100
#define HF_SSE_RETRY_MAX_MS 30000

typedef struct _HfSseSource HfSseSource;

typedef enum
{
  HF_SSE_SOURCE_OPEN,           /* the server answered with a stream */
  HF_SSE_SOURCE_RETRYING,       /* broken or not reachable: retrying */
  HF_SSE_SOURCE_FAILED,         /* the first answer was a 4xx other than
                                 * 408 and 429 (a 404...): given up; 5xx
                                 * and network errors are retried */
} HfSseSourceState;

typedef struct
{
  /* (transfer full): the URL to GET; asked before every connection. */
  gchar *(*url) (gpointer user_data);
  /* A frame, in stream order.  May call hf_sse_source_reconnect(): the
   * rest of what the connection brought is then dropped. */
  void (*frame) (const HfSseFrame * frame, gpointer user_data);
  /* The connection's state changed, or failed again for another reason
   * (a sentence; NULL for OPEN). */
  void (*state) (HfSseSourceState state, const gchar * reason,
      gpointer user_data);
} HfSseSourceFuncs;

/**
 * hf_sse_source_new:
 * @session: (transfer none): the session to use; its "timeout" should be 0
 *   (a long-lived stream is not one I/O operation), @silence_s watches it
 * @silence_s: a connection that brings no byte for this long is replaced
 * @funcs: (transfer none): static callbacks
 *
 * Returns: (transfer full): a client, not connected: see
 *   hf_sse_source_start().
 */
HfSseSource *hf_sse_source_new (SoupSession * session, guint silence_s,
    const HfSseSourceFuncs * funcs, gpointer user_data);

void hf_sse_source_start (HfSseSource * client);

/* Drops the connection (if any) and connects again in @delay_ms. */
void hf_sse_source_reconnect (HfSseSource * client, guint delay_ms);

/* Drops the connection and iterates the main context until its pending
 * operation has ended (cancelled): no callback runs after this. */
void hf_sse_source_free (HfSseSource * client);

G_END_DECLS

#endif /* HF_SSE_H */
