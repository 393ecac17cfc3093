/**
 * The answers of the approvals API the console reads (the contract agreed for issue 9). Written out here
 * rather than imported from functions/shared: web/ talks to the API only, and bundles nothing of the server.
 */
import type { Role } from './config.ts';

export type ProposalStatus =
  | 'RECEIVED'
  | 'CHECKING'
  | 'RETURNED'
  | 'AWAITING_REGENCY'
  | 'AWAITING_PROVINCE'
  | 'AWAITING_STIPULATION'
  | 'STIPULATED'
  | 'REJECTED'
  | 'EXPIRED'
  | 'FAILED';

export const STATUSES: readonly ProposalStatus[] = [
  'RECEIVED',
  'CHECKING',
  'RETURNED',
  'AWAITING_REGENCY',
  'AWAITING_PROVINCE',
  'AWAITING_STIPULATION',
  'STIPULATED',
  'REJECTED',
  'EXPIRED',
  'FAILED',
];

export interface Me {
  username: string;
  role: Role;
  area: string;
  areaName?: string;
}

export interface Proposal {
  proposalId: string;
  regency: string;
  province: string;
  period: string;
  status: ProposalStatus;
  source?: string;
  sourceName?: string;
  key: string;
  fileName?: string;
  receivedAt: string;
  updatedAt?: string;
  summary?: { rows: number; accepted: number; returned: number; withWarnings?: number; codes: Record<string, number> };
  warnings?: { code?: string; message?: string }[] | string[];
}

export interface Task {
  proposalId: string;
  level: 'REGENCY' | 'PROVINCE' | 'STIPULATION';
  regency: string;
  province: string;
  period: string;
  source?: string;
  sourceName?: string;
  createdAt: string;
  expiresAt?: string;
  state: 'OPEN' | 'CLOSED';
}

export interface AuditEvent {
  at: string;
  kind: string;
  actor: string;
  from?: string;
  to?: string;
  detail?: string;
}

export interface Exclusion {
  kind: 'NIK' | 'KK';
  id: string;
  reason: string;
}

export interface Decision {
  decision: 'APPROVE' | 'APPROVE_WITH_EXCLUSIONS' | 'REJECT';
  level: 'REGENCY' | 'PROVINCE';
  decidedBy: string;
  decidedAt: string;
  note: string;
  exclusions: Exclusion[];
}

export interface ProposalAnswer {
  proposal: Proposal;
  codes: { code: string; rows: number; message: string }[];
  decisions: Decision[];
  events: AuditEvent[];
  tasks?: Task[];
}

export interface RowView {
  line: number;
  nik: string;
  noKk: string;
  name: string;
  verdict: 'DITERIMA' | 'DIKEMBALIKAN';
  codes: { code: string; message: string }[];
  familyRows?: number;
}

export interface RowsAnswer {
  rows: RowView[];
  total: number;
  next?: string;
}

export interface BoardAnswer {
  period: string;
  /** Set once the period is stipulated. */
  stipulatedAt?: string;
  regencies: {
    province: string;
    provinceName?: string;
    regency: string;
    regencyName?: string;
    counts: Partial<Record<ProposalStatus, number>>;
  }[];
  runs: {
    name: string;
    period: string;
    status: string;
    startedAt: string;
    stoppedAt?: string;
    applied?: number;
    carriedForward?: boolean | number;
    error?: string;
  }[];
}

export interface PeriodSummary {
  period: string;
  stipulatedAt?: string;
  persons?: number;
  files?: number;
  carriedForward?: boolean;
}

export interface PeriodFile {
  key: string;
  tier: 'pseudonymised' | 'full' | 'regency';
  rows?: number;
  bytes?: number;
  sha256?: string;
}

export interface PeriodAnswer {
  period: string;
  manifest: Record<string, unknown>;
  files: PeriodFile[];
}

export type UploadAnswer =
  | { key: string; url: string; expiresAt: string; headers?: Record<string, string> }
  | {
      key: string;
      uploadId: string;
      partSize: number;
      parts: { partNumber: number; url: string }[];
      expiresAt: string;
    };
