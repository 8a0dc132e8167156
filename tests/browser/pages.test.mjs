// The reporter pages in a real Chromium (Debian's), driven by playwright-core.
//
// Every journey runs with JavaScript DISABLED, as in Tor Browser at "Safest". The server is
// the real `amana` binary in demo mode on 127.0.0.1:0. Run by .ci/browser-tests, which
// installs Chromium, `npm ci`s this folder and builds the binaries; the environment names
// them (AMANA_BIN, AMANA_REVIEW_BIN, AMANA_ARTIFACTS, CHROMIUM).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createHmac, createPrivateKey, randomBytes, sign } from 'node:crypto';
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

const KINDS = ['violation', 'complaint', 'suggestion', 'compliment', 'inquiry', 'service_evaluation'];
// The demo's places: the hospital answers the four service axes (the health agency's
// questionnaire), the licensing centre the default nine criteria of a government office.
const HOSPITAL = { agency: 'health', centre: 'central-hospital', criteria: 4,
  first: { ar: 'سهولة الوصول', en: 'Ease of access' } };
const LICENSING = { agency: 'transport', centre: 'north-licensing', criteria: 9 };
const placeQuery = (p) => `report/service_evaluation?agency=${p.agency}&centre=${p.centre}`;
const LANGS = ['ar', 'en', 'fr', 'ur', 'hi', 'fa', 'bn', 'fil'];
const RTL = new Set(['ar', 'ur', 'fa']);
// What the pages say, for the two languages whose journeys are tested in full.
const TEXT = {
  ar: { confirmed: 'ما كتبته صحيح', mismatch: 'الرمز الذي كتبته لا يطابق', status: 'مُستلَم', done: 'تم',
    agency: 'وزارة الصحة', notFound: 'لا يوجد بلاغ يطابق هذا الرمز', followUp: 'أضفتَ', closed: 'مُغلق: اتُّخذ إجراء',
    deadlines: ['على الجهة أن تؤكد الاستلام', 'على الجهة أن تقدّم ردًّا'] },
  en: { confirmed: 'Your note is correct', mismatch: 'The code you typed does not match', status: 'Received',
    done: 'Done', agency: 'Ministry of Health', notFound: 'No report matches this code',
    followUp: 'You added', closed: 'Closed: action taken',
    deadlines: ['should acknowledge it by', 'should give feedback by'] },
};
const KIND_TITLE = {
  ar: { violation: 'بلاغ عن مخالفة أو فساد', complaint: 'شكوى', suggestion: 'اقتراح', compliment: 'شكر وثناء',
    inquiry: 'استفسار', service_evaluation: 'تقييم خدمة' },
  en: { violation: 'Violation or corruption report', complaint: 'Complaint', suggestion: 'Suggestion',
    compliment: 'Compliment', inquiry: 'Inquiry', service_evaluation: 'Service evaluation' },
};
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let server;
let base;
let dataDir;
let browser;
// A second server that keeps the defaults the first one relaxes: a person's pace (3 s) on
// the report form, and small file limits (1 MB per file and per case). Started on first use.
let strict;
const origins = new Set();
const headerProblems = [];
const headerChecks = []; // every response's header check, awaited before the verdict
const axeProblems = [];
const axeMinor = new Map(); // rule id → impact, for the log: minor and moderate findings
const pagesChecked = new Set();

// ---------------------------------------------------------------------------------------
// The server and the browser
// ---------------------------------------------------------------------------------------

