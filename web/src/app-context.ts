/** What every page reads: the words of the chosen language, the signed-in user, the configuration. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ConsoleConfig } from './config.ts';
import type { Lang, Words } from './i18n.ts';
import type { Me } from './types.ts';

export interface AppState {
  lang: Lang;
  words: Words;
  me: Me;
  config: ConsoleConfig;
}

export const AppContext = createContext<AppState | undefined>(undefined);

export function useApp(): AppState {
  const state = useContext(AppContext);
  if (!state) throw new Error('useApp outside the signed-in console');
  return state;
}
