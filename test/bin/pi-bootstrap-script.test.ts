import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BootstrapSettings, renderBootstrapScript } from '../../constructs/greengrass/fleet/bootstrap-script';

const SETTINGS: BootstrapSettings = {
  stackName: 'EdgeStack',
  region: 'eu-west-1',
  thingGroupName: 'EdgeStack-Fleet-790C261F',
  provisioningTemplateName: 'EdgeStack-Fleet-790C261F',
  roleAlias: 'EdgeStack-Fleet-790C261F-TokenExchange',
  iotDataEndpoint: 'a1b2c3-ats.iot.eu-west-1.amazonaws.com',
  iotCredentialEndpoint: 'c1d2e3.credentials.iot.eu-west-1.amazonaws.com',
  claimCertificateId: 'ab'.repeat(32),
  claimKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:FleetClaimKeySecret-AbCdEf',
};
const CSR_SETTINGS: BootstrapSettings = { ...SETTINGS, claimKeySecretArn: undefined };
const CERT_PEM = '-----BEGIN CERTIFICATE-----\nclaim\n-----END CERTIFICATE-----';
const KEY_PEM = '-----BEGIN RSA PRIVATE KEY-----\nclaim\n-----END RSA PRIVATE KEY-----';
/** Real tools the script and the stubs may use; everything else on PATH is a stub. */
const REAL_TOOLS = ['bash', 'sh', 'tr', 'cut', 'install', 'grep', 'chmod', 'rm', 'cat', 'mkdir', 'touch', 'mv', 'env'];

function findShellcheck(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/bin', '/usr/local/bin'])) {
    const candidate = path.join(dir, 'shellcheck');
    if (dir && fs.existsSync(candidate)) {
      return candidate;
    }
  }
  throw new Error('shellcheck is not installed, and this test needs it (it is not skipped): '
    + 'install it with `apt-get install -y shellcheck` (CI does so in .ci/run).');
}

/** A fake device: stub commands on PATH, a temp root, and a log of every stubbed call. */
class Sandbox {
  public readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-bootstrap-'));
  public readonly bin = path.join(this.dir, 'bin');
  public readonly root = path.join(this.dir, 'greengrass', 'v2');
  public readonly installer = path.join(this.dir, 'installer');
  public readonly log = path.join(this.dir, 'calls.log');
  public readonly script = path.join(this.dir, 'bootstrap.sh');

