/* hf-linkem: a user-space UDP link impairment proxy (this kernel has no
 * netem).  Each named link forwards UDP between a listen address and a
 * target, both ways, through one impairment model per direction
 * (tools/hf-impair.c): loss, burst loss, delay, jitter, duplication, a rate
 * cap with a bounded queue, sever.  A local unix control socket changes the
 * impairments live and reports per-direction counters.
 *
 *   hf-linkem [--ctl PATH] [--seed N] run LINKSPEC...
 *   hf-linkem [--ctl PATH] ctl LINK|all [fwd|rev] COMMAND...
 *   hf-linkem [--ctl PATH] status [--json]
 *
 * Reply routing: per port pair, the client is the most recent source
 * address that sent to the listen port; the proxy talks to the target from
 * a socket of its own, and whatever comes back on that socket goes to the
 * current client from the listen socket.
 *
 * Threads: one.  The proxy is an epoll loop over the UDP sockets, a
 * timerfd armed (absolute, CLOCK_MONOTONIC, the clock of
 * g_get_monotonic_time) for the next held packet's release, a signalfd for
 * SIGINT/SIGTERM, and the control socket and its clients, whose requests
 * are served between two batches of packets: a change is in force for the
 * next packet read after the reply is written.  UDP is read and written
 * with recvmmsg/sendmmsg in batches.  The `ctl` and `status` commands are
 * plain blocking clients of the control socket.
 */

/* recvmmsg, sendmmsg, accept4, ppoll */
/* How late a delayed packet may leave so that several share a wake-up
 * (well inside the 2 ms delay accuracy). */
#define HF_LINKEM_RELEASE_SLACK_US 500
#define _GNU_SOURCE

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>

#include <json-glib/json-glib.h>

#include "tools/hf-impair.h"
#include "tools/hf-linkem-ctl.h"

#ifndef HF_VERSION
#define HF_VERSION "dev"
#endif

#define HF_LINKEM_EXIT_OK 0
#define HF_LINKEM_EXIT_FAILURE 1
#define HF_LINKEM_EXIT_USAGE 2

/* Datagrams read or written per system call. */
#define HF_LINKEM_BATCH 32
/* Batches read from one socket per wake-up, so that one busy socket does
 * not starve the others (epoll is level-triggered: it comes back). */
#define HF_LINKEM_READS_PER_WAKE 4
#define HF_LINKEM_MAX_DATAGRAM 65536
#define HF_LINKEM_SOCKET_BUFFER (4 * 1024 * 1024)
#define HF_LINKEM_MAX_CLIENTS 32
/* A control client that has not finished within this is dropped. */
#define HF_LINKEM_CLIENT_TIMEOUT_US (5 * G_USEC_PER_SEC)
#define HF_LINKEM_CLIENT_WAIT_MS 5000
#define HF_LINKEM_MAX_REPLY (16 * 1024 * 1024)

typedef enum
{
  HF_LINKEM_ERROR_FAILED,
} HfLinkemError;

#define HF_LINKEM_ERROR (hf_linkem_error_quark ())
static GQuark hf_linkem_error_quark (void);
G_DEFINE_QUARK (hf - linkem - error - quark, hf_linkem_error);

typedef struct _HfLinkem HfLinkem;
typedef struct _HfLinkemLink HfLinkemLink;

/* What an epoll registration stands for. */
typedef enum
{
  HF_LINKEM_WATCH_LISTEN,       /* a listen socket: fwd traffic in */
  HF_LINKEM_WATCH_TARGET,       /* a target-facing socket: rev traffic in */
  HF_LINKEM_WATCH_TIMER,
  HF_LINKEM_WATCH_SIGNAL,
  HF_LINKEM_WATCH_CTL,
  HF_LINKEM_WATCH_CLIENT,
} HfLinkemWatchKind;

typedef struct
{
  HfLinkemWatchKind kind;
  HfLinkemLink *link;           /* (transfer none) sockets only */
  guint pair;                   /* sockets only */
  gpointer client;              /* (transfer none) HfLinkemClient */
} HfLinkemWatch;

/* One port pair of a link. */
typedef struct
{
  int listen_fd;
  int target_fd;
  struct sockaddr_storage target;
  socklen_t target_len;
  struct sockaddr_storage client;
  socklen_t client_len;         /* 0 until a client sent something */
  HfLinkemWatch listen_watch;
  HfLinkemWatch target_watch;
} HfLinkemPair;

typedef struct
{
  HfImpair *impair;             /* (owned) */
  guint64 forwarded;
  guint64 bytes_forwarded;
  guint64 send_errors;
  guint64 dropped_no_client;    /* rev only: nobody to send to yet */
} HfLinkemDirection;

enum
{
  HF_LINKEM_FWD = 0,
  HF_LINKEM_REV = 1,
};

static const gchar *const hf_linkem_dir_names[] = { "fwd", "rev" };

struct _HfLinkemLink
{
  gchar *name;
  gchar *listen_str;            /* "127.0.0.1:9000", "[::1]:9000" */
  gchar *target_str;
  guint n_ports;
  HfLinkemPair *pairs;
  HfLinkemDirection dir[2];
};

/* A packet as the impairment models hold it. */
typedef struct
{
  guint32 pair;
  guint32 len;
  guint8 data[];
} HfLinkemPacket;

typedef struct
{
  int fd;
  GString *in;
  GString *out;
  gsize out_done;
  gboolean replying;
  gint64 started_us;
  HfLinkemWatch watch;
} HfLinkemClient;

struct _HfLinkem
{
  gchar *ctl_path;
  gboolean ctl_bound;
  ino_t ctl_ino;
  guint64 seed;
  GPtrArray *links;             /* (element-type HfLinkemLink) (owned) */

  int epfd;
  int timerfd;
  int sigfd;
  int ctl_fd;
  HfLinkemWatch timer_watch;
  HfLinkemWatch signal_watch;
  HfLinkemWatch ctl_watch;
  GPtrArray *clients;           /* (element-type HfLinkemClient) (owned) */
  gint64 armed_us;              /* the timerfd's expiry, G_MAXINT64: none */
  gboolean quit;

  /* Receive batch. */
  struct mmsghdr rmsgs[HF_LINKEM_BATCH];
  struct iovec riov[HF_LINKEM_BATCH];
  struct sockaddr_storage raddr[HF_LINKEM_BATCH];
  guint8 *rbuf;                 /* HF_LINKEM_BATCH * HF_LINKEM_MAX_DATAGRAM */

  /* Send batch: packets released and not yet written. */
  struct mmsghdr smsgs[HF_LINKEM_BATCH];
  struct iovec siov[HF_LINKEM_BATCH];
  int sfd[HF_LINKEM_BATCH];
  HfLinkemPacket *spkt[HF_LINKEM_BATCH];
  HfLinkemDirection *sdir[HF_LINKEM_BATCH];
  guint n_send;
};

/* ---------------------------------------------------------------------- */
/* Addresses and sockets                                                  */

