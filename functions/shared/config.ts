/**
 * Configuration of the handlers: the environment variables of the contracts (ENV), read and validated
 * once at cold start. Each handler asks for the variables it uses, so a function deployed without one
 * fails at init with the variable's name instead of at the first write.
 */
import { z } from 'zod';
import { DEFAULT_ANONYMITY_K } from '#core/anonymity.ts';
import { DEFAULT_GUARD_NATIONAL_DEACTIVATIONS, DEFAULT_GUARD_REGENCY_SHARE } from '#core/guard.ts';
import { DEFAULT_CUTOFF_DAY, MAX_CUTOFF_DAY } from '#core/registration.ts';
import { DEFAULT_EXPORT_UNIT_MAX_PERSONS, MAX_EXPORT_UNIT_MAX_PERSONS } from '#core/snapshot.ts';
import { ENV } from './contracts.ts';
import { ConfigurationError } from './errors.ts';

export type ConfigKey = keyof typeof ENV;

const nonEmpty = z.string().trim().min(1);

const SCHEMA = {
  proposalsTable: nonEmpty,
  masterTable: nonEmpty,
  claimsTable: nonEmpty,
  populationTable: nonEmpty,
  registrationsTable: nonEmpty,
  mandiriCutoffDay: z.coerce.number().int().min(1).max(MAX_CUTOFF_DAY),
  proposalsBucket: nonEmpty,
  exportsBucket: nonEmpty,
  pseudonymKeySecretArn: nonEmpty,
  pseudonymKey: nonEmpty,
  reportLanguage: z.enum(['id', 'en']),
  // Below 2 the pseudonymised tier would single people out again; above 100 it would blank nearly everything.
  anonymityK: z.coerce.number().int().min(2).max(100),
  stipulationStateMachineArn: nonEmpty,
  qualityControlStateMachineArn: nonEmpty,
  approvalTimeoutSeconds: z.coerce.number().int().positive(),
  // A share of a regency's active persons, above 0 (0 would hold every month with a deactivation) up to 1.
  guardRegencyShare: z.coerce.number().gt(0).max(1),
  guardNationalDeactivations: z.coerce.number().int().nonnegative(),
  // The stipulation's NIK shards: one is enough, and above 1,024 a shard would hold too little to pay its reads.
  stipulationShards: z.coerce.number().int().min(1).max(1024),
  // At least 2; at most what one ExportRegency holds in its 2 GB (core/snapshot.ts MAX_EXPORT_UNIT_MAX_PERSONS).
  exportUnitMaxPersons: z.coerce.number().int().min(2).max(MAX_EXPORT_UNIT_MAX_PERSONS),
  masterWriteUnits: z.coerce.number().int().positive(),
} satisfies Record<ConfigKey, z.ZodType>;

/** Defaults where the contracts allow one (REPORT_LANGUAGE: Bahasa Indonesia unless told otherwise). */
const DEFAULTS: Partial<Record<ConfigKey, string>> = {
  reportLanguage: 'id',
  anonymityK: String(DEFAULT_ANONYMITY_K),
  mandiriCutoffDay: String(DEFAULT_CUTOFF_DAY),
  // The proposal workflow's default (infra/stack.ts approvalTimeout, local ApprovalTimeoutSeconds): 14 days.
  approvalTimeoutSeconds: String(14 * 24 * 60 * 60),
  guardRegencyShare: String(DEFAULT_GUARD_REGENCY_SHARE),
  guardNationalDeactivations: String(DEFAULT_GUARD_NATIONAL_DEACTIVATIONS),
  exportUnitMaxPersons: String(DEFAULT_EXPORT_UNIT_MAX_PERSONS),
  // A new on-demand table's initial write throughput (4,000 write units/s).
  masterWriteUnits: '4000',
};

export type Config = { [K in ConfigKey]: z.infer<(typeof SCHEMA)[K]> };

/**
 * Reads the given variables from `env` (process.env by default).
 * @throws ConfigurationError naming every missing or invalid variable.
 */
export function readConfig<K extends ConfigKey>(
  keys: readonly K[],
  env: Record<string, string | undefined> = process.env,
): Pick<Config, K> {
  const problems: string[] = [];
  const config: Partial<Record<ConfigKey, unknown>> = {};
  for (const key of keys) {
    const variable = ENV[key];
    const parsed = SCHEMA[key].safeParse(env[variable] ?? DEFAULTS[key]);
    if (parsed.success) config[key] = parsed.data;
    else problems.push(env[variable] === undefined ? `${variable} is not set` : `${variable} is invalid`);
  }
  if (problems.length) throw new ConfigurationError(problems);
  return config as Pick<Config, K>;
}
