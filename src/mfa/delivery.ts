import nodemailer, { type Transporter } from 'nodemailer';
import type { DeliveryConfig } from '../config/env.ts';
import { WardenError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';

/**
 * How one-time codes leave Warden: email over SMTP (nodemailer), SMS over a Twilio-compatible
 * Messages API, or — only with the embedded database, i.e. a developer's laptop — a console outbox.
 * The outbox is the one place a code is ever printed; nothing here logs a message body.
 */
export interface Delivery {
  readonly email: Channel;
  readonly sms: Channel;
  close(): Promise<void>;
}

export interface Channel {
  /** 'smtp' | 'twilio' | 'outbox' | null (not configured: the method cannot be used). */
  readonly via: string | null;
  send(message: { to: string; subject: string; text: string }): Promise<void>;
}

const SMS_TIMEOUT_MS = 10_000;

export const deliveryUnavailable = (what: string) =>
  new WardenError('MFA_DELIVERY_UNAVAILABLE', `Warden cannot send ${what} codes: no ${what === 'email' ? 'SMTP server (WARDEN_SMTP_URL)' : 'SMS provider (WARDEN_TWILIO_*)'} is configured.`, {
    status: 503,
    hint: 'Ask the operator to configure it, or use another MFA method.',
  });

export const deliveryFailed = (what: string) =>
  new WardenError('MFA_DELIVERY_FAILED', `The ${what} code could not be sent. Try again in a minute.`, { status: 502 });

export function createDelivery(config: DeliveryConfig, opts: { embedded: boolean; log: Logger; write?: (line: string) => void }): Delivery {
  const write = opts.write ?? ((line: string) => process.stdout.write(line));
  const outbox = (kind: string): Channel => ({
    via: 'outbox',
    async send(m) {
      write(`\n[warden dev outbox] ${kind} to ${m.to}: ${m.subject}\n${m.text}\n\n`);
    },
  });
  const none = (kind: string): Channel => ({
    via: null,
    async send() {
      throw deliveryUnavailable(kind);
    },
  });

  let transport: Transporter | undefined;
  const email: Channel = config.smtpUrl
    ? {
        via: 'smtp',
        async send(m) {
          transport ??= nodemailer.createTransport(config.smtpUrl);
          try {
            await transport.sendMail({ from: config.smtpFrom, to: m.to, subject: m.subject, text: m.text });
          } catch (err) {
            opts.log.warn('MFA email could not be sent', { error: (err as Error).message });
            throw deliveryFailed('email');
          }
        },
      }
    : opts.embedded
      ? outbox('email')
      : none('email');

  const sms: Channel = config.sms ? twilio(config.sms, opts.log) : opts.embedded ? outbox('sms') : none('sms');
  return {
    email,
    sms,
    async close() {
      transport?.close();
    },
  };
}

/** Twilio's Messages API: POST /2010-04-01/Accounts/{Sid}/Messages.json, form-encoded, HTTP Basic. */
function twilio(cfg: NonNullable<DeliveryConfig['sms']>, log: Logger): Channel {
  const url = `${cfg.url}/2010-04-01/Accounts/${encodeURIComponent(cfg.accountSid)}/Messages.json`;
  const auth = `Basic ${Buffer.from(`${cfg.accountSid}:${cfg.authToken}`).toString('base64')}`;
  // A Messaging Service SID (MG…) is sent as MessagingServiceSid, a phone number as From.
  const sender: Record<string, string> = /^MG[0-9a-f]{32}$/i.test(cfg.from) ? { MessagingServiceSid: cfg.from } : { From: cfg.from };
  return {
    via: 'twilio',
    async send(m) {
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({ To: m.to, ...sender, Body: m.text }),
          signal: AbortSignal.timeout(SMS_TIMEOUT_MS),
        });
      } catch (err) {
        log.warn('SMS provider unreachable', { error: (err as Error).message });
        throw deliveryFailed('SMS');
      }
      if (res.status !== 201 && res.status !== 200) {
        const body = (await res.json().catch(() => ({}))) as { code?: number; message?: string };
        log.warn('SMS provider refused the message', { status: res.status, code: body.code ?? null, message: body.message ?? null });
        throw deliveryFailed('SMS');
      }
      await res.body?.cancel().catch(() => undefined);
    },
  };
}
