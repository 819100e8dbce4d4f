import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  GetCoreDeviceCommand, GetDeploymentCommand, GreengrassV2Client, ListCoreDevicesCommand, ListDeploymentsCommand,
  ListInstalledComponentsCommand, ResourceNotFoundException,
} from '@aws-sdk/client-greengrassv2';
import { DescribeThingGroupCommand, IoTClient, ListThingsInThingGroupCommand, ResourceNotFoundException as IotResourceNotFound } from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { FleetStatus, run } from '../../bin/commands/fleet';

/*
 * Responses shaped as the Greengrass V2 and IoT API references give them (ListCoreDevices, GetCoreDevice,
 * ListInstalledComponents, ListDeployments, GetDeployment; DescribeThingGroup, ListThingsInThingGroup), paged with
 * nextToken at the services' page sizes (100 core devices, 250 things).
 */
const REGION = 'eu-west-1';
const GROUP = 'Stack-ModelFleetResources-EdgeFleet';
const GROUP_ARN = `arn:aws:iot:${REGION}:123456789012:thinggroup/${GROUP}`;
const MODEL = 'modelfleet.Model.iris';
const SERVER = 'modelfleet.ModelServer';
const NODE = 'modelfleet.NodeRuntime';
const DEPLOYED = { [NODE]: '1.0.0', [SERVER]: '1.4.2', [MODEL]: '1.0.7' };

const iot = mockClient(IoTClient);
const greengrass = mockClient(GreengrassV2Client);

interface Device { name: string; status: 'HEALTHY' | 'UNHEALTHY'; model: string; core: boolean; listed: boolean }

function fleet(devices: Device[]): { calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const count = (name: string) => { calls[name] = (calls[name] ?? 0) + 1; };
  const byName = new Map(devices.map((d) => [d.name, d]));
  iot.reset();
  greengrass.reset();
  iot.on(DescribeThingGroupCommand).callsFake((input) => {
    count('DescribeThingGroup');
    if (input.thingGroupName !== GROUP) throw new IotResourceNotFound({ message: `ThingGroup ${input.thingGroupName} not found`, $metadata: {} });
    return { thingGroupName: GROUP, thingGroupArn: GROUP_ARN, thingGroupId: 'abc', version: 1 };
  });
  iot.on(ListThingsInThingGroupCommand).callsFake((input) => {
    count('ListThingsInThingGroup');
    const start = Number(input.nextToken ?? 0);
    const end = Math.min(devices.length, start + Math.min(input.maxResults ?? 25, 250));
    return { things: devices.slice(start, end).map((d) => d.name), nextToken: end < devices.length ? String(end) : undefined };
  });
  greengrass.on(ListDeploymentsCommand).callsFake(() => {
    count('ListDeployments');
    return { deployments: [{ deploymentId: 'd-1', deploymentName: 'fleet', targetArn: GROUP_ARN, isLatestForTarget: true,
      deploymentStatus: 'ACTIVE', creationTimestamp: new Date('2026-12-01T10:00:00Z') }] };
  });
  greengrass.on(GetDeploymentCommand).callsFake(() => {
    count('GetDeployment');
    return { deploymentId: 'd-1', deploymentName: 'fleet', targetArn: GROUP_ARN,
      components: Object.fromEntries(Object.entries(DEPLOYED).map(([n, v]) => [n, { componentVersion: v }])) };
  });
  const core = (d: Device) => ({ coreDeviceThingName: d.name, status: d.status,
    lastStatusUpdateTimestamp: new Date('2026-12-02T09:00:00Z'), platform: 'linux', architecture: 'aarch64', runtime: 'aws_nucleus_classic' });
  const listed = devices.filter((d) => d.listed);
  greengrass.on(ListCoreDevicesCommand).callsFake((input) => {
    count('ListCoreDevices');
    expect(input.thingGroupArn).toBe(GROUP_ARN);
    const start = Number(input.nextToken ?? 0);
    const end = Math.min(listed.length, start + Math.min(input.maxResults ?? 100, 100));
    return { coreDevices: listed.slice(start, end).map(core), nextToken: end < listed.length ? String(end) : undefined };
  });
  greengrass.on(GetCoreDeviceCommand).callsFake((input) => {
    count('GetCoreDevice');
    const d = byName.get(input.coreDeviceThingName!);
    if (!d?.core) {
      throw new ResourceNotFoundException({ message: 'no core device', $metadata: {}, resourceId: input.coreDeviceThingName!, resourceType: 'coreDevice' });
    }
    return core(d);
  });
  greengrass.on(ListInstalledComponentsCommand).callsFake((input) => {
    count('ListInstalledComponents');
    const d = byName.get(input.coreDeviceThingName!)!;
    expect(input.topologyFilter).toBe('ROOT');
    const all = [
      { componentName: NODE, componentVersion: '1.0.0', lifecycleState: 'FINISHED' },
      { componentName: SERVER, componentVersion: '1.4.2', lifecycleState: 'FINISHED' },
      { componentName: MODEL, componentVersion: d.model, lifecycleState: 'RUNNING' },
    ];
    // pi-01 answers in two pages, as a device with many root components does
    if (d.name !== 'pi-01') return { installedComponents: all };
    return input.nextToken ? { installedComponents: all.slice(2) } : { installedComponents: all.slice(0, 2), nextToken: 'p2' };
  });
  return { calls };
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const progress: string[] = [];
  return { out, err, progress, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l), progress: (l: string) => progress.push(l) } };
}

