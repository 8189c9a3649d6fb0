/* hf-bench-common: the parts hf-bench-latency and hf-bench-failover share,
 * linked into both.
 *
 * Frame identity: a relay restamps and remuxes, so PTS cannot pair a sent
 * frame with a received one; the H.264 slice data survives, so each side
 * hashes the first coded slice of every access unit (FNV-1a 64 over at most
 * its first HF_BENCH_HASH_BYTES bytes).  Pipelines: the live encoder both
 * tools send, the SRT receiver both tools watch, and the small GStreamer
 * chores around them.  Figures: nearest-rank percentiles and the summary
 * line (a human line and a JSON line built side by side).  The relay's
 * HTTP API: GET and parse, and the event list paged by last_id.
 *
 * Threads: nothing here keeps state between calls but an HfBenchReport or
 * an HfBenchApi, which belong to their caller.  The hash functions run on
 * the senders' encoder and the receivers' streaming threads; the tsdemux
 * pad-added handler of hf_bench_receiver_new () on the receiver's demuxer
 * streaming thread; the pipeline helpers on the control thread (the
 * default GMainContext); figures and API calls on whichever one thread owns
 * the values or the HfBenchApi (hf-bench-latency's control thread,
 * hf-bench-failover's scenario thread).
 */

#include "tools/hf-bench-common.h"

/* Bounds every API call: the relay answers at once or not at all. */
#define HF_BENCH_HTTP_TIMEOUT_S 3

/* ---------------------------------------------------------------------- */
/* Frame identity                                                          */

static guint64
hf_bench_fnv1a64 (const guint8 * data, gsize size)
{
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);
  gsize i;

  for (i = 0; i < size; i++) {
    h ^= data[i];
    h *= G_GUINT64_CONSTANT (0x100000001b3);
  }
  return h;
}

/* Returns the offset of the next 00 00 01 at or after from and before
 * limit, or limit. */
static gsize
hf_bench_find_start_code (const guint8 * data, gsize from, gsize limit)
{
  gsize i;

  for (i = from; i + 3 <= limit; i++) {
    if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1)
      return i;
  }
  return limit;
}

/**
 * hf_bench_hash_first_slice:
 * @data: (transfer none): an H.264 byte-stream access unit
 * @size: its length
 * @hash: (out): the hash
 *
 * Hashes the first coded slice (NAL type 1 or 5) of an access unit: the
 * bytes after its start code, at most HF_BENCH_HASH_BYTES of them.
 * Trailing zero bytes are left out, so a 3-byte and a 4-byte start code
 * after a short slice give the same hash.  Any thread.
 *
 * Returns: FALSE if the access unit has no slice (@hash untouched).
 */
gboolean
hf_bench_hash_first_slice (const guint8 * data, gsize size, guint64 * hash)
{
  gsize pos = hf_bench_find_start_code (data, 0, size);

  while (pos < size) {
    gsize start = pos + 3;
    guint type;

    if (start >= size)
      break;
    type = data[start] & 0x1f;
    if (type == 1 || type == 5) {
      gsize limit = MIN (size, start + HF_BENCH_HASH_BYTES + 3);
      gsize end = hf_bench_find_start_code (data, start, limit);

      if (end == limit)
        end = MIN (size, start + HF_BENCH_HASH_BYTES);
      while (end > start && data[end - 1] == 0)
        end--;
      *hash = hf_bench_fnv1a64 (data + start,
          MIN (end - start, HF_BENCH_HASH_BYTES));
      return TRUE;
    }
    pos = hf_bench_find_start_code (data, start, size);
  }
  return FALSE;
}

/**
 * hf_bench_hash_buffer:
 * @buf: (transfer none): one access unit, mapped for reading here
 * @hash: (out): the hash of its first slice
 *
 * hf_bench_hash_first_slice () on a buffer.  Any thread.
 *
 * Returns: FALSE if @buf cannot be mapped or has no slice.
 */
