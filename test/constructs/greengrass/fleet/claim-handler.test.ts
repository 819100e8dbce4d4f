import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as vm from 'node:vm';
import { CLAIM_HANDLER_SOURCE } from '../../../../constructs/greengrass/fleet/claim-handler-source';

/** One SDK call the handler made: command name and input. */
interface Call {
  readonly command: string;
  readonly input: Record<string, unknown>;
}

const CERT_ID = 'c'.repeat(64);
const OLD_CERT_ID = 'd'.repeat(64);
const PRIVATE_KEY = '-----BEGIN RSA PRIVATE KEY-----\nsecret\n-----END RSA PRIVATE KEY-----\n';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:claim-AbCdEf';

/** Fake `@aws-sdk/client-*` modules: each Command records its input; `send` answers from `responses` or throws. */
function fakeSdk(calls: Call[], failures: Record<string, Error> = {}) {
  const command = (name: string) => class {
    public readonly name = name;
    constructor(public readonly input: Record<string, unknown>) {}
  };
  const client = class {
    public async send(cmd: { name: string; input: Record<string, unknown> }): Promise<unknown> {
      calls.push({ command: cmd.name, input: cmd.input });
      if (failures[cmd.name]) {
        throw failures[cmd.name];
      }
      switch (cmd.name) {
        case 'CreateKeysAndCertificateCommand':
          return {
            certificateId: CERT_ID, certificateArn: `arn:aws:iot:eu-west-1:111111111111:cert/${CERT_ID}`,
            certificatePem: '-----BEGIN CERTIFICATE-----\n', keyPair: { PrivateKey: PRIVATE_KEY, PublicKey: 'pub' },
          };
        case 'DescribeCertificateCommand':
          return { certificateDescription: { certificateArn: `arn:aws:iot:eu-west-1:111111111111:cert/${String(cmd.input.certificateId)}` } };
        default:
          return {};
      }
    }
  };
  return {
    '@aws-sdk/client-iot': {
      IoTClient: client,
      CreateKeysAndCertificateCommand: command('CreateKeysAndCertificateCommand'),
      UpdateCertificateCommand: command('UpdateCertificateCommand'),
      DeleteCertificateCommand: command('DeleteCertificateCommand'),
      DescribeCertificateCommand: command('DescribeCertificateCommand'),
    },
    '@aws-sdk/client-secrets-manager': {
      SecretsManagerClient: client,
      PutSecretValueCommand: command('PutSecretValueCommand'),
    },
  };
}

/** Loads the inline handler source with fake SDK modules and `https` swapped for `http` (a loopback response URL). */
function loadHandler(calls: Call[], failures: Record<string, Error> = {}, logs: string[] = []) {
  const modules: Record<string, unknown> = { ...fakeSdk(calls, failures), https: http };
  const module = { exports: {} as { handler?: (event: unknown) => Promise<void> } };
  const sandbox = {
    require: (name: string) => {
      if (!(name in modules)) {
        throw new Error(`unexpected require('${name}')`);
      }
      return modules[name];
    },
    module, exports: module.exports, Buffer, Promise,
    console: { error: (...args: unknown[]) => logs.push(args.join(' ')), log: (...args: unknown[]) => logs.push(args.join(' ')) },
  };
  vm.runInNewContext(CLAIM_HANDLER_SOURCE, sandbox, { filename: 'index.js' });
  const handler = module.exports.handler;
  if (!handler) {
    throw new Error('the handler source exports no handler');
  }
  return handler;
}

