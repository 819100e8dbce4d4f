import {
  checkAtLeastTimes, checkAtMost, checkAtMostPlus, checkAtMostTimes, failOnErrors, fmt, linearSlope, markdownTable, median, percentile,
  percentileOf, rssGrowth, RssSample, summarize,
} from '../../bench/stats';

const MB = 1024 * 1024;

describe('percentile', () => {
  test('interpolates linearly between closest ranks, as numpy does', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    // numpy.percentile(range(1, 11), [0, 50, 90, 99, 100]) → 1, 5.5, 9.1, 9.91, 10
    expect(percentile(sorted, 0)).toBe(1);
    expect(percentile(sorted, 50)).toBeCloseTo(5.5, 12);
    expect(percentile(sorted, 90)).toBeCloseTo(9.1, 12);
    expect(percentile(sorted, 99)).toBeCloseTo(9.91, 12);
    expect(percentile(sorted, 100)).toBe(10);
  });

  test('p99 of 1..100 sits between the 99th and 100th values', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 99)).toBeCloseTo(99.01, 12);
    expect(percentile(sorted, 50)).toBeCloseTo(50.5, 12);
  });

  test('a single sample is every percentile', () => {
    expect(percentile([7], 0)).toBe(7);
    expect(percentile([7], 99)).toBe(7);
  });

  test('is NaN for no samples', () => {
    expect(percentile([], 50)).toBeNaN();
  });

  test('fails when p is outside 0..100', () => {
    expect(() => percentile([1, 2], 101)).toThrow(RangeError);
    expect(() => percentile([1, 2], -1)).toThrow(RangeError);
    expect(() => percentile([1, 2], Number.NaN)).toThrow(RangeError);
  });

  test('percentileOf sorts numerically, not as strings', () => {
    // As strings, 10 and 100 would sort before 9.
    expect(percentileOf([100, 9, 10, 1], 100)).toBe(100);
    expect(percentileOf([100, 9, 10, 1], 0)).toBe(1);
    expect(median([100, 9, 10, 1])).toBe(9.5);
  });

  test('does not reorder the caller\'s array', () => {
    const values = [3, 1, 2];
    percentileOf(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe('summarize', () => {
  test('computes the distribution and both throughputs over the window', () => {
    const lat = [4, 1, 3, 2, 5];
    const s = summarize(lat, 2000, 8);
    expect(s.count).toBe(5);
    expect(s.minMs).toBe(1);
    expect(s.maxMs).toBe(5);
    expect(s.p50Ms).toBe(3);
    expect(s.meanMs).toBe(3);
    expect(s.requestsPerSec).toBe(2.5);
    expect(s.itemsPerSec).toBe(20);
  });

  test('counts the requests given, not the samples, for throughput (failed requests have no latency)', () => {
    const s = summarize([1, 2], 1000, 1, 10);
    expect(s.count).toBe(2);
    expect(s.requestsPerSec).toBe(10);
  });

  test('gives NaN rather than Infinity for an empty window', () => {
    const s = summarize([], 0);
    expect(s.requestsPerSec).toBeNaN();
    expect(s.p99Ms).toBeNaN();
    expect(s.meanMs).toBeNaN();
  });
});

describe('linearSlope', () => {
  test('recovers the slope of a line', () => {
    expect(linearSlope([0, 1, 2, 3], [5, 7, 9, 11])).toBeCloseTo(2, 12);
  });

  test('is NaN when x does not vary', () => {
    expect(linearSlope([1, 1], [2, 3])).toBeNaN();
  });

  test('fails when the lengths differ', () => {
    expect(() => linearSlope([1, 2], [1])).toThrow(RangeError);
  });
});

describe('rssGrowth', () => {
  const series = (f: (t: number) => number, n = 120): RssSample[] => Array.from({ length: n }, (_, t) => ({ tSec: t, rssBytes: f(t) * MB }));

  test('reports no growth for a flat series with a garbage-collection spike', () => {
    const g = rssGrowth(series((t) => (t === 60 || t === 110 ? 180 : 150)));
    expect(g.growthMb).toBe(0);
    expect(g.startMb).toBe(150);
    expect(g.maxMb).toBe(180);
    expect(Math.abs(g.slopeMbPerMin)).toBeLessThan(1);
  });

  test('reports a steady leak as growth and as slope', () => {
    // 0.1 MB per second: 12 MB over two minutes, 6 MB per minute.
    const g = rssGrowth(series((t) => 150 + 0.1 * t));
    expect(g.slopeMbPerMin).toBeCloseTo(6, 6);
    expect(g.growthMb).toBeGreaterThan(7);
    expect(g.growthMb).toBeLessThan(12);
  });

  test('reports no growth for plateaus that come and go without a rising floor', () => {
    // The shape of a real mobilenet soak: the floor stays at 290 MB while in-flight buffers make 300+ MB plateaus.
    const g = rssGrowth(series((t) => (t % 30 < 12 ? 290 : t > 60 && t % 30 < 25 ? 305 : 297)));
    expect(g.growthMb).toBe(0);
  });

  test('ignores the warm-up fraction', () => {
    // RSS climbs during the first 10 s, then stays flat.
    const g = rssGrowth(series((t) => (t < 10 ? 100 + t * 5 : 150)), 0.1);
    expect(g.growthMb).toBe(0);
    expect(g.samples).toBe(108);
  });

  test('is NaN with no samples', () => {
    expect(rssGrowth([]).growthMb).toBeNaN();
  });
});

describe('target checks', () => {
  test('a latency target passes at the limit and fails just above it', () => {
    expect(checkAtMostTimes('c1', 'm', 'd', 11.5, 10, 1.15, 'ms').verdict).toBe('pass');
    const fail = checkAtMostTimes('c1', 'm', 'd', 11.6, 10, 1.15, 'ms');
    expect(fail.verdict).toBe('fail');
    expect(fail.limit).toBeCloseTo(11.5, 12);
    expect(fail.ratio).toBeCloseTo(1.16, 12);
  });

  test('a throughput target passes at or above the limit', () => {
    const pass = checkAtLeastTimes('c8', 'm', 'd', 250, 100, 2.5, 'items/s');
    expect(pass.verdict).toBe('pass');
    expect(pass.ratio).toBe(2.5);
    expect(checkAtLeastTimes('c8', 'm', 'd', 249, 100, 2.5, 'items/s').verdict).toBe('fail');
  });

  test('an additive target compares with reference plus allowance and reports the difference', () => {
    const c = checkAtMostPlus('cold', 'm', 'd', 520, 250, 300, 'ms');
    expect(c.limit).toBe(550);
    expect(c.ratio).toBe(270);
    expect(c.verdict).toBe('pass');
    expect(checkAtMostPlus('rss', 'm', 'd', 141, 100, 40, 'MB').verdict).toBe('fail');
  });

  test('an absolute target', () => {
    expect(checkAtMost('health', 'm', 'd', 25, 25, 'ms').verdict).toBe('pass');
    expect(checkAtMost('health', 'm', 'd', 25.1, 25, 'ms').verdict).toBe('fail');
  });

  test('fails a target whose measurement had failed requests, keeping earlier notes', () => {
    const pass = { ...checkAtLeastTimes('c8', 'm', 'd', 300, 100, 2.5, 'items/s'), note: 'HTTP-bound' };
    const failed = failOnErrors(pass, 3, 'requests');
    expect(failed.verdict).toBe('fail');
    expect(failed.note).toBe('HTTP-bound; 3 requests failed');
    expect(failOnErrors(pass, 0, 'requests')).toBe(pass);
    const missing = checkAtLeastTimes('c8', 'm', 'd', Number.NaN, 100, 2.5, 'items/s');
    expect(failOnErrors(missing, 3, 'requests').verdict).toBe('fail');
    expect(failOnErrors(missing, 0, 'requests').verdict).toBe('n/a');
  });

  test('is n/a, not pass, when a measurement is missing', () => {
    expect(checkAtMostTimes('c1', 'm', 'd', Number.NaN, 10, 1.15, 'ms').verdict).toBe('n/a');
    expect(checkAtLeastTimes('c8', 'm', 'd', 100, Number.NaN, 0.8, 'items/s').verdict).toBe('n/a');
    expect(checkAtMostPlus('rss', 'm', 'd', 100, Number.NaN, 40, 'MB').verdict).toBe('n/a');
  });
});

describe('formatting', () => {
  test('fmt shows fewer decimals for larger numbers and a dash for missing ones', () => {
    expect(fmt(1234.5)).toBe('1235');
    expect(fmt(12.345)).toBe('12.3');
    expect(fmt(1.2345)).toBe('1.23');
    expect(fmt(0.012345)).toBe('0.012');
    expect(fmt(Number.NaN)).toBe('-');
    expect(fmt(undefined)).toBe('-');
    expect(fmt(2, 0)).toBe('2');
  });

  test('markdownTable pads columns to the widest cell', () => {
    expect(markdownTable([['a', 'bb'], ['cccc', 'd']])).toBe([
      '| a    | bb  |',
      '|------|-----|',
      '| cccc | d   |',
    ].join('\n'));
  });
});
