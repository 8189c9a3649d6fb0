/* Fuzz target: the Server-Sent Events parser (tools/hf-sse.c) on
 * arbitrary bytes.  The input is parsed twice with a small limit (4096
 * bytes, so that the limit is reached too): once in one piece, once cut
 * into chunks whose sizes come from the input's own bytes (1 to 16), so
 * that a line end split between CR and LF, a split byte order mark and a
 * split field name are all tried.  The two must give the same result and
 * the same frames (event, id, data): abort() if not.  Every frame must be
 * well formed (an event name, NUL-terminated data of data_len bytes).
 * Single-threaded.
 */
#include "tests/fuzz/fuzz.h"
#include "tools/hf-sse.h"

#include <stdlib.h>
#include <string.h>

static HfSseResult
hf_fuzz_sse_parse (const uint8_t * data, size_t size, gboolean chunked,
    GPtrArray * frames)
{
  HfSseParser *parser = hf_sse_parser_new (4096);
  HfSseResult result = HF_SSE_OK;
  size_t i = 0, n;

  while (i < size && result == HF_SSE_OK) {
    n = chunked ? (size_t) (1 + data[i] % 16) : size;
    n = MIN (n, size - i);
    result = hf_sse_parser_feed (parser, (const gchar *) data + i, n, frames);
    i += n;
  }
  hf_sse_parser_free (parser);
  return result;
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  GPtrArray *whole = g_ptr_array_new_with_free_func ((GDestroyNotify)
      hf_sse_frame_free);
  GPtrArray *chunks = g_ptr_array_new_with_free_func ((GDestroyNotify)
      hf_sse_frame_free);
  HfSseResult a, b;
  guint i;

  a = hf_fuzz_sse_parse (data, size, FALSE, whole);
  b = hf_fuzz_sse_parse (data, size, TRUE, chunks);
  if (a != b || whole->len != chunks->len)
    abort ();
  for (i = 0; i < whole->len; i++) {
    HfSseFrame *x = g_ptr_array_index (whole, i);
    HfSseFrame *y = g_ptr_array_index (chunks, i);

    if (x->event == NULL || x->data == NULL || x->data[x->data_len] != '\0'
        || x->data_len > 4096)
      abort ();
    if (strcmp (x->event, y->event) != 0 || x->data_len != y->data_len
        || memcmp (x->data, y->data, x->data_len) != 0
        || g_strcmp0 (x->id, y->id) != 0)
      abort ();
  }
  g_ptr_array_unref (whole);
  g_ptr_array_unref (chunks);
  return 0;
}
