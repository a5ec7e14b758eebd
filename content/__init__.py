"""Pure functions from settings to the files Prometheus, Alertmanager and Grafana read.

Nothing in this package imports Pulumi: the same functions feed `pulumi up`, the offline
preview and the tests that run promtool and amtool on their output.
"""