gboolean
hf_bench_hash_buffer (GstBuffer * buf, guint64 * hash)
{
  GstMapInfo map;
  gboolean found;

  if (!gst_buffer_map (buf, &map, GST_MAP_READ))
    return FALSE;
  found = hf_bench_hash_first_slice (map.data, map.size, hash);
  gst_buffer_unmap (buf, &map);
  return found;
}

/* ---------------------------------------------------------------------- */
/* Pipelines                                                               */

/**
 * hf_bench_srt_uri:
 * @url: srt://HOST:PORT[?...] as the user gave it
 * @error: a G_OPTION_ERROR if @url is not srt://HOST:PORT
 *
 * Returns: (transfer full): @url with latency=HF_BENCH_SRT_LATENCY_MS added
 * to its query unless it has a latency already, or NULL with @error set.
 */
gchar *
hf_bench_srt_uri (const gchar * url, GError ** error)
{
  GstUri *uri = gst_uri_from_string (url);
  gchar *result;

  if (uri == NULL || g_strcmp0 (gst_uri_get_scheme (uri), "srt") != 0 ||
      gst_uri_get_host (uri) == NULL ||
      gst_uri_get_port (uri) == GST_URI_NO_PORT) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "%s: expected srt://HOST:PORT[?mode=caller|listener&latency=MS]", url);
    if (uri)
      gst_uri_unref (uri);
    return NULL;
  }
  if (!gst_uri_query_has_key (uri, "latency"))
    gst_uri_set_query_value (uri, "latency", HF_BENCH_SRT_LATENCY_MS);
  result = gst_uri_to_string (uri);
  gst_uri_unref (uri);
  return result;
}

/**
 * hf_bench_udp_properties:
 * @url: rtp://HOST:PORT
 * @error: a G_OPTION_ERROR if @url is not rtp://HOST:PORT
 *
 * Returns: (transfer full): udpsink's "host=HOST port=PORT", or NULL with
 * @error set.
 */
gchar *
hf_bench_udp_properties (const gchar * url, GError ** error)
{
  GstUri *uri = gst_uri_from_string (url);
  gchar *result = NULL;

  if (uri != NULL && g_strcmp0 (gst_uri_get_scheme (uri), "rtp") == 0 &&
      gst_uri_get_host (uri) != NULL &&
      gst_uri_get_port (uri) != GST_URI_NO_PORT)
    result = g_strdup_printf ("host=%s port=%u", gst_uri_get_host (uri),
        gst_uri_get_port (uri));
  else
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "%s: expected rtp://HOST:PORT with --merge", url);
  if (uri)
    gst_uri_unref (uri);
  return result;
}

/**
 * hf_bench_encoder_description:
 * @encoder: (transfer none): what to encode
 *
 * A gst-launch description of a live encoder: videotestsrc (pattern=ball)
 * through x264 (zerolatency, ultrafast, no sliced threads) and h264parse
 * into a tee "t" with a recording branch, a fakesink "stamp" whose sink pad
 * sees every access unit; and a queue from the tee (and the AAC tone, if
 * any) into an mpegtsmux "mux".  The recording branch has no queue, so a
 * probe on "stamp" runs on the encoder's thread as soon as the tee hands
 * the access unit on.  The description ends with the mux: the caller
 * appends "! SINK".
 *
 * Returns: (transfer full): the description.
 */
gchar *
hf_bench_encoder_description (const HfBenchEncoder * encoder)
{
  gchar *audio = NULL, *desc;

  if (encoder->audio_freq > 0)
    audio = g_strdup_printf ("audiotestsrc is-live=true samplesperbuffer=1024 "
        "freq=%d ! audio/x-raw,rate=48000,channels=2 ! audioconvert "
        "! avenc_aac bitrate=%d ! aacparse ! queue ! mux. ",
        encoder->audio_freq, encoder->audio_bitrate);
  desc = g_strdup_printf ("videotestsrc is-live=true pattern=ball %s "
      "! video/x-raw,width=%d,height=%d,framerate=%d/1 "
      "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=%d "
      "bitrate=%d sliced-threads=false threads=1 "
      "! h264parse ! video/x-h264,stream-format=byte-stream,alignment=au "
      "! tee name=t t. ! fakesink name=stamp sync=false async=false "
      "t. ! queue ! mux. %smpegtsmux name=mux alignment=7 ",
      encoder->picture, encoder->width, encoder->height, HF_BENCH_FPS,
      HF_BENCH_GOP, encoder->bitrate, audio ? audio : "");
  g_free (audio);
  return desc;
}

