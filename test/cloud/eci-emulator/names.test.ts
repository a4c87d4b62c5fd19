// A group's own /etc/hosts and /etc/resolv.conf (process runtime, runtime/names.ts): the files' contents and
// the resolver's limits (pure), the API's refusals and what an update keeps (through the unmodified SDK), and,
// as root with util-linux `unshare`, that a group's containers, exec sessions and exec probes see its files at
// /etc/hosts and /etc/resolv.conf (glibc getent and Node's dns.lookup resolve through them, a DnsConfig
// nameserver 127.0.0.1 reaches a DNS server on the group's IP), that another group sees its own, that the
// host's files never change, and that deleting the group leaves no process behind.
import { readFileSync, readlinkSync } from 'node:fs';
import test from 'ava';
import WebSocket from 'ws';
import { startEmulator, type EmulatorHandle } from '../../../cloud/eci-emulator/index.js';
import { hostNameServers, nameFiles, nameNamespace, RESOLV_LIMITS } from '../../../cloud/eci-emulator/runtime/names.js';
import { $Eci, sdkClient, sdkError, waitFor, type EciClient } from './sdk.js';

const region = 'cn-hangzhou';
const IP = '127.10.3.4';
const base = { name: 'web-1', hostName: undefined, hostAliases: [], dnsConfig: undefined, dnsPolicy: undefined };

test('hosts: localhost entries, the group IP with its hostname, then the HostAliases', (t) => {
  const f = nameFiles({ ...base, hostName: 'web', hostAliases: [{ ip: '10.0.0.1', hostnames: ['a.local', 'b.local'] }, { ip: 'fd00::5', hostnames: ['v6.local'] }] }, IP, ['10.255.0.2']);
  const lines = f.hosts.split('\n');
  t.true(lines.includes('127.0.0.1\tlocalhost'));
  t.true(lines.includes('::1\tlocalhost ip6-localhost ip6-loopback'));
  t.true(lines.includes(`${IP}\tweb`));
  t.true(lines.indexOf(`${IP}\tweb`) < lines.indexOf('10.0.0.1\ta.local\tb.local'));
  t.true(lines.includes('fd00::5\tv6.local'));
  t.deepEqual(f.warnings, []);
  t.true(nameFiles(base, IP, []).hosts.includes(`${IP}\tweb-1\n`), 'no HostName: the group name');
});

test('resolv.conf: Default = host nameservers then DnsConfig; None = DnsConfig only; 127.0.0.1 and ::1 become the group IP', (t) => {
  const dnsConfig = { nameServers: ['127.0.0.1', '10.1.1.1'], searches: ['ns1.svc.cluster.local', 'svc.cluster.local'], options: [{ name: 'ndots', value: '5' }, { name: 'edns0' }] };
  const def = nameFiles({ ...base, dnsConfig }, IP, ['10.255.0.2']);
  t.deepEqual(def.resolv.split('\n').filter((l) => !l.startsWith('#')), ['nameserver 10.255.0.2', `nameserver ${IP}`, 'nameserver 10.1.1.1', 'search ns1.svc.cluster.local svc.cluster.local', 'options ndots:5 edns0', '']);
  const none = nameFiles({ ...base, dnsPolicy: 'None', dnsConfig: { ...dnsConfig, nameServers: ['::1', '0:0:0:0:0:0:0:1'] } }, IP, ['10.255.0.2']);
  t.deepEqual(none.resolv.split('\n').filter((l) => l.startsWith('nameserver')), [`nameserver ${IP}`], 'no host nameserver; both loopback spellings are the group, once');
  t.deepEqual(def.warnings, []);
  const noCfg = nameFiles(base, IP, ['10.255.0.2', '10.255.0.3']);
  t.deepEqual(noCfg.resolv.split('\n').filter((l) => l && !l.startsWith('#')), ['nameserver 10.255.0.2', 'nameserver 10.255.0.3']);
  const override = nameFiles({ ...base, dnsConfig: { nameServers: [], searches: [], options: [{ name: 'ndots', value: '2' }, { name: 'ndots', value: '3' }] } }, IP, []);
  t.true(override.resolv.includes('options ndots:3\n'), 'a repeated option: the last value');
});

