/**
 * The one argument parser of every dtks command: node:util parseArgs over a per-command option spec,
 * with the checks parseArgs leaves to its caller done here once — an unknown option, an option without
 * its value (or a value given to a switch), a number outside its bounds, a value outside its choices —
 * each refused as a CliError in both languages instead of parseArgs' TypeError.
 *
 * Every command also takes --help (-h), --lang id|en (the language of its messages) and --debug (the
 * stack of an unexpected error), which cli/main.ts reads before the command runs.
 */
import { parseArgs } from 'node:util';
import { normaliseAreaCode } from '#core/area.ts';
import type { Lang } from '#core/messages.ts';
import { isPeriod } from '#core/period.ts';
import { CliError, type Text } from './errors.ts';

export type OptionSpec =
  | { type: 'string'; multiple?: boolean; default?: string; short?: string; choices?: readonly string[] }
  | { type: 'boolean'; default?: boolean; short?: string }
  /** A number between min and max inclusive; `integer` refuses fractions. */
  | { type: 'number'; min: number; max: number; integer?: boolean; default?: number };

export type OptionSpecs = Record<string, OptionSpec>;

type ValueOf<O extends OptionSpec> = O extends { type: 'boolean' }
  ? boolean
  : O extends { type: 'number' }
    ? O extends { default: number }
      ? number
      : number | undefined
    : O extends { multiple: true }
      ? string[] | undefined
      : O extends { default: string }
        ? string
        : string | undefined;

export type Values<O extends OptionSpecs> = { [K in keyof O]: ValueOf<O[K]> } & {
  help: boolean;
  lang: Lang;
  debug: boolean;
};

/** The options every command takes; cli/main.ts also reads --lang and --debug before parsing. */
export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h', default: false },
  lang: { type: 'string', choices: ['id', 'en'], default: 'id' },
  debug: { type: 'boolean', default: false },
} as const satisfies OptionSpecs;

const NEGATIVE_NUMBER = /^-(\d+(\.\d*)?|\.\d+)$/;

/**
 * Parses `argv` for the command `command` (named in messages: "see `dtks <command> --help`").
 * `positionals` is how many arguments may follow the options (default none).
 */
export function parseCommand<const O extends OptionSpecs>(
  command: string,
  argv: readonly string[],
  specs: O,
  positionals: { max: number } = { max: 0 },
): { values: Values<O>; positionals: string[] } {
  const all: OptionSpecs = { ...COMMON_OPTIONS, ...specs };
  const help = `\`dtks ${command} --help\``;
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [name, spec] of Object.entries(all)) {
    options[name] = {
      type: spec.type === 'boolean' ? 'boolean' : 'string',
      ...('multiple' in spec && spec.multiple ? { multiple: true } : {}),
      ...('short' in spec && spec.short ? { short: spec.short } : {}),
    };
  }
  // Non-strict, with tokens: every check happens below, so each refusal can say what was wrong.
  const parsed = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    const spec = Object.hasOwn(all, token.name) ? all[token.name] : undefined;
    const short = !token.rawName.startsWith('--');
    if (!spec || (short && !('short' in spec && spec.short === token.rawName.slice(1)))) {
      throw new CliError({
        id: `opsi ${token.rawName} tidak dikenal; lihat ${help}`,
        en: `unknown option ${token.rawName}; see ${help}`,
      });
    }
    if (spec.type === 'boolean') {
      if (token.value !== undefined) {
        throw new CliError({
          id: `opsi ${token.rawName} tidak menerima nilai (bukan ${token.rawName}=${token.value}); lihat ${help}`,
          en: `option ${token.rawName} takes no value (not ${token.rawName}=${token.value}); see ${help}`,
        });
      }
      continue;
    }
    const value = token.value;
    // parseArgs takes the next argument as the value even when it is another option (`--regency --wait`);
    // only a negative number after a numeric option is a value.
    const optionLike =
      !token.inlineValue && value?.startsWith('-') && !(spec.type === 'number' && NEGATIVE_NUMBER.test(value));
    if (value === undefined || optionLike) {
      throw new CliError({
        id: `opsi ${token.rawName} memerlukan nilai${optionLike ? ` (bukan ${value}; nilai yang diawali "-" ditulis ${token.rawName}=<nilai>)` : ''}; lihat ${help}`,
        en: `option ${token.rawName} needs a value${optionLike ? ` (not ${value}; a value starting with "-" is written ${token.rawName}=<value>)` : ''}; see ${help}`,
      });
    }
  }
  if (parsed.positionals.length > positionals.max) {
    const extra = parsed.positionals.slice(positionals.max).join(' ');
    throw new CliError({
      id: `argumen tak terduga: ${extra}; lihat ${help}`,
      en: `unexpected arguments: ${extra}; see ${help}`,
    });
  }

  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(all)) {
    const raw = parsed.values[name] as string | string[] | boolean | undefined;
    if (spec.type === 'boolean') values[name] = raw === undefined ? (spec.default ?? false) : raw;
    else if (spec.type === 'number')
      values[name] = raw === undefined ? spec.default : parseNumber(name, String(raw), spec);
    else {
      if (typeof raw === 'string' && spec.choices && !spec.choices.includes(raw)) {
        const list = spec.choices.join(', ');
        throw new CliError({
          id: `--${name} harus salah satu dari ${list}, bukan "${raw}"`,
          en: `--${name} must be one of ${list}, not "${raw}"`,
        });
      }
      values[name] = raw ?? spec.default;
    }
  }
  return { values: values as Values<O>, positionals: parsed.positionals };
}

