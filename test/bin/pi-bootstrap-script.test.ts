import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BootstrapSettings, renderBootstrapScript } from '../../constructs/greengrass/fleet/bootstrap-script';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
/** What the stubbed downloads hold, and the settings whose digests match them. */
const NUCLEUS_ZIP = 'nucleus zip';
const PLUGIN_JAR = 'plugin jar';
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
  nucleusSha256: sha256(NUCLEUS_ZIP),
  provisioningPluginSha256: sha256(PLUGIN_JAR),
};
const CSR_SETTINGS: BootstrapSettings = { ...SETTINGS, claimKeySecretArn: undefined };
const CERT_PEM = '-----BEGIN CERTIFICATE-----\nclaim\n-----END CERTIFICATE-----';
const KEY_PEM = '-----BEGIN RSA PRIVATE KEY-----\nclaim\n-----END RSA PRIVATE KEY-----';
/** Real tools the script and the stubs may use; everything else on PATH is a stub. */
const REAL_TOOLS = ['bash', 'sh', 'tr', 'cut', 'install', 'grep', 'chmod', 'rm', 'cat', 'mkdir', 'touch', 'mv', 'env',
  'sha256sum', 'sleep', 'cp', 'stat'];

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

  constructor(settings: BootstrapSettings, options: {
    machine?: string; arch?: string; java?: boolean; javaWritesConfig?: boolean;
    /** Whether the nucleus provisions the device (writes its certificate). @default true */
    provisions?: boolean;
    /** The JRE packages apt knows. @default both LTS OpenJDKs */
    jres?: string[];
  } = {}) {
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
    // The installer: records the claim files it was given (they are deleted later), writes the configuration and,
    // as the nucleus service's provisioning plugin does, the device certificate.
    const javaStub = `#!/bin/bash
${record}
for arg in "$@"; do case "$arg" in -Droot=*) root="\${arg#-Droot=}";; esac; done
cp -r "$root/claim-certs" ${JSON.stringify(path.join(this.dir, 'claim-snapshot'))}
stat -c '%a %n' "$root/claim-certs" "$root"/claim-certs/* > ${JSON.stringify(path.join(this.dir, 'claim-modes'))}
if [ "${options.javaWritesConfig === false ? 'no' : 'yes'}" = yes ]; then
  mkdir -p "$root/config" && touch "$root/config/config.tlog"
fi
if [ "${options.provisions === false ? 'no' : 'yes'}" = yes ]; then
  printf -- '-----BEGIN CERTIFICATE-----\\ndevice\\n' > "$root/thingCert.crt"
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
      'apt-cache': `${record}\ncase " ${(options.jres ?? ['openjdk-17-jre-headless', 'openjdk-11-jre-headless']).join(' ')} " in *" $2 "*) exit 0;; *) exit 100;; esac`,
      'apt-get': `${record}\ncase "$*" in *jre-headless*) cat ${JSON.stringify(javaStubFile)} > ${JSON.stringify(path.join(this.bin, 'java'))}; chmod +x ${JSON.stringify(path.join(this.bin, 'java'))};; esac`,
      curl: `${record}\nwhile [ $# -gt 0 ]; do if [ "$1" = -o ]; then out="$2"; shift; fi; url="$1"; shift; done\n`
        + `case "$url" in *AmazonRootCA1.pem) printf -- '-----BEGIN CERTIFICATE-----\\nroot\\n' > "$out";; `
        + `*.zip) printf '${NUCLEUS_ZIP}' > "$out";; *.jar) printf '${PLUGIN_JAR}' > "$out";; *) exit 22;; esac`,
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
    ['a CSR claim certificate and another nucleus', { ...CSR_SETTINGS, nucleusVersion: '2.14.3', nucleusSha256: 'e'.repeat(64) }],
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

  test('starts with strict mode and pins the nucleus and the plugin, with their digests, from AWS\'s releases over https', () => {
    const script = renderBootstrapScript({ ...SETTINGS, nucleusSha256: undefined, provisioningPluginSha256: undefined });
    expect(script.split('\n').slice(0, 30)).toContain('set -euo pipefail');
    expect(script).toContain("readonly NUCLEUS_URL='https://d2s8p88vqu9w66.cloudfront.net/releases/greengrass-2.16.0.zip'");
    expect(script).toContain("readonly NUCLEUS_SHA256='f07742c76eca868617127b5c6c9028e41c45c2b4ec25dd0db6f3b40ef7638b4e'");
    expect(script).toContain("readonly PLUGIN_URL='https://d2s8p88vqu9w66.cloudfront.net/releases/aws-greengrass-FleetProvisioningByClaim/fleetprovisioningbyclaim-1.2.2.jar'");
    expect(script).toContain("readonly PLUGIN_SHA256='1e7fdc625d4e1e7795d63f0e97981feecad526277bf211154505de145009e8c1'");
    expect(script).not.toContain('latest');
    const other = renderBootstrapScript({ ...SETTINGS, nucleusVersion: '2.14.3', nucleusSha256: 'e'.repeat(64) });
    expect(other).toContain('/releases/greengrass-2.14.3.zip');
    expect(() => renderBootstrapScript({ ...SETTINGS, nucleusVersion: '2.14.3', nucleusSha256: undefined }))
      .toThrow(/nucleusVersion 2.14.3 is not the pinned 2.16.0: give its SHA-256 too/);
  });

  test('says in its header what the Pi needs, and that AWS credentials are needed only without the claim files', () => {
    const header = renderBootstrapScript(SETTINGS).split('set -euo pipefail')[0];
    expect(header).toContain('# What the Pi needs:');
    expect(header).toContain('a 64-bit OS');
    expect(header).toContain('AWS credentials ONLY if the claim files are not given');
    expect(header).toContain('iot:DescribeCertificate on the claim certificate and secretsmanager:GetSecretValue');
    expect(header).toContain('With both files given, no AWS credentials are needed or used');
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
    const snapshot = path.join(s.dir, 'claim-snapshot'); // what the installer was given
    expect(fs.readFileSync(path.join(snapshot, 'claim.pem.crt'), 'utf8')).toBe(`${CERT_PEM}\n`);
    expect(fs.readFileSync(path.join(snapshot, 'claim.private.pem.key'), 'utf8')).toBe(`${KEY_PEM}\n`);
    expect(fs.readFileSync(path.join(s.dir, 'claim-modes'), 'utf8').trim().split('\n')).toEqual([
      `700 ${claimDir}`, `600 ${claimDir}/claim.pem.crt`, `600 ${claimDir}/claim.private.pem.key`,
    ]);
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
      deviceId: 'modelfleet.claim.EdgeStack-Fleet-790C261F-0123456789ab'
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
      'https://d2s8p88vqu9w66.cloudfront.net/releases/greengrass-2.16.0.zip',
      'https://d2s8p88vqu9w66.cloudfront.net/releases/aws-greengrass-FleetProvisioningByClaim/fleetprovisioningbyclaim-1.2.2.jar',
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

  test('recognizes a provisioned device from its certificate, even without a Greengrass configuration', () => {
    const s = sandbox(SETTINGS, { javaWritesConfig: false });
    expect(s.run().status).toBe(0);
    expect(fs.existsSync(path.join(s.root, 'config'))).toBe(false);
    expect(s.run().status).toBe(0);
    expect(s.calls().filter((c) => c.includes('--init-config'))).toHaveLength(1);
  });

  test('installs an LTS OpenJDK (17, as on Bookworm) with apt when Java is missing', () => {
    const s = sandbox(SETTINGS, { java: false });
    const result = s.run({ MODELFLEET_THING_NAME: 'pi-kitchen' });
    expect(result.status).toBe(0);
    const calls = s.calls();
    expect(calls).toContain('apt-get update -q');
    expect(calls).toContain('apt-get install -y -q --no-install-recommends openjdk-17-jre-headless');
    expect(calls.filter((c) => c.startsWith('java '))).toHaveLength(1);
    expect(fs.readFileSync(path.join(s.installer, 'config.yaml'), 'utf8')).toContain("ThingName: 'pi-kitchen'");
  });

  test('installs OpenJDK 11 where 17 does not exist (Bullseye), and the default JRE only where neither does', () => {
    const bullseye = sandbox(SETTINGS, { java: false, jres: ['openjdk-11-jre-headless'] });
    expect(bullseye.run().status).toBe(0);
    expect(bullseye.calls()).toContain('apt-get install -y -q --no-install-recommends openjdk-11-jre-headless');
    const other = sandbox(SETTINGS, { java: false, jres: [] });
    expect(other.run().status).toBe(0);
    expect(other.calls()).toContain('apt-get install -y -q --no-install-recommends default-jre-headless');
  });

  test('deletes the fleet-wide claim key once the device has its own certificate', () => {
    const s = sandbox();
    const result = s.run();
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('removed the fleet\'s claim certificate and key');
    expect(fs.existsSync(path.join(s.root, 'claim-certs'))).toBe(false);
    expect(fs.readFileSync(path.join(s.root, 'thingCert.crt'), 'utf8')).toContain('BEGIN CERTIFICATE');
  });

  test('keeps the claim key while provisioning has not finished (exit 4); a later run waits again, then deletes it', () => {
    const s = sandbox(SETTINGS, { provisions: false });
    const first = s.run({ MODELFLEET_PROVISION_WAIT_SECONDS: '0' });
    expect(first.status).toBe(4);
    expect(first.stderr).toContain('provisioning has not finished');
    expect(fs.existsSync(path.join(s.root, 'claim-certs', 'claim.private.pem.key'))).toBe(true);
    // the nucleus service provisions the device later
    fs.writeFileSync(path.join(s.root, 'thingCert.crt'), '-----BEGIN CERTIFICATE-----\ndevice\n');
    const second = s.run({ MODELFLEET_PROVISION_WAIT_SECONDS: '0' });
    expect(second.status).toBe(0);
    expect(fs.existsSync(path.join(s.root, 'claim-certs'))).toBe(false);
    expect(s.calls().filter((c) => c.includes('--init-config'))).toHaveLength(1);
  });

  test('never runs the installer over a Greengrass it did not install (config.tlog, no certificate)', () => {
    const s = sandbox();
    fs.mkdirSync(path.join(s.root, 'config'), { recursive: true });
    fs.writeFileSync(path.join(s.root, 'config', 'config.tlog'), '');
    const result = s.run();
    expect(result.status).toBe(5);
    expect(result.stderr).toContain('not by this script');
    expect(s.calls().some((c) => /^(curl|java) /.test(c))).toBe(false);
  });

  test('refuses a download whose SHA-256 is not the pinned one, before running anything from it', () => {
    const s = sandbox({ ...SETTINGS, nucleusSha256: undefined });
    const result = s.run();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`has SHA-256 ${sha256(NUCLEUS_ZIP)}, expected f07742c76eca868617127b5c6c9028e41c45c2b4ec25dd0db6f3b40ef7638b4e`);
    expect(s.calls().some((c) => /^(unzip|java) /.test(c))).toBe(false);
    expect(fs.existsSync(path.join(s.installer, 'greengrass-nucleus.zip'))).toBe(false);
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
    expect(fs.readFileSync(path.join(s.dir, 'claim-modes'), 'utf8')).toContain(`600 ${s.root}/claim-certs/claim.private.pem.key`);
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
