// The daemon's control socket: a Unix socket (mode 0600 root, or 0660 with control.group) answering
// newline-delimited JSON. Malformed, oversized or unknown requests get an error response, never a
// crash. It only relays commands to the handler (the daemon root), never acts on actors itself.
import net from 'node:net';
import fs from 'node:fs';
import { errorResponse, isResponse, MAX_REQUEST_BYTES, okResponse, parseRequest, PROTOCOL_VERSION, type ControlCommand, type ControlResponse, type StreamFrame } from './protocol.js';

/**
 * A handler's answer that goes on: `result` is sent as the response, then `start` is called with an
 * emitter for frames; the function it returns is called once the client disconnects.
 */
export class Streamed {
  constructor(
    readonly result: unknown,
    readonly start: (emit: (event: unknown) => void) => () => void,
  ) {}
}

export type ControlHandler = (command: ControlCommand) => Promise<unknown>;

export interface ControlServer {
  close(): Promise<void>;
}

export interface SocketAccess {
  /** group allowed to use the socket (mode 0660); undefined: root only (mode 0600) */
  gid?: number;
}

/** A streaming client that reads slower than this many bytes behind loses frames (counted), not memory. */
const STREAM_BACKLOG_BYTES = 1 << 20;

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

function serve(sock: net.Socket, handler: ControlHandler): void {
  let buf = '';
  let streaming = false;
  sock.setEncoding('utf8');
  sock.on('error', () => undefined);
  const send = (r: ControlResponse | StreamFrame) => {
    if (!sock.destroyed) sock.write(JSON.stringify(r) + '\n');
  };
  const answer = (id: string | number, result: unknown) => {
    if (!(result instanceof Streamed)) return send(okResponse(id, result));
    if (sock.destroyed) return; // the client left before the answer: nothing to stream to
    send(okResponse(id, result.result));
    streaming = true;
    let dropped = 0;
    const stop = result.start((event) => {
      if (sock.destroyed) return;
      if (sock.writableLength > STREAM_BACKLOG_BYTES) {
        dropped++;
        return;
      }
      if (dropped > 0) {
        send({ v: PROTOCOL_VERSION, id, event: { dropped } });
        dropped = 0;
      }
      send({ v: PROTOCOL_VERSION, id, event });
    });
    sock.once('close', stop);
  };
  sock.on('data', (chunk: string) => {
    if (streaming) return; // a streaming connection only listens for its end
    buf += chunk;
    if (buf.length > MAX_REQUEST_BYTES && !buf.slice(0, MAX_REQUEST_BYTES + 1).includes('\n')) {
      send(errorResponse(null, 'WATCHER_E_CONTROL', `request longer than ${MAX_REQUEST_BYTES} bytes`));
      sock.end();
      buf = '';
      streaming = true; // ignore the rest of this connection
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
      let pending: Promise<unknown>;
      try {
        pending = handler(req.command);
      } catch (e) {
        pending = Promise.reject(e);
      }
      pending.then(
        (result) => answer(req.id, result),
        (err: unknown) => send(errorResponse(req.id, 'WATCHER_E_CONTROL', err instanceof Error ? err.message : String(err))),
      );
    }
  });
}

export async function startControlServer(path: string, handler: ControlHandler, access: SocketAccess = {}): Promise<ControlServer> {
  if (fs.existsSync(path)) {
    if (await isLive(path)) throw new Error(`another Watcher is answering on ${path}`);
    fs.rmSync(path, { force: true }); // stale, left by a crash
  }
  const server = net.createServer((sock) => serve(sock, handler));
  const oldMask = process.umask(0o177); // created 0600: nobody else can connect before the mode is final
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
  } finally {
    process.umask(oldMask);
  }
  if (access.gid !== undefined) {
    fs.chownSync(path, process.getuid?.() ?? 0, access.gid);
    fs.chmodSync(path, 0o660);
  } else fs.chmodSync(path, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        fs.rmSync(path, { force: true });
      }),
  };
}
