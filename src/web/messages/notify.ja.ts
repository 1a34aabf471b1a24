/** Subscriptions and notifications (issue 6) in Japanese. */
export const notifyJa = {
};
