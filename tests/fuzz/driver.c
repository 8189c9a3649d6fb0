/* Plain fuzz driver: the main() that `make check` links with each fuzz
 * target (libFuzzer brings its own for `make fuzz`).  It replays every
 * seed file in the directories (or files) given as arguments, then runs
 * HF_FUZZ_RUNS (default 20000) inputs made by mutating the seeds -- bit
 * flips, byte changes, truncation, insertion of random bytes, duplication,
 * splicing of two seeds -- from a fixed HF_FUZZ_SEED (default 1), so a run
 * is repeatable.  A crash, an ASan report or a target's abort() ends the
 * process, which is the point.  To get the input that did it, run again
 * with HF_FUZZ_SAVE=1: each input is then written to
 * HF_FUZZ_CRASH_DIR/fuzz-NAME-last-input (default directory: /tmp) before
 * it runs, and `fuzz-NAME FILE` replays it.  At the end it prints
 * "fuzz-NAME: N inputs, 0 crashes".
 *
 * Single-threaded.  Every input is handed over in a buffer of exactly its
 * size, so ASan sees a read one byte past its end.
 */
#include "tests/fuzz/fuzz.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Mutated inputs stay below this size. */
#define HF_FUZZ_MAX_LEN 16384

typedef struct
{
  guint8 *data;
  gsize size;
} HfFuzzSeed;

/* splitmix64: small, fast and the same everywhere. */
static guint64
hf_fuzz_rand (guint64 * state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
static gsize
hf_fuzz_below (guint64 * state, gsize n)
{
  return (gsize) (hf_fuzz_rand (state) % n);
}

static guint64
hf_fuzz_env (const gchar * name, guint64 fallback)
{
  const gchar *v = g_getenv (name);
  gchar *end = NULL;
  guint64 n;

  if (!v || !*v)
    return fallback;
  n = g_ascii_strtoull (v, &end, 10);
  if (*end) {
    g_printerr ("%s=%s: expected a number\n", name, v);
    exit (2);
  }
  return n;
}

static void
hf_fuzz_add_file (GArray * seeds, const gchar * path)
{
  HfFuzzSeed seed;
  gchar *contents = NULL;
  GError *error = NULL;

  if (!g_file_get_contents (path, &contents, &seed.size, &error)) {
    g_printerr ("%s\n", error->message);
    g_error_free (error);
    exit (2);
  }
  seed.data = g_memdup2 (contents, seed.size);
  g_free (contents);
  g_array_append_val (seeds, seed);
}

static gint
hf_fuzz_compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

/* Adds every regular file in @dir (sorted, so runs are repeatable), or
 * @dir itself if it is a file. */
static void
hf_fuzz_add_path (GArray * seeds, const gchar * path)
{
  GError *error = NULL;
  GDir *dir;
  GPtrArray *names;
  const gchar *name;
  guint i;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR)) {
    hf_fuzz_add_file (seeds, path);
    return;
  }
  dir = g_dir_open (path, 0, &error);
  if (!dir) {
    g_printerr ("%s\n", error->message);
    g_error_free (error);
    exit (2);
  }
  names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (dir)))
    g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_dir_close (dir);
  g_ptr_array_sort (names, hf_fuzz_compare_names);
  for (i = 0; i < names->len; i++) {
    const gchar *file = g_ptr_array_index (names, i);

    if (g_file_test (file, G_FILE_TEST_IS_REGULAR))
      hf_fuzz_add_file (seeds, file);
  }
  g_ptr_array_unref (names);
}

/* Bytes that often sit on a parser's edge. */
static const guint8 hf_fuzz_interesting[] = {
  0x00, 0x01, 0x02, 0x0a, 0x0d, 0x1f, 0x20, 0x25, 0x26, 0x2f, 0x30, 0x39,
  0x3a, 0x3b, 0x3d, 0x3f, 0x40, 0x47, 0x5b, 0x5d, 0x7f, 0x80, 0xb0, 0xfe,
  0xff,
};

/* Applies one random mutation to @buf (of @*len bytes, room for
 * HF_FUZZ_MAX_LEN). */
