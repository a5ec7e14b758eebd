"""MongoDB through percona/mongodb_exporter (0.40, --compatible-mode for the 0.1x metric
names): connections against the connection limit and replica-set lag.

Thresholds are this integration's defaults; a stack changes any of them per alert and
severity with `alertOverrides`.
"""

from __future__ import annotations

from config.settings import ServiceExporterSettings
from content.integrations.services import Ratio, ServiceExporter, near_limit_alerts
from content.rules import Alert, Recording, Series, gauge_fixture, labels_of
from content.scrape import ScrapeJob


def connections(selector: str) -> Ratio:
    """`current` over `current + available`: mongod reports what is left, not its limit
    (net.maxIncomingConnections, capped by the file-descriptor limit)."""

    def inputs(ratio: float) -> list[Series]:
        return [Series(f"mongodb_connections{labels_of(selector, state='current')}", 1000 * ratio),
                Series(f"mongodb_connections{labels_of(selector, state='available')}", 1000 * (1 - ratio))]

    return Ratio(
        "instance:mongodb_connections:ratio",
        f'sum without (state) (mongodb_connections{{{selector},state="current"}})'
        f' / (sum without (state) (mongodb_connections{{{selector},state=~"current|available"}}) > 0)',
        inputs,
    )


class Mongodb(ServiceExporter):
    key = "mongodb"
    title = "MongoDB"
    port = 9216
    up_metric = "mongodb_up"
    has_wget = False

    def args(self, own: ServiceExporterSettings) -> list[str]:
        args = [f"--mongodb.uri=mongodb://{own.address}", "--collect-all", "--compatible-mode"]
        if own.user:
            args.append(f"--mongodb.user={own.user}")
        return args

    # percona/mongodb_exporter reads no password file: its password is the one credential
    # that reaches a container as a (secret) environment variable, MONGODB_PASSWORD.
    secret_env = "MONGODB_PASSWORD"

    def secret_files(self, own: ServiceExporterSettings, password: str) -> dict[str, str]:
        return {}

    def recording_rules(self, job: ScrapeJob) -> list[Recording]:
        return [connections(job.selector).recording]

    def alerts(self, own: ServiceExporterSettings, job: ScrapeJob) -> list[Alert]:
        sel = job.selector
        lag = Alert(
            name="MongodbReplicationLag",
            # One series per secondary (`name`), lag behind the primary's optime, in seconds.
            expr=f"mongodb_mongod_replset_member_replication_lag{{{sel}}} > $threshold",
            threshold=60, threshold_kind="seconds", for_="5m", severity="warning",
            summary="MongoDB secondary more than $threshold s behind",
            description="Member {{ $labels.name }} of {{ $labels.set }} (seen from {{ $labels.instance }}) is "
            "{{ $value | humanizeDuration }} behind the primary.",
            fixture=gauge_fixture("mongodb_mongod_replset_member_replication_lag", sel,
                                  name="mongo-2:27017", set="rs0", state="SECONDARY"),
        )
        return super().alerts(own, job) + [
            # 80%/90%: past the limit mongod closes new connections straight away.
            *near_limit_alerts("MongodbTooManyConnections", connections(sel), sel, "MongoDB", "connections",
                               "the connection limit"),
            lag,
            lag.replace(threshold=300, for_="2m", severity="critical"),
        ]
