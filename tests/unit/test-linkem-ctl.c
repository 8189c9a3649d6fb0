/* Unit tests of hf-linkem's parsers (tools/hf-linkem-ctl.c): values,
 * change sets, control requests and link specs, what they accept and what
 * they refuse, and that a refused change changes nothing.
 *
 * Single-threaded, no sockets.
 */
#include <gst/check/gstcheck.h>

#include "tools/hf-linkem-ctl.h"

static gboolean
hf_test_request (const gchar * line, HfLinkemRequest * req)
{
  GError *error = NULL;
  gboolean ok = hf_linkem_request_parse (line, strlen (line), req, &error);

  fail_unless (ok == (error == NULL));
  if (error) {
    fail_unless (error->domain == HF_LINKEM_CTL_ERROR);
    fail_unless (error->message && *error->message);
    g_error_free (error);
  }
  return ok;
}

/* Parses a ctl line and applies it to a clean link; FALSE if refused. */
static gboolean
hf_test_apply (const gchar * line, HfImpairConfig * out)
{
  HfLinkemRequest req;
  HfImpairConfig clean;

  hf_impair_config_init (&clean);
  if (!hf_test_request (line, &req))
    return FALSE;
  return hf_linkem_change_apply (&req.change, &clean, out, NULL);
}

GST_START_TEST (test_percent_accepts_and_refuses)
{
  static const gchar *bad[] = { "101", "-1", "abc", "10%%", "", "1e3", "nan",
    " 10", "10 %", "%", ".", "0x10", "100.0001", "1234567890123"
  };
  gdouble v;
  guint i;

  fail_unless (hf_linkem_parse_percent ("10%", &v, NULL) && v == 10);
  fail_unless (hf_linkem_parse_percent ("10", &v, NULL) && v == 10);
  fail_unless (hf_linkem_parse_percent ("0.5%", &v, NULL) && v == 0.5);
  fail_unless (hf_linkem_parse_percent ("100", &v, NULL) && v == 100);
  fail_unless (hf_linkem_parse_percent (".5", &v, NULL) && v == 0.5);
  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    fail_if (hf_linkem_parse_percent (bad[i], &v, NULL), "took \"%s\"", bad[i]);
}

GST_END_TEST;

GST_START_TEST (test_time_units)
{
  static const gchar *bad[] = { "40 ms", "-5", "5h", "ms", "", "1e3ms",
    "40msec", "99999999999s"
  };
  gint64 us;
  guint i;

  fail_unless (hf_linkem_parse_time ("40ms", &us, NULL) && us == 40000);
  fail_unless (hf_linkem_parse_time ("40", &us, NULL) && us == 40000);
  fail_unless (hf_linkem_parse_time ("1.5s", &us, NULL) && us == 1500000);
  fail_unless (hf_linkem_parse_time ("500us", &us, NULL) && us == 500);
  fail_unless (hf_linkem_parse_time ("0", &us, NULL) && us == 0);
  fail_unless (hf_linkem_parse_time ("2.5", &us, NULL) && us == 2500);
  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    fail_if (hf_linkem_parse_time (bad[i], &us, NULL), "took \"%s\"", bad[i]);
}

GST_END_TEST;

GST_START_TEST (test_rate_units)
{
  static const gchar *bad[] = { "kbps", "1.5mbps", "800kbps", "0", "abc",
    "0.0001bit", "-1k", "1tbit", ""
  };
  GError *error = NULL;
  guint64 bps;
  guint i;

  fail_unless (hf_linkem_parse_rate ("1500kbit", &bps, NULL) && bps == 1500000);
  fail_unless (hf_linkem_parse_rate ("1.5mbit", &bps, NULL) && bps == 1500000);
  fail_unless (hf_linkem_parse_rate ("800k", &bps, NULL) && bps == 800000);
  fail_unless (hf_linkem_parse_rate ("2000", &bps, NULL) && bps == 2000000);
  fail_unless (hf_linkem_parse_rate ("64000bit", &bps, NULL) && bps == 64000);
  fail_unless (hf_linkem_parse_rate ("1G", &bps, NULL) && bps == 1000000000);
  fail_unless (hf_linkem_parse_rate ("1.5Mbit", &bps, NULL) && bps == 1500000);
  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    fail_if (hf_linkem_parse_rate (bad[i], &bps, NULL), "took \"%s\"", bad[i]);
  /* The message says why kbps is refused. */
  fail_if (hf_linkem_parse_rate ("800kbps", &bps, &error));
  fail_unless (strstr (error->message, "kbps") != NULL, "%s", error->message);
  g_error_free (error);
}

GST_END_TEST;

