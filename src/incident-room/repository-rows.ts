/** Row helpers the incident room's repositories share. */

export const date = (d: Date | string | null | undefined): Date | null => (d === null || d === undefined ? null : new Date(d));
export const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
