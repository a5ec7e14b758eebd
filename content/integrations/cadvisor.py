"""Containers through cAdvisor, which needs root and the Docker host's state read-only.

cAdvisor also reports every cgroup that is not a container (the host's slices, pause and
other anonymous cgroups); those have an empty `name` label, and every alert leaves them out
with `name!=""`, as cAdvisor users do. Thresholds are data; `alertOverrides` changes them.

Dashboard: Containers (cAdvisor): CPU, memory against limits, throttling, network, file system and
OOM kills per container. Only named containers (`name!=""`): cgroups without a container
name are the host's own slices, which the node dashboard covers.
"""

from __future__ import annotations

from typing import Optional

from config.exporters import ExporterSettings
from content.alert_factories import ratio_alert, share
from content.dashboards.board import Board, add, board
from content.dashboards.context import Context, make_uid
from content.dashboards.panels import Query, graph, single
from content.integrations.unit import Integration
from content.rules import Alert, Series, labels_of
from content.scrape import ScrapeJob
from content.workload import HostAccess

# Named containers only: the cgroups of the host and of anonymous pause containers have name="".
CONTAINERS = 'name!=""'
CONTAINER_LABELS = {"name": "app", "image": "example/app:1.0"}  # the fixtures' container

# Default thresholds (a stack moves any of them with `alertOverrides`).
# A quarter of its CPU periods throttled slows a container's requests visibly; a few percent is
# normal for a bursty one.
CPU_THROTTLED_ABOVE = 0.25
# Throttling comes in bursts (a batch, a GC): a quarter of an hour of it is the limit being too
# low, not a spike.
CPU_THROTTLED_FOR = "15m"
# 90% of the memory limit leaves room to react before the OOM killer, which acts at 100%.
MEMORY_NEAR_LIMIT_ABOVE = 0.9
MEMORY_NEAR_LIMIT_FOR = "5m"  # a working set that stays there, not a spike the kernel reclaims
# One or two restarts in 15 minutes can be a deploy or a one-off crash; more is a crash loop.
RESTARTS_ABOVE = 2


UID = make_uid("cadvisor")
TITLE = "Containers"


