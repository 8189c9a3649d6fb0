/* SRT egress (see hf-srt.h): the only file that calls libsrt.
 *
 * Messages are 1316 bytes (7 TS packets), as every SRT live-mode peer
 * expects.  Sockets are non-blocking for sending (SRTO_SNDSYN off): a full
 * send buffer returns SRT_EASYNCSND, which we count as a drop for that peer
 * only.
 */
#include "relay/hf-srt.h"

#include <srt/srt.h>
#include <gio/gio.h>
#include <gst/gst.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (hf_srt_debug);
#define GST_CAT_DEFAULT hf_srt_debug

G_DEFINE_QUARK (hf - srt - error - quark, hf_srt_error)
#define HF_SRT_CHUNK (7 * 188)
/* A peer that could not take this many messages in a row is gone. */
#define HF_SRT_MAX_CONSECUTIVE_DROPS 2000
#define HF_SRT_BACKOFF_MIN_MS 200
#define HF_SRT_BACKOFF_MAX_MS 5000
     typedef struct
     {
       SRTSOCKET sock;
       gboolean pending;        /* waiting for its start-up GOP */
       guint consecutive_drops;
       gchar *peer;
     } HfSrtPeer;

     struct _HfSrtOutput
     {
       gboolean listener;
       gchar *host;
       guint16 port;
       gint latency_ms;
       gchar *passphrase;
       gchar *streamid;

       SRTSOCKET listen_sock;
       GThread *thread;
       gint stopping;           /* atomic */

       GMutex peers_lock;       /* guards peers and stats */
       GPtrArray *peers;        /* (element-type HfSrtPeer) */
       gint n_pending;          /* atomic: peers still pending */
       HfSrtStats stats;
     };

     static gint hf_srt_users;
G_LOCK_DEFINE_STATIC (hf_srt_users);

     static void hf_srt_startup (void)
{
  G_LOCK (hf_srt_users);
  if (hf_srt_users++ == 0) {
    srt_startup ();
    srt_setloglevel (LOG_ERR);
  }
  G_UNLOCK (hf_srt_users);
  if (!hf_srt_debug)
    GST_DEBUG_CATEGORY_INIT (hf_srt_debug, "hf-srt", 0, "Holdfast SRT egress");
}

static void
hf_srt_cleanup (void)
{
  G_LOCK (hf_srt_users);
  if (--hf_srt_users == 0)
    srt_cleanup ();
  G_UNLOCK (hf_srt_users);
}

static void
hf_srt_set_error (GError ** error, const gchar * what)
{
  g_set_error (error, HF_SRT_ERROR, srt_getlasterror (NULL), "%s: %s", what,
      srt_getlasterror_str ());
}

static void
hf_srt_peer_free (gpointer p)
{
  HfSrtPeer *peer = p;

  srt_close (peer->sock);
  g_free (peer->peer);
  g_free (peer);
}

/* Resolves @host:@port into @ss; "" means any address. */
static gboolean
hf_srt_resolve (const gchar * host, guint16 port, struct sockaddr_storage *ss,
    socklen_t * len, GError ** error)
{
  g_autoptr (GInetAddress) addr = NULL;
  g_autoptr (GSocketAddress) sa = NULL;

  if (!host || !*host) {
    addr = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  } else {
    addr = g_inet_address_new_from_string (host);
    if (!addr) {
      g_autoptr (GResolver) resolver = g_resolver_get_default ();
      GList *list = g_resolver_lookup_by_name (resolver, host, NULL, error);

      if (!list)
        return FALSE;
      addr = g_object_ref (list->data);
      g_resolver_free_addresses (list);
    }
  }
  sa = g_inet_socket_address_new (addr, port);
  *len = g_socket_address_get_native_size (sa);
  return g_socket_address_to_native (sa, ss, sizeof (*ss), error);
}

static gboolean
hf_srt_configure (SRTSOCKET s, gint latency_ms, const gchar * passphrase,
    const gchar * streamid, GError ** error)
{
  gint live = SRTT_LIVE, no = 0, latency = latency_ms;

  if (srt_setsockflag (s, SRTO_TRANSTYPE, &live, sizeof (live)) < 0 ||
      srt_setsockflag (s, SRTO_LATENCY, &latency, sizeof (latency)) < 0 ||
      srt_setsockflag (s, SRTO_SNDSYN, &no, sizeof (no)) < 0) {
    hf_srt_set_error (error, "cannot configure the SRT socket");
    return FALSE;
  }
  if (passphrase && *passphrase &&
      srt_setsockflag (s, SRTO_PASSPHRASE, passphrase, strlen (passphrase)) < 0)
  {
    hf_srt_set_error (error, "bad SRT passphrase");
    return FALSE;
  }
  if (streamid && *streamid &&
      srt_setsockflag (s, SRTO_STREAMID, streamid, strlen (streamid)) < 0) {
    hf_srt_set_error (error, "bad SRT stream id");
    return FALSE;
  }
  return TRUE;
}

