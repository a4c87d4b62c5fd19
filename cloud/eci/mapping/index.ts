// Public surface of the pure Pod <-> ECI mapping used by the relay's ECI provider (no I/O anywhere below).
// Create/update requests, status/events, error classification, naming and tag constants.
export * from './types.js';
export { podToCreateRequest, podToUpdateRequest, diffUpdatable, type UpdatableDiff, MAX_CONTAINERS, IGNORED_POD_FIELDS } from './pod.js';
export { groupToPodStatus, containerIdFor, PHASE_BY_STATUS, type PodEvent, type PodStatusResult, type EciGroup } from './status.js';
export { mapEciError, classifyProviderReason, type ClassifiedError, type EciErrorLike } from './errors.js';
export { groupNameFor, buildTags, tagProblem, TAG_CLUSTER_ID, TAG_NAMESPACE, TAG_POD_NAME, TAG_POD_UID, IDENTITY_TAG_KEYS, MAX_TAGS } from './names.js';
export { roundUpToSpec, parseQuantity, qosClassOf, ECI_SPECS } from './resources.js';
export { A as ECI_ANNOTATIONS } from './annotations.js';
