import { Counter, Histogram, Registry as PromRegistry, collectDefaultMetrics, Gauge } from 'prom-client';

/** Prometheus metrics of one server (its own registry, so tests can run several servers). */
export class ServerMetrics {
  readonly registry = new PromRegistry();
  readonly requests = new Counter({ name: 'modelvault_http_requests_total', help: 'HTTP requests by route, method, status, model and version', labelNames: ['route', 'method', 'status', 'model', 'version'], registers: [this.registry] });
  readonly latency = new Histogram({
    name: 'modelvault_http_request_duration_seconds', help: 'HTTP request latency by route, model and version', labelNames: ['route', 'model', 'version'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [this.registry],
  });
  readonly batchSize = new Histogram({ name: 'modelvault_batch_requests', help: 'Requests merged into one worker batch', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256], registers: [this.registry] });
  readonly batchRows = new Histogram({ name: 'modelvault_batch_rows', help: 'Rows per worker batch', buckets: [1, 4, 16, 64, 256, 1024, 4096], registers: [this.registry] });
  readonly workerRestarts = new Counter({ name: 'modelvault_worker_restarts_total', help: 'Model worker processes replaced after a crash or a missed deadline', labelNames: ['reason'], registers: [this.registry] });
  readonly modelsLoaded = new Gauge({ name: 'modelvault_models_loaded', help: 'Model versions loaded in the workers', registers: [this.registry] });

  /** Child metrics per label set, so the hot path hashes one string instead of a label object. */
  private readonly children = new Map<string, { requests: { inc(): void }; latency: { observe(v: number): void } }>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'modelvault_' });
  }

  /** Records one finished HTTP request. */
  observe(route: string, method: string, status: number, model: string, version: string, seconds: number): void {
    const k = `${route}\0${method}\0${status}\0${model}\0${version}`;
    let c = this.children.get(k);
    if (!c) {
      if (this.children.size > 10_000) this.children.clear();
      c = { requests: this.requests.labels(route, method, String(status), model, version), latency: this.latency.labels(route, model, version) };
      this.children.set(k, c);
    }
    c.requests.inc();
    c.latency.observe(seconds);
  }
}