/* Formats @sa as "1.2.3.4:5" or "[::1]:5".  Returns (transfer full). */
static gchar *
hf_linkem_addr_to_string (const struct sockaddr *sa)
{
  gchar host[INET6_ADDRSTRLEN] = "?";

  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *) sa;

    inet_ntop (AF_INET6, &s6->sin6_addr, host, sizeof (host));
    return g_strdup_printf ("[%s]:%u", host, ntohs (s6->sin6_port));
  } else {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *) sa;

    inet_ntop (AF_INET, &s4->sin_addr, host, sizeof (host));
    return g_strdup_printf ("%s:%u", host, ntohs (s4->sin_port));
  }
}

static void
hf_linkem_addr_set_port (struct sockaddr_storage *ss, guint port)
{
  if (ss->ss_family == AF_INET6)
    ((struct sockaddr_in6 *) ss)->sin6_port = htons (port);
  else
    ((struct sockaddr_in *) ss)->sin_port = htons (port);
}

/* Resolves @host (a literal or a name; the first answer wins). */
static gboolean
hf_linkem_resolve (const gchar * host, guint port, gboolean passive,
    struct sockaddr_storage *ss, socklen_t * len, GError ** error)
{
  struct addrinfo hints, *res = NULL;
  gchar service[8];
  int rc;

  memset (&hints, 0, sizeof (hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  g_snprintf (service, sizeof (service), "%u", port);
  rc = getaddrinfo (host, service, &hints, &res);
  if (rc != 0 || res == NULL) {
    g_set_error (error, HF_LINKEM_ERROR, HF_LINKEM_ERROR_FAILED,
        "cannot resolve \"%s\": %s", host, gai_strerror (rc));
    return FALSE;
  }
  memcpy (ss, res->ai_addr, res->ai_addrlen);
  *len = res->ai_addrlen;
  freeaddrinfo (res);
  return TRUE;
}

/* Big buffers: a burst at 50 Mbit/s must not overflow the kernel's queue
 * while the loop serves the control socket.  As root the FORCE variants
 * pass the system limit; otherwise the limit applies. */
static void
hf_linkem_set_buffers (int fd)
{
  int size = HF_LINKEM_SOCKET_BUFFER;

  if (setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof (size)) < 0)
    setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof (size));
  if (setsockopt (fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof (size)) < 0)
    setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof (size));
}

/* A non-blocking UDP socket of @family bound to @addr.  Returns the fd, or
 * -1 with @error set. */
