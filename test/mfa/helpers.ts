import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { hashPassword } from '../../src/crypto/password.ts';
import { totpCode } from '../../src/mfa/totp.ts';
import { api } from '../support/http.ts';
import { signIn } from '../support/browser.ts';
import type { TestWarden } from '../support/warden.ts';

export const PASSWORD = 'correct horse battery staple';

/** A member with a password, added through members.invite (the password as the invite page would set it). */
export async function addUser(w: TestWarden, ownerPat: string, tenant: string, email: string, role = 'developer'): Promise<string> {
  const res = await api(w.url, ownerPat, { 'x-tenant-id': tenant }).post('/members', { email, role });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  await w.services.db.updateTable('users').set({ password_hash: await hashPassword(PASSWORD) }).where('email', '=', email).execute();
  return res.body.member.user_id as string;
}

export async function setPolicy(w: TestWarden, pat: string, tenant: string, body: Record<string, unknown>) {
  const res = await api(w.url, pat, { 'x-tenant-id': tenant }).put('/mfa/policy', body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

export const pathOf = (page: Page) => new URL(page.url()).pathname;

/** Submits the code form and waits for the next page. */
export async function submitCode(page: Page, code: string): Promise<void> {
  await page.fill('#code', code);
  await Promise.all([page.waitForLoadState('load'), page.click('#verify')]);
}

/** Password, then the authenticator-app enrolment as a user would do it; returns the seed read from the page. */
export async function enrolTotp(w: TestWarden, context: BrowserContext, email: string): Promise<{ page: Page; seed: string; recoveryCodes: string[]; code: string }> {
  const page = await signIn(context, w.url, email, PASSWORD);
  assert.equal(pathOf(page), '/login/mfa');
  if (await page.isVisible('#method-totp')) await Promise.all([page.waitForURL(/method=totp/), page.click('#method-totp')]);
  const seed = (await page.textContent('#totp-secret'))!.trim();
  assert.match(seed, /^[A-Z2-7]{32}$/);
  const code = await totpCode(seed, w.clock.now().getTime());
  await submitCode(page, code);
  const recoveryCodes = await page.locator('#recovery-codes li').allTextContents();
  return { page, seed, recoveryCodes, code };
}

export async function continueHome(w: TestWarden, page: Page): Promise<void> {
  await Promise.all([page.waitForURL(`${w.url}/`), page.click('#continue')]);
}
