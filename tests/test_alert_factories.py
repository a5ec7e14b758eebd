"""The alert factory library (content/alert_factories.py) and the service overview row
(content/dashboards/service_overview.py): what each factory writes, that its fixture follows any
threshold a stack may set, and that bad levels are refused with a message naming them."""

from __future__ import annotations

import json

import pytest

from content.alert_factories import (
    counter_increase_alert,
    flag_alert,
    gauge_alert,
    labelled_share,
    pair,
    ratio_alert,
    share,
    used_over_limit,
)
from content.dashboards.context import Context, StackFacts
from content.dashboards.service_overview import InstanceStat, Uptime, overview_row
from content.integrations import mongodb, mysql, postgres, redis
from content.scrape import ScrapeJob
from content.topology import Topology
from tests.conftest import stack_raw
from tests.matrix import with_every_integration
from tests.test_dashboards import settings_of

SEL = 'job="svc"'


def _share_of(series: list, numerator: str, denominator: str) -> float:
    values = {s.series.split("{")[0]: s.value for s in series}
    return values[numerator] / values[denominator]


@pytest.mark.parametrize("threshold", [0.01, 0.5, 0.9, 1.0, 2.0])
@pytest.mark.parametrize("above", [True, False])
def test_a_ratio_fixture_fires_beyond_any_threshold_and_stays_quiet_short_of_it(threshold, above):
    """Also at or past 1, where a stack may put a used-over-limit threshold (over-commit)."""
    alert = ratio_alert("X", share("part", "whole", SEL), threshold=0.5, for_="5m", severity="warning",
                        summary="s", description="d", above=above)
    firing = _share_of(alert.fixture(threshold, True), "part", "whole")
    quiet = _share_of(alert.fixture(threshold, False), "part", "whole")
    if above:
        assert firing > threshold > quiet
    else:
        assert firing < threshold < quiet


def test_ratio_alert_reads_the_recorded_series_when_there_is_one():
    ratio = used_over_limit("instance:x:ratio", "used", "limit", SEL)
    alert = ratio_alert("XNearLimit", ratio, threshold=0.8, for_="5m", severity="warning", summary="s",
                        description="d")
    assert alert.expr == 'instance:x:ratio{job="svc"} > $threshold'
    assert ratio.recording.expr == 'used{job="svc"} / (limit{job="svc"} > 0)'
    raw = share("errors", "requests", SEL, window="5m", filters='code!=""')
    assert raw.query == 'rate(errors{job="svc",code!=""}[5m]) / rate(requests{job="svc",code!=""}[5m])'
    with pytest.raises(ValueError, match="no `record` name"):
        raw.recording  # noqa: B018


def test_labelled_share_splits_one_counter_by_a_label():
    ratio = labelled_share("http_requests_total", SEL, "code", "5..", part_value="503", rest_value="200")
    assert ratio.expr == ('sum by (job, instance) (rate(http_requests_total{job="svc",code=~"5.."}[5m])) / '
                          'sum by (job, instance) (rate(http_requests_total{job="svc"}[5m]))')
    assert [s.series for s in ratio.inputs(0.25)] == [
        'http_requests_total{job="svc",instance="target:9100",code="503"}',
        'http_requests_total{job="svc",instance="target:9100",code="200"}']


def test_pair_gives_the_critical_variant_its_own_level_and_for():
    warning = gauge_alert("Lag", "lag_seconds", SEL, threshold=60, threshold_kind="seconds", for_="5m",
                          severity="warning", summary="s", description="d")
    warn, crit = pair(warning, critical=300, critical_for="2m", summary="sharper")
    assert warn is warning
    assert (crit.name, crit.severity, crit.threshold, crit.for_, crit.expr, crit.summary) == (
        "Lag", "critical", 300, "2m", warning.expr, "sharper")
    assert pair(warning, critical=120)[1].for_ == "5m"  # without critical_for, the warning's


