/**
 * `modelfleet fleet status`: the core devices of an edge fleet (its IoT thing group) with their Greengrass health,
 * last status time, platform, and the version of each deployed component they run against the version the fleet's
 * latest deployment pins.
 *
 * Reads IoT (the thing group and its members) and Greengrass (the latest deployment, the core devices and their
 * installed components); it changes nothing.
 */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import {
  CoreDevice, GetCoreDeviceCommand, GetDeploymentCommand, GreengrassV2Client, ListCoreDevicesCommand,
  ListDeploymentsCommand, ListInstalledComponentsCommand,
} from '@aws-sdk/client-greengrassv2';
import { DescribeThingGroupCommand, IoTClient, ListThingsInThingGroupCommand } from '@aws-sdk/client-iot';
import { findFleetOutputs } from './pi-bootstrap';

const USAGE = `usage: modelfleet fleet status (--thing-group NAME | --stack NAME [--outputs FILE]) [options]

Lists the core devices of an edge fleet: Greengrass health, last status time, platform, and for each component of
the fleet's latest deployment the version the device runs and whether it is the deployed one.

  --thing-group NAME   the fleet's IoT thing group (the stack output EdgeFleetThingGroupName)
  --stack NAME         read the thing group and region from this stack in the outputs file
  --outputs FILE       the file of 'cdk deploy --outputs-file' (default: cdk-outputs.json)
  --fleet PREFIX       which fleet, when the stack has several (the output key prefix)
  --region REGION      the fleet's region (default: from the outputs, then the AWS environment)
  --json               print one JSON document instead of a table
  --concurrency N      devices whose components are read at once (default: 8)
  --quiet              no progress lines on standard error

Needs AWS credentials allowed iot:DescribeThingGroup, iot:ListThingsInThingGroup, greengrass:ListDeployments,
greengrass:GetDeployment, greengrass:ListCoreDevices, greengrass:GetCoreDevice and
greengrass:ListInstalledComponents.

Exit status: 0 when every device is HEALTHY and runs the deployed versions, 1 when any is not, 2 on a usage,
credentials or access error.
`;

/** Where the command writes: injectable for tests. */
export interface FleetIo {
  out(line: string): void;
  err(line: string): void;
  /** A progress line (standard error), rewritten in place on a terminal. */
  progress(line: string): void;
}

const STD_IO: FleetIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  progress: (line) => process.stderr.write(process.stderr.isTTY ? `\r\x1b[K${line}` : `${line}\n`),
};

/** A usage, credentials or access problem: exit status 2. */
class CommandError extends Error {}

interface Options {
  readonly thingGroup: string;
  readonly region?: string;
  readonly json: boolean;
  readonly concurrency: number;
  readonly quiet: boolean;
}

/** One component of the deployment on one device. */
export interface DeviceComponent {
  readonly name: string;
  readonly deployedVersion: string;
  /** The version the device runs; undefined when the device does not have the component. */
  readonly installedVersion?: string;
  readonly lifecycleState?: string;
  readonly matches: boolean;
}

/** One row of the status. */
export interface DeviceStatus {
  readonly thingName: string;
  /** HEALTHY, UNHEALTHY, or NOT_A_CORE_DEVICE (a member of the group that never registered with Greengrass). */
  readonly health: string;
  readonly lastStatusUpdate?: string;
  readonly platform?: string;
  readonly architecture?: string;
  readonly runtime?: string;
  readonly components: DeviceComponent[];
  /** Whether the device is HEALTHY and runs every deployed component at its deployed version. */
  readonly ok: boolean;
}

/** The whole answer (`--json`). */
export interface FleetStatus {
  readonly thingGroupName: string;
  readonly thingGroupArn: string;
  readonly region: string;
  readonly deployment?: { readonly id: string; readonly name?: string; readonly created?: string; readonly components: Record<string, string> };
  readonly devices: DeviceStatus[];
  readonly summary: { readonly devices: number; readonly healthy: number; readonly unhealthy: number; readonly notCoreDevices: number; readonly upToDate: number; readonly needAttention: number };
}

