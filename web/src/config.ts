/**
 * /config.json, served beside the console: locally by local/approvals-server.ts (mode local, the local
 * users to pick from), on AWS deployed by CDK beside the assets (mode cognito, managed login).
 */
import type { CognitoSettings } from './pkce.ts';

export type Role = 'region_operator' | 'regency_approver' | 'province_approver' | 'ministry_operator' | 'analyst';

export interface LocalUser {
  username: string;
  role: Role;
  area: string;
}

export type ConsoleConfig =
  | { mode: 'local'; apiUrl: string; users: LocalUser[]; s3Endpoint?: string }
  | { mode: 'cognito'; apiUrl: string; cognito: CognitoSettings };

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json: ${response.status}`);
  return (await response.json()) as ConsoleConfig;
}
