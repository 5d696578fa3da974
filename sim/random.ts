/**
 * A seeded source of random numbers for the rehearsal, on pure-rand's xoroshiro128+. The same
 * seed gives the same sequence on every machine, so a rehearsal can be replayed exactly.
 *
 * Distributions: uniform, normal, Poisson, binomial and lognormal. Poisson and binomial are
 * exact at every size: inversion for small means, and Hörmann's transformed rejection (PTRS for
 * Poisson, BTRS for binomial) for large ones, so a 1,000-rps second costs O(1) draws.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

/** z such that P(Z <= z) = 0.99 for a standard normal Z. */
export const Z99 = 2.3263478740408408;

/** Parameters of a lognormal: the log of a sample is Normal(mu, sigma). */
export interface LognormalParams {
  readonly mu: number;
  readonly sigma: number;
}

/**
 * The lognormal whose median and 99th percentile are the ones given.
 *
 * @example lognormalFromMedianP99(100, 1000) // { mu: 4.605..., sigma: 0.9898... }
 */
export function lognormalFromMedianP99(medianMs: number, p99Ms: number): LognormalParams {
  if (!(medianMs > 0) || !(p99Ms >= medianMs)) {
    throw new RangeError(`lognormal needs 0 < median <= p99, got median ${medianMs}, p99 ${p99Ms}`);
  }
  return { mu: Math.log(medianMs), sigma: Math.log(p99Ms / medianMs) / Z99 };
}

/**
 * A seeded random source. Not thread-safe, and not meant to be: one rehearsal, one sequence.
 *
 * @example
 * const rnd = new Random(42);
 * rnd.poisson(1000); // the same number for seed 42, every run
 */
export class Random {
  private readonly rng: JumpableRandomGenerator;
  private spareNormal: number | undefined;

  /** `seed` is any 32-bit integer; other numbers are truncated to one. */
  constructor(seed: number | JumpableRandomGenerator) {
    this.rng = typeof seed === 'number' ? xoroshiro128plus(seed | 0) : seed;
  }

  /**
   * An independent stream: the child starts where this one is, and this one jumps 2^64 draws
   * ahead, so neither ever reads the other's numbers. Give each model its own fork, and adding
   * a model does not change the numbers another one sees.
   */
  fork(): Random {
    const child = new Random(this.rng.clone());
    this.rng.jump();
    return child;
  }

  /** Uniform on [0, 1), 53 random bits. */
  uniform(): number {
    return uniformFloat64(this.rng);
  }

  /** Uniform on (0, 1): safe to take the log of. */
  uniformOpen(): number {
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    return u;
  }

  /** Normal with the given mean and standard deviation (Marsaglia's polar method). */
  normal(mean = 0, sd = 1): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return mean + sd * z;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return mean + sd * u * f;
  }

  /** Lognormal with the given parameters. */
  lognormal(p: LognormalParams): number {
    return Math.exp(p.mu + p.sigma * this.normal());
  }

  /** Lognormal with the given median and 99th percentile. */
  lognormalFromMedianP99(median: number, p99: number): number {
    return this.lognormal(lognormalFromMedianP99(median, p99));
  }

  /** Poisson with the given mean: exact, O(mean) below 10, O(1) above (PTRS). */
  poisson(mean: number): number {
    if (!(mean >= 0) || !Number.isFinite(mean)) throw new RangeError(`Poisson mean must be finite and >= 0, got ${mean}`);
    if (mean === 0) return 0;
    return mean < 10 ? this.poissonMultiplication(mean) : this.poissonPtrs(mean);
  }

  /** Binomial(n, p): exact; inversion when n·min(p, 1-p) < 10, BTRS above. */
  binomial(n: number, p: number): number {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`binomial n must be a whole number >= 0, got ${n}`);
    if (!(p >= 0 && p <= 1)) throw new RangeError(`binomial p must be in [0, 1], got ${p}`);
    if (n === 0 || p === 0) return 0;
    if (p === 1) return n;
    // Both methods are built for p <= 1/2; the other half is its mirror image.
    if (p > 0.5) return n - this.binomial(n, 1 - p);
    return n * p < 10 ? this.binomialInversion(n, p) : this.binomialBtrs(n, p);
  }

  // Knuth: count uniforms until their product drops below e^-mean.
  private poissonMultiplication(mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    let product = this.uniform();
    while (product > limit) {
      k++;
      product *= this.uniform();
    }
    return k;
  }

  // Hörmann (1993), "The transformed rejection method for generating Poisson random variables",
  // as numpy implements it: a hat over the transformed density, a squeeze that accepts ~90%.
  private poissonPtrs(mean: number): number {
    const slam = Math.sqrt(mean);
    const loglam = Math.log(mean);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = this.uniform() - 0.5;
      const v = this.uniform();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <= -mean + k * loglam - logGamma(k + 1)) {
        return k;
      }
    }
  }

  // Sequential search of the CDF from 0; the bound restarts a run that wandered into a tail
  // floating-point rounding made unreachable (numpy's safeguard).
  private binomialInversion(n: number, p: number): number {
    const q = 1 - p;
    const q0 = Math.exp(n * Math.log1p(-p));
    const np = n * p;
    const bound = Math.min(n, np + 10 * Math.sqrt(np * q + 1));
    let x = 0;
    let px = q0;
    let u = this.uniform();
    while (u > px) {
      x++;
      if (x > bound) {
        x = 0;
        px = q0;
        u = this.uniform();
      } else {
        u -= px;
        px = ((n - x + 1) * p * px) / (x * q);
      }
    }
    return x;
  }

  // Hörmann (1993), "The generation of binomial random variates": transformed rejection with
  // squeeze (BTRS), valid for n·p >= 10 and p <= 1/2. The acceptance test compares log pmf
  // ratios against the mode, so it is exact up to logGamma's ~1e-15 relative error.
  private binomialBtrs(n: number, p: number): number {
    const q = 1 - p;
    const spq = Math.sqrt(n * p * q);
    const b = 1.15 + 2.53 * spq;
    const a = -0.0873 + 0.0248 * b + 0.01 * p;
    const c = n * p + 0.5;
    const vr = 0.92 - 4.2 / b;
    const alpha = (2.83 + 5.1 / b) * spq;
    const lpq = Math.log(p / q);
    const m = Math.floor((n + 1) * p);
    const h = logGamma(m + 1) + logGamma(n - m + 1);
    for (;;) {
      const u = this.uniform() - 0.5;
      const v = this.uniform();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + c);
      if (k < 0 || k > n) continue;
      if (us >= 0.07 && v <= vr) return k;
      const lhs = Math.log((v * alpha) / (a / (us * us) + b));
      if (lhs <= h - logGamma(k + 1) - logGamma(n - k + 1) + (k - m) * lpq) return k;
    }
  }
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7), relative error about 1e-15. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let s = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) s += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}
