import { compareResponse, valuesAgree } from '../../../constructs/fleet/private/golden-compare';
import { V2InferResponse } from '../../../constructs/fleet/private/golden';

const GOLDEN: V2InferResponse = {
  model_name: 'iris',
  model_version: 'abc',
  outputs: [
    { name: 'probabilities', datatype: 'FP32', shape: [1, 3], data: [0.9, 0.08, 0.02] },
    { name: 'label', datatype: 'INT64', shape: [1], data: [0] },
  ],
};

describe('valuesAgree', () => {
  test('accepts numbers within the tolerance, relative above 1', () => {
    expect(valuesAgree(0.5, 0.5 + 5e-6, 1e-5)).toBe(true);
    expect(valuesAgree(0.5, 0.5 + 2e-5, 1e-5)).toBe(false);
    expect(valuesAgree(1000, 1000.005, 1e-5)).toBe(true);
    expect(valuesAgree(1000, 1000.02, 1e-5)).toBe(false);
  });

  test('compares NaN, infinities, booleans and strings exactly', () => {
    expect(valuesAgree(Number.NaN, Number.NaN, 1e-5)).toBe(true);
    expect(valuesAgree(Number.POSITIVE_INFINITY, 1e308, 1e-5)).toBe(false);
    expect(valuesAgree(true, 1, 0)).toBe(true);
    expect(valuesAgree('a', 'b', 1)).toBe(false);
  });
});

describe('compareResponse', () => {
  test('finds no difference in an answer within the tolerance, nested data and extra outputs included', () => {
    const answer = {
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [1], data: [0] },
        { name: 'probabilities', datatype: 'FP32', shape: [1, 3], data: [[0.900001, 0.08, 0.02]] },
        { name: 'extra', datatype: 'FP32', shape: [1], data: [7] },
      ],
    };
    expect(compareResponse(GOLDEN, answer, 1e-5)).toEqual([]);
  });

  test('names the output, the index, both values and the difference', () => {
    const answer = {
      outputs: [
        { name: 'probabilities', datatype: 'FP32', shape: [1, 3], data: [0.1, 0.08, 0.82] },
        { name: 'label', datatype: 'INT64', shape: [1], data: [2] },
      ],
    };
    expect(compareResponse(GOLDEN, answer, 1e-5)).toEqual([
      "output 'probabilities'[0]: got 0.1, expected 0.9 (off by 8.00e-1)",
      "output 'probabilities'[2]: got 0.82, expected 0.02 (off by 8.00e-1)",
      "output 'label'[0]: got 2, expected 0 (off by 2.00e+0)",
    ]);
  });

  test('fails when an output is missing or has another datatype, shape or length', () => {
    expect(compareResponse(GOLDEN, {
      outputs: [{ name: 'probabilities', datatype: 'FP64', shape: [3], data: [0.9, 0.08] }],
    }, 1e-5)).toEqual([
      "output 'probabilities': datatype FP64, expected FP32",
      "output 'probabilities': shape [3], expected [1, 3]",
      "output 'probabilities': 2 values, expected 3",
      "output 'label': missing (the answer has 'probabilities')",
    ]);
  });

  test('fails when the answer is not a V2 response, quoting it', () => {
    expect(compareResponse(GOLDEN, { error: 'no model' }, 1e-5)).toEqual([
      'the answer has no "outputs" list: {"error":"no model"}',
    ]);
  });

  test('lists at most five differing values per output and counts the rest', () => {
    const big: V2InferResponse = {
      model_name: 'm', outputs: [{ name: 'y', datatype: 'FP32', shape: [8], data: [0, 0, 0, 0, 0, 0, 0, 0] }],
    };
    const diffs = compareResponse(big, { outputs: [{ name: 'y', datatype: 'FP32', shape: [8], data: [1, 1, 1, 1, 1, 1, 1, 0] }] }, 1e-5);
    expect(diffs).toHaveLength(6);
    expect(diffs[5]).toBe("output 'y': 2 more values differ (7 of 8)");
  });
});
