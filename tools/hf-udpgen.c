/* hf-udpgen: a UDP traffic generator and receiver that measures a link
 * (hf-linkem's tests and benchmark use it; it knows nothing of hf-linkem).
 *
 *   hf-udpgen send HOST:PORT [--rate-pps N | --rate-kbps N] [--size B]
 *                  [--count N] [--echo [--timeout S] [--idle S]] [--log F]
 *                  [--sent-log F]
 *   hf-udpgen recv [HOST:]PORT [--count N] [--timeout S] [--idle S] [--log F]
 *   hf-udpgen echo [HOST:]PORT [--timeout S]
 *
 * Every datagram carries, big-endian: "HFUG", its sequence number (from 0),
 * and its send time on CLOCK_MONOTONIC and on CLOCK_REALTIME (ns); the rest
 * of --size is zeros.  Sender and receiver run on one machine, so the
 * monotonic clock is shared and a one-way delay is a subtraction.  The
 * receive time is the kernel's receive timestamp (SO_TIMESTAMPNS, realtime,
 * moved onto the monotonic clock by the offset between the two read just
 * after the batch): a receiver that is scheduled late does not add to the
 * delay it measures.
 *
 * recv (and send --echo, for what comes back) ends when --count distinct
 * datagrams arrived, when nothing arrived for --idle seconds after the
 * first, at --timeout, or at SIGINT/SIGTERM, and prints a JSON summary:
 * received, lost, duplicates, reordered, one-way delay min/median/p95/max
 * in ms, receive rate in kbit/s, loss bursts (count, mean, histogram).
 * --log writes "seq send_mono_ns send_real_ns recv_mono_ns" per datagram
 * received; send --sent-log writes "seq send_mono_ns send_real_ns" per
 * datagram sent (a test can then tell which were sent when, lost or not).
 * echo sends every datagram back to where it came from (a target for
 * testing a reverse path); send --echo then measures the round trip.
 *
 * Threads: one.  Sending is paced on an absolute schedule (start + i *
 * interval), so a late wake-up does not slow the mean rate.
 */

/* recvmmsg, sendmmsg, accept4, ppoll */
#define _GNU_SOURCE

#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <json-glib/json-glib.h>

#define HF_UDPGEN_EXIT_OK 0
#define HF_UDPGEN_EXIT_FAILURE 1
#define HF_UDPGEN_EXIT_USAGE 2

#define HF_UDPGEN_MAGIC 0x48465547u     /* "HFUG" */
#define HF_UDPGEN_HEADER 28
#define HF_UDPGEN_BATCH 64
#define HF_UDPGEN_MAX_DATAGRAM 65536
#define HF_UDPGEN_SOCKET_BUFFER (8 * 1024 * 1024)
/* The highest sequence number a receiver keeps track of. */
#define HF_UDPGEN_MAX_SEQ G_GUINT64_CONSTANT (100000000)
#define HF_UDPGEN_POLL_MS 20

typedef struct
{
  guint64 expected;             /* --count; 0: the highest seq + 1 */
  guint64 received;             /* datagrams of ours, copies included */
  guint64 unique;
  guint64 duplicates;
  guint64 reordered;
  guint64 foreign;              /* not ours (too short, no magic) */
  guint64 bytes;
  guint64 max_seq;
  gboolean any;
  GByteArray *seen;             /* 1 per sequence number received */
  GArray *delays_ns;            /* (element-type gint64) */
  gint64 first_ns;
  gint64 last_ns;
  guint64 first_bytes;
  FILE *log;
} HfUdpgenStats;

static volatile sig_atomic_t hf_udpgen_stop;

static void
hf_udpgen_on_signal (int sig)
{
  hf_udpgen_stop = 1;
}

