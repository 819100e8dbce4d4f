import { Aws, CustomResource, Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../../core/private/acknowledge';
import { CLAIM_HANDLER_SOURCE } from './claim-handler-source';
import { ModelFleetError } from '../../core/private/modelfleet-error';

/** What a bound claim certificate gives the fleet. */
export interface ClaimCertificateConfig {
  /** ARN of the claim certificate (the principal the claim policy is attached to). */
  readonly certificateArn: string;
  /** Id of the claim certificate (`aws iot describe-certificate --certificate-id` returns its PEM). */
  readonly certificateId: string;
  /**
   * The secret holding the claim certificate's private key (PEM).
   *
   * @default - no secret: the private key stays on the machine that made the CSR
   */
  readonly privateKeySecret?: secretsmanager.ISecret;
}

/**
 * How the fleet's claim certificate (the shared bootstrap credential that may only call fleet provisioning) is made,
 * without any secret in the CloudFormation template.
 */
export abstract class ClaimCertificate {
  /**
   * A certificate signed from a CSR you made on the machine that keeps the private key, e.g.
   * `openssl req -new -newkey ec:<(openssl ecparam -name prime256v1) -nodes -keyout claim.key -subj /CN=claim -out claim.csr`.
   * The key never leaves that machine; give it to `pi-bootstrap` as a file.
   *
   * @param certificateSigningRequest the CSR in PEM (`-----BEGIN CERTIFICATE REQUEST-----`)
   */
  public static fromCsr(certificateSigningRequest: string): ClaimCertificate {
    return new CsrClaimCertificate(certificateSigningRequest);
  }

  /**
   * A key pair and certificate made at deploy time by a custom resource (`iot:CreateKeysAndCertificate`), with the
   * private key stored in a Secrets Manager secret (never in the template, an output or an SSM parameter).
   */
  public static generated(): ClaimCertificate {
    return new GeneratedClaimCertificate();
  }

  /** Creates the certificate in the given scope. */
  public abstract bind(scope: Construct): ClaimCertificateConfig;
}

const CSR_HEADER = '-----BEGIN CERTIFICATE REQUEST-----';

class CsrClaimCertificate extends ClaimCertificate {
  constructor(private readonly csr: string) {
    super();
  }

  public bind(scope: Construct): ClaimCertificateConfig {
    if (!Token.isUnresolved(this.csr) && !this.csr.trim().startsWith(CSR_HEADER)) {
      const start = JSON.stringify(this.csr.trim().slice(0, 40));
      throw new ModelFleetError('EdgeFleetClaimCsrInvalid',
        `ClaimCertificate.fromCsr needs a PEM certificate signing request starting with '${CSR_HEADER}', got ${start}. `
          + 'Make one with `openssl req -new ... -out claim.csr` and pass the file\'s text.', scope);
    }
    const cert = new iot.CfnCertificate(scope, 'ClaimCertificate', {
      certificateSigningRequest: this.csr,
      status: 'ACTIVE',
    });
    return { certificateArn: cert.attrArn, certificateId: cert.attrId };
  }
}

class GeneratedClaimCertificate extends ClaimCertificate {
  public bind(scope: Construct): ClaimCertificateConfig {
    const secret = new secretsmanager.Secret(scope, 'ClaimKeySecret', {
      description: `Private key of the Greengrass fleet claim certificate (${scope.node.path})`,
    });
    const handler = new lambda.Function(scope, 'ClaimCertificateHandler', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(CLAIM_HANDLER_SOURCE),
      timeout: Duration.minutes(1),
      description: 'Creates the Greengrass fleet claim certificate; its private key goes to Secrets Manager only',
    });
    handler.addToRolePolicy(new iam.PolicyStatement({
      // CreateKeysAndCertificate has no resource type: it can only be granted on `*`.
      actions: ['iot:CreateKeysAndCertificate'],
      resources: ['*'],
    }));
    handler.addToRolePolicy(new iam.PolicyStatement({
      actions: ['iot:DescribeCertificate', 'iot:UpdateCertificate', 'iot:DeleteCertificate'],
      resources: [`arn:${Aws.PARTITION}:iot:${Aws.REGION}:${Aws.ACCOUNT_ID}:cert/*`],
    }));
    handler.addToRolePolicy(new iam.PolicyStatement({
      actions: ['secretsmanager:PutSecretValue'],
      resources: [secret.secretArn],
    }));
    const resource = new CustomResource(scope, 'ClaimCertificate', {
      serviceToken: handler.functionArn,
      resourceType: 'Custom::ModelfleetClaimCertificate',
      properties: { SecretArn: secret.secretArn },
    });
    resource.node.addDependency(handler);

    acknowledge(scope, secret, {
      id: 'AwsSolutions-SMG4',
      reason: 'The claim certificate\'s key cannot be rotated by Secrets Manager: replace the claim certificate instead.',
    });
    const iotReason = 'iot:CreateKeysAndCertificate has no resource type; the other IoT actions act on this account\'s '
      + 'certificates, whose ids are only known once created.';
    acknowledge(scope, handler, {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'AWSLambdaBasicExecutionRole only lets the function write its own logs.',
    }, { id: 'AwsSolutions-IAM5[Resource::*]', reason: iotReason }, {
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:cert/*]', reason: iotReason,
    });

    return {
      certificateArn: resource.getAttString('CertificateArn'),
      certificateId: resource.getAttString('CertificateId'),
      privateKeySecret: secret,
    };
  }
}