  constructor(settings: BootstrapSettings, options: { machine?: string; arch?: string; java?: boolean; javaWritesConfig?: boolean } = {}) {
    const sys = path.join(this.dir, 'sys');
    fs.mkdirSync(this.bin);
    fs.mkdirSync(sys);
    for (const tool of REAL_TOOLS) {
      const real = ['/usr/bin', '/bin'].map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
      if (!real) {
        throw new Error(`the sandbox needs ${tool}`);
      }
      fs.symlinkSync(real, path.join(sys, tool));
    }
    fs.writeFileSync(path.join(this.dir, 'machine-id'), '0123456789abcdef0123456789abcdef\n');
    fs.writeFileSync(this.script, renderBootstrapScript(settings));
    const record = `printf '%s\\n' "\${0##*/} $*" >> ${JSON.stringify(this.log)}`;
    const javaStub = `#!/bin/bash
${record}
if [ "${options.javaWritesConfig === false ? 'no' : 'yes'}" = yes ]; then
  for arg in "$@"; do case "$arg" in -Droot=*) root="\${arg#-Droot=}";; esac; done
  mkdir -p "$root/config" && touch "$root/config/config.tlog"
fi
`;
    const javaStubFile = path.join(this.dir, 'java.stub');
    const certFile = path.join(this.dir, 'aws-cert.pem');
    const keyFile = path.join(this.dir, 'aws-key.pem');
    fs.writeFileSync(javaStubFile, javaStub);
    fs.writeFileSync(certFile, `${CERT_PEM}\n`);
    fs.writeFileSync(keyFile, `${KEY_PEM}\n`);
    const stubs: Record<string, string> = {
      uname: `${record}\nprintf '%s\\n' ${JSON.stringify(options.machine ?? 'aarch64')}`,
      dpkg: `${record}\nprintf '%s\\n' ${JSON.stringify(options.arch ?? 'arm64')}`,
      id: `${record}\nprintf '0\\n'`,
      'apt-get': `${record}\ncase "$*" in *default-jre-headless*) cat ${JSON.stringify(javaStubFile)} > ${JSON.stringify(path.join(this.bin, 'java'))}; chmod +x ${JSON.stringify(path.join(this.bin, 'java'))};; esac`,
      curl: `${record}\nwhile [ $# -gt 0 ]; do if [ "$1" = -o ]; then out="$2"; shift; fi; url="$1"; shift; done\n`
        + `case "$url" in *AmazonRootCA1.pem) printf -- '-----BEGIN CERTIFICATE-----\\nroot\\n' > "$out";; *) printf 'zip' > "$out";; esac`,
      unzip: `${record}\nwhile [ $# -gt 0 ]; do if [ "$1" = -d ]; then dest="$2"; shift; fi; shift; done\nmkdir -p "$dest/lib" && printf 'jar' > "$dest/lib/Greengrass.jar"`,
      systemctl: record,
      aws: `${record}\ncase "$1 $2" in "iot describe-certificate") cat ${JSON.stringify(certFile)};; `
        + `"secretsmanager get-secret-value") cat ${JSON.stringify(keyFile)};; *) exit 9;; esac`,
    };
    if (options.java !== false) {
      stubs.java = javaStub.replace('#!/bin/bash\n', '');
    }
    for (const [name, body] of Object.entries(stubs)) {
      fs.writeFileSync(path.join(this.bin, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
    }
    this.path = `${this.bin}:${sys}`;
  }

  private readonly path: string;

  public run(env: Record<string, string> = {}): { status: number | null; stderr: string } {
    const result = spawnSync(path.join(this.dir, 'sys', 'bash'), [this.script], {
      env: {
        PATH: this.path,
        HOME: this.dir,
        MODELFLEET_GG_ROOT: this.root,
        MODELFLEET_INSTALL_DIR: this.installer,
        MODELFLEET_MACHINE_ID_FILE: path.join(this.dir, 'machine-id'),
        ...env,
      },
      encoding: 'utf8',
    });
    return { status: result.status, stderr: result.stderr };
  }

  public calls(): string[] {
    return fs.existsSync(this.log) ? fs.readFileSync(this.log, 'utf8').trim().split('\n') : [];
  }

  public cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

describe('pi bootstrap script', () => {
  const sandboxes: Sandbox[] = [];
  function sandbox(settings: BootstrapSettings = SETTINGS, options: ConstructorParameters<typeof Sandbox>[1] = {}): Sandbox {
    const s = new Sandbox(settings, options);
    sandboxes.push(s);
    return s;
  }
  afterAll(() => sandboxes.forEach((s) => s.cleanup()));

  test.each([
    ['a generated claim certificate', SETTINGS],
    ['a CSR claim certificate and a pinned nucleus', { ...CSR_SETTINGS, nucleusVersion: '2.14.3' }],
  ])('is shellcheck-clean for %s', (_name, settings) => {
    const shellcheck = findShellcheck();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pi-bootstrap-sc-')), 'bootstrap.sh');
    fs.writeFileSync(file, renderBootstrapScript(settings));
    const result = spawnSync(shellcheck, ['--shell=bash', '--severity=style', file], { encoding: 'utf8' });
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
    expect(result.error).toBeUndefined();
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });

  test('starts with strict mode and pins the downloads to AWS\'s Greengrass releases over https', () => {
    const script = renderBootstrapScript({ ...SETTINGS, nucleusVersion: '2.14.3' });
    expect(script.split('\n').slice(0, 20)).toContain('set -euo pipefail');
    expect(script).toContain("readonly NUCLEUS_URL='https://d2s8p88vqu9w66.cloudfront.net/releases/greengrass-2.14.3.zip'");
    expect(script).toContain("readonly PLUGIN_URL='https://d2s8p88vqu9w66.cloudfront.net/releases/aws-greengrass-FleetProvisioningByClaim/fleetprovisioningbyclaim-latest.jar'");
    expect(renderBootstrapScript(SETTINGS)).toContain('/releases/greengrass-nucleus-latest.zip');
  });

  test.each([
    ['armv7l', 'armhf'],
    ['aarch64', 'armhf'],
    ['armv6l', 'armhf'],
  ])('fails on a 32-bit OS (uname -m %s, dpkg %s) with a clear message, before changing anything', (machine, arch) => {
    const s = sandbox(SETTINGS, { machine, arch });
    const result = s.run();
    expect(result.status).toBe(3);
    expect(result.stderr).toContain(`32-bit or unsupported OS (uname -m: ${machine}, dpkg architecture: ${arch})`);
    expect(result.stderr).toContain('64-bit Raspberry Pi OS (arm64)');
    expect(s.calls().filter((c) => !/^(uname|dpkg) /.test(c))).toEqual([]);
    expect(fs.existsSync(s.root)).toBe(false);
  });

  test('provisions a fresh 64-bit Pi: claim credentials with mode 600, config.yaml, installer as a system service', () => {
    const s = sandbox();
    const result = s.run();
    expect(result.stderr).toContain('provisioning EdgeStack-Fleet-790C261F-0123456789ab into EdgeStack-Fleet-790C261F');
    expect(result.status).toBe(0);

    const claimDir = path.join(s.root, 'claim-certs');
    expect(fs.readFileSync(path.join(claimDir, 'claim.pem.crt'), 'utf8')).toBe(`${CERT_PEM}\n`);
    expect(fs.readFileSync(path.join(claimDir, 'claim.private.pem.key'), 'utf8')).toBe(`${KEY_PEM}\n`);
    expect(fs.statSync(path.join(claimDir, 'claim.pem.crt')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(claimDir, 'claim.private.pem.key')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(claimDir).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(path.join(s.root, 'AmazonRootCA1.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');

    expect(fs.readFileSync(path.join(s.installer, 'config.yaml'), 'utf8')).toBe(`---
services:
  aws.greengrass.FleetProvisioningByClaim:
    configuration:
      rootPath: '${s.root}'
      awsRegion: 'eu-west-1'
      iotDataEndpoint: 'a1b2c3-ats.iot.eu-west-1.amazonaws.com'
      iotCredentialEndpoint: 'c1d2e3.credentials.iot.eu-west-1.amazonaws.com'
      iotRoleAlias: 'EdgeStack-Fleet-790C261F-TokenExchange'
      provisioningTemplate: 'EdgeStack-Fleet-790C261F'
      claimCertificatePath: '${claimDir}/claim.pem.crt'
      claimCertificatePrivateKeyPath: '${claimDir}/claim.private.pem.key'
      rootCaPath: '${s.root}/AmazonRootCA1.pem'
      templateParameters:
        ThingName: 'EdgeStack-Fleet-790C261F-0123456789ab'
        ThingGroupName: 'EdgeStack-Fleet-790C261F'
`);
    const calls = s.calls();
    expect(calls).toContain(`aws iot describe-certificate --region eu-west-1 --certificate-id ${'ab'.repeat(32)} `
      + '--query certificateDescription.certificatePem --output text');
    expect(calls).toContain(`aws secretsmanager get-secret-value --region eu-west-1 --secret-id ${SETTINGS.claimKeySecretArn} `
      + '--query SecretString --output text');
    expect(calls.filter((c) => c.startsWith('curl ')).map((c) => c.split(' ').pop())).toEqual([
      'https://d2s8p88vqu9w66.cloudfront.net/releases/greengrass-nucleus-latest.zip',
      'https://d2s8p88vqu9w66.cloudfront.net/releases/aws-greengrass-FleetProvisioningByClaim/fleetprovisioningbyclaim-latest.jar',
      'https://www.amazontrust.com/repository/AmazonRootCA1.pem',
    ]);
    expect(calls.filter((c) => c.startsWith('java '))).toEqual([
      `java -Droot=${s.root} -Dlog.store=FILE -jar ${s.installer}/GreengrassInstaller/lib/Greengrass.jar `
      + `--trusted-plugin ${s.installer}/aws.greengrass.FleetProvisioningByClaim.jar --init-config ${s.installer}/config.yaml `
      + '--component-default-user ggc_user:ggc_group --setup-system-service true',
    ]);
    expect(calls.some((c) => c.startsWith('apt-get'))).toBe(false);
    expect(fs.readFileSync(path.join(s.root, '.modelfleet-provisioned'), 'utf8')).toBe('EdgeStack-Fleet-790C261F-0123456789ab\n');
  });

  test('never runs --init-config again on a provisioned device, only makes sure the service runs', () => {
    const s = sandbox();
    expect(s.run().status).toBe(0);
    const first = s.calls().length;
    const again = s.run();
    expect(again.status).toBe(0);
    expect(again.stderr).toContain('already provisioned');
    const second = s.calls().slice(first);
    expect(second.filter((c) => !/^(uname|dpkg|id) /.test(c))).toEqual(['systemctl enable --now greengrass.service']);
    expect(s.calls().filter((c) => c.includes('--init-config'))).toHaveLength(1);
  });

  test('recognizes a device provisioned by this script even before Greengrass wrote its configuration', () => {
    const s = sandbox(SETTINGS, { javaWritesConfig: false });
    expect(s.run().status).toBe(0);
    expect(fs.existsSync(path.join(s.root, 'config'))).toBe(false);
    expect(s.run().status).toBe(0);
    expect(s.calls().filter((c) => c.includes('--init-config'))).toHaveLength(1);
  });

  test('installs the headless JRE with apt when Java is missing', () => {
    const s = sandbox(SETTINGS, { java: false });
    const result = s.run({ MODELFLEET_THING_NAME: 'pi-kitchen' });
    expect(result.status).toBe(0);
    const calls = s.calls();
    expect(calls).toContain('apt-get update -q');
    expect(calls).toContain('apt-get install -y -q --no-install-recommends default-jre-headless');
    expect(calls.filter((c) => c.startsWith('java '))).toHaveLength(1);
    expect(fs.readFileSync(path.join(s.installer, 'config.yaml'), 'utf8')).toContain("ThingName: 'pi-kitchen'");
  });

  test('accepts a 64-bit x86 gateway', () => {
    const s = sandbox(SETTINGS, { machine: 'x86_64', arch: 'amd64' });
    expect(s.run().status).toBe(0);
  });

  test('uses the claim files given on a CSR fleet and never calls the AWS CLI', () => {
    const s = sandbox(CSR_SETTINGS);
    fs.writeFileSync(path.join(s.dir, 'claim.crt'), `${CERT_PEM}\n`);
    fs.writeFileSync(path.join(s.dir, 'claim.key'), `${KEY_PEM}\n`, { mode: 0o644 });
    const result = s.run({ MODELFLEET_CLAIM_CERT: path.join(s.dir, 'claim.crt'), MODELFLEET_CLAIM_KEY: path.join(s.dir, 'claim.key') });
    expect(result.status).toBe(0);
    expect(s.calls().some((c) => c.startsWith('aws '))).toBe(false);
    expect(fs.statSync(path.join(s.root, 'claim-certs', 'claim.private.pem.key')).mode & 0o777).toBe(0o600);
  });

  test('fails on a CSR fleet without the claim key file, naming the variable to set', () => {
    const s = sandbox(CSR_SETTINGS);
    const result = s.run();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('set MODELFLEET_CLAIM_KEY to its private key file');
    expect(s.calls().some((c) => c.startsWith('java '))).toBe(false);
  });

  test('fails on an invalid thing name before installing anything', () => {
    const s = sandbox();
    const result = s.run({ MODELFLEET_THING_NAME: 'pi kitchen' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("thing name 'pi kitchen' is invalid");
    expect(s.calls().some((c) => /^(apt-get|curl|java) /.test(c))).toBe(false);
  });

  test('refuses values that would break out of the script\'s quotes', () => {
    expect(() => renderBootstrapScript({ ...SETTINGS, thingGroupName: "x';rm -rf /;'" })).toThrow(/thingGroupName must be a thing group name/);
    expect(() => renderBootstrapScript({ ...SETTINGS, region: 'eu-west-1$(id)' })).toThrow(/region must be an AWS Region/);
  });
});