/** Starts `amana serve` in demo mode on 127.0.0.1:0 with data under `dir`; returns its URL. */
async function startServer(dir, env = {}) {
  const proc = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--data-dir', path.join(dir, 'data'),
    '--keys', path.join(dir, 'nokeys'), '--insecure-test-kdf'], {
    env: { ...process.env, AMANA_PEER_COSTLY_EVERY_MS: '1', AMANA_PEER_COSTLY_BURST: '1000',
      AMANA_GLOBAL_COSTLY_EVERY_MS: '1', AMANA_GLOBAL_COSTLY_BURST: '1000', AMANA_PEER_EVERY_MS: '1',
      AMANA_PEER_BURST: '10000', AMANA_MIN_FILL_SECS: '0', RUST_LOG: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}\n${stderr}`)), 60_000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/amana listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.on('exit', (code) => reject(new Error(`server exited (${code}):\n${out}\n${stderr}`)));
  });
  return { proc, url, dir };
}

before(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'amana-browser-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startServer(dataDir);
  base = server.url;
  await publishFigures();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
});

after(async () => {
  await browser?.close();
  server?.proc.kill('SIGTERM');
  strict?.proc.kill('SIGTERM');
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** The strict server (see `strict`), started once. */
async function strictServer() {
  strict ??= await startServer(path.join(dataDir, 'strict'),
    { AMANA_MIN_FILL_SECS: '3', AMANA_MAX_FILE_MB: '1', AMANA_MAX_CASE_FILES_MB: '1' });
  return strict.url;
}

/** One agency's figures for a quarter, as `kpis --publish` writes them. */
function agencyFigures(agency, q) {
  const c = (n) => (n < 5 ? { fewer_than: 5 } : { about: n });
  const big = agency === 'health';
  const byKind = Object.fromEntries(KINDS.map((k) => [k, c(big && k !== 'inquiry' ? 10 + 5 * q : q % 4)]));
  const evaluations = big || agency === 'transport' ? [{
    centre: big ? 'central-hospital' : 'north-licensing', commissioned: true, evaluations: c(5),
    score: big ? 3.5 : 2.75,
    criteria: [{ questionnaire: 'service-axes', version: 1, criterion: 'access', answers: c(5), mean: 3 }],
  }, { centre: null, commissioned: false, evaluations: c(10), score: 4.8, criteria: [] }] : [];
  return {
    agency, received: c(big ? 60 : q % 4), received_by_kind: byKind,
    acknowledged_on_time: big ? 0.75 : null, median_days_to_acknowledge: big ? 2 + q : (agency === 'transport' ? 1.5 : null),
    satisfaction: big ? 3.9 : null, rated: c(big ? 10 : 0), acknowledged: c(big ? 40 : 5), settled: c(big ? 50 : 0),
    median_days_to_first_reply: big ? 9.5 : null, replied: c(big ? 20 : 0), evaluations,
  };
}

/** Publishes the four quarters of 2025, signed with the demo oversight key the way
 *  `amana-review kpis --publish` signs them, so the transparency page has a year, its ranking
 *  and quarters to show in every language. */
async function publishFigures() {
  const home = path.join(dataDir, 'data', 'demo', 'demo-oversight');
  const line = readFileSync(path.join(home, 'signing.key'), 'utf8').split('\n')
    .find((l) => l.startsWith('AMANA-SIGNING-KEY-1 '));
  // ring writes PKCS#8 v2 (with the public key), which OpenSSL does not read: the 32-byte
  // seed after `04 22 04 20`, in a v1 document, is the same key.
  const der = Buffer.from(line.split(' ')[1].trim(), 'base64');
  const at = der.indexOf(Buffer.from('04220420', 'hex')) + 4;
  const v1 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), der.subarray(at, at + 32)]);
  const key = createPrivateKey({ key: v1, format: 'der', type: 'pkcs8' });
  const ends = ['03-31', '06-30', '09-30', '12-31'];
  for (const q of [1, 2, 3, 4]) {
    const document = JSON.stringify({
      format: 'amana-transparency-1', deployment_id: 'amana-demo',
      from: `2025-${String(3 * q - 2).padStart(2, '0')}-01`, to: `2025-${ends[q - 1]}`, k: 5,
      agencies: ['health', 'municipality', 'transport'].map((a) => agencyFigures(a, q)),
    });
    const signature = sign(null, Buffer.from(`amana-transparency-1\n${document}`), key).toString('base64');
    const resp = await fetch(`${base}/api/v1/review/publications`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ document, key_id: 'demo-oversight', signature }),
    });
    assert.equal(resp.status, 201, `2025-Q${q}: ${await resp.text()}`);
  }
}

/** A context with JavaScript off that records every origin it contacts and checks headers. */
async function noScriptContext(viewport = { width: 360, height: 800 }) {
  const ctx = await browser.newContext({ javaScriptEnabled: false, viewport, locale: 'en-US' });
  watch(ctx);
  return ctx;
}

function watch(ctx) {
  ctx.on('request', (r) => origins.add(new URL(r.url()).origin));
  ctx.on('response', (r) => {
    headerChecks.push(r.allHeaders().then((h) => {
      const problems = checkHeaders(h, r.request().resourceType() === 'document', r.url());
      if (problems.length) headerProblems.push(`${r.request().method()} ${r.url()}: ${problems.join('; ')}`);
    }, (e) => {
      // A test may close its page while a late response (an image, a redirect's target) is
      // still in flight; its headers are then gone. Anything else is a failure.
      if (!/has been closed/.test(String(e))) headerProblems.push(`${r.url()}: ${e}`);
    }));
  });
}

// Only the published figures may be kept by a cache: they carry no case data, the same for
// every visitor; every other page may carry a code or a reporter's words.
const PUBLIC_PAGE = /^\/[a-z]+\/transparency$/;

function checkHeaders(h, isPage, url) {
  const p = [];
  const csp = h['content-security-policy'] ?? '';
  for (const part of ["default-src 'self'", "script-src 'none'", "frame-ancestors 'none'", "object-src 'none'"]) {
    if (!csp.includes(part)) p.push(`CSP lacks ${part}`);
  }
  if (/unsafe-inline|unsafe-eval/.test(csp)) p.push('CSP allows inline code');
  if (h['referrer-policy'] !== 'no-referrer') p.push('Referrer-Policy');
  if (h['x-frame-options'] !== 'DENY') p.push('X-Frame-Options');
  if (h['x-content-type-options'] !== 'nosniff') p.push('nosniff');
  if (!(h['permissions-policy'] ?? '').includes('camera=()')) p.push('Permissions-Policy');
  const cache = h['cache-control'] ?? '';
  if (isPage && PUBLIC_PAGE.test(new URL(url).pathname)) {
    if (!cache.startsWith('public')) p.push('Cache-Control (public figures)');
  } else if (isPage && !cache.includes('no-store')) p.push('Cache-Control');
  if (h['set-cookie']) p.push('sets a cookie');
  return p;
}

// ---------------------------------------------------------------------------------------
// Page helpers (all work with JavaScript off: Playwright reads the DOM from outside)
// ---------------------------------------------------------------------------------------

async function submitAndWait(page, selector = 'main form button[type=submit]') {
  const [resp] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return resp;
}

async function assertFrame(page, lang) {
  assert.equal(await page.getAttribute('html', 'lang'), lang);
  assert.equal(await page.getAttribute('html', 'dir'), RTL.has(lang) ? 'rtl' : 'ltr');
  const html = await page.content();
  assert.ok(!/<script/i.test(html), `script on ${page.url()}`);
  assert.ok(!/\sstyle=/i.test(html), `inline style on ${page.url()}`);
  assert.ok(await page.isVisible('p.demo'), `no demo banner on ${page.url()}`);
}

async function shoot(page, name) {
  for (const width of [360, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 360, height: 800 });
}

async function axe(page, name) {
  await page.addScriptTag({ content: AXE_SOURCE });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
  pagesChecked.add(name);
  for (const v of result) {
    if (v.impact === 'serious' || v.impact === 'critical') {
      axeProblems.push(`${name}: ${v.id} (${v.impact}) at ${v.nodes.slice(0, 3).join(', ')}`);
    } else {
      axeMinor.set(v.id, `${v.impact} (e.g. ${name}: ${v.nodes[0]})`);
    }
  }
}

const toLatin = (s) => s.replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660))
  .replace(/[\u06F0-\u06F9]/g, (d) => String(d.charCodeAt(0) - 0x06F0));
const toArabicIndic = (s) => s.replace(/[0-9]/g, (d) => String.fromCharCode(0x0660 + Number(d)));

/** The evaluation's first step: the GET form that picks the agency and centre. */
async function choosePlace(page, place) {
  assert.equal(await page.$('input[name^="rating_"]'), null, 'questions before the place is chosen');
  await page.selectOption('#place-agency', place.agency);
  await page.selectOption('#place-centre', place.centre);
  const resp = await submitAndWait(page, 'form.place button[type=submit]');
  assert.equal(resp.status(), 200);
  assert.ok(page.url().endsWith(placeQuery(place)), page.url());
}

/** Answers every question of the page's questionnaire: the second "did not apply", the
 * others 1, 2, 3… in turn; returns the answers by field name. */
async function answerAll(page) {
  const names = [...new Set(await page.locator('input[type=radio][name^="rating_"]')
    .evaluateAll((els) => els.map((e) => e.name)))];
  const answers = names.map((n, i) => [n, i === 1 ? 'na' : String((i % 5) + 1)]);
  for (const [n, v] of answers) await page.check(`input[name="${n}"][value="${v}"]`);
  return answers;
}

/** Fills and sends the form for `kind`; returns the code page's code (Latin digits). */
async function fileReport(page, lang, kind, { receipt = false, hook = async () => {} } = {}) {
  await page.goto(`${base}/${lang}/`);
  await hook(page, `${lang}-home`);
  await Promise.all([page.waitForNavigation(), page.click(`a[href="/${lang}/report/${kind}"]`)]);
  assert.equal((await page.textContent('h1')).trim(), KIND_TITLE[lang][kind]);
  await hook(page, `${lang}-form-${kind}`);
  if (kind === 'service_evaluation') {
    // Two steps, both plain forms: the place (GET), then its questions.
    await choosePlace(page, HOSPITAL);
    await hook(page, `${lang}-form-${kind}-questions`);
    assert.equal((await page.textContent('fieldset.criterion legend')).trim(), HOSPITAL.first[lang]);
    assert.equal((await answerAll(page)).length, HOSPITAL.criteria);
  } else {
    await page.selectOption('#agency', 'health');
  }
  if (kind === 'compliment') await page.selectOption('#centre', HOSPITAL.centre);
  await page.fill('#body', `${kind} in ${lang}: browser test ${Date.now()}`);
  if (receipt) await page.check('#receipt');
  const resp = await submitAndWait(page, 'form.report button[type=submit]');
  assert.equal(resp.status(), 201, `submit ${kind} in ${lang}`);
  await hook(page, `${lang}-code`);
  const shown = (await page.textContent('#code')).trim();
  const code = RTL.has(lang) && lang !== 'ur' ? (await page.textContent('.code-latin')).trim() : shown;
  assert.match(code, /^\d{5}( \d{5}){4}$/);
  assert.equal(toLatin(shown).replace(/\s+/g, ' '), code, 'the large code is the same code');
  assert.ok(!page.url().includes(code.replace(/ /g, '')) && !page.url().includes('code'), 'code in the URL');
  return code;
}

/** The confirmation step: a wrong code shows the code again; the right one confirms. */
async function confirmCode(page, lang, code, { wrongFirst = false, hook = async () => {} } = {}) {
  if (wrongFirst) {
    const wrong = code.slice(0, -1) + String((Number(code.at(-1)) + 1) % 10);
    await page.fill('#typed', wrong);
    await submitAndWait(page);
    assert.ok((await page.textContent('#mismatch')).includes(TEXT[lang].mismatch));
    assert.ok((await page.textContent('#code')).length > 0, 'the code is shown again');
    await hook(page, `${lang}-confirm-mismatch`);
  }
  // Arabic pages: typed back in Arabic-Indic digits, with dashes; the check accepts both.
  const typed = lang === 'ar' ? toArabicIndic(code.replace(/ /g, '-')) : code;
  await page.fill('#typed', typed);
  await submitAndWait(page);
  assert.equal((await page.textContent('h1')).trim(), TEXT[lang].confirmed);
  assert.ok(!(await page.content()).includes(code), 'the confirmed page repeats the code');
  await hook(page, `${lang}-confirmed`);
}

/** Opens the status page with `code`; returns the page's main text. */
async function openStatus(page, lang, code, { hook = async () => {} } = {}) {
  await page.goto(`${base}/${lang}/status`);
  await hook(page, `${lang}-status-form`);
  await page.fill('#code', lang === 'ar' ? toArabicIndic(code) : code);
  const resp = await submitAndWait(page);
  assert.equal(resp.status(), 200);
  const text = await page.textContent('main');
  assert.ok(!(await page.content()).includes(code), 'the status page echoes the code');
  await hook(page, `${lang}-status`);
  return text;
}

// ---------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------

test('every kind can be sent in Arabic and English with JavaScript off, confirmed and checked', async () => {
  const ctx = await noScriptContext();
  const page = await ctx.newPage();
  for (const lang of ['ar', 'en']) {
    for (const kind of KINDS) {
      const hook = async (p) => assertFrame(p, lang);
      const code = await fileReport(page, lang, kind, { hook, receipt: kind === 'violation' });
      await confirmCode(page, lang, code, { wrongFirst: kind === 'violation', hook });
      const text = await openStatus(page, lang, code, { hook });
      assert.ok(text.includes(KIND_TITLE[lang][kind]), `${lang}/${kind}: kind on the status page`);
      assert.ok(text.includes(TEXT[lang].agency), `${lang}/${kind}: agency on the status page`);
      assert.ok(text.includes(TEXT[lang].status), `${lang}/${kind}: status in words`);
      if (lang === 'ar') assert.match(text, /[\u0660-\u0669]{4}/, 'Arabic-Indic digits in dates');
    }
  }
  await ctx.close();
});

test('follow-up, then rating after closure, each asking for the code again', async () => {
  const ctx = await noScriptContext();
  const page = await ctx.newPage();
  for (const lang of ['ar', 'en']) {
    // The only case of this agency, so the reviewer can find it in the list.
    const agency = lang === 'ar' ? 'municipality' : 'transport';
    await page.goto(`${base}/${lang}/report/complaint`);
    await page.selectOption('#agency', agency);
    await page.fill('#body', `complaint to close (${lang})`);
    await submitAndWait(page);
    const code = (await page.textContent(lang === 'ar' ? '.code-latin' : '#code')).trim();

    await openStatus(page, lang, code);
    await page.fill('#followup-code', code);
    await page.fill('#followup-body', `more details (${lang})`);
    const resp = await submitAndWait(page, 'form[action$="/followup"] button');
    assert.equal(resp.status(), 201);
    assert.equal((await page.textContent('h1')).trim(), TEXT[lang].done);
    const text = await openStatus(page, lang, code);
    assert.ok(text.includes(`more details (${lang})`) && text.includes(TEXT[lang].followUp));
    // Nothing between author and date that reads as a digit ("·" looks like ٠).
    assert.ok(!text.includes('·'), 'a middle dot on the status page');

    close(agency);
    const closed = await openStatus(page, lang, code);
    assert.ok(closed.includes(TEXT[lang].closed), closed);
    for (const deadline of TEXT[lang].deadlines) assert.ok(!closed.includes(deadline), `closed: ${deadline}`);
    assert.equal(await page.$('form[action$="/followup"]'), null, 'no follow-up form after closure');
    await page.fill('#rating-code', code);
    await page.check('input[name="rating"][value="4"]');
    const rated = await submitAndWait(page, 'form[action$="/rating"] button');
    assert.equal(rated.status(), 201);
    const after = await openStatus(page, lang, code);
    assert.ok(after.includes(lang === 'ar' ? '٤' : '4'));
    assert.equal(await page.$('form[action$="/rating"]'), null, 'rated once');
  }
  await ctx.close();
});

/** Closes the one case of `agency` with the demo oversight reviewer's CLI. */
function close(agency) {
  const home = path.join(dataDir, 'data', 'demo', 'demo-oversight');
  const cli = (...args) => execFileSync(REVIEW_BIN, ['--home', home, '--server', base, ...args],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  cli('pull');
  const line = cli('list').split('\n').find((l) => l.includes(agency));
  assert.ok(line, `no ${agency} case in the reviewer's list`);
  const id = line.trim().split(/\s+/)[0];
  for (const status of ['acknowledged', 'in_review', 'closed_action_taken']) cli('status', id, status);
}

