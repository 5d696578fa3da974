import { describe, expect, it } from 'vitest';
import { normalQuantile, normalUpperQuantile } from '../../../functions/core/normal.js';
import { logGamma, lognormalFromMedianP99, Random } from '../../../sim/random.js';

/** Upper 1e-4 quantile of chi-square(df), Wilson–Hilferty: a correct sampler fails 1 in 10,000 seeds. */
function chiSquareCritical(df: number, z = 3.719): number {
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

function moments(xs: readonly number[]): { mean: number; variance: number } {
  const mean = xs.reduce((t, x) => t + x, 0) / xs.length;
  const variance = xs.reduce((t, x) => t + (x - mean) ** 2, 0) / (xs.length - 1);
  return { mean, variance };
}

/**
 * Pearson's chi-square of integer draws against a pmf, cells pooled until each expects at
 * least 10 draws, both tails included.
 */
function chiSquare(draws: readonly number[], pmf: (k: number) => number, maxK: number): { stat: number; df: number } {
  const counts = new Map<number, number>();
  for (const d of draws) counts.set(d, (counts.get(d) ?? 0) + 1);
  const n = draws.length;
  const cells: { expected: number; observed: number }[] = [];
  let cell = { expected: 0, observed: 0 };
  let cdf = 0;
  for (let k = 0; k <= maxK; k++) {
    const p = pmf(k);
    cdf += p;
    cell.expected += p * n;
    cell.observed += counts.get(k) ?? 0;
    if (cell.expected >= 10 && (1 - cdf) * n >= 10) {
      cells.push(cell);
      cell = { expected: 0, observed: 0 };
    }
  }
  // The last cell takes the whole upper tail, beyond maxK too.
  cell.expected += Math.max(0, 1 - cdf) * n;
  for (const [k, c] of counts) if (k > maxK) cell.observed += c;
  cells.push(cell);
  const stat = cells.reduce((t, c) => t + (c.observed - c.expected) ** 2 / c.expected, 0);
  return { stat, df: cells.length - 1 };
}

const poissonPmf = (mean: number) => (k: number) => Math.exp(-mean + k * Math.log(mean) - logGamma(k + 1));
const binomialPmf = (n: number, p: number) => (k: number) =>
  k > n ? 0 : Math.exp(logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log1p(-p));

describe('Random: reproducibility', () => {
  const mixed = (r: Random) => [r.uniform(), r.normal(), r.poisson(3), r.poisson(500), r.binomial(20, 0.3), r.binomial(10_000, 0.2), r.lognormalFromMedianP99(50, 400)];

  it('gives the same sequence for the same seed', () => {
    const a = new Random(42);
    const b = new Random(42);
    for (let i = 0; i < 200; i++) expect(mixed(a)).toEqual(mixed(b));
  });

  it('gives a different sequence for a different seed', () => {
    const a = Array.from({ length: 20 }, ((r) => () => r.uniform())(new Random(42)));
    const b = Array.from({ length: 20 }, ((r) => () => r.uniform())(new Random(43)));
    expect(a.filter((x, i) => x === b[i])).toHaveLength(0);
  });

  it('forks streams that are reproducible and independent of the parent', () => {
    const parent1 = new Random(7);
    const parent2 = new Random(7);
    const child1 = parent1.fork();
    const child2 = parent2.fork();
    const c1 = Array.from({ length: 50 }, () => child1.uniform());
    expect(Array.from({ length: 50 }, () => child2.uniform())).toEqual(c1);
    const p1 = Array.from({ length: 50 }, () => parent1.uniform());
    expect(p1.filter((x) => c1.includes(x))).toHaveLength(0);
    const second = parent1.fork();
    expect(Array.from({ length: 50 }, () => second.uniform()).filter((x) => c1.includes(x))).toHaveLength(0);
  });
});

describe('Random: continuous distributions', () => {
  const N = 100_000;

  it('uniform on [0, 1) has mean 1/2 and variance 1/12', () => {
    const r = new Random(1);
    const xs = Array.from({ length: N }, () => r.uniform());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const { mean, variance } = moments(xs);
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / N));
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / N));
  });

  it('normal has the mean and standard deviation asked for', () => {
    const r = new Random(2);
    const xs = Array.from({ length: N }, () => r.normal(10, 3));
    const { mean, variance } = moments(xs);
    expect(Math.abs(mean - 10)).toBeLessThan(5 * (3 / Math.sqrt(N)));
    expect(Math.abs(variance - 9)).toBeLessThan(5 * 9 * Math.sqrt(2 / N));
    // The tails too: P(|Z| > 2) = 4.55%.
    const outside = xs.filter((x) => Math.abs(x - 10) > 6).length / N;
    expect(Math.abs(outside - 0.0455)).toBeLessThan(5 * Math.sqrt((0.0455 * 0.9545) / N));
  });

  it('lognormal lands on the median and p99 it was given', () => {
    const r = new Random(3);
    const n = 200_000;
    const xs = Array.from({ length: n }, () => r.lognormalFromMedianP99(100, 1000)).sort((a, b) => a - b);
    // Sample quantile standard errors at this n: 0.3% (median) and 0.8% (p99) of the value.
    expect(Math.abs(xs[Math.floor(0.5 * n)]! / 100 - 1)).toBeLessThan(0.015);
    expect(Math.abs(xs[Math.floor(0.99 * n)]! / 1000 - 1)).toBeLessThan(0.04);
  });

  it('lognormal parameters: sigma 0 when p99 equals the median, refused when below', () => {
    expect(lognormalFromMedianP99(80, 80).sigma).toBe(0);
    expect(() => lognormalFromMedianP99(80, 79)).toThrow(RangeError);
    expect(() => lognormalFromMedianP99(0, 10)).toThrow(RangeError);
  });

  it('normal quantile and log-gamma match reference values', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 8);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 7);
    expect(normalUpperQuantile(1e-20)).toBeCloseTo(9.262340089798408, 6);
    expect(normalUpperQuantile(0.01)).toBeCloseTo(2.3263478740408408, 8);
    expect(logGamma(0.5)).toBeCloseTo(0.5723649429247001, 12);
    expect(logGamma(101)).toBeCloseTo(363.73937555556347, 9);
    expect(logGamma(1)).toBeCloseTo(0, 13);
  });
});

