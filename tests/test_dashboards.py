"""Every dashboard, of every shipped stack and of a stack with every integration (Windows,
Kubernetes and RabbitMQ included): built by the SDK and
round-tripped through its model, complete (query, unit, title, description on every panel),
uids unique and stable, every variable defined before use, links that resolve, selectors
from the scrape jobs, thresholds at the stack's alert levels, and every query parsed by the
real `promtool` as PromQL."""

from __future__ import annotations

import json
import re
import subprocess
from functools import cache

import pytest
import yaml
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models.dashboard import Dashboard

from config.grafana_settings import FOLDERS, UID_PREFIX
from content.dashboards import DashboardFile
from content.dashboards.board import render
from content.dashboards.context import MAX_UID, Context, StackFacts, make_uid
from content.integrations import INTEGRATIONS
from content.plan import build_plan
from content.topology import Topology
from content.validation import validate
from harness.panel_queries import BUILTIN_VALUES, VARIABLE, runnable
from harness.tools import tool
from tests.conftest import STACKS, docker_variant, secret_keys_of, stack_raw
from tests.matrix import EXAMPLE_SECRETS, with_every_integration


def settings_of(raw: dict, stack: str):
    return validate(raw, set(secret_keys_of(stack)) | set(EXAMPLE_SECRETS), "monstack", stack).settings


@cache
def stack_dashboards(stack: str) -> tuple[DashboardFile, ...]:
    return build_plan(settings_of(stack_raw(stack), stack), salt_seed="test").dashboards


@cache
def full_dashboards() -> tuple[DashboardFile, ...]:
    """Every exporter enabled on each platform (prod on Kubernetes, and its Docker variant for
    cAdvisor's own dashboard)."""
    found: dict[str, DashboardFile] = {}
    for raw in (stack_raw("prod"), docker_variant(stack_raw("prod"))):
        raw = with_every_integration(raw)
        for d in build_plan(settings_of(raw, "prod"), salt_seed="test").dashboards:
            found.setdefault(d.uid, d)
    return tuple(found.values())


def all_sets() -> list[tuple[str, DashboardFile]]:
    out = [(stack, d) for stack in STACKS for d in stack_dashboards(stack)]
    return out + [("full", d) for d in full_dashboards()]


def panels(model: dict) -> list[dict]:
    return [p for p in model.get("panels", []) if p["type"] != "row"]


def used_variables(text: str) -> set[str]:
    return {a or b for a, b in VARIABLE.findall(text)}


def test_counts_per_integration():
    """The figures of the report: dashboards and panels per integration."""
    counts: dict[str, list[int]] = {}
    for d in full_dashboards():
        counts.setdefault(d.integration, []).append(d.panels)
    assert set(counts) >= {"node", "cadvisor", "redis", "postgres", "mysql", "mongodb", "blackbox", "windows",
                           "rabbitmq", "k8s-cluster", "k8s-nodes", "k8s-workloads", "app-meme-maker-backend",
                           "self", "alerts"}
    assert sum(len(v) for v in counts.values()) == len(full_dashboards()) >= 15
    assert all(n >= 5 for v in counts.values() for n in v), counts


@pytest.mark.parametrize("stack", STACKS)
def test_only_enabled_integrations_get_dashboards(stack):
    uids = {d.uid for d in stack_dashboards(stack)}
    # cAdvisor runs as a container on Docker; on Kubernetes the kubelet serves it (kubernetes integration).
    platform = {"monstack-cadvisor"} if stack == "dev" else {"monstack-k8s-cluster", "monstack-k8s-nodes",
                                                             "monstack-k8s-workloads"}
    thanos = set() if stack == "dev" else {"monstack-thanos"}  # staging and prod run Thanos
    assert uids == {"monstack-node", "monstack-redis", "monstack-app-meme-maker-backend",
                    "monstack-self", "monstack-alerts"} | platform | thanos


def test_round_trip_through_the_sdk_model():
    register_default_plugins()
    for _, d in all_sets():
        model = Dashboard.from_json(json.loads(d.json))
        assert render(model) == d.json, f"{d.uid} does not survive the SDK model"


