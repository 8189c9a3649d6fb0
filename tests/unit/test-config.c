/* Unit tests of the config loader (relay/hf-config.c): a complete config
 * parses to the values it says, and every kind of mistake an operator can
 * make is refused with one message that names the group and key at fault.
 *
 * Single-threaded: Check runs each test in its own process.  The SDP input
 * and a fallback clip need real files, written to temporary paths by the
 * tests that use them.
 */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <string.h>
#include <math.h>

#include "relay/hf-relay.h"

/* What ffmpeg writes with -sdp_file for H.264 + AAC, on ports 5020/5022. */
static const gchar hf_test_sdp[] =
    "v=0\r\n"
    "o=- 0 0 IN IP4 127.0.0.1\r\n"
    "s=No Name\r\n"
    "t=0 0\r\n"
    "a=tool:libavformat 59.27.100\r\n"
    "m=video 5020 RTP/AVP 96\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 packetization-mode=1; "
    "sprop-parameter-sets=Z0LADdkBQfsBEAAAAwAQAAADAyDxQqSA,aMuDyyA=; "
    "profile-level-id=42C00D\r\n"
    "m=audio 5022 RTP/AVP 97\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "b=AS:128\r\n"
    "a=rtpmap:97 MPEG4-GENERIC/48000/2\r\n"
    "a=fmtp:97 profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;"
    "indexdeltalength=3; config=119056E500\r\n";

/* Writes the SDP above to a temporary file; (transfer full) its path. */
static gchar *
hf_test_write_sdp (void)
{
  GError *error = NULL;
  gchar *path = NULL;
  gint fd = g_file_open_tmp ("hf-test-XXXXXX.sdp", &path, &error);

  fail_unless (fd >= 0, "g_file_open_tmp: %s", error ? error->message : "?");
  close (fd);
  fail_unless (g_file_set_contents (path, hf_test_sdp, -1, &error),
      "writing %s: %s", path, error ? error->message : "?");
  return path;
}

static HfConfig *
hf_test_load (const gchar * text, GError ** error)
{
  return hf_config_load_data (text, strlen (text), error);
}

/* Loads @text, which must be accepted: (transfer full). */
static HfConfig *
hf_test_load_with_text_ok (const gchar * text)
{
  GError *error = NULL;
  HfConfig *config = hf_test_load (text, &error);

  fail_unless (config != NULL, "refused:\n%s\n%s", text,
      error ? error->message : "?");
  return config;
}

/* Asserts that @text is refused as invalid with a message containing
 * @needle (typically "[stream NAME] key"). */
static void
hf_test_assert_refused (const gchar * text, const gchar * needle)
{
  GError *error = NULL;
  HfConfig *config = hf_test_load (text, &error);

  fail_unless (config == NULL, "accepted a bad config:\n%s", text);
  hf_config_free (config);
  fail_unless (error != NULL, "refused without an error:\n%s", text);
  fail_unless (error->domain == HF_CONFIG_ERROR,
      "error domain %s, expected HF_CONFIG_ERROR (message: %s)",
      g_quark_to_string (error->domain), error->message);
  fail_unless_equals_int (error->code, HF_CONFIG_ERROR_INVALID);
  fail_unless (strstr (error->message, needle) != NULL,
      "message '%s' does not name '%s'", error->message, needle);
  g_error_free (error);
}

