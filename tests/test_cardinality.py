"""Cardinality guards as configured: every scrape job of every stack carries the stack's limits
(a job's own where `prometheus.jobLimits` names it), a bad limit or an unknown job is an error,
and the capacity check warns, then fails, as the expected series outgrow the memory limit."""

from __future__ import annotations

import pytest
import yaml

from config.units import size_bytes
from content.capacity import EXPECTED_KEY, LIMIT_KEY, estimated_memory, series_capacity
from content.validation import validate
from harness.preview import bundle_files
from tests.conftest import STACKS, secret_keys_of, stack_raw
from tests.test_settings import problems

LIMIT_KEYS = {"sampleLimit": "sample_limit", "labelLimit": "label_limit", "labelNameLengthLimit": "label_name_length_limit",
              "labelValueLengthLimit": "label_value_length_limit", "targetLimit": "target_limit",
              "bodySizeLimit": "body_size_limit"}


def rendered(value):
    return f"{size_bytes(value)}B" if isinstance(value, str) else value


@pytest.mark.parametrize("stack", STACKS)
def test_every_job_carries_the_stack_limits(runs, stack):
    prom = stack_raw(stack)["prometheus"]
    doc = yaml.safe_load(bundle_files(runs[stack].records)["prometheus/prometheus.yml"])
    jobs = {job["job_name"]: job for job in doc["scrape_configs"]}
    assert len(jobs) >= 4
    for name, job in jobs.items():
        wanted = {**prom["scrapeLimits"], **prom.get("jobLimits", {}).get(name, {})}
        assert {LIMIT_KEYS[k]: rendered(v) for k, v in wanted.items()} == {
            key: job.get(key) for key in LIMIT_KEYS.values()}, name
        assert job["extra_scrape_metrics"] is True, name
    if stack != "dev":
        assert jobs["kube-state-metrics"]["sample_limit"] == 100000 and jobs["kubelet"]["sample_limit"] == 50000


def test_a_job_limit_changes_only_what_it_names(raw_config):
    raw = raw_config("dev")
    raw["prometheus"]["jobLimits"] = {"node": {"labelLimit": 12}}
    settings = validate(raw, set(secret_keys_of("dev")), "monstack", "dev").settings.prometheus
    assert settings.limits_for("node").label_limit == 12
    assert settings.limits_for("node").sample_limit == settings.limits_for("redis").sample_limit == 20000


def test_unknown_job_in_job_limits(raw_config):
    raw = raw_config("dev")
    raw["prometheus"]["jobLimits"] = {"nod": {"sampleLimit": 10}}
    message = problems("dev", raw)["prometheus.jobLimits.nod"]
    assert "no scrape job is called 'nod'" in message and "node" in message
    assert "pulumi config rm --path 'prometheus.jobLimits.nod'" in message


@pytest.mark.parametrize("key, bad", [("sampleLimit", 0), ("targetLimit", -1), ("bodySizeLimit", "lots")])
def test_bad_limit(raw_config, key, bad):
    raw = raw_config("prod")
    raw["prometheus"]["scrapeLimits"][key] = bad
    message = problems("prod", raw)[f"prometheus.scrapeLimits.{key}"]
    assert str(bad) in message and "fix: pulumi config set --path" in message


def _with_series(raw_config, stack: str, series: int):
    raw = raw_config(stack)
    raw["prometheus"]["expectedSeries"] = series
    return raw


@pytest.mark.parametrize("stack", ("staging", "prod"))
def test_shipped_limits_hold_the_expected_series(stack):
    loaded = validate(stack_raw(stack), set(secret_keys_of(stack)), "monstack", stack)
    assert loaded.warnings == ()
    limit = size_bytes(loaded.settings.prometheus.resources.limits.memory)
    assert estimated_memory(loaded.settings.prometheus.expected_series) < 0.75 * limit


def test_little_headroom_warns_naming_both_keys(raw_config):
    limit = size_bytes(stack_raw("prod")["prometheus"]["resources"]["limits"]["memory"])
    series = series_capacity(limit) + 1000  # past the headroom, still under the limit
    assert estimated_memory(series) < limit
    loaded = validate(_with_series(raw_config, "prod", series), set(secret_keys_of("prod")), "monstack", "prod")
    [warning] = loaded.warnings
    text = warning.render("monstack")
    assert EXPECTED_KEY in text and LIMIT_KEY in text and "too little headroom" in text
    assert f"pulumi config set --path '{LIMIT_KEY}'" in text


def test_a_limit_far_too_small_is_an_error(raw_config):
    limit = size_bytes(stack_raw("prod")["prometheus"]["resources"]["limits"]["memory"])
    series = 2 * series_capacity(limit)
    assert estimated_memory(series) > limit
    message = problems("prod", _with_series(raw_config, "prod", series))[EXPECTED_KEY]
    assert f"{series}" in message and LIMIT_KEY in message and "killed for memory" in message


def test_no_check_without_a_memory_limit(raw_config):
    loaded = validate(_with_series(raw_config, "dev", 10**8), set(secret_keys_of("dev")), "monstack", "dev")
    assert loaded.warnings == ()
