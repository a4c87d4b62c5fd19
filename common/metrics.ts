// Prometheus metrics registry shared by a process (prom-client). Each component registers its own
// metrics on the registry it is handed, so tests can use a fresh registry per instance.
import { Registry, collectDefaultMetrics } from 'prom-client';

export { Registry };

export function newRegistry(withDefaults = false): Registry {
  const r = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: r });
  return r;
}
