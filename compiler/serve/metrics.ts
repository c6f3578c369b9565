// Prometheus text exposition (format 0.0.4) for `fhec serve`: counters, gauges and one latency
// histogram, kept in memory. Small on purpose: no client library needed for a handful of series.

/** Upper bounds (seconds) of the latency histogram: FHE requests take milliseconds to minutes. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

function labelText(labels: Readonly<Record<string, string>>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, "_")}"`);
  return parts.length > 0 ? `{${parts.join(",")}}` : "";
}

class Histogram {
  readonly counts = LATENCY_BUCKETS.map(() => 0);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    LATENCY_BUCKETS.forEach((b, i) => {
      if (seconds <= b) this.counts[i]!++;
    });
    this.sum += seconds;
    this.count++;
  }
}

export class ServerMetrics {
  private readonly requests = new Map<string, { labels: Record<string, string>; n: number }>();
  private readonly latency = new Map<string, Histogram>();
  private pbs = 0;
  private pbsSeconds = 0;
  private rejectedBusy = 0;

  /** One finished request. */
  request(route: string, status: number, seconds: number): void {
    const key = `${route} ${status}`;
    const r = this.requests.get(key) ?? { labels: { route, status: String(status) }, n: 0 };
    r.n++;
    this.requests.set(key, r);
    if (status === 503) this.rejectedBusy++;
    const h = this.latency.get(route) ?? new Histogram();
    h.observe(seconds);
    this.latency.set(route, h);
  }

  /** PBS run by one encrypted run, and its duration. */
  run(pbs: number, seconds: number): void {
    this.pbs += pbs;
    this.pbsSeconds += seconds;
  }

  /** Requests answered 503 (queue full or shutting down). */
  get busyRejections(): number {
    return this.rejectedBusy;
  }

  render(gauges: Readonly<Record<string, { help: string; value: number }>>, counters: Readonly<Record<string, { help: string; value: number }>>): string {
    const out: string[] = [];
    out.push("# HELP fhec_requests_total HTTP requests answered, by route and status.", "# TYPE fhec_requests_total counter");
    for (const r of this.requests.values()) out.push(`fhec_requests_total${labelText(r.labels)} ${r.n}`);
    out.push("# HELP fhec_request_duration_seconds Time from request to the end of the response.", "# TYPE fhec_request_duration_seconds histogram");
    for (const [route, h] of this.latency) {
      LATENCY_BUCKETS.forEach((b, i) => out.push(`fhec_request_duration_seconds_bucket${labelText({ route, le: String(b) })} ${h.counts[i]}`));
      out.push(`fhec_request_duration_seconds_bucket${labelText({ route, le: "+Inf" })} ${h.count}`);
      out.push(`fhec_request_duration_seconds_sum${labelText({ route })} ${h.sum}`);
      out.push(`fhec_request_duration_seconds_count${labelText({ route })} ${h.count}`);
    }
    out.push("# HELP fhec_pbs_total Programmable bootstraps run.", "# TYPE fhec_pbs_total counter", `fhec_pbs_total ${this.pbs}`);
    out.push("# HELP fhec_run_seconds_total Time spent in encrypted runs.", "# TYPE fhec_run_seconds_total counter", `fhec_run_seconds_total ${this.pbsSeconds}`);
    out.push("# HELP fhec_pbs_per_second Programmable bootstraps per second of encrypted run time, since start.", "# TYPE fhec_pbs_per_second gauge",
      `fhec_pbs_per_second ${this.pbsSeconds > 0 ? this.pbs / this.pbsSeconds : 0}`);
    for (const [name, c] of Object.entries(counters)) out.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`, `${name} ${c.value}`);
    for (const [name, g] of Object.entries(gauges)) out.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} gauge`, `${name} ${g.value}`);
    return `${out.join("\n")}\n`;
  }
}
