/** Monitors (issue 6) in Japanese. */
export const monitorsJa = {
};
