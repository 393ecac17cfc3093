/**
 * In-memory implementations of the integrity ports, loaded from the CSV extracts of
 * PROPOSAL_FORMAT.md ("Reference extracts"). Used by `dtks check` and the tests.
 *
 * They are built for a regency's whole world (millions of people) in well under 1 GiB: each keeps only
 * what the checks read, keyed by numeric identifiers, with columns in typed arrays.
 */

import { parseDate } from './dates.ts';
import { detach, hash53, identifierKey } from './fingerprint.ts';
import { identityKey } from './names.ts';
import type {
  ClaimRegistry,
  DtksMaster,
  IntegrityPorts,
  MasterMember,
  NikClaim,
  PopulationRegistry,
  RegistryPerson,
} from './ports.ts';
import { type MasterPerson, type PopulationPerson, RELATIONSHIPS } from './proposal.ts';

type Key = number | string;

/** A growable Float64Array column. */
class NumberColumn {
  private data = new Float64Array(1 << 16);
  get(i: number): number {
    return this.data[i] ?? Number.NaN;
  }
  set(i: number, value: number): void {
    if (i >= this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[i] = value;
  }
}

/** A 10-digit village code as a number (strings elsewhere are kept as they are). */
function villageValue(code: string): number | string {
  return code.length === 10 && /^\d{10}$/.test(code) ? Number(code) : detach(code);
}

function villageText(value: number | string): string {
  return typeof value === 'number' ? String(value).padStart(10, '0') : value;
}

export class MemoryPopulationRegistry implements PopulationRegistry {
  private readonly index = new Map<Key, number>();
  private readonly names: string[] = [];
  private readonly villages = new NumberColumn();
  private readonly otherVillages = new Map<number, string>();
  private readonly deceased: boolean[] = [];

  static async fromExtract(batches: AsyncIterable<PopulationPerson[]>): Promise<MemoryPopulationRegistry> {
    const registry = new MemoryPopulationRegistry();
    for await (const batch of batches) for (const person of batch) registry.add(person);
    return registry;
  }

  get size(): number {
    return this.names.length;
  }

  add(person: Pick<PopulationPerson, 'nik' | 'nama' | 'kodeDesa' | 'statusHidup'>): void {
    const key = identifierKey(person.nik);
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.names.length;
      this.index.set(typeof key === 'string' ? detach(key) : key, i);
    }
    this.names[i] = detach(person.nama);
    const village = villageValue(person.kodeDesa);
    if (typeof village === 'number') this.villages.set(i, village);
    else {
      this.villages.set(i, Number.NaN);
      this.otherVillages.set(i, village);
    }
    this.deceased[i] = person.statusHidup === 'MENINGGAL';
  }

  async findByNik(niks: readonly string[]): Promise<Map<string, RegistryPerson>> {
    const found = new Map<string, RegistryPerson>();
    for (const nik of niks) {
      const i = this.index.get(identifierKey(nik));
      if (i === undefined) continue;
      const village = this.villages.get(i);
      found.set(nik, {
        nik,
        nama: this.names[i]!,
        kodeDesa: Number.isNaN(village) ? (this.otherVillages.get(i) ?? '') : villageText(village),
        statusHidup: this.deceased[i] ? 'MENINGGAL' : 'HIDUP',
      });
    }
    return found;
  }
}

const RELATIONSHIP_INDEX = new Map<string, number>(RELATIONSHIPS.map((r, i) => [r, i]));

export class MemoryDtksMaster implements DtksMaster {
  private readonly index = new Map<Key, number>();
  private readonly niks: string[] = [];
  private readonly noKks: string[] = [];
  /** Index into RELATIONSHIPS, or -1 with the raw value in otherRelationships. */
  private readonly relationships: number[] = [];
  private readonly otherRelationships = new Map<number, string>();
  private readonly families = new Map<string, number[]>();
  /** hash53(identity key) → person index, or several. */
  private readonly identities = new Map<number, number | number[]>();

  static async fromExtract(batches: AsyncIterable<MasterPerson[]>): Promise<MemoryDtksMaster> {
    const master = new MemoryDtksMaster();
    for await (const batch of batches) for (const person of batch) master.add(person);
    return master;
  }