/* tsdemux pad-added with HF_BENCH_RECEIVER_RELINK: links each new video pad
 * to the parser.  When the relay restarts its program (another audio codec,
 * a failed mux), tsdemux adds new pads before it removes the old ones, so
 * the old link is undone first.  Audio pads stay unlinked.  user_data is
 * the tool's name.  Receiver's demuxer streaming thread. */
static void
hf_bench_on_pad_added (GstElement * demux, GstPad * pad, gpointer user_data)
{
  const gchar *tool = user_data;
  GstObject *bin;
  GstElement *parser;
  GstPad *sinkpad, *old;

  if (!g_str_has_prefix (GST_PAD_NAME (pad), "video"))
    return;
  bin = gst_object_get_parent (GST_OBJECT (demux));
  if (bin == NULL)
    return;
  parser = gst_bin_get_by_name (GST_BIN (bin), "parse");
  gst_object_unref (bin);
  if (parser == NULL)
    return;
  sinkpad = gst_element_get_static_pad (parser, "sink");
  old = gst_pad_get_peer (sinkpad);
  if (old != NULL) {
    gst_pad_unlink (old, sinkpad);
    gst_object_unref (old);
  }
  if (gst_pad_link (pad, sinkpad) != GST_PAD_LINK_OK)
    g_printerr ("%s: viewer: cannot link %s\n", tool, GST_PAD_NAME (pad));
  gst_object_unref (sinkpad);
  gst_object_unref (parser);
}

/**
 * hf_bench_receiver_new:
 * @tool: (transfer none): the tool's name for messages; must outlive the
 *   pipeline (a string literal)
 * @uri: (transfer none): an srt:// URI (see hf_bench_srt_uri ())
 * @flags: how tsdemux is set up and linked
 * @new_sample: the appsink's new-sample callback; it runs on the receiver's
 *   demuxer streaming thread with one access unit
 * @user_data: (transfer none): for @new_sample; must outlive the pipeline
 * @error: set if the pipeline cannot be built
 *
 * Builds (does not start) a receiver: srtsrc (no auto-reconnect: a
 * broken connection must show, not be hidden), tsdemux, h264parse "parse"
 * and an appsink "frames" that takes byte-stream access units without
 * syncing on the clock.  Control thread.
 *
 * Returns: (transfer full): the pipeline, or NULL with @error set.
 */
GstElement *
hf_bench_receiver_new (const gchar * tool, const gchar * uri,
    HfBenchReceiverFlags flags, GstFlowReturn (*new_sample) (GstAppSink *
        sink, gpointer user_data), gpointer user_data, GError ** error)
{
  GstAppSinkCallbacks callbacks = { 0 };
  GstElement *pipeline, *el;
  gchar *desc;

  /* Without RELINK, gst_parse links tsdemux's first video pad itself. */
  desc = g_strdup_printf ("srtsrc name=srt auto-reconnect=false uri=\"%s\" "
      "! tsdemux name=demux%s %s h264parse name=parse "
      "! video/x-h264,stream-format=byte-stream,alignment=au "
      "! appsink name=frames sync=false", uri,
      (flags & HF_BENCH_RECEIVER_IGNORE_PCR) ? " ignore-pcr=true" : "",
      (flags & HF_BENCH_RECEIVER_RELINK) ? "" : "!");
  pipeline = gst_parse_launch_full (desc, NULL, GST_PARSE_FLAG_FATAL_ERRORS,
      error);
  g_free (desc);
  if (pipeline == NULL)
    return NULL;

  if (flags & HF_BENCH_RECEIVER_RELINK) {
    el = gst_bin_get_by_name (GST_BIN (pipeline), "demux");
    g_signal_connect (el, "pad-added", G_CALLBACK (hf_bench_on_pad_added),
        (gpointer) tool);
    gst_object_unref (el);
  }
  el = gst_bin_get_by_name (GST_BIN (pipeline), "frames");
  callbacks.new_sample = new_sample;
  gst_app_sink_set_callbacks (GST_APP_SINK (el), &callbacks, user_data, NULL);
  gst_object_unref (el);
  return pipeline;
}

