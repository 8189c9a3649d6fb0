/* Holdfast relay module: the daemon's parts.  Config, streams (inputs ->
 * switch -> program mux -> outputs), the HTTP API.
 *
 * Threads: everything here runs on the control GMainContext (the default
 * one in `holdfast`), except where a function says otherwise.
 */
#ifndef HF_RELAY_H
#define HF_RELAY_H

#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include "ingest/hf-ingest.h"
#include "failover/hf-failover.h"

G_BEGIN_DECLS

#define HF_CONFIG_ERROR (hf_config_error_quark ())
GQuark hf_config_error_quark (void);

typedef enum
{
  HF_CONFIG_ERROR_PARSE,        /* not an INI file */
  HF_CONFIG_ERROR_INVALID       /* a group or key with a bad value */
} HfConfigError;

typedef enum
{
  HF_OUTPUT_SRT_LISTENER,       /* viewers call us */
  HF_OUTPUT_SRT_CALLER,         /* we push to another relay */
  HF_OUTPUT_RTP                 /* MPEG-TS over RTP to another relay */
} HfOutputKind;

const gchar *hf_output_kind_to_string (HfOutputKind kind);

typedef struct
{
  HfOutputKind kind;
  gchar *url;
  gchar *host;
  guint16 port;
  gint latency_ms;
  gchar *passphrase;
  gchar *streamid;
  /* RTP repair (`?fec=off|auto|N&rtx=on|off`): what hfrtpsink sends. */
  HfFecMode fec_mode;           /* default off */
  gint fec_percent;             /* HF_FEC_FIXED: overhead in percent */
  gboolean rtx;                 /* default off */
} HfOutputSpec;

/* The most rungs a rendition ladder may have. */
#define HF_LADDER_MAX_RUNGS 6

typedef enum
{
  HF_FALLBACK_BUILTIN,          /* the builtin "Stream paused" still */
  HF_FALLBACK_NONE,             /* hold the last frame */
  HF_FALLBACK_FILE              /* the operator's clip: fallback_path */
} HfFallbackKind;

typedef struct
{
  gchar *name;
  guint n_inputs;
  HfInputSpec *inputs;          /* priority order: [0] is the primary */
  gchar **input_names;
  guint n_outputs;
  HfOutputSpec *outputs;
  gint input_timeout_ms;        /* default 250 */
  gdouble degraded_loss_ratio;  /* default 0.05 */
  gdouble degraded_jitter_ms;   /* default 50 */
  gint revert_after_s;          /* default 10 */
  HfFailoverMode failover;      /* default auto */
  gboolean merge;               /* inputs are copies of one RTP stream */
  gint merge_window_ms;         /* default 200 */
  HfFallbackKind fallback;      /* default builtin */
  gchar *fallback_path;         /* HF_FALLBACK_FILE only */
  /* Rendition ladder (`ladder = 2500k,1200k,500k`): 0 rungs = none; else
   * video bitrates in bits per second, strictly descending. */
  guint n_rungs;
  guint64 ladder_bps[HF_LADDER_MAX_RUNGS];
} HfStreamConfig;

typedef struct _HfWebhookConfig HfWebhookConfig;

typedef struct
{
  gchar *http_host;
  guint16 http_port;
  GPtrArray *streams;           /* (element-type HfStreamConfig) */
  GPtrArray *alert_rules;       /* (element-type HfAlertRule): the built-in
                                 * rules and the [alert NAME] groups */
  gchar **webhooks;             /* [server] webhook: URLs (may be empty) */
  HfWebhookConfig *webhook;     /* [server] webhook-* settings */
} HfConfig;

/* Parse and validate.  On failure @error says which group and key is
 * wrong and why; nothing is returned. */
HfConfig *hf_config_load_data (const gchar * data, gsize length,
    GError ** error);
HfConfig *hf_config_load_file (const gchar * path, GError ** error);
void hf_config_free (HfConfig * config);
gboolean hf_output_spec_parse (const gchar * url, HfOutputSpec * spec,
    GError ** error);
void hf_output_spec_clear (HfOutputSpec * spec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HfConfig, hf_config_free)

/* ---- Events -------------------------------------------------------------- */

/* The relay's event log: every transition of every stream (input health,
 * switches, slate on/off, reverts, operator switches), with an id that
 * grows by one per event, kept in a ring of the last @capacity.  Adding
 * logs the event at INFO.  Any thread (one lock, held only to copy). */
typedef struct _HfEvents HfEvents;

