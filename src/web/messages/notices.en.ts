import type { noticesJa } from './notices.ja.ts';

/** notices messages in English. */
export const noticesEn: Record<keyof typeof noticesJa, string> = {
};
