import type { monitorsJa } from './monitors.ja.ts';

/** Monitors (issue 6) in English. */
export const monitorsEn: Record<keyof typeof monitorsJa, string> = {
};