/**
 * hf_bench_add_probe:
 * @pipeline: (transfer none): a bin holding an element @name
 * @name: the element whose sink pad gets the probe
 * @type: the probe's type
 * @callback: the probe
 * @user_data: (transfer none): for @callback; must outlive the probe
 *
 * Adds a probe on the static sink pad of one element.  Control thread.
 */
void
hf_bench_add_probe (GstElement * pipeline, const gchar * name,
    GstPadProbeType type, GstPadProbeCallback callback, gpointer user_data)
{
  GstElement *el = gst_bin_get_by_name (GST_BIN (pipeline), name);
  GstPad *pad = gst_element_get_static_pad (el, "sink");

  gst_pad_add_probe (pad, type, callback, user_data, NULL);
  gst_object_unref (pad);
  gst_object_unref (el);
}

/**
 * hf_bench_add_bus_watch:
 * @pipeline: (transfer none): a pipeline
 * @func: the watch; it runs on the control thread
 * @user_data: (transfer none): for @func
 *
 * Returns: the id of the watch on the default GMainContext.
 */
guint
hf_bench_add_bus_watch (GstElement * pipeline, GstBusFunc func,
    gpointer user_data)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  guint id = gst_bus_add_watch (bus, func, user_data);

  gst_object_unref (bus);
  return id;
}

/**
 * hf_bench_print_error:
 * @tool: the tool's name
 * @side: which pipeline ("sender", "viewer", ...)
 * @url: what that pipeline talks to
 * @msg: (transfer none): an error message from its bus
 *
 * Prints "TOOL: SIDE (URL): ELEMENT: MESSAGE" and the debug string, if
 * any, to stderr.  Control thread.
 */
void
hf_bench_print_error (const gchar * tool, const gchar * side,
    const gchar * url, GstMessage * msg)
{
  GError *err = NULL;
  gchar *debug = NULL;

  gst_message_parse_error (msg, &err, &debug);
  g_printerr ("%s: %s (%s): %s: %s\n", tool, side, url,
      GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message);
  if (debug)
    g_printerr ("%s:   %s\n", tool, debug);
  g_clear_error (&err);
  g_free (debug);
}

/**
 * hf_bench_parse_args:
 * @tool: the tool's name, for messages and --version
 * @summary: (transfer none): the --help summary
 * @description: (transfer none): the --help description
 * @entries: (transfer none): the tool's options; --version is added
 * @hint: TRUE to follow a bad option's message with a pointer to --help
 * @argc: (inout): the argument count; the options parsed are taken out
 * @argv: (inout): the arguments
 * @exit_code: (out): what the tool exits with when FALSE is returned
 *
 * Parses the command line with the tool's options and GStreamer's.
 * Control thread, before gst_init ().
 *
 * Returns: TRUE to go on; FALSE after --version printed the version
 * (@exit_code HF_BENCH_EXIT_OK) or after a bad option's message on stderr
 * (HF_BENCH_EXIT_USAGE).
 */
