/**
 * `modelfleet pi-bootstrap`: writes the bash script that joins a Raspberry Pi to an `EdgeFleet`, from the stack's
 * outputs (`cdk deploy --outputs-file cdk-outputs.json`) or from flags.
 */
import * as fs from 'node:fs';
import {
  BootstrapSettings, bootstrapSettingsProblems, PINNED_NUCLEUS, PINNED_PROVISIONING_PLUGIN, renderBootstrapScript,
} from '../../constructs/greengrass/fleet/bootstrap-script';
import { FLEET_OUTPUT_IDS, FleetOutputField } from '../../constructs/greengrass/fleet/outputs';

const USAGE = `usage: modelfleet pi-bootstrap --stack <name> [--outputs cdk-outputs.json] [--out bootstrap.sh] [options]

Writes the bash script that joins a fresh 64-bit Raspberry Pi OS device to an EdgeFleet.
Values come from the outputs file of 'cdk deploy --outputs-file' (default cdk-outputs.json, if present);
each can be given or overridden with a flag:
  --region R                   --thing-group NAME            --provisioning-template NAME
  --role-alias NAME            --iot-data-endpoint HOST      --iot-credential-endpoint HOST
  --claim-certificate-id ID    --claim-key-secret-arn ARN
Other options:
  --fleet PREFIX               which fleet, when the stack has several (the output key prefix, e.g. Fleet)
  --nucleus-version V          Greengrass nucleus to install (default: the pinned ${PINNED_NUCLEUS.version})
  --nucleus-sha256 HEX         SHA-256 of that version's zip (required for a version other than the pinned one)
  --provisioning-plugin-version V  fleet provisioning plugin (default: the pinned ${PINNED_PROVISIONING_PLUGIN.version})
  --provisioning-plugin-sha256 HEX SHA-256 of that version's jar (required for another version)
  --out FILE                   where to write the script (default: bootstrap.sh; '-' for standard output)
`;

const VALUE_FLAGS: Record<string, FleetOutputField> = {
  '--region': 'region',
  '--thing-group': 'thingGroupName',
  '--provisioning-template': 'provisioningTemplateName',
  '--role-alias': 'roleAlias',
  '--iot-data-endpoint': 'iotDataEndpoint',
  '--iot-credential-endpoint': 'iotCredentialEndpoint',
  '--claim-certificate-id': 'claimCertificateId',
  '--claim-key-secret-arn': 'claimKeySecretArn',
};
const OTHER_FLAGS = [
  '--stack', '--outputs', '--out', '--fleet', '--nucleus-version', '--nucleus-sha256', '--provisioning-plugin-version',
  '--provisioning-plugin-sha256',
];
const REQUIRED: FleetOutputField[] = [
  'region', 'thingGroupName', 'provisioningTemplateName', 'roleAlias', 'iotDataEndpoint', 'iotCredentialEndpoint',
];

/** A usage or input problem: reported with exit code 2. */
class UsageError extends Error {}

interface ParsedArgs {
  readonly options: Map<string, string>;
  readonly help: boolean;
}

function parseArgs(argv: string[]): ParsedArgs {
  const options = new Map<string, string>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!(flag in VALUE_FLAGS) && !OTHER_FLAGS.includes(flag)) {
      throw new UsageError(`unknown option '${arg}'`);
    }
    let value: string | undefined;
    if (eq > 0) {
      value = arg.slice(eq + 1);
    } else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined || (eq < 0 && value.startsWith('--'))) {
      throw new UsageError(`${flag} needs a value`);
    }
    options.set(flag, value);
  }
  return { options, help };
}

/** The fleet outputs found in one stack's outputs, by key prefix (the fleet's construct path). */
export function findFleetOutputs(stackOutputs: Record<string, unknown>): Map<string, Partial<Record<FleetOutputField, string>>> {
  const fields = Object.entries(FLEET_OUTPUT_IDS) as Array<[FleetOutputField, string]>;
  const fleets = new Map<string, Partial<Record<FleetOutputField, string>>>();
  for (const [key, value] of Object.entries(stackOutputs)) {
    if (typeof value !== 'string') {
      continue;
    }
    for (const [field, id] of fields) {
      const match = new RegExp(`^(.*?)${id}(?:[0-9A-F]{8})?$`).exec(key);
      if (match) {
        const fleet = fleets.get(match[1]) ?? {};
        fleet[field] = value;
        fleets.set(match[1], fleet);
        break;
      }
    }
  }
  return fleets;
}

