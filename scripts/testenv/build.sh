#!/usr/bin/env bash
# Builds the local test environment's tools from the Go module proxy, once, into a
# cache outside the repository keyed by version:
#   $ROLLGATE_CACHE/bin/<tool>-<version>/<binary>
# Every step is skipped when its binary is present; a failed step names itself and
# leaves its log in $ROLLGATE_CACHE/logs/<step>.log.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.sh"
cache=${ROLLGATE_CACHE:-$HOME/.cache/rollgate-testenv}
mkdir -p "$cache/bin" "$cache/logs" "$cache/src"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false

only=${1:-all}
timings="$cache/logs/timings.txt"

step() { # step NAME DIR BINARIES... -- COMMAND...
  local name=$1 dir=$2; shift 2
  local bins=()
  while [ "$1" != "--" ]; do bins+=("$1"); shift; done
  shift
  local missing=0
  for b in "${bins[@]}"; do [ -x "$dir/$b" ] || missing=1; done
  if [ $missing = 0 ]; then echo "build: $name cached in $dir"; return 0; fi
  echo "build: $name (log: $cache/logs/$name.log)"
  local start=$SECONDS
  mkdir -p "$dir"
  if ! ( "$@" ) >"$cache/logs/$name.log" 2>&1; then
    echo "build: step '$name' FAILED; last lines of $cache/logs/$name.log:" >&2
    tail -n 25 "$cache/logs/$name.log" >&2
    exit 1
  fi
  for b in "${bins[@]}"; do
    [ -x "$dir/$b" ] || { echo "build: step '$name' finished but $dir/$b is missing" >&2; exit 1; }
  done
  echo "$name $(( SECONDS - start ))s $(date -u +%FT%TZ)" >>"$timings"
  echo "build: $name done in $(( SECONDS - start ))s"
}

build_kube() {
  # k8s.io/kubernetes replaces its staging modules with local paths, so `go install`
  # refuses it. A wrapper module pins each staging module to its published v0.Y.Z.
  local minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
  local patch=${KUBE_VERSION##*.}
  local w="$cache/src/kube-$KUBE_VERSION"
  rm -rf "$w"; mkdir -p "$w"; cd "$w"
  cat >go.mod <<MOD
module rollgate.local/kubebuild

go 1.26
MOD
  cat >tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  local gomod
  gomod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')
  [ -f "$gomod" ] || { echo "no go.mod for k8s.io/kubernetes@$KUBE_VERSION"; return 1; }
  go mod edit -require="k8s.io/kubernetes@$KUBE_VERSION"
  grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging' "$gomod" | awk '{print $1}' | sort -u | while read -r m; do
    go mod edit -replace="$m=$m@v0.$minor.$patch"
  done
  go mod tidy -e
  local pkg=k8s.io/component-base/version cpkg=k8s.io/client-go/pkg/version
  local ld="-s -w"
  for p in $pkg $cpkg; do
    ld="$ld -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=2026-01-01T00:00:00Z"
  done
  for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    echo "== $c"
    go build -trimpath -tags=selinux,notest -ldflags "$ld" -o "$cache/bin/kube-$KUBE_VERSION/$c" "k8s.io/kubernetes/cmd/$c"
  done
}

build_etcd() {
  local w="$cache/src/etcd-$ETCD_VERSION"
  rm -rf "$w"; mkdir -p "$w"; cd "$w"
  cat >go.mod <<MOD
module rollgate.local/etcdbuild

go 1.26
MOD
  cat >main.go <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  go mod tidy
  go build -trimpath -ldflags "-s -w" -o "$cache/bin/etcd-$ETCD_VERSION/etcd" .
}

gobin() { # gobin DIR PKG@VERSION [LDFLAGS]
  GOBIN="$1" go install -trimpath -ldflags "-s -w ${3:-}" "$2"
}

want() { [ "$only" = all ] || [ "$only" = "$1" ]; }

want kube && step kube "$cache/bin/kube-$KUBE_VERSION" kube-apiserver kube-controller-manager kube-scheduler kubectl -- build_kube
want etcd && step etcd "$cache/bin/etcd-$ETCD_VERSION" etcd -- build_etcd
want kwok && step kwok "$cache/bin/kwok-$KWOK_VERSION" kwok kwokctl -- \
  bash -c "GOBIN='$cache/bin/kwok-$KWOK_VERSION' go install -trimpath -ldflags '-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION' sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION"
build_helm() {
  # Helm's default .Capabilities.KubeVersion comes from link-time flags (its Makefile
  # sets them from the client-go it is built with); without them it is v1.20.0.
  local gomod minor
  gomod=$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')
  minor=$(sed -n 's#^\s*k8s.io/client-go v0\.\([0-9]*\)\..*#\1#p' "$gomod" | head -n1)
  [ -n "$minor" ] || { echo "cannot read the client-go version from $gomod"; return 1; }
  gobin "$cache/bin/helm-$HELM_VERSION" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" \
    "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor"
}

want helm && step helm "$cache/bin/helm-$HELM_VERSION" helm -- build_helm
want actionlint && step actionlint "$cache/bin/actionlint-$ACTIONLINT_VERSION" actionlint -- \
  gobin "$cache/bin/actionlint-$ACTIONLINT_VERSION" "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
want act && step act "$cache/bin/act-$ACT_VERSION" act -- \
  gobin "$cache/bin/act-$ACT_VERSION" "github.com/nektos/act@$ACT_VERSION"
exit 0
