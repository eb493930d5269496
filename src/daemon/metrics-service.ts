// The daemon's metrics endpoint, loaded on demand: the recorder counts from the start, while
// prom-client and the HTTP endpoint are imported only when `metrics.enabled` first becomes true (at
// start or on a reload), so a daemon with metrics off does not carry them. Never sends an event.
import type { MetricsRecorder } from '../adapters/metrics/recorder.js';
import type { TreeView } from '../adapters/metrics/registry.js';
import type { MetricsEndpoint, MetricsSettings } from '../adapters/metrics/server.js';
import type { Logger } from '../log.js';

type Loaded = { kind: 'loaded'; endpoint: MetricsEndpoint };
type ServiceState = { kind: 'unloaded' } | { kind: 'loading'; ready: Promise<Loaded> } | Loaded;

export class MetricsService {
  private state: ServiceState = { kind: 'unloaded' };

  constructor(
    private readonly recorder: MetricsRecorder,
    /** the running tree, read by the collectors at scrape time */
    private readonly view: () => TreeView,
    private readonly log: Logger,
  ) {}

  /** Starts, moves or stops the endpoint to match the settings; failures are logged, never thrown. */
  async apply(settings: MetricsSettings): Promise<void> {
    if (this.state.kind === 'unloaded' && !settings.enabled) return;
    const loaded = await this.load();
    await loaded.endpoint.apply(settings);
  }

  async close(): Promise<void> {
    if (this.state.kind === 'unloaded') return;
    const loaded = this.state.kind === 'loading' ? await this.state.ready : this.state;
    await loaded.endpoint.close();
  }

  private load(): Promise<Loaded> {
    if (this.state.kind === 'loaded') return Promise.resolve(this.state);
    if (this.state.kind === 'loading') return this.state.ready;
    const ready = (async (): Promise<Loaded> => {
      const [{ WatcherMetrics }, { MetricsEndpoint }] = await Promise.all([import('../adapters/metrics/registry.js'), import('../adapters/metrics/server.js')]);
      const metrics = new WatcherMetrics(this.recorder);
      metrics.watch(this.view());
      const loaded: Loaded = { kind: 'loaded', endpoint: new MetricsEndpoint(metrics.registry, this.log, () => metrics.enableProcessMetrics()) };
      this.state = loaded;
      return loaded;
    })();
    this.state = { kind: 'loading', ready };
    return ready;
  }
}
