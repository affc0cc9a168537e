/**
 * The Postgres bootstrap SQL the program generates (the RDS Job's roles.sql), run by psql on a
 * real PostgreSQL twice: it is idempotent, each service role connects to and writes only its own
 * database, and the metrics exporter reads statistics only. PostgreSQL comes from Debian
 * (`.ci/run` installs it); the test starts it on loopback.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "../../infra/catalog/load";
import { POSTGRES_EXPORTER_ROLE } from "../../infra/data/exporter-access";
import { postgresRoleName, postgresServices } from "../../infra/data/local";
import { postgresBootstrapSql } from "../../infra/data/sql";
import { hasPostgres, psql, startPostgres, type RunningPostgres } from "../helpers/real-servers";

const catalog = loadCatalog();
const services = postgresServices(catalog);
const passwordOf = (name: string) => `Pw${name.replace(/[^A-Za-z0-9]/g, "")}0123456789abcdef`;
const EXPORTER_PASSWORD = passwordOf(POSTGRES_EXPORTER_ROLE);
/** Databases every PostgreSQL cluster has that accept connections (template0 does not). */
const MAINTENANCE_DATABASES = ["postgres", "template1"];
const sql = postgresBootstrapSql(catalog, Object.fromEntries(services.map((s) => [s.name, passwordOf(s.name)])), EXPORTER_PASSWORD);

describe.runIf(hasPostgres())("Postgres bootstrap SQL on a real PostgreSQL", () => {
  let pg: RunningPostgres;
  const admin = (database: string, args: string[]) => psql(pg, pg.superuser, pg.superuserPassword, database, args);

  beforeAll(async () => {
    pg = await startPostgres();
    fs.writeFileSync(path.join(pg.dir, "roles.sql"), sql, { mode: 0o644 });
  }, 30_000);
  afterAll(async () => {
    await pg?.stop();
  });

  it("runs twice without error and leaves the same roles, databases and privileges", () => {
    const state = () =>
      admin("postgres", [
        "-c",
        "SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolconnlimit FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY 1",
        "-c",
        "SELECT datname, pg_get_userbyid(datdba), datacl FROM pg_database ORDER BY 1",
      ]).stdout;
    // psql prints NOTICEs (e.g. "already a member") on a re-run; warnings and errors are failures.
    const problems = (stderr: string) => stderr.split("\n").filter((l) => l && !/NOTICE:/.test(l));
    const first = admin("postgres", ["-f", path.join(pg.dir, "roles.sql")]);
    expect(problems(first.stderr)).toEqual([]);
    expect(first.status).toBe(0);
    const after1 = state();
    const second = admin("postgres", ["-f", path.join(pg.dir, "roles.sql")]);
    expect(problems(second.stderr)).toEqual([]);
    expect(second.status).toBe(0);
    expect(state()).toBe(after1);
    for (const s of services) expect(after1).toContain(`${s.datastores.postgres!.database}|${postgresRoleName(s)}|`);
  });

  it.each(services.map((s) => [s.name, s] as const))("%s: connects to and writes its own database only", (name, s) => {
    const role = postgresRoleName(s);
    const own = s.datastores.postgres!.database;
    const as = (db: string, args: string[]) => psql(pg, role, passwordOf(name), db, args);
    const write = as(own, ["-c", "CREATE TABLE IF NOT EXISTS probe (id int); INSERT INTO probe VALUES (1); SELECT count(*) FROM probe"]);
    expect(write.stderr).toBe("");
    expect(Number(write.stdout)).toBeGreaterThan(0);
    for (const other of services.filter((o) => o.name !== name)) {
      const r = as(other.datastores.postgres!.database, ["-c", "SELECT 1"]);
      expect(r.status, `${role} -> ${other.datastores.postgres!.database}`).not.toBe(0);
      expect(r.stderr).toMatch(/permission denied for database/);
    }
    for (const db of MAINTENANCE_DATABASES) {
      const r = as(db, ["-c", "SELECT 1"]);
      expect(r.status, `${role} -> ${db}`).not.toBe(0);
      expect(r.stderr).toMatch(/permission denied for database/);
    }
    // No role administration, no new databases.
    const escalate = as(own, ["-c", "CREATE ROLE intruder LOGIN"]);
    expect(escalate.stderr).toMatch(/permission denied/);
    expect(as(own, ["-c", `CREATE DATABASE ${own}_copy`]).stderr).toMatch(/permission denied/);
  });

  it("a wrong password is refused (SCRAM, no trust)", () => {
    const s = services[0];
    const r = psql(pg, postgresRoleName(s), "WrongPassword0123456789", s.datastores.postgres!.database, ["-c", "SELECT 1"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/password authentication failed/);
  });

  it("the metrics exporter reads statistics in the maintenance database and writes nothing", () => {
    const as = (db: string, args: string[]) => psql(pg, POSTGRES_EXPORTER_ROLE, EXPORTER_PASSWORD, db, args);
    const stats = as("postgres", ["-c", "SELECT count(*) FROM pg_stat_database"]);
    expect(stats.stderr).toBe("");
    expect(Number(stats.stdout)).toBeGreaterThan(0);
    expect(as("postgres", ["-c", "CREATE TABLE probe (id int)"]).stderr).toMatch(/permission denied/);
    expect(as("postgres", ["-c", "CREATE TEMP TABLE probe (id int)"]).stderr).toMatch(/permission denied/);
    for (const s of services) expect(as(s.datastores.postgres!.database, ["-c", "SELECT 1"]).stderr).toMatch(/permission denied for database/);
  });
});