static gint64
hf_udpgen_clock_ns (clockid_t clock)
{
  struct timespec ts;

  clock_gettime (clock, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---------------------------------------------------------------------- */
/* Addresses and sockets                                                  */

/* Parses [HOST:]PORT or [V6]:PORT; an absent host is @default_host. */
static gboolean
hf_udpgen_resolve (const gchar * text, const gchar * default_host,
    gboolean passive, struct sockaddr_storage *ss, socklen_t * len,
    GError ** error)
{
  struct addrinfo hints, *res = NULL;
  gchar *host, *port;
  const gchar *colon = strrchr (text, ':');
  int rc;

  if (!colon) {
    host = g_strdup (default_host);
    port = g_strdup (text);
  } else if (text[0] == '[' && colon > text && colon[-1] == ']') {
    host = g_strndup (text + 1, colon - text - 2);
    port = g_strdup (colon + 1);
  } else {
    host = g_strndup (text, colon - text);
    port = g_strdup (colon + 1);
  }
  memset (&hints, 0, sizeof (hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  rc = getaddrinfo (host, port, &hints, &res);
  if (rc != 0 || !res) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "bad address \"%s\": %s (expected HOST:PORT, [V6]:PORT or PORT)",
        text, gai_strerror (rc));
    g_free (host);
    g_free (port);
    return FALSE;
  }
  memcpy (ss, res->ai_addr, res->ai_addrlen);
  *len = res->ai_addrlen;
  freeaddrinfo (res);
  g_free (host);
  g_free (port);
  return TRUE;
}

/* A UDP socket with big buffers and kernel receive timestamps, bound to
 * @bind_addr unless it is NULL. */
static int
hf_udpgen_socket (int family, const struct sockaddr_storage *bind_addr,
    socklen_t len, GError ** error)
{
  int fd = socket (family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int size = HF_UDPGEN_SOCKET_BUFFER, on = 1;

  if (fd < 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
        "socket: %s", g_strerror (errno));
    return -1;
  }
  if (setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof (size)) < 0)
    setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof (size));
  if (setsockopt (fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof (size)) < 0)
    setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof (size));
  setsockopt (fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof (on));
  if (bind_addr && bind (fd, (const struct sockaddr *) bind_addr, len) < 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
        "bind: %s", g_strerror (errno));
    close (fd);
    return -1;
  }
  return fd;
}

/* ---------------------------------------------------------------------- */
/* Payload                                                                */

static void
hf_udpgen_put64 (guint8 * p, guint64 v)
{
  guint i;

  for (i = 0; i < 8; i++)
    p[i] = (guint8) (v >> (56 - 8 * i));
}

static guint64
hf_udpgen_get64 (const guint8 * p)
{
  guint64 v = 0;
  guint i;

  for (i = 0; i < 8; i++)
    v = (v << 8) | p[i];
  return v;
}

/* ---------------------------------------------------------------------- */
/* Statistics                                                             */

static void
hf_udpgen_stats_init (HfUdpgenStats * st, guint64 expected, FILE * log)
{
  memset (st, 0, sizeof (*st));
  st->expected = expected;
  st->seen = g_byte_array_new ();
  st->delays_ns = g_array_new (FALSE, FALSE, sizeof (gint64));
  st->log = log;
}

static void
hf_udpgen_stats_clear (HfUdpgenStats * st)
{
  g_byte_array_unref (st->seen);
  g_array_unref (st->delays_ns);
}

/* One datagram received at @rx_ns (monotonic). */
static void
hf_udpgen_stats_add (HfUdpgenStats * st, const guint8 * data, gsize len,
    gint64 rx_ns)
{
  guint64 seq;
  gint64 sent_ns, delay;

  if (len < HF_UDPGEN_HEADER ||
      (guint32) (hf_udpgen_get64 (data) >> 32) != HF_UDPGEN_MAGIC) {
    st->foreign++;
    return;
  }
  seq = hf_udpgen_get64 (data + 4);
  sent_ns = (gint64) hf_udpgen_get64 (data + 12);
  if (seq >= HF_UDPGEN_MAX_SEQ) {
    st->foreign++;
    return;
  }
  if (st->log)
    fprintf (st->log, "%" G_GUINT64_FORMAT " %" G_GINT64_FORMAT " %"
        G_GUINT64_FORMAT " %" G_GINT64_FORMAT "\n", seq, sent_ns,
        hf_udpgen_get64 (data + 20), rx_ns);

  st->received++;
  st->bytes += len;
  if (!st->any) {
    st->first_ns = rx_ns;
    st->first_bytes = len;
  }
  st->last_ns = rx_ns;
  if (seq >= st->seen->len) {
    guint old = st->seen->len;

    g_byte_array_set_size (st->seen, MAX (seq + 1, old * 2));
    memset (st->seen->data + old, 0, st->seen->len - old);
  }
  if (st->seen->data[seq]) {
    st->duplicates++;
    return;
  }
  st->seen->data[seq] = 1;
  st->unique++;
  if (st->any && seq < st->max_seq)
    st->reordered++;
  if (!st->any || seq > st->max_seq)
    st->max_seq = seq;
  st->any = TRUE;
  delay = rx_ns - sent_ns;
  g_array_append_val (st->delays_ns, delay);
}

