/* hf-linkem-ctl: the hand-written parsers of hf-linkem (fuzzed by
 * tests/fuzz/fuzz-linkem-ctl.c): the link specs of `hf-linkem run`, and the
 * one-line requests of its control socket, whose `ctl` requests carry a
 * change set of impairments.  Values are strict: a number is digits with
 * an optional fraction, a unit is one of a short list, anything else is
 * refused with a message that quotes the bad token and says what was
 * expected.  No sockets, no allocation that outlives a call except the
 * outputs documented; any thread.
 *
 * The control protocol (one request per connection, a line each way, then
 * the body of a status):
 *
 *   ping                               -> ok
 *   status [json]                      -> ok, then the table or the JSON
 *   ctl LINK|all [fwd|rev] COMMAND...  -> ok | error: MESSAGE
 *
 * COMMAND tokens, applied in order onto the current configuration of each
 * selected direction, all or nothing:
 *
 *   loss P[%] [burst N]   P 0..100; burst N >= 1 packets (0 or off:
 *                         independent loss).  `loss` alone sets burst off.
 *   burst N|off           the mean burst alone
 *   delay T  jitter T     T: NUMBER[us|ms|s], a bare number is ms
 *   reorder on|off
 *   dup P[%]
 *   rate R [queue T]      R: NUMBER[bit|k|kbit|m|mbit|g|gbit], bare: kbit
 *   rate off
 *   queue T
 *   sever                 drop everything, held packets included
 *   restore | clear       a clean link, unsevered (later tokens still apply)
 */
#ifndef HF_LINKEM_CTL_H
#define HF_LINKEM_CTL_H

#include <glib.h>

#include "tools/hf-impair.h"

G_BEGIN_DECLS

#define HF_LINKEM_CTL_ERROR (hf_linkem_ctl_error_quark ())
GQuark hf_linkem_ctl_error_quark (void);

typedef enum
{
  HF_LINKEM_CTL_ERROR_SYNTAX,
  HF_LINKEM_CTL_ERROR_VALUE,
} HfLinkemCtlError;

#define HF_LINKEM_MAX_NAME 64
#define HF_LINKEM_MAX_PORTS 64
#define HF_LINKEM_MAX_LINE 4096

/* `hf-linkem run` link spec: NAME=LISTENHOST:PORT>TARGETHOST:PORT[*N]. */
typedef struct
{
  gchar name[HF_LINKEM_MAX_NAME + 1];
  gchar listen_host[256];       /* without the IPv6 brackets */
  guint listen_port;            /* 0: any (only when n_ports is 1) */
  gchar target_host[256];
  guint target_port;
  guint n_ports;                /* consecutive port pairs */
} HfLinkemSpec;

/**
 * hf_linkem_spec_parse:
 * @text: one LINKSPEC, e.g. "rtp=127.0.0.1:9000>[::1]:9100*2"
 * @spec: (out caller-allocates): filled on success, undefined on failure
 *
 * Hosts are kept as written (names are resolved by the caller).
 */
gboolean hf_linkem_spec_parse (const gchar * text, HfLinkemSpec * spec,
    GError ** error);

/* Link names: 1..64 of [A-Za-z0-9_.-], and not "all". */
gboolean hf_linkem_name_is_valid (const gchar * name);

typedef enum
{
  HF_LINKEM_DIR_FWD = 1 << 0,   /* listen -> target */
  HF_LINKEM_DIR_REV = 1 << 1,   /* target -> listen */
  HF_LINKEM_DIR_BOTH = HF_LINKEM_DIR_FWD | HF_LINKEM_DIR_REV,
} HfLinkemDir;

/* Which fields of a change set's values are set. */
typedef enum
{
  HF_LINKEM_SET_LOSS = 1 << 0,
  HF_LINKEM_SET_BURST = 1 << 1,
  HF_LINKEM_SET_DELAY = 1 << 2,
  HF_LINKEM_SET_JITTER = 1 << 3,
  HF_LINKEM_SET_REORDER = 1 << 4,
  HF_LINKEM_SET_DUP = 1 << 5,
  HF_LINKEM_SET_RATE = 1 << 6,
  HF_LINKEM_SET_QUEUE = 1 << 7,
  HF_LINKEM_SET_SEVERED = 1 << 8,
  HF_LINKEM_SET_ALL = (1 << 9) - 1,
} HfLinkemSet;

typedef struct
{
  guint set;                    /* HfLinkemSet bits */
  HfImpairConfig values;        /* only the fields in @set mean anything */
} HfLinkemChange;

/**
 * hf_linkem_change_parse:
 * @tokens: (array length=n_tokens): the COMMAND tokens (at least one)
 * @change: (out caller-allocates): the change set, on success
 *
 * Checks each value's syntax and range; whether the result holds together
 * (a loss and burst that a chain can have) is checked when it is applied.
 */
gboolean hf_linkem_change_parse (const gchar * const *tokens, guint n_tokens,
    HfLinkemChange * change, GError ** error);

/**
 * hf_linkem_change_apply:
 * @current: the configuration now
 * @result: (out caller-allocates): @current with the change; set only on
 *   success
 *
 * Returns: FALSE, with a message, if the result is not a valid
 * configuration (hf_impair_config_validate()).
 */
gboolean hf_linkem_change_apply (const HfLinkemChange * change,
    const HfImpairConfig * current, HfImpairConfig * result, GError ** error);

typedef enum
{
  HF_LINKEM_REQ_PING,
  HF_LINKEM_REQ_STATUS,
  HF_LINKEM_REQ_CTL,
} HfLinkemReqKind;

typedef struct
{
  HfLinkemReqKind kind;
  gboolean json;                /* status */
  gboolean all;                 /* ctl: every link */
  gchar link[HF_LINKEM_MAX_NAME + 1];   /* ctl, unless all */
  HfLinkemDir dir;              /* ctl */
  HfLinkemChange change;        /* ctl */
} HfLinkemRequest;

/**
 * hf_linkem_request_parse:
 * @line: (array length=len): one request line, without its newline; any
 *   bytes (a NUL, a control character or a line past
 *   HF_LINKEM_MAX_LINE is refused)
 * @req: (out caller-allocates): the request, on success
 */
gboolean hf_linkem_request_parse (const gchar * line, gsize len,
    HfLinkemRequest * req, GError ** error);

/* The value parsers, exposed for the tests.  Each takes one whole token. */
gboolean hf_linkem_parse_percent (const gchar * token, gdouble * pct,
    GError ** error);
gboolean hf_linkem_parse_time (const gchar * token, gint64 * us,
    GError ** error);
gboolean hf_linkem_parse_rate (const gchar * token, guint64 * bps,
    GError ** error);

G_END_DECLS
#endif
