/* hf-bench-latency: per-frame latency from an encoder to a viewer, for
 * `make bench`.
 *
 *   hf-bench-latency --send URL --recv URL [--seconds N] [--bitrate KBPS]
 *                    [--width W --height H]
 *
 * One process runs both ends.  The sender encodes a live test picture with
 * x264 (and, as a real encoder, a 440 Hz AAC tone unless --no-audio) and
 * sends it as MPEG-TS over SRT to --send; the receiver takes MPEG-TS over
 * SRT from --recv, demuxes and parses it into access units.
 * A relay in between restamps and remuxes, so PTS values cannot be used to
 * pair frames; the H.264 slice data survives, so each side hashes the first
 * coded slice of every access unit (FNV-1a 64 over at most its first 256
 * bytes, hf-bench-common.c) and the receiver looks the hash up in the table
 * the sender filled.
 * The difference of the two g_get_monotonic_time () readings is the frame's
 * latency.  The receiver is started first, then the sender; frames received
 * in the first two seconds are not counted (start-up, a relay's cached
 * GOP).  At the end one line of JSON goes to stdout:
 *
 *   {"frames":..,"unmatched":..,"median_ms":..,"p95_ms":..,"min_ms":..,
 *    "max_ms":..}
 *
 * Threads: main () and the bus, timer and signal callbacks run on the
 * default GMainContext (the control thread).  hf_bench_on_sent () runs on
 * the sender's encoder streaming thread, hf_bench_on_received () on the
 * receiver's appsink streaming thread; they share the table of sent frames
 * under sent_lock and hand results to the control thread under
 * results_lock.
 */

#include "tools/hf-bench-common.h"

#include <glib-unix.h>

#define HF_BENCH_WARMUP_US (2 * G_USEC_PER_SEC)
#define HF_BENCH_MIN_FRAMES 30
#define HF_BENCH_FIRST_FRAME_TIMEOUT_US (10 * G_USEC_PER_SEC)
#define HF_BENCH_POLL_MS 20
/* A sent frame not received after this long was lost; its entry must not
 * pair with a later frame that happens to start with the same bytes. */
#define HF_BENCH_STALE_US (3 * G_USEC_PER_SEC)

typedef struct
{
  guint64 hash;                 /* the key of the table points here */
  GArray *times_us;             /* (element-type gint64): oldest first */
} HfBenchSent;

typedef struct
{
  /* Options (control thread, read-only once the pipelines exist). */
  gchar *send_url;
  gchar *recv_url;
  gint seconds;
  gint bitrate;
  gint width;
  gint height;
  gboolean audio;

  /* Control thread only. */
  GMainLoop *loop;
  GstElement *sender;
  GstElement *receiver;
  gint64 started_us;
  gboolean finished;
  gint exit_code;

  /* Written by the sender's streaming thread, read and consumed by the
   * receiver's. */
  GMutex sent_lock;
  GHashTable *sent;             /* guint64 hash -> HfBenchSent */
  guint duplicates;             /* same hash as a frame still in flight */

  /* Written by the receiver's streaming thread, read by the control
   * thread. */
  GMutex results_lock;
  gint64 first_frame_us;        /* 0 until the first access unit */
  gboolean stop_counting;
  GArray *latencies_us;         /* (element-type gint64): after warm-up */
  guint unmatched;              /* after warm-up */
  guint received;               /* all access units, warm-up included */
} HfBench;

/* ---------------------------------------------------------------------- */
/* Frames                                                                  */

static void
hf_bench_sent_free (gpointer data)
{
  HfBenchSent *s = data;

  g_array_unref (s->times_us);
  g_free (s);
}

/* Drops the send times of frames that must have been lost.  Called with
 * sent_lock held. */
static void
hf_bench_prune_locked (HfBenchSent * s, gint64 now_us)
{
  guint n = 0;

  while (n < s->times_us->len &&
      now_us - g_array_index (s->times_us, gint64, n) > HF_BENCH_STALE_US)
    n++;
  if (n > 0)
    g_array_remove_range (s->times_us, 0, n);
}

/* Buffer probe on the sender's recording branch: one access unit from
 * h264parse.  Sender's encoder streaming thread. */