GST_START_TEST (test_valid_config_parses_to_its_values)
{
  gchar *sdp = hf_test_write_sdp ();
  gchar *text = g_strdup_printf ("[server]\n"
      "http = 127.0.0.1:18080\n"
      "\n"
      "[stream main]\n"
      "inputs = srt://:9001?mode=listener&latency=200; "
      "rtp://127.0.0.1:5004 ;rtp://:5010?sdp=%s\n"
      "input-names = cam;backup;studio\n"
      "input-timeout-ms = 750\n"
      "outputs = srt://:9000?mode=listener&passphrase=0123456789abc;"
      "srt://relay.example.net:9100?mode=caller&streamid=main&latency=400;"
      "rtp://127.0.0.1:6000\n"
      "\n"
      "[stream second]\n"
      "inputs = srt://origin.example.net:9201?mode=caller\n"
      "outputs = srt://:9200\n", sdp);
  GError *error = NULL;
  HfConfig *config = hf_test_load (text, &error);
  HfStreamConfig *sc;

  fail_unless (config != NULL, "refused: %s", error ? error->message : "?");
  fail_unless_equals_string (config->http_host, "127.0.0.1");
  fail_unless_equals_int (config->http_port, 18080);
  fail_unless_equals_int (config->streams->len, 2);

  sc = g_ptr_array_index (config->streams, 0);
  fail_unless_equals_string (sc->name, "main");
  fail_unless_equals_int (sc->input_timeout_ms, 750);
  fail_unless_equals_int (sc->n_inputs, 3);
  fail_unless_equals_int (sc->inputs[0].kind, HF_INPUT_SRT);
  fail_unless_equals_int (sc->inputs[0].srt_mode, HF_SRT_LISTENER);
  fail_unless_equals_string (sc->inputs[0].host, "");
  fail_unless_equals_int (sc->inputs[0].port, 9001);
  fail_unless_equals_int (sc->inputs[0].latency_ms, 200);
  fail_unless_equals_int (sc->inputs[1].kind, HF_INPUT_RTP_TS);
  fail_unless_equals_string (sc->inputs[1].host, "127.0.0.1");
  fail_unless_equals_int (sc->inputs[1].port, 5004);
  fail_unless_equals_int (sc->inputs[1].latency_ms, 50);
  fail_unless_equals_int (sc->inputs[2].kind, HF_INPUT_RTP_SDP);
  fail_unless_equals_int (sc->inputs[2].port, 5010);
  fail_unless_equals_string (sc->inputs[2].sdp_path, sdp);
  fail_unless_equals_string (sc->input_names[0], "cam");
  fail_unless_equals_string (sc->input_names[1], "backup");
  fail_unless_equals_string (sc->input_names[2], "studio");
  fail_unless (sc->input_names[3] == NULL);

  fail_unless_equals_int (sc->n_outputs, 3);
  fail_unless_equals_int (sc->outputs[0].kind, HF_OUTPUT_SRT_LISTENER);
  fail_unless_equals_int (sc->outputs[0].port, 9000);
  fail_unless_equals_int (sc->outputs[0].latency_ms, 120);
  fail_unless_equals_string (sc->outputs[0].passphrase, "0123456789abc");
  fail_unless_equals_int (sc->outputs[1].kind, HF_OUTPUT_SRT_CALLER);
  fail_unless_equals_string (sc->outputs[1].host, "relay.example.net");
  fail_unless_equals_int (sc->outputs[1].port, 9100);
  fail_unless_equals_int (sc->outputs[1].latency_ms, 400);
  fail_unless_equals_string (sc->outputs[1].streamid, "main");
  fail_unless_equals_int (sc->outputs[2].kind, HF_OUTPUT_RTP);
  fail_unless_equals_string (sc->outputs[2].host, "127.0.0.1");
  fail_unless_equals_int (sc->outputs[2].port, 6000);

  /* The second stream takes every default. */
  sc = g_ptr_array_index (config->streams, 1);
  fail_unless_equals_string (sc->name, "second");
  fail_unless_equals_int (sc->input_timeout_ms, 250);
  fail_unless_equals_int (sc->n_inputs, 1);
  fail_unless_equals_int (sc->inputs[0].kind, HF_INPUT_SRT);
  fail_unless_equals_int (sc->inputs[0].srt_mode, HF_SRT_CALLER);
  fail_unless_equals_string (sc->inputs[0].host, "origin.example.net");
  fail_unless_equals_int (sc->inputs[0].latency_ms, 120);
  fail_unless_equals_string (sc->input_names[0], "primary");
  fail_unless_equals_int (sc->n_outputs, 1);
  fail_unless_equals_int (sc->outputs[0].kind, HF_OUTPUT_SRT_LISTENER);
  fail_unless_equals_int (sc->outputs[0].port, 9200);

  hf_config_free (config);
  g_unlink (sdp);
  g_free (sdp);
  g_free (text);
}

GST_END_TEST;

GST_START_TEST (test_missing_server_group_serves_api_on_default_address)
{
  GError *error = NULL;
  HfConfig *config = hf_test_load ("[stream a]\ninputs = srt://:9001\n",
      &error);

  fail_unless (config != NULL, "refused: %s", error ? error->message : "?");
  fail_unless_equals_string (config->http_host, "127.0.0.1");
  fail_unless_equals_int (config->http_port, 8080);
  fail_unless_equals_string (((HfStreamConfig *)
          g_ptr_array_index (config->streams, 0))->input_names[0], "primary");
  hf_config_free (config);
}

GST_END_TEST;

GST_START_TEST (test_unknown_key_is_refused_naming_group_and_key)
{
  hf_test_assert_refused ("[stream a]\ninputs = srt://:9001\n"
      "ouputs = srt://:9000\n", "[stream a] ouputs");
  hf_test_assert_refused ("[server]\nhtpp = 127.0.0.1:8080\n"
      "[stream a]\ninputs = srt://:9001\n", "[server] htpp");
}

GST_END_TEST;