describe('Random: Poisson', () => {
  it.each([0.5, 3, 9.9, 10, 37.5, 1000, 1e6])('mean %d has mean and variance equal to it', (lambda) => {
    const r = new Random(Math.round(lambda * 10) + 11);
    const n = 20_000;
    const { mean, variance } = moments(Array.from({ length: n }, () => r.poisson(lambda)));
    expect(Math.abs(mean - lambda)).toBeLessThan(5 * Math.sqrt(lambda / n));
    // Var(s²) for a Poisson is about (λ + 2λ²)/n.
    expect(Math.abs(variance - lambda)).toBeLessThan(5 * Math.sqrt((lambda + 2 * lambda * lambda) / n));
  });

  it.each([
    [3, 20],
    [15, 60],
    [100, 200],
    [2500, 3000],
  ])('mean %d has the Poisson shape (chi-square)', (lambda, maxK) => {
    const r = new Random(lambda);
    const draws = Array.from({ length: 100_000 }, () => r.poisson(lambda));
    const { stat, df } = chiSquare(draws, poissonPmf(lambda), maxK);
    expect(df).toBeGreaterThan(5);
    expect(stat).toBeLessThan(chiSquareCritical(df));
  });

  it('is 0 for mean 0 and refuses a negative or infinite mean', () => {
    const r = new Random(1);
    expect(r.poisson(0)).toBe(0);
    expect(() => r.poisson(-1)).toThrow(RangeError);
    expect(() => r.poisson(Infinity)).toThrow(RangeError);
  });
});

describe('Random: binomial', () => {
  it.each([
    [20, 0.3],
    [1000, 0.005],
    [50, 0.999],
    [1000, 0.3],
    [1_000_000, 0.01],
    [100_000, 0.97],
    [2_000_000_000, 0.5],
  ])('n=%d p=%d has mean np and variance np(1-p)', (n, p) => {
    const r = new Random(n % 1000 + Math.round(p * 1000));
    const draws = 20_000;
    const xs = Array.from({ length: draws }, () => r.binomial(n, p));
    expect(xs.every((x) => Number.isInteger(x) && x >= 0 && x <= n)).toBe(true);
    const { mean, variance } = moments(xs);
    const v = n * p * (1 - p);
    expect(Math.abs(mean - n * p)).toBeLessThan(5 * Math.sqrt(v / draws));
    // Var(s²) ≈ (μ4 - σ⁴)/draws; μ4 = v(1 + 3(n-2)pq)/… is ~3v² for large n, v for tiny v.
    expect(Math.abs(variance - v)).toBeLessThan(5 * Math.sqrt((v + 2 * v * v) / draws));
  });

  it.each([
    [30, 0.2, 30],
    [40, 0.4, 40],
    [200, 0.1, 200],
    [100, 0.8, 100],
    [5000, 0.5, 5000],
  ])('n=%d p=%d has the binomial shape (chi-square)', (n, p, maxK) => {
    const r = new Random(n + 5);
    const draws = Array.from({ length: 100_000 }, () => r.binomial(n, p));
    const { stat, df } = chiSquare(draws, binomialPmf(n, p), maxK);
    expect(df).toBeGreaterThan(5);
    expect(stat).toBeLessThan(chiSquareCritical(df));
  });

  it('handles the edges and refuses nonsense', () => {
    const r = new Random(1);
    expect(r.binomial(0, 0.5)).toBe(0);
    expect(r.binomial(100, 0)).toBe(0);
    expect(r.binomial(100, 1)).toBe(100);
    expect(() => r.binomial(-1, 0.5)).toThrow(RangeError);
    expect(() => r.binomial(2.5, 0.5)).toThrow(RangeError);
    expect(() => r.binomial(10, 1.5)).toThrow(RangeError);
    expect(() => r.binomial(10, Number.NaN)).toThrow(RangeError);
  });
});