test('evidence files go with a report and a follow-up from the forms, and come back whole', async () => {
  const ctx = await noScriptContext();
  const page = await ctx.newPage();
  const photo = { name: 'صورة الإيصال.jpg', mimeType: 'image/jpeg', buffer: randomBytes(300 * 1024) };
  const ledger = { name: 'ledger.pdf', mimeType: 'application/pdf', buffer: randomBytes(5000) };
  await page.goto(`${base}/ar/report/violation`);
  await page.selectOption('#agency', 'health');
  await page.fill('#body', 'بلاغ مع صورة');
  await page.setInputFiles('#attachments', [photo]);
  const sent = await submitAndWait(page);
  assert.equal(sent.status(), 201, 'report with a file');
  const code = (await page.textContent('.code-latin')).trim();
  await openStatus(page, 'ar', code);
  await page.fill('#followup-code', code);
  await page.fill('#followup-body', 'ملف آخر');
  await page.setInputFiles('#followup-files', [ledger]);
  const added = await submitAndWait(page, 'form[action$="/followup"] button');
  assert.equal(added.status(), 201, 'follow-up with a file');

  // The reviewer's CLI pulls the files and exports them byte for byte.
  const home = path.join(dataDir, 'data', 'demo', 'demo-oversight');
  const cli = (...args) => execFileSync(REVIEW_BIN, ['--home', home, '--server', base, ...args],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  cli('pull');
  const ids = cli('list').split('\n').filter((l) => l.includes('health')).map((l) => l.trim().split(/\s+/)[0]);
  const id = ids.find((i) => cli('show', i).includes('ledger.pdf'));
  assert.ok(id, 'a case lists the follow-up file');
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'amana-export-')), 'files');
  cli('export', id, out);
  const names = readdirSync(out);
  for (const f of [photo, ledger]) {
    const name = names.find((n) => n.normalize() === f.name.normalize());
    assert.ok(name, `${f.name} exported under its own name (got ${names.join(', ')})`);
    assert.ok(readFileSync(path.join(out, name)).equals(f.buffer), `${f.name} came back different`);
  }
  await ctx.close();
});

