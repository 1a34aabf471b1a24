/**
 * A small JSON path: `a.b[0].c`, optionally starting with `$` or `$.`; keys with other characters in
 * brackets and quotes (`['x-y']`). Returns `{ found: false }` instead of throwing for a missing step.
 */
export type PathStep = string | number;

const STEP = /^(?:\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\])/;

export function parseJsonPath(path: string): PathStep[] {
  let rest = path.trim();
  if (rest.startsWith('$')) rest = rest.slice(1);
  const steps: PathStep[] = [];
  while (rest.length > 0) {
    const m = STEP.exec(rest);
    if (!m || m[0].length === 0) throw new Error(`cannot read JSON path ${JSON.stringify(path)} at ${JSON.stringify(rest.slice(0, 20))}`);
    if (m[1] !== undefined) steps.push(m[1]);
    else if (m[2] !== undefined) steps.push(Number(m[2]));
    else steps.push((m[3] ?? m[4] ?? '').replace(/\\(.)/g, '$1'));
    rest = rest.slice(m[0].length);
  }
  if (steps.length === 0) throw new Error('empty JSON path');
  return steps;
}

export function readJsonPath(value: unknown, steps: PathStep[]): { found: true; value: unknown } | { found: false } {
  let current = value;
  for (const step of steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(current) || step >= current.length) return { found: false };
      current = current[step];
    } else {
      if (current === null || typeof current !== 'object' || Array.isArray(current) || !Object.hasOwn(current, step)) return { found: false };
      current = (current as Record<string, unknown>)[step];
    }
  }
  return { found: true, value: current };
}
