// Journey (issue 19, point 1): the installation administrator sets up a new local authority
// and one of its schools, corrects a mistake the form kept, and finds the school in the list.
// Run with JavaScript on (axe on every page, no page errors) and off, each pass with its own
// authority and school.
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import {
  startSenco, newBrowserContext, closeBrowser, signIn, checkAccessibility,
  step, trackPageErrors, assertNoPageErrors
} from './lib/harness.mjs'

describe('journey: the administrator adds an authority and a school', () => {
  let app

  before(async () => {
    app = await startSenco()
  }, { timeout: 360_000 })

  after(async () => {
    await closeBrowser()
    await app?.stop()
  })

  for (const [index, javaScriptEnabled] of [true, false].entries()) {
    const mode = javaScriptEnabled ? 'JavaScript on' : 'JavaScript off'

    test(`an authority and a school (${mode})`, { timeout: 240_000 }, async () => {
      const admin = app.accounts.find(a => a.role === 'admin')
      assert.ok(admin, 'the demo data has an installation administrator')
      const code = ['873', '874'][index]
      const authority = `Journey Council ${index}`
      const school = `Journey Primary ${index}`
      const urn = `15000${index}`

      const context = await newBrowserContext({ javaScriptEnabled })
      const page = await context.newPage()
      if (javaScriptEnabled) trackPageErrors(page)
      const a11y = async (label) => { if (javaScriptEnabled) await checkAccessibility(page, `schools-${label}-js`) }
      try {
        await step(page, `${mode} the administrator adds an authority`, async () => {
          await signIn(page, admin)
          await page.getByRole('link', { name: 'Schools', exact: true }).first().click()
          await page.waitForURL(url => url.pathname === '/admin/schools')
          await a11y('schools')
          await page.getByRole('link', { name: 'Local authorities' }).click()
          await page.getByRole('link', { name: 'Add a local authority' }).click()
          await page.getByLabel('Local authority code').fill(code)
          await page.getByLabel('Name of the local authority').fill(authority)
          await a11y('authority-form')
          await page.getByRole('button', { name: 'Save' }).click()
          await page.waitForURL(url => url.pathname === '/admin/authorities')
          const text = await page.locator('main').innerText()
          assert.match(text, /Local authority added/)
          assert.match(text, new RegExp(authority))
          await a11y('authorities')
        })
        await step(page, `${mode} the administrator adds a school, correcting a mistake`, async () => {
          await page.goto('/admin/schools/new')
          await page.getByLabel('Local authority', { exact: true }).selectOption(code)
          await page.getByLabel('URN', { exact: true }).fill('12')
          await page.getByLabel('Establishment number').fill('2001')
          await page.getByLabel('Name of the school').fill(school)
          await page.getByLabel('Phase').selectOption('primary')
          await page.getByLabel('Postcode').fill('cb1 1aa')
          await page.getByRole('button', { name: 'Save' }).click()
          await page.locator('.govuk-error-summary').waitFor()
          assert.equal(await page.getByLabel('Name of the school').inputValue(), school, 'kept what was typed')
          await a11y('school-form-error')
          await page.getByLabel('URN', { exact: true }).fill(urn)
          await page.getByRole('button', { name: 'Save' }).click()
          await page.getByRole('heading', { name: school }).waitFor()
          const text = await page.locator('main').innerText()
          assert.match(text, /School added/)
          assert.match(text, /CB1 1AA/)
          await a11y('school')
        })
        await step(page, `${mode} the school is in the list`, async () => {
          await page.goto('/admin/schools')
          await page.getByLabel('Search by name, URN or local authority code').fill(urn)
          await page.getByRole('button', { name: 'Search' }).click()
          await page.getByRole('link', { name: school }).waitFor()
          await a11y('search')
        })
        if (javaScriptEnabled) assertNoPageErrors(page)
      } finally {
        await context.close()
      }
    })
  }
})