test('Arabic pages are right to left and mirrored; English ones are not', async () => {
  const ctx = await noScriptContext({ width: 1280, height: 800 });
  const page = await ctx.newPage();
  for (const lang of ['ar', 'en', 'fa', 'ur']) {
    await page.goto(`${base}/${lang}/report/violation`);
    const form = await page.locator('form.report').boundingBox();
    const button = await page.locator('form.report button[type=submit]').boundingBox();
    const box = await page.locator('#receipt').boundingBox();
    const label = await page.locator('label[for=receipt]').boundingBox();
    const choice = await page.locator('nav.langs li').first().boundingBox();
    if (RTL.has(lang)) {
      assert.ok(Math.abs(button.x + button.width - (form.x + form.width)) < 2, `${lang}: button not at the right`);
      assert.ok(button.x > form.x + 100, `${lang}: button at the left`);
      assert.ok(box.x > label.x, `${lang}: checkbox not right of its label`);
      assert.ok(choice.x > 640, `${lang}: language links do not start at the right`);
    } else {
      assert.ok(Math.abs(button.x - form.x) < 2, `${lang}: button not at the left`);
      assert.ok(box.x < label.x, `${lang}: checkbox not left of its label`);
      assert.ok(choice.x < 640, `${lang}: language links do not start at the left`);
    }
  }
  // The code stays left to right on a right-to-left page.
  await page.goto(`${base}/ar/report/inquiry`);
  await page.selectOption('#agency', 'health');
  await page.fill('#body', 'سؤال');
  await submitAndWait(page);
  assert.equal(await page.getAttribute('#code', 'dir'), 'ltr');
  const groups = page.locator('#code .group');
  assert.equal(await groups.count(), 5);
  const first = await groups.nth(0).boundingBox();
  const last = await groups.nth(4).boundingBox();
  assert.ok(first.y < last.y || first.x < last.x, 'code groups run left to right');
  await ctx.close();
});

test('screenshots of home, form, code and status pages at 360 and 1280 px', async () => {
  const ctx = await noScriptContext();
  const page = await ctx.newPage();
  for (const lang of ['ar', 'en']) {
    await page.goto(`${base}/${lang}/`);
    await shoot(page, `${lang}-home`);
    await page.goto(`${base}/${lang}/report/service_evaluation`);
    await shoot(page, `${lang}-form-service_evaluation`);
    await page.goto(`${base}/${lang}/${placeQuery(LICENSING)}`);
    await shoot(page, `${lang}-form-service_evaluation-questions`);
    await page.goto(`${base}/${lang}/report/compliment`);
    await shoot(page, `${lang}-form-compliment`);
    const code = await fileReport(page, lang, 'violation', {
      receipt: true,
      hook: async (p, name) => { if (name.endsWith('-form-violation')) await shoot(p, name); },
    });
    await shoot(page, `${lang}-code`);
    await openStatus(page, lang, code);
    await shoot(page, `${lang}-status`);
    await page.goto(`${base}/${lang}/report/complaint`);
    await page.selectOption('#agency', 'health');
    await page.fill('#body', lang === 'ar' ? 'نص لا يضيع' : 'words that are kept');
    await setField(page, '#hp-field', 'x');
    await submitAndWait(page);
    await shoot(page, `${lang}-form-again`);
  }
  // Nothing scrolls sideways on a 360 px phone.
  for (const lang of LANGS) {
    for (const where of ['', 'report/service_evaluation', placeQuery(LICENSING), 'report/compliment', 'status']) {
      await page.goto(`${base}/${lang}/${where}`);
      // A full-page screenshot is as wide as the page's scroll width: PNG width at byte 16.
      const png = await page.screenshot({ fullPage: true });
      const width = png.readUInt32BE(16);
      assert.ok(width <= 360, `${lang}/${where}: ${width}px wide at 360`);
    }
  }
  await ctx.close();
});