GST_START_TEST (test_unknown_group_is_refused_naming_it)
{
  hf_test_assert_refused ("[stream a]\ninputs = srt://:9001\n"
      "[streams b]\ninputs = srt://:9002\n", "[streams b]");
}

GST_END_TEST;

GST_START_TEST (test_bad_input_urls_are_refused_naming_stream_and_key)
{
  static const gchar *const bad[] = {
    "http://:9001",             /* unknown scheme */
    "srt://127.0.0.1",          /* no port */
    "srt://:70000",             /* port out of range */
    "srt://:9001?mode=listener&colour=blue",    /* unknown parameter */
    "srt://:9001?mode=bogus",
    "srt://:9001?latency=abc",
    "rtp://:5004?latency=abc",
    "rtp://:5004?mode=listener",        /* an SRT parameter on RTP */
    "srt://:9001?mode=caller",  /* a caller needs a host */
    "srt://:9001?passphrase=short",
    "rtp://:65535",             /* no room for RTCP */
    "rtp://:5004?sdp=",
    "srt://:9001/path",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    gchar *text = g_strdup_printf ("[stream cam-1]\ninputs = %s\n", bad[i]);

    hf_test_assert_refused (text, "[stream cam-1] inputs: ");
    g_free (text);
  }
}

GST_END_TEST;

GST_START_TEST (test_bad_output_urls_are_refused_naming_stream_and_key)
{
  static const gchar *const bad[] = {
    "udp://:9000",
    "srt://:9000?mode=bogus",
    "srt://:9000?latency=abc",
    "srt://:9000?mode=listener&colour=blue",
    "srt://:9000?mode=caller",
    "rtp://:6000",              /* an RTP output needs a host */
    "rtp://127.0.0.1:6000?latency=100",
    "srt://:70000",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    gchar *text = g_strdup_printf ("[stream a]\ninputs = srt://:9001\n"
        "outputs = %s\n", bad[i]);

    hf_test_assert_refused (text, "[stream a] outputs: ");
    g_free (text);
  }
}

GST_END_TEST;

GST_START_TEST (test_two_inputs_on_one_port_are_refused)
{
  hf_test_assert_refused ("[stream a]\n"
      "inputs = srt://:9001;srt://:9001?latency=300\n",
      "[stream a] inputs: UDP port 9001");
  /* Across streams too. */
  hf_test_assert_refused ("[stream a]\ninputs = srt://:9001\n"
      "[stream b]\ninputs = srt://:9001\n",
      "[stream b] inputs: UDP port 9001 is already used by [stream a] inputs");
}

GST_END_TEST;

GST_START_TEST (test_rtp_input_on_rtcp_port_of_another_is_refused)
{
  /* RTP on 5004 takes 5005 for RTCP. */
  hf_test_assert_refused ("[stream a]\n"
      "inputs = rtp://:5004;rtp://:5005\n", "[stream a] inputs: UDP port 5005");
  hf_test_assert_refused ("[stream a]\n"
      "inputs = rtp://:5005;rtp://:5004\n", "[stream a] inputs: UDP port 5005");
  hf_test_assert_refused ("[stream a]\n"
      "inputs = rtp://:5004;srt://:5005\n", "[stream a] inputs: UDP port 5005");
}

GST_END_TEST;

GST_START_TEST (test_input_and_srt_listener_output_on_one_port_are_refused)
{
  hf_test_assert_refused ("[stream a]\ninputs = srt://:9000\n"
      "outputs = srt://:9000?mode=listener\n",
      "[stream a] outputs: UDP port 9000 is already used by [stream a] inputs");
  hf_test_assert_refused ("[stream a]\ninputs = rtp://:8999\n"
      "outputs = srt://:9000\n", "[stream a] outputs: UDP port 9000");
}

GST_END_TEST;

GST_START_TEST (test_callers_and_rtp_outputs_claim_no_local_port)
{
  GError *error = NULL;
  HfConfig *config = hf_test_load ("[stream a]\n"
      "inputs = srt://:9000;srt://10.0.0.1:9001?mode=caller\n"
      "outputs = srt://10.0.0.2:9000?mode=caller;rtp://10.0.0.3:9001;"
      "srt://:9002\n", &error);

  fail_unless (config != NULL, "refused: %s", error ? error->message : "?");
  hf_config_free (config);
}

GST_END_TEST;

GST_START_TEST (test_sdp_media_port_clash_is_refused)
{
  gchar *sdp = hf_test_write_sdp ();
  gchar *text;

  /* The SDP's video is on 5020 (RTCP 5021), audio on 5022 (RTCP 5023). */
  text = g_strdup_printf ("[stream a]\ninputs = rtp://:5010?sdp=%s\n"
      "[stream b]\ninputs = srt://:5023\n", sdp);
  hf_test_assert_refused (text, "[stream b] inputs: UDP port 5023");
  g_free (text);

  g_unlink (sdp);
  g_free (sdp);
}

