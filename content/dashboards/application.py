"""The stack's applications, one dashboard each: job rate, queue depth, latency p50/p95/p99 by
status, error ratio and in-flight jobs, with dashed threshold lines at the levels of the
application's alerts as this stack deploys them (`applications[].queue/latency/errors`, then
`alertOverrides`), so staging and prod draw different lines from the same code. The "as the
alert sees it" panels use the alert's exact expression and window.
Panels for metrics the application's settings do not name are left out rather than empty."""

from __future__ import annotations

from config.applications import Application
from content.application import error_ratio_record, quantile_record
from content.dashboards.board import Board, add, board
from content.dashboards.context import RED, Context, make_uid
from content.dashboards.panels import Query, during_fault, graph, single
from content.rules import alert_prefix

QUANTILES = (0.5, 0.95, 0.99)
# The fault the error panels need: before a first failed job there is no error series at all.
JOB_ERRORS = "job errors"


def uid_for(app: Application) -> str:
    return make_uid("app", app.name)


def _pct(q: float) -> str:
    return f"p{round(q * 100):d}"


def dashboards(ctx: Context, app: Application) -> list[Board]:
    s = ctx.sel()
    rate = "[$__rate_interval]"
    lat, err, queue, extra = app.latency, app.errors, app.queue, app.dashboard
    histogram = (lat.histogram if lat else None) or (err.histogram if err else None)
    status = err.status_label if err else "status"
    prefix = alert_prefix(app.name)  # of the application's alert names (content/application.py)
    latency_high, queue_high, errors_high = (f"{prefix}JobLatencyHigh", f"{prefix}QueueDepthHigh",
                                             f"{prefix}JobErrorRatioHigh")
    b = board(ctx, f"app-{app.name}", app.name, f"{app.name}: throughput, queue, latency and errors, with the "
              f"{ctx.facts.environment} alert thresholds drawn on the graphs.", "applications",
              uid=uid_for(app),
              related=[(make_uid("redis"), "Redis"), (make_uid("cadvisor"), "Containers"),
                       (make_uid("alerts"), "Alerts overview")], tags=("application",))

    overview = [single("Targets up", f"Share of the application's targets answering scrapes ({prefix}Down "
                       "fires after 1m down).", "percentunit",
                       Query(f"sum(up{{{s}}}) / count(up{{{s}}})"), levels=[(1, "green")], base=RED)]
    throughput, queue_panels, latency_panels, error_panels = [], [], [], []

    if histogram:
        count = f"{histogram}_count"
        overview.append(single("Job rate", "Jobs finished per second, all statuses.", "ops",
                               Query(f"sum(rate({count}{{{s}}}{rate}))")))
        throughput.append(graph("Jobs finished by status", f"Jobs finished per second, by `{status}`.", "ops",
                                Query(f"sum by ({status}) (rate({count}{{{s}}}{rate}))", f"{{{{{status}}}}}"),
                                *([Query(f"sum(rate({extra.enqueued_metric}{{{s}}}{rate}))", "enqueued")]
                                  if extra.enqueued_metric else []),
                                stacked=False))
        latency_panels.append(graph(
            "Job latency p50 / p95 / p99 by status",
            f"Quantiles of job duration by `{status}`"
            + (f"; {latency_high} reads the {_pct(lat.quantile)}." if lat else "."), "s",
            *[Query(f"histogram_quantile({q:g}, sum by (le, {status}) (rate({histogram}_bucket{{{s}}}{rate})))",
                    f"{_pct(q)} {{{{{status}}}}}") for q in QUANTILES],
            levels=ctx.lines(latency_high) if lat else ()))
    if lat:
        # The recording rule the alert itself reads (content/application.py).
        alert_expr = f"max({quantile_record(lat, lat.quantile)}{{{ctx.sel_job_level()}}})"
        overview.append(single(f"Job latency {_pct(lat.quantile)}", f"{_pct(lat.quantile)} job duration over "
                               f"{lat.window}, as {latency_high} computes it.", "s",
                               Query(alert_expr), levels=ctx.lines(latency_high)))
        latency_panels.append(graph(f"Job latency {_pct(lat.quantile)} as the alert sees it",
                                    f"The {latency_high} expression ({lat.window} window).", "s",
                                    Query(alert_expr, _pct(lat.quantile)), levels=ctx.lines(latency_high)))
    if queue:
        qsel = ctx.sel(queue.selector)
        overview.append(single("Queue depth", f"Jobs waiting ({queue.metric}), as {queue_high} reads it.",
                               "short", Query(f"max({queue.metric}{{{qsel}}})"), levels=ctx.lines(queue_high)))
        queue_panels.append(graph("Queue depth", f"Jobs waiting in the queue ({queue.metric}"
                                  f"{'{' + queue.selector + '}' if queue.selector else ''}).", "short",
                                  Query(f"max by (instance) ({queue.metric}{{{qsel}}})", "{{instance}}"),
                                  levels=ctx.lines(queue_high)))
    if extra.enqueued_metric:
        queue_panels.append(graph("Jobs enqueued", f"Jobs put in the queue per second ({extra.enqueued_metric}).",
                                  "ops", Query(f"sum(rate({extra.enqueued_metric}{{{s}}}{rate}))", "enqueued")))
    if extra.in_flight_metric:
        overview.append(single("In-flight jobs", f"Jobs being processed now ({extra.in_flight_metric}).", "short",
                               Query(f"sum({extra.in_flight_metric}{{{s}}})")))
        throughput.append(graph("In-flight jobs", f"Jobs being processed, per instance ({extra.in_flight_metric}).",
                                "short", Query(f"sum by (instance) ({extra.in_flight_metric}{{{s}}})", "{{instance}}")))
    if err:
        ratio = f"max({error_ratio_record(err)}{{{ctx.sel_job_level()}}})"
        overview.append(single("Error ratio", during_fault(
            f"Share of jobs ending with {err.status_label}={err.error_value} over {err.window}, as "
            f"{errors_high} computes it.", JOB_ERRORS), "percentunit", Query(ratio), levels=ctx.lines(errors_high)))
        error_panels.append(graph("Error ratio", during_fault(
            f"Failed jobs as a share of all jobs over {err.window}.", JOB_ERRORS),
            "percentunit", Query(ratio, "error ratio"), levels=ctx.lines(errors_high)))
    sections = [("Overview", overview)]
    sections += [(title, panels) for title, panels in (
        ("Throughput", throughput), ("Queue", queue_panels), ("Latency", latency_panels), ("Errors", error_panels),
    ) if panels]
    return [add(b, *sections)]