test('the transparency page shows the year, its ranking and each quarter without script, at 360 px', async () => {
  const ctx = await noScriptContext();
  const page = await ctx.newPage();
  for (const lang of LANGS) {
    const resp = await page.goto(`${base}/${lang}/transparency`);
    assert.equal(resp.status(), 200);
    assert.match(resp.headers()['cache-control'], /^public, max-age=/, `${lang}: cached per document`);
    const html = await page.content();
    assert.ok(!/<script/i.test(html), `${lang}: no script`);
    assert.equal(await page.locator('section.figures').count(), 5, `${lang}: the year and four quarters`);
    assert.equal(await page.locator('section.figures ol').first().locator('li').count(), 1, `${lang}: best agency`);
    const png = await page.screenshot({ fullPage: true });
    assert.ok(png.readUInt32BE(16) <= 360, `${lang}/transparency: ${png.readUInt32BE(16)}px wide at 360`);
  }
  await page.goto(`${base}/en/transparency`);
  const text = await page.textContent('main');
  for (const want of ['Year 2025', 'Central Hospital', 'North Licensing Centre', 'Ministry of Health', '< 5']) {
    assert.ok(text.includes(want), `en: ${want}`);
  }
  // Public ratings (4.8) never rank; the commissioned scores do.
  const ranking = await page.locator('section.figures').first().locator('ol').allTextContents();
  assert.ok(ranking.join(' ').includes('3.50 / 5') && !ranking.join(' ').includes('4.8'), ranking.join(' | '));
  const csv = await (await fetch(`${base}/api/v1/transparency/2025-Q1.csv`)).text();
  assert.ok(csv.includes('"2025-Q1","transport","","received","<5",""'), csv);
  for (const lang of ['ar', 'en']) {
    await page.goto(`${base}/${lang}/transparency`);
    await shoot(page, `${lang}-transparency`);
  }
  await ctx.close();
});

test('axe-core finds no serious or critical violation on any page', async () => {
  // axe needs script: this one context allows it and bypasses the CSP, for the audit only.
  const ctx = await browser.newContext({ javaScriptEnabled: true, bypassCSP: true, viewport: { width: 360, height: 800 } });
  ctx.on('request', (r) => origins.add(new URL(r.url()).origin));
  const page = await ctx.newPage();
  for (const lang of LANGS) {
    await page.goto(`${base}/${lang}/`);
    await axe(page, `${lang}-home`);
    await page.goto(`${base}/${lang}/report/service_evaluation`);
    await axe(page, `${lang}-form-service_evaluation`);
    await page.goto(`${base}/${lang}/${placeQuery(LICENSING)}`);
    await axe(page, `${lang}-form-service_evaluation-questions`);
    await page.goto(`${base}/${lang}/status`);
    await axe(page, `${lang}-status-form`);
    await page.goto(`${base}/${lang}/transparency`);
    await axe(page, `${lang}-transparency`);
  }
  for (const lang of ['ar', 'en']) {
    const hook = (p, name) => axe(p, name);
    for (const kind of KINDS) {
      await page.goto(`${base}/${lang}/report/${kind}`);
      await axe(page, `${lang}-form-${kind}`);
    }
    const code = await fileReport(page, lang, 'violation', { receipt: true, hook });
    await confirmCode(page, lang, code, { wrongFirst: true, hook });
    await openStatus(page, lang, code, { hook });
    await page.fill('#followup-code', code);
    await page.fill('#followup-body', 'x');
    await submitAndWait(page, 'form[action$="/followup"] button');
    await axe(page, `${lang}-done`);
    await openStatus(page, lang, code, { hook: (p, name) => axe(p, `${name}-with-message`) });
    await page.goto(`${base}/${lang}/status`);
    await page.fill('#code', unknownCode());
    await submitAndWait(page);
    assert.ok((await page.textContent('main')).includes(TEXT[lang].notFound));
    await axe(page, `${lang}-status-not-found`);
    await page.goto(`${base}/${lang}/no-such-page`);
    await axe(page, `${lang}-404`);
    // The pages that keep a person's words: a report form shown again (honeypot filled),
    // the follow-up form after a wrong code, a typo on the status form, the 413 page.
    await page.goto(`${base}/${lang}/${placeQuery(HOSPITAL)}`);
    const answers = await answerAll(page);
    await page.fill('#body', 'kept');
    await setField(page, '#hp-field', 'http://spam.example');
    assert.equal((await submitAndWait(page, 'form.report button[type=submit]')).status(), 422);
    for (const [n, v] of answers) assert.ok(await page.isChecked(`input[name="${n}"][value="${v}"]`), `${n} lost`);
    assert.equal(await page.inputValue('input[type=hidden][name=centre]'), HOSPITAL.centre);
    await axe(page, `${lang}-form-again`);
    await openStatus(page, lang, code);
    await page.fill('#followup-code', unknownCode());
    await page.fill('#followup-body', 'kept');
    assert.equal((await submitAndWait(page, 'form[action$="/followup"] button')).status(), 404);
    await axe(page, `${lang}-followup-again`);
    await page.goto(`${base}/${lang}/status`);
    await page.fill('#code', typo(code));
    assert.equal((await submitAndWait(page)).status(), 422);
    await axe(page, `${lang}-status-typo`);
    await page.goto(`${base}/${lang}/report/inquiry`);
    await page.selectOption('#agency', 'health');
    await page.locator('#body').evaluate((e) => e.removeAttribute('maxlength'));
    await page.fill('#body', 'x'.repeat(300 * 1024));
    assert.equal((await submitAndWait(page)).status(), 413);
    await axe(page, `${lang}-413`);
  }
  await ctx.close();
  assert.ok(pagesChecked.size >= 40, `only ${pagesChecked.size} pages audited`);
  console.log(`axe: ${pagesChecked.size} pages audited; minor/moderate findings: ${
    axeMinor.size ? [...axeMinor].map(([id, what]) => `${id} ${what}`).join('; ') : 'none'}`);
  assert.deepEqual(axeProblems, []);
});

