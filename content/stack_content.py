"""What the stack watches and says about it, before any service is planned: the scrape jobs
(integrations', applications', the stack's own, Thanos'), the rule files (generated, then with
the stack's `alertOverrides` applied), the dashboards, the exporters' workloads, and the cluster
permissions Prometheus needs for the integrations' jobs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from config.settings import Settings
from content import application, prometheus, routing, self_monitoring, thanos_rules
from content import thanos as thanos_plan
from content.dashboards import DashboardFile, IntegrationJobs, Urls, build_dashboards
from content.dashboards import thanos as thanos_dashboards
from content.dashboards.board import Board
from content.dashboards.context import Context, StackFacts
from content.integrations import INTEGRATIONS
from content.overrides import apply_overrides
from content.rules import Alert, RuleGroup
from content.scrape import ScrapeJob
from content.service_plan import ServicePlan
from content.topology import Topology
from content.workload import AccessRule

MakeDashboards = Callable[[Context], list[Board]]


@dataclass(frozen=True)
class StackContent:
    jobs: tuple[ScrapeJob, ...]  # with their `service` and `host` target labels
    rule_groups: dict[str, list[RuleGroup]]  # rule file name -> groups, overrides applied
    generated_rule_groups: dict[str, list[RuleGroup]]  # before the stack's overrides
    dashboards: tuple[DashboardFile, ...]
    exporters: tuple[ServicePlan, ...]  # the integrations' workloads
    prometheus_access: tuple[AccessRule, ...]  # what Prometheus reads of the cluster API for them


def stack_content(settings: Settings, topo: Topology) -> StackContent:
    web_user = settings.web_user
    jobs: list[ScrapeJob] = []
    rule_groups: dict[str, list[RuleGroup]] = {}
    by_integration: dict[str, tuple[list[ScrapeJob], MakeDashboards]] = {}
    exporters: list[ServicePlan] = []
    prometheus_access: tuple[AccessRule, ...] = ()
    for integration in INTEGRATIONS:
        if not (integration.wanted(settings.exporters) and integration.runs_on(settings.platform)):
            continue  # off, or on a platform it does not run on (content.checks reports that)
        own = integration.settings_of(settings.exporters)
        assert own is not None
        prometheus_access += integration.prometheus_access
        integration_jobs = integration.scrape_jobs(own, topo)
        jobs += integration_jobs
        if integration_jobs:
            rule_groups[f"{integration.key}.yml"] = integration.rule_groups(own, integration_jobs)
        by_integration[integration.key] = (integration_jobs, integration.dashboards)
        if integration.runs_workload:  # scrape-only ones run elsewhere (a Windows host, a broker's plugin)
            exporters.append(integration.service_plan(own, settings.images, settings.exporter_resources))

    for app in settings.applications:
        jobs.append(application.scrape_job(app))
        rule_groups[f"app-{app.name}.yml"] = application.rule_groups(app)

    platform_jobs = prometheus.platform_jobs(settings.prometheus.self_scrape_interval, web_user, topo)
    rule_groups["monstack.yml"] = self_monitoring.rule_groups(platform_jobs, topo.replicas("alertmanager"))
    thanos = settings.thanos
    thanos_jobs = thanos_plan.scrape_jobs(topo, web_user, prometheus.WEB_PASSWORD_FILE) if thanos else []
    if thanos:
        rule_groups["thanos.yml"] = thanos_rules.rule_groups(thanos_jobs, thanos.block_duration)
        by_integration["thanos"] = (thanos_jobs, thanos_dashboards.dashboards)
    generated_rule_groups, rule_groups = rule_groups, apply_overrides(rule_groups, settings.alert_overrides)
    # `service` and `host` target labels: what routes group and match on, and what host-down inhibits.
    all_jobs = [routing.with_target_labels(job, topo.stack_host) for job in platform_jobs + thanos_jobs + jobs]
    # Dashboards link the runbooks of the alerts the stack really deploys (after overrides).
    integrations = [IntegrationJobs(key, tuple(found), _alerts(rule_groups.get(f"{key}.yml", [])), make)
                    for key, (found, make) in by_integration.items()]
    app_dashboards = [(app, application.scrape_job(app), _alerts(rule_groups[f"app-{app.name}.yml"]))
                      for app in settings.applications]
    facts = StackFacts(environment=settings.environment, cluster=settings.cluster,
                       runbook_base_url=settings.runbook_base_url,
                       applications=tuple(app.name for app in settings.applications))
    dashboards = build_dashboards(
        facts, integrations, app_dashboards, platform_jobs, _alerts(rule_groups["monstack.yml"]),
        Urls(grafana_prefix=topo.route_prefix("grafana"), prometheus=topo.external_url("prometheus"),
             alertmanager=topo.external_url("alertmanager")),
    )
    return StackContent(jobs=tuple(all_jobs), rule_groups=rule_groups, generated_rule_groups=generated_rule_groups,
                        dashboards=dashboards, exporters=tuple(exporters), prometheus_access=prometheus_access)


def _alerts(groups: list[RuleGroup]) -> tuple[Alert, ...]:
    return tuple(rule for group in groups for rule in group.rules if isinstance(rule, Alert))
