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
} HfOutputSpec;

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
} HfStreamConfig;

typedef struct
{
  gchar *http_host;
  guint16 http_port;
  GPtrArray *streams;           /* (element-type HfStreamConfig) */
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

/* ---- HTTP API ------------------------------------------------------------ */

typedef struct _HfApi HfApi;

/* Serves the API on @host:@port; @streams is (transfer none), (element-type
 * HfStream), and must outlive the API. */
HfApi *hf_api_new (const gchar * host, guint16 port, GPtrArray * streams,
    HfEvents * events, GError ** error);
void hf_api_free (HfApi * api);
guint64 hf_api_get_bad_requests (HfApi * api);

G_END_DECLS
#endif
