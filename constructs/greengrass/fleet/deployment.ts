import { Duration, Lazy, Names, Stack, Token } from 'aws-cdk-lib';
import * as greengrassv2 from 'aws-cdk-lib/aws-greengrassv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { FieldErrors } from '../../core/private/field-errors';
import { EdgeComponentRef, IEdgeComponent } from '../components/edge-component';
import { acknowledgeArtifactRead } from '../components/private/acknowledgements';
import type { EdgeFleetDeploymentOptions } from '../edge-fleet';

/** The deployment's failure handling and update policy values (the enums' values). */
const ROLLBACK = 'ROLLBACK';
const NOTIFY_COMPONENTS = 'NOTIFY_COMPONENTS';

export const NUCLEUS_COMPONENT = 'aws.greengrass.Nucleus';
const COMPONENT_NAME_PATTERN = /^[a-zA-Z0-9-_.]{1,128}$/;
export const COMPONENT_VERSION_PATTERN = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

interface ComponentEntry {
  readonly componentRef: EdgeComponentRef;
  readonly configurationMerge?: string;
}

/** Where a fleet deploys: its thing group and the role its devices read artifacts with. */
export interface DeploymentTarget {
  readonly thingGroupArn: string;
  readonly tokenExchangeRole: iam.IRole;
}

/**
 * The one Greengrass deployment of a fleet (`EdgeFleet` or an imported one) to its thing group: its components, the
 * artifact reads they need, and the `AWS::GreengrassV2::Deployment` (id `Deployment` in the fleet), created on first use.
 */
export class FleetDeployment {
  private readonly components: ComponentEntry[] = [];
  private readonly edgeComponents = new Set<IEdgeComponent>();
  private resource?: greengrassv2.CfnDeployment;

  constructor(private readonly fleet: Construct & DeploymentTarget, private readonly options: EdgeFleetDeploymentOptions) {
    if (options.nucleusJvmOptions !== undefined && options.nucleusVersion !== undefined) {
      this.components.push({
        componentRef: { componentName: NUCLEUS_COMPONENT, componentVersion: options.nucleusVersion },
        configurationMerge: JSON.stringify({ jvmOptions: options.nucleusJvmOptions }),
      });
    }
  }

  /** The names of the deployment's components, in the order they were added. */
  public get componentNames(): string[] {
    return this.components.map((c) => c.componentRef.componentName);
  }

  /** The deployment (created on first use). */
  public get deployment(): greengrassv2.CfnDeployment {
    this.resource ??= this.create();
    return this.resource;
  }

  /** Adds a component version, checked (see `IEdgeFleet.addComponent`). */
  public add(componentRef: EdgeComponentRef, configurationMerge?: string): void {
    const problems = new FieldErrors();
    validateComponent(componentRef, configurationMerge, problems);
    if (!Token.isUnresolved(componentRef.componentName)
      && this.components.some((c) => c.componentRef.componentName === componentRef.componentName)) {
      problems.add('EdgeFleetDuplicateComponent', `component '${componentRef.componentName}' is already in the deployment; `
        + 'deploy one version of each component: remove the other addComponent call');
    }
    problems.throwIfAny(this.fleet);
    this.resource ??= this.create(); // the first component makes the deployment
    this.components.push({ componentRef, configurationMerge });
  }

  /**
   * Adds a component of this library and grants (and, for the fleet's own role, acknowledges) its artifact reads; a
   * component already added this way is not added again.
   */
  public addEdgeComponent(component: IEdgeComponent, configurationMerge?: string): void {
    if (this.edgeComponents.has(component)) return;
    this.add(component.componentRef, configurationMerge);
    this.edgeComponents.add(component);
    const grant = component.grantArtifactRead(this.fleet.tokenExchangeRole);
    acknowledgeArtifactRead(this.fleet, this.fleet.tokenExchangeRole, grant);
  }

