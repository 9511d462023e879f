import { auditOperations } from '../audit/operations.ts';
import { authOperations } from '../auth/operations.ts';
import { keyOperations } from '../keys/operations.ts';
import { ssoOperations } from '../sso/operations.ts';
import { memberOperations } from '../members/operations.ts';
import { sessionOperations } from '../login/operations.ts';
import { mfaOperations } from '../mfa/operations.ts';
import { patOperations } from '../pats/operations.ts';
import { projectOperations } from '../projects/operations.ts';
import { roleOperations } from '../roles/operations.ts';
import { tenantOperations } from '../tenants/operations.ts';
import { agentOperations } from '../agents/operations.ts';
import { oauthOperations } from '../oauth/operations.ts';
import { apiAppOperations } from '../api-apps/operations.ts';
import type { AnyOperation } from './types.ts';

/** Every operation Warden offers. Each capability hands in its list; the doors derive from this. */
export const OPERATIONS: readonly AnyOperation[] = [
  ...authOperations,
  ...tenantOperations,
  ...memberOperations,
  ...sessionOperations,
  ...projectOperations,
  ...roleOperations,
  ...patOperations,
  ...auditOperations,
  ...keyOperations,
  ...ssoOperations,
  ...mfaOperations,
  ...agentOperations,
  ...oauthOperations,
  ...apiAppOperations,
];

export const operationByName = new Map(OPERATIONS.map((op) => [op.name, op]));
export const operationByTool = new Map(OPERATIONS.map((op) => [op.name.replaceAll('.', '_'), op]));