test('error pages are HTML in the page language, never internals', async () => {
  const ctx = await noScriptContext();
  const page = await ctx.newPage();
  for (const [url, status, lang] of [['/en/nowhere', 404, 'en'], ['/ar/report/bribes', 404, 'ar'],
    ['/xx/', 404, 'en'], ['/fr/status', 200, 'fr']]) {
    const resp = await page.goto(`${base}${url}`);
    assert.equal(resp.status(), status, url);
    assert.equal(await page.getAttribute('html', 'lang'), lang, url);
  }
  // A form that cannot be accepted (unknown agency, sent by hand): the form again, with the
  // text, in the page's language.
  const resp = await ctx.request.post(`${base}/ar/report`, {
    form: { kind: 'violation', agency: 'nowhere', body: 'نص مرسل باليد' },
  });
  assert.equal(resp.status(), 400);
  const html = await resp.text();
  assert.ok(html.includes('lang="ar"') && html.includes('لم يُحفظ شيء') && html.includes('نص مرسل باليد'), html);
  assert.ok(!/sql|panic|error:/i.test(html));
  // Not our form at all (no kind): 400, as a page.
  const junk = await ctx.request.post(`${base}/en/report`, { form: { body: 'x' } });
  assert.equal(junk.status(), 400);
  assert.ok((await junk.text()).includes('Nothing was saved'));
  // Larger than the report body limit (256 KiB): 413, as a page.
  const big = await ctx.request.post(`${base}/fr/report`, {
    form: { kind: 'violation', agency: 'health', body: 'x'.repeat(300 * 1024) },
  });
  assert.equal(big.status(), 413);
  assert.ok((await big.text()).includes('lang="fr"'));
  // A filled honeypot: the form again with the text (a person whose browser filled it in
  // loses nothing), never a "received" page, no code, nothing stored.
  const bot = await ctx.request.post(`${base}/en/report`, {
    form: { kind: 'complaint', agency: 'health', body: 'spam', website: 'http://spam.example' },
  });
  assert.equal(bot.status(), 422);
  const botPage = await bot.text();
  assert.ok(botPage.includes('Nothing was sent yet') && botPage.includes('>\nspam</textarea>'), botPage);
  assert.ok(!botPage.includes('was received'), 'a "received" page');
  assert.ok(!/\d{5} \d{5}/.test(botPage), 'a code-like number on the honeypot page');
  await ctx.close();
});

test('/ picks the language from Accept-Language, Arabic by default, without cookies', async () => {
  for (const [accept, lang] of [['en-GB,en;q=0.9', 'en'], ['fa-IR', 'fa'], ['de-DE', 'ar'], [null, 'ar'],
    ['de, fr;q=0.5, ar;q=0.4', 'fr']]) {
    const resp = await fetch(`${base}/`, { redirect: 'manual', headers: accept ? { 'accept-language': accept } : {} });
    assert.equal(resp.status, 303);
    assert.equal(resp.headers.get('location'), `/${lang}/`);
    assert.equal(resp.headers.get('set-cookie'), null);
  }
  const resp = await fetch(`${base}/en/`);
  const links = [...(await resp.text()).matchAll(/hreflang="([a-z]+)"/g)].map((m) => m[1]);
  assert.deepEqual(links.sort(), LANGS.filter((l) => l !== 'en').sort());
});

