import { Duration } from 'aws-cdk-lib';

/** How a blue/green update moves traffic from the old fleet to the new one. */
export enum TrafficShiftMode {
  /** All traffic at once, then a baking period. */
  ALL_AT_ONCE = 'ALL_AT_ONCE',
  /** A canary share first, a baking period, then the rest. */
  CANARY = 'CANARY',
  /** Equal steps with a baking period after each. */
  LINEAR = 'LINEAR',
}

/** The unit of a canary or linear step. */
export enum TrafficShiftUnit {
  /** A percentage of the fleet's capacity. */
  CAPACITY_PERCENT = 'CAPACITY_PERCENT',
  /** A number of instances. */
  INSTANCE_COUNT = 'INSTANCE_COUNT',
}

/**
 * The traffic shifting of a blue/green deployment (SageMaker deployment guardrails). Every update rolls back by
 * itself when one of the endpoint's alarms fires during a baking period.
 * @see https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green.html
 */
export class TrafficShift {
  /**
   * Shift all traffic at once, then bake.
   * @param bakeTime how long the new fleet serves under watch before the old one goes; default 5 minutes
   */
  public static allAtOnce(bakeTime?: Duration): TrafficShift {
    return new TrafficShift(TrafficShiftMode.ALL_AT_ONCE, bakeTime ?? Duration.minutes(5));
  }

  /**
   * Send `percent` % of the capacity to the new fleet first (at most 50 %), bake, then shift the rest.
   * @param bakeTime wait after the canary step; default 5 minutes
   */
  public static canary(percent: number, bakeTime?: Duration): TrafficShift {
    return new TrafficShift(TrafficShiftMode.CANARY, bakeTime ?? Duration.minutes(5), TrafficShiftUnit.CAPACITY_PERCENT, percent);
  }

  /**
   * Send `instances` instances' worth of traffic first (at most half the fleet), bake, then shift the rest.
   * @param bakeTime wait after the canary step; default 5 minutes
   */
  public static canaryInstances(instances: number, bakeTime?: Duration): TrafficShift {
    return new TrafficShift(TrafficShiftMode.CANARY, bakeTime ?? Duration.minutes(5), TrafficShiftUnit.INSTANCE_COUNT, instances);
  }

  /**
   * Shift in steps of `percent` % of the capacity (10 to 50 %), baking after each.
   * @param stepWait wait after each step; default 5 minutes
   */
  public static linear(percent: number, stepWait?: Duration): TrafficShift {
    return new TrafficShift(TrafficShiftMode.LINEAR, stepWait ?? Duration.minutes(5), TrafficShiftUnit.CAPACITY_PERCENT, percent);
  }

  /**
   * Shift in steps of `instances` instances (10 to 50 % of the fleet), baking after each.
   * @param stepWait wait after each step; default 5 minutes
   */
  public static linearInstances(instances: number, stepWait?: Duration): TrafficShift {
    return new TrafficShift(TrafficShiftMode.LINEAR, stepWait ?? Duration.minutes(5), TrafficShiftUnit.INSTANCE_COUNT, instances);
  }

  private constructor(
    /** The traffic shifting mode (`TrafficRoutingConfig.Type`). */
    public readonly mode: TrafficShiftMode,
    /** The wait after each shift (the baking period). */
    public readonly waitInterval: Duration,
    /** The unit of `size`; undefined for ALL_AT_ONCE. */
    public readonly unit?: TrafficShiftUnit,
    /** The canary size or linear step; undefined for ALL_AT_ONCE. */
    public readonly size?: number,
  ) {}
}
