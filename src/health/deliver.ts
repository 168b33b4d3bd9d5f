// Delivers queued alert events (nexus.alert_event, written by health and
// backup): a JSON POST to NEXUS_ALERT_WEBHOOK, and an e-mail when
// NEXUS_SMTP_HOST and NEXUS_ALERT_EMAIL_TO are set. An event is delivered
// once every configured channel took it; failures are retried on later
// runs, up to MAX_ATTEMPTS. Without any channel, events stay in the table
// (mart_ops reports them) and nothing is sent.

import nodemailer from 'nodemailer';
import type { Settings } from '../core/settings.ts';
import type { DbAccess } from '../db/connection.ts';

const MAX_ATTEMPTS = 10;
/** Events older than this are not sent when a channel is configured late: no flood of stale news. */
const MAX_AGE_HOURS = 24;

interface AlertRow {
  event_id: string;
  raised_at: Date;
  source: string;
  subject: string;
  severity: string;
  message: string;
}

type Channels = Pick<Settings, 'alertWebhook' | 'smtpHost' | 'smtpPort' | 'alertEmailTo' | 'alertEmailFrom'>;

function payload(e: AlertRow) {
  const text = `[nexus ${e.severity.toUpperCase()}] ${e.subject}: ${e.message}`;
  return { event_id: Number(e.event_id), raised_at: e.raised_at.toISOString(), source: e.source, subject: e.subject, severity: e.severity, message: e.message, text };
}

async function sendWebhook(url: string, e: AlertRow): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload(e)), signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`webhook answered ${res.status}`);
}

async function sendMail(s: Channels, e: AlertRow): Promise<void> {
  const transport = nodemailer.createTransport({ host: s.smtpHost, port: s.smtpPort, secure: s.smtpPort === 465, connectionTimeout: 10_000, ignoreTLS: s.smtpPort === 25 });
  const p = payload(e);
  await transport.sendMail({ from: s.alertEmailFrom, to: s.alertEmailTo, subject: p.text.slice(0, 150), text: `${p.text}\n\nraised at ${p.raised_at} by nexus-${e.source}\n` });
}

export function channelsConfigured(s: Channels): boolean {
  return Boolean(s.alertWebhook || (s.smtpHost && s.alertEmailTo));
}

export async function deliverAlerts(db: DbAccess, s: Channels): Promise<{ delivered: number; failed: number }> {
  if (!channelsConfigured(s)) return { delivered: 0, failed: 0 };
  const pool = db.pool('nexus_health');
  const { rows } = await pool.query<AlertRow>(
    `SELECT event_id, raised_at, source, subject, severity, message FROM nexus.alert_event
      WHERE delivered_at IS NULL AND attempt_count < $1 AND raised_at > now() - make_interval(hours => $2) ORDER BY event_id`,
    [MAX_ATTEMPTS, MAX_AGE_HOURS],
  );
  let delivered = 0;
  for (const e of rows) {
    try {
      if (s.alertWebhook) await sendWebhook(s.alertWebhook, e);
      if (s.smtpHost && s.alertEmailTo) await sendMail(s, e);
      await pool.query('UPDATE nexus.alert_event SET delivered_at = now(), attempt_count = attempt_count + 1, last_error = NULL WHERE event_id = $1', [e.event_id]);
      delivered++;
    } catch (err) {
      await pool.query('UPDATE nexus.alert_event SET attempt_count = attempt_count + 1, last_error = $2 WHERE event_id = $1', [e.event_id, (err as Error).message]);
    }
  }
  return { delivered, failed: rows.length - delivered };
}