GST_START_TEST (test_change_set_applies_every_command)
{
  HfImpairConfig c;

  fail_unless (hf_test_apply ("ctl x loss 15% burst 5 jitter 80ms", &c));
  fail_unless (c.loss_pct == 15 && c.burst == 5 && c.jitter_us == 80000);
  fail_unless (hf_test_apply ("ctl x delay 40 reorder on dup 1.5% rate 1.5mbit "
          "queue 250ms", &c));
  fail_unless (c.delay_us == 40000 && c.reorder && c.dup_pct == 1.5 &&
      c.rate_bps == 1500000 && c.queue_us == 250000);
  fail_unless (hf_test_apply ("ctl x rate 800k", &c));
  fail_unless (c.rate_bps == 800000 && c.queue_us == 100000);
  fail_unless (hf_test_apply ("ctl x sever", &c) && c.severed);
  /* In order: restore then loss, or loss then restore. */
  fail_unless (hf_test_apply ("ctl x sever restore loss 5", &c));
  fail_unless (!c.severed && c.loss_pct == 5);
  fail_unless (hf_test_apply ("ctl x loss 5 sever clear", &c));
  fail_unless (hf_impair_config_is_clean (&c));
  /* Burst before loss in one command is kept. */
  fail_unless (hf_test_apply ("ctl x burst 4 loss 10", &c));
  fail_unless (c.burst == 4 && c.loss_pct == 10);
  fail_unless (hf_test_apply ("ctl x LOSS 10% BURST off", &c));
  fail_unless (c.burst == 0 && c.loss_pct == 10);
}

GST_END_TEST;

GST_START_TEST (test_loss_alone_turns_burst_off)
{
  HfLinkemRequest req;
  HfImpairConfig cur, next;

  hf_impair_config_init (&cur);
  cur.loss_pct = 10;
  cur.burst = 5;
  fail_unless (hf_test_request ("ctl x loss 3%", &req));
  fail_unless (hf_linkem_change_apply (&req.change, &cur, &next, NULL));
  fail_unless (next.loss_pct == 3 && next.burst == 0);
  /* burst alone keeps the loss. */
  fail_unless (hf_test_request ("ctl x burst 2", &req));
  fail_unless (hf_linkem_change_apply (&req.change, &cur, &next, NULL));
  fail_unless (next.loss_pct == 10 && next.burst == 2);
}

GST_END_TEST;

GST_START_TEST (test_refused_change_changes_nothing)
{
  HfLinkemRequest req;
  HfImpairConfig cur, next;
  GError *error = NULL;

  hf_impair_config_init (&cur);
  hf_impair_config_init (&next);
  next.delay_us = 12345;
  fail_unless (hf_test_request ("ctl x delay 10ms loss 95% burst 2", &req));
  fail_if (hf_linkem_change_apply (&req.change, &cur, &next, &error));
  fail_unless (strstr (error->message, "burst") != NULL);
  g_error_free (error);
  fail_unless_equals_int64 (next.delay_us, 12345);
  fail_if (hf_test_apply ("ctl x delay 11s", &next));
  fail_if (hf_test_apply ("ctl x queue 20s", &next));
}

GST_END_TEST;

GST_START_TEST (test_requests_accept)
{
  HfLinkemRequest req;

  fail_unless (hf_test_request ("ping", &req));
  fail_unless_equals_int (req.kind, HF_LINKEM_REQ_PING);
  fail_unless (hf_test_request ("status", &req));
  fail_unless (req.kind == HF_LINKEM_REQ_STATUS && !req.json);
  fail_unless (hf_test_request ("  status\tjson ", &req));
  fail_unless (req.kind == HF_LINKEM_REQ_STATUS && req.json);
  fail_unless (hf_test_request ("ctl all restore", &req));
  fail_unless (req.kind == HF_LINKEM_REQ_CTL && req.all &&
      req.dir == HF_LINKEM_DIR_BOTH && req.change.set == HF_LINKEM_SET_ALL);
  fail_unless (hf_test_request ("ctl primary fwd loss 10%", &req));
  fail_unless (!req.all && strcmp (req.link, "primary") == 0 &&
      req.dir == HF_LINKEM_DIR_FWD &&
      req.change.set == (HF_LINKEM_SET_LOSS | HF_LINKEM_SET_BURST));
  fail_unless (hf_test_request ("ctl backup-2.x rev sever", &req));
  fail_unless (req.dir == HF_LINKEM_DIR_REV && req.change.values.severed);
}

GST_END_TEST;