static GstPadProbeReturn
hf_bench_on_sent (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  HfBench *bench = user_data;
  gint64 now_us = g_get_monotonic_time ();
  HfBenchSent *s;
  guint64 hash;

  if (!hf_bench_hash_buffer (GST_PAD_PROBE_INFO_BUFFER (info), &hash))
    return GST_PAD_PROBE_OK;

  g_mutex_lock (&bench->sent_lock);
  s = g_hash_table_lookup (bench->sent, &hash);
  if (s == NULL) {
    s = g_new0 (HfBenchSent, 1);
    s->hash = hash;
    s->times_us = g_array_new (FALSE, FALSE, sizeof (gint64));
    g_hash_table_insert (bench->sent, &s->hash, s);
  }
  hf_bench_prune_locked (s, now_us);
  if (s->times_us->len > 0)
    bench->duplicates++;
  g_array_append_val (s->times_us, now_us);
  g_mutex_unlock (&bench->sent_lock);
  return GST_PAD_PROBE_OK;
}

/* Takes the oldest send time recorded for hash; returns FALSE if there is
 * none.  Receiver's streaming thread. */
static gboolean
hf_bench_take_sent (HfBench * bench, guint64 hash, gint64 now_us,
    gint64 * sent_us)
{
  HfBenchSent *s;
  gboolean found = FALSE;

  g_mutex_lock (&bench->sent_lock);
  s = g_hash_table_lookup (bench->sent, &hash);
  if (s != NULL) {
    hf_bench_prune_locked (s, now_us);
    if (s->times_us->len > 0) {
      *sent_us = g_array_index (s->times_us, gint64, 0);
      g_array_remove_index (s->times_us, 0);
      found = TRUE;
    }
    if (s->times_us->len == 0)
      g_hash_table_remove (bench->sent, &hash);
  }
  g_mutex_unlock (&bench->sent_lock);
  return found;
}

/* appsink new-sample: one demuxed, parsed access unit.  Receiver's
 * streaming thread. */
static GstFlowReturn
hf_bench_on_received (GstAppSink * sink, gpointer user_data)
{
  HfBench *bench = user_data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  gint64 now_us = g_get_monotonic_time ();
  gint64 sent_us = 0;
  gboolean matched = FALSE;
  guint64 hash;

  if (sample == NULL)
    return GST_FLOW_EOS;
  if (hf_bench_hash_buffer (gst_sample_get_buffer (sample), &hash))
    matched = hf_bench_take_sent (bench, hash, now_us, &sent_us);
  gst_sample_unref (sample);

  g_mutex_lock (&bench->results_lock);
  bench->received++;
  if (bench->first_frame_us == 0)
    bench->first_frame_us = now_us;
  if (!bench->stop_counting &&
      now_us - bench->first_frame_us >= HF_BENCH_WARMUP_US) {
    if (matched) {
      gint64 latency_us = now_us - sent_us;

      g_array_append_val (bench->latencies_us, latency_us);
    } else {
      bench->unmatched++;
    }
  }
  g_mutex_unlock (&bench->results_lock);
  return GST_FLOW_OK;
}

/* ---------------------------------------------------------------------- */
/* Pipelines                                                               */

/* Builds both pipelines.  srtsink and srtsrc do not reconnect: a broken
 * connection spoils the measurement, so it fails the run.  The SRT sink
 * does not sync on the clock: the live source paces the frames and syncing
 * would only add the sender pipeline's latency to every figure.  Control
 * thread. */