static int
hf_linkem_udp_socket (int family, const struct sockaddr_storage *addr,
    socklen_t len, GError ** error)
{
  int fd = socket (family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

  if (fd < 0) {
    g_set_error (error, HF_LINKEM_ERROR, HF_LINKEM_ERROR_FAILED,
        "socket: %s", g_strerror (errno));
    return -1;
  }
  hf_linkem_set_buffers (fd);
  if (bind (fd, (const struct sockaddr *) addr, len) < 0) {
    gchar *s = hf_linkem_addr_to_string ((const struct sockaddr *) addr);

    g_set_error (error, HF_LINKEM_ERROR, HF_LINKEM_ERROR_FAILED,
        "cannot bind %s: %s", s, g_strerror (errno));
    g_free (s);
    close (fd);
    return -1;
  }
  return fd;
}

static gboolean
hf_linkem_watch (HfLinkem * lk, int fd, guint32 events, HfLinkemWatch * w,
    GError ** error)
{
  struct epoll_event ev;

  memset (&ev, 0, sizeof (ev));
  ev.events = events;
  ev.data.ptr = w;
  if (epoll_ctl (lk->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    g_set_error (error, HF_LINKEM_ERROR, HF_LINKEM_ERROR_FAILED,
        "epoll_ctl: %s", g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Links                                                                  */

/* The impairment models' copy and drop functions (the loop thread). */
static gpointer
hf_linkem_packet_copy (gpointer item, gpointer user_data)
{
  HfLinkemPacket *p = item;

  return g_memdup2 (p, sizeof (HfLinkemPacket) + p->len);
}

static void
hf_linkem_packet_drop (gpointer item, gpointer user_data)
{
  g_free (item);
}

static void
hf_linkem_link_free (HfLinkemLink * link)
{
  guint i, d;

  for (i = 0; link->pairs && i < link->n_ports; i++) {
    if (link->pairs[i].listen_fd >= 0)
      close (link->pairs[i].listen_fd);
    if (link->pairs[i].target_fd >= 0)
      close (link->pairs[i].target_fd);
  }
  for (d = 0; d < 2; d++)
    hf_impair_free (link->dir[d].impair);
  g_free (link->pairs);
  g_free (link->name);
  g_free (link->listen_str);
  g_free (link->target_str);
  g_free (link);
}

/* Opens the sockets of one link spec.  Returns (transfer full) the link,
 * or NULL with @error set (nothing left open). */
static HfLinkemLink *
hf_linkem_link_open (HfLinkem * lk, const HfLinkemSpec * spec, guint index,
    GError ** error)
{
  HfLinkemLink *link = g_new0 (HfLinkemLink, 1);
  struct sockaddr_storage listen_addr, target_addr, any;
  socklen_t listen_len, target_len;
  guint i, d;

  link->name = g_strdup (spec->name);
  link->n_ports = spec->n_ports;
  link->pairs = g_new0 (HfLinkemPair, spec->n_ports);
  for (i = 0; i < spec->n_ports; i++)
    link->pairs[i].listen_fd = link->pairs[i].target_fd = -1;
  for (d = 0; d < 2; d++) {
    /* Each direction of each link has a stream of its own, derived from
     * the one seed. */
    link->dir[d].impair = hf_impair_new (lk->seed +
        G_GUINT64_CONSTANT (0x9e3779b97f4a7c15) * (2 * index + d + 1),
        hf_linkem_packet_copy, hf_linkem_packet_drop, NULL);
  }

  if (!hf_linkem_resolve (spec->listen_host, spec->listen_port, TRUE,
          &listen_addr, &listen_len, error) ||
      !hf_linkem_resolve (spec->target_host, spec->target_port, FALSE,
          &target_addr, &target_len, error))
    goto failed;

  for (i = 0; i < spec->n_ports; i++) {
    HfLinkemPair *pair = &link->pairs[i];

    hf_linkem_addr_set_port (&listen_addr, spec->listen_port + i);
    pair->listen_fd = hf_linkem_udp_socket (listen_addr.ss_family,
        &listen_addr, listen_len, error);
    if (pair->listen_fd < 0)
      goto failed;
    /* The target-facing socket: any address of the target's family, an
     * ephemeral port. */
    memset (&any, 0, sizeof (any));
    any.ss_family = target_addr.ss_family;
    pair->target_fd = hf_linkem_udp_socket (target_addr.ss_family, &any,
        target_len, error);
    if (pair->target_fd < 0)
      goto failed;
    pair->target = target_addr;
    hf_linkem_addr_set_port (&pair->target, spec->target_port + i);
    pair->target_len = target_len;

    pair->listen_watch.kind = HF_LINKEM_WATCH_LISTEN;
    pair->listen_watch.link = link;
    pair->listen_watch.pair = i;
    pair->target_watch.kind = HF_LINKEM_WATCH_TARGET;
    pair->target_watch.link = link;
    pair->target_watch.pair = i;
    if (!hf_linkem_watch (lk, pair->listen_fd, EPOLLIN, &pair->listen_watch,
            error) ||
        !hf_linkem_watch (lk, pair->target_fd, EPOLLIN, &pair->target_watch,
            error))
      goto failed;
  }

  /* Say where it really listens (a port 0 was given one by the kernel). */
  {
    struct sockaddr_storage bound;
    socklen_t blen = sizeof (bound);

    getsockname (link->pairs[0].listen_fd, (struct sockaddr *) &bound, &blen);
    link->listen_str = hf_linkem_addr_to_string ((struct sockaddr *) &bound);
    link->target_str =
        hf_linkem_addr_to_string ((struct sockaddr *) &link->pairs[0].target);
  }
  return link;

failed:
  g_prefix_error (error, "link %s: ", spec->name);
  hf_linkem_link_free (link);
  return NULL;
}

static HfLinkemLink *
hf_linkem_find_link (HfLinkem * lk, const gchar * name)
{
  guint i;

  for (i = 0; i < lk->links->len; i++) {
    HfLinkemLink *link = g_ptr_array_index (lk->links, i);

    if (strcmp (link->name, name) == 0)
      return link;
  }
  return NULL;
}

/* ---------------------------------------------------------------------- */
/* Packets                                                                */

/* Writes the send batch: one sendmmsg per run of packets on one socket.
 * A packet the kernel refuses (a full buffer, an unreachable address) is
 * counted and dropped, as a real link would drop it. */
static void
hf_linkem_send_flush (HfLinkem * lk)
{
  guint start = 0, i;

  while (start < lk->n_send) {
    guint end = start + 1;
    int sent;

    while (end < lk->n_send && lk->sfd[end] == lk->sfd[start])
      end++;
    sent = sendmmsg (lk->sfd[start], &lk->smsgs[start], end - start,
        MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EINTR)
        continue;
      sent = 0;
    }
    for (i = start; i < start + (guint) sent; i++) {
      lk->sdir[i]->forwarded++;
      lk->sdir[i]->bytes_forwarded += lk->spkt[i]->len;
      g_free (lk->spkt[i]);
    }
    /* The one at start + sent failed: count it, go on after it. */
    if (start + (guint) sent < end) {
      i = start + sent;
      lk->sdir[i]->send_errors++;
      g_free (lk->spkt[i]);
      sent++;
    }
    start += sent;
  }
  lk->n_send = 0;
}

/* Queues one released packet for sending. */
static void
hf_linkem_send_add (HfLinkem * lk, HfLinkemLink * link, guint d,
    HfLinkemPacket * p)
{
  HfLinkemPair *pair = &link->pairs[p->pair];
  struct msghdr *h;
  guint i;

  if (d == HF_LINKEM_REV && pair->client_len == 0) {
    link->dir[d].dropped_no_client++;
    g_free (p);
    return;
  }
  if (lk->n_send == HF_LINKEM_BATCH)
    hf_linkem_send_flush (lk);
  i = lk->n_send++;
  lk->siov[i].iov_base = p->data;
  lk->siov[i].iov_len = p->len;
  h = &lk->smsgs[i].msg_hdr;
  memset (h, 0, sizeof (*h));
  h->msg_iov = &lk->siov[i];
  h->msg_iovlen = 1;
  if (d == HF_LINKEM_FWD) {
    lk->sfd[i] = pair->target_fd;
    h->msg_name = &pair->target;
    h->msg_namelen = pair->target_len;
  } else {
    lk->sfd[i] = pair->listen_fd;
    h->msg_name = &pair->client;
    h->msg_namelen = pair->client_len;
  }
  lk->spkt[i] = p;
  lk->sdir[i] = &link->dir[d];
}

/* Sends every packet due at @now_us, then arms the timer for the next. */
static void
hf_linkem_release (HfLinkem * lk, gint64 now_us)
{
  gint64 next = G_MAXINT64;
  guint i, d;

  for (i = 0; i < lk->links->len; i++) {
    HfLinkemLink *link = g_ptr_array_index (lk->links, i);

    for (d = 0; d < 2; d++) {
      HfImpair *imp = link->dir[d].impair;
      HfLinkemPacket *p;

      while ((p = hf_impair_pop (imp, now_us, NULL)))
        hf_linkem_send_add (lk, link, d, p);
      next = MIN (next, hf_impair_next_release (imp));
    }
  }
  hf_linkem_send_flush (lk);

  /* Packets due within the slack go out together: at 50 Mbit/s one
   * wake-up per delayed packet costs more CPU than the forwarding. */
  if (next != G_MAXINT64)
    next += HF_LINKEM_RELEASE_SLACK_US;
  if (next != lk->armed_us && next != G_MAXINT64) {
    struct itimerspec its;

    memset (&its, 0, sizeof (its));
    its.it_value.tv_sec = next / G_USEC_PER_SEC;
    its.it_value.tv_nsec = (next % G_USEC_PER_SEC) * 1000;
    timerfd_settime (lk->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
    lk->armed_us = next;
  }
}

/* Reads what a socket has and hands it to the direction's model.  The
 * arrival time is read after each batch: a datagram that came while the
 * loop was busy is then held a little long, never a little short. */
static void
hf_linkem_read (HfLinkem * lk, HfLinkemWatch * w)
{
  HfLinkemLink *link = w->link;
  HfLinkemPair *pair = &link->pairs[w->pair];
  gboolean fwd = w->kind == HF_LINKEM_WATCH_LISTEN;
  int fd = fwd ? pair->listen_fd : pair->target_fd;
  HfImpair *imp = link->dir[fwd ? HF_LINKEM_FWD : HF_LINKEM_REV].impair;
  guint round, i;
  gint64 now_us;

  for (round = 0; round < HF_LINKEM_READS_PER_WAKE; round++) {
    int n;

    for (i = 0; i < HF_LINKEM_BATCH; i++) {
      lk->rmsgs[i].msg_hdr.msg_name = &lk->raddr[i];
      lk->rmsgs[i].msg_hdr.msg_namelen = sizeof (lk->raddr[i]);
      lk->rmsgs[i].msg_hdr.msg_controllen = 0;
      lk->rmsgs[i].msg_hdr.msg_flags = 0;
    }
    n = recvmmsg (fd, lk->rmsgs, HF_LINKEM_BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0)
      return;
    now_us = g_get_monotonic_time ();
    for (i = 0; i < (guint) n; i++) {
      guint len = lk->rmsgs[i].msg_len;
      HfLinkemPacket *p;

      /* The client is whoever sent last to the listen port. */
      if (fwd && (pair->client_len != lk->rmsgs[i].msg_hdr.msg_namelen ||
              memcmp (&pair->client, &lk->raddr[i], pair->client_len) != 0)) {
        pair->client_len = lk->rmsgs[i].msg_hdr.msg_namelen;
        memcpy (&pair->client, &lk->raddr[i], pair->client_len);
      }
      p = g_malloc (sizeof (HfLinkemPacket) + len);
      p->pair = w->pair;
      p->len = len;
      memcpy (p->data, lk->riov[i].iov_base, len);
      hf_impair_push (imp, p, len, now_us);
    }
    if (n < HF_LINKEM_BATCH)
      return;
  }
}

/* ---------------------------------------------------------------------- */
/* Status                                                                 */

/* Adds a number as an integer when it is one (json-glib writes every
 * double with 17 digits). */
static void
hf_linkem_json_number (JsonBuilder * b, const gchar * name, gdouble v)
{
  json_builder_set_member_name (b, name);
  if (v == (gdouble) (gint64) v)
    json_builder_add_int_value (b, (gint64) v);
  else
    json_builder_add_double_value (b, v);
}

static void
hf_linkem_json_uint (JsonBuilder * b, const gchar * name, guint64 v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, (gint64) v);
}

static void
hf_linkem_json_direction (JsonBuilder * b, const HfLinkemDirection * dir)
{
  const HfImpairConfig *c = hf_impair_get_config (dir->impair);
  const HfImpairCounters *n = hf_impair_get_counters (dir->impair);

  json_builder_begin_object (b);
  hf_linkem_json_number (b, "loss_pct", c->loss_pct);
  hf_linkem_json_number (b, "burst", c->burst);
  hf_linkem_json_number (b, "delay_ms", c->delay_us / 1000.0);
  hf_linkem_json_number (b, "jitter_ms", c->jitter_us / 1000.0);
  json_builder_set_member_name (b, "reorder");
  json_builder_add_boolean_value (b, c->reorder);
  hf_linkem_json_number (b, "dup_pct", c->dup_pct);
  hf_linkem_json_number (b, "rate_kbps", c->rate_bps / 1000.0);
  hf_linkem_json_number (b, "queue_ms", c->queue_us / 1000.0);
  json_builder_set_member_name (b, "severed");
  json_builder_add_boolean_value (b, c->severed);
  hf_linkem_json_uint (b, "packets_in", n->packets_in);
  hf_linkem_json_uint (b, "forwarded", dir->forwarded);
  hf_linkem_json_uint (b, "bytes_forwarded", dir->bytes_forwarded);
  hf_linkem_json_uint (b, "dropped_loss", n->dropped_loss);
  hf_linkem_json_uint (b, "dropped_sever", n->dropped_sever);
  hf_linkem_json_uint (b, "dropped_queue", n->dropped_queue);
  hf_linkem_json_uint (b, "duplicated", n->duplicated);
  hf_linkem_json_uint (b, "queued", hf_impair_n_held (dir->impair));
  hf_linkem_json_uint (b, "send_errors", dir->send_errors);
  hf_linkem_json_uint (b, "dropped_no_client", dir->dropped_no_client);
  json_builder_end_object (b);
}

/* The status as JSON.  Returns (transfer full). */
static gchar *
hf_linkem_status_json (HfLinkem * lk)
{
  JsonBuilder *b = json_builder_new ();
  JsonGenerator *gen = json_generator_new ();
  JsonNode *root;
  gchar *text;
  guint i, d;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "links");
  json_builder_begin_array (b);
  for (i = 0; i < lk->links->len; i++) {
    HfLinkemLink *link = g_ptr_array_index (lk->links, i);

    json_builder_begin_object (b);
    json_builder_set_member_name (b, "name");
    json_builder_add_string_value (b, link->name);
    json_builder_set_member_name (b, "listen");
    json_builder_add_string_value (b, link->listen_str);
    json_builder_set_member_name (b, "target");
    json_builder_add_string_value (b, link->target_str);
    hf_linkem_json_uint (b, "ports", link->n_ports);
    /* The link is severed when either direction is. */
    json_builder_set_member_name (b, "severed");
    json_builder_add_boolean_value (b,
        hf_impair_get_config (link->dir[0].impair)->severed ||
        hf_impair_get_config (link->dir[1].impair)->severed);
    for (d = 0; d < 2; d++) {
      json_builder_set_member_name (b, hf_linkem_dir_names[d]);
      hf_linkem_json_direction (b, &link->dir[d]);
    }
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  json_node_unref (root);
  g_object_unref (gen);
  g_object_unref (b);
  return text;
}

/* The status as a table for a terminal.  Returns (transfer full). */
static gchar *
hf_linkem_status_table (HfLinkem * lk)
{
  GString *s = g_string_new (NULL);
  guint i, d;

  for (i = 0; i < lk->links->len; i++) {
    HfLinkemLink *link = g_ptr_array_index (lk->links, i);

    g_string_append_printf (s, "%s%s  %s -> %s", i ? "\n" : "", link->name,
        link->listen_str, link->target_str);
    if (link->n_ports > 1)
      g_string_append_printf (s, "  (%u port pairs)", link->n_ports);
    g_string_append_printf (s, "\n  %-3s %10s %10s %13s %9s %9s %9s %9s %7s"
        "  %s\n", "dir", "in", "forwarded", "bytes", "lost", "severed",
        "q-dropped", "dup", "queued", "config");
    for (d = 0; d < 2; d++) {
      const HfLinkemDirection *dir = &link->dir[d];
      const HfImpairCounters *n = hf_impair_get_counters (dir->impair);
      gchar *config =
          hf_impair_config_to_string (hf_impair_get_config (dir->impair));

      g_string_append_printf (s, "  %-3s %10" G_GUINT64_FORMAT " %10"
          G_GUINT64_FORMAT " %13" G_GUINT64_FORMAT " %9" G_GUINT64_FORMAT
          " %9" G_GUINT64_FORMAT " %9" G_GUINT64_FORMAT " %9"
          G_GUINT64_FORMAT " %7u  %s\n", hf_linkem_dir_names[d],
          n->packets_in, dir->forwarded, dir->bytes_forwarded,
          n->dropped_loss, n->dropped_sever, n->dropped_queue, n->duplicated,
          hf_impair_n_held (dir->impair), config);
      if (dir->send_errors || dir->dropped_no_client)
        g_string_append_printf (s, "      (%" G_GUINT64_FORMAT " send errors, %"
            G_GUINT64_FORMAT " dropped with no client yet)\n",
            dir->send_errors, dir->dropped_no_client);
      g_free (config);
    }
  }
  return g_string_free (s, FALSE);
}

/* ---------------------------------------------------------------------- */
/* Control requests                                                       */

/* Applies a ctl request to every link and direction it names, or to none
 * if any of them refuses the result.  Returns FALSE with @error set. */
static gboolean
hf_linkem_apply (HfLinkem * lk, const HfLinkemRequest * req, gint64 now_us,
    GError ** error)
{
  HfImpairConfig *next = g_new (HfImpairConfig, 2 * lk->links->len);
  GError *local = NULL;
  guint i, d;

  if (!req->all && !hf_linkem_find_link (lk, req->link)) {
    GString *names = g_string_new (NULL);

    for (i = 0; i < lk->links->len; i++)
      g_string_append_printf (names, "%s%s", i ? ", " : "",
          ((HfLinkemLink *) g_ptr_array_index (lk->links, i))->name);
    g_set_error (error, HF_LINKEM_ERROR, HF_LINKEM_ERROR_FAILED,
        "no link named \"%s\" (links: %s)", req->link, names->str);
    g_string_free (names, TRUE);
    g_free (next);
    return FALSE;
  }

  /* First every result, then every change: all or nothing. */
  for (i = 0; i < lk->links->len; i++) {
    HfLinkemLink *link = g_ptr_array_index (lk->links, i);

    if (!req->all && strcmp (link->name, req->link) != 0)
      continue;
    for (d = 0; d < 2; d++) {
      if (!(req->dir & (1 << d)))
        continue;
      if (!hf_linkem_change_apply (&req->change,
              hf_impair_get_config (link->dir[d].impair), &next[2 * i + d],
              &local)) {
        g_set_error (error, HF_LINKEM_ERROR, HF_LINKEM_ERROR_FAILED,
            "%s %s: %s", link->name, hf_linkem_dir_names[d], local->message);
        g_clear_error (&local);
        g_free (next);
        return FALSE;
      }
    }
  }
  for (i = 0; i < lk->links->len; i++) {
    HfLinkemLink *link = g_ptr_array_index (lk->links, i);

    if (!req->all && strcmp (link->name, req->link) != 0)
      continue;
    for (d = 0; d < 2; d++) {
      HfImpair *imp = link->dir[d].impair;
      gchar *was, *now;

      if (!(req->dir & (1 << d)))
        continue;
      was = hf_impair_config_to_string (hf_impair_get_config (imp));
      hf_impair_set_config (imp, &next[2 * i + d], now_us);
      now = hf_impair_config_to_string (&next[2 * i + d]);
      g_printerr ("hf-linkem: %s %s: %s (was %s)\n", link->name,
          hf_linkem_dir_names[d], now, was);
      g_free (was);
      g_free (now);
    }
  }
  g_free (next);
  return TRUE;
}

/* Answers one request line.  Returns (transfer full) the reply: "ok\n" and
 * a body, or "error: MESSAGE\n". */
static gchar *
hf_linkem_answer (HfLinkem * lk, const gchar * line, gsize len)
{
  HfLinkemRequest req;
  GError *error = NULL;
  gchar *body, *reply;

  if (!hf_linkem_request_parse (line, len, &req, &error))
    goto failed;
  switch (req.kind) {
    case HF_LINKEM_REQ_PING:
      return g_strdup ("ok\n");
    case HF_LINKEM_REQ_STATUS:
      body =
          req.json ? hf_linkem_status_json (lk) : hf_linkem_status_table (lk);
      reply =
          g_strdup_printf ("ok\n%s%s", body, g_str_has_suffix (body,
              "\n") ? "" : "\n");
      g_free (body);
      return reply;
    case HF_LINKEM_REQ_CTL:
      if (!hf_linkem_apply (lk, &req, g_get_monotonic_time (), &error))
        goto failed;
      return g_strdup ("ok\n");
  }
  g_set_error_literal (&error, HF_LINKEM_ERROR, HF_LINKEM_ERROR_FAILED,
      "unknown request");

failed:
  reply = g_strdup_printf ("error: %s\n", error->message);
  g_error_free (error);
  return reply;
}

/* ---------------------------------------------------------------------- */
/* Control socket                                                         */

static void
hf_linkem_client_close (HfLinkem * lk, HfLinkemClient * c)
{
  epoll_ctl (lk->epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close (c->fd);
  g_string_free (c->in, TRUE);
  g_string_free (c->out, TRUE);
  g_ptr_array_remove_fast (lk->clients, c);
  g_free (c);
}

static void
hf_linkem_client_reply (HfLinkem * lk, HfLinkemClient * c, gsize line_len)
{
  gchar *reply = hf_linkem_answer (lk, c->in->str, line_len);
  struct epoll_event ev;

  g_string_assign (c->out, reply);
  g_free (reply);
  c->replying = TRUE;
  memset (&ev, 0, sizeof (ev));
  ev.events = EPOLLOUT;
  ev.data.ptr = &c->watch;
  epoll_ctl (lk->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Reads a request or writes its reply, as the client's socket allows. */
static void
hf_linkem_client_io (HfLinkem * lk, HfLinkemClient * c)
{
  gchar buf[4096];
  gchar *nl;
  ssize_t n;

  if (c->replying) {
    n = send (c->fd, c->out->str + c->out_done, c->out->len - c->out_done,
        MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
      return;
    if (n > 0)
      c->out_done += n;
    if (n <= 0 || c->out_done == c->out->len)
      hf_linkem_client_close (lk, c);
    return;
  }

  n = recv (c->fd, buf, sizeof (buf), MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n > 0)
    g_string_append_len (c->in, buf, n);
  nl = memchr (c->in->str, '\n', c->in->len);
  if (nl) {
    gsize len = nl - c->in->str;

    /* A CRLF client (nc -C) is served too. */
    if (len > 0 && c->in->str[len - 1] == '\r')
      len--;
    hf_linkem_client_reply (lk, c, len);
  } else if (c->in->len > HF_LINKEM_MAX_LINE) {
    hf_linkem_client_reply (lk, c, c->in->len);
  } else if (n <= 0) {
    /* The end of input ends the line too; nothing at all is no request. */
    if (c->in->len > 0)
      hf_linkem_client_reply (lk, c, c->in->len);
    else
      hf_linkem_client_close (lk, c);
  }
}

static void
hf_linkem_ctl_accept (HfLinkem * lk, gint64 now_us)
{
  for (;;) {
    int fd = accept4 (lk->ctl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    HfLinkemClient *c;

    if (fd < 0)
      return;
    if (lk->clients->len >= HF_LINKEM_MAX_CLIENTS) {
      static const gchar busy[] = "error: too many control clients\n";

      if (send (fd, busy, sizeof (busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
        g_debug ("busy reply: %s", g_strerror (errno));
      close (fd);
      continue;
    }
    c = g_new0 (HfLinkemClient, 1);
    c->fd = fd;
    c->in = g_string_new (NULL);
    c->out = g_string_new (NULL);
    c->started_us = now_us;
    c->watch.kind = HF_LINKEM_WATCH_CLIENT;
    c->watch.client = c;
    if (!hf_linkem_watch (lk, fd, EPOLLIN, &c->watch, NULL)) {
      close (fd);
      g_string_free (c->in, TRUE);
      g_string_free (c->out, TRUE);
      g_free (c);
      continue;
    }
    g_ptr_array_add (lk->clients, c);
  }
}

static void
hf_linkem_expire_clients (HfLinkem * lk, gint64 now_us)
{
  guint i = 0;

  while (i < lk->clients->len) {
    HfLinkemClient *c = g_ptr_array_index (lk->clients, i);

    if (now_us - c->started_us > HF_LINKEM_CLIENT_TIMEOUT_US)
      hf_linkem_client_close (lk, c);   /* the last one moved to i */
    else
      i++;
  }
}

static gboolean
hf_linkem_unix_addr (const gchar * path, struct sockaddr_un *sun,
    GError ** error)
{
  memset (sun, 0, sizeof (*sun));
  sun->sun_family = AF_UNIX;
  if (strlen (path) >= sizeof (sun->sun_path)) {
    g_set_error (error, HF_LINKEM_ERROR, HF_LINKEM_ERROR_FAILED,
        "control socket path too long (%zu bytes, at most %zu): %s",
        strlen (path), sizeof (sun->sun_path) - 1, path);
    return FALSE;
  }
  strcpy (sun->sun_path, path);
  return TRUE;
}

/* Binds the control socket.  A socket file that nobody answers on is a
 * leftover of a proxy that died: it is removed.  One that answers belongs
 * to a running proxy, and anything that is not a socket is not ours: both
 * are refused. */
static gboolean
hf_linkem_ctl_open (HfLinkem * lk, GError ** error)
{
  struct sockaddr_un sun;
  struct stat st;
  int fd;

  if (!hf_linkem_unix_addr (lk->ctl_path, &sun, error))
    return FALSE;
  if (lstat (lk->ctl_path, &st) == 0) {
    int probe;

    if (!S_ISSOCK (st.st_mode)) {
      g_set_error (error, HF_LINKEM_ERROR, HF_LINKEM_ERROR_FAILED,
          "%s exists and is not a socket: refusing to replace it",
          lk->ctl_path);
      return FALSE;
    }
    probe = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe >= 0 && connect (probe, (struct sockaddr *) &sun,
            sizeof (sun)) == 0) {
      close (probe);
      g_set_error (error, HF_LINKEM_ERROR, HF_LINKEM_ERROR_FAILED,
          "another hf-linkem answers on %s (use --ctl PATH for a second "
          "one)", lk->ctl_path);
      return FALSE;
    }
    if (probe >= 0)
      close (probe);
    if (unlink (lk->ctl_path) < 0 && errno != ENOENT) {
      g_set_error (error, HF_LINKEM_ERROR, HF_LINKEM_ERROR_FAILED,
          "cannot remove the stale socket %s: %s", lk->ctl_path,
          g_strerror (errno));
      return FALSE;
    }
  }

  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind (fd, (struct sockaddr *) &sun, sizeof (sun)) < 0 ||
      listen (fd, 16) < 0) {
    g_set_error (error, HF_LINKEM_ERROR, HF_LINKEM_ERROR_FAILED,
        "cannot listen on %s: %s", lk->ctl_path, g_strerror (errno));
    if (fd >= 0)
      close (fd);
    return FALSE;
  }
  lk->ctl_fd = fd;
  lk->ctl_bound = TRUE;
  /* Only this user may impair the links. */
  chmod (lk->ctl_path, 0600);
  if (stat (lk->ctl_path, &st) == 0)
    lk->ctl_ino = st.st_ino;
  lk->ctl_watch.kind = HF_LINKEM_WATCH_CTL;
  return hf_linkem_watch (lk, fd, EPOLLIN, &lk->ctl_watch, error);
}

/* ---------------------------------------------------------------------- */
/* The proxy                                                              */

static void
hf_linkem_clear (HfLinkem * lk)
{
  struct stat st;

  while (lk->clients && lk->clients->len)
    hf_linkem_client_close (lk, g_ptr_array_index (lk->clients, 0));
  g_clear_pointer (&lk->clients, g_ptr_array_unref);
  g_clear_pointer (&lk->links, g_ptr_array_unref);
  if (lk->ctl_fd >= 0)
    close (lk->ctl_fd);
  /* Remove the socket file only if it is still the one this proxy made. */
  if (lk->ctl_bound && stat (lk->ctl_path, &st) == 0 &&
      st.st_ino == lk->ctl_ino)
    unlink (lk->ctl_path);
  if (lk->timerfd >= 0)
    close (lk->timerfd);
  if (lk->sigfd >= 0)
    close (lk->sigfd);
  if (lk->epfd >= 0)
    close (lk->epfd);
  g_free (lk->rbuf);
  g_free (lk->ctl_path);
}

static gboolean
hf_linkem_open (HfLinkem * lk, const HfLinkemSpec * specs, guint n_specs,
    GError ** error)
{
  sigset_t mask;
  guint i;

  lk->epfd = epoll_create1 (EPOLL_CLOEXEC);
  lk->timerfd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  sigemptyset (&mask);
  sigaddset (&mask, SIGINT);
  sigaddset (&mask, SIGTERM);
  sigprocmask (SIG_BLOCK, &mask, NULL);
  lk->sigfd = signalfd (-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (lk->epfd < 0 || lk->timerfd < 0 || lk->sigfd < 0) {
    g_set_error (error, HF_LINKEM_ERROR, HF_LINKEM_ERROR_FAILED,
        "cannot set up the event loop: %s", g_strerror (errno));
    return FALSE;
  }
  lk->timer_watch.kind = HF_LINKEM_WATCH_TIMER;
  lk->signal_watch.kind = HF_LINKEM_WATCH_SIGNAL;
  if (!hf_linkem_watch (lk, lk->timerfd, EPOLLIN | EPOLLET, &lk->timer_watch,
          error) ||
      !hf_linkem_watch (lk, lk->sigfd, EPOLLIN, &lk->signal_watch, error))
    return FALSE;

  lk->rbuf = g_malloc (HF_LINKEM_BATCH * HF_LINKEM_MAX_DATAGRAM);
  for (i = 0; i < HF_LINKEM_BATCH; i++) {
    lk->riov[i].iov_base = lk->rbuf + i * (gsize) HF_LINKEM_MAX_DATAGRAM;
    lk->riov[i].iov_len = HF_LINKEM_MAX_DATAGRAM;
    lk->rmsgs[i].msg_hdr.msg_iov = &lk->riov[i];
    lk->rmsgs[i].msg_hdr.msg_iovlen = 1;
  }

  /* The links' ports first: a port in use fails the start before the
   * control socket is taken. */
  for (i = 0; i < n_specs; i++) {
    HfLinkemLink *link;

    if (hf_linkem_find_link (lk, specs[i].name)) {
      g_set_error (error, HF_LINKEM_ERROR, HF_LINKEM_ERROR_FAILED,
          "two links are named %s", specs[i].name);
      return FALSE;
    }
    link = hf_linkem_link_open (lk, &specs[i], i, error);
    if (!link)
      return FALSE;
    g_ptr_array_add (lk->links, link);
  }
  return hf_linkem_ctl_open (lk, error);
}

static void
hf_linkem_loop (HfLinkem * lk)
{
  struct epoll_event events[64];
  gint64 last_expire = 0;

  while (!lk->quit) {
    int n = epoll_wait (lk->epfd, events, G_N_ELEMENTS (events), 1000);
    gint64 now_us = g_get_monotonic_time ();
    int i;

    if (n < 0 && errno != EINTR) {
      g_printerr ("hf-linkem: epoll_wait: %s\n", g_strerror (errno));
      return;
    }
    for (i = 0; i < n; i++) {
      HfLinkemWatch *w = events[i].data.ptr;

      switch (w->kind) {
        case HF_LINKEM_WATCH_LISTEN:
        case HF_LINKEM_WATCH_TARGET:
          hf_linkem_read (lk, w);
          break;
        case HF_LINKEM_WATCH_TIMER:
          /* Edge-triggered: each expiry is an event of its own, and the
           * count is not read (one system call less per release). */
          lk->armed_us = G_MAXINT64;
          break;
        case HF_LINKEM_WATCH_SIGNAL:{
          struct signalfd_siginfo si;

          if (read (lk->sigfd, &si, sizeof (si)) == sizeof (si))
            g_printerr ("hf-linkem: %s, stopping\n", strsignal (si.ssi_signo));
          lk->quit = TRUE;
          break;
        }
        case HF_LINKEM_WATCH_CTL:
          hf_linkem_ctl_accept (lk, now_us);
          break;
        case HF_LINKEM_WATCH_CLIENT:
          hf_linkem_client_io (lk, w->client);
          /* A client closed here may have freed a watch that a later event
           * of this round names: a client's events are handled only once
           * per round, and no other event points to a client. */
          break;
      }
    }
    /* Time moved on while the sockets were read. */
    hf_linkem_release (lk, g_get_monotonic_time ());
    if (now_us - last_expire > G_USEC_PER_SEC) {
      hf_linkem_expire_clients (lk, now_us);
      last_expire = now_us;
    }
  }
}

/* ---------------------------------------------------------------------- */
/* The client commands                                                    */

/* Connects @fd (non-blocking) to @sun, retrying while the proxy's backlog
 * is full, until @deadline.  FALSE with errno set. */
static gboolean
hf_linkem_connect (int fd, const struct sockaddr_un *sun, gint64 deadline)
{
  for (;;) {
    if (connect (fd, (const struct sockaddr *) sun, sizeof (*sun)) == 0)
      return TRUE;
    if ((errno != EAGAIN && errno != EINTR)
        || g_get_monotonic_time () >= deadline)
      return FALSE;
    g_usleep (2000);
  }
}

/**
 * hf_linkem_request:
 * @line: the request, without a newline
 * @body: (out) (transfer full): what follows "ok" in the reply
 *
 * Sends one request to the proxy on @path and waits (bounded) for its
 * reply.  Returns FALSE with the proxy's error message, or why it could not
 * be reached, in @error.
 */
static gboolean
hf_linkem_request (const gchar * path, const gchar * line, gchar ** body,
    GError ** error)
{
  struct sockaddr_un sun;
  GString *reply = g_string_new (NULL);
  gchar *request = g_strdup_printf ("%s\n", line);
  gint64 deadline = g_get_monotonic_time () +
      HF_LINKEM_CLIENT_WAIT_MS * (gint64) 1000;
  gboolean ok = FALSE;
  gsize done = 0, len = strlen (request);
  int fd = -1;

  if (!hf_linkem_unix_addr (path, &sun, error))
    goto out;
  /* Non-blocking, so a proxy that stops accepting (its backlog full) is a
   * timed-out request, not a client stuck for ever. */
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0 || !hf_linkem_connect (fd, &sun, deadline)) {
    g_set_error (error, HF_LINKEM_ERROR, HF_LINKEM_ERROR_FAILED,
        "cannot reach hf-linkem on %s: %s (is `hf-linkem run` running? "
        "--ctl PATH or HF_LINKEM_CTL choose the socket)", path,
        g_strerror (errno));
    goto out;
  }
  while (done < len) {
    ssize_t n = send (fd, request + done, len - done, MSG_NOSIGNAL);
    struct pollfd out = { fd, POLLOUT, 0 };

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN
        && poll (&out, 1, HF_LINKEM_CLIENT_WAIT_MS) > 0)
      continue;
    if (n < 0) {
      g_set_error (error, HF_LINKEM_ERROR, HF_LINKEM_ERROR_FAILED,
          "cannot send to hf-linkem on %s: %s", path, g_strerror (errno));
      goto out;
    }
    done += n;
  }
  shutdown (fd, SHUT_WR);
  for (;;) {
    struct pollfd pfd = { fd, POLLIN, 0 };
    gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
    gchar buf[8192];
    ssize_t n;

    if (left_ms <= 0 || poll (&pfd, 1, (int) left_ms) == 0) {
      g_set_error (error, HF_LINKEM_ERROR, HF_LINKEM_ERROR_FAILED,
          "no answer from hf-linkem on %s within %d ms", path,
          HF_LINKEM_CLIENT_WAIT_MS);
      goto out;
    }
    n = recv (fd, buf, sizeof (buf), 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    /* The proxy answers a request it refuses (one too long) before reading
     * all of it, and closing with unread data resets the connection: what
     * it wrote before is the answer. */
    if (n < 0 && errno == ECONNRESET && reply->len > 0)
      break;
    if (n < 0) {
      g_set_error (error, HF_LINKEM_ERROR, HF_LINKEM_ERROR_FAILED,
          "cannot read from hf-linkem on %s: %s", path, g_strerror (errno));
      goto out;
    }
    if (n == 0)
      break;
    g_string_append_len (reply, buf, n);
    if (reply->len > HF_LINKEM_MAX_REPLY) {
      g_set_error (error, HF_LINKEM_ERROR, HF_LINKEM_ERROR_FAILED,
          "the answer of hf-linkem on %s is too long", path);
      goto out;
    }
  }

  if (g_str_has_prefix (reply->str, "ok\n")) {
    *body = g_strdup (reply->str + 3);
    ok = TRUE;
  } else if (g_str_has_prefix (reply->str, "error: ")) {
    gchar *msg = g_strndup (reply->str + 7, strcspn (reply->str + 7, "\n"));

    g_set_error_literal (error, HF_LINKEM_ERROR, HF_LINKEM_ERROR_FAILED, msg);
    g_free (msg);
  } else {
    g_set_error (error, HF_LINKEM_ERROR, HF_LINKEM_ERROR_FAILED,
        "unexpected answer from %s (is it an hf-linkem?)", path);
  }

out:
  if (fd >= 0)
    close (fd);
  g_free (request);
  g_string_free (reply, TRUE);
  return ok;
}

static int
hf_linkem_cmd_ctl (const gchar * path, int argc, char **argv)
{
  GError *error = NULL;
  GString *line = g_string_new ("ctl");
  gchar *body = NULL;
  int i, rc = HF_LINKEM_EXIT_OK;

  if (argc < 2) {
    g_printerr ("hf-linkem: ctl needs a link (or all) and a command, e.g. "
        "hf-linkem ctl primary loss 10%%\n");
    g_string_free (line, TRUE);
    return HF_LINKEM_EXIT_USAGE;
  }
  for (i = 0; i < argc; i++) {
    if (strpbrk (argv[i], "\r\n")) {
      g_printerr ("hf-linkem: a line break in an argument\n");
      g_string_free (line, TRUE);
      return HF_LINKEM_EXIT_USAGE;
    }
    g_string_append_printf (line, " %s", argv[i]);
  }
  if (!hf_linkem_request (path, line->str, &body, &error)) {
    g_printerr ("hf-linkem: %s\n", error->message);
    g_error_free (error);
    rc = HF_LINKEM_EXIT_FAILURE;
  } else {
    g_print ("ok\n");
  }
  g_free (body);
  g_string_free (line, TRUE);
  return rc;
}

static int
hf_linkem_cmd_status (const gchar * path, int argc, char **argv)
{
  GError *error = NULL;
  gboolean json = FALSE;
  const gchar *request;
  gchar *body = NULL;
  int i;

  for (i = 0; i < argc; i++) {
    if (strcmp (argv[i], "--json") == 0 || strcmp (argv[i], "json") == 0) {
      json = TRUE;
    } else {
      g_printerr ("hf-linkem: status takes only --json, not \"%s\"\n", argv[i]);
      return HF_LINKEM_EXIT_USAGE;
    }
  }
  request = json ? "status json" : "status";
  if (!hf_linkem_request (path, request, &body, &error)) {
    g_printerr ("hf-linkem: %s\n", error->message);
    g_error_free (error);
    return HF_LINKEM_EXIT_FAILURE;
  }
  g_print ("%s", body);
  g_free (body);
  return HF_LINKEM_EXIT_OK;
}

static int
hf_linkem_cmd_run (gchar * path, guint64 seed, int argc, char **argv)
{
  HfLinkem lk;
  HfLinkemSpec *specs;
  GError *error = NULL;
  int i, rc = HF_LINKEM_EXIT_OK;

  if (argc < 1) {
    g_printerr ("hf-linkem: run needs at least one LINKSPEC, e.g. "
        "primary=127.0.0.1:9000>127.0.0.1:9100\n");
    g_free (path);
    return HF_LINKEM_EXIT_USAGE;
  }
  specs = g_new0 (HfLinkemSpec, argc);
  for (i = 0; i < argc; i++) {
    if (!hf_linkem_spec_parse (argv[i], &specs[i], &error)) {
      g_printerr ("hf-linkem: %s\n", error->message);
      g_error_free (error);
      g_free (specs);
      g_free (path);
      return HF_LINKEM_EXIT_USAGE;
    }
  }

  memset (&lk, 0, sizeof (lk));
  lk.ctl_path = path;
  lk.seed = seed;
  lk.epfd = lk.timerfd = lk.sigfd = lk.ctl_fd = -1;
  lk.armed_us = G_MAXINT64;
  lk.links = g_ptr_array_new_with_free_func ((GDestroyNotify)
      hf_linkem_link_free);
  lk.clients = g_ptr_array_new ();
  signal (SIGPIPE, SIG_IGN);
  /* Release times are microseconds: ask for wake-ups as precise. */
  prctl (PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

  if (!hf_linkem_open (&lk, specs, argc, &error)) {
    g_printerr ("hf-linkem: %s\n", error->message);
    g_error_free (error);
    rc = HF_LINKEM_EXIT_FAILURE;
    goto out;
  }
  g_printerr ("hf-linkem: control socket %s, seed %" G_GUINT64_FORMAT "\n",
      lk.ctl_path, seed);
  for (i = 0; i < (int) lk.links->len; i++) {
    HfLinkemLink *link = g_ptr_array_index (lk.links, i);

    if (link->n_ports > 1)
      g_print ("hf-linkem: link %s %s -> %s*%u\n", link->name,
          link->listen_str, link->target_str, link->n_ports);
    else
      g_print ("hf-linkem: link %s %s -> %s\n", link->name, link->listen_str,
          link->target_str);
  }
  g_print ("hf-linkem: ready\n");
  fflush (stdout);

  hf_linkem_loop (&lk);

out:
  hf_linkem_clear (&lk);
  g_free (specs);
  return rc;
}

/* ---------------------------------------------------------------------- */

int
main (int argc, char **argv)
{
  GOptionContext *context;
  GError *error = NULL;
  gchar *ctl_path = NULL, *seed_str = NULL;
  gboolean show_version = FALSE;
  guint64 seed;
  const gchar *cmd;
  GOptionEntry entries[] = {
    {"ctl", 0, 0, G_OPTION_ARG_FILENAME, &ctl_path,
        "Control socket (default: $HF_LINKEM_CTL, else "
          "/tmp/hf-linkem-UID.sock)", "PATH"},
    {"seed", 0, 0, G_OPTION_ARG_STRING, &seed_str,
        "Seed of the random impairments (run; default: a random one, "
          "printed on stderr)", "N"},
    {"version", 0, 0, G_OPTION_ARG_NONE, &show_version,
        "Print the version and exit", NULL},
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("run LINKSPEC... | ctl LINK|all [fwd|rev] "
      "COMMAND... | status [--json]");
  g_option_context_set_summary (context,
      "A UDP link impairment proxy: loss, burst loss, delay, jitter, "
      "duplication,\na rate cap and sever, changed live over a control "
      "socket.");
  g_option_context_set_description (context,
      "  run LINKSPEC...   run the proxy in the foreground; LINKSPEC is\n"
      "      NAME=LISTENHOST:PORT>TARGETHOST:PORT[*N]   (*N: N consecutive\n"
      "      port pairs, e.g. RTP+RTCP is *2; IPv6 as [::1]:9000)\n"
      "  ctl LINK|all [fwd|rev] COMMAND...   change a link, e.g.\n"
      "      loss 10% [burst 5] | delay 40ms | jitter 10ms | reorder on|off\n"
      "      | dup 1% | rate 1500kbit [queue 100ms] | rate off | sever\n"
      "      | restore (= clear); several at once are applied together.\n"
      "      fwd is listen -> target, rev the way back; none: both.\n"
      "  status [--json]   per link and direction: configuration, counters\n"
      "\n"
      "Exit status: 0 ok, 1 failure (the reason on stderr), 2 bad "
      "arguments.\n");
  g_option_context_add_main_entries (context, entries, NULL);
  /* Options end at the command: what follows belongs to it. */
  g_option_context_set_strict_posix (context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("hf-linkem: %s\n", error->message);
    g_printerr ("Try \"hf-linkem --help\" for usage.\n");
    g_clear_error (&error);
    g_option_context_free (context);
    return HF_LINKEM_EXIT_USAGE;
  }
  g_option_context_free (context);

  if (show_version) {
    g_print ("hf-linkem %s\n", HF_VERSION);
    return HF_LINKEM_EXIT_OK;
  }
  if (argc < 2) {
    g_printerr ("hf-linkem: missing command (run, ctl or status)\n");
    g_printerr ("Try \"hf-linkem --help\" for usage.\n");
    return HF_LINKEM_EXIT_USAGE;
  }
  if (!ctl_path) {
    const gchar *env = g_getenv ("HF_LINKEM_CTL");

    ctl_path = env && *env ? g_strdup (env) :
        g_strdup_printf ("/tmp/hf-linkem-%u.sock", (guint) getuid ());
  }
  if (seed_str) {
    if (!g_ascii_string_to_unsigned (seed_str, 10, 0, G_MAXUINT64, &seed,
            &error)) {
      g_printerr ("hf-linkem: --seed: %s\n", error->message);
      g_error_free (error);
      g_free (seed_str);
      g_free (ctl_path);
      return HF_LINKEM_EXIT_USAGE;
    }
    g_free (seed_str);
  } else {
    seed = ((guint64) g_random_int () << 32) | g_random_int ();
  }

  cmd = argv[1];
  if (strcmp (cmd, "run") == 0)
    return hf_linkem_cmd_run (ctl_path, seed, argc - 2, argv + 2);
  else {
    int rc;

    if (strcmp (cmd, "ctl") == 0)
      rc = hf_linkem_cmd_ctl (ctl_path, argc - 2, argv + 2);
    else if (strcmp (cmd, "status") == 0)
      rc = hf_linkem_cmd_status (ctl_path, argc - 2, argv + 2);
    else {
      g_printerr ("hf-linkem: unknown command \"%s\" (expected run, ctl or "
          "status)\n", cmd);
      rc = HF_LINKEM_EXIT_USAGE;
    }
    g_free (ctl_path);
    return rc;
  }
}
