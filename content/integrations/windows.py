"""Windows hosts through windows_exporter, which runs on each host as a Windows service.

We do not run it (there is no Windows container to run it in): the integration is
scrape-only, its targets are `exporters.windows.targets`. The alerts mirror the node ones
(CPU, memory, disk space) plus the Windows services the stack says must be running.

Dashboard: Windows hosts (windows_exporter): CPU, memory, logical disks, network and uptime, the
Windows counterpart of the Linux host overview. Built when the windows integration
(`content/integrations/windows.py`) is enabled and has targets.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from config.exporters import ScrapeTargetSettings
from config.fields import HostPort
from content.alert_factories import Ratio, busy_share, flag_alert, pair, ratio_alert, share
from content.dashboards.board import Board, add, board
from content.dashboards.context import Context, make_uid
from content.dashboards.panels import Query, graph, single
from content.integrations.unit import ScrapeOnlyIntegration
from content.rules import Alert, Recording, Series, labels_of
from content.scrape import ScrapeJob

# Volumes without a drive letter (recovery and system-reserved partitions) are full by design.
VOLUMES = 'volume!~"HarddiskVolume.+"'


# Default thresholds (a stack moves any of them with `alertOverrides`), those of the Linux hosts
# (content/integrations/node.py), for the same reasons.
CPU_BUSY_ABOVE = 0.9  # no headroom left for a burst...
CPU_BUSY_FOR = "10m"  # ... for longer than a peak lasts
MEMORY_USED_ABOVE = 0.9  # under 10% available Windows pages hard to disk...
MEMORY_FOR = "5m"  # ... and memory runs out faster than CPU time
DISK_FREE_BELOW = 0.15  # days of ordinary growth to act in
DISK_FREE_FOR = "10m"
DISK_FREE_CRITICAL_BELOW = 0.05  # hours left...
DISK_FREE_CRITICAL_FOR = "5m"  # ... so the critical variant waits less
# A required service stopped for five minutes is not being restarted by its recovery actions.
SERVICE_STOPPED_FOR = "5m"


def cpu_busy(sel: str) -> Ratio:
    """Share of CPU time not idle, per host (0..1), averaged over its cores; recorded."""
    return busy_share("instance:windows_cpu_utilisation:rate5m", "windows_cpu_time_total", sel, "core", "0,0")


def memory_used(sel: str) -> Ratio:
    """Share of physical memory in use (0..1); recorded. windows_exporter 0.30 moved physical
    memory to the memory collector; the `or` keeps hosts on older versions (os/cs collectors)
    covered."""

    def inputs(used: float) -> list[Series]:
        return [Series(f"windows_memory_physical_total_bytes{labels_of(sel)}", 1000),
                Series(f"windows_memory_available_bytes{labels_of(sel)}", 1000 * (1 - used))]

    return Ratio(f"1 - (windows_memory_available_bytes{{{sel}}} / windows_memory_physical_total_bytes{{{sel}}}"
                 f" or windows_os_physical_memory_free_bytes{{{sel}}} / windows_cs_physical_memory_bytes{{{sel}}})",
                 inputs, "instance:windows_memory_utilisation:ratio", sel)


def service_regex(services: list[str]) -> str:
    """A case-insensitive PromQL regex of service names (exporter versions differ in the case
    of the `name` label), with `.` and `$` escaped for the regex and the PromQL string."""
    names = [name.lower().replace(".", "\\\\.").replace("$", "\\\\$") for name in services]
    return "(?i)(" + "|".join(names) + ")"


UID = make_uid("windows")
# Volumes without a drive letter (recovery partitions) are not where data lives.
VOLUME_SELECTOR = 'volume!~"HarddiskVolume.*"'


# A Windows service name as `sc query` shows it (e.g. w3svc, MSSQL$SQLEXPRESS).
WindowsService = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.$\-]{1,80}$")]


class WindowsSettings(ScrapeTargetSettings):
    """Windows hosts running windows_exporter (port 9182); `services` are the Windows services
    that must be running on every one of them."""

    targets: list[HostPort] = Field(default_factory=list, examples=[["winhost:9182"]])
    services: list[WindowsService] = Field(default_factory=list, examples=[["w3svc"]])


class Windows(ScrapeOnlyIntegration):
    key = "windows"
    title = "windows_exporter"
    port = 9182  # windows_exporter's default, as the targets in settings name it
    settings_model = WindowsSettings
    example = {"enabled": True, "targets": ["winhost-1:9182", "winhost-2:9182"],
               "services": ["w3svc", "MSSQL$SQLEXPRESS"]}
    layer = "infrastructure"

    def recording_rules(self, own: WindowsSettings, job: ScrapeJob) -> list[Recording]:
        return [cpu_busy(job.selector).recording, memory_used(job.selector).recording]

    def alerts(self, own: WindowsSettings, job: ScrapeJob) -> list[Alert]:
        sel = job.selector
        space = share("windows_logical_disk_free_bytes", "windows_logical_disk_size_bytes", sel, filters=VOLUMES,
                      series_labels={"volume": "C:"})
        alerts = [
            ratio_alert(
                "WindowsHighCpuLoad", cpu_busy(sel), threshold=CPU_BUSY_ABOVE, for_=CPU_BUSY_FOR, severity="warning",
                summary="Windows host CPU busier than $threshold",
                description="CPU of {{ $labels.instance }} is {{ $value | humanizePercentage }} busy.",
            ),
            ratio_alert(
                "WindowsOutOfMemory", memory_used(sel), threshold=MEMORY_USED_ABOVE, for_=MEMORY_FOR, severity="warning",
                summary="Windows host memory use above $threshold",
                description="{{ $labels.instance }} uses {{ $value | humanizePercentage }} of its physical memory.",
            ),
            *pair(ratio_alert(
                "WindowsDiskSpaceLow", space, above=False, threshold=DISK_FREE_BELOW, for_=DISK_FREE_FOR, severity="warning",
                summary="Windows volume below $threshold free",
                description="Volume {{ $labels.volume }} on {{ $labels.instance }} has "
                "{{ $value | humanizePercentage }} free.",
            ), critical=DISK_FREE_CRITICAL_BELOW, critical_for=DISK_FREE_CRITICAL_FOR),
        ]
        if own.services:
            alerts.append(flag_alert(
                "WindowsServiceNotRunning", "windows_service_state", sel, SERVICE_STOPPED_FOR, "critical",
                "A required Windows service is not running",
                "Service {{ $labels.name }} on {{ $labels.instance }} has not been running for 5 minutes "
                "(value {{ $value }}).",
                filters=f'name=~"{service_regex(own.services)}",state="running"',
                name=own.services[0].lower(), state="running",
            ))
        return alerts

    def dashboards(self, ctx: Context) -> list[Board]:
        s = ctx.sel()
        vol = ctx.sel(VOLUME_SELECTOR)
        idle = ctx.sel('mode="idle"')
        rate = "[$__rate_interval]"
        busy = f"1 - avg by (instance) (rate(windows_cpu_time_total{{{idle}}}{rate}))"
        mem = (f"1 - max by (instance) (windows_os_physical_memory_free_bytes{{{s}}}) / max by (instance) "
               f"(windows_cs_physical_memory_bytes{{{s}}})")
        disk = f"1 - windows_logical_disk_free_bytes{{{vol}}} / windows_logical_disk_size_bytes{{{vol}}}"
        b = board(ctx, "windows", "Windows hosts", "Windows host overview from windows_exporter.", "infrastructure",
                  related=[(make_uid("node"), "Linux hosts"), (make_uid("alerts"), "Alerts overview")],
                  tags=("hosts", "windows"))
        return [add(
            b,
            ("Overview", [
                single("Uptime", "Time since the host booted.", "s",
                       Query(f"time() - max by (instance) (windows_system_boot_time_timestamp_seconds{{{s}}})", "{{instance}}")),
                single("CPU busy", "Share of CPU time not idle, all cores.", "percentunit", Query(busy, "{{instance}}"),
                       levels=ctx.lines("WindowsHighCpuLoad")),
                single("Memory used", "Physical memory in use.", "percentunit", Query(mem, "{{instance}}"),
                       levels=ctx.lines("WindowsOutOfMemory")),
                single("Fullest volume", "Used share of the fullest volume (WindowsDiskSpaceLow fires on its free "
                       "share).", "percentunit", Query(f"max by (instance) ({disk})", "{{instance}}"),
                       levels=ctx.lines("WindowsDiskSpaceLow", complement=True)),
            ]),
            ("CPU and memory", [
                graph("CPU busy", "Share of CPU time not idle.", "percentunit", Query(busy, "{{instance}}"),
                      levels=ctx.lines("WindowsHighCpuLoad"), max_value=1),
                graph("Processor queue", "Threads ready to run and waiting for a CPU; sustained above about two per "
                      "core means CPU saturation.", "short",
                      Query(f"max by (instance) (windows_system_processor_queue_length{{{s}}})", "{{instance}}")),
                graph("Memory used", "Physical memory in use.", "percentunit", Query(mem, "{{instance}}"),
                      levels=ctx.lines("WindowsOutOfMemory"), max_value=1),
            ]),
            ("Disks and network", [
                graph("Volume used", "Used share per volume.", "percentunit", Query(disk, "{{instance}} {{volume}}"),
                      levels=ctx.lines("WindowsDiskSpaceLow", complement=True), max_value=1),
                graph("Disk throughput", "Bytes read and written per second per volume.", "Bps",
                      Query(f"sum by (instance, volume) (rate(windows_logical_disk_read_bytes_total{{{vol}}}{rate}))",
                            "{{instance}} {{volume}} read"),
                      Query(f"sum by (instance, volume) (rate(windows_logical_disk_write_bytes_total{{{vol}}}{rate}))",
                            "{{instance}} {{volume}} written")),
                graph("Network", "Bytes received and sent per second per interface.", "Bps",
                      Query(f"sum by (instance, nic) (rate(windows_net_bytes_received_total{{{s}}}{rate}))",
                            "{{instance}} {{nic}} in"),
                      Query(f"sum by (instance, nic) (rate(windows_net_bytes_sent_total{{{s}}}{rate}))",
                            "{{instance}} {{nic}} out")),
            ]),
        )]
