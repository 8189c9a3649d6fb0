/* Fuzz target: the config loader (relay/hf-config.c) on arbitrary bytes.
 * Whatever it is given, it either returns a config that holds together or
 * refuses with an HF_CONFIG_ERROR; it never crashes, leaks or asserts.
 *
 * Note: an SDP input makes the loader read the file it names (for its
 * ports), and a fallback PATH makes it stat the file.  The seeds name
 * tests/fuzz/corpus/sdp/ffmpeg.sdp, relative to the top of the tree, where
 * the fuzzers run.  Single-threaded; gst_init()
 * once, for the caps an SDP input's media make.
 */
#include "tests/fuzz/fuzz.h"
#include "relay/hf-relay.h"

#include <stdlib.h>

static void
hf_fuzz_check_config (const HfConfig * config)
{
  guint i, j;

  if (!config->http_host || config->http_port == 0 || !config->streams ||
      config->streams->len == 0)
    abort ();
  for (i = 0; i < config->streams->len; i++) {
    const HfStreamConfig *sc = g_ptr_array_index (config->streams, i);

    if (!sc->name || !*sc->name || sc->n_inputs == 0 || !sc->input_names)
      abort ();
    if (sc->input_timeout_ms < 50 || sc->input_timeout_ms > 60000)
      abort ();
    if (!(sc->degraded_loss_ratio > 0 && sc->degraded_loss_ratio <= 1) ||
        !(sc->degraded_jitter_ms >= 1 && sc->degraded_jitter_ms <= 10000) ||
        sc->revert_after_s < 0 || sc->revert_after_s > 3600 ||
        sc->merge_window_ms < 10 || sc->merge_window_ms > 5000)
      abort ();
    if ((sc->fallback == HF_FALLBACK_FILE) != (sc->fallback_path != NULL))
      abort ();
    if (sc->merge && sc->n_inputs < 2)
      abort ();
    for (j = 0; sc->merge && j < sc->n_inputs; j++)
      if (sc->inputs[j].kind != HF_INPUT_RTP_TS)
        abort ();
    for (j = 0; j < sc->n_inputs; j++) {
      if (!sc->input_names[j] || !sc->inputs[j].url ||
          !sc->inputs[j].host || sc->inputs[j].port == 0)
        abort ();
    }
    if (sc->input_names[sc->n_inputs] != NULL)
      abort ();
    for (j = 0; j < sc->n_outputs; j++) {
      if (!sc->outputs[j].url || !sc->outputs[j].host ||
          sc->outputs[j].port == 0)
        abort ();
    }
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  static gboolean initialized;
  GError *error = NULL;
  HfConfig *config;

  if (!initialized) {
    gst_init (NULL, NULL);
    initialized = TRUE;
  }
  config = hf_config_load_data ((const gchar *) data, size, &error);
  if (config) {
    if (error)
      abort ();
    hf_fuzz_check_config (config);
    hf_config_free (config);
  } else {
    if (!error || error->domain != HF_CONFIG_ERROR || !error->message)
      abort ();
    g_error_free (error);
  }
  return 0;
}
