"""Running the rendered dev stack for real on loopback: the pinned Prometheus and Alertmanager
builds (harness.tools) with Debian's exporters and services: the live tests' fixture and
`scripts/try-local`. Free ports at run time, data in temporary directories, every process
stopped by its pid."""