static gint
hf_udpgen_compare_i64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
hf_udpgen_json_double (JsonBuilder * b, const gchar * name, gdouble v)
{
  json_builder_set_member_name (b, name);
  /* Three decimals are more than a measurement here is worth, and keep
   * json-glib from writing 17 digits. */
  json_builder_add_double_value (b, round (v * 1000) / 1000);
}

static void
hf_udpgen_json_int (JsonBuilder * b, const gchar * name, guint64 v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, (gint64) v);
}

static gint
hf_udpgen_compare_size (gconstpointer a, gconstpointer b)
{
  gsize x = GPOINTER_TO_SIZE (a), y = GPOINTER_TO_SIZE (b);

  return x < y ? -1 : x > y;
}

/* Adds the summary members of @st to the open object of @b. */
static void
hf_udpgen_stats_json (HfUdpgenStats * st, JsonBuilder * b)
{
  guint64 expected = st->expected ? st->expected :
      (st->any ? st->max_seq + 1 : 0);
  guint64 lost = expected > st->unique ? expected - st->unique : 0;
  guint64 bursts = 0, burst_packets = 0, max_burst = 0, seq, run = 0;
  GHashTable *hist = g_hash_table_new (g_direct_hash, g_direct_equal);
  GList *keys, *k;
  gdouble span_s;

  hf_udpgen_json_int (b, "expected", expected);
  hf_udpgen_json_int (b, "received", st->received);
  hf_udpgen_json_int (b, "unique", st->unique);
  hf_udpgen_json_int (b, "lost", lost);
  hf_udpgen_json_double (b, "loss_pct", expected ? 100.0 * lost / expected : 0);
  hf_udpgen_json_int (b, "duplicates", st->duplicates);
  hf_udpgen_json_int (b, "reordered", st->reordered);
  hf_udpgen_json_int (b, "foreign", st->foreign);
  hf_udpgen_json_int (b, "bytes", st->bytes);

  json_builder_set_member_name (b, "delay_ms");
  json_builder_begin_object (b);
  if (st->delays_ns->len) {
    gint64 *d = (gint64 *) st->delays_ns->data;
    guint n = st->delays_ns->len;
    gdouble sum = 0;
    guint i;

    g_array_sort (st->delays_ns, hf_udpgen_compare_i64);
    for (i = 0; i < n; i++)
      sum += d[i];
    hf_udpgen_json_double (b, "min", d[0] / 1e6);
    hf_udpgen_json_double (b, "median", (n % 2 ? d[n / 2] :
            (d[n / 2 - 1] + d[n / 2]) / 2.0) / 1e6);
    hf_udpgen_json_double (b, "p95", d[MIN (n - 1,
                (guint) ceil (0.95 * n) - 1)] / 1e6);
    hf_udpgen_json_double (b, "max", d[n - 1] / 1e6);
    hf_udpgen_json_double (b, "mean", sum / n / 1e6);
  }
  json_builder_end_object (b);

  /* The rate over the span between the first and the last arrival: the
   * first datagram's bytes arrived before the span began. */
  span_s = (st->last_ns - st->first_ns) / 1e9;
  hf_udpgen_json_double (b, "duration_s", span_s);
  hf_udpgen_json_double (b, "rate_kbps", span_s > 0 ?
      (st->bytes - st->first_bytes) * 8 / span_s / 1000 : 0);

  /* Runs of missing sequence numbers below the expected count. */
  for (seq = 0; seq <= expected; seq++) {
    gboolean missing = seq < expected &&
        (seq >= st->seen->len || !st->seen->data[seq]);

    if (missing) {
      run++;
      continue;
    }
    if (run) {
      gpointer key = GSIZE_TO_POINTER ((gsize) run);

      bursts++;
      burst_packets += run;
      max_burst = MAX (max_burst, run);
      g_hash_table_insert (hist, key, GSIZE_TO_POINTER (GPOINTER_TO_SIZE
              (g_hash_table_lookup (hist, key)) + 1));
      run = 0;
    }
  }
  json_builder_set_member_name (b, "loss_bursts");
  json_builder_begin_object (b);
  hf_udpgen_json_int (b, "count", bursts);
  hf_udpgen_json_double (b, "mean", bursts ? (gdouble) burst_packets /
      bursts : 0);
  hf_udpgen_json_int (b, "max", max_burst);
  json_builder_set_member_name (b, "histogram");
  json_builder_begin_object (b);
  keys = g_list_sort (g_hash_table_get_keys (hist), (GCompareFunc)
      hf_udpgen_compare_size);
  for (k = keys; k; k = k->next) {
    gchar name[24];

    g_snprintf (name, sizeof (name), "%" G_GSIZE_FORMAT,
        GPOINTER_TO_SIZE (k->data));
    hf_udpgen_json_int (b, name,
        GPOINTER_TO_SIZE (g_hash_table_lookup (hist, k->data)));
  }
  g_list_free (keys);
  json_builder_end_object (b);
  json_builder_end_object (b);
  g_hash_table_unref (hist);
}

