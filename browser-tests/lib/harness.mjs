// Browser-test harness for Senco: starts a seeded `senco` server, drives
// Debian's Chromium with playwright-core, runs axe-core, and keeps screenshots
// of failures in browser-tests/artifacts/.
//
// Used by browser-tests/*.test.mjs, run with node's own test runner:
//   scripts/browser-tests.sh          (builds assets, then node --test)
//
// Environment:
//   SENCO_BIN       the built binary (default target/debug/senco, relative to
//                   the repository root). Nothing here builds Rust.
//   CHROMIUM_PATH   the browser (default /usr/bin/chromium)
//   SENCO_ASSETS_DIR passed on to `senco serve` (default assets/dist)
//   BROWSER_TESTS_SLOWMO  milliseconds between browser actions, for watching
//
// Contract with the binary:
//   senco demo --no-serve --json --database-url sqlite://DIR/demo.db
//     prints one JSON object: {"accounts":[…], "sample_pupils":[…]}
//   senco serve --database-url sqlite://DIR/demo.db --bind 127.0.0.1:0
//     prints "Senco is listening on http://127.0.0.1:PORT" once ready;
//     stopped with SIGTERM.

import { spawn, execFile } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import assert from 'node:assert/strict'
import { chromium } from 'playwright-core'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const artifactsDir = join(repoRoot, 'browser-tests', 'artifacts')
export const axePath = join(repoRoot, 'node_modules', 'axe-core', 'axe.min.js')

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
// Without the background-networking flags Chromium keeps trying to reach
// Google's hosts, which this machine's closed network refuses.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
]

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']
let axeSource = null

const SEED_TIMEOUT_MS = 300_000
const LISTEN_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 10_000

// ---------------------------------------------------------------------------
// Senco server
// ---------------------------------------------------------------------------

export function sencoBin () {
  const bin = process.env.SENCO_BIN || 'target/debug/senco'
  return isAbsolute(bin) ? bin : join(repoRoot, bin)
}

/** The last server startSenco() started; newBrowserContext() defaults to it. */
let currentSenco = null

/**
 * Seeds a fresh SQLite demo database in a temporary folder and serves it.
 * @returns {Promise<{baseUrl: string, accounts: object[], samplePupils: object[],
 *   databaseUrl: string, tmpDir: string, log: () => string, stop: () => Promise<void>}>}
 */
export async function startSenco ({ env = {} } = {}) {
  const bin = sencoBin()
  if (!existsSync(bin)) {
    throw new Error(`senco binary not found at ${bin}. Build it first (cargo build -p senco) ` +
      'or set SENCO_BIN to its path.')
  }
  const assetsDir = process.env.SENCO_ASSETS_DIR || join(repoRoot, 'assets', 'dist')
  if (!existsSync(join(assetsDir, 'senco.css'))) {
    throw new Error(`${assetsDir}/senco.css not found: run scripts/build-assets.sh first.`)
  }

  const tmpDir = await mkdtemp(join(tmpdir(), 'senco-browser-tests-'))
  const databaseUrl = `sqlite://${tmpDir}/demo.db`
  const childEnv = { ...process.env, SENCO_ASSETS_DIR: assetsDir, ...env }

  // 1. Seed.
  const seedArgs = ['demo', '--no-serve', '--json', '--database-url', databaseUrl]
  let seed
  try {
    const { stdout, stderr } = await run(bin, seedArgs, { env: childEnv, cwd: repoRoot, timeout: SEED_TIMEOUT_MS })
    try {
      seed = parseSeedJson(stdout)
    } catch (error) {
      throw new Error(`could not read the JSON printed by \`senco ${seedArgs.join(' ')}\`: ${error.message}\n` +
        `stdout:\n${clip(stdout)}\nstderr:\n${clip(stderr)}`)
    }
    assert.ok(Array.isArray(seed.accounts) && seed.accounts.length > 0, 'the demo seed has no accounts')
    assert.ok(Array.isArray(seed.sample_pupils), 'the demo seed has no sample_pupils array')
  } catch (error) {
    await rm(tmpDir, { recursive: true, force: true })
    throw error
  }

  // 2. Serve.
  const serveArgs = ['serve', '--database-url', databaseUrl, '--bind', '127.0.0.1:0']
  const child = spawn(bin, serveArgs, { env: childEnv, cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const exited = new Promise(resolve => child.once('exit', (code, signal) => resolve({ code, signal })))

  const baseUrl = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`senco serve did not print "Senco is listening on …" within ${LISTEN_TIMEOUT_MS / 1000} s.\n${clip(output)}`))
    }, LISTEN_TIMEOUT_MS)
    const onData = chunk => {
      output += chunk
      const match = /Senco is listening on (https?:\/\/[^\s]+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(match[1].replace(/\/+$/, ''))
      }
    }
    child.stdout.setEncoding('utf8').on('data', onData)
    child.stderr.setEncoding('utf8').on('data', chunk => { output += chunk })
    child.once('error', error => { clearTimeout(timer); reject(error) })
    exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(new Error(`senco serve exited early (code ${code}, signal ${signal}).\n${clip(output)}`))
    })
  }).catch(async error => {
    child.kill('SIGKILL')
    await rm(tmpDir, { recursive: true, force: true })
    throw error
  })

  let stopped = false
  const senco = {
    baseUrl,
    accounts: seed.accounts,
    samplePupils: seed.sample_pupils,
    databaseUrl,
    tmpDir,
    log: () => output,
    async stop () {
      if (stopped) return
      stopped = true
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const timeout = new Promise(resolve => setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS))
        if (await Promise.race([exited, timeout]) === 'timeout') {
          child.kill('SIGKILL')
          await exited
        }
      }
      await mkdir(artifactsDir, { recursive: true })
      await writeFile(join(artifactsDir, 'senco-serve.log'), output)
      await rm(tmpDir, { recursive: true, force: true })
      if (currentSenco === senco) currentSenco = null
    }
  }
  currentSenco = senco
  return senco
}

