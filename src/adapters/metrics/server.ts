// The metrics endpoint: a small node:http server on a loopback address answering GET /metrics with
// the registry's text exposition and 404/405 to anything else. Started, moved and stopped by the
// daemon (run.ts) to match the configuration; a bad request or a failed scrape never reaches the daemon.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../../log.js';
import type { ListenAddress } from '../../core/listen-address.js';

export interface MetricsSettings {
  enabled: boolean;
  listen: ListenAddress;
}

type EndpointState = { kind: 'off' } | { kind: 'listening'; server: http.Server; key: string; url: string };

const keyOf = (a: ListenAddress): string => `${a.host}|${a.port}`;
const hostPart = (host: string): string => (host.includes(':') ? `[${host}]` : host);

export class MetricsEndpoint {
  private state: EndpointState = { kind: 'off' };

  constructor(
    private readonly registry: Registry,
    private readonly log: Logger,
    /** called when the endpoint starts listening the first time (process metrics begin then) */
    private readonly onFirstStart: () => void = () => undefined,
  ) {}

  /** The URL scraped now, or null when off. */
  get url(): string | null {
    return this.state.kind === 'listening' ? this.state.url : null;
  }

  /** Starts, moves or stops the endpoint to match the settings. Failures are logged, never thrown. */
  async apply(settings: MetricsSettings): Promise<void> {
    const want = settings.enabled ? keyOf(settings.listen) : null;
    if (this.state.kind === 'listening' && this.state.key === want) return;
    await this.close();
    if (!settings.enabled) return;
    try {
      const server = await this.listen(settings.listen);
      const port = (server.address() as AddressInfo).port;
      const url = `http://${hostPart(settings.listen.host)}:${port}/metrics`;
      this.state = { kind: 'listening', server, key: want!, url };
      this.onFirstStart();
      this.log.info(`metrics: serving ${url}`);
    } catch (e) {
      this.log.error(`metrics: cannot listen on ${hostPart(settings.listen.host)}:${settings.listen.port}: ${e instanceof Error ? e.message : String(e)}; no metrics until the next reload`);
    }
  }

  async close(): Promise<void> {
    if (this.state.kind !== 'listening') return;
    const { server } = this.state;
    this.state = { kind: 'off' };
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private listen(addr: ListenAddress): Promise<http.Server> {
    const server = http.createServer({ requestTimeout: 10_000, headersTimeout: 5_000, maxHeaderSize: 8192 }, (req, res) => {
      this.answer(req, res).catch((e: unknown) => {
        this.log.warn(`metrics: scrape failed: ${e instanceof Error ? e.message : String(e)}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('metrics collection failed\n');
      });
    });
    // malformed HTTP gets a 400 and a closed socket, nothing more
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
      else socket.destroy();
    });
    server.keepAliveTimeout = 5_000;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: addr.host, port: addr.port, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', (e) => this.log.warn(`metrics: server error: ${e.message}`));
        resolve(server);
      });
    });
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: Watcher serves /metrics only\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8', allow: 'GET, HEAD' }).end('method not allowed\n');
      return;
    }
    const body = await this.registry.metrics();
    res.writeHead(200, { 'content-type': this.registry.contentType, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}
