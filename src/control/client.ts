// watcherctl's side of the control socket: one request, one response, with a timeout; or a request
// whose answer streams frames (trace) until the caller stops.
import net from 'node:net';
import { PROTOCOL_VERSION, type ControlCommand, type ControlResponse, type StreamFrame } from './protocol.js';

/** Nothing answers on the socket path: the daemon is not running (exit code 3). */
export class DaemonNotRunning extends Error {}
/** The socket exists but this user may not use it (exit code 1). */
export class SocketDenied extends Error {}

function connectError(path: string, e: NodeJS.ErrnoException): Error {
  if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') return new DaemonNotRunning(`Watcher is not running (no answer on ${path})`);
  if (e.code === 'EACCES' || e.code === 'EPERM') {
    return new SocketDenied(`permission denied on ${path}: run as root, or as a member of the group named by control.group`);
  }
  return e;
}

export function request(path: string, command: ControlCommand, timeoutMs = 30_000): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(path);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer from ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.once('connect', () => sock.write(JSON.stringify({ v: PROTOCOL_VERSION, id: 1, ...command }) + '\n'));
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        sock.end();
        try {
          resolve(JSON.parse(buf.slice(0, nl)) as ControlResponse);
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      }
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(connectError(path, e));
    });
  });
}

/**
 * Sends a streaming request: resolves with the response once it arrives, then calls onFrame for each
 * frame until `stop()` or the daemon closes the connection (then `ended` resolves).
 */
export function stream(
  path: string,
  command: ControlCommand,
  onFrame: (frame: StreamFrame) => void,
): Promise<{ response: ControlResponse; stop: () => void; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(path);
    let buf = '';
    let response: ControlResponse | null = null;
    const ended = new Promise<void>((r) => sock.once('close', () => r()));
    sock.setEncoding('utf8');
    sock.once('connect', () => sock.write(JSON.stringify({ v: PROTOCOL_VERSION, id: 1, ...command }) + '\n'));
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let msg: unknown;
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        if (response === null) {
          response = msg as ControlResponse;
          resolve({ response, stop: () => sock.destroy(), ended });
          if (!response.ok) sock.end();
        } else onFrame(msg as StreamFrame);
      }
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      if (response === null) reject(connectError(path, e));
    });
  });
}