function parseOptions(argv: string[]): Options | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        'thing-group': { type: 'string' }, 'stack': { type: 'string' }, 'outputs': { type: 'string' },
        'fleet': { type: 'string' }, 'region': { type: 'string' }, 'json': { type: 'boolean' },
        'concurrency': { type: 'string' }, 'quiet': { type: 'boolean' }, 'help': { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (err) {
    throw new CommandError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) return undefined;
  const concurrency = v.concurrency === undefined ? 8 : Number(v.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new CommandError(`--concurrency must be a whole number from 1 to 64, got '${v.concurrency}'`);
  }
  let thingGroup = v['thing-group'];
  let region = v.region;
  if (thingGroup === undefined) {
    const file = v.outputs ?? 'cdk-outputs.json';
    if (v.stack === undefined) {
      throw new CommandError('give the fleet: --thing-group NAME, or --stack NAME with the outputs file of '
        + `'cdk deploy --outputs-file ${file}'`);
    }
    const fleet = fleetFromOutputs(file, v.stack, v.fleet);
    thingGroup = fleet.thingGroupName;
    region = region ?? fleet.region;
  }
  return { thingGroup, region, json: v.json ?? false, concurrency, quiet: v.quiet ?? false };
}

function fleetFromOutputs(file: string, stack: string, prefix: string | undefined): { thingGroupName: string; region?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CommandError(`cannot read the outputs file ${file} (${(err as Error).message}); write it with `
      + `'cdk deploy --outputs-file ${file}', or pass --thing-group`);
  }
  const stacks = (parsed ?? {}) as Record<string, unknown>;
  const outputs = stacks[stack];
  if (outputs === null || typeof outputs !== 'object') {
    throw new CommandError(`stack '${stack}' is not in ${file} (stacks: ${Object.keys(stacks).join(', ') || 'none'})`);
  }
  const fleets = findFleetOutputs(outputs as Record<string, unknown>);
  const names = [...fleets.keys()];
  const key = prefix ?? (names.length === 1 ? names[0] : undefined);
  const fleet = key === undefined ? undefined : fleets.get(key);
  if (!fleet?.thingGroupName) {
    throw new CommandError(names.length === 0
      ? `stack '${stack}' in ${file} has no edge fleet outputs`
      : `stack '${stack}' has ${names.length} fleets (${names.join(', ')}): choose one with --fleet`);
  }
  return { thingGroupName: fleet.thingGroupName, region: fleet.region };
}

/** Turns an AWS SDK error into what the user can do about it. */
export function explainAwsError(err: unknown, call: string, region: string | undefined): string {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? '';
  const message = e.message ?? String(err);
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return 'no AWS credentials found: set AWS_PROFILE (and run \'aws sso login\' for an SSO profile), or export '
      + 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, then run the command again';
  }
  if (/Region is missing/i.test(message)) {
    return 'no AWS region: pass --region (the fleet\'s region, the stack output EdgeFleetRegion) or set AWS_REGION';
  }
  if (/ExpiredToken|TokenRefreshRequired/.test(name) || /expired/i.test(message)) {
    return `the AWS credentials have expired (${call}: ${message}); refresh them (e.g. 'aws sso login') and run again`;
  }
  if (['UnrecognizedClientException', 'InvalidSignatureException', 'InvalidClientTokenId', 'SignatureDoesNotMatch'].includes(name)) {
    return `AWS rejected the credentials (${call}: ${name}); check AWS_PROFILE or the access key, and that it belongs `
      + `to the fleet's account${region ? ` and works in ${region}` : ''}`;
  }
  if (name === 'AccessDeniedException' || name === 'UnauthorizedException' || e.$metadata?.httpStatusCode === 403) {
    return `access denied to ${call}: the caller needs ${call} (and the other permissions 'modelfleet fleet status `
      + '--help\' lists)';
  }
  return `${call} failed: ${name ? `${name}: ` : ''}${message}`;
}

async function aws<T>(call: string, region: string | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if ((err as { name?: string }).name === 'ResourceNotFoundException') throw err;
    throw new CommandError(explainAwsError(err, call, region));
  }
}

