/**
 * @module cli/sessions-commands
 * `handset sessions show CORRELATION_ID` (docs/admin.md "The session timeline"): the session and
 * its decision timeline — every step, every policy rule evaluated (inputs, result, action, shadow
 * or enforced), every message and its delivery status — in order. It reads through the admin
 * API's own query (`sessionTimeline`), so the CLI and `GET /admin/v1/sessions/{id}` show the same
 * thing; numbers are masked there, never a code or a message text.
 */
import type { Command, Option } from 'commander';
import { sessionTimeline, type SessionTimeline, type TimelineEntry } from '../admin/admin-queries.js';
import type { Db } from '../store/database.js';

type WithDatabase = <T>(database: string | undefined, work: (db: Db) => Promise<T>) => Promise<T>;

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());

/** A policy entry's reason, `matched:deny_send:enforced:9805`, in words. */
function policyLine(e: TimelineEntry): string {
  const [result = '?', action = '?', mode = '?', code = '?'] = (e.reason ?? '').split(':');
  const inputs = e.destination ? `  inputs ${e.destination}` : '';
  return `rule ${e.type.slice('policy:'.length)}: ${result.replace('_', ' ')}, action ${action} (${mode}), reason ${code}${inputs}`;
}

/** One timeline entry as one line: time, then what happened. */
export function timelineLine(e: TimelineEntry): string {
  let what: string;
  if (e.kind === 'message') what = `message to ${e.destination ?? '?'} via ${e.provider ?? '?'}: ${e.status ?? '?'}`;
  else if (e.channel === 'policy' && e.type.startsWith('policy:')) what = policyLine(e);
  else {
    const states = e.fromState !== null || e.toState !== null ? ` ${e.fromState ?? '-'} -> ${e.toState ?? '-'}` : '';
    const reason = e.reason ? `  reason ${e.reason}${e.reasonText ? ` (${e.reasonText})` : ''}` : '';
    const where = e.channel ? `  [${e.channel}${e.destination ? ` ${e.destination}` : ''}]` : '';
    what = `${e.type}${states}${reason}${where}`;
  }
  return `${iso(e.at)}  ${what}`;
}

/** The session summary and its timeline as the CLI prints them. */
export function formatTimeline(t: SessionTimeline): string {
  const s = t.session;
  const lines = [
    `session ${s.correlationId}`,
    `  client:      ${s.clientId}${s.clientRequestId ? ` (request ${s.clientRequestId})` : ''}`,
    `  flow:        ${s.possessionType}`,
    `  state:       ${s.state} (outcome ${s.outcome})${s.failureReason ? `, reason ${s.failureReason}${s.failureReasonText ? ` (${s.failureReasonText})` : ''}` : ''}`,
    `  number:      ${s.number ?? '-'}`,
    `  device:      ${s.deviceId ?? '-'}${s.deviceMatch ? ` (${s.deviceMatch})` : ''}`,
    `  created:     ${iso(s.createdAt)}  expires ${iso(s.expiresAt)}  ended ${iso(s.endedAt)}  purged after ${iso(s.purgeAt)}`,
    `  counters:    ${s.otpAttempts} code attempt(s), ${s.otpResends} code resend(s), ${s.linkResends} link resend(s)`,
    `timeline (${t.events.length} entries):`,
    ...t.events.map((e) => `  ${timelineLine(e)}`),
  ];
  return lines.join('\n');
}

/** Adds the `sessions` command group to `program`. */
export function addSessionCommands(program: Command, withDatabase: WithDatabase, databaseOption: () => Option): void {
  const sessions = program.command('sessions').description('read sessions and their decision timelines');
  sessions
    .command('show')
    .description('print a session and its timeline: every step, policy rule, message and delivery status, in order')
    .argument('<correlationId>', 'the session')
    .option('--json', 'print the same JSON as GET /admin/v1/sessions/{correlationId}')
    .addOption(databaseOption())
    .action(async (correlationId: string, options: { json?: boolean; database?: string }) => {
      const timeline = await withDatabase(options.database, (db) => sessionTimeline(db.kysely, correlationId));
      if (!timeline) throw new Error(`no session ${correlationId} (or it has been purged)`);
      if (options.json) {
        const s = timeline.session;
        const session = { ...s, createdAt: iso(s.createdAt), expiresAt: iso(s.expiresAt), endedAt: s.endedAt === null ? null : iso(s.endedAt), purgeAt: iso(s.purgeAt) };
        process.stdout.write(`${JSON.stringify({ session, events: timeline.events.map((e) => ({ ...e, at: iso(e.at) })) })}\n`);
        return;
      }
      console.log(formatTimeline(timeline));
    });
}
