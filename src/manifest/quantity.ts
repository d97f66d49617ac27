/**
 * Kubernetes quantities: the strings that size memory, CPU and volumes (`64Mi`, `1G`, `500m`, `1e3`).
 *
 * The grammar is a decimal number (optional sign, optional fraction) followed by at most one suffix:
 * a binary multiple (`Ki Mi Gi Ti Pi Ei`, powers of 1024), a decimal multiple (`m` = 1/1000,
 * `k M G T P E`, powers of 1000) or a decimal exponent (`e3`, `E-2`). `1E` is an exa, `1E3` is a
 * thousand. A bare number in YAML or JSON (`cpu: 1`, `cpu: 0.5`) is the same as its string form.
 *
 * A quantity is parsed into an exact value (integer digits × 10^a × 2^b) so that rounding happens
 * once, where the consumer chooses: `parseCpuMillis` rounds *up* to whole millicores, as Kubernetes
 * does, without the float error that `0.07 * 1000` would bring.
 */

const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Record<string, number> = { m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

// The exponent alternative comes first so that `1E3` is an exponent and `1E` an exa.
const GRAMMAR = /^([+-]?)(\d+)?(?:\.(\d*))?([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$/;

/** Beyond this many powers of ten the value is out of any range a pod uses (and of a double's). */
const MAX_EXPONENT = 60;

interface Exact {
  negative: boolean;
  digits: bigint;
  pow10: number;
  pow2: number;
}

function parseExact(q: string | number): Exact {
  const text = typeof q === 'number' ? numberText(q) : q;
  const m = GRAMMAR.exec(text);
  if (!m || (m[2] === undefined && !m[3])) {
    throw new Error(`invalid quantity "${text}": expected a number with an optional suffix (64Mi, 1G, 500m, 1e3)`);
  }
  const [, sign, whole = '', fraction = '', suffix = ''] = m;
  let pow10 = -fraction.length;
  let pow2 = 0;
  const binary = BINARY[suffix];
  const decimal = DECIMAL[suffix];
  if (binary !== undefined) pow2 = binary;
  else if (decimal !== undefined) pow10 += decimal;
  else pow10 += Number(suffix.slice(1));
  const digits = BigInt(whole + fraction || '0');
  if (digits !== 0n && Math.abs(pow10 + (whole + fraction).replace(/^0+/, '').length) > MAX_EXPONENT) {
    throw new Error(`invalid quantity "${text}": out of range`);
  }
  return { negative: sign === '-', digits, pow10: digits === 0n ? 0 : pow10, pow2 };
}

function numberText(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`invalid quantity ${n}: not a finite number`);
  return String(n).replace('e+', 'e');
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return a % b === 0n ? a / b : a / b + 1n;
}

/** The value of a quantity as a number: bytes for memory, cores for CPU (`"500m"` → 0.5). */
export function parseQuantity(q: string | number): number {
  const { negative, digits, pow10, pow2 } = parseExact(q);
  const scaled = digits * 2n ** BigInt(pow2);
  const value = pow10 >= 0 ? Number(scaled * 10n ** BigInt(pow10)) : Number(scaled) / 10 ** -pow10;
  return negative ? -value : value;
}

/** A CPU quantity in millicores, rounded up (`"0.1"` → 100, `"1"` → 1000, `"1m"` → 1, `"0.5m"` → 1). */
export function parseCpuMillis(q: string | number): number {
  const { negative, digits, pow10, pow2 } = parseExact(q);
  const scaled = digits * 2n ** BigInt(pow2);
  const p = pow10 + 3;
  const millis = p >= 0 ? scaled * 10n ** BigInt(p) : ceilDiv(scaled, 10n ** BigInt(-p));
  return negative ? -Number(millis) : Number(millis);
}

/** Whether `q` is a well-formed quantity. */
export function isQuantity(q: string | number): boolean {
  try {
    parseExact(q);
    return true;
  } catch {
    return false;
  }
}