static gboolean
hf_bench_build (HfBench * bench, GError ** error)
{
  HfBenchEncoder encoder = {.width = bench->width,.height = bench->height,
    .bitrate = bench->bitrate,.picture = "",
    .audio_freq = bench->audio ? 440 : 0,.audio_bitrate = 128000
  };
  gchar *send_uri, *recv_uri, *encoder_desc, *desc;

  send_uri = hf_bench_srt_uri (bench->send_url, error);
  if (send_uri == NULL)
    return FALSE;
  encoder_desc = hf_bench_encoder_description (&encoder);
  desc = g_strdup_printf ("%s ! srtsink name=srt sync=false "
      "auto-reconnect=false uri=\"%s\"", encoder_desc, send_uri);
  bench->sender = gst_parse_launch_full (desc, NULL,
      GST_PARSE_FLAG_FATAL_ERRORS, error);
  g_free (desc);
  g_free (encoder_desc);
  g_free (send_uri);
  if (bench->sender == NULL)
    return FALSE;
  hf_bench_add_probe (bench->sender, "stamp", GST_PAD_PROBE_TYPE_BUFFER,
      hf_bench_on_sent, bench);

  recv_uri = hf_bench_srt_uri (bench->recv_url, error);
  if (recv_uri == NULL)
    return FALSE;
  bench->receiver = hf_bench_receiver_new ("hf-bench-latency", recv_uri,
      HF_BENCH_RECEIVER_DEFAULT, hf_bench_on_received, bench, error);
  g_free (recv_uri);
  return bench->receiver != NULL;
}

/* ---------------------------------------------------------------------- */
/* Run                                                                     */

/* Ends the run; the exit code is kept if it is already a failure.  Control
 * thread. */
static void
hf_bench_finish (HfBench * bench, gint exit_code)
{
  if (bench->finished)
    return;
  bench->finished = TRUE;
  if (bench->exit_code == HF_BENCH_EXIT_OK)
    bench->exit_code = exit_code;
  g_mutex_lock (&bench->results_lock);
  bench->stop_counting = TRUE;
  g_mutex_unlock (&bench->results_lock);
  g_main_loop_quit (bench->loop);
}

/* Bus watch of both pipelines.  Control thread. */
static gboolean
hf_bench_on_bus_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  HfBench *bench = user_data;
  gboolean from_sender = gst_object_has_as_ancestor (GST_MESSAGE_SRC (msg),
      GST_OBJECT (bench->sender));
  const gchar *side = from_sender ? "sender" : "receiver";
  const gchar *url = from_sender ? bench->send_url : bench->recv_url;

  if (bench->finished)
    return G_SOURCE_CONTINUE;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:
      hf_bench_print_error ("hf-bench-latency", side, url, msg);
      if (from_sender)
        g_printerr ("hf-bench-latency: the sender does not reconnect; is "
            "the peer listening on %s?\n", url);
      hf_bench_finish (bench, HF_BENCH_EXIT_FAILURE);
      break;
    case GST_MESSAGE_EOS:
      /* Only a peer that went away ends a live stream: the run is cut
       * short, which is a failure like a broken connection. */
      g_printerr ("hf-bench-latency: %s (%s): the stream ended before the "
          "run did (peer gone?)\n", side, url);
      hf_bench_finish (bench, HF_BENCH_EXIT_FAILURE);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* Every HF_BENCH_POLL_MS: ends the run N seconds after the first frame,
 * or fails it if no frame came.  Control thread. */
static gboolean
hf_bench_on_poll (gpointer user_data)
{
  HfBench *bench = user_data;
  gint64 now_us = g_get_monotonic_time ();
  gint64 first_us;

  g_mutex_lock (&bench->results_lock);
  first_us = bench->first_frame_us;
  g_mutex_unlock (&bench->results_lock);

  if (first_us == 0 &&
      now_us - bench->started_us > HF_BENCH_FIRST_FRAME_TIMEOUT_US) {
    g_printerr ("hf-bench-latency: no frame received on %s within %d s\n",
        bench->recv_url, (gint) (HF_BENCH_FIRST_FRAME_TIMEOUT_US /
            G_USEC_PER_SEC));
    hf_bench_finish (bench, HF_BENCH_EXIT_FAILURE);
  } else if (first_us != 0 &&
      now_us - first_us >= (gint64) bench->seconds * G_USEC_PER_SEC) {
    hf_bench_finish (bench, HF_BENCH_EXIT_OK);
  }
  return G_SOURCE_CONTINUE;
}

/* SIGINT, SIGTERM.  Control thread. */
static gboolean
hf_bench_on_signal (gpointer user_data)
{
  HfBench *bench = user_data;

  g_printerr ("hf-bench-latency: interrupted\n");
  hf_bench_finish (bench, HF_BENCH_EXIT_FAILURE);
  return G_SOURCE_CONTINUE;
}

