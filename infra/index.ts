/**
 * Pulumi entry point (`pulumi up --stack <local|staging|prod>`). Validates the stack config and
 * the catalog before declaring any resource; a bad value stops the run with the file and key.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadCatalog } from "./catalog/load";
import { loadPlatformConfig, namespacedConfig } from "./config/load";
import { definePlatform } from "./platform";

const config = loadPlatformConfig(pulumi.getStack(), namespacedConfig(pulumi.runtime.allConfig()));
const catalog = loadCatalog();
const outputs = definePlatform({ config, catalog });

export const environment = outputs.environment;
export const services = outputs.services;
export const namespaces = outputs.namespaces;
