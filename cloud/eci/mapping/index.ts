// Public surface of the pure Pod <-> ECI mapping used by the relay's ECI provider (no I/O anywhere below).
// Create/update requests, status/events, error classification, naming and tag constants.
export * from './types.js';
export { podToCreateRequest, podToUpdateRequest, diffUpdatable } from './pod.js';
export { groupToPodStatus, PHASE_BY_STATUS, type PodEvent, type EciGroup } from './status.js';
export { underSpotNotice } from './spot.js';
export { mapEciError, type ClassifiedError } from './errors.js';
export { tagProblem, TAG_CLUSTER_ID, TAG_NAMESPACE, TAG_POD_NAME, TAG_POD_UID, IDENTITY_TAG_KEYS, MAX_TAGS } from './names.js';
