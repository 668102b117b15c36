// Prometheus text exposition, written by hand: a handful of counters needs no client library in the bundle.
import type { RouteTable } from './routes.js';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

interface ServiceMetrics {
  codes: Map<number, number>;
  buckets: number[];
  count: number;
  sum: number;
  upstreamErrors: Map<string, number>;
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export class Metrics {
  private readonly services = new Map<string, ServiceMetrics>();

  private of(service: string): ServiceMetrics {
    let m = this.services.get(service);
    if (!m) {
      m = { codes: new Map(), buckets: new Array<number>(BUCKETS.length).fill(0), count: 0, sum: 0, upstreamErrors: new Map() };
      this.services.set(service, m);
    }
    return m;
  }

  /** One finished request; `service` is '' for requests that named no known service. */
  request(service: string, code: number, seconds: number): void {
    const m = this.of(service);
    m.codes.set(code, (m.codes.get(code) ?? 0) + 1);
    m.count++;
    m.sum += seconds;
    for (let i = 0; i < BUCKETS.length; i++) {
      if (seconds <= BUCKETS[i]!) {
        m.buckets[i]!++;
        break;
      }
    }
  }

  upstreamError(service: string, reason: string): void {
    const m = this.of(service).upstreamErrors;
    m.set(reason, (m.get(reason) ?? 0) + 1);
  }

  render(routes: RouteTable): string {
    const out: string[] = [];
    out.push('# HELP azureml_fe_requests_total Scoring requests answered, by service and status code.', '# TYPE azureml_fe_requests_total counter');
    for (const [svc, m] of this.services) for (const [code, n] of m.codes) out.push(`azureml_fe_requests_total{service="${escape(svc)}",code="${code}"} ${n}`);
    out.push(
      '# HELP azureml_fe_request_duration_seconds Time from a request to the end of its answer, by service.',
      '# TYPE azureml_fe_request_duration_seconds histogram',
    );
    for (const [svc, m] of this.services) {
      const s = escape(svc);
      let cumulative = 0;
      for (let i = 0; i < BUCKETS.length; i++) {
        cumulative += m.buckets[i]!;
        out.push(`azureml_fe_request_duration_seconds_bucket{service="${s}",le="${BUCKETS[i]}"} ${cumulative}`);
      }
      out.push(`azureml_fe_request_duration_seconds_bucket{service="${s}",le="+Inf"} ${m.count}`);
      out.push(`azureml_fe_request_duration_seconds_sum{service="${s}"} ${m.sum}`);
      out.push(`azureml_fe_request_duration_seconds_count{service="${s}"} ${m.count}`);
    }
    out.push('# HELP azureml_fe_upstream_errors_total Failed upstream calls, by service and reason.', '# TYPE azureml_fe_upstream_errors_total counter');
    for (const [svc, m] of this.services)
      for (const [reason, n] of m.upstreamErrors) out.push(`azureml_fe_upstream_errors_total{service="${escape(svc)}",reason="${escape(reason)}"} ${n}`);
    out.push('# HELP azureml_fe_queue_depth Requests waiting for an endpoint, by service.', '# TYPE azureml_fe_queue_depth gauge');
    for (const r of routes.all()) out.push(`azureml_fe_queue_depth{service="${escape(r.name)}"} ${r.queueDepth}`);
    out.push('# HELP azureml_fe_ready_endpoints Ready endpoints, by service.', '# TYPE azureml_fe_ready_endpoints gauge');
    for (const r of routes.all()) out.push(`azureml_fe_ready_endpoints{service="${escape(r.name)}"} ${r.endpoints.length}`);
    out.push('# HELP azureml_fe_inflight_requests Requests in flight to endpoints, by service.', '# TYPE azureml_fe_inflight_requests gauge');
    for (const r of routes.all()) out.push(`azureml_fe_inflight_requests{service="${escape(r.name)}"} ${r.endpoints.reduce((n, e) => n + e.active, 0)}`);
    return out.join('\n') + '\n';
  }
}