test('security headers on pages, assets, errors and redirects', async () => {
  const urls = ['/', '/ar/', '/en/report/complaint', '/en/status', '/static/amana.css', '/static/icon.svg',
    '/en/missing', '/healthz', '/api/v1/agencies', '/en/transparency'];
  for (const u of urls) {
    const resp = await fetch(`${base}${u}`, { redirect: 'manual' });
    const h = Object.fromEntries(resp.headers.entries());
    assert.deepEqual(checkHeaders(h, true, `${base}${u}`), [], u);
  }
  const css = await fetch(`${base}/static/amana.css`);
  const text = await css.text();
  assert.ok(!/@import|url\(|https?:/.test(text), 'the stylesheet loads nothing else');
});


// ---------------------------------------------------------------------------------------
// Never lose a person's words
// ---------------------------------------------------------------------------------------

// The Damm table of amana-core's check digit.
const DAMM = ['0317598642', '7092154863', '4206871359', '1750983426', '6123045978', '3674209581',
  '5869720134', '8945362017', '9438617205', '2581436790'].map((row) => [...row].map(Number));
const damm = (digits) => [...digits].reduce((state, d) => DAMM[state][Number(d)], 0);
/** A code with a valid check digit that no report has (24 random digits). */
function unknownCode() {
  const body = [...randomBytes(24)].map((b) => String(b % 10)).join('');
  return `${body}${damm(body)}`.replace(/(\d{5})(?=\d)/g, '$1 ');
}
/** `code` with one digit changed: the check digit always catches it. */
const typo = (code) => code.slice(0, 2) + String((Number(code[2]) + 1) % 10) + code.slice(3);

/** A genuine form token for a form served `agoSecs` ago, made with the server's pepper. */
function tokenServedAgo(serverDir, agoSecs) {
  const pepper = readFileSync(path.join(serverDir, 'data', 'pepper'));
  const key = createHmac('sha256', pepper).update('amana-form-token-key-v1').digest();
  const issued = Math.floor(Date.now() / 1000) - agoSecs;
  const mac = createHmac('sha256', key).update(`amana-form-v1:${issued}`).digest().subarray(0, 16);
  return `${issued}.${mac.toString('hex')}`;
}

/** Sets a form field's value or removes it, from outside the page (its scripts stay off). */
const setField = (page, selector, value) => page.locator(selector).evaluate((e, v) => {
  if (v === null) e.remove(); else e.value = v;
}, value);

/**
 * The report form shown again: it says why, keeps everything typed, and shows no code and no
 * "received" page. Returns the page's status.
 */
async function assertShownAgain(page, resp, typed, what) {
  const html = await page.content();
  assert.ok([413, 422].includes(resp.status()), `${what}: ${resp.status()}`);
  assert.ok(await page.isVisible('#again'), `${what}: no notice`);
  assert.equal(await page.inputValue('#body'), typed.body, `${what}: text lost`);
  if (typed.contact) assert.equal(await page.inputValue('#contact'), typed.contact, `${what}: contact lost`);
  assert.equal(await page.inputValue('#agency'), typed.agency, `${what}: agency lost`);
  assert.equal(await page.$('#code'), null, `${what}: a code`);
  assert.ok(!/received|تم الاستلام/i.test(await page.textContent('h1')), `${what}: a "received" page`);
  assert.ok(!/\d{5} \d{5} \d{5}/.test(html), `${what}: a code-like number`);
}

/** Fills the report form for `kind` with `typed` (agency, body, contact). */
async function fillReport(page, typed) {
  await page.selectOption('#agency', typed.agency);
  await page.fill('#body', typed.body);
  if (typed.contact) await page.fill('#contact', typed.contact);
}

test('a report sent too fast, without its token or a day late comes back with every word, then is stored', async () => {
  const url = await strictServer();
  const ctx = await noScriptContext();
  const page = await ctx.newPage();
  const cases = [
    ['en', 'sent at once, as when a prepared text is pasted', async () => {}],
    ['ar', 'sent at once, in Arabic', async () => {}],
    ['en', 'without its token', async (p) => setField(p, 'input[name=t]', null)],
    ['en', 'a form served 25 hours ago', async (p) => setField(p, 'input[name=t]', tokenServedAgo(strict.dir, 25 * 3600))],
  ];
  for (const [lang, what, tamper] of cases) {
    const typed = { agency: 'transport', body: `${what}\nسطر ثانٍ — second line ${Date.now()}`, contact: 'me@example.org' };
    await page.goto(`${url}/${lang}/report/complaint`);
    await fillReport(page, typed);
    await tamper(page);
    const resp = await submitAndWait(page);
    await assertShownAgain(page, resp, typed, what);
    assert.equal(resp.status(), 422, what);
    assert.ok((await page.textContent('#again')).includes(lang === 'ar' ? 'لم يُرسَل شيء بعد' : 'Nothing was sent yet'), what);
    await assertFrame(page, lang);
    // Sent again at once: the form shown again is never refused for speed.
    const stored = await submitAndWait(page);
    assert.equal(stored.status(), 201, `${what}: sent again`);
    assert.match(toLatin(await page.textContent('#code')), /\d{5}/, `${what}: no code`);
  }
  await ctx.close();
});

test('Back after a 413 keeps the text, and sending again never shows a false success', async () => {
  const url = await strictServer();
  const ctx = await noScriptContext();
  const page = await ctx.newPage();
  const typed = { agency: 'health', body: `A long account, with a photo too large ${Date.now()}` };
  await page.goto(`${url}/en/report/violation`);
  await fillReport(page, typed);
  await page.setInputFiles('#attachments', [{ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: randomBytes(3 * 1024 * 1024) }]);
  // Files over the case's limit: the form comes back at once, filled in, with the limit.
  let resp = await submitAndWait(page);
  assert.equal(resp.status(), 413);
  await assertShownAgain(page, resp, typed, 'files over the limit');
  assert.ok((await page.textContent('#again')).includes('larger than'));
  // Back (the way people leave an error page): the form, with the text, sent again at once.
  await page.goBack();
  assert.equal(await page.inputValue('#body'), typed.body, 'Back lost the text');
  resp = await submitAndWait(page);
  if (resp.status() === 422) {
    await assertShownAgain(page, resp, typed, 'sent at once after Back');
    resp = await submitAndWait(page);
  }
  assert.equal(resp.status(), 201, 'stored in the end');
  assert.ok(await page.isVisible('#code'));

  // A text over the body limit (a browser that ignores maxlength): the error page says that
  // Back keeps the text and the start page does not, and Back does keep it.
  const long = `${'long text '.repeat(30 * 1024)}end`;
  await page.goto(`${url}/en/report/inquiry`);
  await page.selectOption('#agency', 'health');
  await page.locator('#body').evaluate((e) => e.removeAttribute('maxlength'));
  await page.fill('#body', long);
  resp = await submitAndWait(page);
  assert.equal(resp.status(), 413);
  assert.ok((await page.textContent('p.next')).includes('Back button'), 'no Back advice');
  assert.ok((await page.textContent('main')).includes('empty pages'), 'the start link is not said to lose the text');
  assert.equal(await page.$('main > p > a[href="/en/"]'), null, 'the start page is the primary action');
  await page.goBack();
  assert.equal((await page.inputValue('#body')).length, long.length, 'Back lost the long text');
  await ctx.close();
});

test('a wrong code or a check-digit typo on the follow-up form keeps the text', async () => {
  const ctx = await noScriptContext();
  const page = await ctx.newPage();
  const filed = await (await fetch(`${base}/api/v1/reports`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'complaint', agency: 'health', body: 'the case for follow-ups' }) })).json();
  const code = filed.code;
  for (const lang of ['ar', 'en']) {
    const text = `معلومات إضافية — more detail (${lang}) ${Date.now()}`;
    await openStatus(page, lang, code);
    const tries = [
      [typo(code), 422, lang === 'ar' ? 'رقمان تبادلا مكانيهما' : 'two digits are swapped'],
      [unknownCode(), 404, TEXT[lang].notFound],
    ];
    for (const [typed, status, says] of tries) {
      await page.fill('#followup-code', lang === 'ar' ? toArabicIndic(typed) : typed);
      await page.fill('#followup-body', text);
      const resp = await submitAndWait(page, 'form[action$="/followup"] button');
      assert.equal(resp.status(), status, `${lang}: ${says}`);
      assert.ok((await page.textContent('#again')).includes(says), `${lang}: ${says}`);
      assert.equal(await page.inputValue('#followup-body'), text, `${lang}: text lost`);
      assert.equal(await page.inputValue('#followup-code'), '', `${lang}: the code field is not empty`);
      assert.ok(!(await page.content()).includes(typed), `${lang}: the typed code is echoed`);
      await assertFrame(page, lang);
    }
    // The right code, on the form shown again: added.
    await page.fill('#followup-code', code);
    const resp = await submitAndWait(page, 'form[action$="/followup"] button');
    assert.equal(resp.status(), 201);
    assert.equal((await page.textContent('h1')).trim(), TEXT[lang].done);
    // The status form names a typo too.
    await page.goto(`${base}/${lang}/status`);
    await page.fill('#code', typo(code));
    assert.equal((await submitAndWait(page)).status(), 422);
    assert.ok((await page.textContent('main')).includes(lang === 'ar' ? 'خطأ في الكتابة' : 'typing mistake'));
  }
  await ctx.close();
});

