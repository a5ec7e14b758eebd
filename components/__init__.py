"""Pulumi ComponentResources of the monitoring stack, and the platforms they run on."""
