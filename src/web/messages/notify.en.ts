import type { notifyJa } from './notify.ja.ts';

/** Subscriptions and notifications (issue 6) in English. */
export const notifyEn: Record<keyof typeof notifyJa, string> = {
};
