import type { MasterPerson, PopulationPerson } from './proposal.ts';

/**
 * The three ports the integrity engine checks a proposal against. Every look-up takes a batch of keys
 * so that a DynamoDB adapter can use BatchGetItem/Query in parallel, and an in-memory adapter answers
 * at once. Keys missing from the answer are unknown.
 */

/** What the integrity checks read of a registry person; adapters may return the whole PopulationPerson. */
export type RegistryPerson = Pick<PopulationPerson, 'nik' | 'nama' | 'kodeDesa' | 'statusHidup' | 'statusNik'>;

/** What the integrity checks read of a master person; adapters may return the whole MasterPerson. */
export type MasterMember = Pick<MasterPerson, 'nik' | 'noKk' | 'hubunganKeluarga'>;

/** The population registry (Dukcapil), criterion 2. */
export interface PopulationRegistry {
  findByNik(niks: readonly string[]): Promise<Map<string, RegistryPerson>>;
}

/** The current DTKS master: active (not deactivated) persons only. */
export interface DtksMaster {
  /** Active persons by NIK. */
  findByNik(niks: readonly string[]): Promise<Map<string, MasterMember>>;
  /** Active members of each family (No. KK). Families without active members are absent. */
  findFamilies(noKks: readonly string[]): Promise<Map<string, MasterMember[]>>;
  /**
   * NIKs of active persons by identity key (see `identityKey` in core/names.ts: normalised name,
   * birth date and village), for POSSIBLE_DUPLICATE_PERSON.
   */
  findByIdentity(keys: readonly string[]): Promise<Map<string, string[]>>;
}

/** A NIK claimed by a pending proposal: one person, one pending family (criterion 4). */
export interface NikClaim {
  nik: string;
  noKk: string;
  proposalId: string;
}

/** Claims held by other pending proposals. */
export interface ClaimRegistry {
  /** Claims on these NIKs held by proposals other than `ownProposalId`. */
  findClaims(niks: readonly string[], ownProposalId: string): Promise<Map<string, NikClaim>>;
}

export interface IntegrityPorts {
  population: PopulationRegistry;
  master: DtksMaster;
  claims: ClaimRegistry;
}
