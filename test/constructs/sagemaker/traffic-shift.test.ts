import { Duration } from 'aws-cdk-lib';
import { TrafficShift, TrafficShiftMode, TrafficShiftUnit } from '../../../constructs/sagemaker';

describe('TrafficShift', () => {
  test('allAtOnce shifts everything, then bakes 5 minutes by default', () => {
    const shift = TrafficShift.allAtOnce();
    expect(shift.mode).toBe(TrafficShiftMode.ALL_AT_ONCE);
    expect(shift.waitInterval.toMinutes()).toBe(5);
    expect(shift.unit).toBeUndefined();
    expect(shift.size).toBeUndefined();
  });

  test('canary and linear steps carry their unit and size', () => {
    const canary = TrafficShift.canary(10, Duration.minutes(10));
    expect([canary.mode, canary.unit, canary.size, canary.waitInterval.toMinutes()])
      .toEqual([TrafficShiftMode.CANARY, TrafficShiftUnit.CAPACITY_PERCENT, 10, 10]);
    const linear = TrafficShift.linearInstances(2);
    expect([linear.mode, linear.unit, linear.size]).toEqual([TrafficShiftMode.LINEAR, TrafficShiftUnit.INSTANCE_COUNT, 2]);
  });

  test('the modes are SageMaker\'s TrafficRoutingConfig types', () => {
    expect(Object.values(TrafficShiftMode).sort()).toEqual(['ALL_AT_ONCE', 'CANARY', 'LINEAR']);
  });
});
