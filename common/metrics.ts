// Prometheus metrics registry shared by a process (prom-client). Each component registers its own
// metrics on the registry it is handed, so tests can use a fresh registry per instance. Every registry
// carries ecigw_build_info (version, Node.js version), as Prometheus exporters do.
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { BUILD_VERSION } from './version.js';

export { Registry };

/** Metric names start with this (one namespace for agent and relay). */
export const METRIC_PREFIX = 'ecigw_';

export function newRegistry(withDefaults = false): Registry {
  const r = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: r });
  new Gauge({
    name: `${METRIC_PREFIX}build_info`,
    help: 'Always 1; the labels say which build and Node.js version run',
    labelNames: ['version', 'node_version'],
    registers: [r],
  }).set({ version: BUILD_VERSION, node_version: process.version }, 1);
  return r;
}
