// The daemon's control socket: a Unix socket (mode 0600) answering newline-delimited JSON.
// Malformed, oversized or unknown requests get an error response, never a crash. It only relays
// commands to the handler (the daemon root), never acts on actors itself.
import net from 'node:net';
import fs from 'node:fs';
import { errorResponse, isResponse, MAX_REQUEST_BYTES, okResponse, parseRequest, type ControlCommand, type ControlResponse } from './protocol.js';

export type ControlHandler = (command: ControlCommand) => Promise<unknown>;

export interface ControlServer {
  close(): Promise<void>;
}

/** Is something answering on this socket path? (A stale socket file from a crash is not.) */
function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export async function startControlServer(path: string, handler: ControlHandler): Promise<ControlServer> {
  if (fs.existsSync(path)) {
    if (await isLive(path)) throw new Error(`another Watcher is answering on ${path}`);
    fs.rmSync(path, { force: true }); // stale, left by a crash
  }
  const server = net.createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => undefined);
    const send = (r: ControlResponse) => {
      if (!sock.destroyed) sock.write(JSON.stringify(r) + '\n');
    };
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_REQUEST_BYTES && !buf.includes('\n')) {
        send(errorResponse(null, 'WATCHER_E_CONTROL', `request longer than ${MAX_REQUEST_BYTES} bytes`));
        sock.end();
        buf = '';
        return;
      }
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const req = parseRequest(line);
        if (isResponse(req)) {
          send(req);
          continue;
        }
        handler(req.command).then(
          (result) => send(okResponse(req.id, result)),
          (err: unknown) => send(errorResponse(req.id, 'WATCHER_E_CONTROL', err instanceof Error ? err.message : String(err))),
        );
      }
    });
  });
  const oldMask = process.umask(0o177); // the socket is created 0600: only root may steer Watcher
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
  } finally {
    process.umask(oldMask);
  }
  fs.chmodSync(path, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        fs.rmSync(path, { force: true });
      }),
  };
}