static void
hf_udpgen_print_json (JsonBuilder * b)
{
  JsonGenerator *gen = json_generator_new ();
  JsonNode *root = json_builder_get_root (b);
  gchar *text;

  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  g_print ("%s\n", text);
  fflush (stdout);
  g_free (text);
  json_node_unref (root);
  g_object_unref (gen);
}

/* ---------------------------------------------------------------------- */
/* Receiving                                                              */

typedef struct
{
  struct mmsghdr msgs[HF_UDPGEN_BATCH];
  struct iovec iov[HF_UDPGEN_BATCH];
  struct sockaddr_storage addr[HF_UDPGEN_BATCH];
  guint8 control[HF_UDPGEN_BATCH][64];
  guint8 *buf;
} HfUdpgenBatch;

static HfUdpgenBatch *
hf_udpgen_batch_new (void)
{
  HfUdpgenBatch *rb = g_new0 (HfUdpgenBatch, 1);
  guint i;

  rb->buf = g_malloc ((gsize) HF_UDPGEN_BATCH * HF_UDPGEN_MAX_DATAGRAM);
  for (i = 0; i < HF_UDPGEN_BATCH; i++) {
    rb->iov[i].iov_base = rb->buf + i * (gsize) HF_UDPGEN_MAX_DATAGRAM;
    rb->iov[i].iov_len = HF_UDPGEN_MAX_DATAGRAM;
  }
  return rb;
}

static void
hf_udpgen_batch_free (HfUdpgenBatch * rb)
{
  g_free (rb->buf);
  g_free (rb);
}

/* Reads what is there (without waiting); returns how many, 0 if none. */
static int
hf_udpgen_batch_read (HfUdpgenBatch * rb, int fd)
{
  guint i;
  int n;

  for (i = 0; i < HF_UDPGEN_BATCH; i++) {
    struct msghdr *h = &rb->msgs[i].msg_hdr;

    memset (h, 0, sizeof (*h));
    h->msg_name = &rb->addr[i];
    h->msg_namelen = sizeof (rb->addr[i]);
    h->msg_iov = &rb->iov[i];
    h->msg_iovlen = 1;
    h->msg_control = rb->control[i];
    h->msg_controllen = sizeof (rb->control[i]);
  }
  n = recvmmsg (fd, rb->msgs, HF_UDPGEN_BATCH, MSG_DONTWAIT, NULL);
  return MAX (n, 0);
}

/* The kernel's receive time of datagram @i on the monotonic clock, or
 * @fallback_ns when it gave none. */