GST_END_TEST;

GST_START_TEST (test_stream_without_inputs_is_refused)
{
  hf_test_assert_refused ("[stream a]\noutputs = srt://:9000\n",
      "[stream a] inputs: missing");
  hf_test_assert_refused ("[stream a]\ninputs =\n", "[stream a] inputs");
}

GST_END_TEST;

GST_START_TEST (test_stream_defined_twice_is_refused)
{
  /* GKeyFile merges repeated groups, so the second definition must be
   * caught before it silently overrides keys of the first. */
  hf_test_assert_refused ("[stream a]\ninputs = srt://:9001\n"
      "outputs = srt://:9000\n"
      "[stream a]\ninputs = srt://:9002\n", "[stream a]");
}

GST_END_TEST;

GST_START_TEST (test_key_set_twice_is_refused)
{
  /* GKeyFile lets the last value win; a repeated key is refused instead. */
  hf_test_assert_refused ("[stream a]\ninputs = srt://:9001\n"
      "inputs = srt://:9002\n", "[stream a] inputs");
}

GST_END_TEST;

GST_START_TEST (test_bad_server_http_is_refused)
{
  static const gchar *const bad[] = {
    "localhost", "127.0.0.1:", ":8080", "127.0.0.1:0", "127.0.0.1:65536",
    "127.0.0.1:80x", "[]:8080",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    gchar *text = g_strdup_printf ("[server]\nhttp = %s\n"
        "[stream a]\ninputs = srt://:9001\n", bad[i]);

    hf_test_assert_refused (text, "[server] http: ");
    g_free (text);
  }
}

GST_END_TEST;

GST_START_TEST (test_server_http_accepts_bracketed_ipv6)
{
  GError *error = NULL;
  HfConfig *config = hf_test_load ("[server]\nhttp = [::1]:8081\n"
      "[stream a]\ninputs = srt://:9001\n", &error);

  fail_unless (config != NULL, "refused: %s", error ? error->message : "?");
  fail_unless_equals_string (config->http_host, "::1");
  fail_unless_equals_int (config->http_port, 8081);
  hf_config_free (config);
}

GST_END_TEST;

GST_START_TEST (test_file_without_streams_is_refused)
{
  hf_test_assert_refused ("[server]\nhttp = 127.0.0.1:8080\n", "[stream NAME]");
  hf_test_assert_refused ("", "[stream NAME]");
  hf_test_assert_refused ("# only a comment\n", "[stream NAME]");
}

GST_END_TEST;

GST_START_TEST (test_input_names_count_mismatch_is_refused)
{
  hf_test_assert_refused ("[stream a]\ninputs = srt://:9001;srt://:9002\n"
      "input-names = one\n", "[stream a] input-names: 1 names for 2 inputs");
  hf_test_assert_refused ("[stream a]\ninputs = srt://:9001\n"
      "input-names = one;two\n", "[stream a] input-names");
}

GST_END_TEST;

GST_START_TEST (test_bad_input_names_are_refused)
{
  hf_test_assert_refused ("[stream a]\ninputs = srt://:9001;srt://:9002\n"
      "input-names = cam;cam\n", "[stream a] input-names: 'cam' is used twice");
  hf_test_assert_refused ("[stream a]\ninputs = srt://:9001\n"
      "input-names = my cam\n", "[stream a] input-names");
}

GST_END_TEST;

GST_START_TEST (test_bad_input_timeout_is_refused)
{
  static const gchar *const bad[] = { "abc", "10", "60001", "-500", "" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    gchar *text = g_strdup_printf ("[stream a]\ninputs = srt://:9001\n"
        "input-timeout-ms = %s\n", bad[i]);

    hf_test_assert_refused (text, "[stream a] input-timeout-ms");
    g_free (text);
  }
}

GST_END_TEST;

GST_START_TEST (test_bad_stream_name_is_refused)
{
  hf_test_assert_refused ("[stream a/b]\ninputs = srt://:9001\n",
      "[stream a/b]");
  hf_test_assert_refused ("[stream ]\ninputs = srt://:9001\n", "[stream ]");
}

GST_END_TEST;

GST_START_TEST (test_garbage_that_is_not_ini_is_refused_as_parse_error)
{
  static const gchar *const bad[] = {
    "this is not an ini file\n",
    "[stream a\ninputs = srt://:9001\n",
    "\x01\x02\x03\xff\xfe",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    GError *error = NULL;
    HfConfig *config = hf_test_load (bad[i], &error);

    fail_unless (config == NULL, "accepted garbage %u", i);
    fail_unless (error != NULL);
    fail_unless (error->domain == HF_CONFIG_ERROR);
    fail_unless_equals_int (error->code, HF_CONFIG_ERROR_PARSE);
    fail_unless (strstr (error->message, "INI") != NULL, "message: %s",
        error->message);
    g_error_free (error);
  }
}

