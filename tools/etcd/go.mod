// Wrapper module: builds the etcd server that backs the test control plane.
module local/etcdbuild

go 1.26.0

require go.etcd.io/etcd/server/v3 v3.6.16