static gint64
hf_udpgen_batch_rx_ns (HfUdpgenBatch * rb, guint i, gint64 offset_ns,
    gint64 fallback_ns)
{
  struct msghdr *h = &rb->msgs[i].msg_hdr;
  struct cmsghdr *cm;

  for (cm = CMSG_FIRSTHDR (h); cm; cm = CMSG_NXTHDR (h, cm)) {
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
      struct timespec ts;

      memcpy (&ts, CMSG_DATA (cm), sizeof (ts));
      return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec + offset_ns;
    }
  }
  return fallback_ns;
}

/* The monotonic clock now, and monotonic minus realtime.  A preemption
 * between two clock reads would skew the offset by as long as it lasted:
 * of three tries, the read bracketed most tightly wins. */
static void
hf_udpgen_clock_offset (gint64 * mono, gint64 * offset)
{
  gint64 best = G_MAXINT64;
  guint k;

  for (k = 0; k < 3; k++) {
    gint64 r1 = hf_udpgen_clock_ns (CLOCK_REALTIME);
    gint64 m = hf_udpgen_clock_ns (CLOCK_MONOTONIC);
    gint64 r2 = hf_udpgen_clock_ns (CLOCK_REALTIME);

    if (r2 - r1 < best) {
      best = r2 - r1;
      *mono = m;
      *offset = m - (r1 + (r2 - r1) / 2);
    }
  }
}

/* Reads everything waiting into @st; TRUE if anything came. */
static gboolean
hf_udpgen_drain (HfUdpgenBatch * rb, int fd, HfUdpgenStats * st)
{
  gboolean got = FALSE;
  int n;

  while ((n = hf_udpgen_batch_read (rb, fd)) > 0) {
    gint64 mono = 0, offset = 0;
    int i;

    hf_udpgen_clock_offset (&mono, &offset);

    for (i = 0; i < n; i++)
      hf_udpgen_stats_add (st, rb->iov[i].iov_base, rb->msgs[i].msg_len,
          hf_udpgen_batch_rx_ns (rb, i, offset, mono));
    got = TRUE;
  }
  return got;
}

/* Receives into @st until it has all, or --idle, --timeout, a signal. */
static void
hf_udpgen_receive_loop (int fd, HfUdpgenStats * st, gint64 deadline_ns,
    gint64 idle_ns)
{
  HfUdpgenBatch *rb = hf_udpgen_batch_new ();
  /* Idle time counts from now when packets came before (send --echo). */
  gint64 last_ns = hf_udpgen_clock_ns (CLOCK_MONOTONIC);

  while (!hf_udpgen_stop) {
    struct pollfd pfd = { fd, POLLIN, 0 };
    gint64 now = hf_udpgen_clock_ns (CLOCK_MONOTONIC);

    if (st->expected && st->unique >= st->expected)
      break;
    if (now >= deadline_ns)
      break;
    if (idle_ns > 0 && st->any && now - last_ns >= idle_ns)
      break;
    if (poll (&pfd, 1, HF_UDPGEN_POLL_MS) > 0 && hf_udpgen_drain (rb, fd, st))
      last_ns = hf_udpgen_clock_ns (CLOCK_MONOTONIC);
  }
  hf_udpgen_batch_free (rb);
}

/* ---------------------------------------------------------------------- */
/* Commands                                                               */

typedef struct
{
  gint64 rate_pps;
  gint64 rate_kbps;
  gint size;
  gint64 count;
  gdouble timeout_s;
  gdouble idle_s;
  gboolean echo;
  gchar *log_path;
  gchar *sent_log_path;
} HfUdpgenOptions;