def test_every_panel_has_query_unit_title_and_description():
    for _, d in all_sets():
        model = json.loads(d.json)
        assert panels(model), d.uid
        for panel in panels(model):
            where = f"{d.uid}: {panel.get('title')!r}"
            assert panel.get("title") and panel.get("description"), where
            assert panel["fieldConfig"]["defaults"].get("unit"), where
            assert panel["targets"] and all(t["expr"].strip() for t in panel["targets"]), where
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, where
            assert 1 <= panel["gridPos"]["w"] <= 24 and panel["gridPos"]["h"] >= 4, where


def test_uids_are_unique_prefixed_short_and_stable():
    for stack in (*STACKS, "full"):
        uids = [d.uid for s, d in all_sets() if s == stack]
        assert len(uids) == len(set(uids)), stack
        assert all(u.startswith(UID_PREFIX + "-") and len(u) <= MAX_UID for u in uids)
    assert make_uid("app", "x" * 60) == make_uid("app", "x" * 60)
    assert len(make_uid("app", "x" * 60)) == MAX_UID
    assert make_uid("app", "x" * 60) != make_uid("app", "x" * 59 + "y")
    stack_dashboards.cache_clear()
    again = stack_dashboards("prod")
    assert [d.json for d in again] == [d.json for s, d in all_sets() if s == "prod"], "dashboards are not deterministic"


def test_files_go_to_their_role_folder():
    for _, d in all_sets():
        assert d.path == f"dashboards/{d.folder.title}/{d.uid}.json"
        assert d.folder in FOLDERS.values()
    folders = {d.integration: d.folder.key for _, d in all_sets()}
    assert folders["node"] == folders["cadvisor"] == folders["blackbox"] == "infrastructure"
    assert folders["redis"] == folders["postgres"] == folders["mysql"] == folders["mongodb"] == "databases"
    assert folders["k8s-cluster"] == "kubernetes" and folders["rabbitmq"] == "messaging"
    assert folders["self"] == folders["alerts"] == "platform" and folders["app-meme-maker-backend"] == "applications"


def test_every_variable_is_defined_before_use():
    for _, d in all_sets():
        model = json.loads(d.json)
        defined: list[str] = []
        for variable in model["templating"]["list"]:
            query = variable.get("query") if isinstance(variable.get("query"), str) else ""
            assert used_variables(query) <= set(defined) | set(BUILTIN_VALUES), f"{d.uid}: {variable['name']} uses later ones"
            defined.append(variable["name"])
        assert defined[:5] == ["datasource", "environment", "cluster", "job", "instance"], d.uid
        used = used_variables(d.json)
        assert used <= set(defined) | set(BUILTIN_VALUES), f"{d.uid}: undefined {used - set(defined) - set(BUILTIN_VALUES)}"


def test_links_resolve():
    for stack in (*STACKS, "full"):
        files = [d for s, d in all_sets() if s == stack]
        uids = {d.uid for d in files}
        for d in files:
            for item in json.loads(d.json).get("links", []):
                match = re.search(r"/d/([\w-]+)", item.get("url", ""))
                if match:
                    assert match.group(1) in uids, f"{d.uid} links to missing {match.group(1)}"
                if item["title"].startswith("Runbook: "):
                    assert item["url"].endswith(".md")


def test_prod_links_live_under_the_grafana_sub_path():
    node = next(d for d in stack_dashboards("prod") if d.uid == "monstack-node")
    urls = [link["url"] for link in json.loads(node.json)["links"]]
    assert "/grafana/d/monstack-alerts?${environment:queryparam}&${cluster:queryparam}" in urls


@cache
def integration_jobs() -> dict[str, tuple[str, ...]]:
    """The scrape jobs of each integration with its example settings: an integration with
    several (nginx: stub_status and access log) reads each metric from the job that exports it."""
    topology = Topology(settings_of(with_every_integration(stack_raw("prod")), "prod"))
    return {i.key: tuple(j.name for j in i.scrape_jobs(i.settings_model.model_validate(i.example), topology))
            for i in INTEGRATIONS}