test('reading order and digits: numbered code groups, native list digits, one-line scales, Nastaliq', async () => {
  const ctx = await noScriptContext({ width: 1280, height: 800 });
  const page = await ctx.newPage();
  const pseudo = (sel) => page.locator(sel).evaluate((e) => getComputedStyle(e, '::before').content);
  for (const [lang, style] of [['ar', 'arabic-indic'], ['fa', 'persian'], ['en', null]]) {
    await page.goto(`${base}/${lang}/report/inquiry`);
    await page.selectOption('#agency', 'health');
    await page.fill('#body', 'order');
    await submitAndWait(page);
    const numbering = await pseudo('#code .group >> nth=0');
    assert.ok(numbering.includes('counter(group') && (style === null || numbering.includes(style)), `${lang}: ${numbering}`);
    // Right-to-left pages say to read left to right; the groups do run left to right.
    assert.equal(await page.isVisible('#code-order'), RTL.has(lang), `${lang}: reading-order hint`);
    const boxes = await page.locator('#code .group').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().x));
    assert.deepEqual([...boxes].sort((a, b) => a - b), boxes, `${lang}: groups not left to right`);
  }
  for (const [lang, style] of [['ar', 'arabic-indic'], ['fa', 'persian'], ['bn', 'bengali'], ['en', 'decimal'], ['ur', 'decimal']]) {
    await page.goto(`${base}/${lang}/`);
    assert.equal(await page.locator('main ol').evaluate((e) => getComputedStyle(e).listStyleType), style, lang);
  }
  await page.goto(`${base}/ur/`);
  const font = await page.locator('body').evaluate((e) => getComputedStyle(e).fontFamily);
  assert.ok(font.startsWith('"Noto Nastaliq Urdu"'), font);
  // The five choices of every 1–5 scale sit on one line on a 360 px phone.
  await page.setViewportSize({ width: 360, height: 800 });
  for (const lang of LANGS) {
    await page.goto(`${base}/${lang}/${placeQuery(LICENSING)}`);
    const rows = await page.locator('.scale').evaluateAll((scales) => scales.map((s) =>
      new Set([...s.querySelectorAll('label.choice:not(.na)')].map((l) => Math.round(l.getBoundingClientRect().y))).size));
    assert.equal(rows.length, LICENSING.criteria, lang);
    assert.deepEqual(rows, Array(LICENSING.criteria).fill(1), `${lang}: a scale wraps at 360 px`);
  }
  await ctx.close();
});

test('the operations-room report opens as a file with JavaScript off, self-contained, RTL in Arabic, axe-clean', async () => {
  // The real CLI on the demo oversight home, after a pull of everything the tests above sent.
  const home = path.join(dataDir, 'data', 'demo', 'demo-oversight');
  const cli = (...args) => execFileSync(REVIEW_BIN, ['--home', home, '--server', base, ...args],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  cli('pull');
  cli('improvement', 'open', '--agency', 'health', '--reason', 'Slow acknowledgements', '--criteria', 'on_time,satisfaction');
  const table = cli('kpis', '--officers');
  const officers = table.slice(table.indexOf('officers (oversight only')).split('\n').slice(2)
    .map((l) => l.split(' ')[0]).filter(Boolean);
  assert.ok(officers.length > 0, `no officer in:\n${table}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'amana-room-'));
  for (const lang of ['ar', 'en']) {
    const file = path.join(dir, `room-${lang}.html`);
    cli('kpis', '--html', file, '--lang', lang, '--k', '3');
    const html = readFileSync(file, 'utf8');
    assert.ok(!/<script/i.test(html), `${lang}: a script in the report`);
    assert.ok(!/https?:\/\//i.test(html), `${lang}: an outside address in the report`);
    assert.ok(html.includes('Slow acknowledgements'), `${lang}: the improvement period is missing`);
    for (const id of officers) assert.ok(!html.includes(id), `${lang}: officer ${id} named in the report`);
    const url = `file://${file}`;
    const ctx = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 360, height: 800 } });
    const requests = [];
    ctx.on('request', (r) => requests.push(r.url()));
    const page = await ctx.newPage();
    await page.goto(url);
    assert.equal(await page.locator('html').getAttribute('dir'), lang === 'ar' ? 'rtl' : 'ltr');
    assert.ok(await page.locator('svg').count() >= 3, `${lang}: bars, trend and a heat map`);
    const png = await page.screenshot({ path: path.join(ARTIFACTS, `report-${lang}-360.png`), fullPage: true });
    assert.ok(png.readUInt32BE(16) <= 360, `${lang}: the report is ${png.readUInt32BE(16)}px wide at 360`);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: path.join(ARTIFACTS, `report-${lang}-1280.png`), fullPage: true });
    assert.deepEqual(requests.filter((u) => u !== url), [], `${lang}: the report fetched something`);
    await ctx.close();
    // axe needs script: this context allows it and bypasses the report's CSP, for the audit only.
    const audit = await browser.newContext({ javaScriptEnabled: true, bypassCSP: true, viewport: { width: 360, height: 800 } });
    const apage = await audit.newPage();
    await apage.goto(url);
    await apage.addScriptTag({ content: AXE_SOURCE });
    // eslint-disable-next-line no-undef
    const found = await apage.evaluate(async () => (await axe.run(document, { resultTypes: ['violations'] })).violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}) at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`));
    assert.deepEqual(found, [], `${lang}: axe`);
    await audit.close();
  }
});

test('the browser contacted no origin but the server, and every response was hardened', async () => {
  await Promise.all(headerChecks);
  assert.ok(headerChecks.length > 100, `only ${headerChecks.length} responses were checked`);
  assert.deepEqual([...origins].sort(), [base, strict?.url].filter(Boolean).sort());
  assert.deepEqual(headerProblems, []);
});