static int
hf_udpgen_cmd_send (const gchar * dest, HfUdpgenOptions * o)
{
  struct sockaddr_storage to;
  socklen_t to_len;
  GError *error = NULL;
  guint8 *payload;
  gdouble pps, interval_ns;
  gint64 start, i, sent = 0, errors = 0, end;
  HfUdpgenStats st;
  HfUdpgenBatch *rb = NULL;
  JsonBuilder *b;
  FILE *log = NULL, *sent_log = NULL;
  int fd;

  if (o->size < HF_UDPGEN_HEADER || o->size > 65507) {
    g_printerr ("hf-udpgen: --size must be %d..65507\n", HF_UDPGEN_HEADER);
    return HF_UDPGEN_EXIT_USAGE;
  }
  if (o->rate_pps > 0 && o->rate_kbps > 0) {
    g_printerr ("hf-udpgen: give --rate-pps or --rate-kbps, not both\n");
    return HF_UDPGEN_EXIT_USAGE;
  }
  pps = o->rate_kbps > 0 ? o->rate_kbps * 1000.0 / (o->size * 8.0) :
      o->rate_pps > 0 ? (gdouble) o->rate_pps : 1000;
  if (!hf_udpgen_resolve (dest, "127.0.0.1", FALSE, &to, &to_len, &error)) {
    g_printerr ("hf-udpgen: %s\n", error->message);
    g_error_free (error);
    return HF_UDPGEN_EXIT_USAGE;
  }
  if (o->log_path && !(log = fopen (o->log_path, "w"))) {
    g_printerr ("hf-udpgen: %s: %s\n", o->log_path, g_strerror (errno));
    return HF_UDPGEN_EXIT_FAILURE;
  }
  if (o->sent_log_path && !(sent_log = fopen (o->sent_log_path, "w"))) {
    g_printerr ("hf-udpgen: %s: %s\n", o->sent_log_path, g_strerror (errno));
    if (log)
      fclose (log);
    return HF_UDPGEN_EXIT_FAILURE;
  }
  fd = hf_udpgen_socket (to.ss_family, NULL, 0, &error);
  if (fd < 0) {
    g_printerr ("hf-udpgen: %s\n", error->message);
    g_error_free (error);
    if (log)
      fclose (log);
    if (sent_log)
      fclose (sent_log);
    return HF_UDPGEN_EXIT_FAILURE;
  }
  hf_udpgen_stats_init (&st, o->echo ? (guint64) o->count : 0, log);
  if (o->echo)
    rb = hf_udpgen_batch_new ();

  payload = g_malloc0 (o->size);
  hf_udpgen_put64 (payload, (guint64) HF_UDPGEN_MAGIC << 32);
  interval_ns = 1e9 / pps;
  start = hf_udpgen_clock_ns (CLOCK_MONOTONIC);
  for (i = 0; i < o->count && !hf_udpgen_stop; i++) {
    gint64 due = start + (gint64) (i * interval_ns);
    gint64 now, real;

    /* Wait for the slot; with --echo, read what comes back meanwhile. */
    while ((now = hf_udpgen_clock_ns (CLOCK_MONOTONIC)) < due &&
        !hf_udpgen_stop) {
      struct timespec ts = { (due - now) / 1000000000,
        (due - now) % 1000000000
      };

      if (o->echo) {
        struct pollfd pfd = { fd, POLLIN, 0 };

        if (ppoll (&pfd, 1, &ts, NULL) > 0)
          hf_udpgen_drain (rb, fd, &st);
      } else {
        nanosleep (&ts, NULL);
      }
    }
    real = hf_udpgen_clock_ns (CLOCK_REALTIME);
    hf_udpgen_put64 (payload + 4, (guint64) i);
    hf_udpgen_put64 (payload + 12, (guint64) now);
    hf_udpgen_put64 (payload + 20, (guint64) real);
    if (sendto (fd, payload, o->size, 0, (struct sockaddr *) &to, to_len) < 0) {
      errors++;
    } else {
      sent++;
      if (sent_log)
        fprintf (sent_log, "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %"
            G_GINT64_FORMAT "\n", i, now, real);
    }
  }
  end = hf_udpgen_clock_ns (CLOCK_MONOTONIC);
  if (o->echo) {
    hf_udpgen_receive_loop (fd, &st, end + (gint64) (o->timeout_s * 1e9),
        (gint64) (o->idle_s * 1e9));
  }

  b = json_builder_new ();
  json_builder_begin_object (b);
  hf_udpgen_json_int (b, "sent", sent);
  hf_udpgen_json_int (b, "send_errors", errors);
  hf_udpgen_json_double (b, "send_duration_s", (end - start) / 1e9);
  hf_udpgen_json_double (b, "send_rate_kbps", end > start ?
      sent * o->size * 8 / ((end - start) / 1e9) / 1000 : 0);
  if (o->echo) {
    /* Delays are round trips here. */
    json_builder_set_member_name (b, "echo");
    json_builder_begin_object (b);
    hf_udpgen_stats_json (&st, b);
    json_builder_end_object (b);
  }
  json_builder_end_object (b);
  hf_udpgen_print_json (b);
  g_object_unref (b);

  if (rb)
    hf_udpgen_batch_free (rb);
  hf_udpgen_stats_clear (&st);
  g_free (payload);
  close (fd);
  if (log)
    fclose (log);
  if (sent_log)
    fclose (sent_log);
  return HF_UDPGEN_EXIT_OK;
}