/* (transfer full) */
HfEvents *hf_events_new (guint capacity);
void hf_events_free (HfEvents * events);
/* Records an event; the strings are copied (@from, @to may be NULL).
 * @mono_us: g_get_monotonic_time () scale; @wall_us: g_get_real_time ()
 * scale.  Returns its id (the first is 1). */
guint64 hf_events_add (HfEvents * events, const gchar * stream,
    const gchar * type, const gchar * input, const gchar * from,
    const gchar * to, const gchar * reason, gint64 mono_us, gint64 wall_us);
/* (transfer full) a JSON object:
 *   {"events": [{"id", "time" (ISO 8601 UTC, ms), "mono_ms", "stream",
 *                "type", "input", "from", "to", "reason"}, ...],
 *    "last_id": N,       (the id of the newest event, 0 when none)
 *    "oldest_id": N}     (the oldest still kept: a client that asked for
 *                         since < oldest_id - 1 missed some)
 * with the events whose id > @since, oldest first, of @stream only unless
 * it is NULL. */
JsonNode *hf_events_to_json (HfEvents * events, guint64 since,
    const gchar * stream);
guint64 hf_events_last_id (HfEvents * events);
/* (transfer full) @wall_us as ISO 8601 UTC with milliseconds:
 * "2024-05-01T12:34:56.789Z". */
gchar *hf_events_format_time (gint64 wall_us);

/* ---- Streams ------------------------------------------------------------- */

typedef struct _HfStream HfStream;

/* (transfer full).  @config is (transfer none) and must outlive the
 * stream; so must @events (transfer none), where its transitions go. */
HfStream *hf_stream_new (const HfStreamConfig * config, HfEvents * events);
gboolean hf_stream_start (HfStream * stream, GError ** error);
void hf_stream_stop (HfStream * stream);
void hf_stream_free (HfStream * stream);
const gchar *hf_stream_get_name (HfStream * stream);
/* Once a second: refreshes input figures. */
void hf_stream_tick (HfStream * stream, gint64 now_us);
/* Every HF_STREAM_OUTPUT_TICK_MS: each output samples its link and, with a
 * ladder, decides its rung. */
#define HF_STREAM_OUTPUT_TICK_MS 200
void hf_stream_tick_outputs (HfStream * stream, gint64 now_us);
/* (transfer full) the stream's figures as the API serves them. */
JsonNode *hf_stream_to_json (HfStream * stream, gint64 now_us);
/* An operator's switch (POST /api/v1/streams/NAME/switch): @input names
 * the input by name, by index ("0", "1") or "auto" (back to automatic
 * choice).  Returns (transfer full) the answer object:
 *   {"stream", "requested", "result": "done"|"pending"|"already"|"auto"|
 *    "refused", "on_air", "message"}
 * and sets @http_status (200, 202 for pending, 404 unknown input, 409
 * refused).  Control thread. */
JsonNode *hf_stream_request_switch (HfStream * stream, const gchar * input,
    guint * http_status);

/* ---- Alerts -------------------------------------------------------------- */

/* Alert rules and their state machine (relay/hf-alerts.c): plain C + GLib,
 * time passed in, no sockets.  A rule compares one figure of a stream or of
 * each of its inputs with a threshold; an instance (rule x stream [x input])
 * whose condition holds for the rule's for-duration fires, and resolves
 * when it no longer holds.  Each firing and each resolution is one
 * notification: never two for one transition. */

typedef enum
{
  HF_ALERT_WARNING,
  HF_ALERT_CRITICAL
} HfAlertSeverity;

const gchar *hf_alert_severity_to_string (HfAlertSeverity severity);

/* What a rule's expression can name.  Input figures make one instance per
 * input, stream figures one per stream.  Booleans are 1 or 0. */
typedef enum
{
  HF_FIGURE_INPUT_LOST,         /* input.lost: health is LOST */
  HF_FIGURE_INPUT_DEGRADED,     /* input.degraded: health is DEGRADED */
  HF_FIGURE_INPUT_ON_AIR,       /* input.on_air */
  HF_FIGURE_INPUT_LOSS_RATIO,   /* input.loss_ratio: 0..1, the last seconds */
  HF_FIGURE_INPUT_JITTER_SECONDS,       /* input.jitter_seconds */
  HF_FIGURE_INPUT_RTT_SECONDS,  /* input.rtt_seconds (SRT only) */
  HF_FIGURE_INPUT_BITRATE_BPS,  /* input.bitrate_bps */
  HF_FIGURE_INPUT_LAST_PACKET_AGE_SECONDS,      /* input.last_packet_age_seconds */
  HF_FIGURE_STREAM_SLATE,       /* stream.slate: the slate is on air */
  HF_FIGURE_STREAM_ON_AIR_DEGRADED,     /* stream.on_air_degraded: the input
                                         * on air is DEGRADED */
  HF_FIGURE_STREAM_RECENT_FAILOVERS,    /* stream.recent_failovers: automatic
                                         * failovers in the last 60 s */
  HF_FIGURE_STREAM_VIEWERS,     /* stream.viewers: over every output */
  HF_FIGURE_N
} HfFigure;

