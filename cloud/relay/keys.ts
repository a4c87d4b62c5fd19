// Keys of the relay's in-memory maps (status hub, rate buckets, session counts, watches). Each key is
// the JSON encoding of a tuple of its parts, so no two different tuples share a key whatever the parts
// contain (`["a/b","c"]` vs `["a","b/c"]`). Ids are also DNS labels (identities.ts); this holds anyway.

/** One tenant cluster. */
export const scopeKey = (tenantId: string, clusterId: string): string => JSON.stringify(['scope', tenantId, clusterId]);

/** One authenticated credential (`method` plus the full certificate name or full token digest). */
export const credentialKey = (method: 'mtls' | 'token', name: string): string => JSON.stringify(['credential', method, name]);

/** One agent: a credential acting for one of its clusters. */
export const agentKey = (credential: string, clusterId: string): string => JSON.stringify(['agent', credential, clusterId]);
