// Checks the harness itself and the built assets, without the senco binary:
// Chromium starts, axe finds a known violation and passes a clean page, and
// assets/dist's init.mjs initialises GOV.UK Frontend with no inline script.
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { readFile } from 'node:fs/promises'
import { join, normalize, extname } from 'node:path'
import {
  repoRoot, newBrowserContext, closeBrowser, checkAccessibility, trackPageErrors, assertNoPageErrors
} from './lib/harness.mjs'

const TYPES = {
  '.css': 'text/css', '.mjs': 'text/javascript', '.js': 'text/javascript', '.json': 'application/json',
  '.svg': 'image/svg+xml', '.ico': 'image/x-icon', '.png': 'image/png', '.map': 'application/json'
}

// Mirrors the skeleton of crates/web/templates/base.html.
const PAGE = `<!DOCTYPE html>
<html lang="en" class="govuk-template">
<head>
  <meta charset="utf-8">
  <title>Harness check – Senco</title>
  <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
  <link rel="stylesheet" href="/assets/senco.css">
  <link rel="icon" sizes="any" href="/assets/images/favicon.svg" type="image/svg+xml">
</head>
<body class="govuk-template__body">
  <a href="#main-content" class="govuk-skip-link" data-module="govuk-skip-link">Skip to main content</a>
  <header class="govuk-template__header">
    <div class="govuk-generic-header">
      <div class="govuk-generic-header__container govuk-width-container">
        <div class="govuk-generic-header__logo">
          <a href="/" class="govuk-generic-header__homepage-link">Senco</a>
        </div>
      </div>
    </div>
    <div class="govuk-service-navigation" data-module="govuk-service-navigation">
      <div class="govuk-width-container">
        <div class="govuk-service-navigation__container">
          <nav aria-label="Menu" class="govuk-service-navigation__wrapper">
            <button type="button" class="govuk-service-navigation__toggle govuk-js-service-navigation-toggle" aria-controls="navigation" hidden aria-hidden="true">Menu</button>
            <ul class="govuk-service-navigation__list" id="navigation">
              <li class="govuk-service-navigation__item"><a class="govuk-service-navigation__link" href="/">Home</a></li>
              <li class="govuk-service-navigation__item govuk-service-navigation__item--active"><a class="govuk-service-navigation__link" href="/pupils" aria-current="page"><strong class="govuk-service-navigation__active-fallback">Pupils</strong></a></li>
            </ul>
          </nav>
        </div>
      </div>
    </div>
  </header>
  <div class="senco-demo-banner">
    <div class="govuk-phase-banner govuk-width-container">
      <p class="govuk-phase-banner__content">
        <strong class="govuk-tag govuk-phase-banner__content__tag senco-demo-banner__tag">Demo</strong>
        <span class="govuk-phase-banner__text">This is a demonstration copy of Senco. Everyone in it is made up.</span>
      </p>
    </div>
  </div>
  <div class="govuk-width-container">
    <main class="govuk-main-wrapper" id="main-content">
      <h1 class="govuk-heading-l">Harness check</h1>
      <p class="govuk-body">A page built from assets/dist.</p>
    </main>
  </div>
  <footer class="govuk-template__footer">
    <div class="govuk-footer"><div class="govuk-width-container"><div class="govuk-footer__meta">
      <div class="govuk-footer__meta-item govuk-footer__meta-item--grow">
        <ul class="govuk-footer__inline-list"><li class="govuk-footer__inline-list-item"><a class="govuk-footer__link" href="/accessibility">Accessibility statement</a></li></ul>
        <span class="govuk-footer__licence-description">Senco is free software under the GNU Affero General Public Licence v3.0 or later.</span>
      </div>
    </div></div></div>
  </footer>
  <script type="module" src="/assets/init.mjs"></script>
</body>
</html>`

describe('harness', () => {
  let server
  let baseURL

  before(async () => {
    const dist = join(repoRoot, 'assets', 'dist')
    server = createServer(async (req, res) => {
      const path = new URL(req.url, 'http://x').pathname
      // The CSP Senco means to send: no inline script, no inline style.
      const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
      if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp })
        return res.end(PAGE)
      }
      if (path.startsWith('/assets/')) {
        const file = normalize(join(dist, path.slice('/assets/'.length)))
        if (file.startsWith(dist)) {
          try {
            const body = await readFile(file)
            res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream' })
            return res.end(body)
          } catch {}
        }
      }
      res.writeHead(404, { 'content-type': 'text/plain' })
      res.end('not found')
    })
    await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
    baseURL = `http://127.0.0.1:${server.address().port}`
  })

  after(async () => {
    await closeBrowser()
    await new Promise(resolve => server?.close(resolve))
  })

  test('axe reports a known violation', async () => {
    const context = await newBrowserContext({ baseURL })
    const page = await context.newPage()
    try {
      await page.setContent('<!DOCTYPE html><html lang="en"><head><title>Bad</title></head><body><main><h1>Bad</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text"></main></body></html>')
      await assert.rejects(checkAccessibility(page, 'harness-known-violation'), error => {
        assert.match(error.message, /image-alt/)
        assert.match(error.message, /label/)
        return true
      })
    } finally {
      await context.close()
    }
  })

  test('the built assets load under a strict CSP, init.mjs initialises GOV.UK Frontend and axe passes', async () => {
    const context = await newBrowserContext({ baseURL })
    const page = await context.newPage()
    trackPageErrors(page)
    const failed = []
    page.on('response', r => { if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`) })
    try {
      await page.goto('/')
      await page.waitForFunction(() => document.body.classList.contains('govuk-frontend-supported'))
      // The service navigation module ran (it sets data-module-initialised).
      await page.waitForSelector('.govuk-service-navigation[data-govuk-service-navigation-init]')
      const font = await page.evaluate(() => getComputedStyle(document.body).fontFamily)
      assert.doesNotMatch(font, /GDS Transport/i)
      await checkAccessibility(page, 'harness-layout')
      assert.deepEqual(failed, [])
      assertNoPageErrors(page)
    } finally {
      await context.close()
    }
  })

  test('pages work with JavaScript off', async () => {
    const context = await newBrowserContext({ baseURL, javaScriptEnabled: false })
    const page = await context.newPage()
    try {
      await page.goto('/')
      assert.equal(await page.locator('h1').innerText(), 'Harness check')
      assert.ok(await page.getByRole('link', { name: 'Pupils' }).isVisible())
    } finally {
      await context.close()
    }
  })
})
