/**
 * Receivers shown on /help/webhooks, as plain text. They are run by the tests against real signed deliveries
 * (test/webhook-docs.test.ts), so what the page tells receivers to do is known to work.
 */

/** Node.js 18+: `KINKYU_WEBHOOK_SECRET=… PORT=8080 node receiver.mjs`. */
export const NODE_RECEIVER = `// receiver.mjs: KINKYU_WEBHOOK_SECRET=<your secret> PORT=8080 node receiver.mjs
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const secret = process.env.KINKYU_WEBHOOK_SECRET;
const toleranceSeconds = 300;
const handled = new Set(); // keep these in your database

function verify(header, rawBody, nowSeconds = Date.now() / 1000) {
  let t = NaN;
  const signatures = [];
  for (const part of String(header ?? '').split(',')) {
    const [key, value = ''] = part.trim().split('=');
    if (key === 't' && /^\\d+$/.test(value)) t = Number(value);
    if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(Buffer.from(value, 'hex'));
  }
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(\`\${t}.\`).update(rawBody).digest();
  return signatures.some((signature) => timingSafeEqual(signature, expected));
}

createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const rawBody = Buffer.concat(chunks); // the exact bytes: verify before parsing
    if (req.method !== 'POST' || !verify(req.headers['x-kinkyu-signature'], rawBody)) {
      res.writeHead(401).end();
      return;
    }
    const key = req.headers['idempotency-key'];
    if (!handled.has(key)) {
      handled.add(key);
      const event = JSON.parse(rawBody.toString('utf8'));
      if (event.incident) console.log('incident', event.incident.id, event.incident.status);
      if (event.component_update) console.log('component', event.component_update.component_id, event.component_update.new_status);
    }
    res.writeHead(204).end(); // answer at once; do slow work later
  });
}).listen(Number(process.env.PORT ?? 8080));
`;

/** Python 3: `KINKYU_WEBHOOK_SECRET=… PORT=8080 python3 receiver.py`. */
export const PYTHON_RECEIVER = `# receiver.py: KINKYU_WEBHOOK_SECRET=<your secret> PORT=8080 python3 receiver.py
import hashlib, hmac, json, os, time
from http.server import BaseHTTPRequestHandler, HTTPServer

SECRET = os.environ["KINKYU_WEBHOOK_SECRET"].encode()
TOLERANCE_SECONDS = 300
handled = set()  # keep these in your database

def verify(header, raw_body, now=None):
    t, signatures = None, []
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            t = int(value)
        elif key == "v1":
            signatures.append(value)
    if t is None or abs((now or time.time()) - t) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(SECRET, str(t).encode() + b"." + raw_body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, s) for s in signatures)

class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        raw_body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not verify(self.headers.get("X-Kinkyu-Signature"), raw_body):
            self.send_response(401)
            self.end_headers()
            return
        key = self.headers.get("Idempotency-Key")
        if key not in handled:
            handled.add(key)
            event = json.loads(raw_body)
            print(event.get("incident", {}).get("status") or event.get("component_update", {}).get("new_status"), flush=True)
        self.send_response(204)
        self.end_headers()

HTTPServer(("", int(os.environ.get("PORT", "8080"))), Receiver).serve_forever()
`;