const SMALL: Device[] = [
  { name: 'pi-01', status: 'HEALTHY', model: '1.0.7', core: true, listed: true },
  { name: 'pi-02', status: 'UNHEALTHY', model: '1.0.7', core: true, listed: true },
  { name: 'pi-03', status: 'HEALTHY', model: '1.0.6', core: true, listed: false }, // still on the old model
  { name: 'pi-04', status: 'HEALTHY', model: '', core: false, listed: false }, // joined the group, never registered
];

describe('modelfleet fleet status', () => {
  afterAll(() => {
    iot.restore();
    greengrass.restore();
  });

  test('prints each device with health, last status, platform and the model version against the deployed one', async () => {
    fleet(SMALL);
    const c = io();
    const code = await run(['status', '--thing-group', GROUP, '--region', REGION], c.io);
    const text = c.out.join('\n');
    expect(text).toContain(`latest deployment d-1 of 2026-12-01T10:00:00.000Z: ${NODE} 1.0.0, ${SERVER} 1.4.2, ${MODEL} 1.0.7`);
    expect(c.out[2]).toMatch(/^DEVICE\s+HEALTH\s+LAST STATUS\s+PLATFORM\s+NodeRuntime\s+ModelServer\s+iris\s+DEPLOYED$/);
    expect(c.out.find((l) => l.startsWith('pi-01'))).toMatch(/^pi-01\s+HEALTHY\s+2026-12-02T09:00:00Z \(.* ago\)\s+linux\/aarch64\s+1\.0\.0\s+1\.4\.2\s+1\.0\.7\s+yes$/);
    expect(c.out.find((l) => l.startsWith('pi-02'))).toMatch(/UNHEALTHY/);
    expect(c.out.find((l) => l.startsWith('pi-03'))).toMatch(/1\.0\.6 \(not 1\.0\.7\)\s+NO$/);
    expect(c.out.find((l) => l.startsWith('pi-04'))).toMatch(/^pi-04\s+NOT_A_CORE_DEVICE\s+-\s+-\s+missing\s+missing\s+missing\s+NO$/);
    expect(c.out[c.out.length - 1]).toBe('4 devices: 2 healthy, 1 unhealthy, 1 not registered with Greengrass; 2 run the deployed versions; 3 need attention');
    expect(code).toBe(1);
  });

  test('--json prints one document with every device and a summary; exit 0 when all are healthy and up to date', async () => {
    fleet([SMALL[0]]);
    const c = io();
    const code = await run(['status', '--thing-group', GROUP, '--region', REGION, '--json', '--quiet'], c.io);
    const doc = JSON.parse(c.out.join('\n')) as FleetStatus;
    expect(doc.devices).toEqual([{
      thingName: 'pi-01', health: 'HEALTHY', lastStatusUpdate: '2026-12-02T09:00:00.000Z', platform: 'linux',
      architecture: 'aarch64', runtime: 'aws_nucleus_classic', ok: true,
      components: [
        { name: NODE, deployedVersion: '1.0.0', installedVersion: '1.0.0', lifecycleState: 'FINISHED', matches: true },
        { name: SERVER, deployedVersion: '1.4.2', installedVersion: '1.4.2', lifecycleState: 'FINISHED', matches: true },
        { name: MODEL, deployedVersion: '1.0.7', installedVersion: '1.0.7', lifecycleState: 'RUNNING', matches: true },
      ],
    }]);
    expect(doc.summary).toEqual({ devices: 1, healthy: 1, unhealthy: 0, notCoreDevices: 0, upToDate: 1, needAttention: 0 });
    expect(c.progress).toEqual([]);
    expect(code).toBe(0);
  });

  test('reads the thing group and region from the cdk deploy outputs file', async () => {
    fleet([SMALL[0]]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-status-'));
    const outputs = path.join(dir, 'outputs.json');
    fs.writeFileSync(outputs, JSON.stringify({ Stack: {
      ModelFleetResourcesEdgeFleetEdgeFleetThingGroupName1A2B3C4D: GROUP, ModelFleetResourcesEdgeFleetEdgeFleetRegion5E6F7A8B: REGION,
    } }));
    const c = io();
    expect(await run(['status', '--stack', 'Stack', '--outputs', outputs, '--quiet'], c.io)).toBe(0);
    expect(c.out[0]).toBe(`fleet ${GROUP} (${REGION})`);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('pages through 10,000 devices with progress, in bounded time and memory', async () => {
    const devices: Device[] = Array.from({ length: 10_000 }, (_, i) => ({
      name: `pi-${String(i).padStart(5, '0')}`, status: i % 50 === 0 ? 'UNHEALTHY' : 'HEALTHY',
      model: i % 100 === 7 ? '1.0.6' : '1.0.7', core: true, listed: i % 1000 !== 3,
    }));
    const { calls } = fleet(devices);
    const c = io();
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = process.hrtime.bigint();
    const code = await run(['status', '--thing-group', GROUP, '--region', REGION, '--json', '--concurrency', '16'], c.io);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
    const doc = JSON.parse(c.out.join('\n')) as FleetStatus;
    expect(doc.devices).toHaveLength(10_000);
    expect(doc.summary).toEqual({ devices: 10_000, healthy: 9_800, unhealthy: 200, notCoreDevices: 0, upToDate: 9_900, needAttention: 300 });
    expect(calls).toEqual({
      DescribeThingGroup: 1, ListDeployments: 1, GetDeployment: 1, ListThingsInThingGroup: 40, ListCoreDevices: 100,
      GetCoreDevice: 10, ListInstalledComponents: 10_000,
    });
    expect(c.progress).toContain('things in ' + GROUP + ': 250…');
    expect(c.progress).toContain('core devices: 9990');
    expect(c.progress).toContain('installed components read: 10000/10000');
    expect(code).toBe(1);
    process.stderr.write(`fleet status of 10,000 mocked devices: ${ms.toFixed(0)} ms, heap +${heapMb.toFixed(1)} MB\n`);
    expect(ms).toBeLessThan(30_000);
  }, 60_000);

  test('fails with what to do when there are no credentials', async () => {
    iot.reset();
    greengrass.reset();
    const err = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    iot.on(DescribeThingGroupCommand).rejects(err);
    const c = io();
    expect(await run(['status', '--thing-group', GROUP, '--region', REGION], c.io)).toBe(2);
    expect(c.err).toEqual(['modelfleet fleet status: no AWS credentials found: set AWS_PROFILE (and run \'aws sso login\' '
      + 'for an SSO profile), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, then run the command again']);
  });

  test('the built command, with the real SDK and no credentials anywhere, says how to give them (exit 2)', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'no-aws-'));
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: empty, AWS_CONFIG_FILE: path.join(empty, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(empty, 'credentials'), AWS_EC2_METADATA_DISABLED: 'true' };
    const cli = path.join(__dirname, '..', '..', 'dist', 'bin', 'modelfleet.js');
    const result = spawnSync(process.execPath, [cli, 'fleet', 'status', '--thing-group', GROUP, '--region', REGION],
      { env, encoding: 'utf8', timeout: 30_000 });
    fs.rmSync(empty, { recursive: true, force: true });
    expect(result.stderr).toContain('modelfleet fleet status: no AWS credentials found: set AWS_PROFILE');
    expect(result.status).toBe(2);
    const noRegion = spawnSync(process.execPath, [cli, 'fleet', 'status', '--thing-group', GROUP], { env, encoding: 'utf8', timeout: 30_000 });
    expect(noRegion.stderr).toContain('no AWS region: pass --region');
    expect(noRegion.status).toBe(2);
  });

  test('fails naming the permission when access is denied, and the group when it does not exist', async () => {
    fleet(SMALL);
    greengrass.on(ListCoreDevicesCommand).rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    const c = io();
    expect(await run(['status', '--thing-group', GROUP, '--region', REGION, '--quiet'], c.io)).toBe(2);
    expect(c.err[0]).toContain('access denied to greengrass:ListCoreDevices');
    const d = io();
    expect(await run(['status', '--thing-group', 'nope', '--region', REGION], d.io)).toBe(2);
    expect(d.err[0]).toContain(`there is no thing group 'nope' in ${REGION}`);
  });

  test('fails on usage errors with exit status 2', async () => {
    const c = io();
    expect(await run(['status'], c.io)).toBe(2);
    expect(c.err[0]).toContain('give the fleet: --thing-group NAME, or --stack NAME');
    expect(await run(['status', '--thing-group', GROUP, '--concurrency', '0'], c.io)).toBe(2);
    expect(c.err[1]).toContain("--concurrency must be a whole number from 1 to 64, got '0'");
    expect(await run(['nope'], c.io)).toBe(2);
  });
});
