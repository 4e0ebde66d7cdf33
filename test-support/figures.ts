import { appendFileSync } from 'node:fs';

/**
 * Records a measured figure (R1-R9 of RELIABILITY.md) for `npm run reliability:report`: one JSON
 * line appended to the file named by CONNBACK_FIGURES. Without that variable it does nothing, so
 * ordinary test runs write no file.
 */
export function recordFigure(
  id: string,
  what: string,
  values: number | number[],
  unit: string,
): void {
  const file = process.env['CONNBACK_FIGURES'];
  if (file === undefined || file === '') return;
  const list = Array.isArray(values) ? values : [values];
  appendFileSync(file, `${JSON.stringify({ id, what, values: list, unit })}\n`);
}