def test_queries_start_from_the_scrape_job_selector():
    """No drift: every query of an integration's dashboard names its job as the rules do."""
    for _, d in all_sets():
        # Kubernetes dashboards read each metric from the job that exports it.
        jobs = {"k8s-cluster": ("kube-state-metrics",), "k8s-nodes": ("kube-state-metrics",),
                "k8s-workloads": ("kube-state-metrics", "cadvisor"),
                "thanos": ("thanos-sidecar", "thanos-store", "thanos-compactor", "thanos-query"),
                }.get(d.integration) or integration_jobs().get(d.integration) or (d.integration.removeprefix("app-"),)
        every = 'job=~"' + "|".join(jobs) + '"'  # a panel over all of a dashboard's jobs
        if d.integration in ("self", "alerts"):
            continue
        for panel in panels(json.loads(d.json)):
            for target in panel["targets"]:
                assert any(f'job="{job}"' in target["expr"] for job in jobs) or every in target["expr"], \
                    f"{d.uid}: {target['expr']}"
                # Job-level recorded series (`job:...`) have no instance to filter.
                assert 'instance=~"$instance"' in target["expr"] or "up{" in target["expr"] or "(job:" in target["expr"]


def test_application_thresholds_follow_the_stack():
    def steps(stack: str, title: str) -> list:
        app = next(d for d in stack_dashboards(stack) if d.integration.startswith("app-"))
        panel = next(p for p in panels(json.loads(app.json)) if p["title"] == title)
        return [(s["value"], s["color"]) for s in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]]

    assert steps("dev", "Queue depth") == [(None, "green"), (5, "orange")]
    assert steps("staging", "Queue depth") == [(None, "green"), (15, "orange"), (25, "red")]
    assert steps("staging", "Job latency p95 as the alert sees it") == [(None, "green"), (120, "orange")]
    assert steps("dev", "Job latency p95 as the alert sees it") == [(None, "green"), (60, "orange")]
    assert steps("prod", "Error ratio") == [(None, "green"), (0.05, "red")]
    app = next(d for d in stack_dashboards("dev") if d.integration.startswith("app-"))
    assert "Error ratio" not in {p["title"] for p in panels(json.loads(app.json))}, "dev has no error alert"


def _check_expr(expr: str) -> str:
    return runnable(expr)


@pytest.mark.tools
def test_every_query_parses_as_promql(tmp_path):
    """promtool parses each panel query and each variable's selector as a recording rule."""
    exprs: set[str] = set()
    for _, d in all_sets():
        model = json.loads(d.json)
        exprs |= {t["expr"] for p in panels(model) for t in p["targets"]}
        for variable in model["templating"]["list"]:
            match = re.fullmatch(r"label_values\((.*), *\w+\)", variable.get("query") or "")
            if match:
                exprs.add(match.group(1))
            elif variable["type"] == "query":
                assert re.fullmatch(r"label_values\(\w+, *\w+\)", variable["query"]), variable
    rules = [{"record": f"dashboard:check_{i}", "expr": _check_expr(e)} for i, e in enumerate(sorted(exprs))]
    path = tmp_path / "dashboards.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = subprocess.run([tool("promtool"), "check", "rules", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout
    assert len(rules) > 150


@pytest.mark.tools
def test_a_broken_query_fails_the_check(tmp_path):
    path = tmp_path / "bad.yml"
    bad = _check_expr('sum(rate(x{job="a",instance=~"$instance"}[$__rate_interval])')
    path.write_text(yaml.safe_dump({"groups": [{"name": "x", "rules": [{"record": "x:y", "expr": bad}]}]}))
    assert subprocess.run([tool("promtool"), "check", "rules", str(path)], capture_output=True).returncode != 0


def test_every_integration_brings_its_dashboards():
    """An integration's dashboards appear once it is enabled (prod and its Docker variant run all)."""
    uids = {d.uid for d in full_dashboards()}
    settings = settings_of(with_every_integration(stack_raw("prod")), "prod")
    topology = Topology(settings)
    for integration in INTEGRATIONS:
        own = integration.settings_model.model_validate(integration.example)
        ctx = Context(facts=StackFacts("prod", "c", "https://runbooks"),
                      jobs=tuple(integration.scrape_jobs(own, topology)))
        boards = integration.dashboards(ctx)
        assert boards and {b.uid for b in boards} <= uids, integration.key


def test_dashboards_read_the_recording_rules():
    """Where a recording rule exists, the dashboard reads it (the same series the alert reads)."""
    prod = {d.uid: d.json for d in stack_dashboards("prod")}
    assert "instance:node_cpu_utilisation:rate5m{" in prod["monstack-node"]
    assert "instance:node_memory_utilisation:ratio{" in prod["monstack-node"]
    app = prod["monstack-app-meme-maker-backend"]
    assert "job:clip_job_latency_seconds:p95_rate5m{" in app and "job:clip_job_latency_seconds:error_ratio_rate5m{" in app