function parseNumber(name: string, text: string, spec: Extract<OptionSpec, { type: 'number' }>): number {
  const pattern = spec.integer ? /^[+-]?\d+$/ : /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
  const value = Number(text);
  if (pattern.test(text.trim()) && value >= spec.min && value <= spec.max) return value;
  throw new CliError(numberText(name, text, spec));
}

function numberText(name: string, text: string, spec: Extract<OptionSpec, { type: 'number' }>): Text {
  const range = (locale: string, to: string) =>
    `${spec.min.toLocaleString(locale)} ${to} ${spec.max.toLocaleString(locale)}`;
  return {
    id: `--${name} harus ${spec.integer ? 'bilangan bulat' : 'bilangan'} dari ${range('id-ID', 'sampai')}, bukan "${text}"`,
    en: `--${name} must be a ${spec.integer ? 'whole number' : 'number'} from ${range('en-US', 'to')}, not "${text}"`,
  };
}

/**
 * The value of a string option in raw arguments, before any command parses them: main reads --lang
 * and --data-dir this way, so that even a refused command line is answered in the user's language.
 */
export function peekOption(argv: readonly string[], name: string): string | undefined {
  let found: string | undefined;
  for (const [i, arg] of argv.entries()) {
    if (arg === '--') break;
    if (arg === `--${name}`) found = argv[i + 1];
    else if (arg.startsWith(`--${name}=`)) found = arg.slice(name.length + 3);
  }
  return found;
}

/** Whether a switch is among the raw arguments (before a `--`). */
export function hasFlag(argv: readonly string[], name: string): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes(`--${name}`);
}

/** A regency/city code as the user may write it (3371, 33.71): four digits once normalised. */
export function regencyOption(value: string, option = '--regency'): string {
  const code = normaliseAreaCode(value);
  if (/^\d{4}$/.test(code)) return code;
  throw new CliError({
    id: `${option} harus kode kabupaten/kota 4 angka, mis. 3371 atau 33.71, bukan "${value}"`,
    en: `${option} must be a 4-digit regency/city code, e.g. 3371 or 33.71, not "${value}"`,
  });
}

/** A month as YYYY-MM. */
export function periodOption(value: string, option = '--period'): string {
  if (isPeriod(value)) return value;
  throw new CliError({
    id: `${option} harus bulan YYYY-MM, mis. 2026-11, bukan "${value}"`,
    en: `${option} must be a month YYYY-MM, e.g. 2026-11, not "${value}"`,
  });
}
