/**
 * The program body shared by the Pulumi entry point and the offline plan: read config, validate
 * it and the catalog, then declare the platform.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadCatalog } from "./catalog/load";
import { loadPlatformConfig, namespacedConfig } from "./config/load";
import { definePlatform, type PlatformOutputs } from "./platform";

export interface ProgramOptions {
  /** Catalog file to use instead of the shipped one (tests, what-if plans). */
  catalogFile?: string;
}

/** Validates everything first; throws a ValidationError before any resource is declared. */
export function program(opts: ProgramOptions = {}): PlatformOutputs {
  const config = loadPlatformConfig(pulumi.getStack(), namespacedConfig(pulumi.runtime.allConfig()));
  const catalog = loadCatalog(opts.catalogFile);
  return definePlatform({ config, catalog });
}
