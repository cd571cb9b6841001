# Versions of the tools the local test environment builds. The cache key of each
# binary is its version, so bumping a number here triggers exactly one rebuild.
KUBE_VERSION=v1.36.3
ETCD_VERSION=v3.5.35
KWOK_VERSION=v0.8.0
HELM_VERSION=v3.19.5
ACTIONLINT_VERSION=v1.7.12
ACT_VERSION=v0.2.89
# Traffic-router CRDs installed in the local cluster, read from their Go modules.
GATEWAY_API_VERSION=v1.6.3
ISTIO_API_VERSION=v1.31.1
SMI_SDK_VERSION=v0.5.0
