import type { Db } from '../store/db.ts';
import type { SupportDesk } from './desk.ts';

/** A handful of requests of every kind, so the demo queue shows what a morning during an incident looks like. */
const DEMO_REQUESTS: { lang: 'ja' | 'en'; email: string; body: string; orderId?: string; asset?: string; amount?: string }[] = [
  { lang: 'ja', email: 'sato@example.jp', body: 'アプリを開くとエラーになります。取引所が落ちているのでしょうか？' },
  { lang: 'ja', email: 'suzuki@example.jp', body: '身に覚えのないログイン通知が届き、その直後にBTCが出金されていました。私は操作していません。' },
  { lang: 'en', email: 'alex@example.com', body: 'My limit order for ETH was not filled even though the price went below my limit.', orderId: '1234567890', asset: 'ETH', amount: '0.5' },
  { lang: 'ja', email: 'tanaka@example.jp', body: '日本円の入金が3時間たっても反映されません。', asset: 'JPY', amount: '100000' },
  { lang: 'ja', email: 'ito@example.jp', body: '利用規約が変わるというメールが来ましたが、何か手続きは必要ですか？' },
  { lang: 'en', email: 'kim@example.com', body: 'How do I change the email address registered on my account?' },
];

export async function seedDemoTickets(db: Db, desk: SupportDesk): Promise<boolean> {
  const [row] = await db.query<{ n: string }>('SELECT count(*) AS n FROM tickets');
  if (Number(row?.n ?? 0) > 0) return false;
  for (const { lang, ...input } of DEMO_REQUESTS) await desk.submit(input, { lang, ip: null });
  return true;
}