static void
hf_srt_add_peer (HfSrtOutput * out, SRTSOCKET sock, const gchar * name)
{
  HfSrtPeer *peer = g_new0 (HfSrtPeer, 1);

  peer->sock = sock;
  peer->pending = TRUE;
  peer->peer = g_strdup (name);
  g_mutex_lock (&out->peers_lock);
  g_ptr_array_add (out->peers, peer);
  out->stats.viewers = out->peers->len;
  out->stats.connections++;
  g_mutex_unlock (&out->peers_lock);
  g_atomic_int_inc (&out->n_pending);
  GST_INFO ("srt %u: %s connected", out->port, name);
}

/* Output thread of a listener: accepts viewers; notices dead ones even when
 * nothing is being sent. */
static gpointer
hf_srt_listener_thread (gpointer user_data)
{
  HfSrtOutput *out = user_data;
  gint eid = srt_epoll_create ();
  gint events = SRT_EPOLL_IN | SRT_EPOLL_ERR;

  srt_epoll_add_usock (eid, out->listen_sock, &events);
  while (!g_atomic_int_get (&out->stopping)) {
    SRTSOCKET ready[4];
    gint n_ready = 4, i;
    guint k;

    if (srt_epoll_wait (eid, ready, &n_ready, NULL, NULL, 200, NULL, NULL,
            NULL, NULL) > 0) {
      for (i = 0; i < n_ready; i++) {
        struct sockaddr_storage ss;
        gint len = sizeof (ss);
        SRTSOCKET s = srt_accept (out->listen_sock, (struct sockaddr *) &ss,
            &len);
        g_autoptr (GSocketAddress) sa = NULL;
        g_autofree gchar *name = NULL;

        if (s == SRT_INVALID_SOCK)
          continue;
        sa = g_socket_address_new_from_native (&ss, len);
        if (sa && G_IS_INET_SOCKET_ADDRESS (sa)) {
          g_autofree gchar *ip =
              g_inet_address_to_string (g_inet_socket_address_get_address
              (G_INET_SOCKET_ADDRESS (sa)));
          name = g_strdup_printf ("%s:%u", ip,
              g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (sa)));
        } else {
          name = g_strdup ("?");
        }
        hf_srt_add_peer (out, s, name);
      }
    }
    /* Reap peers that went away while idle. */
    g_mutex_lock (&out->peers_lock);
    for (k = 0; k < out->peers->len;) {
      HfSrtPeer *peer = g_ptr_array_index (out->peers, k);
      SRT_SOCKSTATUS st = srt_getsockstate (peer->sock);

      if (st == SRTS_BROKEN || st == SRTS_CLOSED || st == SRTS_NONEXIST) {
        GST_INFO ("srt %u: %s left", out->port, peer->peer);
        if (peer->pending)
          g_atomic_int_add (&out->n_pending, -1);
        g_ptr_array_remove_index_fast (out->peers, k);
      } else {
        k++;
      }
    }
    out->stats.viewers = out->peers->len;
    g_mutex_unlock (&out->peers_lock);
  }
  srt_epoll_release (eid);
  return NULL;
}

