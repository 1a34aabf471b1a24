export { startFanout, FANOUT_DEFAULTS, type Fanout, type FanoutOptions, type FanoutTuning } from './service.ts';
export type { Channel, ChannelSender, ChannelProgress, Delivery, DeliveryOutcome, FanoutProgress, NotificationEvent, Subscriber } from './types.ts';
