"""Kubernetes quantities in the canonical form the provider renders and the API server stores,
so the offline preview, the engine's manifests and the cluster agree (tests/test_engine.py found
`1024Mi` rendered as `1Gi`)."""

import pytest

from config.units import cpu_quantity, kubernetes_quantity


@pytest.mark.parametrize(("size", "quantity"), [("64MB", "64Mi"), ("1GB", "1Gi"), ("1536MB", "1536Mi"),
                                                ("2GiB", "2Gi"), ("512KB", "1Mi")])
def test_memory_quantity(size, quantity):
    assert kubernetes_quantity(size) == quantity


@pytest.mark.parametrize(("cores", "quantity"), [(0.5, "500m"), (0.05, "50m"), (1, "1"), (2.0, "2"), (0.1, "100m"),
                                                 (1.5, "1500m")])
def test_cpu_quantity(cores, quantity):
    assert cpu_quantity(cores) == quantity