/* Output thread of a caller: keeps one connection up, with backoff. */
static gpointer
hf_srt_caller_thread (gpointer user_data)
{
  HfSrtOutput *out = user_data;
  guint backoff = HF_SRT_BACKOFF_MIN_MS;

  while (!g_atomic_int_get (&out->stopping)) {
    gboolean connected;
    struct sockaddr_storage ss;
    socklen_t len;
    SRTSOCKET s;
    g_autoptr (GError) err = NULL;
    gint timeout_ms = 1000;
    guint waited;

    g_mutex_lock (&out->peers_lock);
    connected = out->peers->len > 0;
    g_mutex_unlock (&out->peers_lock);
    if (connected) {
      /* The sender or the reaper below removes a broken connection. */
      g_mutex_lock (&out->peers_lock);
      if (out->peers->len > 0) {
        HfSrtPeer *peer = g_ptr_array_index (out->peers, 0);
        SRT_SOCKSTATUS st = srt_getsockstate (peer->sock);

        if (st == SRTS_BROKEN || st == SRTS_CLOSED || st == SRTS_NONEXIST) {
          GST_INFO ("srt caller %s:%u: connection lost", out->host, out->port);
          if (peer->pending)
            g_atomic_int_add (&out->n_pending, -1);
          g_ptr_array_remove_index_fast (out->peers, 0);
          out->stats.viewers = 0;
        }
      }
      g_mutex_unlock (&out->peers_lock);
      g_usleep (100 * 1000);
      continue;
    }

    s = srt_create_socket ();
    if (s == SRT_INVALID_SOCK ||
        !hf_srt_configure (s, out->latency_ms, out->passphrase, out->streamid,
            &err) ||
        !hf_srt_resolve (out->host, out->port, &ss, &len, &err) ||
        srt_setsockflag (s, SRTO_CONNTIMEO, &timeout_ms,
            sizeof (timeout_ms)) < 0 ||
        srt_connect (s, (struct sockaddr *) &ss, len) == SRT_ERROR) {
      GST_DEBUG ("srt caller %s:%u: %s", out->host, out->port,
          err ? err->message : srt_getlasterror_str ());
      if (s != SRT_INVALID_SOCK)
        srt_close (s);
      /* Back off, but stay quick to stop. */
      for (waited = 0; waited < backoff &&
          !g_atomic_int_get (&out->stopping); waited += 50)
        g_usleep (50 * 1000);
      backoff = MIN (backoff * 2, HF_SRT_BACKOFF_MAX_MS);
      continue;
    }
    backoff = HF_SRT_BACKOFF_MIN_MS;
    {
      g_autofree gchar *name = g_strdup_printf ("%s:%u", out->host, out->port);

      hf_srt_add_peer (out, s, name);
    }
  }
  return NULL;
}

static HfSrtOutput *
hf_srt_output_alloc (const gchar * host, guint16 port, gint latency_ms,
    const gchar * passphrase, const gchar * streamid)
{
  HfSrtOutput *out = g_new0 (HfSrtOutput, 1);

  hf_srt_startup ();
  out->host = g_strdup (host ? host : "");
  out->port = port;
  out->latency_ms = latency_ms;
  out->passphrase = g_strdup (passphrase);
  out->streamid = g_strdup (streamid);
  out->listen_sock = SRT_INVALID_SOCK;
  g_mutex_init (&out->peers_lock);
  out->peers = g_ptr_array_new_with_free_func (hf_srt_peer_free);
  return out;
}

HfSrtOutput *
hf_srt_output_new_listener (const gchar * host, guint16 port, gint latency_ms,
    const gchar * passphrase, GError ** error)
{
  HfSrtOutput *out = hf_srt_output_alloc (host, port, latency_ms, passphrase,
      NULL);
  struct sockaddr_storage ss;
  socklen_t len;

  out->listener = TRUE;
  out->listen_sock = srt_create_socket ();
  if (out->listen_sock == SRT_INVALID_SOCK) {
    hf_srt_set_error (error, "cannot create an SRT socket");
    goto fail;
  }
  if (!hf_srt_configure (out->listen_sock, latency_ms, passphrase, NULL, error)
      || !hf_srt_resolve (host, port, &ss, &len, error))
    goto fail;
  if (srt_bind (out->listen_sock, (struct sockaddr *) &ss, len) == SRT_ERROR) {
    hf_srt_set_error (error, "cannot bind the SRT listener");
    g_prefix_error (error, "port %u: ", port);
    goto fail;
  }
  if (srt_listen (out->listen_sock, 64) == SRT_ERROR) {
    hf_srt_set_error (error, "cannot listen");
    goto fail;
  }
  out->thread = g_thread_new ("hf-srt-listen", hf_srt_listener_thread, out);
  return out;

fail:
  hf_srt_output_free (out);
  return NULL;
}

HfSrtOutput *
hf_srt_output_new_caller (const gchar * host, guint16 port, gint latency_ms,
    const gchar * passphrase, const gchar * streamid, GError ** error)
{
  HfSrtOutput *out = hf_srt_output_alloc (host, port, latency_ms, passphrase,
      streamid);

  out->thread = g_thread_new ("hf-srt-call", hf_srt_caller_thread, out);
  return out;
}

