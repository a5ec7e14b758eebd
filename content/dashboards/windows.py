"""Windows hosts (windows_exporter): CPU, memory, logical disks, network and uptime, the
Windows counterpart of the Linux host overview. Built when the windows integration
(`content/integrations/windows.py`) is enabled and has targets."""

from __future__ import annotations

from content.dashboards.common import Board, Context, Query, add, board, graph, make_uid, single

UID = make_uid("windows")
# Volumes without a drive letter (recovery partitions) are not where data lives.
VOLUME_SELECTOR = 'volume!~"HarddiskVolume.*"'


def dashboards(ctx: Context) -> list[Board]:
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
                  Query(f"sum by (instance, nic) (rate(windows_net_bytes_sent_total{{{s}}}{rate}))", "{{instance}} {{nic}} out")),
        ]),
    )]