describe('claim certificate handler', () => {
  let server: http.Server;
  let url: string;
  let responses: Array<Record<string, unknown>>;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        responses.push({ method: req.method, ...JSON.parse(body) as Record<string, unknown> });
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/response`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    responses = [];
  });

  function event(requestType: string, extra: Record<string, unknown> = {}) {
    return {
      RequestType: requestType, ResponseURL: url, StackId: 'stack', RequestId: 'req', LogicalResourceId: 'Claim',
      ResourceProperties: { SecretArn: SECRET_ARN }, ...extra,
    };
  }

  test('creates an active certificate, stores its private key in the secret and returns only id and ARN', async () => {
    const calls: Call[] = [];
    await loadHandler(calls)(event('Create'));
    expect(calls).toEqual([
      { command: 'CreateKeysAndCertificateCommand', input: { setAsActive: true } },
      { command: 'PutSecretValueCommand', input: { SecretId: SECRET_ARN, SecretString: PRIVATE_KEY } },
    ]);
    expect(responses).toEqual([expect.objectContaining({
      method: 'PUT', Status: 'SUCCESS', PhysicalResourceId: CERT_ID, RequestId: 'req', StackId: 'stack', LogicalResourceId: 'Claim',
      Data: { CertificateId: CERT_ID, CertificateArn: `arn:aws:iot:eu-west-1:111111111111:cert/${CERT_ID}` },
    })]);
    expect(JSON.stringify(responses)).not.toContain('PRIVATE KEY');
  });

  test('deletes the new certificate and reports FAILED when the key cannot be stored', async () => {
    const calls: Call[] = [];
    const logs: string[] = [];
    await loadHandler(calls, { PutSecretValueCommand: new Error('AccessDenied') }, logs)(event('Create'));
    expect(calls.map((c) => c.command)).toEqual([
      'CreateKeysAndCertificateCommand', 'PutSecretValueCommand', 'UpdateCertificateCommand', 'DeleteCertificateCommand',
    ]);
    expect(calls[2].input).toEqual({ certificateId: CERT_ID, newStatus: 'INACTIVE' });
    expect(responses).toEqual([expect.objectContaining({ Status: 'FAILED', Reason: 'AccessDenied' })]);
    expect(logs.join('\n')).not.toContain('PRIVATE KEY');
  });

  test('keeps the certificate on an update that keeps the secret', async () => {
    const calls: Call[] = [];
    await loadHandler(calls)(event('Update', { PhysicalResourceId: OLD_CERT_ID, OldResourceProperties: { SecretArn: SECRET_ARN } }));
    expect(calls).toEqual([{ command: 'DescribeCertificateCommand', input: { certificateId: OLD_CERT_ID } }]);
    expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: OLD_CERT_ID })]);
  });

  test('makes a new certificate when the secret changes (CloudFormation then deletes the old one)', async () => {
    const calls: Call[] = [];
    await loadHandler(calls)(event('Update', { PhysicalResourceId: OLD_CERT_ID, OldResourceProperties: { SecretArn: 'other' } }));
    expect(calls.map((c) => c.command)).toEqual(['CreateKeysAndCertificateCommand', 'PutSecretValueCommand']);
    expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: CERT_ID })]);
  });

  test('deactivates then deletes the certificate on delete', async () => {
    const calls: Call[] = [];
    await loadHandler(calls)(event('Delete', { PhysicalResourceId: OLD_CERT_ID }));
    expect(calls).toEqual([
      { command: 'UpdateCertificateCommand', input: { certificateId: OLD_CERT_ID, newStatus: 'INACTIVE' } },
      { command: 'DeleteCertificateCommand', input: { certificateId: OLD_CERT_ID } },
    ]);
    expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: OLD_CERT_ID })]);
  });

  test('succeeds on delete after a failed create (no certificate) and when the certificate is already gone', async () => {
    const calls: Call[] = [];
    await loadHandler(calls)(event('Delete', { PhysicalResourceId: 'no-certificate' }));
    expect(calls).toEqual([]);
    const gone = Object.assign(new Error('gone'), { name: 'ResourceNotFoundException' });
    await loadHandler(calls, { UpdateCertificateCommand: gone })(event('Delete', { PhysicalResourceId: OLD_CERT_ID }));
    expect(responses.map((r) => r.Status)).toEqual(['SUCCESS', 'SUCCESS']);
  });
});