GST_END_TEST;

/* The one stream of a loaded single-stream config. */
static HfStreamConfig *
hf_test_only_stream (HfConfig * config)
{
  fail_unless (config != NULL);
  fail_unless_equals_int (config->streams->len, 1);
  return g_ptr_array_index (config->streams, 0);
}

/* Loads "[stream a]\ninputs = srt://:9001\n" plus @extra; must succeed. */
static HfConfig *
hf_test_load_with (const gchar * extra)
{
  gchar *text = g_strdup_printf ("[stream a]\ninputs = srt://:9001\n%s",
      extra);
  GError *error = NULL;
  HfConfig *config = hf_test_load (text, &error);

  fail_unless (config != NULL, "refused:\n%s\n%s", text,
      error ? error->message : "?");
  g_free (text);
  return config;
}

GST_START_TEST (test_failover_keys_take_their_defaults)
{
  HfConfig *config = hf_test_load_with ("");
  HfStreamConfig *sc = hf_test_only_stream (config);

  fail_unless_equals_int (sc->input_timeout_ms, 250);
  fail_unless_equals_float (sc->degraded_loss_ratio, 0.05);
  fail_unless_equals_float (sc->degraded_jitter_ms, 50.0);
  fail_unless_equals_int (sc->revert_after_s, 10);
  fail_unless_equals_int (sc->failover, HF_FAILOVER_AUTO);
  fail_unless_equals_int (sc->merge, FALSE);
  fail_unless_equals_int (sc->merge_window_ms, 200);
  fail_unless_equals_int (sc->fallback, HF_FALLBACK_BUILTIN);
  fail_unless (sc->fallback_path == NULL);
  hf_config_free (config);
}

GST_END_TEST;

GST_START_TEST (test_failover_keys_parse_to_their_values)
{
  HfConfig *config = hf_test_load_with ("input-timeout-ms = 50\n"
      "degraded-loss-ratio = 0.2\n"
      "degraded-jitter-ms = 12.5\n"
      "revert-after-s = 0\n"
      "failover = manual\n"
      "merge = false\n" "merge-window-ms = 5000\n" "fallback = none\n");
  HfStreamConfig *sc = hf_test_only_stream (config);

  fail_unless_equals_int (sc->input_timeout_ms, 50);
  fail_unless_equals_float (sc->degraded_loss_ratio, 0.2);
  fail_unless_equals_float (sc->degraded_jitter_ms, 12.5);
  fail_unless_equals_int (sc->revert_after_s, 0);
  fail_unless_equals_int (sc->failover, HF_FAILOVER_MANUAL);
  fail_unless_equals_int (sc->merge, FALSE);
  fail_unless_equals_int (sc->merge_window_ms, 5000);
  fail_unless_equals_int (sc->fallback, HF_FALLBACK_NONE);
  fail_unless (sc->fallback_path == NULL);
  hf_config_free (config);

  /* The other ends of the ranges. */
  config = hf_test_load_with ("input-timeout-ms = 60000\n"
      "degraded-loss-ratio = 1\n"
      "degraded-jitter-ms = 10000\n"
      "revert-after-s = 3600\n"
      "failover = auto\n" "merge-window-ms = 10\n" "fallback = builtin\n");
  sc = hf_test_only_stream (config);
  fail_unless_equals_int (sc->input_timeout_ms, 60000);
  fail_unless_equals_float (sc->degraded_loss_ratio, 1.0);
  fail_unless_equals_float (sc->degraded_jitter_ms, 10000.0);
  fail_unless_equals_int (sc->revert_after_s, 3600);
  fail_unless_equals_int (sc->failover, HF_FAILOVER_AUTO);
  fail_unless_equals_int (sc->merge_window_ms, 10);
  fail_unless_equals_int (sc->fallback, HF_FALLBACK_BUILTIN);
  hf_config_free (config);
}

GST_END_TEST;

GST_START_TEST (test_degraded_loss_ratio_accepts_a_percentage)
{
  static const struct
  {
    const gchar *text;
    gdouble ratio;
  } cases[] = {
    {"5%", 0.05}, {"0.5%", 0.005}, {"100%", 1.0}, {"12.5 %", 0.125},
    {"0.05", 0.05}, {"1e-3", 0.001},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *extra = g_strdup_printf ("degraded-loss-ratio = %s\n",
        cases[i].text);
    HfConfig *config = hf_test_load_with (extra);
    HfStreamConfig *sc = hf_test_only_stream (config);

    fail_unless (fabs (sc->degraded_loss_ratio - cases[i].ratio) < 1e-12,
        "'%s' read as %g, expected %g", cases[i].text,
        sc->degraded_loss_ratio, cases[i].ratio);
    hf_config_free (config);
    g_free (extra);
  }
}

