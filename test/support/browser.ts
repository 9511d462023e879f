import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium, headless, as the brief prescribes (never a downloaded browser). */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.WARDEN_TEST_CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
}

/** Signs in through the real two-step form; returns the page on whatever it landed. */
export async function signIn(context: BrowserContext, baseUrl: string, email: string, password: string, query = ''): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/login${query}`);
  await page.fill('#email', email);
  await page.click('#next');
  await page.waitForSelector('#password');
  await page.fill('#password', password);
  await Promise.all([page.waitForLoadState('load'), page.click('#sign-in')]);
  return page;
}
