import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findFleetOutputs, run } from '../../bin/commands/pi-bootstrap';

const CERT_ID = 'ab'.repeat(32);
const SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:FleetClaimKeySecret-AbCdEf';

/** Outputs as `cdk deploy --outputs-file` writes them for an EdgeFleet with id `prefix`. */
function fleetOutputs(prefix: string, group: string): Record<string, string> {
  return {
    [`${prefix}EdgeFleetRegion2577AF90`]: 'eu-west-1',
    [`${prefix}EdgeFleetThingGroupName1D46570D`]: group,
    [`${prefix}EdgeFleetProvisioningTemplateName39C4F1CE`]: `${group}-tpl`,
    [`${prefix}EdgeFleetRoleAlias2157D74B`]: `${group}-TokenExchange`,
    [`${prefix}EdgeFleetIotDataEndpoint94639E5A`]: 'a1b2c3-ats.iot.eu-west-1.amazonaws.com',
    [`${prefix}EdgeFleetIotCredentialEndpoint0C4009C3`]: 'c1d2e3.credentials.iot.eu-west-1.amazonaws.com',
    [`${prefix}EdgeFleetClaimCertificateArn81E6E84E`]: `arn:aws:iot:eu-west-1:111111111111:cert/${CERT_ID}`,
    [`${prefix}EdgeFleetClaimCertificateId9C8837EC`]: CERT_ID,
    [`${prefix}EdgeFleetClaimKeySecretArn624BDB0C`]: SECRET,
  };
}

