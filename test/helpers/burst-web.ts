// The Deployment the Service-traffic tests put on the virtual node: `replicas` burst pods, each a Node HTTP
// server of the test's own (`server`, a script binding ECI_POD_IP:8080, with the pod's name in POD_NAME) that
// the emulator's process runtime runs for real, ready once GET /ready answers 200.
import type { V1Deployment } from '@kubernetes/client-node';

export function burstWebDeployment(nodeName: string, server: string, replicas: number, name = 'web'): V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          nodeSelector: { 'kubernetes.io/hostname': nodeName },
          tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
          containers: [
            {
              name,
              image: 'busybox',
              command: [process.execPath, '-e', server],
              env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 1, failureThreshold: 1 },
            },
          ],
        },
      },
    },
  };
}