/* Prints the JSON line; returns the exit code.  Control thread, after both
 * pipelines stopped. */
static gint
hf_bench_report (HfBench * bench)
{
  GArray *lat = bench->latencies_us;
  guint n = lat->len;
  HfBenchReport report;

  /* Latencies are never negative: an empty list gives nulls. */
  hf_bench_report_begin (&report, NULL);
  hf_bench_report_int (&report, "frames", n);
  hf_bench_report_int (&report, "unmatched", bench->unmatched);
  hf_bench_report_ms (&report, "median_ms", hf_bench_median (lat));
  hf_bench_report_ms (&report, "p95_ms", hf_bench_percentile (lat, 95));
  hf_bench_report_ms (&report, "min_ms", hf_bench_percentile (lat, 0));
  hf_bench_report_ms (&report, "max_ms", hf_bench_percentile (lat, 100));
  hf_bench_report_end (&report);

  if (bench->duplicates > 0)
    g_printerr ("hf-bench-latency: %u frames began with the same %d bytes "
        "as a frame still in flight (paired oldest first)\n",
        bench->duplicates, HF_BENCH_HASH_BYTES);
  if (bench->exit_code != HF_BENCH_EXIT_OK)
    return bench->exit_code;
  if (n < HF_BENCH_MIN_FRAMES) {
    g_printerr ("hf-bench-latency: only %u frames matched (at least %d "
        "needed); %u received in all, %u unmatched after warm-up\n", n,
        HF_BENCH_MIN_FRAMES, bench->received, bench->unmatched);
    return HF_BENCH_EXIT_FAILURE;
  }
  return HF_BENCH_EXIT_OK;
}

/* Sets a pipeline to PLAYING; FALSE with a message if it refused.
 * Control thread. */
static gboolean
hf_bench_play (GstElement * pipeline, const gchar * side, const gchar * url)
{
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_printerr ("hf-bench-latency: %s (%s) could not start\n", side, url);
    return FALSE;
  }
  return TRUE;
}

static void
hf_bench_clear (HfBench * bench)
{
  if (bench->receiver) {
    gst_element_set_state (bench->receiver, GST_STATE_NULL);
    gst_object_unref (bench->receiver);
  }
  if (bench->sender) {
    gst_element_set_state (bench->sender, GST_STATE_NULL);
    gst_object_unref (bench->sender);
  }
  if (bench->loop)
    g_main_loop_unref (bench->loop);
  if (bench->sent)
    g_hash_table_unref (bench->sent);
  if (bench->latencies_us)
    g_array_unref (bench->latencies_us);
  g_mutex_clear (&bench->sent_lock);
  g_mutex_clear (&bench->results_lock);
  g_free (bench->send_url);
  g_free (bench->recv_url);
}

/* --help */
static const gchar hf_bench_summary[] =
    "Measures per-frame latency from an H.264 encoder to a viewer's "
    "demuxed frame over SRT.";

static const gchar hf_bench_description[] =
    "Direct (no relay): --send 'srt://127.0.0.1:P?mode=caller' "
    "--recv 'srt://127.0.0.1:P?mode=listener'\n"
    "SRT latency is 120 ms unless a URL says latency=MS.\n"
    "\n"
    "Prints one line of JSON: frames (matched after warm-up), unmatched,\n"
    "median_ms, p95_ms, min_ms, max_ms.  Exit status: 0 on success,\n"
    "1 if the run failed or fewer than 30 frames matched, 2 on bad "
    "arguments.\n";

