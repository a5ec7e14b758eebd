"""Entry point of `pulumi up`: validate the stack's settings whole, then declare the stack."""

import pulumi

from components.stack import MonitoringStack, MonitoringStackArgs
from config.loader import load

stack = MonitoringStack("monitoring", MonitoringStackArgs(loaded=load()))
pulumi.export("prometheus_url", stack.prometheus_url)
pulumi.export("alertmanager_url", stack.alertmanager_url)
pulumi.export("grafana_url", stack.grafana_url)
pulumi.export("network_name", stack.network_name)
