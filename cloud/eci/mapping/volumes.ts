// Pod volumes -> ECI Volume.N: emptyDir -> EmptyDirVolume, nfs -> NFSVolume, alicloud flexVolume -> FlexVolume,
// configMap/secret/projected/downwardAPI -> ConfigFileVolume with base64 file content the agent resolved.
// Everything else (hostPath, PVC, iscsi, csi, ...) is rejected with the field and a way out; nothing is dropped.
import * as $Eci from '@alicloud/eci20180808';
import type { V1Volume, V1KeyToPath } from '@kubernetes/client-node';
import type { Issues, ResolvedPodInputs, ResolvedVolumeFile } from './types.js';

/** Volume sources ECI cannot provide, with what to do instead. */
const REJECTED: Record<string, string> = {
  hostPath: 'hostPath is not available on a virtual node (an ECI instance has no shared host filesystem); use emptyDir, or nfs for shared data',
  persistentVolumeClaim: 'persistentVolumeClaims are not supported on the ECI virtual node yet (their storage lives on-prem); mount the data through an nfs volume or use emptyDir',
  iscsi: 'iSCSI volumes cannot be attached to ECI instances; use nfs or emptyDir',
  csi: 'inline CSI volumes need a node plugin that ECI does not run; use nfs, emptyDir or an alicloud flexVolume',
  ephemeral: 'generic ephemeral volumes need a storage class on-prem; use emptyDir (with sizeLimit) instead',
  gitRepo: 'gitRepo volumes are deprecated and unsupported on ECI; clone in an init container into an emptyDir',
  image: 'image volumes are not supported by ECI; copy the content in an init container into an emptyDir',
  awsElasticBlockStore: 'AWS EBS volumes cannot attach to Alibaba Cloud ECI', azureDisk: 'Azure disks cannot attach to ECI', azureFile: 'Azure Files cannot mount on ECI',
  gcePersistentDisk: 'GCE disks cannot attach to ECI', cephfs: 'cephfs is not supported by ECI; use nfs', cinder: 'Cinder volumes cannot attach to ECI',
  fc: 'Fibre Channel volumes cannot attach to ECI', flocker: 'flocker is not supported by ECI', glusterfs: 'glusterfs is not supported by ECI; use nfs',
  photonPersistentDisk: 'Photon disks cannot attach to ECI', portworxVolume: 'Portworx is not supported by ECI', quobyte: 'quobyte is not supported by ECI; use nfs',
  rbd: 'Ceph RBD cannot attach to ECI', scaleIO: 'ScaleIO is not supported by ECI', storageos: 'StorageOS is not supported by ECI', vsphereVolume: 'vSphere volumes cannot attach to ECI',
};
/** FlexVolume drivers ECI runs (each mounts the account's disks, NAS or OSS; the tenant policy gates them). */
export const FLEX_DRIVERS: readonly string[] = ['alicloud/disk', 'alicloud/nas', 'alicloud/oss'];

export function mapVolumes(volumes: V1Volume[] | undefined, resolved: ResolvedPodInputs, issues: Issues): $Eci.CreateContainerGroupRequestVolume[] {
  const out: $Eci.CreateContainerGroupRequestVolume[] = [];
  (volumes ?? []).forEach((v, i) => {
    const mapped = mapVolume(v, `spec.volumes[${i}]`, resolved, issues);
    if (mapped) out.push(mapped);
  });
  return out;
}

function mapVolume(v: V1Volume, path: string, resolved: ResolvedPodInputs, issues: Issues): $Eci.CreateContainerGroupRequestVolume | undefined {
  const V = $Eci.CreateContainerGroupRequestVolume;
  if (v.emptyDir) {
    const medium = v.emptyDir.medium ?? '';
    if (medium !== '' && medium !== 'Memory') {
      issues.error(`${path}.emptyDir.medium`, `emptyDir medium "${medium}" is not supported by ECI; use "" (disk) or "Memory"`);
      return undefined;
    }
    return new V({
      name: v.name, type: 'EmptyDirVolume',
      emptyDirVolume: new $Eci.CreateContainerGroupRequestVolumeEmptyDirVolume({ medium: medium || undefined, sizeLimit: v.emptyDir.sizeLimit }),
    });
  }
  if (v.nfs) {
    return new V({
      name: v.name, type: 'NFSVolume',
      NFSVolume: new $Eci.CreateContainerGroupRequestVolumeNFSVolume({ server: v.nfs.server, path: v.nfs.path, readOnly: v.nfs.readOnly }),
    });
  }
  if (v.flexVolume) {
    if (!FLEX_DRIVERS.includes(v.flexVolume.driver)) {
      issues.error(`${path}.flexVolume.driver`, `flexVolume driver "${v.flexVolume.driver}" is not available on ECI; use one of ${FLEX_DRIVERS.join(', ')}`);
      return undefined;
    }
    if (v.flexVolume.secretRef) {
      issues.error(`${path}.flexVolume.secretRef`, 'flexVolume secretRef is not supported by ECI; put credentials in options or use a RAM role (k8s.aliyun.com/eci-ram-role-name)');
      return undefined;
    }
    return new V({
      name: v.name, type: 'FlexVolume',
      flexVolume: new $Eci.CreateContainerGroupRequestVolumeFlexVolume({
        driver: v.flexVolume.driver, fsType: v.flexVolume.fsType,
        options: v.flexVolume.options ? JSON.stringify(v.flexVolume.options) : undefined,
      }),
    });
  }
  if (v.configMap || v.secret || v.projected || v.downwardAPI) return configFileVolume(v, path, resolved, issues);
  const kind = Object.keys(REJECTED).find((k) => (v as unknown as Record<string, unknown>)[k] !== undefined);
  if (kind) issues.error(`${path}.${kind}`, `volume "${v.name}": ${REJECTED[kind]}`);
  else issues.error(path, `volume "${v.name}" has no volume source ECI understands; use emptyDir, nfs, configMap, secret, projected or downwardAPI`);
  return undefined;
}

