// Spot (preemptible) reclaim, as ECI reports it and as the gateway shows it. ECI warns with a `SpotToBeReleased`
// event minutes before it releases the instance, then the group ends `Expired`; older ECI docs describe the
// same end as `Failed` with the cause `BidFailed`. Either way the pod fails with the one reason users alert on,
// SPOT_RECLAIMED_REASON. Pure. The wire names are defined here once; the emulator emits these same ones.
import type * as $Eci from '@alicloud/eci20180808';

/** The Warning event ECI raises a few minutes before it releases a spot instance. */
export const SPOT_TO_BE_RELEASED = 'SpotToBeReleased';
/** The group status of a released spot instance. */
const SPOT_EXPIRED_STATUS = 'Expired';
/** The failure cause older ECI docs give for a released spot instance (a group Failed with it). */
export const SPOT_BID_FAILED = 'BidFailed';
/** Pod status.reason, container terminated reason and Warning event reason of a reclaimed spot pod. */
export const SPOT_RECLAIMED_REASON = 'SpotInstanceReclaimed';

type Group = $Eci.DescribeContainerGroupsResponseBodyContainerGroups;

const saysBidFailed = (...texts: (string | undefined)[]): boolean => texts.some((s) => s === SPOT_BID_FAILED);

/** Whether ECI released this group's spot instance: status Expired, or Failed with the cause BidFailed. */
export function isSpotReclaimed(group: Group): boolean {
  if (group.status === SPOT_EXPIRED_STATUS) return true;
  if (group.status !== 'Failed') return false;
  if ((group.events ?? []).some((e) => saysBidFailed(e.reason))) return true;
  return [...(group.containers ?? []), ...(group.initContainers ?? [])].some((c) => saysBidFailed(c.currentState?.reason, c.currentState?.detailStatus));
}

/** Whether ECI has warned that it will release this group's spot instance (its status pollers watch it closely). */
export const underSpotNotice = (group: Group): boolean => (group.events ?? []).some((e) => e.reason === SPOT_TO_BE_RELEASED);

/** A container's terminated reason ECI gave for the release, which the pod shows as SPOT_RECLAIMED_REASON. */
export const isSpotReleaseCause = (reason: string | undefined): boolean => saysBidFailed(reason);

/** The pod's status.message (and its Warning event's) for a reclaimed group: when, and what happens next. */
export function spotReclaimedMessage(group: Group): string {
  const at = group.expiredTime || group.failedTime;
  const notice = (group.events ?? []).find((e) => e.reason === SPOT_TO_BE_RELEASED);
  const warned = notice?.firstTimestamp ? ` after its ${SPOT_TO_BE_RELEASED} notice at ${notice.firstTimestamp}` : '';
  const instance = ['the spot (preemptible) ECI instance', group.containerGroupId, at ? `at ${at}` : undefined].filter(Boolean).join(' ');
  return (
    `Alibaba Cloud reclaimed ${instance}${warned} (the market price rose above the bid, or spot stock ran out); its containers ` +
    'were stopped. The pod stays Failed and its controller (ReplicaSet, Job) creates a replacement; workloads that must not be ' +
    'interrupted should not set k8s.aliyun.com/eci-spot-strategy'
  );
}
