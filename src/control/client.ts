// watcherctl's side of the control socket: one request, one response, with a timeout.
import net from 'node:net';
import { PROTOCOL_VERSION, type ControlCommand, type ControlResponse } from './protocol.js';

export class DaemonNotRunning extends Error {}

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
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') reject(new DaemonNotRunning(`Watcher is not running (no answer on ${path})`));
      else reject(e);
    });
  });
}