/** The account of a role in the seed ("senco", …); fails if there is none. */
export function accountFor (accounts, role) {
  const account = accounts.find(a => a.role === role)
  assert.ok(account, `the demo seed has no account with role "${role}" (roles: ${accounts.map(a => a.role).join(', ')})`)
  return account
}

/** The first sample pupil in the account's school; fails if there is none. */
export function samplePupilFor (samplePupils, account) {
  const pupil = samplePupils.find(p => p.school_urn === account.school_urn)
  assert.ok(pupil, `the demo seed has no sample pupil in school ${account.school_urn} (of ${account.email})`)
  return pupil
}

function parseSeedJson (stdout) {
  const text = stdout.trim()
  try {
    return JSON.parse(text)
  } catch {
    // Tolerate log lines around it: take the last line that is a JSON object.
    const line = text.split('\n').reverse().find(l => l.trim().startsWith('{'))
    if (!line) throw new Error('no JSON object on stdout')
    return JSON.parse(line)
  }
}

function run (file, args, options) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { ...options, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`\`${file} ${args.join(' ')}\` failed: ${error.message}\nstdout:\n${clip(stdout)}\nstderr:\n${clip(stderr)}`))
      } else {
        resolve({ stdout, stderr })
      }
    })
  })
}

function clip (text, max = 4000) {
  text = String(text ?? '')
  return text.length > max ? '…' + text.slice(-max) : text
}

// ---------------------------------------------------------------------------
// Browser
// ---------------------------------------------------------------------------

let browserPromise = null

/** One Chromium per test file, launched on first use (fresh profile each time). */
export function launchBrowser () {
  if (!browserPromise) {
    if (!existsSync(CHROMIUM_PATH)) {
      throw new Error(`${CHROMIUM_PATH} not found: install Debian's chromium (scripts/browser-tests.sh does).`)
    }
    // playwright gives launch() a new temporary --user-data-dir of its own.
    browserPromise = chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      slowMo: Number(process.env.BROWSER_TESTS_SLOWMO || 0)
    })
  }
  return browserPromise
}

export async function closeBrowser () {
  if (browserPromise) {
    const browser = await browserPromise.catch(() => null)
    browserPromise = null
    await browser?.close()
  }
}

/**
 * A new isolated browser context (own cookies).
 * baseURL defaults to the last started Senco, so page.goto('/pupils') works.
 */
export async function newBrowserContext ({ javaScriptEnabled = true, baseURL, ...options } = {}) {
  const browser = await launchBrowser()
  const context = await browser.newContext({
    javaScriptEnabled,
    baseURL: baseURL ?? currentSenco?.baseUrl,
    viewport: { width: 1280, height: 900 },
    locale: 'en-GB',
    timezoneId: 'Europe/London',
    ...options
  })
  context.setDefaultTimeout(15_000)
  context.setDefaultNavigationTimeout(30_000)
  return context
}

/**
 * Records uncaught page errors and Content-Security-Policy violations of a
 * page. Call assertNoPageErrors(page) at the end of a test.
 */
export function trackPageErrors (page) {
  const errors = []
  page.on('pageerror', error => errors.push(`uncaught: ${error.message}`))
  page.on('console', message => {
    if (message.type() === 'error' && /Content Security Policy|Refused to (execute|load|apply)/i.test(message.text())) {
      errors.push(`CSP: ${message.text()}`)
    }
  })
  page.__sencoErrors = errors
  return errors
}

export function assertNoPageErrors (page) {
  const errors = page.__sencoErrors || []
  assert.deepEqual(errors, [], `errors in the page:\n${errors.join('\n')}`)
}

/**
 * Signs in through the sign-in page: labels "Email address" and "Passphrase",
 * button "Sign in". Resolves on the first page after sign-in.
 */
