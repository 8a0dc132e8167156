// The reviewer's desk (`amana-review desk`) in a real Chromium (Debian's), JavaScript off.
//
// The server is the real `amana` binary in demo mode on 127.0.0.1:0; the desk is the real
// `amana-review desk --no-browser --listen 127.0.0.1:0` on a real home. Online: the demo's
// oversight home against the server. Air-gapped: a home made with `keygen` (passphrase-
// protected keys) and no server at all; bundles and the outbox are carried by the CLI as on
// the connected machine. Run by .ci/browser-tests (AMANA_BIN, AMANA_REVIEW_BIN,
// AMANA_ARTIFACTS, CHROMIUM).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const here = path.dirname(new URL(import.meta.url).pathname);
const repo = path.resolve(here, '..', '..');
const BIN = process.env.AMANA_BIN ?? path.join(repo, 'target/debug/amana');
const REVIEW_BIN = process.env.AMANA_REVIEW_BIN ?? path.join(repo, 'target/debug/amana-review');
const ARTIFACTS = process.env.AMANA_ARTIFACTS ?? path.join(repo, 'target/browser-artifacts');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PASSPHRASE = 'correct horse battery staple';
// An Arabic report with a right-to-left override planted in it, and markup.
const ARABIC = 'رشوة في مكتب الترخيص: دفعت \u202E005\u202C دينار <b>للموظف</b>';
// A photo whose EXIF gives a GPS position, a camera serial and a comment (the JPEG
// `jpeg_with_gps` builds in crates/amana-review/tests/cli/export.rs).
const GPS_JPEG = '/9j/4AAQSkZJRgABAQAAAQABAAD/4QD0RXhpZgAATU0AKgAAAAgABAEPAAIAAAAGAAAAkgEQAAIAAAAHAAAAmIdpAAQAAAABAAAAPoglAAQAAAABAAAAXAAAAAAAApADAAIAAAAUAAAAoKQxAAIAAAAIAAAAtAAAAAAABAABAAIAAAACTgAAAAACAAUAAAADAAAAvAADAAIAAAACRQAAAAAEAAUAAAADAAAA1AAAAABDYW5vbgBFT1MgNUQAADIwMjY6MTE6MDEgMDk6MzA6MDAAU04tMDA0MgAAAAAfAAAAAQAAADkAAAABAAAAAAAAAAEAAAAjAAAAAQAAADYAAAABAAAAJAAAAAH//gAPc2hvdCBieSBzYW1pcv/bAEMAAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAf/AAAsIAAgACAEBEQD/xAAUAAABAAAAAAAAAAAAAAAAAAAA/8QAFBAAAQAAAAAAAAAAAAAAAAAAAP/aAAgBAQAAPwAAAP/Z';
const PHOTO = { name: 'صورة الإيصال.jpg', bytes: Buffer.from(GPS_JPEG, 'base64') };

let dir;
let server;
let browser;
const desks = [];
const axeProblems = [];
const codes = {};

// ---------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------