/* "input.loss_ratio" etc.; NULL for HF_FIGURE_N. */
const gchar *hf_figure_to_string (HfFigure figure);
gboolean hf_figure_is_input (HfFigure figure);

typedef enum
{
  HF_ALERT_OP_GT,               /* > */
  HF_ALERT_OP_GE,               /* >= */
  HF_ALERT_OP_LT,               /* < */
  HF_ALERT_OP_LE,               /* <= */
  HF_ALERT_OP_EQ,               /* == */
  HF_ALERT_OP_NE                /* != */
} HfAlertOp;

const gchar *hf_alert_op_to_string (HfAlertOp op);

typedef struct
{
  gchar *name;                  /* the [alert NAME] */
  gchar *expr;                  /* as written, e.g. "input.loss_ratio > 2%" */
  HfFigure figure;
  HfAlertOp op;
  gdouble threshold;            /* in the figure's base unit */
  gint64 for_us;                /* the condition holds this long: fire */
  HfAlertSeverity severity;
  gchar *stream;                /* only this stream; NULL: every stream */
  gchar *summary;               /* NULL: one is made from the expression */
  gboolean enabled;
  gboolean builtin;             /* one of the defaults (maybe overridden) */
} HfAlertRule;

void hf_alert_rule_free (HfAlertRule * rule);

/* Parses "FIGURE OP NUMBER[UNIT]": FIGURE as hf_figure_to_string () names
 * it, OP one of > >= < <= == !=, the number with an optional unit that
 * converts to the figure's base unit: "%" (ratio: 2% = 0.02), "ms", "s",
 * "k", "M" (bitrates: 500k = 500000).  Spaces between the parts are
 * optional.  Untrusted text (config): a clear error, never an assertion. */
gboolean hf_alert_expr_parse (const gchar * text, HfFigure * figure,
    HfAlertOp * op, gdouble * threshold, GError ** error);

/* The built-in rules, in this order, all enabled:
 *   input-lost       input.lost == 1              for 0s   critical
 *   on-air-degraded  stream.on_air_degraded == 1  for 0s   warning
 *   input-loss       input.loss_ratio > 2%        for 10s  warning
 *   slate-on-air     stream.slate == 1            for 0s   critical
 *   failover         stream.recent_failovers > 0  for 0s   warning
 * then every [alert NAME] group of @kf applied over them: a group named as
 * a built-in changes only the keys it sets (enabled = false turns it off);
 * any other name is a new rule and needs expr.  Keys: expr, for (a
 * duration: "0", "500ms", "10s", "2m"), severity (warning | critical),
 * stream, summary, enabled (true | false).  An unknown key, a bad value or
 * a new rule without expr is an error naming the group and key
 * (HF_CONFIG_ERROR_INVALID).
 * Returns: (transfer full) (element-type HfAlertRule) the rules, disabled
 * ones included; NULL on error. */
GPtrArray *hf_alert_rules_load (GKeyFile * kf, GError ** error);

/* One stream's or one input's figures at one evaluation: @values indexed
 * by HfFigure; NAN where unknown or not of this scope.  An unknown figure
 * never starts or continues a pending condition, and never resolves an
 * alert already firing (an SRT link that went down has no RTT: that is no
 * all-clear). */
typedef struct
{
  const gchar *stream;
  const gchar *input;           /* NULL: the stream's own figures */
  gdouble values[HF_FIGURE_N];
} HfAlertSample;

void hf_alert_sample_init (HfAlertSample * sample, const gchar * stream,
    const gchar * input);

typedef struct _HfAlerts HfAlerts;

/* (transfer full).  @rules is (transfer none) (element-type HfAlertRule):
 * it is copied. */
HfAlerts *hf_alerts_new (GPtrArray * rules);
void hf_alerts_free (HfAlerts * alerts);

