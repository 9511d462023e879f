import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';

/**
 * A local server speaking Twilio's Messages API as documented: POST
 * /2010-04-01/Accounts/{AccountSid}/Messages.json, form-encoded To / From (or MessagingServiceSid)
 * / Body, HTTP Basic auth with the account SID and auth token, 201 with the message resource as
 * JSON; errors as Twilio's JSON (code, message, more_info, status).
 */
export interface SentSms {
  sid: string;
  to: string;
  from: string;
  body: string;
}

export interface TestSms {
  url: string;
  accountSid: string;
  authToken: string;
  from: string;
  messages: SentSms[];
  /** Requests refused (bad auth, bad number…), for assertions. */
  refused: { status: number; code: number }[];
  waitFor(to: string, since?: number, timeoutMs?: number): Promise<SentSms>;
  env(): Record<string, string>;
  close(): Promise<void>;
}

const twilioError = (res: ServerResponse, status: number, code: number, message: string) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }));
};

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startSms(): Promise<TestSms> {
  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  const authToken = randomBytes(16).toString('hex');
  const from = '+15005550006';
  const messages: SentSms[] = [];
  const refused: { status: number; code: number }[] = [];
  const waiters = new Set<() => void>();
  const refuse = (res: ServerResponse, status: number, code: number, message: string) => {
    refused.push({ status, code });
    twilioError(res, status, code, message);
  };

  const server = createServer(async (req, res) => {
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(req.url ?? '');
    if (!match || req.method !== 'POST') return refuse(res, 404, 20404, 'The requested resource was not found');
    const auth = req.headers.authorization ?? '';
    const [user, pass] = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString().split(':') : [];
    if (user !== accountSid || pass !== authToken || decodeURIComponent(match[1]!) !== accountSid) return refuse(res, 401, 20003, 'Authenticate');
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return refuse(res, 400, 21620, 'Invalid content type');
    const form = new URLSearchParams(await bodyOf(req));
    const to = form.get('To') ?? '';
    const sender = form.get('From') ?? form.get('MessagingServiceSid') ?? '';
    const body = form.get('Body') ?? '';
    if (!/^\+[1-9]\d{6,14}$/.test(to)) return refuse(res, 400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (sender !== from) return refuse(res, 400, 21606, `The From phone number ${sender} is not a valid, SMS-capable inbound phone number for your account.`);
    if (!body) return refuse(res, 400, 21602, 'Message body is required.');
    const sid = `SM${randomBytes(16).toString('hex')}`;
    messages.push({ sid, to, from: sender, body });
    for (const wake of waiters) wake();
    const now = new Date().toUTCString();
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        account_sid: accountSid,
        api_version: '2010-04-01',
        body,
        date_created: now,
        date_sent: null,
        date_updated: now,
        direction: 'outbound-api',
        error_code: null,
        error_message: null,
        from: sender,
        messaging_service_sid: null,
        num_media: '0',
        num_segments: '1',
        price: null,
        price_unit: 'USD',
        sid,
        status: 'queued',
        to,
        uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    accountSid,
    authToken,
    from,
    messages,
    refused,
    env: () => ({ WARDEN_SMS_URL: url, WARDEN_TWILIO_ACCOUNT_SID: accountSid, WARDEN_TWILIO_AUTH_TOKEN: authToken, WARDEN_SMS_FROM: from }),
    waitFor(to, since = 0, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = messages.slice(since).find((m) => m.to === to);
          if (!hit) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
          return true;
        };
        const timer = setTimeout(() => (waiters.delete(check), reject(new Error(`no SMS to ${to} within ${timeoutMs} ms`))), timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
