"""Containers (cAdvisor): CPU, memory against limits, throttling, network, file system and
OOM kills per container. Only named containers (`name!=""`): cgroups without a container
name are the host's own slices, which the node dashboard covers."""

from __future__ import annotations

from content.dashboards.common import Board, Context, Query, add, board, graph, make_uid, single

UID = make_uid("cadvisor")
TITLE = "Containers"


def dashboards(ctx: Context) -> list[Board]:
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
