"""The checks that span config and content, as one pure function over a stack's settings and
the content built from them (`StackPlan`).

Config validates shape and types on its own (config.loader). What only the generated content
can answer is checked here, once, on the very plan the components then deploy:
- an alert override must name a generated alert (and the right severity);
- a target override must name an address some job scrapes;
- a job's scrape limits must name a scrape job;
- a route may only match labels some alert carries;
- an image override must name an image the stack runs;
- an enabled integration must run on the stack's platform;
- an external Grafana must not be the stack's own and must reach Prometheus;
- the Prometheus memory limit must hold the expected series.
A typo in any of these would otherwise leave the real rule, target or route in place, silently.
"""

from __future__ import annotations

from typing import Any

from config.alerting import matcher_label_problems
from config.errors import _ABSENT, Problem, set_command
from config.exporters import ExportersBase
from config.grafana_settings import ExternalGrafana
from config.overrides import AlertOverride
from config.settings import Images, Settings
from content.capacity import EXPECTED_KEY, check_capacity
from content.images import CORE_IMAGES
from content.integrations import INTEGRATION_IMAGES, INTEGRATIONS
from content.overrides import check_overrides
from content.routing import routable_labels
from content.service_plan import StackPlan
from content.topology import INTERNAL_PORTS, Topology


def stack_problems(settings: Settings, raw: dict[str, Any], plan: StackPlan, stack: str) -> tuple[list[Problem], list[Problem]]:
    """(problems, warnings) of a stack whose config validated, against the content built from it."""
    topology = Topology(settings)
    problems = [
        *override_problems(settings.alert_overrides, plan, stack),
        *target_override_problems(settings.target_overrides, plan, topology, stack),
        *job_limit_problems(list(settings.prometheus.job_limits), plan, stack),
        *matcher_label_problems(settings.alerting, routable_labels(settings.applications, settings.alert_overrides),
                                stack),
        *image_problems(settings.images, stack),
        *platform_problems(settings.exporters, settings.platform, raw, stack),
    ]
    if settings.grafana.manage_by_api and settings.grafana.external is not None:
        problems += external_grafana_problems(settings.grafana.external, settings.exposure.mode, topology, stack)
    warnings: list[Problem] = []
    for finding in check_capacity(settings.prometheus, stack):
        problem = Problem(key=EXPECTED_KEY, value=settings.prometheus.expected_series, message=finding.message,
                          fix=finding.fix)
        (problems if finding.level == "error" else warnings).append(problem)
    return problems, warnings


def override_problems(overrides: list[AlertOverride], plan: StackPlan, stack: str) -> list[Problem]:
    """Overrides that name no generated alert, or set a value the alert cannot take."""
    return [
        Problem(
            key=f"alertOverrides[{p.index}].{p.field}",
            value=getattr(overrides[p.index], p.field.replace("for", "for_")),
            message=p.message,
            fix=set_command(stack, f"alertOverrides[{p.index}].{p.field}", p.suggestion) if p.suggestion is not None
            else f"correct alertOverrides[{p.index}] in Pulumi.{stack}.yaml (README: 'Override an alert')",
        )
        for p in check_overrides(plan.generated_rule_groups, overrides)
    ]


def target_override_problems(target_overrides: dict[str, str], plan: StackPlan, topology: Topology,
                             stack: str) -> list[Problem]:
    known = {t for job in plan.jobs for t in job.targets} | {job.probe_via for job in plan.jobs if job.probe_via}
    known |= {f"{host}:{INTERNAL_PORTS['alertmanager']}" for host in topology.instances("alertmanager")}
    return [
        Problem(key=f"targetOverrides.{address}", value=address,
                message=f"no scrape target is {address}; targets are: {', '.join(sorted(known))}",
                fix=f"pulumi config rm --path 'targetOverrides.{address}' --stack {stack}")
        for address in sorted(target_overrides) if address not in known
    ]


def job_limit_problems(limited_jobs: list[str], plan: StackPlan, stack: str) -> list[Problem]:
    job_names = sorted(job.name for job in plan.jobs)
    return [
        Problem(key=f"prometheus.jobLimits.{job}", value=job,
                message=f"no scrape job is called {job!r}; jobs are: {', '.join(job_names)}",
                fix=f"pulumi config rm --path 'prometheus.jobLimits.{job}' --stack {stack}")
        for job in sorted(limited_jobs) if job not in job_names
    ]


def image_problems(images: Images, stack: str) -> list[Problem]:
    known = {**CORE_IMAGES, **INTEGRATION_IMAGES}
    return [
        Problem(
            key=f"images.overrides.{name}", value=ref,
            message=f"no image is called {name!r}; images are: {', '.join(sorted(known))}",
            fix=f"pulumi config rm --path 'images.overrides.{name}' --stack {stack}",
        )
        for name, ref in sorted(images.overrides.items()) if name not in known
    ]


def platform_problems(exporters: ExportersBase, platform: str, raw: dict[str, Any], stack: str) -> list[Problem]:
    """Integrations enabled on a platform they do not run on (set but ignored, it would mislead)."""
    raw_exporters = raw.get("exporters") if isinstance(raw.get("exporters"), dict) else {}
    return [
        Problem(key=f"exporters.{i.key}.enabled",
                value=(raw_exporters.get(i.key) or {}).get("enabled", _ABSENT),
                message=f"the {i.key} integration does not run on {platform}: {i.platform_note}",
                fix=f"pulumi config set --path 'exporters.{i.key}.enabled' false --stack {stack}")
        for i in INTEGRATIONS if i.wanted(exporters) and not i.runs_on(platform)
    ]


def external_grafana_problems(external: ExternalGrafana, exposure_mode: str, topology: Topology,
                              stack: str) -> list[Problem]:
    """An external Grafana must be another than the stack's own, and reach its Prometheus."""
    own = topology.external_url("grafana")
    problems: list[Problem] = []
    if external.url.rstrip("/") == own.rstrip("/") or external.url.startswith(own.rstrip("/") + "/"):
        problems.append(Problem(
            key="grafana.external.url", value=external.url,
            message=f"is this stack's own Grafana ({own}), which provisions its dashboards from files; it cannot "
                    "also be managed by this stack's API calls (they would need it running before it is created)",
            fix=f"{set_command(stack, 'grafana.manageByApi', 'false')}, or name a Grafana run apart from this stack",
        ))
    if external.prometheus_url is None and exposure_mode == "localhost":
        problems.append(Problem(
            key="grafana.external.prometheusUrl", value=_ABSENT,
            message=f"exposure.mode localhost serves Prometheus at {topology.external_url('prometheus')}, which "
                    "only this machine (or a port-forward) reaches; an external Grafana needs an address it can reach",
            fix=set_command(stack, "grafana.external.prometheusUrl", "https://prometheus.example.com"),
        ))
    return problems
