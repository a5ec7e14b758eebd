"""Uptime and probes (blackbox exporter): success, availability over the chosen range,
duration, and, where the module and targets call for them, HTTP status, phases and TLS
certificate expiry. Panels that only an HTTP(S) probe fills are built only for one, so no
panel waits for data that cannot come."""

from __future__ import annotations

from content.dashboards.common import ORANGE, RED, Board, Context, Query, add, board, graph, make_uid, single

UID = make_uid("blackbox")
DAY = 86400


def dashboards(ctx: Context) -> list[Board]:
    s = ctx.sel()
    job = ctx.jobs[0]  # the probe job: its targets are the probed URLs, its `module` parameter the prober
    http = dict(job.params).get("module") == ("http_2xx",)
    tls = http and any(t.startswith("https://") for t in job.targets)
    b = board(ctx, "blackbox", "Uptime and probes", "Probes of the configured targets from the blackbox exporter: "
              "is each one up, how fast it answers, and for how long its certificate is valid.", "infrastructure",
              related=[(make_uid("alerts"), "Alerts overview")], tags=("uptime", "probes"))
    overview = [
        single("Probes succeeding", "Share of targets whose last probe succeeded (ProbeFailed fires after 2m "
               "of failures).", "percentunit", Query(f"avg(probe_success{{{s}}})"),
               levels=[(0.999, "green")], base=RED),
        single("Availability", "Share of successful probes over the chosen time range, per target.", "percentunit",
               Query(f"avg by (instance) (avg_over_time(probe_success{{{s}}}[$__range]))", "{{instance}}"),
               levels=[(0.99, ORANGE), (0.999, "green")], base=RED, decimals=3),
    ]
    if tls:
        overview.append(single(
            "Certificate expires in", "Time until the earliest certificate of each HTTPS target expires.", "s",
            Query(f"min by (instance) (probe_ssl_earliest_cert_expiry{{{s}}}) - time()", "{{instance}}"),
            levels=ctx.lines("ProbeCertificateExpiring", scale=DAY)))
    details = [
        graph("Probe success", "1 when the probe succeeded, 0 when it failed, per target.", "bool_yes_no",
              Query(f"max by (instance) (probe_success{{{s}}})", "{{instance}}"), max_value=1),
        graph("Probe duration", "Time the whole probe took, per target (ProbeSlow reads its 5m average).", "s",
              Query(f"max by (instance) (probe_duration_seconds{{{s}}})", "{{instance}}"), levels=ctx.lines("ProbeSlow")),
    ]
    if http:
        details += [
            graph("HTTP phases", "Time spent resolving, connecting, in TLS, until the first byte and "
                  "transferring, per target.", "s",
                  Query(f"sum by (instance, phase) (probe_http_duration_seconds{{{s}}})", "{{instance}} {{phase}}"),
                  stacked=True),
            graph("HTTP status code", "Status code of the last response, per target.", "none",
                  Query(f"max by (instance) (probe_http_status_code{{{s}}})", "{{instance}}"),
                  levels=[(400, ORANGE), (500, RED)], min_value=None),
        ]
    return [add(b, ("Overview", overview), ("Probes", details))]