GST_END_TEST;

GST_START_TEST (test_bad_failover_values_are_refused_naming_the_key)
{
  static const struct
  {
    const gchar *key;
    const gchar *value;
  } bad[] = {
    {"input-timeout-ms", "49"},
    {"input-timeout-ms", "250ms"},
    {"input-timeout-ms", "2.5"},
    {"degraded-loss-ratio", "0"},
    {"degraded-loss-ratio", "0%"},
    {"degraded-loss-ratio", "1.01"},
    {"degraded-loss-ratio", "101%"},
    {"degraded-loss-ratio", "-0.1"},
    {"degraded-loss-ratio", "%"},
    {"degraded-loss-ratio", "five"},
    {"degraded-loss-ratio", "nan"},
    {"degraded-loss-ratio", "0.05%%"},
    {"degraded-loss-ratio", ""},
    {"degraded-jitter-ms", "0"},
    {"degraded-jitter-ms", "0.5"},
    {"degraded-jitter-ms", "10001"},
    {"degraded-jitter-ms", "inf"},
    {"degraded-jitter-ms", "50ms"},
    {"degraded-jitter-ms", ""},
    {"revert-after-s", "-1"},
    {"revert-after-s", "3601"},
    {"revert-after-s", "10s"},
    {"revert-after-s", ""},
    {"failover", "automatic"},
    {"failover", "AUTO "},
    {"failover", ""},
    {"merge", "maybe"},
    {"merge", ""},
    {"merge-window-ms", "9"},
    {"merge-window-ms", "5001"},
    {"merge-window-ms", "x"},
    {"fallback", ""},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    gchar *text = g_strdup_printf ("[stream a]\ninputs = srt://:9001\n"
        "%s = %s\n", bad[i].key, bad[i].value);
    gchar *needle = g_strdup_printf ("[stream a] %s: ", bad[i].key);

    hf_test_assert_refused (text, needle);
    g_free (needle);
    g_free (text);
  }
}

GST_END_TEST;

GST_START_TEST (test_merge_takes_two_or_more_plain_rtp_inputs)
{
  GError *error = NULL;
  HfConfig *config = hf_test_load ("[stream a]\n"
      "inputs = rtp://:5004;rtp://127.0.0.1:5006;rtp://:5008?latency=80\n"
      "merge = true\nmerge-window-ms = 300\n", &error);
  HfStreamConfig *sc;

  fail_unless (config != NULL, "refused: %s", error ? error->message : "?");
  sc = hf_test_only_stream (config);
  fail_unless_equals_int (sc->merge, TRUE);
  fail_unless_equals_int (sc->merge_window_ms, 300);
  fail_unless_equals_int (sc->n_inputs, 3);
  hf_config_free (config);
}

GST_END_TEST;

GST_START_TEST (test_merge_with_fewer_than_two_inputs_is_refused)
{
  hf_test_assert_refused ("[stream a]\ninputs = rtp://:5004\nmerge = true\n",
      "[stream a] merge: needs at least two inputs");
}

GST_END_TEST;

GST_START_TEST (test_merge_of_more_paths_than_the_merge_takes_is_refused)
{
  hf_test_assert_refused ("[stream a]\ninputs = rtp://:5004;rtp://:5006;"
      "rtp://:5008;rtp://:5010;rtp://:5012;rtp://:5014;rtp://:5016;"
      "rtp://:5018;rtp://:5020\nmerge = true\n",
      "[stream a] merge: at most 8 paths can be merged, this stream has 9");
}

GST_END_TEST;

GST_START_TEST (test_merge_of_srt_or_sdp_inputs_is_refused)
{
  gchar *sdp = hf_test_write_sdp ();
  gchar *text;

  hf_test_assert_refused ("[stream a]\ninputs = rtp://:5004;srt://:9001\n"
      "merge = true\n", "[stream a] merge: input 'backup' (srt://:9001)");
  hf_test_assert_refused ("[stream a]\ninputs = srt://:9001;rtp://:5004\n"
      "merge = true\n", "[stream a] merge: input 'primary'");
  text = g_strdup_printf ("[stream a]\ninputs = rtp://:5004;"
      "rtp://:5010?sdp=%s\nmerge = true\n", sdp);
  hf_test_assert_refused (text, "[stream a] merge: input 'backup'");
  g_free (text);

  /* Without merge the same inputs are fine. */
  text = g_strdup_printf ("[stream a]\ninputs = rtp://:5004;"
      "rtp://:5010?sdp=%s;srt://:9001\nmerge = false\n", sdp);
  hf_config_free (hf_test_load_with_text_ok (text));
  g_free (text);

  g_unlink (sdp);
  g_free (sdp);
}

