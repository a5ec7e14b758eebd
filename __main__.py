"""Entry point of `pulumi up`: validate the stack's settings and the content built from them
whole, then declare the stack."""

import pulumi

from components.stack import MonitoringStack, MonitoringStackArgs
from content.validation import load

stack = MonitoringStack("monitoring", MonitoringStackArgs(validated=load()))
pulumi.export("prometheus_url", stack.prometheus_url)
pulumi.export("alertmanager_url", stack.alertmanager_url)
pulumi.export("grafana_url", stack.grafana_url)
pulumi.export("network_name", stack.network_name)
