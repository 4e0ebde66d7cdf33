// Summaries of repeated runs: the median with the range, and ratios paired run by run.

export function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function summarize(values) {
  const finite = values.filter(Number.isFinite);
  return {
    median: median(finite),
    min: finite.length ? Math.min(...finite) : Number.NaN,
    max: finite.length ? Math.max(...finite) : Number.NaN,
    runs: values.length,
  };
}

/**
 * The ratio of two variants as the median of the ratios of runs made side by side (A B A B), so a
 * machine that drifts during the suite does not bias it.
 */
export function pairedRatio(numerators, denominators) {
  const ratios = [];
  for (let i = 0; i < Math.min(numerators.length, denominators.length); i++) {
    if (denominators[i] !== 0) ratios.push(numerators[i] / denominators[i]);
  }
  return median(ratios);
}
