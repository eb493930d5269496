// Downloads one list over HTTP(S): conditional GET, an overall timeout, a size cap, few redirects,
// gzip (transfer encoding or a .gz body), TLS verification always on and a clear User-Agent.
import http from 'node:http';
import https from 'node:https';
import { gunzipBody } from './gunzip.js';

export interface HttpFetchOptions {
  url: string;
  timeoutMs: number;
  maxBytes: number;
  etag?: string;
  lastModified?: string;
  userAgent: string;
  maxRedirects?: number;
}

export type FetchResult =
  | { kind: 'not-modified' }
  | { kind: 'body'; text: string; etag?: string; lastModified?: string; bytes: number };

export async function fetchHttp(o: HttpFetchOptions): Promise<FetchResult> {
  const deadline = AbortSignal.timeout(o.timeoutMs);
  let url = new URL(o.url);
  for (let hop = 0; ; hop++) {
    const r = await request(url, o, deadline);
    if (r.kind !== 'redirect') return r;
    if (hop >= (o.maxRedirects ?? 3)) throw new Error(`more than ${o.maxRedirects ?? 3} redirects`);
    const next = new URL(r.location, url);
    // a redirect must not downgrade from TLS to clear text (a spoofed list would then be accepted)
    if (url.protocol === 'https:' && next.protocol !== 'https:') throw new Error(`redirect from https to ${next.protocol} refused`);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new Error(`redirect to ${next.protocol} refused`);
    url = next;
  }
}

type Hop = FetchResult | { kind: 'redirect'; location: string };

function request(url: URL, o: HttpFetchOptions, signal: AbortSignal): Promise<Hop> {
  const headers: Record<string, string> = { 'user-agent': o.userAgent, 'accept-encoding': 'gzip', accept: 'text/plain, application/json, */*;q=0.5' };
  if (o.etag !== undefined) headers['if-none-match'] = o.etag;
  if (o.lastModified !== undefined) headers['if-modified-since'] = o.lastModified;
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise<Hop>((resolve, reject) => {
    // rejectUnauthorized stays at its default (true): never turned off, not even by configuration
    const req = lib.get(url, { headers, signal }, (res) => {
      const status = res.statusCode ?? 0;
      if (status === 304) {
        res.resume();
        resolve({ kind: 'not-modified' });
        return;
      }
      if (status >= 300 && status < 400 && res.headers.location !== undefined) {
        res.resume();
        resolve({ kind: 'redirect', location: res.headers.location });
        return;
      }
      if (status !== 200) {
        res.resume();
        reject(new Error(`HTTP ${status} ${res.statusMessage ?? ''}`.trim()));
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > o.maxBytes) {
        res.destroy();
        reject(new Error(`response of ${declared} bytes is larger than max_bytes ${o.maxBytes}`));
        return;
      }
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (bytes > o.maxBytes) {
          // reject first: destroying the stream also fires 'aborted', which must not win
          reject(new Error(`response is larger than max_bytes ${o.maxBytes}`));
          res.destroy();
          return;
        }
        chunks.push(c);
      });
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('connection closed before the response ended: truncated')));
      res.on('end', () => {
        if (!res.complete) {
          reject(new Error('connection closed before the response ended: truncated'));
          return;
        }
        try {
          const gz = res.headers['content-encoding'] === 'gzip';
          const text = gunzipBody(Buffer.concat(chunks), o.maxBytes, gz);
          const etag = header(res.headers.etag);
          const lastModified = header(res.headers['last-modified']);
          resolve({ kind: 'body', text, bytes, ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) });
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
    });
    req.on('error', (e) => reject(signal.aborted ? new Error(`no complete answer within ${o.timeoutMs} ms`) : e));
  });
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
