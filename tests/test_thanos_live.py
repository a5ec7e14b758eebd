"""Scale-out on Thanos for real (harness/live/thanos.py): two Prometheus 3.16 replicas with
their Thanos v0.42.3 sidecars, a FILESYSTEM bucket in a temporary directory, the store gateway,
the compactor and Query, all from the rendered dev stack with a `thanos` block.

The tests run in order on one stack, each leaving it as the next expects: deduplication while
both replicas run; no gap once replica 1 is stopped; a block in the bucket; the bucket made
unwritable (upload, bucket-sync and no-upload alerts fire), then restored; the sidecar stopped
(its down alert fires); and last, every replica's local data deleted, the store gateway still
answering from the bucket. Every process is stopped by its pid."""

from __future__ import annotations

import shutil
import time

import pytest

from harness.live.processes import http_get
from harness.live.thanos import (
    BLOCK_DURATION,
    REPLICAS,
    available,
    break_bucket,
    restore_bucket,
    start_thanos_stack,
    wait_until,
)

pytestmark = [pytest.mark.live, pytest.mark.skipif(bool(available()), reason=str(available()))]
SCRAPE_SECONDS = 2


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    started = start_thanos_stack(tmp_path_factory.mktemp("thanos"))
    try:
        yield started
    finally:
        started.stop_all()


def _targets(stack, name: str) -> set[tuple[str, str]]:
    return {(s["metric"]["job"], s["metric"]["instance"]) for s in stack.query("up", name)}


def test_every_thanos_listener_needs_the_password(stack):
    for name in ("thanos-query", "thanos-store", "thanos-compactor", "sidecar-0-http"):
        assert http_get(f"{stack.url(name)}/-/healthy")[0] == 401, name
        assert http_get(f"{stack.url(name)}/-/healthy", stack.auth)[0] == 200, name


def test_query_deduplicates_the_replicas(stack):
    """Both replicas scrape the same targets; Query returns each target's `up` once."""
    jobs = {"prometheus", "alertmanager", "thanos-sidecar", "thanos-store", "thanos-compactor", "thanos-query", "node"}
    wait_until(lambda: all({job for job, _ in _targets(stack, r)} == jobs for r in REPLICAS) and
               len(stack.query("up", dedup="false")) == 2 * len(_targets(stack, "prometheus-0")),
               "every target scraped by both replicas, through Query", 90)
    direct = _targets(stack, "prometheus-0")
    merged = stack.query("up")
    assert sorted((s["metric"]["job"], s["metric"]["instance"]) for s in merged) == sorted(direct)
    assert not any("replica" in s["metric"] for s in merged)
    raw = stack.query("up", dedup="false")
    assert {s["metric"]["replica"] for s in raw} == set(REPLICAS)


def test_every_dashboard_panel_answers_through_query_as_it_does_directly(stack):
    """Every panel query of the stack's dashboards runs through Query without error, and where
    a replica answers it with series, Query does too (with the same number of series: one
    per replica pair, not two)."""
    import json

    from harness.panel_queries import runnable

    time.sleep(max(0.0, 40 - (time.monotonic() - stack.started)))  # every 30s rate window full on both
    checked, differ = 0, []
    for path in sorted((stack.workdir / "bundle" / "grafana" / "dashboards").rglob("*.json")):
        model = json.loads(path.read_text())
        for panel in model["panels"]:
            for target in panel.get("targets", []):
                expr = runnable(target["expr"], rate_interval="30s")
                direct, through = stack.query(expr, "prometheus-0"), stack.query(expr)
                checked += 1
                if len(direct) != len(through):
                    differ.append(f'{model["uid"]} / {panel["title"]}: {len(direct)} direct, {len(through)} via Query')
    assert checked > 40
    assert not differ, "\n".join(differ)


def test_no_gap_with_one_replica_stopped(stack):
    """Raw samples (a range selector, so no lookback hides a gap) of one target through Query,
    across the moment replica 1 and its sidecar stop."""
    time.sleep(6)
    stopped = time.time()
    stack.stop("sidecar-1")
    stack.stop("prometheus-1")
    time.sleep(12)
    series = stack.query('up{job="prometheus"}[30s]')
    assert len(series) == 1
    stamps = [float(t) for t, _ in series[0]["values"]]
    assert stamps[0] < stopped - 5 and stamps[-1] > stopped + 5
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert max(gaps) <= 2.5 * SCRAPE_SECONDS, f"gap of {max(gaps):.1f}s around the stop"


def test_blocks_reach_the_bucket(stack):
    """Prometheus cuts a block every blockDuration; the sidecar ships it, labelled by replica."""
    blocks = wait_until(stack.blocks, "a block in the bucket", 240)
    meta = blocks[0]
    assert meta["thanos"]["labels"]["replica"] in REPLICAS
    assert meta["thanos"]["labels"]["environment"] == "dev"
    assert meta["maxTime"] - meta["minTime"] <= 60_000  # one blockDuration (1m) of samples
    assert BLOCK_DURATION == "1m"


def test_an_unwritable_bucket_fires_the_upload_alerts(stack):
    blocks_before = len(stack.blocks())
    aside = break_bucket(stack.bucket)
    try:
        wait_until(lambda: stack.firing("ThanosStoreBucketSyncFailing"), "ThanosStoreBucketSyncFailing", 60)
        wait_until(lambda: stack.firing("ThanosSidecarBucketOperationsFailing"),
                   "ThanosSidecarBucketOperationsFailing", 150)
        # Two block durations (2m) without an upload, by a sidecar that ran that long.
        wait_until(lambda: stack.firing("ThanosSidecarNoUpload"), "ThanosSidecarNoUpload", 200)
    finally:
        restore_bucket(stack.bucket, aside)
    assert len(stack.blocks()) == blocks_before  # nothing reached the bucket meanwhile


def test_a_stopped_sidecar_fires_its_down_alert(stack):
    assert not stack.firing("ThanosSidecarDown")
    stack.stop("sidecar-0")
    wait_until(lambda: stack.firing("ThanosSidecarDown"), "ThanosSidecarDown", 60)


def test_the_store_gateway_serves_the_bucket_after_local_data_is_gone(stack):
    meta = stack.blocks()[0]
    at = (meta["minTime"] + meta["maxTime"]) / 2000
    stack.stop("prometheus-0")
    for replica in REPLICAS:
        shutil.rmtree(stack.data_dir(replica))
    series = wait_until(lambda: stack.query('up{job="prometheus"}', time=at), "the block's samples from the store", 60)
    assert series[0]["value"][1] == "1"
    stores = stack.api("thanos-query", "/api/v1/stores")
    assert stores.get("store"), stores