test('resolv.conf limits: 3 nameservers, 32 search domains, 253 characters a domain, 2048 in all; trimmed with a warning, never thrown', (t) => {
  const many = nameFiles({ ...base, dnsConfig: { nameServers: ['10.0.0.1', '10.0.0.2', '10.0.0.3'], searches: [], options: [] } }, IP, ['10.255.0.2']);
  t.deepEqual(many.resolv.split('\n').filter((l) => l.startsWith('nameserver')), ['nameserver 10.255.0.2', 'nameserver 10.0.0.1', 'nameserver 10.0.0.2']);
  t.regex(many.warnings.join('\n'), /Nameserver limits were exceeded, .* the applied nameserver line is: 10\.255\.0\.2 10\.0\.0\.1 10\.0\.0\.2/);

  const domains = Array.from({ length: 40 }, (_, i) => `d${i}.example`);
  const s40 = nameFiles({ ...base, dnsConfig: { nameServers: [], searches: domains, options: [] } }, IP, []);
  t.is(/^search (.*)$/m.exec(s40.resolv)![1].split(' ').length, RESOLV_LIMITS.searches);
  t.regex(s40.warnings.join('\n'), /Search Line limits were exceeded/);

  const long = 'x'.repeat(254);
  const wide = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, '0')}${'y'.repeat(150)}`);
  const sWide = nameFiles({ ...base, dnsConfig: { nameServers: [], searches: [long, ...wide], options: [] } }, IP, []);
  const line = /^search (.*)$/m.exec(sWide.resolv)![1];
  t.false(line.includes(long));
  t.true(line.length <= RESOLV_LIMITS.searchChars);
  t.deepEqual(line.split(' '), wide.slice(0, line.split(' ').length), 'cut from the end');
  t.true(line.split(' ').length < wide.length);

  // Input validate.ts refuses, in case it reaches the runtime another way: left out, with a warning.
  const bad = nameFiles(
    { ...base, hostName: 'has space', hostAliases: [{ ip: 'not-an-ip', hostnames: ['x'] }, { ip: '10.0.0.9', hostnames: ['ok', 'bad\nline'] }], dnsConfig: { nameServers: ['dns.example', '10.0.0.1'], searches: ['a b'], options: [{ name: 'x y' }] } },
    IP,
    [],
  );
  t.false(bad.hosts.includes('has space'));
  t.false(bad.hosts.includes('not-an-ip'));
  t.true(bad.hosts.includes('10.0.0.9\tok\n'));
  t.false(bad.hosts.includes('bad'));
  t.deepEqual(bad.resolv.split('\n').filter((l) => l && !l.startsWith('#')), ['nameserver 10.0.0.1']);
  t.is(bad.warnings.length, 6);
});

test('hostNameServers reads the nameserver lines of a resolv.conf', (t) => {
  t.deepEqual(hostNameServers('/nonexistent/resolv.conf'), []);
  const own = hostNameServers();
  t.true(own.every((ns) => readFileSync('/etc/resolv.conf', 'utf8').includes(`nameserver ${ns}`)));
});

// ---- Through the emulator and the unmodified SDK ----

let h: EmulatorHandle;
let c: EciClient;
const hostFiles = (): Buffer[] => ['/etc/hosts', '/etc/resolv.conf'].map((f) => readFileSync(f));
const hostBefore = hostFiles();

test.before(async () => {
  h = await startEmulator({ runtime: 'process', config: { createLatency: { schedulingMs: 10, pendingMs: 0 }, grace: { defaultSeconds: 2, maxSeconds: 2 } } });
  c = sdkClient(h);
});
test.after.always(async () => {
  await h?.close();
});

const describe = async (id: string) =>
  (await c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region, containerGroupIds: JSON.stringify([id]) }))).body.containerGroups![0];
const logOf = async (id: string, container: string): Promise<string> => (await c.describeContainerLog(new $Eci.DescribeContainerLogRequest({ regionId: region, containerGroupId: id, containerName: container }))).body.content ?? '';
const syncExec = async (id: string, container: string, command: string[]): Promise<string> =>
  (await c.execContainerCommand(new $Eci.ExecContainerCommandRequest({ regionId: region, containerGroupId: id, containerName: container, command: JSON.stringify(command), sync: true }))).body.syncResponse ?? '';
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test.serial('API: bad HostAliase/DnsConfig/DnsPolicy values are InvalidParameter naming the field', async (t) => {
  const create = (extra: Record<string, unknown>) =>
    c.createContainerGroup(new $Eci.CreateContainerGroupRequest({ regionId: region, containerGroupName: 'bad-names', container: [{ name: 'c', image: 'pause' }], ...extra }));
  const cases: [string, Record<string, unknown>][] = [
    ['HostAliase.1.Ip', { hostAliase: [{ ip: 'db', hostname: ['x'] }] }],
    ['HostAliase.1.Hostname.2', { hostAliase: [{ ip: '10.0.0.1', hostname: ['ok', 'two words'] }] }],
    ['DnsConfig.NameServer.1', { dnsConfig: { nameServer: ['dns.example'] } }],
    ['DnsConfig.Search.1', { dnsConfig: { search: ['a\nnameserver 6.6.6.6'] } }],
    ['DnsConfig.Option.1.Value', { dnsConfig: { option: [{ name: 'ndots', value: '1 2' }] } }],
    ['DnsPolicy', { dnsPolicy: 'ClusterFirst' }],
  ];
  for (const [field, extra] of cases) {
    const e = await sdkError(create(extra));
    t.is(e.code, 'InvalidParameter', field);
    t.true(e.message.includes(field), `${field}: ${e.message}`);
  }
});

test.serial('API: an update keeps HostAliases and DnsPolicy (UpdateContainerGroup has neither) and DnsConfig unless it sends one', async (t) => {
  const id = (
    await c.createContainerGroup(
      new $Eci.CreateContainerGroupRequest({
        regionId: region,
        containerGroupName: 'keep-names',
        container: [{ name: 'c', image: 'pause' }],
        hostAliase: [{ ip: '10.0.0.1', hostname: ['keep.alias'] }],
        dnsConfig: { nameServer: ['10.0.0.53'] },
      }),
    )
  ).body.containerGroupId!;
  await waitFor('Running', async () => (await describe(id)).status === 'Running');
  await c.updateContainerGroup(new $Eci.UpdateContainerGroupRequest({ regionId: region, containerGroupId: id, updateType: 'RenewUpdate', container: [{ name: 'c', image: 'pause', args: ['x'] }] }));
  let g = await waitFor('Running after update', async () => {
    const x = await describe(id);
    return x.status === 'Running' ? x : undefined;
  });
  t.deepEqual(g.hostAliases!.map((a) => [a.ip, a.hostnames]), [['10.0.0.1', ['keep.alias']]]);
  t.deepEqual(g.dnsConfig!.nameServers, ['10.0.0.53']);
  await c.updateContainerGroup(new $Eci.UpdateContainerGroupRequest({ regionId: region, containerGroupId: id, updateType: 'IncrementalUpdate', dnsConfig: { nameServer: ['10.0.0.54'] } }));
  g = await waitFor('DnsConfig updated', async () => {
    const x = await describe(id);
    return x.status === 'Running' && x.dnsConfig?.nameServers?.[0] === '10.0.0.54' ? x : undefined;
  });
  t.deepEqual(g.hostAliases!.map((a) => a.ip), ['10.0.0.1']);
  await c.deleteContainerGroup(new $Eci.DeleteContainerGroupRequest({ regionId: region, containerGroupId: id }));
});

// A minimal DNS server (UDP, A records only) a container runs on its group's IP, port 53: it answers names
// under corp.example with 10.9.8.7, refuses the rest (NXDOMAIN), and logs every question.
const DNS_SERVER = `
const dgram = require('node:dgram');
const s = dgram.createSocket('udp4');
s.on('message', (q, from) => {
  let o = 12; const labels = [];
  while (q[o] !== 0) { labels.push(q.subarray(o + 1, o + 1 + q[o]).toString()); o += q[o] + 1; }
  const name = labels.join('.'); const qtype = q.readUInt16BE(o + 1); const qEnd = o + 5;
  console.log('query ' + name + ' ' + qtype);
  const hit = name.endsWith('.corp.example');
  const head = Buffer.alloc(12); q.copy(head, 0, 0, 2);
  head.writeUInt16BE(hit ? 0x8180 : 0x8183, 2); head.writeUInt16BE(1, 4); head.writeUInt16BE(hit && qtype === 1 ? 1 : 0, 6);
  const parts = [head, q.subarray(12, qEnd)];
  if (hit && qtype === 1) parts.push(Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 9, 8, 7]));
  s.send(Buffer.concat(parts), from.port, from.address);
});
s.bind(53, process.env.ECI_POD_IP, () => console.log('dns ready'));
`;

const ns = nameNamespace();
const rootTest = ns.ok ? test.serial : test.serial.skip;
const why = ns.ok ? '' : ` [skipped: ${ns.reason}]`;

/** Runs an exec over the emulator's WebSocket with a TTY; returns what the terminal showed and the exit code. */
async function ttyExec(id: string, container: string, command: string[]): Promise<{ output: string; exitCode: number }> {
  const r = await c.execContainerCommand(new $Eci.ExecContainerCommandRequest({ regionId: region, containerGroupId: id, containerName: container, command: JSON.stringify(command), TTY: true, stdin: true }));
  const ws = new WebSocket(r.body.webSocketUri!);
  let output = '';
  ws.on('message', (d: Buffer) => (output += d.subarray(1).toString('utf8')));
  return await new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.on('close', (_code, reason) => resolve({ output, exitCode: (JSON.parse(reason.toString() || '{}') as { exitCode: number }).exitCode }));
  });
}

rootTest(`own /etc/hosts and /etc/resolv.conf per group: containers, exec and exec probes see them; getent and dns.lookup resolve through them; host files unchanged; no process left${why}`, async (t) => {
  const a = (
    await c.createContainerGroup(
      new $Eci.CreateContainerGroupRequest({
        regionId: region,
        containerGroupName: 'names-a',
        hostName: 'alpha',
        restartPolicy: 'Always',
        hostAliase: [
          { ip: '10.20.30.40', hostname: ['db.alias', 'db2.alias'] },
          { ip: '10.20.30.41', hostname: ['cache.alias'] },
        ],
        dnsPolicy: 'None',
        dnsConfig: { nameServer: ['127.0.0.1'], search: ['corp.example'], option: [{ name: 'ndots', value: '2' }] },
        container: [
          {
            name: 'shell',
            image: 'busybox',
            // pid=$$: the process the runtime spawned is the shell itself (unshare and the mount shell exec'd).
            command: ['/bin/sh', '-c', 'echo "pid=$$"; cat /etc/hosts /etc/resolv.conf; echo "getent=$(getent hosts cache.alias)"; sleep 300 & echo "child=$!"; wait'],
            readinessProbe: { exec: { command: ['grep', '-q', 'db2.alias', '/etc/hosts'] }, periodSeconds: 1 },
          },
          { name: 'dns', image: 'node', command: [process.execPath, '-e', DNS_SERVER] },
          { name: 'node', image: 'node', command: [process.execPath, '-e', "require('node:dns').lookup('db.alias', { family: 4 }, (e, ip) => console.log('lookup=' + (e ? e.code : ip))); setInterval(() => {}, 1000)"] },
        ],
      }),
    )
  ).body.containerGroupId!;
  const b = (
    await c.createContainerGroup(
      new $Eci.CreateContainerGroupRequest({
        regionId: region,
        containerGroupName: 'names-b',
        hostAliase: [{ ip: '10.50.60.70', hostname: ['db.alias'] }],
        dnsConfig: { nameServer: ['10.0.0.99'], search: ['b.example'] },
        // ahostsv4 (getaddrinfo, AF_INET): found in /etc/hosts, so no question goes to the host's resolver.
        container: [{ name: 'shell', image: 'alpine', command: ['/bin/sh', '-c', 'cat /etc/hosts /etc/resolv.conf; getent ahostsv4 db.alias; exec sleep 300'] }],
      }),
    )
  ).body.containerGroupId!;

  const ga = await waitFor('group a Running and ready (the exec probe found db2.alias in /etc/hosts)', async () => {
    const x = await describe(a);
    return x.status === 'Running' && x.containers!.every((k) => k.ready) ? x : undefined;
  });
  const gb = await waitFor('group b Running', async () => {
    const x = await describe(b);
    return x.status === 'Running' ? x : undefined;
  });
  const ipA = ga.intranetIp!;
  const ipB = gb.intranetIp!;
  t.not(ipA, ipB);

  // The container sees group a's files, with the DnsConfig nameserver 127.0.0.1 written as the group's IP.
  const logA = await waitFor('shell log of a', async () => {
    const l = await logOf(a, 'shell');
    return l.includes('child=') ? l : undefined;
  });
  t.regex(logA, /^10\.20\.30\.40\tdb\.alias\tdb2\.alias$/m);
  t.regex(logA, /^10\.20\.30\.41\tcache\.alias$/m);
  t.true(logA.includes(`${ipA}\talpha\n`), 'the group IP with its hostname');
  t.deepEqual(
    logA.split('\n').filter((l) => /^(nameserver|search|options) /.test(l)),
    [`nameserver ${ipA}`, 'search corp.example', 'options ndots:2'],
    'DnsPolicy None: DnsConfig only, 127.0.0.1 -> the group IP',
  );
  t.regex(logA, /^getent=10\.20\.30\.41\s+cache\.alias$/m, 'glibc getent resolves a HostAlias');
  t.is(await waitFor('node lookup', async () => /lookup=(\S+)/.exec(await logOf(a, 'node'))?.[1]), '10.20.30.40', "Node's dns.lookup resolves a HostAlias");

  // Exec sessions (Sync over pipes, and a TTY through the pty helper) run in the group's namespace too.
  const viaExec = await syncExec(a, 'shell', ['cat', '/etc/hosts', '/etc/resolv.conf']);
  t.true(viaExec.includes('10.20.30.40\tdb.alias\tdb2.alias\n'));
  t.true(viaExec.includes(`nameserver ${ipA}\n`));
  t.regex(await syncExec(a, 'shell', ['getent', 'hosts', 'db2.alias']), /^10\.20\.30\.40\s+db\.alias db2\.alias\n$/);
  const tty = await ttyExec(a, 'shell', ['getent', 'hosts', 'cache.alias']);
  t.is(tty.exitCode, 0);
  t.regex(tty.output, /10\.20\.30\.41\s+cache\.alias/);

  // A name that is no alias goes to the nameserver in resolv.conf: the DNS server this group runs on its own IP,
  // asked for it under the search domain (ndots:2).
  await waitFor('dns server ready', async () => (await logOf(a, 'dns')).includes('dns ready'));
  t.regex(await syncExec(a, 'shell', ['getent', 'hosts', 'backend']), /^10\.9\.8\.7\s+backend\.corp\.example\n$/);
  t.regex(await logOf(a, 'dns'), /^query backend\.corp\.example 1$/m, "the group's DNS server was asked, under the search domain");

  // Group b sees its own files: its alias, its (Default) resolver line, not group a's.
  const logB = await waitFor('shell log of b', async () => {
    const l = await logOf(b, 'shell');
    return l.includes('STREAM') ? l : undefined;
  });
  t.regex(logB, /^10\.50\.60\.70\tdb\.alias$/m);
  t.false(logB.includes('10.20.30.40'));
  t.false(logB.includes('cache.alias'));
  const nsB = logB.split('\n').filter((l) => l.startsWith('nameserver '));
  t.deepEqual(nsB, [...new Set([...hostNameServers(), '10.0.0.99'])].slice(0, 3).map((x) => `nameserver ${x}`), 'DnsPolicy Default: the host nameservers, then DnsConfig');
  t.regex(logB, /^search b\.example$/m);
  t.regex(logB, /^10\.50\.60\.70\s+STREAM db\.alias$/m, 'getent in b: its own alias');
  t.true(logB.includes(`${ipB}\tnames-b\n`));
  t.regex(await syncExec(a, 'shell', ['getent', 'hosts', 'db.alias']), /^10\.20\.30\.40\s/, 'the same name in a: still a');

  // The host's own files are byte for byte as before, while both groups run.
  t.deepEqual(hostFiles(), hostBefore);

  // The pid the runtime tracks is the container's process (no wrapper left in between), and deleting the
  // groups ends it and what it started.
  const pidsA = h.admin.pids(a);
  const shellPid = Number(/^pid=(\d+)$/m.exec(logA)![1]);
  const childPid = Number(/^child=(\d+)$/m.exec(logA)![1]);
  t.is(shellPid, pidsA[0]);
  t.true([...pidsA, childPid].every(alive));
  t.is(readFileSync(`/proc/${shellPid}/cmdline`, 'utf8').split('\0')[0], '/bin/sh');
  t.not(readlinkSync(`/proc/${shellPid}/ns/mnt`), readlinkSync('/proc/self/ns/mnt'), 'a mount namespace of its own');
  const pidsB = h.admin.pids(b);
  for (const id of [a, b]) await c.deleteContainerGroup(new $Eci.DeleteContainerGroupRequest({ regionId: region, containerGroupId: id }));
  const all = [...pidsA, childPid, ...pidsB];
  await waitFor('every process of both groups gone', () => all.every((p) => !alive(p)));
  t.true(all.every((p) => !alive(p)));
  t.deepEqual(hostFiles(), hostBefore, "the host's /etc/hosts and /etc/resolv.conf after the groups are gone");
});

rootTest(`in a group with its own names, a command that does not exist still fails to start (StartError, 128), as without them${why}`, async (t) => {
  const id = (
    await c.createContainerGroup(
      new $Eci.CreateContainerGroupRequest({ regionId: region, containerGroupName: 'names-missing', restartPolicy: 'Never', hostAliase: [{ ip: '10.0.0.1', hostname: ['x.alias'] }], container: [{ name: 'c', image: 'busybox', command: ['no-such-command-here'] }] }),
    )
  ).body.containerGroupId!;
  const g = await waitFor('Failed', async () => {
    const x = await describe(id);
    return x.status === 'Failed' ? x : undefined;
  });
  t.is(g.containers![0].currentState!.reason, 'StartError');
  t.is(g.containers![0].currentState!.exitCode, 128);
  await c.deleteContainerGroup(new $Eci.DeleteContainerGroupRequest({ regionId: region, containerGroupId: id }));
});

test.serial('a group without HostAliases, DnsConfig or DnsPolicy None runs as before: no namespace, the host files', async (t) => {
  const id = (
    await c.createContainerGroup(
      new $Eci.CreateContainerGroupRequest({ regionId: region, containerGroupName: 'plain', container: [{ name: 'c', image: 'busybox', command: ['/bin/sh', '-c', 'echo "pid=$$"; exec sleep 300'] }] }),
    )
  ).body.containerGroupId!;
  await waitFor('Running', async () => (await describe(id)).status === 'Running');
  const pid = Number(await waitFor('pid', async () => /pid=(\d+)/.exec(await logOf(id, 'c'))?.[1]));
  t.is(pid, h.admin.pids(id)[0]);
  t.is(readlinkSync(`/proc/${pid}/ns/mnt`), readlinkSync('/proc/self/ns/mnt'), "the emulator's own mount namespace");
  t.deepEqual(Buffer.from(await syncExec(id, 'c', ['cat', '/etc/hosts'])), hostBefore[0]);
  await c.deleteContainerGroup(new $Eci.DeleteContainerGroupRequest({ regionId: region, containerGroupId: id }));
  await waitFor('gone', () => !alive(pid));
  t.pass();
});
