// The network-namespace test host lives in demo/netns-host.ts (the demo uses it too); tests import it from here.
export { startNetnsHost, type NetnsHost } from '../../demo/netns-host.js';
