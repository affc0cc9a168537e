/**
 * Alerting figures per stack: how many alerts the catalog yields and the computed worst-case time
 * to detect a full outage of a critical service (scrape + threshold crossing + evaluation + `for`
 * + Alertmanager group_wait). Target: at most 5 minutes (the seed's MTTD).
 * Run: `npx tsx bench/alerting.ts` (also part of `npm run bench`).
 */
import { loadCatalog } from "../infra/catalog/load";
import { PAGE_GROUP_WAIT_SECONDS } from "../infra/observability/alertmanager";
import { worstCaseTimeToDetect } from "../infra/observability/detection";
import { catalogAlerts, ruleOptions } from "../infra/observability/slo";
import { loadStackConfig } from "../infra/plan/run";

const catalog = loadCatalog();
console.log("stack      SLO alert rules   alert names   worst-case time to detect (critical service, full outage)");
for (const stack of ["local", "staging", "prod"]) {
  const config = loadStackConfig(stack);
  const opts = ruleOptions(config);
  const alerts = catalogAlerts(catalog, opts);
  const names = new Set(alerts.map((a) => a.rule.alert));
  const { service, breakdown: b } = worstCaseTimeToDetect(alerts, opts, PAGE_GROUP_WAIT_SECONDS);
  console.log(
    `${stack.padEnd(9)} ${String(alerts.length).padStart(15)} ${String(names.size).padStart(13)}   ${b.totalSeconds} s (${service}: scrape ${b.scrapeSeconds} + crossing ${b.thresholdCrossingSeconds} + evaluation ${b.evaluationSeconds} + for ${b.forSeconds} + group_wait ${b.groupWaitSeconds})${b.totalSeconds <= 300 ? "" : "  EXCEEDS 5 min"}`,
  );
}
