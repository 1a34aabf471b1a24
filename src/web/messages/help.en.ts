import type { helpJa } from './help.ja.ts';

/** help messages in English. */
export const helpEn: Record<keyof typeof helpJa, string> = {
};
