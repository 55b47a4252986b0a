/** π by the Leibniz series: deterministic CPU work proportional to `iterations`. */
export function computePi(iterations: number): number {
  let sum = 0;
  for (let k = 0; k < iterations; k++) {
    sum += (k % 2 === 0 ? 1 : -1) / (2 * k + 1);
  }
  return 4 * sum;
}