export async function signIn (page, account) {
  await page.goto('/sign-in')
  const email = page.getByLabel('Email address', { exact: true })
  assert.equal(await email.getAttribute('name'), 'email', 'the Email address input is not name="email"')
  await email.fill(account.email)
  const passphrase = page.getByLabel('Passphrase', { exact: true })
  assert.equal(await passphrase.getAttribute('name'), 'password', 'the Passphrase input is not name="password"')
  assert.equal(await passphrase.getAttribute('type'), 'password', 'the Passphrase input is not type="password"')
  await passphrase.fill(account.passphrase)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  try {
    await page.waitForURL(url => url.pathname !== '/sign-in', { timeout: 15_000 })
  } catch {
    const summary = await page.locator('.govuk-error-summary').innerText().catch(() => '')
    throw new Error(`sign-in as ${account.email} (${account.role}) did not leave /sign-in` +
      (summary ? `; the page says:\n${summary}` : ''))
  }
  if (new URL(page.url()).pathname === '/sign-in/code') {
    assert.ok(account.totp_secret, `${account.email} was asked for a code but the demo seed gave no totp_secret`)
    await page.getByLabel('Code', { exact: true }).fill(await nextCode(account))
    await page.getByRole('button', { name: 'Continue', exact: true }).click()
    await page.waitForURL(url => url.pathname !== '/sign-in/code', { timeout: 15_000 })
  }
  await page.waitForLoadState('load')
}

/** The last TOTP step used per account: the server refuses a step twice. */
const usedSteps = new Map()

/** The six-digit RFC 6238 code (HMAC-SHA1, 30 s) for `step` of a Base32 key. */
export function totpCode (base32, step) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const ch of base32.replace(/[\s=]/g, '').toUpperCase()) {
    const v = alphabet.indexOf(ch)
    assert.ok(v >= 0, `not Base32: ${ch}`)
    bits += v.toString(2).padStart(5, '0')
  }
  const key = Buffer.from(bits.match(/.{8}/g).map(b => parseInt(b, 2)))
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(step))
  const mac = createHmac('sha1', key).update(counter).digest()
  const offset = mac[mac.length - 1] & 0x0f
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000
  return String(value).padStart(6, '0')
}

/** A code for `account` not used before: this step, else the next (the server allows one
 * step of drift), else waits for a fresh step. */
export async function nextCode (account) {
  for (;;) {
    const now = Math.floor(Date.now() / 1000 / 30)
    const last = usedSteps.get(account.email) ?? -1
    const step = [now, now + 1].find(s => s > last)
    if (step !== undefined) {
      usedSteps.set(account.email, step)
      return totpCode(account.totp_secret, step)
    }
    await new Promise(resolve => setTimeout(resolve, 1000))
  }
}

/**
 * Runs axe-core (tags wcag2a, wcag2aa, wcag21a, wcag21aa, wcag22aa) on the
 * page; fails listing
 * each violation with its impact and target selectors, after saving a
 * screenshot to browser-tests/artifacts/axe-LABEL.png.
 */
export async function checkAccessibility (page, label) {
  if (!await page.evaluate(() => typeof window.axe === 'object')) {
    // Not page.addScriptTag({ path: axePath }): it adds an inline <script>,
    // which Senco's Content-Security-Policy (script-src 'self') blocks and
    // reports as a violation, which trackPageErrors() counts as a failure.
    // Evaluation through the devtools protocol is not subject to the CSP.
    axeSource ??= await readFile(axePath, 'utf8')
    await page.evaluate(axeSource)
    assert.equal(await page.evaluate(() => typeof window.axe), 'object', 'axe-core did not load into the page')
  }
  const results = await page.evaluate(options => window.axe.run(document, options), {
    runOnly: { type: 'tag', values: AXE_TAGS },
    resultTypes: ['violations']
  })
  const violations = results.violations
  if (violations.length > 0) {
    const report = violations.map(v =>
      `- ${v.id} (${v.impact}): ${v.help}\n    ${v.helpUrl}\n` +
      v.nodes.map(n => `    at ${n.target.map(t => Array.isArray(t) ? t.join(' >>> ') : t).join(' ')}` +
        (n.failureSummary ? `\n      ${n.failureSummary.replace(/\n/g, '\n      ')}` : '')).join('\n')
    ).join('\n')
    const shot = await capture(page, `axe-${label}`)
    assert.fail(`${violations.length} accessibility violation(s) on "${label}" (${page.url()}):\n${report}` +
      (shot ? `\nscreenshot: ${shot}` : ''))
  }
  return results
}

// ---------------------------------------------------------------------------
// Artifacts
// ---------------------------------------------------------------------------

export function slug (text) {
  return String(text).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80) || 'page'
}

/** Saves a full-page screenshot and the HTML; returns the screenshot's path. */
export async function capture (page, name) {
  try {
    await mkdir(artifactsDir, { recursive: true })
    const base = join(artifactsDir, slug(name))
    await page.screenshot({ path: `${base}.png`, fullPage: true })
    await writeFile(`${base}.html`, await page.content())
    return `${base}.png`
  } catch {
    return null
  }
}

/**
 * Runs one step of a journey; on failure saves a screenshot named after the
 * step and adds the page's address to the error.
 */
export async function step (page, name, fn) {
  try {
    return await fn()
  } catch (error) {
    const shot = await capture(page, `failed-${name}`)
    error.message = `step "${name}" failed at ${page.url()}: ${error.message}` + (shot ? `\nscreenshot: ${shot}` : '')
    throw error
  }
}