/** Starts a process and resolves with the first match of `pattern` on its stdout. */
function startAndRead(bin, args, pattern, env = {}) {
  // The desk asks on its page: no passphrase from the environment.
  const { AMANA_REVIEW_PASSPHRASE: _, ...inherited } = process.env;
  const proc = spawn(bin, args, { env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${bin} did not start:\n${out}\n${err}`)), 60_000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(pattern);
      if (m) { clearTimeout(timer); resolve({ proc, url: m[1], log: () => err }); }
    });
    proc.on('exit', (code) => reject(new Error(`${bin} exited (${code}):\n${out}\n${err}`)));
  });
}

function cli(home, args, env = {}) {
  return execFileSync(REVIEW_BIN, ['--home', home, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env } });
}

/** `amana-review desk` on `home`; resolves with its printed address split into base and token. */
async function startDesk(home, extra = [], env = {}) {
  const exports = path.join(dir, `exports-${desks.length}`);
  const desk = await startAndRead(REVIEW_BIN, ['--home', home, ...extra, 'desk', '--no-browser', '--listen',
    '127.0.0.1:0', '--exports', exports], /desk listening on (http:\/\/\S+)/, env);
  desks.push(desk.proc);
  const url = new URL(desk.url);
  return { ...desk, base: url.origin, address: desk.url, exports };
}

async function submitReport(fields, file) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file) form.append('attachment', new Blob([file.bytes], { type: 'image/jpeg' }), file.name);
  const resp = await fetch(`${server.url}/api/v1/reports`, { method: 'POST', body: form });
  const body = await resp.json();
  assert.equal(resp.status, 201, JSON.stringify(body));
  return body.code;
}

async function postJson(route, value) {
  const resp = await fetch(`${server.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify(value) });
  return { status: resp.status, body: await resp.json().catch(() => null) };
}

/** A home with passphrase-protected keys, listed in the demo roster (made before the server starts). */
function protectedHome() {
  const home = path.join(dir, 'laptop');
  cli(home, ['keygen', '--id', 'desk-officer', '--agency', 'health'], { AMANA_REVIEW_PASSPHRASE: PASSPHRASE });
  const reviewers = path.join(dir, 'data', 'demo', 'keys', 'reviewers');
  mkdirSync(reviewers, { recursive: true });
  copyFileSync(path.join(home, 'public-entry.toml'), path.join(reviewers, 'desk-officer.toml'));
  return home;
}

/** After the server signed the roster: trust it and learn the deployment id, as in person. */
function pinRoster(home) {
  const demo = readFileSync(path.join(dir, 'data', 'demo', 'demo-oversight', 'config.toml'), 'utf8');
  const value = (key) => demo.match(new RegExp(`^${key} = "([^"]*)"`, 'm'))[1];
  writeFileSync(path.join(home, 'config.toml'), `key_id = "desk-officer"\ndeployment_id = "${value('deployment_id')}"\n`
    + `roster_fingerprint = "${value('roster_fingerprint')}"\n`);
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'amana-desk-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  protectedHome();
  server = await startAndRead(BIN, ['serve', '--listen', '127.0.0.1:0', '--data-dir', path.join(dir, 'data'),
    '--keys', path.join(dir, 'nokeys'), '--insecure-test-kdf'], /amana listening on (http:\/\/\S+)/,
  { AMANA_PEER_COSTLY_EVERY_MS: '1', AMANA_PEER_COSTLY_BURST: '1000', AMANA_GLOBAL_COSTLY_EVERY_MS: '1',
    AMANA_GLOBAL_COSTLY_BURST: '1000', AMANA_PEER_EVERY_MS: '1', AMANA_PEER_BURST: '10000', AMANA_MIN_FILL_SECS: '0',
    RUST_LOG: 'warn' });
  pinRoster(path.join(dir, 'laptop'));
  codes.arabic = await submitReport({ kind: 'violation', agency: 'health', body: ARABIC }, PHOTO);
  codes.english = await submitReport({ kind: 'complaint', agency: 'transport', body: 'The counter was closed all week.' });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
});

after(async () => {
  await browser?.close();
  for (const p of desks) p.kill('SIGTERM');
  server?.proc.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(axeProblems, [], 'serious or critical accessibility violations');
});

// ---------------------------------------------------------------------------------------
// Page helpers
// ---------------------------------------------------------------------------------------

async function noScript(viewport = { width: 1280, height: 900 }) {
  return browser.newContext({ javaScriptEnabled: false, viewport, locale: 'en-US' });
}

/** Clicks the submit button of the form whose action ends with `action`, waiting for the next page. */
async function press(page, action) {
  const done = page.waitForResponse((r) => r.request().isNavigationRequest() && r.request().method() === 'GET',
    { timeout: 60_000 });
  await page.click(`form[action$="${action}"] button[type=submit]`);
  const resp = await done;
  await page.waitForLoadState('load');
  return resp;
}

/** On the progress page after a pull, push or import: waits (through its refreshes) for the result. */
async function untilDone(page) {
  await page.waitForSelector('main .flash', { timeout: 90_000 });
  await page.waitForLoadState('load');
  assert.equal(new URL(page.url()).pathname, '/progress');
  assert.equal(await page.$('meta[http-equiv=refresh]'), null, 'no refresh once it ended');
}

/** Collects the console's CSP complaints of `page`. */
function cspErrors(page) {
  const found = [];
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) found.push(m.text()); });
  return found;
}

async function flash(page) {
  return (await page.textContent('.flash')) ?? '';
}

async function checkHeaders(resp) {
  const h = await resp.allHeaders();
  assert.match(h['content-security-policy'], /default-src 'none'.*form-action 'self'.*frame-ancestors 'none'/);
  assert.equal(h['cache-control'], 'no-store');
  assert.equal(h['referrer-policy'], 'same-origin');
  assert.equal(h['x-content-type-options'], 'nosniff');
}