  private create(): greengrassv2.CfnDeployment {
    const props = this.options;
    const fleet = this.fleet;
    const rolloutTimeout = props.rolloutInProgressTimeout ?? Duration.minutes(60);
    const deployment = new greengrassv2.CfnDeployment(fleet, 'Deployment', {
      targetArn: fleet.thingGroupArn,
      deploymentName: props.deploymentName ?? Names.uniqueResourceName(fleet, { maxLength: 128, separator: '-' }),
      components: Lazy.any({ produce: () => this.render() }),
      deploymentPolicies: {
        failureHandlingPolicy: props.deploymentFailureHandling ?? ROLLBACK,
        componentUpdatePolicy: {
          action: props.componentUpdateAction ?? NOTIFY_COMPONENTS,
          timeoutInSeconds: (props.componentUpdateTimeout ?? Duration.seconds(60)).toSeconds(),
        },
        configurationValidationPolicy: {
          timeoutInSeconds: (props.configurationValidationTimeout ?? Duration.seconds(30)).toSeconds(),
        },
      },
      iotJobConfiguration: {
        jobExecutionsRolloutConfig: {
          maximumPerMinute: props.rolloutMaximumPerMinute ?? 50,
          exponentialRate: {
            baseRatePerMinute: props.rolloutBaseRatePerMinute ?? 5,
            incrementFactor: props.rolloutIncrementFactor ?? 2,
            // Untyped in the L1 (rendered as given): CloudFormation wants the PascalCase key here.
            rateIncreaseCriteria: { NumberOfSucceededThings: props.rolloutRateIncreaseSucceededThings ?? 5 },
          },
        },
        abortConfig: {
          criteriaList: [{
            // FAILED only: a TIMED_OUT device is usually one that is switched off, not a bad deployment.
            failureType: 'FAILED',
            action: 'CANCEL',
            thresholdPercentage: props.rolloutAbortThresholdPercent ?? 10,
            minNumberOfExecutedThings: props.rolloutAbortMinExecutedThings ?? 10,
          }],
        },
        timeoutConfig: { inProgressTimeoutInMinutes: rolloutTimeout.toMinutes() },
      },
    });
    // Grants are per component version: a model update changes the token exchange role's policy in the same stack
    // update that creates the new deployment. The devices must not download before the new grant exists (the nucleus
    // does not retry an S3 403), so the deployment waits for the role and its policy (a role of this stack).
    if (Stack.of(fleet.tokenExchangeRole) === Stack.of(fleet)) deployment.node.addDependency(fleet.tokenExchangeRole);
    fleet.node.addValidation({
      validate: () => this.components.length === 0
        ? [`EdgeFleetNoComponents: the deployment has no components (at ${fleet.node.path}). `
          + 'Pass `components` or call `addComponent(componentRef)` with the components the fleet should run.']
        : [],
    });
    return deployment;
  }

  private render(): Record<string, greengrassv2.CfnDeployment.ComponentDeploymentSpecificationProperty> {
    const rendered: Record<string, greengrassv2.CfnDeployment.ComponentDeploymentSpecificationProperty> = {};
    for (const { componentRef, configurationMerge } of this.components) {
      // Resetting the nucleus's configuration would erase what provisioning wrote into it (region, endpoints, role
      // alias): merge only. Every other component is reset to its recipe's defaults first, so that a new recipe's
      // defaults reach devices that already had an older configuration.
      const reset = componentRef.componentName === NUCLEUS_COMPONENT ? undefined : [''];
      rendered[componentRef.componentName] = {
        componentVersion: componentRef.componentVersion,
        configurationUpdate: { reset, merge: configurationMerge },
      };
    }
    return rendered;
  }
}

/** Checks a component version and its configuration merge. */
export function validateComponent(componentRef: EdgeComponentRef, configurationMerge: string | undefined, problems: FieldErrors): void {
  const { componentName, componentVersion } = componentRef;
  if (!Token.isUnresolved(componentName) && !COMPONENT_NAME_PATTERN.test(componentName)) {
    problems.add('EdgeFleetComponentInvalid', `componentName must match ${COMPONENT_NAME_PATTERN}, got '${componentName}'; `
      + 'use the name of a component version this app or AWS publishes');
  }
  if (!Token.isUnresolved(componentVersion) && !COMPONENT_VERSION_PATTERN.test(componentVersion)) {
    problems.add('EdgeFleetComponentInvalid', `componentVersion of '${componentName}' must be a semantic version `
      + `(major.minor.patch), got '${componentVersion}'; use the component's published version`);
  }
  if (configurationMerge !== undefined && !Token.isUnresolved(configurationMerge)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(configurationMerge);
    } catch {
      parsed = undefined;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      problems.add('EdgeFleetConfigurationMergeInvalid', `configurationMerge of '${componentName}' must be a JSON `
        + `object, got ${JSON.stringify(configurationMerge.slice(0, 60))}; pass JSON.stringify({ key: 'value' })`);
    }
  }
}
