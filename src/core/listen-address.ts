// Parses the metrics endpoint's `listen` setting ("127.0.0.1:9797", "[::1]:9797") and refuses
// anything that is not a loopback address: the endpoint has no authentication. Pure.
import { parseIp } from './ip.js';

export interface ListenAddress {
  /** canonical address text, without brackets */
  host: string;
  /** 0 picks any free port (named in the log) */
  port: number;
}

export type ListenResult = { ok: true; address: ListenAddress } | { ok: false; message: string };

const LOOPBACK_ONLY = 'must be a loopback address (127.0.0.1:PORT or [::1]:PORT): the metrics endpoint has no authentication';

export function parseLoopbackListen(text: string): ListenResult {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!m) return { ok: false, message: `expected ADDRESS:PORT such as 127.0.0.1:9797 or [::1]:9797, got ${JSON.stringify(text)}` };
  const hostText = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port > 65535) return { ok: false, message: `port ${port} is out of range (0-65535)` };
  const ip = parseIp(hostText);
  // a name such as "localhost" could resolve to any address: only literal addresses are accepted
  if (!ip.ok || ip.ip.prefix !== (ip.ip.family === 4 ? 32 : 128)) return { ok: false, message: `${JSON.stringify(hostText)} ${LOOPBACK_ONLY}` };
  const loopback = ip.ip.family === 4 ? ip.ip.addr.startsWith('127.') : ip.ip.addr === '::1';
  if (!loopback) return { ok: false, message: `${ip.ip.addr} ${LOOPBACK_ONLY}` };
  return { ok: true, address: { host: ip.ip.addr, port } };
}
