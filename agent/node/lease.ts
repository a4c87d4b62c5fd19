// Node heartbeat: the node's Lease in kube-node-lease, renewed every interval (10 s like the kubelet).
import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { isNotFound, isConflict } from '../kube/errors.js';
import { microTimeField } from '../kube/time.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export class NodeLease {
  private readonly api: CoordinationV1Api;
  constructor(
    kc: KubeConfig,
    private readonly nodeName: string,
    private readonly nodeUid: () => string | undefined,
    /** The renewTime written (the node controller's clock). */
    private readonly now: () => Date = () => new Date(),
    private readonly durationSeconds = 40,
  ) {
    this.api = kc.makeApiClient(CoordinationV1Api);
  }

  /** Creates or renews the lease once. */
  async renew(): Promise<void> {
    const name = this.nodeName;
    const namespace = NODE_LEASE_NAMESPACE;
    let lease: V1Lease | undefined;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    const uid = this.nodeUid();
    const spec = { holderIdentity: name, leaseDurationSeconds: this.durationSeconds, renewTime: microTimeField(this.now()) };
    if (!lease) {
      try {
        await this.api.createNamespacedLease({
          namespace,
          body: {
            metadata: {
              name,
              namespace,
              ownerReferences: uid ? [{ apiVersion: 'v1', kind: 'Node', name, uid }] : undefined,
            },
            spec,
          },
        });
      } catch (e) {
        if (!isConflict(e)) throw e;
      }
      return;
    }
    lease.spec = { ...lease.spec, ...spec };
    // MicroTime fields read back as strings; keep them strings (see kube/time.ts).
    await this.api.replaceNamespacedLease({ name, namespace, body: lease });
  }
}
