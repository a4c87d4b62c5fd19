import test from 'ava';
import type { V1Volume } from '@kubernetes/client-node';
import { podToCreateRequest } from '../../../../cloud/eci/mapping/pod.js';
import type { ResolvedVolumeFile } from '../../../../cloud/eci/mapping/types.js';
import { pod, input, mustOk, mustReject } from './fixtures.js';

function mapVol(v: V1Volume, files?: ResolvedVolumeFile[], extra: { serviceAccountToken?: string } = {}) {
  return podToCreateRequest(input(pod({ volumes: [{ name: 'v0', emptyDir: {} }, v] }), { volumes: files ? { [v.name]: files } : {}, ...extra }));
}
const b64 = (s: string) => Buffer.from(s).toString('base64');

test('emptyDir: disk and Memory medium with sizeLimit', (t) => {
  const a = mustOk(t, mapVol({ name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } })).value.volume![1];
  t.is(a.type, 'EmptyDirVolume');
  t.is(a.emptyDirVolume!.medium, 'Memory');
  t.is(a.emptyDirVolume!.sizeLimit, '1Gi');
  const d = mustOk(t, mapVol({ name: 'd', emptyDir: {} })).value.volume![1];
  t.is(d.emptyDirVolume!.medium, undefined);
  mustReject(t, mapVol({ name: 'h', emptyDir: { medium: 'HugePages-2Mi' } }), 'spec.volumes[1].emptyDir.medium', ['Memory']);
});

test('nfs -> NFSVolume', (t) => {
  const v = mustOk(t, mapVol({ name: 'share', nfs: { server: '1a2b.cn-hangzhou.nas.aliyuncs.com', path: '/exports', readOnly: true } })).value.volume![1];
  t.is(v.type, 'NFSVolume');
  t.deepEqual({ ...v.NFSVolume! }, { server: '1a2b.cn-hangzhou.nas.aliyuncs.com', path: '/exports', readOnly: true });
});

test('alicloud flexVolume -> FlexVolume with JSON options; other drivers and secretRef rejected', (t) => {
  const v = mustOk(t, mapVol({ name: 'oss', flexVolume: { driver: 'alicloud/oss', options: { bucket: 'b', url: 'oss-cn-hangzhou.aliyuncs.com' } } })).value.volume![1];
  t.is(v.type, 'FlexVolume');
  t.deepEqual(JSON.parse(v.flexVolume!.options!), { bucket: 'b', url: 'oss-cn-hangzhou.aliyuncs.com' });
  mustReject(t, mapVol({ name: 'f', flexVolume: { driver: 'acme/nfs' } }), 'spec.volumes[1].flexVolume.driver', ['alicloud/nas']);
  mustReject(t, mapVol({ name: 'f', flexVolume: { driver: 'alicloud/nas', secretRef: { name: 's' } } }), 'spec.volumes[1].flexVolume.secretRef', ['RAM role']);
});

test('configMap -> ConfigFileVolume with base64 content, defaultMode and per-item modes', (t) => {
  const v = mustOk(t, mapVol(
    { name: 'cfg', configMap: { name: 'app', defaultMode: 0o640, items: [{ key: 'a', path: 'conf/a.yaml', mode: 0o600 }, { key: 'b', path: 'b.txt' }] } },
    [{ path: 'conf/a.yaml', content: Buffer.from('x: 1\n') }, { path: 'b.txt', content: new Uint8Array([0xff, 0x00, 0x41]), mode: 0o444 }],
  )).value.volume![1];
  t.is(v.type, 'ConfigFileVolume');
  t.is(v.configFileVolume!.defaultMode, 0o640);
  t.deepEqual(v.configFileVolume!.configFileToPath!.map((f) => ({ ...f })), [
    { path: 'conf/a.yaml', content: b64('x: 1\n'), mode: 0o600 },
    { path: 'b.txt', content: Buffer.from([0xff, 0x00, 0x41]).toString('base64'), mode: 0o444 },
  ]);
});

test('secret, downwardAPI and projected (with serviceAccountToken) -> ConfigFileVolume', (t) => {
  const s = mustOk(t, mapVol({ name: 's', secret: { secretName: 'tls', defaultMode: 0o400 } }, [{ path: 'tls.key', content: Buffer.from('k') }])).value.volume![1];
  t.is(s.configFileVolume!.defaultMode, 0o400);
  t.is(s.configFileVolume!.configFileToPath![0].content, b64('k'));
  const d = mustOk(t, mapVol({ name: 'd', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } }, [{ path: 'labels', content: Buffer.from('a="b"') }])).value.volume![1];
  t.is(d.configFileVolume!.configFileToPath![0].path, 'labels');
  const p = mustOk(t, mapVol(
    { name: 'kube-api-access', projected: { defaultMode: 0o644, sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] } },
    [{ path: 'ca.crt', content: Buffer.from('CA') }],
    { serviceAccountToken: 'eyJhbGciOi' },
  )).value.volume![1];
  t.deepEqual(p.configFileVolume!.configFileToPath!.map((f) => [f.path, f.content]).sort(), [['ca.crt', b64('CA')], ['token', b64('eyJhbGciOi')]]);
});

test('config volumes: missing content rejected unless optional (then an empty dir); unsafe paths rejected', (t) => {
  mustReject(t, mapVol({ name: 'cfg', configMap: { name: 'app' } }), 'spec.volumes[1]', ['ConfigMap', 'optional']);
  const opt = mustOk(t, mapVol({ name: 'cfg', configMap: { name: 'app', optional: true } })).value.volume![1];
  t.is(opt.type, 'EmptyDirVolume');
  mustReject(t, mapVol({ name: 'cfg', configMap: { name: 'app' } }, [{ path: '../etc/passwd', content: Buffer.from('x') }]), 'spec.volumes[1]', ['..']);
  mustReject(t, mapVol({ name: 'cfg', configMap: { name: 'app', items: [{ key: 'k', path: 'want' }] } }, [{ path: 'other', content: Buffer.from('x') }]), 'spec.volumes[1]', ['want']);
  mustReject(t, mapVol({ name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }), 'spec.volumes[1].projected.sources.serviceAccountToken', ['token']);
});

const REJECTED: Array<[V1Volume, string, string]> = [
  [{ name: 'h', hostPath: { path: '/var/run/docker.sock' } }, 'hostPath', 'emptyDir'],
  [{ name: 'p', persistentVolumeClaim: { claimName: 'data' } }, 'persistentVolumeClaim', 'nfs'],
  [{ name: 'i', iscsi: { targetPortal: '1.2.3.4:3260', iqn: 'iqn.x', lun: 0 } }, 'iscsi', 'nfs'],
  [{ name: 'c', csi: { driver: 'x' } }, 'csi', 'nfs'],
  [{ name: 'e', ephemeral: {} }, 'ephemeral', 'emptyDir'],
  [{ name: 'g', gitRepo: { repository: 'https://x' } }, 'gitRepo', 'init container'],
  [{ name: 'r', rbd: { image: 'i', monitors: ['m'] } }, 'rbd', 'ECI'],
  [{ name: 'x' }, '', 'emptyDir'],
];
for (const [v, kind, mention] of REJECTED) {
  test(`volume type rejected: ${kind || 'no source'}`, (t) => {
    mustReject(t, mapVol(v), kind ? `spec.volumes[1].${kind}` : 'spec.volumes[1]', [mention, v.name]);
  });
}
