/** notices messages in Japanese. */
export const noticesJa = {
};
