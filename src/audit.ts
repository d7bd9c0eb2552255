// Audit events (SPEC §9) as structured log lines: what happened, to whom, from where.
// Callers pass ids and addresses only; nothing here ever carries a secret.
import type { Logger } from 'pino';

export type AuditEvent =
  | 'login_succeeded'
  | 'login_failed'
  | 'session_created'
  | 'session_revoked'
  | 'session_expired'
  | 'token_revoked'
  | 'refresh_token_reuse'
  | 'ip_binding_mismatch'
  | 'settings_changed'
  | 'reauth_required'
  // Second factors (SPEC §13).
  | 'mfa_enrolled'
  | 'mfa_succeeded'
  | 'mfa_failed'
  | 'mfa_removed';

export interface AuditFields {
  tenant: string;
  userId?: string | null;
  sessionId?: string | null;
  ip?: string | null;
  reason?: string;
  [k: string]: string | number | boolean | null | undefined | readonly string[];
}

export class AuditLog {
  constructor(private readonly log: Logger) {}
  emit(event: AuditEvent, fields: AuditFields): void {
    this.log.info({ audit: event, ...fields }, event);
  }
}
