// Opens a workflow's page in the Temporal Web UI with Debian's headless Chromium and waits
// for the decoded input text: the UI can only show it if it called the codec server (CORS
// preflight included) and got the payloads back decoded.
//   node ui.mjs URL EXPECTED_TEXT SCREENSHOT.png
import { chromium } from 'playwright-core';

const [url, expected, screenshot] = process.argv.slice(2);
if (!url || !expected || !screenshot) {
  console.error('usage: node ui.mjs URL EXPECTED_TEXT SCREENSHOT.png');
  process.exit(2);
}

// An https codec endpoint with a test certificate: UI_TEST_TRUST_SPKI is the base64 SHA-256 of
// its public key, which Chromium then trusts (that key only, not every certificate error).
const trust = process.env.UI_TEST_TRUST_SPKI
  ? [`--ignore-certificate-errors-spki-list=${process.env.UI_TEST_TRUST_SPKI}`] : [];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  // No sandbox: the test runs as root. The rest keeps Chromium from calling out to the network.
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', ...trust],
});
let ok = false;
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1200 } });
  const codecCalls = [];
  const isCodec = (url) => /\/(de|en)code$/.test(new URL(url).pathname);
  page.on('response', (r) => {
    if (isCodec(r.url())) codecCalls.push(`${r.request().method()} ${r.url()} -> ${r.status()}`);
  });
  page.on('requestfailed', (r) => {
    if (isCodec(r.url())) codecCalls.push(`FAILED ${r.method()} ${r.url()}: ${r.failure()?.errorText}`);
  });
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  try {
    await page.getByText(expected).first().waitFor({ state: 'visible', timeout: 60_000 });
    ok = true;
  } catch (e) {
    console.error(`"${expected}" did not appear on ${url}: ${e.message.split('\n')[0]}`);
  }
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`codec calls seen by the browser:\n  ${codecCalls.join('\n  ') || '(none)'}`);
  if (ok && !codecCalls.some((c) => c.startsWith('POST') && c.endsWith('-> 200'))) {
    console.error('the text appeared, but no successful POST to the codec server was seen');
    ok = false;
  }
  console.log(`screenshot: ${screenshot}`);
} finally {
  await browser.close();
}
process.exit(ok ? 0 : 1);
