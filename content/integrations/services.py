"""Exporters that read one service (database, cache) at an address, with an optional
password given to the exporter as a file, never as a plain environment variable.

The base the four service integrations (Redis, PostgreSQL, MySQL, MongoDB) share: the
password, the egress to the service's port, and the "unreachable" alert on the exporter's own
`up` gauge. Their other alerts come from content/alert_factories.py (`near_limit_alerts` on a
recorded `used_over_limit` ratio, `counter_increase_alert`, `flag_alert`, ...).
"""

from __future__ import annotations

from typing import ClassVar, Optional

from config.exporters import ExporterSettings, ServiceExporterSettings
from content.alert_factories import flag_alert, gauge_alert, pair
from content.integrations.unit import Integration
from content.rules import Alert, alert_prefix
from content.scrape import ScrapeJob
from content.workload import Egress

# Default thresholds the service integrations share (a stack moves any of them per alert with
# `alertOverrides`; an integration with other reasons declares its own).
# The exporter failed to reach its service for a minute: longer than a restart of the exporter
# or a brief network hiccup, short enough to page before the application's own alerts do.
UNREACHABLE_FOR = "1m"
# Connections or clients against the server's limit: 80% leaves time to raise the limit or find
# the leak; at 90% a burst of new clients is about to be refused.
NEAR_LIMIT_ABOVE = 0.8
NEAR_LIMIT_CRITICAL_ABOVE = 0.9
NEAR_LIMIT_FOR = "5m"  # pools open connections in bursts: five minutes is a level, not a burst
# A replica a minute behind, for five minutes, serves visibly stale reads and is not catching
# up; five minutes behind, for two, is what a failover to it would lose: that pages.
REPLICATION_LAG_ABOVE = 60
REPLICATION_LAG_FOR = "5m"
REPLICATION_LAG_CRITICAL_ABOVE = 300
REPLICATION_LAG_CRITICAL_FOR = "2m"


def replication_lag_alerts(name: str, metric: str, selector: str, /, summary: str, description: str,
                           **fixture_labels: str) -> list[Alert]:
    """The warning/critical pair of "this replica is `metric` seconds behind its primary"."""
    return pair(gauge_alert(
        name, metric, selector, threshold=REPLICATION_LAG_ABOVE, threshold_kind="seconds", for_=REPLICATION_LAG_FOR,
        severity="warning", summary=summary, description=description, **fixture_labels,
    ), critical=REPLICATION_LAG_CRITICAL_ABOVE, critical_for=REPLICATION_LAG_CRITICAL_FOR)


class ServiceIntegration(Integration):
    """An exporter of one service. Subclasses add their alerts after the shared "unreachable"
    one, and their recording rules, which go to a `<key>-recording` group ahead of the alerts."""

    # The exporter's own gauge that is 0 when it cannot reach the service.
    up_metric: ClassVar[str]
    settings_model: ClassVar[type[ExporterSettings]] = ServiceExporterSettings

    def password_key(self, own: ServiceExporterSettings) -> Optional[str]:
        return own.password_secret

    def egress_for(self, own: ServiceExporterSettings) -> Egress:
        return Egress.to_address(own.address)

    def alerts(self, own: ExporterSettings, job: ScrapeJob) -> list[Alert]:
        return [flag_alert(
            f"{alert_prefix(job.name)}Unreachable", self.up_metric, job.selector, UNREACHABLE_FOR, "critical",
            f"{self.title} is unreachable from its exporter",
            f"The exporter {{{{ $labels.instance }}}} cannot reach {self.title} ({self.up_metric} is {{{{ $value }}}}).",
        )]