GST_END_TEST;

GST_START_TEST (test_merged_inputs_on_one_port_are_refused)
{
  /* Two copies of a stream still need two ports. */
  hf_test_assert_refused ("[stream a]\n"
      "inputs = rtp://127.0.0.1:5004;rtp://127.0.0.2:5004\nmerge = true\n",
      "[stream a] inputs: UDP port 5004");
}

GST_END_TEST;

GST_START_TEST (test_fallback_missing_file_is_refused_naming_it)
{
  hf_test_assert_refused ("[stream a]\ninputs = srt://:9001\n"
      "fallback = /nonexistent/holdfast/slate.mp4\n",
      "[stream a] fallback: '/nonexistent/holdfast/slate.mp4'");
}

GST_END_TEST;

GST_START_TEST (test_fallback_directory_is_refused)
{
  gchar *dir = g_dir_make_tmp ("hf-test-XXXXXX", NULL);
  gchar *text;
  gchar *needle;

  fail_unless (dir != NULL);
  text = g_strdup_printf ("[stream a]\ninputs = srt://:9001\n"
      "fallback = %s\n", dir);
  needle = g_strdup_printf ("[stream a] fallback: '%s': not a regular file",
      dir);
  hf_test_assert_refused (text, needle);
  g_rmdir (dir);
  g_free (needle);
  g_free (text);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_fallback_existing_file_is_accepted_with_its_path)
{
  GError *error = NULL;
  gchar *path = NULL;
  gint fd = g_file_open_tmp ("hf-test-XXXXXX.ts", &path, &error);
  gchar *text;
  HfConfig *config;
  HfStreamConfig *sc;

  fail_unless (fd >= 0, "g_file_open_tmp: %s", error ? error->message : "?");
  close (fd);
  text = g_strdup_printf ("[stream a]\ninputs = srt://:9001\n"
      "fallback = %s\n", path);
  config = hf_test_load (text, &error);
  fail_unless (config != NULL, "refused: %s", error ? error->message : "?");
  sc = hf_test_only_stream (config);
  fail_unless_equals_int (sc->fallback, HF_FALLBACK_FILE);
  fail_unless_equals_string (sc->fallback_path, path);
  hf_config_free (config);

  /* A file that cannot be read is refused (root reads everything). */
  if (geteuid () != 0 && g_chmod (path, 0) == 0)
    hf_test_assert_refused (text, "[stream a] fallback: ");

  g_unlink (path);
  g_free (text);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_webhooks_and_alert_groups_are_read)
{
  HfConfig *config = hf_test_load_with_text_ok ("[server]\n"
      "webhook = http://127.0.0.1:9000/a; https://hooks.example/b\n"
      "webhook-timeout-ms = 800\nwebhook-attempts = 3\n"
      "webhook-backoff-ms = 50\n"
      "[stream a]\ninputs = srt://:9001\n"
      "[alert input-loss]\nfor = 30s\n"
      "[alert jitter]\nexpr = input.jitter_seconds > 40ms\nstream = a\n");
  guint i, n_builtin = 0;
  const HfAlertRule *jitter = NULL, *loss = NULL;

  fail_unless_equals_int (g_strv_length (config->webhooks), 2);
  fail_unless_equals_string (config->webhooks[0], "http://127.0.0.1:9000/a");
  fail_unless_equals_string (config->webhooks[1], "https://hooks.example/b");
  fail_unless_equals_int (config->webhook->timeout_ms, 800);
  fail_unless_equals_int (config->webhook->max_attempts, 3);
  fail_unless_equals_int (config->webhook->backoff_ms, 50);
  for (i = 0; i < config->alert_rules->len; i++) {
    const HfAlertRule *r = g_ptr_array_index (config->alert_rules, i);

    n_builtin += r->builtin;
    if (g_str_equal (r->name, "jitter"))
      jitter = r;
    if (g_str_equal (r->name, "input-loss"))
      loss = r;
  }
  fail_unless_equals_int (n_builtin, 5);
  fail_unless (jitter != NULL && loss != NULL);
  fail_unless_equals_string (jitter->stream, "a");
  fail_unless (loss->for_us == 30 * G_USEC_PER_SEC);
  hf_config_free (config);

  /* Without any: no webhook, the built-in rules. */
  config = hf_test_load_with_text_ok ("[stream a]\ninputs = srt://:9001\n");
  fail_unless_equals_int (g_strv_length (config->webhooks), 0);
  fail_unless_equals_int (config->alert_rules->len, 5);
  hf_config_free (config);
}