/* Evaluates every enabled rule over @samples (every stream's and every
 * input's sample, each evaluation).  An instance whose condition holds is
 * pending, and fires once it has held for the rule's for-duration (at
 * once when that is 0); a firing instance resolves when its condition is
 * false on a known figure, or when its stream/input is no longer in
 * @samples.  Appends one
 * notification per transition to @out (transfer full JsonNode objects):
 *   {"id": N (grows by one per notification), "alert": NAME,
 *    "state": "firing" | "resolved", "severity": "warning" | "critical",
 *    "stream": NAME, "input": NAME | null, "expr": "...",
 *    "value": the figure when it fired / resolved (null if unknown),
 *    "threshold": N, "for_s": N, "summary": "a sentence",
 *    "started_at": ISO 8601 UTC ms, "started_mono_ms": N,
 *    "resolved_at": ISO 8601 | null, "resolved_mono_ms": N | null,
 *    "duration_s": N (firing: 0)}
 * @now_us: monotonic; @wall_us: g_get_real_time () scale. */
void hf_alerts_evaluate (HfAlerts * alerts, gint64 now_us, gint64 wall_us,
    const HfAlertSample * samples, guint n_samples, GPtrArray * out);

/* (transfer full) {"firing": [notification-shaped objects of the instances
 * firing now, state "firing"], "recent": [the last 100 notifications,
 * newest first], "rules": [{"name", "expr", "for_s", "severity", "stream",
 * "enabled", "builtin", "firing": N, "pending": N}]} */
JsonNode *hf_alerts_to_json (HfAlerts * alerts, gint64 now_us);

typedef struct
{
  const HfAlertRule *rule;      /* (transfer none) */
  guint firing;                 /* instances firing now */
  guint pending;                /* instances whose condition holds, not yet
                                 * for long enough */
  guint64 fired_total;          /* notifications "firing" so far */
  guint64 resolved_total;       /* notifications "resolved" so far */
} HfAlertRuleStats;

guint hf_alerts_get_n_rules (HfAlerts * alerts);
void hf_alerts_get_rule_stats (HfAlerts * alerts, guint i,
    HfAlertRuleStats * stats);

/* ---- Webhooks ------------------------------------------------------------ */

/* Delivers JSON notifications to one URL by HTTP POST (relay/hf-webhook.c,
 * libsoup 3, asynchronous on the GMainContext that is thread-default when
 * it is made: the control context).  One at a time and in order; a failed
 * attempt (no connection, a timeout, a status other than 2xx) is retried
 * after backoff_ms, doubled each retry up to max_backoff_ms, until
 * max_attempts; then it is given up (logged at WARNING, counted) and the
 * next one goes.  Beyond max_queue waiting notifications the oldest is
 * dropped and counted.  Every attempt is logged (INFO on success). */
struct _HfWebhookConfig
{
  gint timeout_ms;              /* per attempt: default 5000 */
  guint max_attempts;           /* default 5 */
  gint backoff_ms;              /* the first retry's delay: default 1000 */
  gint max_backoff_ms;          /* default 30000 */
  guint max_queue;              /* default 256 */
};

void hf_webhook_config_init (HfWebhookConfig * config);

typedef struct _HfWebhook HfWebhook;

/* (transfer full); NULL with @error when @url is not an http(s) URL.
 * @config is copied (NULL: the defaults). */
HfWebhook *hf_webhook_new (const gchar * url, const HfWebhookConfig * config,
    GError ** error);
/* Cancels what is in flight and drops what waits. */
void hf_webhook_free (HfWebhook * webhook);
/* The URL without any password (what logs, the API and /metrics show). */
const gchar *hf_webhook_get_url (HfWebhook * webhook);
/* Queues @body (transfer none; serialised now). */
void hf_webhook_post (HfWebhook * webhook, JsonNode * body);

typedef struct
{
  guint64 queued;               /* notifications handed to post () */
  guint64 delivered;            /* answered 2xx */
  guint64 attempts;             /* POSTs sent */
  guint64 failed_attempts;      /* attempts that failed */
  guint64 given_up;             /* notifications dropped after max_attempts */
  guint64 dropped;              /* dropped because the queue was full */
  guint waiting;                /* queued now, the one in flight included */
} HfWebhookStats;

void hf_webhook_get_stats (HfWebhook * webhook, HfWebhookStats * stats);
/* (transfer full) {"url", "queued", "delivered", "attempts",
 * "failed_attempts", "given_up", "dropped", "waiting", "last_error"
 * (null or a sentence)} */
JsonNode *hf_webhook_to_json (HfWebhook * webhook);