static void
hf_fuzz_mutate_once (guint64 * rng, guint8 * buf, gsize * len,
    const GArray * seeds)
{
  gsize n = *len, pos, count, i;

  switch (hf_fuzz_below (rng, 10)) {
    case 0:                    /* flip a bit */
      if (n)
        buf[hf_fuzz_below (rng, n)] ^= 1u << hf_fuzz_below (rng, 8);
      break;
    case 1:                    /* a random byte */
      if (n)
        buf[hf_fuzz_below (rng, n)] = hf_fuzz_rand (rng);
      break;
    case 2:                    /* an interesting byte */
      if (n)
        buf[hf_fuzz_below (rng, n)] =
            hf_fuzz_interesting[hf_fuzz_below (rng,
                sizeof (hf_fuzz_interesting))];
      break;
    case 3:                    /* add or subtract a little */
      if (n)
        buf[hf_fuzz_below (rng, n)] += (gint) hf_fuzz_below (rng, 71) - 35;
      break;
    case 4:                    /* truncate */
      *len = hf_fuzz_below (rng, n + 1);
      break;
    case 5:                    /* insert random bytes */
      count = 1 + hf_fuzz_below (rng, 16);
      if (n + count > HF_FUZZ_MAX_LEN)
        break;
      pos = hf_fuzz_below (rng, n + 1);
      memmove (buf + pos + count, buf + pos, n - pos);
      for (i = 0; i < count; i++)
        buf[pos + i] = hf_fuzz_rand (rng);
      *len = n + count;
      break;
    case 6:                    /* delete a range */
      if (!n)
        break;
      pos = hf_fuzz_below (rng, n);
      count = 1 + hf_fuzz_below (rng, MIN (n - pos, 64));
      memmove (buf + pos, buf + pos + count, n - pos - count);
      *len = n - count;
      break;
    case 7:                    /* duplicate a range */
      if (!n)
        break;
      pos = hf_fuzz_below (rng, n);
      count = 1 + hf_fuzz_below (rng, MIN (n - pos, 256));
      if (n + count > HF_FUZZ_MAX_LEN)
        break;
      {
        gsize at = hf_fuzz_below (rng, n + 1);
        guint8 *copy = g_memdup2 (buf + pos, count);

        memmove (buf + at + count, buf + at, n - at);
        memcpy (buf + at, copy, count);
        g_free (copy);
      }
      *len = n + count;
      break;
    case 8:                    /* splice: our head, another seed's tail */
      if (seeds->len) {
        const HfFuzzSeed *other = &g_array_index (seeds, HfFuzzSeed,
            hf_fuzz_below (rng, seeds->len));
        gsize head = hf_fuzz_below (rng, n + 1);
        gsize from = hf_fuzz_below (rng, other->size + 1);
        gsize tail = MIN (other->size - from, HF_FUZZ_MAX_LEN - head);

        memcpy (buf + head, other->data + from, tail);
        *len = head + tail;
      }
      break;
    default:                   /* insert a piece of another seed */
      if (seeds->len) {
        const HfFuzzSeed *other = &g_array_index (seeds, HfFuzzSeed,
            hf_fuzz_below (rng, seeds->len));
        gsize from, at;

        if (!other->size)
          break;
        from = hf_fuzz_below (rng, other->size);
        count = 1 + hf_fuzz_below (rng, MIN (other->size - from, 512));
        if (n + count > HF_FUZZ_MAX_LEN)
          break;
        at = hf_fuzz_below (rng, n + 1);
        memmove (buf + at + count, buf + at, n - at);
        memcpy (buf + at, other->data + from, count);
        *len = n + count;
      }
      break;
  }
}

/* Keeps the input about to run on disk, so that a crash can be replayed
 * with `fuzz-NAME FILE`. */
static void
hf_fuzz_save (const gchar * path, const guint8 * data, gsize size)
{
  if (path)
    g_file_set_contents (path, (const gchar *) data, size, NULL);
}

/* Runs the target on an exactly-sized copy of @data. */
static void
hf_fuzz_run_one (const guint8 * data, gsize size)
{
  guint8 *copy = g_malloc (size ? size : 1);

  /* An empty seed's data is NULL: memcpy must not see it. */
  if (size)
    memcpy (copy, data, size);
  LLVMFuzzerTestOneInput (copy, size);
  g_free (copy);
}

int
main (int argc, char **argv)
{
  guint64 runs = hf_fuzz_env ("HF_FUZZ_RUNS", 20000);
  guint64 rng = hf_fuzz_env ("HF_FUZZ_SEED", 1);
  gboolean save = hf_fuzz_env ("HF_FUZZ_SAVE", 0) != 0;
  gchar *name = g_path_get_basename (argv[0]);
  gchar *crash_path = NULL;
  GArray *seeds = g_array_new (FALSE, FALSE, sizeof (HfFuzzSeed));
  guint8 *buf = g_malloc (HF_FUZZ_MAX_LEN);
  guint64 done = 0, r;
  guint i;

  for (i = 1; i < (guint) argc; i++)
    hf_fuzz_add_path (seeds, argv[i]);
  if (save)
    crash_path = g_strdup_printf ("%s/%s-last-input",
        g_getenv ("HF_FUZZ_CRASH_DIR") ? g_getenv ("HF_FUZZ_CRASH_DIR") :
        g_get_tmp_dir (), name);

  /* (a) The seeds as they are. */
  for (i = 0; i < seeds->len; i++) {
    HfFuzzSeed *seed = &g_array_index (seeds, HfFuzzSeed, i);

    hf_fuzz_save (crash_path, seed->data, seed->size);
    hf_fuzz_run_one (seed->data, seed->size);
    done++;
  }

  /* (b) Mutations of them. */
  for (r = 0; r < runs; r++) {
    gsize len = 0;
    guint k, n_mutations = 1 + hf_fuzz_below (&rng, 8);

    if (seeds->len) {
      HfFuzzSeed *seed = &g_array_index (seeds, HfFuzzSeed,
          hf_fuzz_below (&rng, seeds->len));

      len = MIN (seed->size, HF_FUZZ_MAX_LEN);
      if (len)
        memcpy (buf, seed->data, len);
    }
    for (k = 0; k < n_mutations; k++)
      hf_fuzz_mutate_once (&rng, buf, &len, seeds);
    hf_fuzz_save (crash_path, buf, len);
    hf_fuzz_run_one (buf, len);
    done++;
  }

  g_print ("%s: %" G_GUINT64_FORMAT " inputs, 0 crashes\n", name, done);

  for (i = 0; i < seeds->len; i++)
    g_free (g_array_index (seeds, HfFuzzSeed, i).data);
  g_array_unref (seeds);
  g_free (buf);
  g_free (crash_path);
  g_free (name);
  return 0;
}
