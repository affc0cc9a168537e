/**
 * Pulumi entry point (`pulumi up --stack <local|staging|prod>`). Config and catalog are validated
 * before any resource is declared; a bad value stops the run naming the file and key path.
 */
import { program } from "./program";

const outputs = program();

export const environment = outputs.environment;
export const services = outputs.services;
export const namespaces = outputs.namespaces;