gboolean
hf_bench_parse_args (const gchar * tool, const gchar * summary,
    const gchar * description, const GOptionEntry * entries, gboolean hint,
    gint * argc, gchar *** argv, gint * exit_code)
{
  GOptionContext *context = g_option_context_new (NULL);
  gboolean show_version = FALSE;
  GOptionEntry version[] = {
    {"version", 0, 0, G_OPTION_ARG_NONE, &show_version,
        "Print the version and exit", NULL},
    G_OPTION_ENTRY_NULL
  };
  GError *error = NULL;
  gboolean ok;

  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, version, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  ok = g_option_context_parse (context, argc, argv, &error);
  g_option_context_free (context);
  if (!ok) {
    g_printerr ("%s: %s\n", tool, error->message);
    if (hint)
      g_printerr ("Try \"%s --help\" for usage.\n", tool);
    g_clear_error (&error);
    *exit_code = HF_BENCH_EXIT_USAGE;
    return FALSE;
  }
  if (show_version) {
    g_print ("%s %s\n", tool, HF_VERSION);
    *exit_code = HF_BENCH_EXIT_OK;
    return FALSE;
  }
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* The relay's HTTP API                                                    */

/**
 * hf_bench_api_get:
 * @api: (transfer none): the API; its session is made on first use
 * @path: what to GET, appended to @api's URL
 *
 * GETs and parses a JSON answer; on any failure prints why to stderr.
 * Blocks for at most HF_BENCH_HTTP_TIMEOUT_S.  One thread at a time per @api.
 *
 * Returns: (transfer full) (nullable): the JSON, or NULL (also when @api
 * has no URL).
 */
JsonNode *
hf_bench_api_get (HfBenchApi * api, const gchar * path)
{
  gchar *url;
  SoupMessage *msg;
  GBytes *body;
  GError *error = NULL;
  JsonParser *parser;
  JsonNode *root = NULL;

  if (api->url == NULL)
    return NULL;
  if (api->session == NULL)
    api->session = soup_session_new_with_options ("timeout",
        HF_BENCH_HTTP_TIMEOUT_S, NULL);
  url = g_strconcat (api->url, path, NULL);
  msg = soup_message_new ("GET", url);
  if (msg == NULL) {
    g_printerr ("%s: %s: not a URL\n", api->tool, url);
    g_free (url);
    return NULL;
  }
  body = soup_session_send_and_read (api->session, msg, NULL, &error);
  if (body == NULL || soup_message_get_status (msg) != SOUP_STATUS_OK) {
    g_printerr ("%s: GET %s: %s\n", api->tool, url, error ?
        error->message : soup_message_get_reason_phrase (msg));
  } else {
    parser = json_parser_new ();
    if (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL),
            g_bytes_get_size (body), &error))
      root = json_parser_steal_root (parser);
    else
      g_printerr ("%s: GET %s: %s\n", api->tool, url, error->message);
    g_object_unref (parser);
  }
  g_clear_error (&error);
  if (body)
    g_bytes_unref (body);
  g_object_unref (msg);
  g_free (url);
  return root;
}

/**
 * hf_bench_json_number:
 * @o: (transfer none) (nullable): an object
 * @name: a member's name
 * @def: what to return without such a number
 *
 * Returns: the member's value if it is an integer or a double, or @def.
 */
gdouble
hf_bench_json_number (JsonObject * o, const gchar * name, gdouble def)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (n == NULL || JSON_NODE_TYPE (n) != JSON_NODE_VALUE)
    return def;
  switch (json_node_get_value_type (n)) {
    case G_TYPE_INT64:
      return (gdouble) json_node_get_int (n);
    case G_TYPE_DOUBLE:
      return json_node_get_double (n);
    default:
      return def;
  }
}

/**
 * hf_bench_json_string:
 * @o: (transfer none) (nullable): an object
 * @name: a member's name
 *
 * Returns: (transfer none) (nullable): the member's string, owned by @o,
 * or NULL if it is missing or not a string.
 */
