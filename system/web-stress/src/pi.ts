/** π by the Leibniz series: deterministic CPU work proportional to `iterations`. */
export function computePi(iterations: number): number {
  return 4 * leibnizSum(0, iterations, 0);
}

/** The series' terms from..to − 1 added to `sum`, in order: chunked calls give computePi's exact result. */
export function leibnizSum(from: number, to: number, sum: number): number {
  for (let k = from; k < to; k++) {
    sum += (k % 2 === 0 ? 1 : -1) / (2 * k + 1);
  }
  return sum;
}
