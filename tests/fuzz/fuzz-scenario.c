/* Fuzz target: the drill scenario parser (tools/hf-scenario.c) on arbitrary
 * bytes.  It either returns a scenario that holds together (steps in time
 * order within the duration, every step's link known, SLOs unset or not
 * negative) or refuses with an error naming what is wrong; it never
 * crashes, leaks or asserts.  The environment is not read: only the
 * variables given here expand. */
#include "tests/fuzz/fuzz.h"
#include "tools/hf-scenario.h"

#include <stdlib.h>
#include <string.h>

static void
hf_fuzz_check_scenario (const HfScenario * sc)
{
  gint64 last = 0;

  if (!sc->name || !sc->relay || !sc->stream || sc->duration_ms <= 0)
    abort ();
  for (guint i = 0; i < sc->steps->len; i++) {
    const HfScenarioStep *s = g_ptr_array_index (sc->steps, i);

    if (s->at_ms < last || s->at_ms > sc->duration_ms || !s->action ||
        !s->link || !s->args || !s->text)
      abort ();
    if (strcmp (s->link, "all") != 0 && !hf_scenario_find_link (sc, s->link))
      abort ();
    last = s->at_ms;
  }
  for (guint i = 0; i < sc->links->len; i++) {
    const HfScenarioLink *l = g_ptr_array_index (sc->links, i);

    if (!l->name || (!l->linkem_link && !l->netdev))
      abort ();
  }
  if (sc->slo.max_viewer_gap_ms < -1 || sc->slo.max_detect_ms < -1 ||
      sc->slo.revert_by_ms < -1 || sc->slo.max_frames_lost < -1)
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  g_autoptr (GHashTable) vars = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GError) error = NULL;
  HfScenario *sc;

  g_hash_table_insert (vars, (gpointer) "RELAY", (gpointer) "http://[::1]:1");
  g_hash_table_insert (vars, (gpointer) "VIEW", (gpointer) "srt://[::1]:2");
  sc = hf_scenario_parse ((const gchar *) data, size, vars, FALSE, &error);
  if (sc == NULL) {
    if (error == NULL || error->message == NULL || !*error->message)
      abort ();
    return 0;
  }
  hf_fuzz_check_scenario (sc);
  hf_scenario_free (sc);
  return 0;
}
