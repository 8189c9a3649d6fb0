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

typedef struct
{
  gchar *name;
  guint n_inputs;
  HfInputSpec *inputs;          /* priority order: [0] is the primary */
  gchar **input_names;
  guint n_outputs;
  HfOutputSpec *outputs;
  gint input_timeout_ms;
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

/* ---- Streams ------------------------------------------------------------- */

typedef struct _HfStream HfStream;

/* (transfer full).  @config is (transfer none) and must outlive the
 * stream. */
HfStream *hf_stream_new (const HfStreamConfig * config);
gboolean hf_stream_start (HfStream * stream, GError ** error);
void hf_stream_stop (HfStream * stream);
void hf_stream_free (HfStream * stream);
const gchar *hf_stream_get_name (HfStream * stream);
/* Once a second: refreshes input figures. */
void hf_stream_tick (HfStream * stream, gint64 now_us);
/* (transfer full) the stream's figures as the API serves them. */
JsonNode *hf_stream_to_json (HfStream * stream, gint64 now_us);

/* ---- HTTP API ------------------------------------------------------------ */

typedef struct _HfApi HfApi;

/* Serves the API on @host:@port; @streams is (transfer none), (element-type
 * HfStream), and must outlive the API. */
HfApi *hf_api_new (const gchar * host, guint16 port, GPtrArray * streams,
    GError ** error);
void hf_api_free (HfApi * api);
guint64 hf_api_get_bad_requests (HfApi * api);

G_END_DECLS
#endif