GST_END_TEST;

GST_START_TEST (test_bad_webhooks_and_alerts_are_refused)
{
  hf_test_assert_refused ("[server]\nwebhook = ftp://x/y\n"
      "[stream a]\ninputs = srt://:9001\n", "[server] webhook");
  hf_test_assert_refused ("[server]\nwebhook = http://\n"
      "[stream a]\ninputs = srt://:9001\n", "[server] webhook");
  hf_test_assert_refused ("[server]\nwebhook = http://a/h\\q\n"
      "[stream a]\ninputs = srt://:9001\n", "[server] webhook: cannot be read");
  hf_test_assert_refused ("[server]\nwebhook = http://u:p@a/h;http://u:q@a/h\n"
      "[stream a]\ninputs = srt://:9001\n", "given twice");
  hf_test_assert_refused ("[server]\nwebhook-attempts = 0\n"
      "[stream a]\ninputs = srt://:9001\n", "[server] webhook-attempts");
  hf_test_assert_refused ("[stream a]\ninputs = srt://:9001\n"
      "[alert x]\nexpr = input.nosuch > 1\n", "[alert x] expr");
  hf_test_assert_refused ("[stream a]\ninputs = srt://:9001\n"
      "[alert x]\nexpr = stream.slate == 1\nstream = b\n",
      "[alert x] stream");
  hf_test_assert_refused ("[stream a]\ninputs = srt://:9001\n"
      "[stream b]\ninputs = srt://:9002\nfailover = au\\qto\n",
      "[stream b] failover: cannot be read");
}

GST_END_TEST;

static Suite *
hf_config_suite (void)
{
  Suite *s = suite_create ("hf-config");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_valid_config_parses_to_its_values);
  tcase_add_test (tc, test_missing_server_group_serves_api_on_default_address);
  tcase_add_test (tc, test_unknown_key_is_refused_naming_group_and_key);
  tcase_add_test (tc, test_unknown_group_is_refused_naming_it);
  tcase_add_test (tc, test_bad_input_urls_are_refused_naming_stream_and_key);
  tcase_add_test (tc, test_bad_output_urls_are_refused_naming_stream_and_key);
  tcase_add_test (tc, test_two_inputs_on_one_port_are_refused);
  tcase_add_test (tc, test_rtp_input_on_rtcp_port_of_another_is_refused);
  tcase_add_test (tc,
      test_input_and_srt_listener_output_on_one_port_are_refused);
  tcase_add_test (tc, test_callers_and_rtp_outputs_claim_no_local_port);
  tcase_add_test (tc, test_sdp_media_port_clash_is_refused);
  tcase_add_test (tc, test_stream_without_inputs_is_refused);
  tcase_add_test (tc, test_stream_defined_twice_is_refused);
  tcase_add_test (tc, test_key_set_twice_is_refused);
  tcase_add_test (tc, test_bad_server_http_is_refused);
  tcase_add_test (tc, test_server_http_accepts_bracketed_ipv6);
  tcase_add_test (tc, test_file_without_streams_is_refused);
  tcase_add_test (tc, test_input_names_count_mismatch_is_refused);
  tcase_add_test (tc, test_bad_input_names_are_refused);
  tcase_add_test (tc, test_bad_input_timeout_is_refused);
  tcase_add_test (tc, test_bad_stream_name_is_refused);
  tcase_add_test (tc, test_garbage_that_is_not_ini_is_refused_as_parse_error);
  tcase_add_test (tc, test_failover_keys_take_their_defaults);
  tcase_add_test (tc, test_failover_keys_parse_to_their_values);
  tcase_add_test (tc, test_degraded_loss_ratio_accepts_a_percentage);
  tcase_add_test (tc, test_bad_failover_values_are_refused_naming_the_key);
  tcase_add_test (tc, test_merge_takes_two_or_more_plain_rtp_inputs);
  tcase_add_test (tc, test_merge_with_fewer_than_two_inputs_is_refused);
  tcase_add_test (tc, test_merge_of_srt_or_sdp_inputs_is_refused);
  tcase_add_test (tc, test_merge_of_more_paths_than_the_merge_takes_is_refused);
  tcase_add_test (tc, test_merged_inputs_on_one_port_are_refused);
  tcase_add_test (tc, test_fallback_missing_file_is_refused_naming_it);
  tcase_add_test (tc, test_fallback_directory_is_refused);
  tcase_add_test (tc, test_fallback_existing_file_is_accepted_with_its_path);
  tcase_add_test (tc, test_webhooks_and_alert_groups_are_read);
  tcase_add_test (tc, test_bad_webhooks_and_alerts_are_refused);
  return s;
}

GST_CHECK_MAIN (hf_config);