def test_pair_refuses_a_critical_level_the_warning_would_pass_first():
    above = gauge_alert("Lag", "lag_seconds", SEL, threshold=60, threshold_kind="seconds", for_="5m",
                        severity="warning", summary="s", description="d")
    with pytest.raises(ValueError, match=r"alert Lag: critical level 30 must be above the warning's 60"):
        pair(above, critical=30)
    below = ratio_alert("Free", share("free", "size", SEL), above=False, threshold=0.15, for_="5m",
                        severity="warning", summary="s", description="d")
    with pytest.raises(ValueError, match=r"critical level 0.2 must be below the warning's 0.15"):
        pair(below, critical=0.2)
    with pytest.raises(ValueError, match="takes a warning"):
        pair(above.replace(severity="critical"), critical=300)


def test_flag_alert_filters_the_expression_and_labels_the_fixture():
    """A fixture label may be called `name` (a Windows service's label)."""
    alert = flag_alert("ServiceDown", "service_state", SEL, "5m", "critical", "s", "d",
                       filters='state="running"', name="w3svc", state="running")
    assert alert.expr == 'service_state{job="svc",state="running"} == 0'
    [series] = alert.fixture(None, True)
    assert series.series == 'service_state{job="svc",instance="target:9100",name="w3svc",state="running"}'
    assert series.value == 0 and alert.fixture(None, False)[0].value == 1
    alarm = flag_alert("Alarm", "alarm", SEL, "1m", "critical", "s", "d", bad=1)
    assert alarm.expr.endswith("== 1") and alarm.fixture(None, True)[0].value == 1


@pytest.mark.parametrize("threshold", [0, 5, 100])
def test_counter_increase_fixture_grows_past_the_threshold_within_the_window(threshold):
    alert = counter_increase_alert("Fails", "fails_total", SEL, threshold, "warning", "s", "d",
                                   window="10m", by=("job", "instance"))
    assert alert.expr == 'sum by (job, instance) (increase(fails_total{job="svc"}[10m])) > $threshold'
    per_window = {fire: alert.fixture(threshold, fire)[0].value * 600 for fire in (True, False)}
    assert per_window[True] > threshold >= per_window[False]


def test_the_service_overview_row_is_reachable_uptime_then_per_instance_stats():
    ctx = Context(facts=StackFacts("prod", "c", "https://runbooks"), jobs=(ScrapeJob(name="svc"),))
    title, panels = overview_row(ctx, "Svc", "svc_up", Uptime('svc_start{job="svc"}', "Since start.", started_at=True),
                                 [InstanceStat("Clients", "Connected.", "short", 'svc_clients{job="svc"}')])
    models = [p.build() for p in panels]
    assert title == "Overview"
    assert [m.title for m in models] == ["Svc reachable", "Uptime", "Clients"]
    exprs = [m.targets[0].expr for m in models]
    assert exprs[1] == 'time() - max by (instance) (svc_start{job="svc"})'
    assert exprs[2] == 'sum by (instance) (svc_clients{job="svc"})'
    assert all(m.targets[0].legend_format == "{{instance}}" for m in models)


@pytest.mark.parametrize("module", [redis, postgres, mysql, mongodb], ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_every_database_dashboard_opens_with_the_service_overview_row(module):
    settings = settings_of(with_every_integration(stack_raw("prod")), "prod")
    integration = next(v for v in vars(module).values()
                       if isinstance(v, type) and getattr(v, "__module__", "") == module.__name__
                       and hasattr(v, "up_metric"))()
    own = integration.settings_model.model_validate(integration.example)
    ctx = Context(facts=StackFacts("prod", "c", "https://runbooks"),
                  jobs=tuple(integration.scrape_jobs(own, Topology(settings))))
    [board] = integration.dashboards(ctx)
    panels = json.loads(board.to_json())["panels"]
    first_row = []
    for panel in panels[1:]:
        if panel["type"] == "row":
            break
        first_row.append(panel)
    assert panels[0]["title"] == "Overview"
    assert first_row[0]["title"].endswith(" reachable") and first_row[1]["title"] == "Uptime"
    assert all(p["targets"][0]["legendFormat"] == "{{instance}}" and "by (instance)" in p["targets"][0]["expr"]
               for p in first_row)