const gchar *
hf_bench_json_string (JsonObject * o, const gchar * name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (n == NULL || JSON_NODE_TYPE (n) != JSON_NODE_VALUE ||
      json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

/**
 * hf_bench_api_events:
 * @api: (transfer none): the API
 *
 * Reads every event the relay kept, oldest first, following the API's
 * pages by last_id (at most 100 pages).  Stops quietly at the first page
 * that cannot be read (after hf_bench_api_get ()'s message).
 *
 * Returns: (transfer full) (element-type JsonObject): the events, perhaps
 * none.
 */
GPtrArray *
hf_bench_api_events (HfBenchApi * api)
{
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify)
      json_object_unref);
  gint64 since = 0;
  guint page;

  for (page = 0; page < 100; page++) {
    gchar *path = g_strdup_printf ("/api/v1/events?since=%" G_GINT64_FORMAT,
        since);
    JsonNode *root = hf_bench_api_get (api, path);
    JsonObject *o;
    JsonArray *list;
    guint i, n;
    gint64 last;

    g_free (path);
    if (root == NULL || JSON_NODE_TYPE (root) != JSON_NODE_OBJECT) {
      if (root)
        json_node_unref (root);
      break;
    }
    o = json_node_get_object (root);
    list = json_object_has_member (o, "events") ?
        json_object_get_array_member (o, "events") : NULL;
    n = list ? json_array_get_length (list) : 0;
    for (i = 0; i < n; i++) {
      JsonNode *e = json_array_get_element (list, i);

      if (JSON_NODE_TYPE (e) == JSON_NODE_OBJECT)
        g_ptr_array_add (events, json_object_ref (json_node_get_object (e)));
    }
    last = (gint64) hf_bench_json_number (o, "last_id", since);
    json_node_unref (root);
    if (n == 0 || last <= since)
      break;
    since = last;
  }
  return events;
}

/**
 * hf_bench_api_clear:
 * @api: the API
 *
 * Frees what @api owns; @api may be used again after its url is set.
 */
void
hf_bench_api_clear (HfBenchApi * api)
{
  g_clear_object (&api->session);
  g_clear_pointer (&api->url, g_free);
}

/* ---------------------------------------------------------------------- */
/* Figures                                                                 */

/**
 * hf_bench_compare_int64:
 * @a: (type gint64*): a value
 * @b: (type gint64*): another
 *
 * A GCompareFunc for arrays of gint64.
 */
gint
hf_bench_compare_int64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/**
 * hf_bench_percentile:
 * @values: (element-type gint64): sorted in place
 * @pct: 0 to 100
 *
 * Returns: the nearest-rank percentile (the smallest value with @pct % of
 * them at or below; 0 gives the least), or -1 if @values is empty.
 */
gint64
hf_bench_percentile (GArray * values, guint pct)
{
  guint rank;

  if (values->len == 0)
    return -1;
  g_array_sort (values, hf_bench_compare_int64);
  rank = (guint) ((pct * (guint64) values->len + 99) / 100);
  return g_array_index (values, gint64, MAX (rank, 1) - 1);
}

/**
 * hf_bench_median:
 * @values: (element-type gint64): sorted in place
 *
 * Returns: the median (the mean of the middle two of an even count), or
 * -1 if @values is empty.
 */
