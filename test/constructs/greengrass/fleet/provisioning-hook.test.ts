import * as vm from 'node:vm';
import { PROVISIONING_HOOK_SOURCE } from '../../../../constructs/greengrass/fleet/provisioning-hook-source';

type Hook = (event: unknown) => Promise<{ allowProvisioning: boolean }>;

/** The hook's source run with a fake `@aws-sdk/client-iot` whose DescribeThing answers from `things`. */
function hook(things: Record<string, 'exists' | Error>, calls: string[] = []): Hook {
  class DescribeThingCommand {
    constructor(public readonly input: { thingName: string }) {}
  }
  class IoTClient {
    public async send(cmd: DescribeThingCommand): Promise<unknown> {
      calls.push(cmd.input.thingName);
      const found = things[cmd.input.thingName];
      if (found === 'exists') return { thingName: cmd.input.thingName };
      if (found instanceof Error) throw found;
      throw Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });
    }
  }
  const module = { exports: {} as { handler?: Hook } };
  vm.runInNewContext(PROVISIONING_HOOK_SOURCE, {
    require: (name: string) => {
      if (name !== '@aws-sdk/client-iot') throw new Error(`unexpected require('${name}')`);
      return { IoTClient, DescribeThingCommand };
    },
    module, exports: module.exports, console: { log: () => undefined },
  }, { filename: 'index.js' });
  return module.exports.handler!;
}

/** A pre-provisioning hook request (payload version 2020-04-01). */
const request = (parameters: Record<string, unknown>) => ({
  claimCertificateId: 'c'.repeat(64), certificateId: 'd'.repeat(64), certificatePem: '-----BEGIN CERTIFICATE-----',
  templateArn: 'arn:aws:iot:eu-west-1:111111111111:provisioningtemplate/pis', clientId: 'modelfleet.claim.pi-1', parameters,
});

describe('default pre-provisioning hook', () => {
  test('admits a new, well-formed thing name', async () => {
    const calls: string[] = [];
    await expect(hook({}, calls)(request({ ThingName: 'pis-0123456789ab' }))).resolves.toEqual({ allowProvisioning: true });
    expect(calls).toEqual(['pis-0123456789ab']);
  });

  test('refuses the name of a thing that exists, so the claim key cannot take over a Pi', async () => {
    await expect(hook({ 'kitchen-pi': 'exists' })(request({ ThingName: 'kitchen-pi' }))).resolves.toEqual({ allowProvisioning: false });
  });

  test.each([[undefined], [''], ['pi kitchen'], ['pi.kitchen'], ['x'.repeat(129)], [42]])('refuses the malformed thing name %p without asking IoT', async (name) => {
    const calls: string[] = [];
    await expect(hook({}, calls)(request({ ThingName: name }))).resolves.toEqual({ allowProvisioning: false });
    expect(calls).toEqual([]);
  });

  test('refuses when it cannot check (fails closed)', async () => {
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    await expect(hook({ 'pi-1': throttled })(request({ ThingName: 'pi-1' }))).resolves.toEqual({ allowProvisioning: false });
  });
});
