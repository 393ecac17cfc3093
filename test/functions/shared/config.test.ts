import { describe, expect, it } from 'vitest';
import { readConfig } from '#shared/config.ts';
import { ConfigurationError } from '#shared/errors.ts';

describe('readConfig', () => {
  it('reads the variables a function asks for, with the report language defaulting to Bahasa Indonesia', () => {
    const config = readConfig(['proposalsTable', 'proposalsBucket', 'reportLanguage'], {
      PROPOSALS_TABLE: 'dtks-proposals',
      PROPOSALS_BUCKET: 'dtks-proposals-bucket',
    });
    expect(config).toEqual({
      proposalsTable: 'dtks-proposals',
      proposalsBucket: 'dtks-proposals-bucket',
      reportLanguage: 'id',
    });
  });

  it('fails naming every missing or invalid variable', () => {
    const read = () => readConfig(['masterTable', 'claimsTable', 'reportLanguage'], { REPORT_LANGUAGE: 'fr' });
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow(/MASTER_TABLE is not set.*CLAIMS_TABLE is not set.*REPORT_LANGUAGE is invalid/);
  });

  it('reads ANONYMITY_K as an integer of at least 2, 5 when unset', () => {
    expect(readConfig(['anonymityK'], {})).toEqual({ anonymityK: 5 });
    expect(readConfig(['anonymityK'], { ANONYMITY_K: '11' })).toEqual({ anonymityK: 11 });
    for (const invalid of ['1', '0', '-5', '2.5', 'lima', '']) {
      expect(() => readConfig(['anonymityK'], { ANONYMITY_K: invalid })).toThrow(/ANONYMITY_K is invalid/);
    }
  });
});
