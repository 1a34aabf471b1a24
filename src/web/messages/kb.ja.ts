/** kb messages in Japanese. */
export const kbJa = {
};