/* An output's figures, for metrics (control thread). */
typedef struct
{
  const gchar *name;            /* (transfer none): the output's */
  HfOutputKind kind;
  guint viewers;                /* SRT: connected peers; RTP: 1 once sending */
  guint64 connections;
  guint64 bytes_sent;
  guint64 packets_sent;
  guint64 dropped_packets;
  /* Rendition ladder: the rung sent now (0 is the top, or the program
   * itself when the stream has no ladder), its bitrate (0: the program's,
   * unknown) and the switches so far. */
  guint rung;
  guint64 rung_bitrate_bps;
  guint64 rung_switches;
  /* RTP outputs: repair sent (from hfrtpsink's stats). */
  guint64 rtx_sent;
  guint64 fec_packets;
  gdouble fec_percent;
} HfOutputFigures;


/* ---- Snapshots: one stream's figures at one moment ------------------------ */

/* Automatic failovers counted by what they left, where they went and why
 * (reason: "input_lost", "input_degraded" or "other"). */
typedef struct
{
  const gchar *from;            /* (transfer none): interned */
  const gchar *to;              /* (transfer none): interned; "slate", "none" */
  const gchar *reason;          /* (transfer none): static */
  guint64 count;
} HfFailoverCount;

typedef struct
{
  const gchar *name;            /* (transfer none): valid while the stream */
  HfHealthState health;
  gboolean on_air;
  HfInputStats stats;
} HfInputSnapshot;

#define HF_SNAPSHOT_SLATE (-2)

typedef struct
{
  const gchar *name;            /* (transfer none): valid while the stream */
  gint on_air;                  /* input index, -1 none, HF_SNAPSHOT_SLATE */
  HfSwitchStats sw;
  guint64 program_bytes;
  guint program_restarts;
  guint recent_failovers;       /* in the last 60 s */
  guint viewers;                /* over every output */
  GArray *inputs;               /* (element-type HfInputSnapshot) */
  GArray *outputs;              /* (element-type HfOutputFigures) */
  GArray *failovers;            /* (element-type HfFailoverCount) */
} HfStreamSnapshot;

/* Fills @snap (which the caller clears with hf_stream_snapshot_clear ()).
 * Control thread. */
void hf_stream_snapshot (HfStream * stream, gint64 now_us,
    HfStreamSnapshot * snap);
void hf_stream_snapshot_clear (HfStreamSnapshot * snap);

/* Appends to @samples (element-type HfAlertSample) one sample of the
 * stream's figures and one per input, for the alert engine.  The strings
 * stay valid while the stream lives. */
void hf_stream_snapshot_alert_samples (const HfStreamSnapshot * snap,
    GArray * samples);

/* The last 5 minutes of the stream's figures, one sample a second, as
 * GET /api/v1/history serves them: {"name", "samples": [...]} (transfer
 * full). */
JsonNode *hf_stream_history_to_json (HfStream * stream);

/* ---- Metrics --------------------------------------------------------------- */

/* What /metrics shows besides the streams. */
typedef struct
{
  gint64 start_wall_us;
  guint64 http_requests;
  guint64 http_bad_requests;
  guint64 events_total;
  guint sse_clients;
  guint64 sse_dropped_slow;     /* clients cut off for not reading */
  HfAlerts *alerts;             /* (nullable) */
  GPtrArray *webhooks;          /* (nullable) (element-type HfWebhook) */
} HfMetricsServer;

/* Appends the Prometheus text exposition (format 0.0.4) of @snaps
 * (n_snaps of them) and @server to @out.  Pure: no I/O, no clocks. */
void hf_metrics_render (GString * out, const HfStreamSnapshot * snaps,
    guint n_snaps, const HfMetricsServer * server);

/* ---- HTTP API ------------------------------------------------------------ */

typedef struct _HfApi HfApi;

/* Serves the API on @host:@port; @streams is (transfer none), (element-type
 * HfStream), and must outlive the API. */
HfApi *hf_api_new (const gchar * host, guint16 port, GPtrArray * streams,
    HfEvents * events, GError ** error);
void hf_api_free (HfApi * api);
/* @alerts and @webhooks (element-type HfWebhook) are (transfer none),
 * (nullable), and must outlive the API: served at GET /api/v1/alerts and
 * in /metrics. */
void hf_api_set_alerts (HfApi * api, HfAlerts * alerts, GPtrArray * webhooks);
/* Sends an alert notification (transfer none) to the live event stream's
 * clients.  Control thread. */
void hf_api_publish_alert (HfApi * api, JsonNode * notification);
/* Runs the alert rules over every stream's figures: each notification is
 * logged, published to the event stream and posted to every webhook.
 * Control thread. */
void hf_api_evaluate_alerts (HfApi * api, gint64 now_us, gint64 wall_us);
guint64 hf_api_get_bad_requests (HfApi * api);

G_END_DECLS
#endif
