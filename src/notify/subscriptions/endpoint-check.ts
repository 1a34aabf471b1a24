import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { KinkyuError } from '../../domain/errors.ts';

/**
 * Where kinkyu may send an HTTP request on a stranger's behalf. A webhook URL is typed by anyone: without these
 * checks it would make the server post into its own network (SSRF) — the database, an admin port, the cloud's
 * metadata service at 169.254.169.254.
 */

/** Addresses no subscriber endpoint may have. Loopback is separate: the test flag may allow it. */
const FORBIDDEN = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24],
  ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) FORBIDDEN.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128], ['64:ff9b:1::', 48], ['100::', 64], ['2001:db8::', 32], ['2002::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) FORBIDDEN.addSubnet(net, bits, 'ipv6');

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** An IPv4 address carried inside an IPv6 one (::ffff:a.b.c.d, ::a.b.c.d, NAT64 64:ff9b::a.b.c.d), else null. */
function embeddedIpv4(address: string): string | null {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:(?:0:)?|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted?.[1]) return dotted[1];
  const hex = /^(?:::ffff:(?:0:)?|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex?.[1] && hex[2]) {
    const hi = parseInt(hex[1], 16);
    const lo = parseInt(hex[2], 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return null;
}

export type AddressVerdict = 'public' | 'loopback' | 'forbidden';

/** What kind of address this is, for an endpoint. Anything unparsable is forbidden. */
export function classifyAddress(address: string): AddressVerdict {
  const family = isIP(address);
  if (family === 0) return 'forbidden';
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    if (v4) return classifyAddress(v4);
    if (LOOPBACK.check(address, 'ipv6')) return 'loopback';
    return FORBIDDEN.check(address, 'ipv6') ? 'forbidden' : 'public';
  }
  if (LOOPBACK.check(address, 'ipv4')) return 'loopback';
  return FORBIDDEN.check(address, 'ipv4') ? 'forbidden' : 'public';
}

export type Lookup = (host: string) => Promise<string[]>;

const systemLookup: Lookup = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

const LOCAL_NAMES = /^(?:localhost|localhost\.localdomain|ip6-localhost|ip6-loopback)$|\.localhost$/;

function refuse(field: string, rule: string): never {
  throw new KinkyuError('VALIDATION', { field, rule });
}

/** A URL string from a form: one line, no spaces or control characters, bounded. */
export function parseEndpointUrl(value: string, field: string): URL {
  if (value.length > 2048) refuse(field, 'url_long');
  if (/[\s\u0000-\u001F\u007F]/.test(value)) refuse(field, 'url_invalid');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    refuse(field, 'url_invalid');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') refuse(field, 'url_https');
  if (url.username || url.password) refuse(field, 'url_credentials');
  if (url.hash) refuse(field, 'url_invalid');
  return url;
}

export interface EndpointPolicy {
  /** Loopback hosts (and plain http to them) allowed: tests and demos only. */
  allowLoopback: boolean;
  /** Name resolution; tests may substitute. Default: the system resolver (dns.lookup, every address). */
  lookup?: Lookup;
  timeoutMs?: number;
}

/**
 * Refuses a webhook URL that is not https, or whose host is — or resolves to, at any of its addresses — a private,
 * loopback, link-local, multicast or reserved address. Resolving again at send time is the sender's part
 * (`assertPublicHost`), since a name can change what it points to after this check.
 */
export async function checkWebhookUrl(value: string, policy: EndpointPolicy, field = 'url'): Promise<URL> {
  const url = parseEndpointUrl(value, field);
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const isLoopbackHost = LOCAL_NAMES.test(host) || (isIP(host) !== 0 && classifyAddress(host) === 'loopback');
  if (url.protocol === 'http:' && !(policy.allowLoopback && isLoopbackHost)) refuse(field, 'url_https');
  await assertPublicHost(host, policy, field);
  return url;
}

/** Every address of `host` must be public (or loopback when allowed). Throws a VALIDATION refusal otherwise. */
export async function assertPublicHost(host: string, policy: EndpointPolicy, field = 'url'): Promise<void> {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === '' || bare.endsWith('.internal') || bare.endsWith('.local')) refuse(field, 'url_private');
  let addresses: string[];
  if (isIP(bare) !== 0) {
    addresses = [bare];
  } else if (LOCAL_NAMES.test(bare)) {
    addresses = ['127.0.0.1'];
  } else {
    const lookup = policy.lookup ?? systemLookup;
    let timer: NodeJS.Timeout | undefined;
    try {
      addresses = await Promise.race([
        lookup(bare),
        new Promise<string[]>((_, reject) => {
          timer = setTimeout(() => reject(new Error('lookup timed out')), policy.timeoutMs ?? 5000);
        }),
      ]);
    } catch {
      refuse(field, 'url_unresolvable');
    } finally {
      clearTimeout(timer);
    }
    if (addresses.length === 0) refuse(field, 'url_unresolvable');
  }
  for (const address of addresses) {
    const verdict = classifyAddress(address);
    if (verdict === 'forbidden' || (verdict === 'loopback' && !policy.allowLoopback)) refuse(field, 'url_private');
  }
}

/**
 * A Slack incoming webhook: it must start with the configured prefix (https://hooks.slack.com/services/ in
 * production) and carry a path after it. The prefix names Slack's own host, so no address check is needed.
 */
export function checkSlackUrl(value: string, prefix: string, field = 'url'): URL {
  const url = parseEndpointUrl(value, field);
  const href = url.href;
  if (!href.startsWith(prefix) || !/^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+){1,3}$/.test(href.slice(prefix.length)) || url.search) {
    refuse(field, 'url_slack');
  }
  return url;
}