static int
hf_udpgen_cmd_recv (const gchar * where, HfUdpgenOptions * o)
{
  struct sockaddr_storage addr;
  socklen_t len;
  GError *error = NULL;
  HfUdpgenStats st;
  JsonBuilder *b;
  FILE *log = NULL;
  int fd;

  if (!hf_udpgen_resolve (where, "127.0.0.1", TRUE, &addr, &len, &error) ||
      (fd = hf_udpgen_socket (addr.ss_family, &addr, len, &error)) < 0) {
    g_printerr ("hf-udpgen: %s: %s\n", where, error->message);
    g_error_free (error);
    return HF_UDPGEN_EXIT_FAILURE;
  }
  if (o->log_path && !(log = fopen (o->log_path, "w"))) {
    g_printerr ("hf-udpgen: %s: %s\n", o->log_path, g_strerror (errno));
    close (fd);
    return HF_UDPGEN_EXIT_FAILURE;
  }
  hf_udpgen_stats_init (&st, (guint64) MAX (o->count, 0), log);
  hf_udpgen_receive_loop (fd, &st, hf_udpgen_clock_ns (CLOCK_MONOTONIC) +
      (gint64) (o->timeout_s * 1e9), (gint64) (o->idle_s * 1e9));

  b = json_builder_new ();
  json_builder_begin_object (b);
  hf_udpgen_stats_json (&st, b);
  json_builder_end_object (b);
  hf_udpgen_print_json (b);
  g_object_unref (b);

  hf_udpgen_stats_clear (&st);
  close (fd);
  if (log)
    fclose (log);
  return HF_UDPGEN_EXIT_OK;
}

static int
hf_udpgen_cmd_echo (const gchar * where, HfUdpgenOptions * o)
{
  struct sockaddr_storage addr;
  socklen_t len;
  GError *error = NULL;
  HfUdpgenBatch *rb;
  gint64 deadline, echoed = 0;
  int fd;

  if (!hf_udpgen_resolve (where, "127.0.0.1", TRUE, &addr, &len, &error) ||
      (fd = hf_udpgen_socket (addr.ss_family, &addr, len, &error)) < 0) {
    g_printerr ("hf-udpgen: %s: %s\n", where, error->message);
    g_error_free (error);
    return HF_UDPGEN_EXIT_FAILURE;
  }
  rb = hf_udpgen_batch_new ();
  deadline = hf_udpgen_clock_ns (CLOCK_MONOTONIC) +
      (gint64) (o->timeout_s * 1e9);
  while (!hf_udpgen_stop && hf_udpgen_clock_ns (CLOCK_MONOTONIC) < deadline) {
    struct pollfd pfd = { fd, POLLIN, 0 };
    int n, i;

    if (poll (&pfd, 1, HF_UDPGEN_POLL_MS) <= 0)
      continue;
    while ((n = hf_udpgen_batch_read (rb, fd)) > 0) {
      /* Back to each sender, the same bytes. */
      for (i = 0; i < n; i++) {
        rb->iov[i].iov_len = rb->msgs[i].msg_len;
        rb->msgs[i].msg_hdr.msg_control = NULL;
        rb->msgs[i].msg_hdr.msg_controllen = 0;
      }
      n = sendmmsg (fd, rb->msgs, n, 0);
      echoed += MAX (n, 0);
      for (i = 0; i < HF_UDPGEN_BATCH; i++)
        rb->iov[i].iov_len = HF_UDPGEN_MAX_DATAGRAM;
    }
  }
  g_print ("{\"echoed\": %" G_GINT64_FORMAT "}\n", echoed);
  hf_udpgen_batch_free (rb);
  close (fd);
  return HF_UDPGEN_EXIT_OK;
}

