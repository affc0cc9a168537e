/**
 * Memory a plan leaves behind in the process after it returns: heap used (after a full GC) after
 * planning prod, then prod with a synthetic catalog of 100 services, then prod again. Each figure
 * should be close to the first: nothing of a plan is kept once it has returned.
 *
 *   node --expose-gc --import tsx bench/retention.ts [services]
 */
import { runPlan } from "../infra/plan/run";
import { syntheticCatalog } from "./plan.bench";

const gc = (globalThis as { gc?: () => void }).gc;

async function main(services: number): Promise<void> {
  if (!gc) throw new Error("run with node --expose-gc");
  const catalog = syntheticCatalog(services);
  console.log(`heap used after a plan returns (full GC), node ${process.version}`);
  for (const [label, catalogFile] of [["prod", undefined], [`prod, ${services} services`, catalog], ["prod", undefined], [`prod, ${services} services`, catalog]] as const) {
    const plan = await runPlan({ stack: "prod", catalogFile });
    const peak = process.memoryUsage().heapUsed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    gc();
    console.log(`  ${label.padEnd(22)} ${String(plan.resources.length).padStart(6)} resources: heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1).padStart(6)} MiB (${(peak / 2 ** 20).toFixed(0)} MiB before GC)`);
  }
}

main(Number(process.argv[2] ?? 100)).then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
