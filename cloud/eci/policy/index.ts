// Public surface of the tenant policy: its type and defaults, the config parser and the pure evaluation on
// mapped ECI requests. The relay config parses it; the ECI provider's admission gate evaluates it.
export * from './types.js';
export { POLICY_KEYS, POLICY_SPOT_KEYS, POLICY_EIP_KEYS } from './parse.js';
export { evaluateCreate, evaluateUpdate, denialMessage, type PolicyContext } from './evaluate.js';
export { registryOf, registryAllowed } from './match.js';