function readOutputs(file: string, stack: string | undefined, fleet: string | undefined): Partial<Record<FleetOutputField, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read the outputs file ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`${file} is not a 'cdk deploy --outputs-file' JSON object`);
  }
  const stacks = parsed as Record<string, unknown>;
  const names = Object.keys(stacks);
  if (stack === undefined) {
    throw new UsageError(`--stack is required with an outputs file (stacks in ${file}: ${names.join(', ') || 'none'})`);
  }
  const outputs = stacks[stack];
  if (outputs === null || typeof outputs !== 'object') {
    throw new UsageError(`stack '${stack}' is not in ${file} (stacks: ${names.join(', ') || 'none'}). `
      + `Deploy it with 'cdk deploy ${stack} --outputs-file ${file}'`);
  }
  const fleets = findFleetOutputs(outputs as Record<string, unknown>);
  if (fleets.size === 0) {
    throw new UsageError(`stack '${stack}' has no EdgeFleet outputs in ${file}`);
  }
  if (fleet !== undefined) {
    const chosen = fleets.get(fleet);
    if (!chosen) {
      throw new UsageError(`no fleet '${fleet}' in stack '${stack}' (fleets: ${[...fleets.keys()].join(', ')})`);
    }
    return chosen;
  }
  if (fleets.size > 1) {
    throw new UsageError(`stack '${stack}' has several fleets (${[...fleets.keys()].join(', ')}): choose one with --fleet`);
  }
  return [...fleets.values()][0];
}

/** Builds the settings from the outputs file and the flags (flags win). */
export function resolveSettings(argv: string[]): { settings: BootstrapSettings; out: string } | 'help' {
  const { options, help } = parseArgs(argv);
  if (help) {
    return 'help';
  }
  const stack = options.get('--stack');
  const explicitOutputs = options.get('--outputs');
  const outputsFile = explicitOutputs ?? 'cdk-outputs.json';
  let values: Partial<Record<FleetOutputField, string>> = {};
  if (explicitOutputs !== undefined || (stack !== undefined && fs.existsSync(outputsFile))) {
    values = { ...readOutputs(outputsFile, stack, options.get('--fleet')) };
  }
  for (const [flag, field] of Object.entries(VALUE_FLAGS)) {
    const value = options.get(flag);
    if (value !== undefined) {
      values[field] = value;
    }
  }
  const missing = REQUIRED.filter((f) => !values[f]);
  if (missing.length > 0) {
    const flags = missing.map((f) => Object.keys(VALUE_FLAGS).find((k) => VALUE_FLAGS[k] === f)).join(', ');
    throw new UsageError(`missing ${flags}: give --stack with the outputs of 'cdk deploy --outputs-file', or these flags`);
  }
  if (!values.claimCertificateId && !values.claimKeySecretArn) {
    process.stderr.write('modelfleet pi-bootstrap: note: no claim certificate id or key secret: the device will need '
      + 'MODELFLEET_CLAIM_CERT and MODELFLEET_CLAIM_KEY files.\n');
  }
  const settings: BootstrapSettings = {
    stackName: stack,
    region: values.region as string,
    thingGroupName: values.thingGroupName as string,
    provisioningTemplateName: values.provisioningTemplateName as string,
    roleAlias: values.roleAlias as string,
    iotDataEndpoint: values.iotDataEndpoint as string,
    iotCredentialEndpoint: values.iotCredentialEndpoint as string,
    claimCertificateId: values.claimCertificateId,
    claimKeySecretArn: values.claimKeySecretArn,
    nucleusVersion: options.get('--nucleus-version'),
    nucleusSha256: options.get('--nucleus-sha256'),
    provisioningPluginVersion: options.get('--provisioning-plugin-version'),
    provisioningPluginSha256: options.get('--provisioning-plugin-sha256'),
  };
  const problems = bootstrapSettingsProblems(settings);
  if (problems.length > 0) {
    throw new UsageError(problems.join('; '));
  }
  return { settings, out: options.get('--out') ?? 'bootstrap.sh' };
}

/** Entry point used by `bin/modelfleet.ts`. */
export async function run(argv: string[]): Promise<number> {
  try {
    const resolved = resolveSettings(argv);
    if (resolved === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    const script = renderBootstrapScript(resolved.settings);
    if (resolved.out === '-') {
      process.stdout.write(script);
    } else {
      fs.writeFileSync(resolved.out, script, { mode: 0o755 });
      process.stderr.write(`modelfleet pi-bootstrap: wrote ${resolved.out} for thing group ${resolved.settings.thingGroupName}. `
        + `Copy it to the Pi and run: sudo bash ${resolved.out.split('/').pop()}\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`modelfleet pi-bootstrap: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
}
