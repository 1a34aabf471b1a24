import type { kbJa } from './kb.ja.ts';

/** kb messages in English. */
export const kbEn: Record<keyof typeof kbJa, string> = {
};
