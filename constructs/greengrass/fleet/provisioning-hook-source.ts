/**
 * Source of the default pre-provisioning hook (inline, CommonJS, Node 24 runtime with the AWS SDK v3 it ships).
 * AWS IoT calls it before it provisions a device with the claim certificate (payload version `2020-04-01`:
 * `{ claimCertificateId, certificateId, certificatePem, templateArn, clientId, parameters }`) and provisions only when
 * it answers `{ allowProvisioning: true }`. It refuses:
 * - a `ThingName` that is missing or not 1 to 128 letters, digits, `:`, `_` or `-`;
 * - a `ThingName` that already exists: the template's `OverrideSettings` would otherwise attach the new certificate to
 *   an existing Pi's thing, letting anyone holding the claim key take over its identity;
 * - anything it cannot check (an error other than "not found" refuses: fail closed).
 *
 * @see https://docs.aws.amazon.com/iot/latest/developerguide/pre-provisioning-hook.html
 */
export const PROVISIONING_HOOK_SOURCE = `'use strict';
const iotSdk = require('@aws-sdk/client-iot');
const iot = new iotSdk.IoTClient({});
const THING_NAME = /^[A-Za-z0-9:_-]{1,128}$/;

exports.handler = async (event) => {
  const name = event && event.parameters ? event.parameters.ThingName : undefined;
  if (typeof name !== 'string' || !THING_NAME.test(name)) {
    console.log(JSON.stringify({ allowProvisioning: false, reason: 'malformed thing name', thingName: String(name).slice(0, 140) }));
    return { allowProvisioning: false };
  }
  try {
    await iot.send(new iotSdk.DescribeThingCommand({ thingName: name }));
    console.log(JSON.stringify({ allowProvisioning: false, reason: 'thing exists', thingName: name }));
    return { allowProvisioning: false };
  } catch (err) {
    if (err && err.name === 'ResourceNotFoundException') {
      console.log(JSON.stringify({ allowProvisioning: true, thingName: name }));
      return { allowProvisioning: true };
    }
    console.log(JSON.stringify({ allowProvisioning: false, reason: 'cannot check: ' + String(err && err.name), thingName: name }));
    return { allowProvisioning: false };
  }
};
`;