gdouble
hf_bench_median (GArray * values)
{
  gint64 *v = (gint64 *) values->data;
  guint n = values->len;

  if (n == 0)
    return -1;
  g_array_sort (values, hf_bench_compare_int64);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/**
 * hf_bench_append:
 * @values: (element-type gint64): where to append
 * @v: a measurement, negative if it could not be made
 *
 * Appends @v unless it is negative.
 */
void
hf_bench_append (GArray * values, gint64 v)
{
  if (v >= 0)
    g_array_append_val (values, v);
}

/**
 * hf_bench_ms:
 * @buf: (out caller-allocates): room for the text
 * @size: the size of @buf
 * @us: a duration in us, negative if it was not measured
 *
 * Returns: (transfer none): @us as whole ms in @buf, or "-" (static) if
 * @us is negative.
 */
const gchar *
hf_bench_ms (gchar * buf, gsize size, gint64 us)
{
  if (us < 0)
    return "-";
  g_snprintf (buf, size, "%.0f", us / 1000.0);
  return buf;
}

/* Starts a JSON member: a comma unless it is the first of its object. */
static void
hf_bench_report_key (HfBenchReport * r, const gchar * name)
{
  if (r->json->str[r->json->len - 1] != '{')
    g_string_append_c (r->json, ',');
  g_string_append_printf (r->json, "\"%s\":", name);
}

/* Starts a figure; an unknown one is written at once ("-", null).
 * Returns known: whether the caller writes the value. */
static gboolean
hf_bench_report_figure (HfBenchReport * r, const gchar * name, gboolean known)
{
  hf_bench_report_key (r, name);
  if (known)
    return TRUE;
  if (r->text)
    g_string_append_printf (r->text, " %s=-", name);
  g_string_append (r->json, "null");
  return FALSE;
}

/**
 * hf_bench_report_begin:
 * @r: (out caller-allocates): the report
 * @scenario: (nullable): the scenario's name, which starts the human line
 *   and is the JSON's "scenario"; NULL for a JSON line alone
 *
 * Starts a summary; hf_bench_report_end () prints and frees it.
 */
void
hf_bench_report_begin (HfBenchReport * r, const gchar * scenario)
{
  r->text = NULL;
  r->json = g_string_new ("{");
  if (scenario == NULL)
    return;
  r->text = g_string_new (NULL);
  g_string_append_printf (r->text, "%s:", scenario);
  g_string_append_printf (r->json, "\"scenario\":\"%s\"", scenario);
}

/**
 * hf_bench_report_int:
 * @r: the report
 * @name: the figure's name
 * @v: a count; negative means unknown ("-", null)
 */
void
hf_bench_report_int (HfBenchReport * r, const gchar * name, gint64 v)
{
  if (!hf_bench_report_figure (r, name, v >= 0))
    return;
  if (r->text)
    g_string_append_printf (r->text, " %s=%" G_GINT64_FORMAT, name, v);
  g_string_append_printf (r->json, "%" G_GINT64_FORMAT, v);
}

/**
 * hf_bench_report_ms:
 * @r: the report
 * @name: the figure's name
 * @us: a duration in us, shown as ms (whole ms in the human line, one
 *   decimal in the JSON); negative means unknown ("-", null)
 */
void
hf_bench_report_ms (HfBenchReport * r, const gchar * name, gdouble us)
{
  if (!hf_bench_report_figure (r, name, us >= 0))
    return;
  if (r->text)
    g_string_append_printf (r->text, " %s=%.0f", name, us / 1000.0);
  g_string_append_printf (r->json, "%.1f", us / 1000.0);
}

/**
 * hf_bench_report_stat:
 * @r: the report
 * @name: the figure's name
 * @values: (element-type gint64): the measurements, sorted in place
 * @in_us: TRUE if they are durations in us (shown as ms), FALSE for counts
 * @p95: TRUE to show the 95th percentile too
 * @target: printed next to the figures if not negative
 *
 * Adds p50 (, p95) and max of @values as an object @name.
 */
void
hf_bench_report_stat (HfBenchReport * r, const gchar * name, GArray * values,
    gboolean in_us, gboolean p95, gint target)
{
  static const guint pcts[] = { 50, 95, 100 };
  static const gchar *const labels[] = { "p50", "p95", "max" };
  guint i;

  if (r->text)
    g_string_append_printf (r->text, " %s", name);
  hf_bench_report_key (r, name);
  g_string_append_c (r->json, '{');
  for (i = 0; i < G_N_ELEMENTS (pcts); i++) {
    gint64 v = hf_bench_percentile (values, pcts[i]);

    if (i == 1 && !p95)
      continue;
    if (in_us)
      hf_bench_report_ms (r, labels[i], v);
    else
      hf_bench_report_int (r, labels[i], v);
  }
  if (target >= 0) {
    if (r->text)
      g_string_append_printf (r->text, " (target <= %d)", target);
    g_string_append_printf (r->json, ",\"target\":%d", target);
  }
  g_string_append_c (r->json, '}');
}

/**
 * hf_bench_report_end:
 * @r: the report
 *
 * Prints the human line, if any, and the JSON line to stdout, and frees
 * them.
 */
void
hf_bench_report_end (HfBenchReport * r)
{
  if (r->text)
    g_print ("%s\n", r->text->str);
  g_print ("%s}\n", r->json->str);
  if (r->text)
    g_string_free (r->text, TRUE);
  g_string_free (r->json, TRUE);
  r->text = r->json = NULL;
}
