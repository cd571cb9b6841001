// The annotations and labels Spinnaker writes, so a cluster deployed by rollgate looks
// the same to tools that read Spinnaker's.
export const A = {
  artifactType: 'artifact.spinnaker.io/type',
  artifactName: 'artifact.spinnaker.io/name',
  artifactLocation: 'artifact.spinnaker.io/location',
  artifactVersion: 'artifact.spinnaker.io/version',
  application: 'moniker.spinnaker.io/application',
  cluster: 'moniker.spinnaker.io/cluster',
  sequence: 'moniker.spinnaker.io/sequence',
  versioned: 'strategy.spinnaker.io/versioned',
  maxVersionHistory: 'strategy.spinnaker.io/max-version-history',
  loadBalancers: 'traffic.spinnaker.io/load-balancers',
  /** Hash of the manifest as given (before versioning): equal hashes mean an unchanged spec. */
  manifestHash: 'rollgate.dev/manifest-hash',
} as const;

export const L = {
  name: 'app.kubernetes.io/name',
  managedBy: 'app.kubernetes.io/managed-by',
  sequence: 'moniker.spinnaker.io/sequence',
} as const;

export const MANAGED_BY = 'rollgate';