void
hf_srt_output_free (HfSrtOutput * out)
{
  if (!out)
    return;
  g_atomic_int_set (&out->stopping, 1);
  if (out->thread)
    g_thread_join (out->thread);
  if (out->listen_sock != SRT_INVALID_SOCK)
    srt_close (out->listen_sock);
  g_ptr_array_unref (out->peers);
  g_mutex_clear (&out->peers_lock);
  g_free (out->host);
  g_free (out->passphrase);
  g_free (out->streamid);
  g_free (out);
  hf_srt_cleanup ();
}

gboolean
hf_srt_output_wants_gop (HfSrtOutput * out)
{
  return g_atomic_int_get (&out->n_pending) > 0;
}

/* peers_lock held.  FALSE when the peer is gone. */
static gboolean
hf_srt_send_locked (HfSrtOutput * out, HfSrtPeer * peer, const guint8 * data,
    gsize size)
{
  gsize off;

  for (off = 0; off < size; off += HF_SRT_CHUNK) {
    gint n = MIN (HF_SRT_CHUNK, size - off);

    if (srt_sendmsg2 (peer->sock, (const char *) data + off, n, NULL) < 0) {
      gint code = srt_getlasterror (NULL);

      if (code != SRT_EASYNCSND)
        return FALSE;
      out->stats.dropped_packets++;
      if (++peer->consecutive_drops > HF_SRT_MAX_CONSECUTIVE_DROPS) {
        out->stats.dropped_peers++;
        return FALSE;
      }
      continue;
    }
    peer->consecutive_drops = 0;
    out->stats.packets_sent++;
    out->stats.bytes_sent += n;
  }
  return TRUE;
}

void
hf_srt_output_send (HfSrtOutput * out, const guint8 * data, gsize size,
    GBytes * gop)
{
  guint i;

  g_mutex_lock (&out->peers_lock);
  for (i = 0; i < out->peers->len;) {
    HfSrtPeer *peer = g_ptr_array_index (out->peers, i);
    gboolean ok = TRUE;

    if (peer->pending) {
      if (!gop) {
        /* No keyframe yet: it starts with the next one. */
        i++;
        continue;
      }
      peer->pending = FALSE;
      g_atomic_int_add (&out->n_pending, -1);
      out->stats.gop_replays++;
      out->stats.gop_bytes_replayed += g_bytes_get_size (gop);
      ok = hf_srt_send_locked (out, peer, g_bytes_get_data (gop, NULL),
          g_bytes_get_size (gop));
    }
    if (ok)
      ok = hf_srt_send_locked (out, peer, data, size);
    if (!ok) {
      GST_INFO ("srt %u: dropping %s: %s", out->port, peer->peer,
          srt_getlasterror_str ());
      g_ptr_array_remove_index_fast (out->peers, i);
      continue;
    }
    i++;
  }
  out->stats.viewers = out->peers->len;
  g_mutex_unlock (&out->peers_lock);
}

void
hf_srt_output_get_stats (HfSrtOutput * out, HfSrtStats * stats)
{
  g_mutex_lock (&out->peers_lock);
  *stats = out->stats;
  g_mutex_unlock (&out->peers_lock);
}

void
hf_srt_output_sample_link (HfSrtOutput * out, HfSrtLinkSample * sample)
{
  guint i;

  sample->connections = 0;
  sample->loss_ratio = -1;
  sample->send_buffer_ms = -1;
  sample->bandwidth_bps = 0;
  sample->rtt_ms = -1;
  g_mutex_lock (&out->peers_lock);
  for (i = 0; i < out->peers->len; i++) {
    HfSrtPeer *peer = g_ptr_array_index (out->peers, i);
    SRT_TRACEBSTATS perf;
    guint64 bw;

    if (peer->pending || srt_bstats (peer->sock, &perf, 1) < 0)
      continue;
    sample->connections++;
    if (perf.pktSent > 0)
      sample->loss_ratio = MAX (sample->loss_ratio,
          (gdouble) perf.pktSndLoss / (gdouble) perf.pktSent);
    sample->send_buffer_ms = MAX (sample->send_buffer_ms,
        (gdouble) perf.msSndBuf);
    bw = perf.mbpsBandwidth > 0 ? (guint64) (perf.mbpsBandwidth * 1e6) : 0;
    if (bw > 0 && (sample->bandwidth_bps == 0 || bw < sample->bandwidth_bps))
      sample->bandwidth_bps = bw;
    sample->rtt_ms = MAX (sample->rtt_ms, perf.msRTT);
  }
  g_mutex_unlock (&out->peers_lock);
}