/** Runs `modelfleet fleet`; returns the exit status. */
export async function run(argv: string[], io: FleetIo = STD_IO): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') {
    io.out(USAGE);
    return sub ? 0 : 2;
  }
  if (sub !== 'status') {
    io.err(`modelfleet fleet: unknown sub-command '${sub}'; use 'modelfleet fleet status'`);
    return 2;
  }
  try {
    const options = parseOptions(rest);
    if (!options) {
      io.out(USAGE);
      return 0;
    }
    const status = await fleetStatus(options, options.quiet ? { ...io, progress: () => undefined } : io);
    if (options.json) io.out(JSON.stringify(status, undefined, 2));
    else printTable(status, io);
    return status.summary.needAttention === 0 ? 0 : 1;
  } catch (err) {
    if (err instanceof CommandError) {
      io.err(`modelfleet fleet status: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

/** Reads the status of the fleet. */
export async function fleetStatus(options: Options, io: FleetIo): Promise<FleetStatus> {
  const clientConfig = { region: options.region, maxAttempts: 8 };
  const iot = new IoTClient(clientConfig);
  const greengrass = new GreengrassV2Client(clientConfig);
  const region = options.region ?? await aws('region', undefined, () => iot.config.region());

  // ---- the group and its latest deployment ----
  let thingGroupArn: string;
  try {
    const group = await aws('iot:DescribeThingGroup', region,
      () => iot.send(new DescribeThingGroupCommand({ thingGroupName: options.thingGroup })));
    thingGroupArn = group.thingGroupArn!;
  } catch (err) {
    if ((err as { name?: string }).name === 'ResourceNotFoundException') {
      throw new CommandError(`there is no thing group '${options.thingGroup}' in ${region}: check --thing-group and `
        + '--region (the stack outputs EdgeFleetThingGroupName and EdgeFleetRegion)');
    }
    throw err;
  }
  const deployments = await aws('greengrass:ListDeployments', region, () => greengrass.send(new ListDeploymentsCommand({
    targetArn: thingGroupArn, historyFilter: 'LATEST_ONLY',
  })));
  const latest = (deployments.deployments ?? []).find((d) => d.isLatestForTarget) ?? deployments.deployments?.[0];
  let deployed: Record<string, string> = {};
  let deployment: FleetStatus['deployment'];
  if (latest?.deploymentId) {
    const got = await aws('greengrass:GetDeployment', region,
      () => greengrass.send(new GetDeploymentCommand({ deploymentId: latest.deploymentId! })));
    deployed = Object.fromEntries(Object.entries(got.components ?? {}).map(([name, spec]) => [name, spec.componentVersion ?? '']));
    deployment = {
      id: latest.deploymentId, name: got.deploymentName ?? latest.deploymentName,
      created: (got.creationTimestamp ?? latest.creationTimestamp)?.toISOString(), components: deployed,
    };
  }

  // ---- members of the group, and the core devices Greengrass knows in it ----
  const members: string[] = [];
  let token: string | undefined;
  do {
    const page = await aws('iot:ListThingsInThingGroup', region, () => iot.send(new ListThingsInThingGroupCommand({
      thingGroupName: options.thingGroup, maxResults: 250, nextToken: token,
    })));
    members.push(...page.things ?? []);
    token = page.nextToken;
    io.progress(`things in ${options.thingGroup}: ${members.length}${token ? '…' : ''}`);
  } while (token);

  const cores = new Map<string, CoreDevice>();
  token = undefined;
  do {
    const page = await aws('greengrass:ListCoreDevices', region, () => greengrass.send(new ListCoreDevicesCommand({
      thingGroupArn, maxResults: 100, nextToken: token,
    })));
    for (const device of page.coreDevices ?? []) cores.set(device.coreDeviceThingName!, device);
    token = page.nextToken;
    io.progress(`core devices: ${cores.size}${token ? '…' : ''}`);
  } while (token);
  // ListCoreDevices with a thing group lists only devices that applied a deployment to it: ask about the others.
  const names = [...new Set([...members, ...cores.keys()])].sort();

  // ---- each device's components ----
  const devices: DeviceStatus[] = new Array(names.length);
  let done = 0;
  let lastProgress = 0;
  await pool(names.length, options.concurrency, async (i) => {
    const thingName = names[i];
    let core = cores.get(thingName);
    if (!core) {
      try {
        core = await aws('greengrass:GetCoreDevice', region,
          () => greengrass.send(new GetCoreDeviceCommand({ coreDeviceThingName: thingName })));
      } catch (err) {
        if ((err as { name?: string }).name !== 'ResourceNotFoundException') throw err;
      }
    }
    devices[i] = core ? await deviceStatus(greengrass, region, core, deployed) : notACoreDevice(thingName, deployed);
    done++;
    const now = Date.now();
    if (done === names.length || now - lastProgress >= 1000) {
      lastProgress = now;
      io.progress(`installed components read: ${done}/${names.length}`);
    }
  });
  if (names.length > 0) io.progress('\n');

  const healthy = devices.filter((d) => d.health === 'HEALTHY').length;
  const notCore = devices.filter((d) => d.health === 'NOT_A_CORE_DEVICE').length;
  const upToDate = devices.filter((d) => d.components.every((c) => c.matches)).length;
  return {
    thingGroupName: options.thingGroup,
    thingGroupArn,
    region,
    deployment,
    devices,
    summary: {
      devices: devices.length, healthy, unhealthy: devices.length - healthy - notCore, notCoreDevices: notCore,
      upToDate, needAttention: devices.filter((d) => !d.ok).length,
    },
  };
}

async function deviceStatus(greengrass: GreengrassV2Client, region: string, core: CoreDevice,
  deployed: Record<string, string>): Promise<DeviceStatus> {
  const thingName = core.coreDeviceThingName!;
  const installed = new Map<string, { version?: string; state?: string }>();
  let token: string | undefined;
  do {
    const page = await aws('greengrass:ListInstalledComponents', region, () => greengrass.send(new ListInstalledComponentsCommand({
      coreDeviceThingName: thingName, topologyFilter: 'ROOT', maxResults: 100, nextToken: token,
    })));
    for (const c of page.installedComponents ?? []) {
      installed.set(c.componentName!, { version: c.componentVersion, state: c.lifecycleState });
    }
    token = page.nextToken;
  } while (token);
  const components = Object.entries(deployed).map(([name, version]) => {
    const got = installed.get(name);
    return { name, deployedVersion: version, installedVersion: got?.version, lifecycleState: got?.state, matches: got?.version === version };
  });
  const health = core.status ?? 'UNKNOWN';
  return {
    thingName,
    health,
    lastStatusUpdate: core.lastStatusUpdateTimestamp?.toISOString(),
    platform: core.platform,
    architecture: core.architecture,
    runtime: core.runtime,
    components,
    ok: health === 'HEALTHY' && components.every((c) => c.matches),
  };
}

function notACoreDevice(thingName: string, deployed: Record<string, string>): DeviceStatus {
  return {
    thingName,
    health: 'NOT_A_CORE_DEVICE',
    components: Object.entries(deployed).map(([name, version]) => ({ name, deployedVersion: version, matches: false })),
    ok: false,
  };
}

/** Runs `task(0..count-1)` with at most `limit` at once; the first error stops the rest and is thrown. */
async function pool(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < count) {
      const i = next++;
      try {
        await task(i);
      } catch (err) {
        failed = failed ?? err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  if (failed !== undefined) throw failed;
}

function age(iso: string | undefined, now: number): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  const text = s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : s < 172800 ? `${Math.round(s / 3600)}h` : `${Math.round(s / 86400)}d`;
  return `${iso.slice(0, 19)}Z (${text} ago)`;
}

/** Short names of the deployed components: the model components' `Model.<name>` and the rest's last part. */
function shortName(name: string): string {
  const model = /\.Model\.(.+)$/.exec(name);
  return model ? model[1] : name.split('.').pop() ?? name;
}

function printTable(status: FleetStatus, io: FleetIo): void {
  const now = Date.now();
  const components = Object.keys(status.deployment?.components ?? {});
  io.out(`fleet ${status.thingGroupName} (${status.region})`);
  io.out(status.deployment
    ? `latest deployment ${status.deployment.id}${status.deployment.created ? ` of ${status.deployment.created}` : ''}: `
      + components.map((c) => `${c} ${status.deployment!.components[c]}`).join(', ')
    : 'no deployment targets this thing group yet');
  const header = ['DEVICE', 'HEALTH', 'LAST STATUS', 'PLATFORM', ...components.map(shortName), 'DEPLOYED'];
  const rows = status.devices.map((d) => [
    d.thingName, d.health, age(d.lastStatusUpdate, now),
    d.platform ? `${d.platform}/${d.architecture ?? '?'}` : '-',
    ...d.components.map((c) => c.installedVersion === undefined ? 'missing' : c.matches ? c.installedVersion : `${c.installedVersion} (not ${c.deployedVersion})`),
    d.components.every((c) => c.matches) ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  io.out(line(header));
  for (const row of rows) io.out(line(row));
  const s = status.summary;
  io.out(`${s.devices} devices: ${s.healthy} healthy, ${s.unhealthy} unhealthy, ${s.notCoreDevices} not registered `
    + `with Greengrass; ${s.upToDate} run the deployed versions; ${s.needAttention} need attention`);
}
