// Wrapper module: builds the Prometheus server and promtool at the version the stacks pin
// (content/images.py), so the live tests run what the stacks deploy.
module local/prometheusbuild

go 1.26.7

require github.com/prometheus/prometheus v0.316.0