describe('modelfleet pi-bootstrap', () => {
  let dir: string;
  let stderr: string;
  let stdout: string;
  let cwd: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-bootstrap-cli-'));
    cwd = process.cwd();
    process.chdir(dir);
    stderr = '';
    stdout = '';
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => { stderr += String(chunk); return true; });
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { stdout += String(chunk); return true; });
  });

  afterEach(() => {
    jest.restoreAllMocks();
    process.chdir(cwd);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function writeOutputs(content: unknown, file = 'cdk-outputs.json'): string {
    fs.writeFileSync(path.join(dir, file), JSON.stringify(content));
    return file;
  }

  test('writes an executable bootstrap.sh from the stack\'s outputs in cdk-outputs.json', async () => {
    writeOutputs({ EdgeStack: { ...fleetOutputs('Fleet', 'pis'), EndpointUrl: 'https://x' }, Other: {} });
    expect(await run(['--stack', 'EdgeStack'])).toBe(0);
    const script = fs.readFileSync(path.join(dir, 'bootstrap.sh'), 'utf8');
    expect(fs.statSync(path.join(dir, 'bootstrap.sh')).mode & 0o111).not.toBe(0);
    for (const line of [
      "readonly FLEET_REGION='eu-west-1'",
      "readonly THING_GROUP_NAME='pis'",
      "readonly PROVISIONING_TEMPLATE='pis-tpl'",
      "readonly IOT_ROLE_ALIAS='pis-TokenExchange'",
      "readonly IOT_DATA_ENDPOINT='a1b2c3-ats.iot.eu-west-1.amazonaws.com'",
      "readonly IOT_CRED_ENDPOINT='c1d2e3.credentials.iot.eu-west-1.amazonaws.com'",
      `readonly CLAIM_CERTIFICATE_ID='${CERT_ID}'`,
      `readonly CLAIM_KEY_SECRET_ARN='${SECRET}'`,
    ]) {
      expect(script.split('\n')).toContain(line);
    }
    expect(script).toContain('(stack EdgeStack, eu-west-1)');
    expect(stderr).toContain('wrote bootstrap.sh for thing group pis');
  });

  test('reads another outputs file, writes where --out says, and lets flags override outputs', async () => {
    const file = writeOutputs({ EdgeStack: fleetOutputs('Fleet', 'pis') }, 'out.json');
    expect(await run(['--stack', 'EdgeStack', '--outputs', file, '--out', 'join.sh', '--role-alias=other-alias',
      '--nucleus-version', '2.14.3', '--nucleus-sha256', 'e'.repeat(64)])).toBe(0);
    const script = fs.readFileSync(path.join(dir, 'join.sh'), 'utf8');
    expect(script).toContain("readonly IOT_ROLE_ALIAS='other-alias'");
    expect(script).toContain('/releases/greengrass-2.14.3.zip');
    expect(script).toContain(`readonly NUCLEUS_SHA256='${'e'.repeat(64)}'`);
  });

  test('fails on a nucleus version other than the pinned one without its digest', async () => {
    writeOutputs({ EdgeStack: fleetOutputs('Fleet', 'pis') });
    expect(await run(['--stack', 'EdgeStack', '--nucleus-version', '2.14.3'])).toBe(2);
    expect(stderr).toContain('give its SHA-256 too (--nucleus-sha256)');
  });

  test('writes the script to standard output with --out -', async () => {
    writeOutputs({ EdgeStack: fleetOutputs('Fleet', 'pis') });
    expect(await run(['--stack', 'EdgeStack', '--out', '-'])).toBe(0);
    expect(stdout.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(fs.existsSync(path.join(dir, 'bootstrap.sh'))).toBe(false);
  });

  test('works from flags alone, without an outputs file', async () => {
    expect(await run(['--region', 'eu-west-1', '--thing-group', 'pis', '--provisioning-template', 'tpl', '--role-alias', 'alias',
      '--iot-data-endpoint', 'a-ats.iot.eu-west-1.amazonaws.com', '--iot-credential-endpoint', 'c.credentials.iot.eu-west-1.amazonaws.com',
      '--out', '-'])).toBe(0);
    expect(stdout).toContain("readonly CLAIM_KEY_SECRET_ARN=''");
    expect(stderr).toContain('MODELFLEET_CLAIM_CERT and MODELFLEET_CLAIM_KEY');
  });

  test('chooses among several fleets of a stack with --fleet', async () => {
    writeOutputs({ EdgeStack: { ...fleetOutputs('Kitchen', 'kitchen'), ...fleetOutputs('GardenFleet', 'garden') } });
    expect(await run(['--stack', 'EdgeStack'])).toBe(2);
    expect(stderr).toContain("stack 'EdgeStack' has several fleets (Kitchen, GardenFleet): choose one with --fleet");
    expect(await run(['--stack', 'EdgeStack', '--fleet', 'GardenFleet', '--out', '-'])).toBe(0);
    expect(stdout).toContain("readonly THING_GROUP_NAME='garden'");
  });

  test.each<[string, string[], unknown, string]>([
    ['fails when the stack is not in the outputs', ['--stack', 'Nope'], { EdgeStack: {} }, "stack 'Nope' is not in cdk-outputs.json (stacks: EdgeStack)"],
    ['fails when the stack has no fleet', ['--stack', 'EdgeStack'], { EdgeStack: { Url: 'x' } }, "stack 'EdgeStack' has no EdgeFleet outputs"],
    ['fails when --outputs is given without --stack', ['--outputs', 'cdk-outputs.json'], { EdgeStack: {} }, '--stack is required with an outputs file'],
    ['fails when values are missing', ['--region', 'eu-west-1'], undefined, 'missing --thing-group, --provisioning-template, --role-alias'],
    ['fails on an unknown option', ['--stak', 'EdgeStack'], undefined, "unknown option '--stak'"],
    ['fails when an option has no value', ['--stack'], undefined, '--stack needs a value'],
    ['fails on a value that is not safe to write into the script', ['--stack', 'EdgeStack', '--region', "eu'west"],
      { EdgeStack: fleetOutputs('Fleet', 'pis') }, "region must be an AWS Region such as eu-west-1, got 'eu'west'"],
  ])('%s', async (_name, argv, outputs, message) => {
    if (outputs !== undefined) {
      writeOutputs(outputs);
    }
    expect(await run(argv)).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).toContain('usage: modelfleet pi-bootstrap');
    expect(fs.existsSync(path.join(dir, 'bootstrap.sh'))).toBe(false);
  });

  test('prints the usage with --help', async () => {
    expect(await run(['--help'])).toBe(0);
    expect(stdout).toContain('usage: modelfleet pi-bootstrap --stack <name>');
  });

  test('groups outputs by fleet prefix and ignores unrelated outputs', () => {
    const found = findFleetOutputs({ ...fleetOutputs('A', 'a'), AEdgeFleetRegionX: 'no', Unrelated: 'x', Num: 3 });
    expect([...found.keys()]).toEqual(['A']);
    expect(found.get('A')).toMatchObject({ region: 'eu-west-1', thingGroupName: 'a', claimCertificateId: CERT_ID });
  });
});
