/**
 * Worst-case time to detect (MTTD bound) a full outage, from the pipeline's timings. Pure.
 *
 * A full outage starts just after a scrape; from then every event is bad and traffic is steady.
 *   1. the first bad sample is scraped              ≤ scrape interval
 *   2. the slowest window of the quickest pair crosses its threshold: the base rate (window b)
 *      ramps from 0 to 100 % bad over b, and a window W averaging it crosses ratio θ after
 *      √(2·b·θ·W) when θ·W ≤ b/2, else θ·W + b/2 — observed at the next evaluation
 *   3. one more evaluation: the error ratios read the base series recorded at the previous one
 *   4. `for`, counted in evaluations
 *   5. Alertmanager's group_wait before the first notification
 */
import { ALERT_SPEEDS, baseWindow, durationSeconds, TRAFFIC_FLOOR_FRACTION, TRAFFIC_LOSS_FOR, type SloAlert, type SloRuleOptions } from "./slo";

export interface DetectionBreakdown {
  scrapeSeconds: number;
  thresholdCrossingSeconds: number;
  evaluationSeconds: number;
  forSeconds: number;
  groupWaitSeconds: number;
  totalSeconds: number;
}

/** Seconds for a window of `windowSeconds` over a base rate of `baseSeconds` to exceed `ratio`. */
export function crossingSeconds(ratio: number, windowSeconds: number, baseSeconds: number): number {
  const area = ratio * windowSeconds;
  return area <= baseSeconds / 2 ? Math.sqrt(2 * baseSeconds * area) : area + baseSeconds / 2;
}

function ceilTo(x: number, step: number): number {
  return Math.ceil(x / step - 1e-9) * step;
}

/** Time from a full outage to the first notification of `alert`, worst case. */
export function timeToDetect(alert: SloAlert, opts: SloRuleOptions, groupWaitSeconds: number): DetectionBreakdown {
  const b = durationSeconds(baseWindow(opts));
  const evalS = opts.evaluationIntervalSeconds;
  const crossing = Math.min(
    ...alert.pairs.map((p) => Math.max(crossingSeconds(Math.min(1, p.threshold), durationSeconds(p.long), b), crossingSeconds(Math.min(1, p.threshold), durationSeconds(p.short), b))),
  );
  const breakdown = {
    scrapeSeconds: opts.scrapeIntervalSeconds,
    thresholdCrossingSeconds: ceilTo(crossing, evalS),
    evaluationSeconds: evalS,
    forSeconds: ceilTo(durationSeconds(alert.speed.for), evalS),
    groupWaitSeconds,
  };
  return { ...breakdown, totalSeconds: Object.values(breakdown).reduce((a, x) => a + x, 0) };
}

/**
 * Time from all traffic stopping (just after a scrape) to the traffic-loss page: the base rate
 * falls below the floor once (1 - floor) of its window holds no request, then one evaluation,
 * `for` and group_wait.
 */
export function trafficLossTimeToDetect(opts: SloRuleOptions, groupWaitSeconds: number): DetectionBreakdown {
  const b = durationSeconds(baseWindow(opts));
  const evalS = opts.evaluationIntervalSeconds;
  const breakdown = {
    scrapeSeconds: opts.scrapeIntervalSeconds,
    thresholdCrossingSeconds: ceilTo(b * (1 - TRAFFIC_FLOOR_FRACTION), evalS),
    evaluationSeconds: evalS,
    forSeconds: ceilTo(durationSeconds(TRAFFIC_LOSS_FOR), evalS),
    groupWaitSeconds,
  };
  return { ...breakdown, totalSeconds: Object.values(breakdown).reduce((a, x) => a + x, 0) };
}

/** The page alerts of critical services' percentile SLOs: a latency collapse (every event slow). */
export function criticalLatencyAlerts(alerts: SloAlert[]): SloAlert[] {
  return alerts.filter((a) => a.sli.service.criticality === "critical" && (a.sli.kind === "latency" || a.sli.kind === "delivery-latency") && a.speed.severity === "critical");
}

/** The page alerts (fast burn) of critical services' availability: what MTTD is about. */
export function criticalOutageAlerts(alerts: SloAlert[]): SloAlert[] {
  return alerts.filter((a) => a.sli.service.criticality === "critical" && a.sli.kind === "availability" && a.speed.name === ALERT_SPEEDS[0].name);
}

/** The slowest detection among critical services' availability pages. */
export function worstCaseTimeToDetect(
  alerts: SloAlert[],
  opts: SloRuleOptions,
  groupWaitSeconds: number,
  select: (alerts: SloAlert[]) => SloAlert[] = criticalOutageAlerts,
): { service: string; breakdown: DetectionBreakdown } {
  const all = select(alerts).map((a) => ({ service: a.sli.service.name, breakdown: timeToDetect(a, opts, groupWaitSeconds) }));
  if (!all.length) throw new Error("no critical service with an availability SLO");
  return all.reduce((w, x) => (x.breakdown.totalSeconds > w.breakdown.totalSeconds ? x : w));
}