/** Items declared in the spec (path -> mode) so per-item modes apply when the agent did not set one. */
function declaredItems(v: V1Volume): Map<string, number | undefined> {
  const items = new Map<string, number | undefined>();
  const add = (list: V1KeyToPath[] | undefined) => list?.forEach((it) => items.set(it.path, it.mode));
  add(v.configMap?.items);
  add(v.secret?.items);
  v.downwardAPI?.items?.forEach((it) => items.set(it.path, it.mode));
  for (const s of v.projected?.sources ?? []) {
    add(s.configMap?.items);
    add(s.secret?.items);
    s.downwardAPI?.items?.forEach((it) => items.set(it.path, it.mode));
    if (s.serviceAccountToken) items.set(s.serviceAccountToken.path, undefined);
  }
  return items;
}

function isOptional(v: V1Volume): boolean {
  if (v.configMap) return v.configMap.optional === true;
  if (v.secret) return v.secret.optional === true;
  if (v.projected) return (v.projected.sources ?? []).every((s) => s.configMap?.optional === true || s.secret?.optional === true);
  return false;
}

function configFileVolume(v: V1Volume, path: string, resolved: ResolvedPodInputs, issues: Issues): $Eci.CreateContainerGroupRequestVolume | undefined {
  const files: ResolvedVolumeFile[] = [...(resolved.volumes[v.name] ?? [])];
  const items = declaredItems(v);
  const tokenSource = v.projected?.sources?.find((s) => s.serviceAccountToken)?.serviceAccountToken;
  if (tokenSource && !files.some((f) => f.path === tokenSource.path)) {
    if (resolved.serviceAccountToken === undefined) {
      issues.error(`${path}.projected.sources.serviceAccountToken`, `volume "${v.name}" needs a service account token that the agent did not provide; check the agent can issue tokens for this pod's service account`);
      return undefined;
    }
    files.push({ path: tokenSource.path, content: Buffer.from(resolved.serviceAccountToken, 'utf8') });
  }
  const defaultMode = v.configMap?.defaultMode ?? v.secret?.defaultMode ?? v.projected?.defaultMode ?? v.downwardAPI?.defaultMode;
  if (files.length === 0) {
    if (resolved.volumes[v.name] === undefined && !isOptional(v)) {
      issues.error(path, `content of volume "${v.name}" was not resolved by the agent (does the referenced ConfigMap/Secret exist?); create it or mark the source optional`);
      return undefined;
    }
    // An optional source that does not exist (or has no keys) is an empty directory in Kubernetes.
    return new $Eci.CreateContainerGroupRequestVolume({ name: v.name, type: 'EmptyDirVolume', emptyDirVolume: new $Eci.CreateContainerGroupRequestVolumeEmptyDirVolume({}) });
  }
  let bad = false;
  for (const f of files) {
    if (f.path === '' || f.path.startsWith('/') || f.path.split('/').includes('..')) {
      issues.error(path, `volume "${v.name}" file path "${f.path}" must be relative and must not contain ".."; fix the items[].path`);
      bad = true;
    }
  }
  for (const itemPath of items.keys()) {
    if (!files.some((f) => f.path === itemPath) && !isOptional(v)) {
      issues.error(path, `volume "${v.name}" declares items path "${itemPath}" but the agent resolved no content for it; check the referenced key exists`);
      bad = true;
    }
  }
  if (bad) return undefined;
  return new $Eci.CreateContainerGroupRequestVolume({
    name: v.name,
    type: 'ConfigFileVolume',
    configFileVolume: new $Eci.CreateContainerGroupRequestVolumeConfigFileVolume({
      defaultMode,
      configFileToPath: files.map((f) => new $Eci.CreateContainerGroupRequestVolumeConfigFileVolumeConfigFileToPath({
        path: f.path,
        content: Buffer.from(f.content).toString('base64'),
        mode: f.mode ?? items.get(f.path),
      })),
    }),
  });
}
