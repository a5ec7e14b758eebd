// Wrapper module: builds Alertmanager and amtool at the version the stacks pin (content/images.py).
module local/alertmanagerbuild

go 1.26.0

require github.com/prometheus/alertmanager v0.35.0