class Cadvisor(Integration):
    key = "cadvisor"
    title = "cAdvisor"
    port = 8080
    image = "gcr.io/cadvisor/cadvisor:v0.60.6"  # Go proxy, 2026-09-09
    layer = "infrastructure"
    # On Kubernetes every kubelet embeds cAdvisor: the kubernetes integration scrapes it there
    # (job `cadvisor`, /metrics/cadvisor), so this container runs on Docker only.
    platforms = ("docker",)
    platform_note = "every kubelet serves cAdvisor's metrics; enable exporters.kubernetes, whose cadvisor job scrapes them"
    # cAdvisor reads cgroups and the Docker state: upstream runs it privileged, as root.
    user = None
    read_only_root = False
    host_access = HostAccess(
        mounts=(("/", "/rootfs"), ("/var/run", "/var/run"), ("/sys", "/sys"),
                ("/var/lib/docker", "/var/lib/docker"), ("/dev/disk", "/dev/disk")),
        privileged=True,
    )

    def alerts(self, own: ExporterSettings, job: ScrapeJob) -> list[Alert]:
        sel = job.selector
        named = f"{sel},{CONTAINERS}"
        containers = {"filters": CONTAINERS, "series_labels": CONTAINER_LABELS}

        def restarts(t: Optional[float], fire: bool) -> list[Series]:
            # A crash-looping container gets a new start time every minute (the test's scrape
            # interval): 14 changes in the 15-minute window; a healthy one keeps its start time.
            return [Series(f"container_start_time_seconds{labels_of(sel, **CONTAINER_LABELS)}",
                           1 if fire else 0, rate=True, start=1_700_000_000)]

        return [
            # Throttled periods are those in which the container wanted CPU beyond its quota;
            # the series exist only for containers with a CPU limit (`--cpus`).
            ratio_alert(
                "ContainerCpuThrottled", share("container_cpu_cfs_throttled_periods_total",
                                               "container_cpu_cfs_periods_total", sel, window="5m", **containers),
                threshold=CPU_THROTTLED_ABOVE, for_=CPU_THROTTLED_FOR, severity="warning",
                summary="Container CPU throttled in more than $threshold of periods",
                description="Container {{ $labels.name }} on {{ $labels.instance }} was throttled in "
                "{{ $value | humanizePercentage }} of its CPU periods: its CPU limit is too low for its load.",
            ),
            # Working set is what the kernel cannot reclaim: at the limit the OOM killer acts.
            # A container without a memory limit reports a limit of 0, left out by `> 0`.
            ratio_alert(
                "ContainerMemoryNearLimit", share("container_memory_working_set_bytes",
                                                  "container_spec_memory_limit_bytes", sel, denominator_filter=" > 0",
                                                  **containers),
                threshold=MEMORY_NEAR_LIMIT_ABOVE, for_=MEMORY_NEAR_LIMIT_FOR, severity="warning",
                summary="Container memory above $threshold of its limit",
                description="Container {{ $labels.name }} on {{ $labels.instance }} uses "
                "{{ $value | humanizePercentage }} of its memory limit: it is close to being OOM-killed.",
            ),
            # A restart under a restart policy keeps the container (and its series) and moves
            # its start time; a container recreated by a deploy is a new series, not a restart.
            Alert(
                name="ContainerRestarting",
                expr=f"changes(container_start_time_seconds{{{named}}}[15m]) > $threshold",
                threshold=RESTARTS_ABOVE, threshold_kind="count", severity="warning",
                summary="Container restarted more than $threshold times in 15 minutes",
                description="Container {{ $labels.name }} on {{ $labels.instance }} restarted {{ $value }} times "
                "in 15 minutes: it is crash-looping.",
                fixture=restarts,
            ),
        ]

    def dashboards(self, ctx: Context) -> list[Board]:
        c = ctx.sel('name!=""')
        rate = "[$__rate_interval]"
        b = board(ctx, "cadvisor", TITLE, "Docker containers seen by cAdvisor: resource use per container, against "
                  "its limits.", "infrastructure",
                  related=[(make_uid("node"), "Linux hosts"), (make_uid("alerts"), "Alerts overview")],
                  tags=("containers", "docker"))
        return [add(
            b,
            ("Overview", [
                single("Running containers", "Named containers cAdvisor reported in the last scrape.", "short",
                       Query(f"count(container_last_seen{{{c}}})")),
                single("CPU used", "CPU of all named containers, in cores.", "short",
                       Query(f"sum(rate(container_cpu_usage_seconds_total{{{c}}}{rate}))"), decimals=2),
                single("Memory used", "Working set of all named containers (what the OOM killer counts).", "bytes",
                       Query(f"sum(container_memory_working_set_bytes{{{c}}})")),
                single("OOM kills", "Containers killed for memory in the chosen time range.", "short",
                       Query(f"sum(increase(container_oom_events_total{{{c}}}[$__range])) or vector(0)"),
                       levels=[(1, "red")]),
            ]),
            ("CPU", [
                graph("CPU by container", "Cores used per container.", "short",
                      Query(f"sum by (name) (rate(container_cpu_usage_seconds_total{{{c}}}{rate}))", "{{name}}")),
                graph("CPU throttling", "Share of CPU periods in which the container hit its CPU limit; above a few "
                      "percent the limit slows it down.", "percentunit",
                      Query(f"sum by (name) (rate(container_cpu_cfs_throttled_periods_total{{{c}}}{rate}))"
                            f" / sum by (name) (rate(container_cpu_cfs_periods_total{{{c}}}{rate}))", "{{name}}"),
                      levels=ctx.lines("ContainerCpuThrottled"), max_value=1),
            ]),
            ("Memory", [
                graph("Memory by container", "Working set per container.", "bytes",
                      Query(f"sum by (name) (container_memory_working_set_bytes{{{c}}})", "{{name}}")),
                graph("Memory against limit", "Working set as a share of the container's memory limit (containers "
                      "with a limit only); at 100% the kernel kills it.", "percentunit",
                      Query(f"sum by (name) (container_memory_working_set_bytes{{{c}}})"
                            f" / sum by (name) (container_spec_memory_limit_bytes{{{c}}} > 0)", "{{name}}"),
                      levels=ctx.lines("ContainerMemoryNearLimit"), max_value=1),
            ]),
            ("Network and disk", [
                graph("Network by container", "Bytes received and sent per second per container.", "Bps",
                      Query(f"sum by (name) (rate(container_network_receive_bytes_total{{{c}}}{rate}))", "{{name}} in"),
                      Query(f"sum by (name) (rate(container_network_transmit_bytes_total{{{c}}}{rate}))", "{{name}} out")),
                graph("File system by container", "Bytes each container's writable layer and volumes use.", "bytes",
                      Query(f"sum by (name) (container_fs_usage_bytes{{{c}}})", "{{name}}")),
            ]),
        )]
