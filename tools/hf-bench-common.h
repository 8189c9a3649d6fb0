/* hf-bench-common: what the benchmark tools hf-bench-latency and
 * hf-bench-failover share.  Both encode a live test picture, send it as
 * MPEG-TS over SRT (or RTP) through a relay and tell the frames a viewer
 * gets apart by the hash of their first coded slice; both end with figures
 * printed as a line of JSON.  See hf-bench-common.c for which threads enter
 * which part.
 */

#ifndef __HF_BENCH_COMMON_H__
#define __HF_BENCH_COMMON_H__

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#ifndef HF_VERSION
#define HF_VERSION "dev"
#endif

#define HF_BENCH_EXIT_OK 0
#define HF_BENCH_EXIT_FAILURE 1
#define HF_BENCH_EXIT_USAGE 2

/* How much of a slice is hashed: enough to hold the slice header and the
 * first macroblocks, which differ from frame to frame. */
#define HF_BENCH_HASH_BYTES 256
#define HF_BENCH_FPS 30
/* Every encoder's GOP (x264 key-int-max), in frames: 1 s. */
#define HF_BENCH_GOP 30
/* The SRT latency the relay uses when its URL does not say. */
#define HF_BENCH_SRT_LATENCY_MS "120"
#define HF_BENCH_MS (G_USEC_PER_SEC / 1000)

/* ---- Frame identity (any thread) ---------------------------------------- */

gboolean hf_bench_hash_first_slice (const guint8 * data, gsize size,
    guint64 * hash);
gboolean hf_bench_hash_buffer (GstBuffer * buf, guint64 * hash);

/* ---- Pipelines (control thread) ----------------------------------------- */

/* A live encoder: x264 at HF_BENCH_FPS with a GOP of HF_BENCH_GOP and, if
 * audio_freq > 0, an AAC tone, both into one mpegtsmux. */
typedef struct
{
  gint width;
  gint height;
  gint bitrate;                 /* video, kbit/s */
  const gchar *picture;         /* more videotestsrc properties, or "" */
  gint audio_freq;              /* Hz; 0 for video only */
  gint audio_bitrate;           /* bit/s */
} HfBenchEncoder;

/* How hf_bench_receiver_new () builds a receiver. */
typedef enum
{
  HF_BENCH_RECEIVER_DEFAULT = 0,
  /* tsdemux ignores the PCR: PTS stay on the relay's own timeline. */
  HF_BENCH_RECEIVER_IGNORE_PCR = 1 << 0,
  /* Each new video pad of tsdemux is linked in place of the old one, so a
   * relay that restarts its program keeps the receiver fed. */
  HF_BENCH_RECEIVER_RELINK = 1 << 1
} HfBenchReceiverFlags;

gchar *hf_bench_srt_uri (const gchar * url, GError ** error);
gchar *hf_bench_encoder_description (const HfBenchEncoder * encoder);
GstElement *hf_bench_receiver_new (const gchar * tool, const gchar * uri,
    HfBenchReceiverFlags flags, GstFlowReturn (*new_sample) (GstAppSink *
        sink, gpointer user_data), gpointer user_data, GError ** error);
void hf_bench_add_probe (GstElement * pipeline, const gchar * name,
    GstPadProbeType type, GstPadProbeCallback callback, gpointer user_data);
guint hf_bench_add_bus_watch (GstElement * pipeline, GstBusFunc func,
    gpointer user_data);
void hf_bench_print_error (const gchar * tool, const gchar * side,
    const gchar * url, GstMessage * msg);
gchar *hf_bench_udp_properties (const gchar * url, GError ** error);
gboolean hf_bench_parse_args (const gchar * tool, const gchar * summary,
    const gchar * description, const GOptionEntry * entries, gboolean hint,
    gint * argc, gchar *** argv, gint * exit_code);

/* ---- The relay's HTTP API (one thread at a time) ------------------------ */

typedef struct
{
  const gchar *tool;            /* (transfer none) prefix of messages */
  gchar *url;                   /* (owned) http://HOST:PORT, or NULL */
  SoupSession *session;         /* (owned) made on first use */
} HfBenchApi;

JsonNode *hf_bench_api_get (HfBenchApi * api, const gchar * path);
GPtrArray *hf_bench_api_events (HfBenchApi * api);
void hf_bench_api_clear (HfBenchApi * api);
gdouble hf_bench_json_number (JsonObject * o, const gchar * name,
    gdouble def);
const gchar *hf_bench_json_string (JsonObject * o, const gchar * name);

/* ---- Figures (the thread that owns the values) -------------------------- */

/* A summary being built: the human line (text, NULL for JSON only) and the
 * JSON line side by side, so that they cannot disagree.  Both are owned by
 * the report between _begin and _end; a caller may append to text. */
typedef struct
{
  GString *text;
  GString *json;
} HfBenchReport;

gint hf_bench_compare_int64 (gconstpointer a, gconstpointer b);
gint64 hf_bench_percentile (GArray * values, guint pct);
gdouble hf_bench_median (GArray * values);
void hf_bench_append (GArray * values, gint64 v);
const gchar *hf_bench_ms (gchar * buf, gsize size, gint64 us);
void hf_bench_report_begin (HfBenchReport * r, const gchar * scenario);
void hf_bench_report_int (HfBenchReport * r, const gchar * name, gint64 v);
void hf_bench_report_ms (HfBenchReport * r, const gchar * name, gdouble us);
void hf_bench_report_stat (HfBenchReport * r, const gchar * name,
    GArray * values, gboolean in_us, gboolean p95, gint target);
void hf_bench_report_end (HfBenchReport * r);

G_END_DECLS

#endif /* __HF_BENCH_COMMON_H__ */
