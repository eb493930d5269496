// Gets the raw list of one dynloader from its configured source: an http(s) URL, a local file, or a
// command's stdout (run from an argument list, never through a shell), with the same size and time caps.
import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { fetchHttp, type FetchResult } from './fetch-http.js';
import { gunzipBody } from './gunzip.js';

export interface SourceSpec {
  url?: string | undefined;
  file?: string | undefined;
  command?: readonly string[] | undefined;
  timeoutMs: number;
  maxBytes: number;
}

export const USER_AGENT = 'Watcher-dynloader/0.1 (+https://github.com/watcher; blocklist import, conditional GET)';

/** What the last good download said, for a conditional GET. */
export interface Validators {
  etag?: string | undefined;
  lastModified?: string | undefined;
}

export async function fetchSource(s: SourceSpec, v: Validators): Promise<FetchResult> {
  if (s.url !== undefined) {
    return fetchHttp({
      url: s.url,
      timeoutMs: s.timeoutMs,
      maxBytes: s.maxBytes,
      userAgent: USER_AGENT,
      ...(v.etag !== undefined ? { etag: v.etag } : {}),
      ...(v.lastModified !== undefined ? { lastModified: v.lastModified } : {}),
    });
  }
  if (s.file !== undefined) return readCapped(s.file, s.maxBytes);
  if (s.command !== undefined && s.command.length > 0) return runCommand(s.command, s.timeoutMs, s.maxBytes);
  throw new Error('no source configured');
}

async function readCapped(file: string, maxBytes: number): Promise<FetchResult> {
  const fh = await open(file, 'r');
  try {
    const st = await fh.stat();
    if (st.size > maxBytes) throw new Error(`${file} is ${st.size} bytes, larger than max_bytes ${maxBytes}`);
    const body = await fh.readFile();
    return { kind: 'body', text: gunzipBody(body, maxBytes), bytes: body.length };
  } finally {
    await fh.close();
  }
}

function runCommand(argv: readonly string[], timeoutMs: number, maxBytes: number): Promise<FetchResult> {
  return new Promise((resolve, reject) => {
    execFile(argv[0]!, argv.slice(1), { timeout: timeoutMs, maxBuffer: maxBytes, encoding: 'buffer', shell: false }, (err, stdout) => {
      if (err) {
        reject(new Error(`command ${argv[0]} failed: ${err.message.split('\n')[0]}`));
        return;
      }
      try {
        resolve({ kind: 'body', text: gunzipBody(stdout, maxBytes), bytes: stdout.length });
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}