  get size(): number {
    return this.niks.length;
  }

  /** Adds an active person; a NIK listed twice keeps its first record (the extract should not repeat). */
  add(person: MasterPerson): void {
    const key = identifierKey(person.nik);
    if (this.index.has(key)) return;
    const i = this.niks.length;
    const nik = detach(person.nik);
    this.index.set(typeof key === 'string' ? nik : key, i);
    this.niks.push(nik);
    let noKk = detach(person.noKk);
    const members = this.families.get(noKk);
    if (members) {
      members.push(i);
      // Share one string per family across its members.
      noKk = this.noKks[members[0]!]!;
    } else this.families.set(noKk, [i]);
    this.noKks.push(noKk);
    const relationship = RELATIONSHIP_INDEX.get(person.hubunganKeluarga);
    this.relationships.push(relationship ?? -1);
    if (relationship === undefined) this.otherRelationships.set(i, detach(person.hubunganKeluarga));

    const birthIso = parseDate(person.tanggalLahir);
    if (birthIso !== undefined && person.nama !== '' && person.kodeDesa !== '') {
      const hash = hash53(identityKey(person.nama, birthIso, person.kodeDesa.replace(/[.\s]/g, '')));
      const existing = this.identities.get(hash);
      if (existing === undefined) this.identities.set(hash, i);
      else if (typeof existing === 'number') this.identities.set(hash, [existing, i]);
      else existing.push(i);
    }
  }

  private member(i: number): MasterMember {
    const relationship = this.relationships[i]!;
    return {
      nik: this.niks[i]!,
      noKk: this.noKks[i]!,
      hubunganKeluarga: relationship >= 0 ? RELATIONSHIPS[relationship]! : (this.otherRelationships.get(i) ?? ''),
    };
  }

  async findByNik(niks: readonly string[]): Promise<Map<string, MasterMember>> {
    const found = new Map<string, MasterMember>();
    for (const nik of niks) {
      const i = this.index.get(identifierKey(nik));
      if (i !== undefined) found.set(nik, this.member(i));
    }
    return found;
  }

  async findFamilies(noKks: readonly string[]): Promise<Map<string, MasterMember[]>> {
    const found = new Map<string, MasterMember[]>();
    for (const noKk of noKks) {
      const members = this.families.get(noKk);
      if (members)
        found.set(
          noKk,
          members.map((i) => this.member(i)),
        );
    }
    return found;
  }

  async findByIdentity(keys: readonly string[]): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    for (const key of keys) {
      const hit = this.identities.get(hash53(key));
      if (hit === undefined) continue;
      found.set(key, typeof hit === 'number' ? [this.niks[hit]!] : hit.map((i) => this.niks[i]!));
    }
    return found;
  }
}

/** Claims of other pending proposals; the offline check has none unless a test adds them. */
export class MemoryClaimRegistry implements ClaimRegistry {
  private readonly claims = new Map<string, NikClaim>();

  add(claim: NikClaim): void {
    this.claims.set(claim.nik, claim);
  }

  async findClaims(niks: readonly string[], ownProposalId: string): Promise<Map<string, NikClaim>> {
    const found = new Map<string, NikClaim>();
    for (const nik of niks) {
      const claim = this.claims.get(nik);
      if (claim && claim.proposalId !== ownProposalId) found.set(nik, claim);
    }
    return found;
  }
}

export interface MemoryPorts extends IntegrityPorts {
  population: MemoryPopulationRegistry;
  master: MemoryDtksMaster;
  claims: MemoryClaimRegistry;
}

/** Loads both extracts (the master is optional: an empty DTKS) into in-memory ports. */
export async function loadMemoryPorts(extracts: {
  population: AsyncIterable<PopulationPerson[]>;
  master?: AsyncIterable<MasterPerson[]>;
}): Promise<MemoryPorts> {
  const [population, master] = await Promise.all([
    MemoryPopulationRegistry.fromExtract(extracts.population),
    extracts.master ? MemoryDtksMaster.fromExtract(extracts.master) : Promise.resolve(new MemoryDtksMaster()),
  ]);
  return { population, master, claims: new MemoryClaimRegistry() };
}
