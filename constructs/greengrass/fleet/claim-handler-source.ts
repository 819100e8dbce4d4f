/**
 * Source of the custom resource Lambda that creates the fleet's claim certificate (inline, CommonJS, Node 24 runtime
 * with the AWS SDK v3 it ships). It creates the key pair and certificate with `iot:CreateKeysAndCertificate`, writes
 * the private key to the given Secrets Manager secret and returns only the certificate's id and ARN: the private key
 * never reaches the template, the CloudFormation response or the logs.
 *
 * Requests: Create makes a certificate; Update keeps it while the secret is the same (else makes a new one, and
 * CloudFormation deletes the old one); Delete deactivates and deletes it.
 */
export const CLAIM_HANDLER_SOURCE = `'use strict';
const iotSdk = require('@aws-sdk/client-iot');
const smSdk = require('@aws-sdk/client-secrets-manager');
const https = require('https');
const iot = new iotSdk.IoTClient({});
const secrets = new smSdk.SecretsManagerClient({});
const CERT_ID = /^[0-9a-f]{64}$/;

function respond(event, status, physicalId, data, reason) {
  const body = JSON.stringify({
    Status: status, Reason: reason || 'ok', PhysicalResourceId: physicalId, StackId: event.StackId,
    RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId, Data: data || {},
  });
  return new Promise((resolve, reject) => {
    const req = https.request(event.ResponseURL, {
      method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
    }, (res) => { res.resume(); res.on('end', resolve); });
    req.on('error', reject);
    req.end(body);
  });
}

async function retire(certificateId) {
  try {
    await iot.send(new iotSdk.UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' }));
    await iot.send(new iotSdk.DeleteCertificateCommand({ certificateId }));
  } catch (err) {
    if (!err || err.name !== 'ResourceNotFoundException') throw err;
  }
}

exports.handler = async (event) => {
  const secretArn = event.ResourceProperties.SecretArn;
  const physicalId = event.PhysicalResourceId || 'no-certificate';
  try {
    if (event.RequestType === 'Delete') {
      if (CERT_ID.test(physicalId)) await retire(physicalId);
      return await respond(event, 'SUCCESS', physicalId);
    }
    if (event.RequestType === 'Update' && CERT_ID.test(physicalId)
        && event.OldResourceProperties && event.OldResourceProperties.SecretArn === secretArn) {
      const found = await iot.send(new iotSdk.DescribeCertificateCommand({ certificateId: physicalId }));
      return await respond(event, 'SUCCESS', physicalId,
        { CertificateId: physicalId, CertificateArn: found.certificateDescription.certificateArn });
    }
    const created = await iot.send(new iotSdk.CreateKeysAndCertificateCommand({ setAsActive: true }));
    try {
      await secrets.send(new smSdk.PutSecretValueCommand({ SecretId: secretArn, SecretString: created.keyPair.PrivateKey }));
    } catch (err) {
      await retire(created.certificateId);
      throw err;
    }
    return await respond(event, 'SUCCESS', created.certificateId,
      { CertificateId: created.certificateId, CertificateArn: created.certificateArn });
  } catch (err) {
    const reason = String((err && err.message) || err).slice(0, 500);
    console.error('claim certificate ' + event.RequestType + ' failed: ' + reason);
    return respond(event, 'FAILED', physicalId, {}, reason);
  }
};
`;