/** axe-core in a script-enabled, CSP-bypassing context (the audit only), on the page at `url`. */
async function axe(ctx, url, name) {
  const page = await ctx.newPage();
  await page.goto(url);
  await page.addScriptTag({ content: AXE_SOURCE });
  const found = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
  for (const v of found) {
    if (v.impact === 'serious' || v.impact === 'critical') axeProblems.push(`${name}: ${v.id} at ${v.nodes.slice(0, 3)}`);
  }
  await page.close();
}

async function shots(page, name) {
  for (const width of [1280, 768]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: path.join(ARTIFACTS, `desk-${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

function caseIdOf(home, agency) {
  const line = cli(home, ['list']).split('\n').find((l) => l.includes(agency));
  assert.ok(line, `no ${agency} case`);
  return line.trim().split(/\s+/)[0];
}

// ---------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------

test('only the printed address opens the desk: 401 without it, the token leaves the address', async () => {
  const home = path.join(dir, 'data', 'demo', 'demo-oversight');
  const desk = await startDesk(home, ['--server', server.url]);
  const ctx = await noScript();
  const page = await ctx.newPage();
  assert.equal((await page.goto(`${desk.base}/`)).status(), 401, 'no token, no cookie');
  assert.equal((await page.goto(`${desk.base}/?token=${'0'.repeat(64)}`)).status(), 401, 'a wrong token');
  const resp = await page.goto(desk.address);
  assert.equal(resp.status(), 200);
  await checkHeaders(resp);
  assert.equal(page.url(), `${desk.base}/`, 'the token is dropped from the address');
  const [cookie] = await ctx.cookies();
  assert.ok(cookie.httpOnly && cookie.sameSite === 'Strict', JSON.stringify(cookie));
  // The same desk under another host name (DNS rebinding) answers nothing.
  const rebound = await ctx.request.get(`${desk.base}/`, { headers: { host: `attacker.example:${new URL(desk.base).port}` } });
  assert.equal(rebound.status(), 403);
  await ctx.close();
  desk.proc.kill('SIGTERM');
});

test('online: inbox, an Arabic case with its file, every action reaching the server, a follow-up surfacing', async () => {
  const home = path.join(dir, 'data', 'demo', 'demo-oversight');
  const desk = await startDesk(home, ['--server', server.url]);
  const ctx = await noScript();
  const page = await ctx.newPage();
  await page.goto(desk.address);
  await press(page, '/sync/pull');
  await untilDone(page);
  assert.match(await flash(page), /pulled 2 cases/);
  await page.goto(`${desk.base}/`);
  const rows = await page.$$eval('table.inbox tbody tr', (trs) => trs.map((tr) => tr.className + ' ' + tr.textContent));
  assert.equal(rows.length, 2);
  // Both new; the one due sooner (complaint: 3 days to acknowledge) first.
  assert.match(rows[0], /need-New.*complaint.*transport/);
  assert.match(rows[0], /3 days left/);
  const id = caseIdOf(home, 'health');

  await page.click(`a[href="/case/${id}"]`);
  const text = await page.textContent('article.report .text');
  assert.ok(text.includes('رشوة في مكتب الترخيص') && text.includes('<b>للموظف</b>'), text);
  assert.ok(text.includes('⟨U+202E⟩') && !text.includes('\u202E'), 'the override is shown, not obeyed');
  assert.equal(await page.getAttribute('article.report .text', 'dir'), 'auto');
  assert.ok((await page.textContent('ul.files')).includes(PHOTO.name), 'the attachment by name');
  // What the photo's metadata gives away, before any export, read in memory.
  const warning = await page.textContent('ul.files .meta.warn');
  assert.ok(warning.includes('GPS position') && warning.includes('31.950000, 35.910000') && warning.includes('SN-0042'), warning);
  for (const lang of ['en', 'ar']) {
    await page.goto(`${desk.base}/lang/${lang}`);
    await shots(page, `${lang}-inbox-online`);
    await page.goto(`${desk.base}/case/${id}`);
    assert.equal(await page.getAttribute('html', 'dir'), lang === 'ar' ? 'rtl' : 'ltr');
    await shots(page, `${lang}-case-online`);
  }
  await page.goto(`${desk.base}/lang/en`);
  await page.goto(`${desk.base}/case/${id}`);

  await press(page, `/case/${id}/ack`);
  assert.match(await flash(page), /received -> acknowledged/);
  await page.selectOption('#status-to', 'in_review');
  await page.fill('#status-note', 'checking the licensing office');
  await press(page, `/case/${id}/status`);
  assert.match(await flash(page), /acknowledged -> in_review/);
  // In Arabic: the result's headline in Arabic, the command's own English lines under Details.
  await page.goto(`${desk.base}/lang/ar`);
  await page.goto(`${desk.base}/case/${id}`);
  await page.fill('#extend-days', '10');
  await page.fill('#extend-reason', 'waiting for the audit');
  await press(page, `/case/${id}/extend`);
  assert.equal((await page.textContent('.flash h2')).trim(), 'تم تمديد الموعد وتوقيعه');
  assert.equal(await page.getAttribute('.flash details pre', 'dir'), 'ltr');
  assert.equal(await page.getAttribute('.flash details pre', 'lang'), 'en');
  assert.match(await flash(page), /extended by 10 days/);
  await shots(page, 'ar-action-result');
  await page.goto(`${desk.base}/lang/en`);
  await page.goto(`${desk.base}/case/${id}`);
  await page.fill('#info-text', 'متى حدث ذلك؟');
  await press(page, `/case/${id}/needs-info`);
  assert.match(await flash(page), /reply sent.*in_review -> needs_info/s);
  // The reviewer's own question is in the thread at once.
  assert.ok((await page.textContent('article.reply')).includes('متى حدث ذلك؟'));
  const reporter = await postJson('/api/v1/status', { code: codes.arabic });
  assert.equal(reporter.body.status, 'needs_info');
  assert.ok(reporter.body.messages.some((m) => m.from === 'reply' && m.body === 'متى حدث ذلك؟'));

  await press(page, `/case/${id}/export`);
  assert.match(await flash(page), /IDENTIFYING METADATA|metadata/);
  const exported = readdirSync(desk.exports).flatMap((d) => readdirSync(path.join(desk.exports, d)));
  assert.ok(exported.some((n) => n.normalize() === PHOTO.name.normalize()), exported.join(', '));

  // The reporter answers: the inbox puts the case first, as answered.
  const followUp = await postJson('/api/v1/followups', { code: codes.arabic, body: 'يوم الأحد الماضي' });
  assert.equal(followUp.status, 201, JSON.stringify(followUp));
  await page.goto(`${desk.base}/`);
  await press(page, '/sync/pull');
  await untilDone(page);
  await page.goto(`${desk.base}/`);
  const first = await page.textContent('table.inbox tbody tr:first-child');
  assert.ok(first.includes(id) && first.includes('The reporter answered'), first);

  // A form posted from another origin, even with the desk's cookie and form token: refused.
  const csrf = await page.getAttribute('input[name=csrf]', 'value');
  const forged = await ctx.request.post(`${desk.base}/case/${id}/status`, { headers: { origin: 'http://attacker.example' },
    form: { csrf, status: 'closed_unfounded' } });
  assert.equal(forged.status(), 403);
  const noToken = await ctx.request.post(`${desk.base}/case/${id}/status`, { headers: { origin: desk.base },
    form: { csrf: 'x'.repeat(64), status: 'closed_unfounded' } });
  assert.equal(noToken.status(), 403);
  // Pages of other origins in the same browser, forms aimed at the desk: another site gets no
  // cookie (401); another port of 127.0.0.1 is the same site, so the cookie goes, and the
  // Origin check refuses it (403).
  const form = `<!doctype html><title>x</title><form method="post" action="${desk.base}/case/${id}/status">`
    + `<input name="csrf" value="${csrf}"><input name="status" value="closed_unfounded"><button>go</button></form>`;
  for (const [origin, expected] of [['http://attacker.test', 401], ['http://127.0.0.1:9', 403]]) {
    await ctx.route(`${origin}/**`, (route) => route.fulfill({ body: form, contentType: 'text/html' }));
    const evil = await ctx.newPage();
    await evil.goto(`${origin}/page`);
    const posted = evil.waitForResponse((r) => r.request().method() === 'POST', { timeout: 30_000 });
    await evil.click('button');
    assert.equal((await posted).status(), expected, `a form from ${origin}`);
    await evil.close();
  }
  assert.equal((await postJson('/api/v1/status', { code: codes.arabic })).body.status, 'needs_info');

  // Oversight's buttons, on the other case: take it, hold and release it, move it, rewrap it.
  const other = caseIdOf(home, 'transport');
  await page.goto(`${desk.base}/case/${other}`);
  await press(page, `/case/${other}/assign`);
  assert.match(await flash(page), /now held by demo-oversight/);
  await page.fill('#hold-reason', 'litigation pending');
  await page.fill('#hold-date', new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10));
  await press(page, `/case/${other}/hold`);
  assert.match(await flash(page), /on legal hold, to be reviewed on/);
  await press(page, `/case/${other}/release`);
  assert.match(await flash(page), /legal hold released/);
  await page.fill('#transfer-to', 'municipality');
  await press(page, `/case/${other}/transfer`);
  assert.match(await flash(page), /sent; run/);
  assert.match(await page.textContent('dl.details'), /municipality/, 'the transfer, pulled at once');
  await press(page, `/case/${other}/rewrap`);
  assert.ok((await page.$('.flash.ok')) !== null, await flash(page));

  // The operations-room report inside the desk: its SVG, its stylesheet, no CSP complaint.
  for (const lang of ['en', 'ar']) {
    const room = await ctx.newPage();
    const complaints = cspErrors(room);
    await room.goto(`${desk.base}/lang/${lang}`);
    const resp = await room.goto(`${desk.base}/kpis?period=&k=5`);
    await checkHeaders(resp);
    assert.equal(await room.getAttribute('html', 'dir'), lang === 'ar' ? 'rtl' : 'ltr');
    assert.ok(await room.isVisible('main svg#chart-agencies'), 'the chart');
    assert.match(await room.textContent('main'), /health/, 'the figures, from the verified home');
    assert.ok(await room.$('link[href="/report.css"]'));
    await shots(room, `${lang}-kpis`);
    assert.deepEqual(complaints, [], `CSP complaints on the ${lang} dashboard`);
    await room.close();
  }
  await page.goto(`${desk.base}/lang/en`);

  const audit = await browser.newContext({ javaScriptEnabled: true, bypassCSP: true, viewport: { width: 1280, height: 900 } });
  for (const lang of ['en', 'ar']) {
    const p = await audit.newPage();
    await p.goto(desk.address);
    await p.goto(`${desk.base}/lang/${lang}`);
    await p.close();
    await axe(audit, `${desk.base}/`, `${lang}-inbox`);
    await axe(audit, `${desk.base}/case/${id}`, `${lang}-case`);
    await axe(audit, `${desk.base}/kpis`, `${lang}-kpis`);
  }
  await audit.close();
  await ctx.close();
  desk.proc.kill('SIGTERM');
});

test('air-gapped: unlock on the page, actions wait in the outbox, carried both ways, lock', async () => {
  const home = path.join(dir, 'laptop');
  const carry = path.join(dir, 'usb');
  mkdirSync(carry);
  const desk = await startDesk(home, ['--offline']);
  const ctx = await noScript();
  const page = await ctx.newPage();
  await page.goto(desk.address);
  assert.ok(await page.isVisible('#passphrase'), 'the desk asks for the passphrase');
  // (A wrong passphrase is refused: tests/cli/desk.rs; each try costs a slow scrypt.)
  await page.fill('#passphrase', PASSPHRASE);
  await press(page, '/unlock');
  assert.ok(!(await page.isVisible('#passphrase')), `not unlocked: ${await page.textContent('main')}`);
  await shots(page, 'en-inbox-airgapped');

  // Connected machine: sends the authorization, brings the bundle back.
  const fetchBundle = async (name) => {
    const auth = path.join(carry, `${name}-authorization.json`);
    await page.fill('#authorize-path', auth);
    await press(page, '/sync/authorize');
    const bundle = path.join(carry, `${name}.json`);
    execFileSync(REVIEW_BIN, ['--server', server.url, 'pull', '--authorization', auth, '--out', bundle]);
    await page.fill('#import-path', bundle);
    await press(page, '/sync/import');
    await untilDone(page);
    // How far the import got, counted from the bundle.
    assert.match(await page.textContent('main p.job'), /^(\d+) of \1 cases verified$/);
    const said = await flash(page);
    await page.goto(`${desk.base}/`);
    return said;
  };
  assert.match(await fetchBundle('first'), /imported 1 case/);
  const id = caseIdOf(home, 'health');
  await page.click(`a[href="/case/${id}"]`);
  assert.ok((await page.textContent('ul.files')).includes('not fetched'), 'a bundle lists the file, without content');
  await page.fill('#reply-text', 'شكرًا، نحن نتابع.');
  await press(page, `/case/${id}/reply`);
  assert.match(await flash(page), /signed offline, not sent yet/);
  assert.equal((await page.textContent('.flash h2')).trim(), 'Put in the outbox: 1 waiting to be carried');
  assert.ok((await page.textContent('article.pending')).includes('شكرًا، نحن نتابع.'), 'own reply shown at once');
  assert.match(await page.textContent('.outbox'), /1/);
  // The reporter's question was answered online (needs_info): back to in_review.
  await page.selectOption('#status-to', 'in_review');
  await page.fill('#status-note', 'seen');
  await press(page, `/case/${id}/status`);
  assert.match(await page.textContent('.outbox'), /2\s+actions waiting to be carried/);
  await page.goto(`${desk.base}/lang/ar`);
  await page.goto(`${desk.base}/case/${id}`);
  await shots(page, 'ar-case-airgapped');
  await page.goto(`${desk.base}/lang/en`);

  await page.goto(`${desk.base}/`);
  await page.fill('#carry-path', path.join(carry, 'outbox'));
  await press(page, '/sync/carry');
  assert.match(await flash(page), /copied 2 request file/);
  execFileSync(REVIEW_BIN, ['--server', server.url, 'push', path.join(carry, 'outbox')]);
  assert.match(await fetchBundle('second'), /imported/);
  assert.ok(!(await page.isVisible('.outbox')), `the outbox is not empty: ${await page.textContent('main')}`);
  await page.goto(`${desk.base}/case/${id}`);
  const replies = await page.$$eval('article.reply', (as) => as.map((a) => a.textContent).join('\n'));
  assert.ok(replies.includes('شكرًا، نحن نتابع.'), 'the reply, now from the history');

  await press(page, '/lock');
  assert.ok(await page.isVisible('#passphrase'), 'locked again');
  await page.goto(`${desk.base}/case/${id}`);
  assert.ok(await page.isVisible('#passphrase'), 'no case content while locked');
  await ctx.close();
  desk.proc.kill('SIGTERM');
});

test('progress: a pull against a silent server refreshes its page without JavaScript, then shows the result', async () => {
  // A server that takes connections and answers nothing until released.
  const held = [];
  let released = false;
  const silent = createServer((socket) => { if (released) socket.destroy(); else held.push(socket); });
  await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const home = path.join(dir, 'silent-home');
  cli(home, ['keygen', '--id', 'waiting', '--agency', 'health', '--no-passphrase', '--deployment-id', 'demo',
    '--roster-fingerprint', '00112233445566778899aabbccddeeff']);
  const desk = await startDesk(home, ['--server', `http://127.0.0.1:${silent.address().port}`]);
  const ctx = await noScript();
  const page = await ctx.newPage();
  const complaints = cspErrors(page);
  let loads = 0;
  page.on('load', () => { if (page.url().endsWith('/progress')) loads += 1; });
  await page.goto(desk.address);
  await page.goto(`${desk.base}/lang/ar`);
  await press(page, '/sync/pull');
  assert.equal(new URL(page.url()).pathname, '/progress', 'answered at once with the progress page');
  assert.ok(await page.$('progress#job'), 'a <progress> element');
  assert.match(await page.textContent('label[for=job]'), /تم التحقق من 0 بلاغ/);
  // The page reloads itself (meta refresh: no script) while the pull runs.
  const until = Date.now() + 15_000;
  while (loads < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
  assert.ok(loads >= 3, `the progress page reloaded ${loads} time(s)`);
  await shots(page, 'ar-progress-running');
  await page.goto(`${desk.base}/lang/en`);
  await page.goto(`${desk.base}/progress`);
  assert.match(await page.textContent('label[for=job]'), /0 cases verified/);
  await shots(page, 'en-progress-running');
  released = true;
  for (const s of held) s.destroy();
  await untilDone(page);
  assert.ok(await page.$('.flash.err'), 'the pull failed: the server said nothing');
  await shots(page, 'en-progress-done');
  await page.goto(`${desk.base}/lang/ar`);
  await page.goto(`${desk.base}/progress`);
  assert.match(await page.textContent('.flash h2'), /[\u0600-\u06FF]/, 'an Arabic headline');
  await shots(page, 'ar-progress-done');
  assert.deepEqual(complaints, [], 'CSP complaints on the progress page');
  const audit = await browser.newContext({ javaScriptEnabled: true, bypassCSP: true, viewport: { width: 1280, height: 900 } });
  for (const lang of ['en', 'ar']) {
    const p = await audit.newPage();
    await p.goto(desk.address);
    await p.goto(`${desk.base}/lang/${lang}`);
    await p.close();
    await axe(audit, `${desk.base}/progress`, `${lang}-progress`);
  }
  await audit.close();
  await ctx.close();
  desk.proc.kill('SIGTERM');
  silent.close();
});