int
main (int argc, char **argv)
{
  /* count -1: not given (send: 1000; recv: up to the highest seen). */
  HfUdpgenOptions o = { 0, 0, 200, -1, 10, 0, FALSE, NULL, NULL };
  GOptionContext *context;
  GError *error = NULL;
  struct sigaction sa;
  const gchar *cmd;
  int rc;
  GOptionEntry entries[] = {
    {"rate-pps", 0, 0, G_OPTION_ARG_INT64, &o.rate_pps,
        "send: datagrams per second (default 1000)", "N"},
    {"rate-kbps", 0, 0, G_OPTION_ARG_INT64, &o.rate_kbps,
        "send: kbit/s of UDP payload instead", "N"},
    {"size", 0, 0, G_OPTION_ARG_INT, &o.size,
        "send: UDP payload bytes, at least 28 (default 200)", "B"},
    {"count", 0, 0, G_OPTION_ARG_INT64, &o.count,
        "send: how many (default 1000); recv: how many are expected "
          "(default: the highest sequence number seen + 1)", "N"},
    {"timeout", 0, 0, G_OPTION_ARG_DOUBLE, &o.timeout_s,
        "recv, echo: stop after S seconds; send --echo: wait S seconds "
          "after sending (default 10)", "S"},
    {"idle", 0, 0, G_OPTION_ARG_DOUBLE, &o.idle_s,
        "recv, send --echo: stop when nothing arrived for S seconds after "
          "the first (default: never)", "S"},
    {"echo", 0, 0, G_OPTION_ARG_NONE, &o.echo,
          "send: also receive what comes back and measure the round trip",
        NULL},
    {"log", 0, 0, G_OPTION_ARG_FILENAME, &o.log_path,
        "recv, send --echo: one line per datagram received: seq "
          "send_mono_ns send_real_ns recv_mono_ns", "FILE"},
    {"sent-log", 0, 0, G_OPTION_ARG_FILENAME, &o.sent_log_path,
          "send: one line per datagram sent: seq send_mono_ns send_real_ns",
        "FILE"},
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("send HOST:PORT | recv [HOST:]PORT | "
      "echo [HOST:]PORT");
  g_option_context_set_summary (context,
      "Sends numbered, timestamped UDP datagrams at a steady rate, or "
      "receives them\nand prints what the link did to them as JSON "
      "(loss, loss bursts, duplicates,\nreordering, one-way delay, rate).");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("hf-udpgen: %s\n", error->message);
    g_error_free (error);
    g_option_context_free (context);
    return HF_UDPGEN_EXIT_USAGE;
  }
  g_option_context_free (context);
  if (argc != 3 || o.count < -1 || o.rate_pps < 0 || o.rate_kbps < 0 ||
      !(o.timeout_s >= 0) || !(o.idle_s >= 0)) {
    g_printerr ("hf-udpgen: expected send HOST:PORT, recv [HOST:]PORT or "
        "echo [HOST:]PORT, and no negative numbers\n");
    g_free (o.log_path);
    g_free (o.sent_log_path);
    return HF_UDPGEN_EXIT_USAGE;
  }

  memset (&sa, 0, sizeof (sa));
  sa.sa_handler = hf_udpgen_on_signal;
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  prctl (PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

  cmd = argv[1];
  if (strcmp (cmd, "send") == 0 && o.count < 0)
    o.count = 1000;
  if (strcmp (cmd, "send") == 0)
    rc = hf_udpgen_cmd_send (argv[2], &o);
  else if (strcmp (cmd, "recv") == 0)
    rc = hf_udpgen_cmd_recv (argv[2], &o);
  else if (strcmp (cmd, "echo") == 0)
    rc = hf_udpgen_cmd_echo (argv[2], &o);
  else {
    g_printerr ("hf-udpgen: unknown command \"%s\"\n", cmd);
    rc = HF_UDPGEN_EXIT_USAGE;
  }
  g_free (o.log_path);
  g_free (o.sent_log_path);
  return rc;
}
