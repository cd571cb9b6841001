// Kinds by their Spinnaker spelling (replicaSet) or Kubernetes spelling (ReplicaSet).
export const KNOWN_KINDS: Record<string, string> = {
  Deployment: 'apps/v1',
  ReplicaSet: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  ControllerRevision: 'apps/v1',
  Pod: 'v1',
  Service: 'v1',
  ConfigMap: 'v1',
  Secret: 'v1',
  Namespace: 'v1',
  ServiceAccount: 'v1',
  PersistentVolumeClaim: 'v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
  Ingress: 'networking.k8s.io/v1',
  NetworkPolicy: 'networking.k8s.io/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
  PodDisruptionBudget: 'policy/v1',
  Role: 'rbac.authorization.k8s.io/v1',
  RoleBinding: 'rbac.authorization.k8s.io/v1',
  ClusterRole: 'rbac.authorization.k8s.io/v1',
  ClusterRoleBinding: 'rbac.authorization.k8s.io/v1',
  CustomResourceDefinition: 'apiextensions.k8s.io/v1',
  EndpointSlice: 'discovery.k8s.io/v1',
};

/** `replicaSet`, `replicaset` and `ReplicaSet` all mean ReplicaSet. */
export function canonicalKind(kind: string): string {
  const hit = Object.keys(KNOWN_KINDS).find((k) => k.toLowerCase() === kind.toLowerCase());
  return hit ?? kind;
}

/** The Spinnaker spelling used in cluster names: `replicaSet frontend`. */
export function spinnakerKind(kind: string): string {
  const k = canonicalKind(kind);
  return k[0]!.toLowerCase() + k.slice(1);
}

export const VERSIONED_BY_DEFAULT = new Set(['ReplicaSet', 'Pod', 'ConfigMap', 'Secret']);
export const SCALABLE = new Set(['Deployment', 'ReplicaSet', 'StatefulSet']);
export const UNDOABLE = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
export const WORKLOADS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod']);

/** Apply order: what others depend on first (Spinnaker's, with RBAC and CRDs early). */
export function applyRank(kind: string): number {
  const order = [
    ['Namespace'],
    ['CustomResourceDefinition'],
    ['ServiceAccount', 'ClusterRole', 'Role', 'ClusterRoleBinding', 'RoleBinding', 'NetworkPolicy', 'PersistentVolumeClaim'],
    ['ConfigMap', 'Secret'],
    ['Service'],
  ];
  const i = order.findIndex((group) => group.includes(kind));
  return i === -1 ? order.length : i;
}