int
main (int argc, char **argv)
{
  HfBench bench = { 0, };
  GError *error = NULL;
  guint watches[2], poll_id, sigint_id, sigterm_id, i;
  gint code;
  GOptionEntry entries[] = {
    {"send", 0, 0, G_OPTION_ARG_STRING, &bench.send_url,
        "Where the sender sends MPEG-TS (srt://HOST:PORT?mode=...)", "URL"},
    {"recv", 0, 0, G_OPTION_ARG_STRING, &bench.recv_url,
          "Where the receiver takes MPEG-TS from (srt://HOST:PORT?mode=...)",
        "URL"},
    {"seconds", 0, 0, G_OPTION_ARG_INT, &bench.seconds,
        "Run this long after the first received frame, the first 2 s not "
          "counted (default 10)", "N"},
    {"bitrate", 0, 0, G_OPTION_ARG_INT, &bench.bitrate,
        "Video bitrate in kbit/s (default 2000)", "KBPS"},
    {"width", 0, 0, G_OPTION_ARG_INT, &bench.width,
        "Picture width (default 1280)", "W"},
    {"height", 0, 0, G_OPTION_ARG_INT, &bench.height,
        "Picture height (default 720)", "H"},
    {"no-audio", 0, G_OPTION_FLAG_REVERSE, G_OPTION_ARG_NONE, &bench.audio,
        "Send video only (by default a 440 Hz AAC tone goes along, as from "
          "a real encoder)", NULL},
    G_OPTION_ENTRY_NULL
  };

  bench.seconds = 10;
  bench.bitrate = 2000;
  bench.width = 1280;
  bench.height = 720;
  bench.audio = TRUE;
  g_mutex_init (&bench.sent_lock);
  g_mutex_init (&bench.results_lock);

  if (!hf_bench_parse_args ("hf-bench-latency", hf_bench_summary,
          hf_bench_description, entries, FALSE, &argc, &argv, &code)) {
    hf_bench_clear (&bench);
    return code;
  }
  if (bench.send_url == NULL || bench.recv_url == NULL || argc > 1 ||
      bench.seconds <= 2 || bench.seconds > 3600 || bench.bitrate <= 0 ||
      bench.width < 16 || bench.height < 16 || bench.width % 2 ||
      bench.height % 2) {
    g_printerr ("hf-bench-latency: --send and --recv are required; "
        "--seconds must be 3..3600, --bitrate positive, --width and "
        "--height even and at least 16\n");
    g_printerr ("Try \"hf-bench-latency --help\" for usage.\n");
    hf_bench_clear (&bench);
    return HF_BENCH_EXIT_USAGE;
  }

  gst_init (NULL, NULL);
  bench.sent = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
      hf_bench_sent_free);
  bench.latencies_us = g_array_new (FALSE, FALSE, sizeof (gint64));

  if (!hf_bench_build (&bench, &error)) {
    g_printerr ("hf-bench-latency: %s\n", error->message);
    code = error->domain == G_OPTION_ERROR ? HF_BENCH_EXIT_USAGE :
        HF_BENCH_EXIT_FAILURE;
    g_clear_error (&error);
    hf_bench_clear (&bench);
    return code;
  }

  bench.loop = g_main_loop_new (NULL, FALSE);
  watches[0] = hf_bench_add_bus_watch (bench.receiver,
      hf_bench_on_bus_message, &bench);
  watches[1] = hf_bench_add_bus_watch (bench.sender, hf_bench_on_bus_message,
      &bench);
  sigint_id = g_unix_signal_add (SIGINT, hf_bench_on_signal, &bench);
  sigterm_id = g_unix_signal_add (SIGTERM, hf_bench_on_signal, &bench);

  /* The receiver first: in a direct run it is the listener the sender
   * calls. */
  bench.started_us = g_get_monotonic_time ();
  if (!hf_bench_play (bench.receiver, "receiver", bench.recv_url) ||
      !hf_bench_play (bench.sender, "sender", bench.send_url)) {
    bench.exit_code = HF_BENCH_EXIT_FAILURE;
    bench.finished = TRUE;
  } else {
    poll_id = g_timeout_add (HF_BENCH_POLL_MS, hf_bench_on_poll, &bench);
    g_main_loop_run (bench.loop);
    g_source_remove (poll_id);
  }

  /* Stop the receiver first so that tearing the sender down is not seen
   * as a lost frame; then nothing writes the results any more. */
  gst_element_set_state (bench.receiver, GST_STATE_NULL);
  gst_element_set_state (bench.sender, GST_STATE_NULL);
  for (i = 0; i < G_N_ELEMENTS (watches); i++)
    g_source_remove (watches[i]);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);

  if (bench.exit_code != HF_BENCH_EXIT_OK) {
    code = bench.exit_code;
  } else {
    code = hf_bench_report (&bench);
  }
  hf_bench_clear (&bench);
  return code;
}
