// Journey: a SENCO signs in, finds a pupil of their school by surname and
// opens the pupil's page. Run with JavaScript on (with axe on every page) and
// with JavaScript off (the service must work without it).
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import {
  startSenco, newBrowserContext, closeBrowser, signIn, checkAccessibility,
  accountFor, samplePupilFor, step, trackPageErrors, assertNoPageErrors
} from './lib/harness.mjs'

/** Whole word, case-insensitive: does `text` contain `word`? */
function containsWord (text, word) {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`(^|[^\\p{L}])${escaped}($|[^\\p{L}])`, 'iu').test(text)
}

describe('journey: find a pupil', () => {
  let senco

  before(async () => {
    senco = await startSenco()
  }, { timeout: 360_000 })

  after(async () => {
    await closeBrowser()
    await senco?.stop()
  })

  test('signed out, / answers 303 to /sign-in', async () => {
    const response = await fetch(`${senco.baseUrl}/`, { redirect: 'manual' })
    assert.equal(response.status, 303)
    assert.equal(new URL(response.headers.get('location'), senco.baseUrl).pathname, '/sign-in')
  })

  for (const javaScriptEnabled of [true, false]) {
    const mode = javaScriptEnabled ? 'JavaScript on' : 'JavaScript off'

    test(`a SENCO finds a pupil by surname (${mode})`, { timeout: 180_000 }, async () => {
      const account = accountFor(senco.accounts, 'senco')
      const pupil = samplePupilFor(senco.samplePupils, account)
      const context = await newBrowserContext({ javaScriptEnabled })
      const page = await context.newPage()
      if (javaScriptEnabled) trackPageErrors(page)
      const a11y = async label => { if (javaScriptEnabled) await checkAccessibility(page, `${label}-js`) }

      try {
        await step(page, `${mode} sign-in page`, async () => {
          await page.goto('/')
          assert.equal(new URL(page.url()).pathname, '/sign-in', 'signed out, / should lead to /sign-in')
          if (javaScriptEnabled) {
            assert.ok(await page.evaluate(() => document.body.classList.contains('govuk-frontend-supported')),
              'init.mjs did not add govuk-frontend-supported to <body>')
          }
          await a11y('sign-in')
        })

        await step(page, `${mode} sign in`, async () => {
          await signIn(page, account)
          await assert.doesNotReject(page.locator('h1').first().waitFor(), 'the dashboard has no h1')
          await a11y('dashboard')
        })

        await step(page, `${mode} pupils page`, async () => {
          await page.locator('.govuk-service-navigation').getByRole('link', { name: 'Pupils', exact: true }).click()
          await page.waitForURL(url => url.pathname === '/pupils')
          assert.equal((await page.locator('h1').innerText()).trim(), 'Pupils')
          assert.equal(await page.getByLabel('Year group', { exact: true }).evaluate(el => el.tagName), 'SELECT')
          assert.equal(await page.getByLabel('Registration group', { exact: true }).evaluate(el => el.tagName), 'SELECT')
          const search = page.getByLabel('Name or UPN', { exact: true })
          assert.equal(await search.getAttribute('name'), 'q')
          const method = await search.evaluate(el => el.form?.getAttribute('method') ?? '')
          assert.equal(method.toLowerCase(), 'post', 'the search form should use method="post"')
          await a11y('pupils')
        })

        await step(page, `${mode} search`, async () => {
          await page.getByLabel('Name or UPN', { exact: true }).fill(pupil.legal_surname)
          await page.getByRole('button', { name: 'Search', exact: true }).click()
          const link = page.locator(`table a[href="/pupils/${pupil.id}"]`)
          await link.first().waitFor()
          assert.ok(containsWord(await link.first().innerText(), pupil.legal_surname),
            `the result link for pupil ${pupil.id} does not show the surname`)
          const firstColumn = await link.first().evaluate(a => a.closest('td, th')?.cellIndex)
          assert.equal(firstColumn, 0, 'the pupil link should be in the first column')
          await a11y('pupils-results')
        })

        await step(page, `${mode} pupil page`, async () => {
          await page.locator(`table a[href="/pupils/${pupil.id}"]`).first().click()
          await page.waitForURL(url => url.pathname === `/pupils/${pupil.id}`)
          const h1 = await page.locator('h1').innerText()
          assert.ok(containsWord(h1, pupil.legal_surname), `h1 "${h1}" does not show the surname`)
          assert.ok(containsWord(h1, pupil.legal_forename), `h1 "${h1}" does not show the forename`)
          const title = await page.title()
          assert.ok(title.trim().length > 0, 'the pupil page has no <title>')
          for (const name of [pupil.legal_forename, pupil.legal_surname, pupil.upn].filter(Boolean)) {
            assert.ok(!containsWord(title, name), `the <title> "${title}" names the pupil ("${name}")`)
          }
          await a11y('pupil')
        })

        if (javaScriptEnabled) assertNoPageErrors(page)
      } finally {
        await context.close()
      }
    })
  }
})
