/* Fuzz target: hf-linkem's hand-written parsers (tools/hf-linkem-ctl.c) on
 * arbitrary bytes.  The input is one control request line and, after its
 * first newline, a link spec: whatever they are given, the parsers either
 * accept something that holds together or refuse with an
 * HF_LINKEM_CTL_ERROR and a message; a change set that parses is applied to
 * a clean and to a busy configuration, and the result, if accepted, passes
 * the model's own validation and drives a model for a few packets.  Never
 * a crash, a leak or an assertion.  Single-threaded.
 */
#include "tests/fuzz/fuzz.h"
#include "tools/hf-linkem-ctl.h"

#include <stdlib.h>
#include <string.h>

static gpointer
hf_fuzz_copy (gpointer item, gpointer user_data)
{
  return g_memdup2 (item, 1);
}

static void
hf_fuzz_drop (gpointer item, gpointer user_data)
{
  g_free (item);
}

static void
hf_fuzz_check_error (GError * error)
{
  if (!error || error->domain != HF_LINKEM_CTL_ERROR || !error->message ||
      !*error->message)
    abort ();
  g_error_free (error);
}

/* Applies @change to @base; an accepted result must be valid and usable. */
static void
hf_fuzz_apply (const HfLinkemChange * change, const HfImpairConfig * base)
{
  HfImpairConfig result;
  GError *error = NULL;
  HfImpair *imp;
  gint64 t;

  if (!hf_linkem_change_apply (change, base, &result, &error)) {
    if (!error || !error->message)
      abort ();
    g_error_free (error);
    return;
  }
  if (!hf_impair_config_validate (&result, NULL))
    abort ();
  g_free (hf_impair_config_to_string (&result));
  imp = hf_impair_new (1, hf_fuzz_copy, hf_fuzz_drop, NULL);
  hf_impair_set_config (imp, base, 0);
  for (t = 0; t < 20; t++)
    hf_impair_push (imp, g_malloc (1), 1316, t * 100);
  hf_impair_set_config (imp, &result, 2000);
  for (t = 20; t < 40; t++) {
    hf_impair_push (imp, g_malloc (1), 1316, t * 100);
    g_free (hf_impair_pop (imp, t * 100 + 50000, NULL));
  }
  hf_impair_free (imp);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  const gchar *text = (const gchar *) data;
  const gchar *nl = memchr (data, '\n', size);
  gsize line_len = nl ? (gsize) (nl - text) : size;
  HfLinkemRequest req;
  HfLinkemSpec spec;
  GError *error = NULL;

  if (hf_linkem_request_parse (text, line_len, &req, &error)) {
    if (error)
      abort ();
    if (req.kind == HF_LINKEM_REQ_CTL) {
      HfImpairConfig clean, busy;

      if (!req.all && !hf_linkem_name_is_valid (req.link))
        abort ();
      if (req.dir == 0 || (req.dir & ~HF_LINKEM_DIR_BOTH))
        abort ();
      if (req.change.set == 0 || (req.change.set & ~HF_LINKEM_SET_ALL))
        abort ();
      hf_impair_config_init (&clean);
      busy = clean;
      busy.loss_pct = 40;
      busy.burst = 3;
      busy.delay_us = 20000;
      busy.jitter_us = 5000;
      busy.rate_bps = 1000000;
      hf_fuzz_apply (&req.change, &clean);
      hf_fuzz_apply (&req.change, &busy);
    }
  } else {
    hf_fuzz_check_error (error);
  }

  if (nl) {
    gchar *spec_text = g_strndup (nl + 1, size - line_len - 1);

    error = NULL;
    if (hf_linkem_spec_parse (spec_text, &spec, &error)) {
      if (!hf_linkem_name_is_valid (spec.name) || !spec.listen_host[0] ||
          !spec.target_host[0] || spec.target_port == 0 ||
          spec.n_ports < 1 || spec.n_ports > HF_LINKEM_MAX_PORTS ||
          spec.listen_port + spec.n_ports - 1 > 65535)
        abort ();
    } else {
      hf_fuzz_check_error (error);
    }
    g_free (spec_text);
  }
  return 0;
}