GST_START_TEST (test_requests_refuse)
{
  static const gchar *bad[] = {
    "", "   ", "hello", "ctl", "ctl primary", "ctl primary fwd",
    "ctl bad/name loss 1", "ctl primary loss", "ctl primary loss ten",
    "ctl primary fwd rev loss 1", "ctl primary delay 5 jitter",
    "ctl primary reorder maybe", "ctl primary rate", "status xml",
    "ping pong", "ctl primary sever 5", "ctl primary burst 0.5",
    "ctl all all sever",
  };
  HfLinkemRequest req;
  GString *longline;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    fail_if (hf_test_request (bad[i], &req), "took \"%s\"", bad[i]);

  /* A NUL or a control character inside, a line too long, too many
   * words. */
  fail_if (hf_linkem_request_parse ("ping\0x", 6, &req, NULL));
  fail_if (hf_test_request ("ctl primary loss 1\x1b[2J", &req));
  longline = g_string_new ("ctl primary");
  while (longline->len <= HF_LINKEM_MAX_LINE)
    g_string_append (longline, " delay 1");
  fail_if (hf_test_request (longline->str, &req));
  g_string_assign (longline, "ctl primary");
  for (i = 0; i < 70; i++)
    g_string_append (longline, " sever");
  fail_if (hf_test_request (longline->str, &req));
  g_string_free (longline, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_error_quotes_token_safely)
{
  HfLinkemRequest req;
  GError *error = NULL;
  const gchar *line = "ctl primary loss 1\xff\xfe%";

  fail_if (hf_linkem_request_parse (line, strlen (line), &req, &error));
  fail_unless (strstr (error->message, "\"1??%\"") != NULL, "%s",
      error->message);
  g_error_free (error);
}

GST_END_TEST;

GST_START_TEST (test_link_specs_accept)
{
  HfLinkemSpec s;

  fail_unless (hf_linkem_spec_parse ("primary=127.0.0.1:9000>127.0.0.1:9100",
          &s, NULL));
  fail_unless_equals_string (s.name, "primary");
  fail_unless_equals_string (s.listen_host, "127.0.0.1");
  fail_unless_equals_int (s.listen_port, 9000);
  fail_unless_equals_string (s.target_host, "127.0.0.1");
  fail_unless_equals_int (s.target_port, 9100);
  fail_unless_equals_int (s.n_ports, 1);

  fail_unless (hf_linkem_spec_parse ("rtp=[::1]:9000>[::1]:9100*2", &s, NULL));
  fail_unless_equals_string (s.listen_host, "::1");
  fail_unless_equals_string (s.target_host, "::1");
  fail_unless_equals_int (s.n_ports, 2);

  fail_unless (hf_linkem_spec_parse ("a_b-c.d=0.0.0.0:0>localhost:5000", &s,
          NULL));
  fail_unless_equals_int (s.listen_port, 0);
  fail_unless_equals_string (s.target_host, "localhost");
  fail_unless (hf_linkem_spec_parse ("x=127.0.0.1:65534>127.0.0.1:65534*2",
          &s, NULL));
}

GST_END_TEST;

GST_START_TEST (test_link_specs_refuse)
{
  static const gchar *bad[] = {
    "", "primary", "=127.0.0.1:1>127.0.0.1:2", "all=127.0.0.1:1>127.0.0.1:2",
    "p=127.0.0.1:1", "p=127.0.0.1:1>127.0.0.1:2>127.0.0.1:3",
    "p=::1:9000>127.0.0.1:2", "p=127.0.0.1:1>127.0.0.1:0",
    "p=127.0.0.1:70000>127.0.0.1:2", "p=127.0.0.1:1>127.0.0.1:2*0",
    "p=127.0.0.1:1>127.0.0.1:2*65", "p=127.0.0.1:65535>127.0.0.1:2*2",
    "p=127.0.0.1:0>127.0.0.1:2*2", "p=127.0.0.1>127.0.0.1:2",
    "p=127.0.0.1:>127.0.0.1:2", "p=:1>127.0.0.1:2", "p=[::1]>[::1]:2",
    "p=[::1:1>[::1]:2", "p q=127.0.0.1:1>127.0.0.1:2",
    "p=127.0.0.1:1>127.0.0.1:2*", "p=127.0.0.1:1*2>127.0.0.1:2",
    "p=127.0.0.1:-1>127.0.0.1:2", "p=127.0.0.1:1>127.0.0.1:2*x",
  };
  HfLinkemSpec s;
  GError *error = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    fail_if (hf_linkem_spec_parse (bad[i], &s, &error), "took \"%s\"", bad[i]);
    fail_unless (error && strstr (error->message, "bad link") != NULL);
    g_clear_error (&error);
  }
}

GST_END_TEST;

static Suite *
hf_linkem_ctl_suite (void)
{
  Suite *s = suite_create ("hf-linkem-ctl");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_percent_accepts_and_refuses);
  tcase_add_test (tc, test_time_units);
  tcase_add_test (tc, test_rate_units);
  tcase_add_test (tc, test_change_set_applies_every_command);
  tcase_add_test (tc, test_loss_alone_turns_burst_off);
  tcase_add_test (tc, test_refused_change_changes_nothing);
  tcase_add_test (tc, test_requests_accept);
  tcase_add_test (tc, test_requests_refuse);
  tcase_add_test (tc, test_error_quotes_token_safely);
  tcase_add_test (tc, test_link_specs_accept);
  tcase_add_test (tc, test_link_specs_refuse);
  return s;
}

GST_CHECK_MAIN (hf_linkem_ctl);
