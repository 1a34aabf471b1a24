/** help messages in Japanese. */
export const helpJa = {
};
